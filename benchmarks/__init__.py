"""Benchmarks: figures quoted in notes come from here, measured as ratios within one run."""
