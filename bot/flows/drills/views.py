"""The drill line of `/ddb status` and the drills block of App Home, from the drill history
in the state table (one Query each)."""

from __future__ import annotations

from datetime import datetime

from bot.aws.drills import recent_drills, table_history
from bot.domain.drill_jobs import DrillRecord, history_entry
from bot.render.drills import drill_block, render_home_drills
from bot.render.message import Block
from bot.runtime import Runtime


def status_drill_block(
    runtime: Runtime, account: str, region: str, table: str, now: datetime
) -> Block | None:
    """'last drill passed 6 d ago, restore took 23 min (before: ...)' for a drilled table."""
    history = table_history(runtime.state, account, region, table, limit=4)
    return drill_block(history, now) if history else None


def home_drill_block(runtime: Runtime, now: datetime) -> Block | None:
    """The newest finished drills of each table (from the drill records of 30 days)."""
    by_table: dict[str, list[DrillRecord]] = {}
    for job in recent_drills(runtime.state, limit=100):
        if job.finished and job.finished_at is not None:
            where = f"{job.table}@{job.region}"
            by_table.setdefault(where, []).append(history_entry(job))
    if not by_table:
        return None
    return render_home_drills(sorted(by_table.items()), now)
