"""Restore drills: the drill to confirm, its thread (started, leftovers cleaned, the result),
the one line a table's status and App Home show, and the drills digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.counts import counted
from bot.domain.drill_jobs import DrillJob, DrillRecord, DrillTally
from bot.domain.drills import DrillSource
from bot.domain.restores import PITR_MIN_DURATION
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    account_region,
    code,
    context,
    escape,
    escape_keeping_markup,
    fields_section,
    section,
)
from bot.render.restore_jobs import progress_reply
from bot.render.units import human_bytes


def _cost(usd: float | None) -> str:
    return "unknown" if usd is None else f"~${usd:,.2f}"


def render_drill_confirmation(
    table: str,
    region: str,
    source: DrillSource,
    scratch: str,
    *,
    cost: float,
    price_per_gb: float,
    plan_id: str,
    requester: str,
    expires_in: timedelta,
    account_label: str | None = None,
) -> Message:
    """The drill to confirm: what is restored, into which scratch table, its size and cost."""
    where = account_region(region, account_label)
    text = (
        f"Drill {escape(table)}: restore {escape(source.point)} into {escape(scratch)}, "
        "validate, delete it? "
        f"Costs about ${cost:,.2f}. Confirm within {format_duration(expires_in)}."
    )
    took = (
        f"A PITR restore takes at least ~{format_duration(PITR_MIN_DURATION)}."
        if source.kind == "pitr"
        else "A restore from a backup takes minutes to hours, depending on size."
    )
    blocks: list[Block] = [
        section(
            f":fire_extinguisher: <@{requester}> asked for a restore drill of {code(table)} in "
            f"{where}. Please confirm."
        ),
        fields_section(
            [
                f"*Restores*\n{escape(source.point)}"
                + (
                    f" (taken {format_utc(source.backup_created)})" if source.backup_created else ""
                ),
                f"*Into scratch table*\n{code(scratch)}",
                f"*Size*\n{human_bytes(source.size_bytes)}",
                f"*Estimated cost*\n{_cost(cost)} at ${price_per_gb:.2f}/GB restored",
            ]
        ),
        section(
            f":stopwatch: {took} Then I check the copy (ACTIVE, keys and indexes, item count, "
            "a sample of items) and delete it. The source table is never written to. "
            "I report in this thread."
        ),
        confirmation_actions(plan_id, requester, confirm_label="Start drill"),
        context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
    ]
    return Message(text=text, blocks=tuple(blocks))


def render_drill_started(job: DrillJob, *, account_label: str | None = None) -> Message:
    """The restore into the scratch table was accepted."""
    who = "the schedule" if job.scheduled else f"<@{job.restore.requester}>"
    text = (
        f":arrow_forward: Drill started by {who}: {code(job.table)} ({escape(job.restore.point)}) "
        f"→ scratch table {code(job.scratch)} in {account_region(job.region, account_label)}."
    )
    return Message(
        text=text,
        blocks=(section(text), context(f"I will post the result here. Job {code(job.id)}.")),
    )


def render_drill_cleaned(tables: Sequence[str]) -> Message:
    """Scratch tables an earlier drill left behind (a crash) were deleted."""
    names = ", ".join(code(t) for t in tables[:10])
    more = f" and {len(tables) - 10} more" if len(tables) > 10 else ""
    text = (
        f":broom: Deleted {counted(len(tables), 'scratch table')} an earlier drill left "
        f"behind: {names}{more}."
    )
    return Message(text=text, blocks=(section(text),))


def render_drill_progress(job: DrillJob, now: datetime) -> Message:
    """'still restoring the scratch table, 23 min'."""
    return progress_reply(
        f"Drill of {code(job.table)}: still restoring {code(job.scratch)},",
        job.restore.elapsed(now),
    )


def render_drill_not_started(
    job: DrillJob, reason: str, *, account_label: str | None = None
) -> Message:
    """The drill could not start its restore."""
    text = (
        f":x: The drill of {code(job.table)} in {account_region(job.region, account_label)} "
        f"did not start: {escape_keeping_markup(reason)}"
    )
    return Message(text=text, blocks=(section(text), context("Nothing was changed.")))


def render_drill_result(job: DrillJob, *, account_label: str | None = None) -> Message:
    """Passed, or failed with its reasons: size, durations, counts, cost."""
    verdict = ":white_check_mark: Drill passed" if job.passed else ":x: Drill failed"
    where = account_region(job.region, account_label)
    text = f"{verdict}: {code(job.table)} in {where} restores ({escape(job.restore.point)})."
    if not job.passed:
        text = f"{verdict}: {code(job.table)} in {where} ({escape(job.restore.point)})."
    source = "unknown" if job.source_count is None else f"{job.source_count:,}"
    blocks: list[Block] = [section(text)]
    if job.reasons:
        blocks.append(section("\n".join(f"• {escape_keeping_markup(r)}" for r in job.reasons)))
    blocks += [
        fields_section(
            [
                f"*Restore took*\n{_took(job.restore_took)}",
                f"*Validation took*\n{_took(job.validation_took)}",
                f"*Items (copy / source)*\n{job.copy_count:,} / {source}",
                f"*Sample read*\n{'-' if job.sample_read is None else job.sample_read}",
                f"*Size*\n{human_bytes(job.size_bytes)}",
                f"*Cost*\n{_cost(job.cost)}",
            ]
        ),
        context(
            f"Scratch table {code(job.scratch)} deleted; the source was only read. "
            f"Job {code(job.id)}."
        ),
    ]
    return Message(text=text, blocks=tuple(blocks))


def _took(delta: timedelta | None) -> str:
    return "-" if delta is None else format_duration(delta)


def drill_line(history: Sequence[DrillRecord], now: datetime) -> str:
    """'last drill passed 6 d ago, restore took 23 min (before: 21 min, 20 min)', or
    'never drilled'."""
    if not history:
        return "never drilled"
    last = history[0]
    verdict = "passed" if last.passed else "failed"
    by = " (AWS Backup restore test)" if last.by == "aws-backup" else ""
    line = f"last drill{by} {verdict} {format_relative(last.finished_at, now)}"
    if last.restore_s is not None:
        line += f", restore took {format_duration(last.restore_s)}"
    before = [format_duration(r.restore_s) for r in history[1:4] if r.restore_s is not None]
    if before:
        line += f" (before: {', '.join(before)})"
    if not last.passed and last.reasons:
        line += f": {escape_keeping_markup(last.reasons[0])}"
    return line


def drill_block(history: Sequence[DrillRecord], now: datetime) -> Block:
    """The drill line as its own small block (status, App Home)."""
    icon = ":fire_extinguisher:" if not history or history[0].passed else ":x:"
    return context(f"{icon} Restore drills: {drill_line(history, now)}.")


def render_drill_run(tables: Sequence[str], skipped: Sequence[str], at_once: int) -> Message:
    """The scheduled run's message: the tables drilled (their threads follow), those left out."""
    names = ", ".join(code(t) for t in tables[:40]) or "none"
    more = f" and {len(tables) - 40} more" if len(tables) > 40 else ""
    text = (
        f":fire_extinguisher: Scheduled restore drills: {counted(len(tables), 'table')}, at most "
        f"{at_once} at once. Each drill reports in this thread; the digest follows."
    )
    blocks: list[Block] = [section(text), section(f"*Tables*\n{names}{more}")]
    if skipped:
        lines = "\n".join(f"• {escape_keeping_markup(s)}" for s in skipped[:20])
        blocks.append(section(f"*Not drilled*\n{lines}"))
    return Message(text=text, blocks=tuple(blocks))


