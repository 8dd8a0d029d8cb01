"""Backups, prune plans and prune results as Slack messages. Pure.

Every name that comes from AWS (backup names, ARNs) is escaped; failure reasons are our
error messages, which keep their code spans (``escape_keeping_markup``). Messages
stay within Slack's limits (50 blocks, 3000 characters a section) by packing lines into
sections and summarising the rest with a visible "… and N more" line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.domain.backups import BackupInfo, monthly_cost, total_bytes
from bot.domain.counts import counted
from bot.domain.policy import RetentionPolicy
from bot.domain.prune_jobs import ResolvedPolicy
from bot.domain.retention import Decision, PruneOutcome, PrunePlan
from bot.domain.times import format_relative, format_utc
from bot.render.limits import cut_markup
from bot.render.message import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    divider,
    escape,
    escape_keeping_markup,
    escape_plain,
    header,
    section,
)
from bot.render.units import human_bytes, monthly

SECTION_LIMIT = 3000
MAX_PAGE_SIZE = 40  # one section per backup, plus a handful of framing blocks, under 50
PLAN_LINES_PER_GROUP = 40  # keep / delete lines shown before "… and N more"
RESULT_NAMES_SHOWN = 20
DIGEST_LINES = 40


def render_backup_list(
    table: str,
    backups: Sequence[BackupInfo],
    now: datetime,
    *,
    pitr_enabled: bool,
    pitr_earliest: datetime | None = None,
    pitr_latest: datetime | None = None,
    price_per_gb_month: float,
    page: int = 0,
    page_size: int = 20,
    filters: str = "",
    listed_at: datetime | None = None,
    listed_total: int | None = None,
) -> Message:
    """One page of a table's backups, newest first, with totals, cost and the PITR window.

    ``filters`` are the command's options (`--type user --since 30d`): shown, and carried by
    the "Show more" button with ``listed_at`` (when the first page was listed; ``now`` by
    default) and ``listed_total`` (how many it counted), so a later page lists the same
    backups however late it is pressed, and says so when some were deleted meanwhile.
    """
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    ordered = sorted(backups, key=lambda b: b.created, reverse=True)
    shown = ordered[page * page_size : (page + 1) * page_size]
    size = total_bytes(ordered)
    cost = monthly(monthly_cost(size, price_per_gb_month))
    totals = f"*{counted(len(ordered), 'backup')}* · {human_bytes(size)} · {cost}"
    blocks: list[Block] = [
        header(f"Backups of {escape_plain(table)}"),
        section(totals + "\n" + _pitr_line(pitr_enabled, pitr_earliest, pitr_latest)),
    ]
    listed = listed_total if listed_total is not None else len(ordered)
    gone = max(listed - len(ordered), 0)
    if page > 0 and not shown:
        since = f"page 1 listed {counted(listed, 'backup')}; {len(ordered)} "
        since += f"{'is' if len(ordered) == 1 else 'are'} left now ({gone} deleted since)"
        blocks.append(
            section(
                f"Page {page + 1}: nothing left to show — {since}. "
                f"{code(f'/ddb backups {table}')} lists them again."
            )
        )
    elif not ordered and filters:
        blocks.append(section(f"No backups match {code(filters)}."))
    elif not ordered:
        blocks.append(section(f"No backups. Take one with {code(f'/ddb backup {table}')}."))
    blocks += [section(_backup_line(b, now)) for b in shown]
    if shown:
        first = page * page_size + 1
        last = page * page_size + len(shown)
        pages = -(-len(ordered) // page_size)
        shown_filters = f" · {code(filters)}" if filters else ""
        line = (
            f"Page {page + 1} of {pages} · backups {first}–{last} of {len(ordered)}"
            f" · newest first{shown_filters}"
        )
        if page > 0 and gone:
            were = "was" if gone == 1 else "were"
            line += f" · page 1 listed {counted(listed, 'backup')}; {gone} {were} deleted since"
        blocks.append(context(line))
    if shown and (page + 1) * page_size < len(ordered):
        args = f"{table} {filters}" if filters else table
        at = (listed_at or now).timestamp()
        more = button("Show more", "backups_more", f"{args}|{page + 1}|{at:.3f}|{listed}")
        blocks.append(actions(more))
    text = f"{counted(len(ordered), 'backup')} of {escape(table)}: {human_bytes(size)}, {cost}"
    return Message(text=text, blocks=tuple(blocks))


def _backup_line(backup: BackupInfo, now: datetime) -> str:
    created = f"{format_relative(backup.created, now)} ({format_utc(backup.created)})"
    return (
        f"{code(backup.name)} · {backup.type.value} · {escape(backup.status)}\n"
        f"{created} · {human_bytes(backup.size_bytes)}"
    )


def _pitr_line(enabled: bool, earliest: datetime | None, latest: datetime | None) -> str:
    if not enabled:
        return "Point-in-time recovery: *off*"
    if earliest is None or latest is None:
        return "Point-in-time recovery: *on*"
    return (
        f"Point-in-time recovery: *on*, restorable from {format_utc(earliest)}"
        f" to {format_utc(latest)}"
    )


def render_prune_plan(
    table: str,
    plan: PrunePlan,
    policy: RetentionPolicy,
    now: datetime,
    price_per_gb_month: float,
    *,
    apply: bool,
    plan_id: str | None = None,
    requester: str | None = None,
    origin: str = "",
) -> Message:
    """The prune plan: every backup kept or deleted with its reasons, and what it saves.

    ``origin`` says where the policy comes from (:func:`policy_origin`).
    """
    deleting = len(plan.to_delete)
    freed = human_bytes(plan.bytes_freed)
    saved = monthly(plan.monthly_cost_saved(price_per_gb_month))
    came_from = f" ({escape_keeping_markup(origin)})" if origin else ""
    summary = (
        f"Policy: {escape(policy.describe())}{came_from}\n"
        f"*Delete {deleting}* of {len(plan.decisions)} backups, keep {len(plan.to_keep)}"
        f" · frees {freed} · saves {saved}"
    )
    blocks: list[Block] = [header(f"Prune plan for {escape_plain(table)}"), section(summary)]
    kept = [d for d in plan.decisions if d.keep]
    deleted = [d for d in plan.decisions if not d.keep]
    blocks += _group("Delete", deleted, now)
    blocks += _group("Keep", kept, now)
    blocks += _plan_footer(table, deleting, apply=apply, plan_id=plan_id, requester=requester)
    mode = "" if apply else " (dry run: nothing was deleted)"
    text = (
        f"Prune plan for {escape(table)}: delete {deleting}, keep {len(kept)}, frees {freed}{mode}"
    )
    return Message(text=text, blocks=tuple(blocks))


# Where a table's policy comes from, as a prune plan says it.
ORIGINS = {
    "tag": "its `opsbot:retention` tag",
    "config": "`[retention.tables]` in opsbot.toml",
    "default": "the configured default",
    "none": "no policy is set for this table",
}


def policy_origin(resolved: ResolvedPolicy) -> str:
    """Where a table's policy comes from, and what typed rules stand in for: 'its
    `opsbot:retention` tag', 'typed; for this prune it replaces its `opsbot:retention` tag:
    daily 7'."""
    if resolved.source != "flags":
        return ORIGINS.get(resolved.source, resolved.source)
    if resolved.replaced is None:
        return "typed; the table has no policy of its own"
    replaced = ORIGINS.get(resolved.replaced_source, resolved.replaced_source)
    return f"typed; for this prune it replaces {replaced}: {resolved.replaced.describe()}"


