"""Benchmarks: the server under load, the page in a browser, the training step."""
