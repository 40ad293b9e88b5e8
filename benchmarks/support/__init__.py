"""Helpers of the benchmarks (not run by ``make bench``, which runs ``benchmarks/*.py``)."""