def _group(title: str, decisions: list[Decision], now: datetime) -> list[Block]:
    if not decisions:
        return []
    lines = [_decision_line(d, now) for d in decisions[:PLAN_LINES_PER_GROUP]]
    if len(decisions) > PLAN_LINES_PER_GROUP:
        lines.append(f"… and {len(decisions) - PLAN_LINES_PER_GROUP} more")
    return [divider(), *packed_sections([f"*{title} ({len(decisions)})*", *lines])]


def _decision_line(decision: Decision, now: datetime) -> str:
    backup = decision.backup
    mark = "•" if decision.keep else "✗"
    reasons = ", ".join(escape(r) for r in decision.reasons)
    return (
        f"{mark} {code(backup.name)} · {format_relative(backup.created, now)}"
        f" · {human_bytes(backup.size_bytes)} — {reasons}"
    )


def _plan_footer(
    table: str, deleting: int, *, apply: bool, plan_id: str | None, requester: str | None
) -> list[Block]:
    if not apply:
        return [context(f"_dry run: nothing was deleted._ Add `--apply` to prune {escape(table)}.")]
    if not deleting:
        return [context("Nothing to delete.")]
    if plan_id is None:
        return []
    value = f"{plan_id}|{requester or ''}"
    who = f"<@{escape(requester)}>" if requester else "the requester"
    return [
        context(f"Only {who} can confirm. The plan is checked again against the backups then."),
        actions(
            button(f"Delete {counted(deleting, 'backup')}", "confirm", value, style="danger"),
            button("Cancel", "cancel", value),
        ),
    ]


def render_prune_progress(table: str, done: int, total: int, failed: int) -> Message:
    """A prune under way: how many backups are deleted so far, and how many failed."""
    width = 20
    filled = width * done // total if total else width
    bar = "█" * filled + "░" * (width - filled)
    line = f"Pruning {code(table)}: {done}/{total} deleted"
    if failed:
        line += f", {failed} failed"
    text = f"Pruning {escape(table)}: {done}/{total}"
    return Message(text=text, blocks=(section(f"{line}\n`{bar}`"),))


