"""Benchmarks: ``python -m benchmarks`` prints one ``name: value`` line per figure.

Each ``benchmarks/bench_*.py`` module exposes ``measure() -> dict[str, float | int]``.
Figures are ratios against a baseline measured in the same run, or counts (AWS calls,
Slack calls) that do not depend on the machine. Nothing here asserts on wall-clock time.
"""
