"""Measuring a weights file: test-set evaluation, imitated and real-world inputs, plots, the layer table."""
