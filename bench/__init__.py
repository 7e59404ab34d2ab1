"""Benchmarks: each module exposes run() -> [(figure, value, unit)]; `make bench` runs them all."""
