"""Serving: the classifier and its runtimes, the garment check, calibrated percentages, web safety, request handling."""
