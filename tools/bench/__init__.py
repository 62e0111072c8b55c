"""Benchmarks: ``python -m bench.NAME``; each records its figures in docs/performance.md."""
