"""`/ddb prune --all`: the plan for every table, as a dry run or as the message that asks
for confirmation. Pure.

It says exactly what a Confirm deletes: per table, the backups and the policy with where it
comes from; which tables are left alone and why. Names from AWS are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.backups import monthly_cost
from bot.domain.counts import counted
from bot.domain.policy import RetentionPolicy
from bot.domain.retention import PlannedTable
from bot.domain.times import format_relative
from bot.render.backups import capped, packed_sections, policy_origin
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    code,
    context,
    divider,
    escape,
    escape_keeping_markup,
    header,
    section,
)
from bot.render.units import human_bytes, monthly

TABLES_LISTED = 25  # tables with deletions shown one by one; the rest are counted
NAMES_LISTED = 120  # backup names shown across all tables (Slack: 50 blocks a message)
NAMES_OTHER = 20  # tables with nothing to delete, left alone, or not planned, named


def render_every_table_plan(
    tables: Sequence[PlannedTable],
    now: datetime,
    price_per_gb_month: float,
    *,
    typed: RetentionPolicy,
    apply: bool,
    left_alone: Sequence[tuple[str, str]] = (),
    errors: Sequence[tuple[str, str]] = (),
    footnote: str = "",
    plan_id: str | None = None,
    requester: str | None = None,
) -> Message:
    """The backups a prune of every table deletes, table by table, with each policy and its
    origin. ``left_alone`` are (table, why) not pruned, ``errors`` (table, error) not
    planned; ``footnote`` (mrkdwn) says what else was not planned. With ``apply`` and a
    ``plan_id`` it ends in Confirm/Cancel; without ``apply`` it is a dry run and says so."""
    deleting = [t for t in tables if t.to_delete]
    count = sum(t.to_delete for t in deleting)
    freed = sum(t.bytes_freed for t in deleting)
    saved = monthly(monthly_cost(freed, price_per_gb_month))
    where = counted(len(deleting), "table")
    if apply:
        head = f"*{counted(count, 'backup')} will be deleted* from {where} when you confirm"
        text = f"Prune every table: delete {counted(count, 'backup')} of {where}"
    else:
        head = f"*{counted(count, 'backup')} would be deleted* from {where}"
        text = (
            f"Prune plan for every table: {counted(count, 'backup')} would be deleted from "
            f"{where} (dry run: nothing was deleted)"
        )
    summary = (
        f"{head} · frees {human_bytes(freed)} · saves {saved}\n"
        f"{counted(len(tables), 'table')} with a policy checked"
    )
    blocks: list[Block] = [header("Prune every table"), section(summary), context(_rule(typed))]
    blocks += packed_sections(_table_lines(deleting, now))
    others = [
        *(f"{code(t.table)} (nothing to delete)" for t in tables if not t.to_delete),
        *(f"{code(name)} ({escape_keeping_markup(why)})" for name, why in left_alone),
    ]
    if others:
        blocks.append(context("Left alone: " + ", ".join(capped(others, NAMES_OTHER))))
    if errors:
        failures = [f"✗ {code(name)}: {_why(error)}" for name, error in errors]
        blocks += [divider(), *packed_sections(["*Not planned*", *capped(failures, NAMES_OTHER)])]
    if footnote:
        blocks.append(context(footnote))
    blocks += _footer(count, apply=apply, plan_id=plan_id, requester=requester)
    return Message(text=text, blocks=tuple(blocks))


def _rule(typed: RetentionPolicy) -> str:
    if typed.is_empty:
        return (
            "Each table is pruned under its own policy: its `opsbot:retention` tag, else "
            "`[retention.tables]` in opsbot.toml, else the configured default."
        )
    return (
        f"Typed rules ({escape(typed.describe())}) apply only to tables without a policy of "
        "their own: a table's `opsbot:retention` tag or `[retention.tables]` entry wins."
    )


def _table_lines(deleting: Sequence[PlannedTable], now: datetime) -> list[str]:
    """Per table: what it deletes under which policy, then the backups (names capped)."""
    lines: list[str] = []
    names_left = NAMES_LISTED
    for entry in deleting[:TABLES_LISTED]:
        resolved = entry.resolved
        policy = resolved.policy.describe() if resolved.policy else ""
        lines.append(
            f"*{code(entry.table)} — delete {entry.to_delete} of {entry.backups}*"
            f" · frees {human_bytes(entry.bytes_freed)}"
            f" · {escape(policy)} ({escape_keeping_markup(policy_origin(resolved))})"
        )
        shown = entry.first[: max(names_left, 0)]
        names_left -= len(shown)
        lines += [
            f"✗ {code(b.name)} · {format_relative(b.created, now)} · {human_bytes(b.size_bytes)}"
            for b in shown
        ]
        if len(shown) < entry.to_delete:
            more = entry.to_delete - len(shown)
            lines.append(f"… and {counted(more, 'more backup')} of {code(entry.table)}")
    rest = deleting[TABLES_LISTED:]
    if rest:
        backups = sum(t.to_delete for t in rest)
        lines.append(
            f"… and {counted(len(rest), 'more table')} ({counted(backups, 'backup')}); "
            "`/ddb prune <table>` shows one."
        )
    return lines


def _footer(count: int, *, apply: bool, plan_id: str | None, requester: str | None) -> list[Block]:
    if not apply:
        return [context("_Dry run: nothing was deleted._ Add `--apply` to prune these tables.")]
    if not count:
        return [context("Nothing to delete.")]
    if plan_id is None or requester is None:
        return []
    return [
        context(
            f"Only <@{escape(requester)}> can confirm. Each table is planned again when it "
            "runs, and only backups in this plan are deleted."
        ),
        confirmation_actions(
            plan_id, requester, confirm_label=f"Delete {counted(count, 'backup')}"
        ),
    ]


def _why(reason: str) -> str:
    """Our error message in at most 300 characters, a code span the cut opened closed again."""
    shown = escape_keeping_markup(reason[:300])
    return shown + "`" if shown.count("`") % 2 else shown


def render_prune_all_progress(done: int, total: int | None, *, apply: bool) -> Message:
    """The one message `/ddb prune --all` keeps up to date while every table is planned;
    ``total`` is None while tables are still being listed."""
    what = "Planning every table" + ("" if apply else " (dry run)")
    if total is None:
        line = f":hourglass_flowing_sand: {what}: {counted(done, 'table')} planned so far…"
    elif done < total:
        line = f":hourglass_flowing_sand: {what}: {done} of {counted(total, 'table')} planned…"
    else:
        line = f":clipboard: {what}: all {counted(total, 'table')} planned; the plan follows."
    return Message(text=line, blocks=(section(line),))
