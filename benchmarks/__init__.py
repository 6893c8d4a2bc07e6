"""Benchmarks for a portfolio of agreements: `python -m benchmarks` (or `make bench`).

Not part of `make test`. See `python -m benchmarks --help` and the README's Scale section.
"""