def render_prune_result(
    table: str,
    deleted: Sequence[str],
    failed: Sequence[tuple[str, str]],
    bytes_freed: int,
    price_per_gb_month: float,
) -> Message:
    """The end of a prune: what was deleted, what failed and why, and what it saves."""
    saved = monthly(monthly_cost(bytes_freed, price_per_gb_month))
    summary = (
        f"*Deleted {counted(len(deleted), 'backup')}* of {code(table)}"
        f" · freed {human_bytes(bytes_freed)} · saves {saved}"
    )
    if failed:
        summary += f"\n*{len(failed)} failed*"
    blocks: list[Block] = [header(f"Pruned {escape_plain(table)}"), section(summary)]
    if deleted:
        blocks += packed_sections(capped([code(n) for n in deleted], RESULT_NAMES_SHOWN))
    if failed:
        failures = [f"✗ {code(n)}: {_why(r)}" for n, r in failed]
        blocks += [divider(), *packed_sections(["*Failed*", *capped(failures, RESULT_NAMES_SHOWN)])]
    text = f"Pruned {escape(table)}: {len(deleted)} deleted, {len(failed)} failed"
    return Message(text=text, blocks=tuple(blocks))


def render_prune_digest(
    results: Iterable[PruneOutcome],
    now: datetime,
    mode: str,
    *,
    price_per_gb_month: float = 0.10,
) -> Message:
    """One message per prune run, whatever the fleet's size: tables checked, backups deleted,
    bytes and cost freed, then the worst tables first (errors, failures, most freed), capped."""
    every = list(results)
    outcomes = [o for o in every if not o.left_alone]
    left_alone = len(every) - len(outcomes)
    dry_run = mode not in ("apply", "delete")  # "delete": the nightly prune's delete mode
    count = sum(o.planned for o in outcomes) if dry_run else sum(o.deleted for o in outcomes)
    freed = sum(o.bytes_freed for o in outcomes)
    saved = monthly(monthly_cost(freed, price_per_gb_month))
    verb = "would be deleted (dry run)" if dry_run else "deleted"
    frees = "would free" if dry_run else "freed"
    summary = (
        f"{counted(len(outcomes), 'table')} checked · *{counted(count, 'backup')} {verb}*"
        f" · {frees} {human_bytes(freed)} · {saved}"
    )
    if left_alone:
        summary += f"\n{counted(left_alone, 'table')} left alone (no policy, opted out or gone)"
    shown = sorted((o for o in outcomes if o.planned or o.failures or o.error), key=_worst_first)
    lines = [_digest_line(o, dry_run) for o in shown]
    blocks: list[Block] = [
        header(f"Backup prune — {now:%Y-%m-%d}"),
        section(summary),
        *packed_sections(capped(lines, DIGEST_LINES)),
    ]
    failures = [f"{code(o.table)}: {_why(o.error)}" for o in shown if o.error]
    failures += [f"{code(o.table)} {code(n)}: {_why(r)}" for o in shown for n, r in o.failures]
    if failures:
        blocks += [divider(), *packed_sections(["*Failures*", *capped(failures, DIGEST_LINES)])]
    blocks.append(context(f"Mode: {escape(mode)} · {format_utc(now)}"))
    text = (
        f"Backup prune: {counted(len(outcomes), 'table')}, {counted(count, 'backup')} {verb}, "
        f"{counted(len(failures), 'failure')}"
    )
    return Message(text=text, blocks=tuple(blocks))


def _worst_first(outcome: PruneOutcome) -> tuple[int, int, int, str]:
    """Tables not pruned, then tables with failures, then the most storage freed."""
    return (
        0 if outcome.error else 1,
        -len(outcome.failures),
        -outcome.bytes_freed,
        outcome.table,
    )


def _digest_line(outcome: PruneOutcome, dry_run: bool) -> str:
    if outcome.error:
        return f"✗ {code(outcome.table)}: not pruned"
    done = f"{outcome.planned} to delete" if dry_run else f"{outcome.deleted} deleted"
    line = f"• {code(outcome.table)}: {done}, {human_bytes(outcome.bytes_freed)}"
    if outcome.failures:
        line += f", {len(outcome.failures)} failed"
    return line


def render_backup_created(table: str, name: str, arn: str, requester: str | None) -> Message:
    """A backup the bot just started for someone."""
    who = f" for <@{escape(requester)}>" if requester else ""
    line = f"Backup {code(name)} of {code(table)} started{who}. It is usable once AVAILABLE."
    return Message(
        text=f"Backup {escape(name)} of {escape(table)} started",
        blocks=(section(line), context(f"ARN: {code(arn)}")),
    )


def _why(reason: str) -> str:
    """Our error message in at most 300 characters, a code span the cut opened closed again."""
    shown = escape_keeping_markup(reason[:300])
    return shown + "`" if shown.count("`") % 2 else shown


def capped(lines: list[str], limit: int) -> list[str]:
    """The first ``limit`` lines, then '… and N more' for the rest."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… and {len(lines) - limit} more"]


def packed_sections(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as fit Slack's 3000-character limit."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = cut_markup(line, SECTION_LIMIT - 1, "…")
        if chunk and size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks
