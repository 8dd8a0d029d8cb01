"""Drill messages: the digest's one line, and the status line's restore-time trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.drill_jobs import DrillRecord, tally
from bot.render.drills import drill_line, render_drill_digest

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def record(table: str, days: int, *, passed: bool = True, minutes: int = 23) -> DrillRecord:
    reasons = () if passed else ("the copy has 0 items, the source 1.2 M",)
    return DrillRecord(
        table=table,
        finished_at=NOW - timedelta(days=days),
        passed=passed,
        reasons=reasons,
        restore_s=minutes * 60,
    )


def test_the_digest_names_the_first_failure_and_its_reason() -> None:
    records = [record(f"t{i}", 1) for i in range(12)] + [record("orders", 2, passed=False)]
    records.append(record("old", 9, passed=False))  # before this week: not counted
    digest = render_drill_digest(tally(records, NOW - timedelta(days=7)), "this week")
    assert digest.text == (
        ":x: Drills this week: 12 passed, 1 failed — `orders`: the copy has 0 items, "
        "the source 1.2 M."
    )


def test_the_status_line_shows_the_last_drill_and_the_restore_time_trend() -> None:
    history = [
        record("orders", 6),
        record("orders", 13, minutes=21),
        record("orders", 20, minutes=20),
    ]
    assert drill_line(history, NOW) == (
        "last drill passed 6 d ago, restore took 23 min (before: 21 min, 20 min)"
    )
    assert drill_line([], NOW) == "never drilled"
