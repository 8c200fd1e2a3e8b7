"""Benchmarks: ``python -m bench [--quick]`` runs every section and writes BENCHMARKS.md."""
