"""Benchmarks with their own runner (``python -m bench``); never timed assertions in tests."""
