"""Adapters to the outside world, each behind a small typed interface with a development double."""