def render_drill_digest(tally: DrillTally, period: str) -> Message:
    """'drills this week: 12 passed, 1 failed — orders: the copy has 0 items, ...'."""
    failed = len(tally.failed)
    icon = ":white_check_mark:" if not failed else ":x:"
    text = f"{icon} Drills {escape(period)}: {tally.passed} passed, {failed} failed"
    if failed:
        worst = tally.failed[0]
        why = escape_keeping_markup(worst.reasons[0]) if worst.reasons else "see its thread"
        text += f" — {code(worst.table)}: {why}"
    blocks: list[Block] = [section(text + ".")]
    for record in tally.failed[1:10]:
        why = escape_keeping_markup(record.reasons[0]) if record.reasons else "see its thread"
        blocks.append(context(f"{code(record.table)}: {why}"))
    return Message(text=text + ".", blocks=tuple(blocks))


def render_home_drills(tables: Sequence[tuple[str, Sequence[DrillRecord]]], now: datetime) -> Block:
    """App Home's drills block: one line per drilled table, newest drill first."""
    lines = [
        f"{':x:' if not history[0].passed else ':fire_extinguisher:'} *{escape(where)}*: "
        f"{drill_line(history, now)}"
        for where, history in tables[:10]
        if history
    ]
    more = f"\n…and {len(tables) - 10} more" if len(tables) > 10 else ""
    return section("*Restore drills*\n" + "\n".join(lines) + more)
