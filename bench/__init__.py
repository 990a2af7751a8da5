"""Benchmarks of ghostsync against a real local Ghost, and the naive baseline.

Run ``python -m bench`` (see ``bench/README.md``).
"""
