"""Counted nouns as people write them: `1 alarm`, `2 alarms`, `0 backups`. Pure."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 table`, `3 tables`; ``plural`` for nouns that do not take an `s`."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
