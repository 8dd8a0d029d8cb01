"""`/ddb prune <table>|--all`: the worker side, and the prune executor.

A prune with `--apply` stores a plan (the ARNs it would delete) and asks its requester to
confirm, in a message that names every backup it deletes and the policy it deletes them
under (and where that policy comes from). At the press the executor lists the backups
again, plans again with the same policy, and deletes only backups that are in the stored
plan AND still planned now.

Policies (bot.domain.prune_jobs.resolve_policy): rules typed for one table replace its own
policy for that prune; typed with `--all` they apply only to tables without a policy of
their own. `--all` leaves opsbot's own state table out; `/ddb prune <state table>` names it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.aws.backups import delete_backups, describe_table_arn, list_backups, retention_tag
from bot.aws.plans import attach_message
from bot.domain.backups import BackupInfo
from bot.domain.commands import Prune
from bot.domain.confirmations import Plan
from bot.domain.counts import counted
from bot.domain.errors import OpsbotError
from bot.domain.policy import RetentionPolicy, parse_policy
from bot.domain.prune_jobs import OPT_OUT, RETENTION_TAG, PruneTask, ResolvedPolicy, resolve_policy
from bot.domain.retention import TablePlan, plan_prune
from bot.domain.times import format_duration
from bot.flows.backups.prune_fanout import PlaceTables, managed_tables, start_run
from bot.flows.backups.prune_runs import pace_for
from bot.flows.backups.tables import account_id_of, located, member_ref, shown_name
from bot.flows.places import clients_in, label_of
from bot.flows.registry import Request, command, plan_executor
from bot.render.backups import (
    policy_origin,
    render_prune_plan,
    render_prune_progress,
    render_prune_result,
)
from bot.render.message import Message, context, section
from bot.render.prune_all import render_every_table_plan
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PROGRESS_EVERY = 25  # chat.update the plan message every N deletions (Slack: ~1 update/s)
TABLES_NAMED = 5  # tables named in a confirmation's one-line summary

# Planning every table in the Slack worker must end well before its 300 s timeout
# (ListBackups allows 5 calls a second): tables left when this runs out are named as not
# planned, rather than the whole command timing out and being retried too late to run.
PLAN_ALL_BUDGET = timedelta(minutes=3)


@command(Prune, account_aware=True)
def prune(cmd: Prune, request: Request) -> None:
    """A dry run shows the plan; `--apply` stores it and asks the requester to confirm."""
    if cmd.all_tables:
        _prune_all(cmd, request)
        return
    assert cmd.table is not None
    runtime, now = request.runtime, request.now
    ref, client = located(cmd.table, runtime)
    assert ref.region is not None
    arn = describe_table_arn(client, ref.name, region=ref.region)
    tag = retention_tag(client, arn, pace=pace_for(runtime))
    resolved = _resolve(runtime, ref.name, tag, cmd.flags)
    policy = resolved.policy or RetentionPolicy()
    found = list_backups(client, ref.name, region=ref.region, pace=pace_for(runtime))
    plan = plan_prune(found, policy, now)
    shown, price = shown_name(ref, runtime), runtime.settings.backup_price_per_gb_month
    origin = policy_origin(resolved)
    if not cmd.apply or not plan.to_delete:
        request.reply(
            render_prune_plan(shown, plan, policy, now, price, apply=cmd.apply, origin=origin)
        )
        return
    stored = request.create_plan(
        kind="prune",
        action="prune:apply",
        summary=f"delete {counted(len(plan.to_delete), 'backup')} of `{shown}`",
        payload={
            "table": ref.name,
            "region": ref.region,
            "account": account_id_of(ref, runtime),
            "policy": policy.as_text(),
            "arns": [b.arn for b in plan.to_delete],
        },
    )
    message = render_prune_plan(
        shown,
        plan,
        policy,
        now,
        price,
        apply=True,
        plan_id=stored.id,
        requester=request.user,
        origin=origin,
    )
    posted = request.post(message)
    attach_message(runtime.state, stored.id, posted.ts)


def _resolve(
    runtime: Runtime,
    table: str,
    tag: str | None,
    flags: RetentionPolicy,
    *,
    every_table: bool = False,
) -> ResolvedPolicy:
    settings = runtime.settings
    return resolve_policy(
        table,
        tag=tag,
        tables=settings.retention_tables,
        default=settings.retention_default,
        flags=flags,
        every_table=every_table,
    )


@plan_executor("prune")
def execute_prune(plan: Plan, request: Request) -> None:
    """Delete what is both in the confirmed plan and still planned now; report as it goes."""
    if plan.payload.get("all"):
        _execute_all(plan, request)
        return
    runtime = request.runtime
    account_id = str(plan.payload.get("account") or "")
    ref = member_ref(str(plan.payload["table"]), str(plan.payload["region"]), account_id, runtime)
    shown, client, pace = (
        shown_name(ref, runtime),
        clients_in(runtime, account_id or None)("dynamodb", ref.region),
        pace_for(runtime),
    )
    policy = parse_policy(str(plan.payload["policy"]))
    current = plan_prune(
        list_backups(client, ref.name, region=ref.region or "", pace=pace), policy, request.now
    )
    confirmed = set(plan.payload.get("arns") or [])
    targets = [b for b in current.to_delete if b.arn in confirmed]
    ts = plan.message_ts or request.item.message_ts

    def deleted(backup: BackupInfo, request_id: str) -> None:
        request.record_action(request_id, f"/ddb prune {ref} --apply", user=plan.requester)

    def progress(so_far: Any) -> None:
        done, failed = len(so_far.deleted), len(so_far.failed)
        _show(request, plan.channel, ts, render_prune_progress(shown, done, len(targets), failed))

    result = delete_backups(
        client,
        targets,
        pace=pace,
        on_deleted=deleted,
        on_progress=progress,
        progress_every=PROGRESS_EVERY,
    )
    final = render_prune_result(
        shown,
        [b.name for b in result.deleted],
        [(b.name, reason) for b, reason in result.failed],
        result.bytes_freed,
        runtime.settings.backup_price_per_gb_month,
    )
    kept = len(confirmed) - len(targets)
    if kept:
        note = (
            f"{counted(kept, 'backup')} of the confirmed plan "
            f"{'was' if kept == 1 else 'were'} kept: already gone, or the policy keeps "
            f"{'it' if kept == 1 else 'them'} now."
        )
        final = Message(text=final.text, blocks=(*final.blocks, context(note)))
    _show(request, plan.channel, ts, final)


def _show(request: Request, channel: str, ts: str, message: Message) -> None:
    """Update the plan's message in place; reply instead when that is not possible."""
    if ts and channel:
        try:
            request.runtime.notifier.update(channel, ts, message)
            return
        except SlackApiError as exc:
            log.warning("could not update the prune message: %s", exc.response.get("error"))
    request.reply(message)


# --- /ddb prune --all --------------------------------------------------------------------


def _prune_all(cmd: Prune, request: Request) -> None:
    runtime, now = request.runtime, request.now
    planned = _plan_every_table(runtime, cmd.flags, now)
    deleting = [t for t in planned.tables if t.plan.to_delete]
    count = sum(len(t.plan.to_delete) for t in deleting)
    stored = None
    if cmd.apply and deleting:
        named = [f"`{t.table}`" for t in deleting[:TABLES_NAMED]]
        if len(deleting) > TABLES_NAMED:
            named.append(f"{len(deleting) - TABLES_NAMED} more")
        stored = request.create_plan(
            kind="prune",
            action="prune:apply",
            summary=(
                f"delete {counted(count, 'backup')} of {counted(len(deleting), 'table')} "
                f"({', '.join(named)})"
            ),
            payload={"all": True, "tasks": [_task(t, planned.places[t.table]) for t in deleting]},
        )
    message = render_every_table_plan(
        planned.tables,
        now,
        runtime.settings.backup_price_per_gb_month,
        typed=cmd.flags,
        apply=cmd.apply,
        left_alone=planned.left_alone,
        errors=planned.errors,
        footnote=planned.footnote,
        plan_id=stored.id if stored else None,
        requester=request.user,
    )
    if stored is None:
        request.reply(message)
        return
    posted = request.post(message)
    attach_message(runtime.state, stored.id, posted.ts)


@dataclass
class _EveryTable:
    """What planning every table found: the plans, where each table is, what was left."""

    tables: list[TablePlan] = field(default_factory=list)
    places: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # shown -> where
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (table, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (table, error)
    footnote: str = ""


def _plan_every_table(runtime: Runtime, flags: RetentionPolicy, now: datetime) -> _EveryTable:
    """Every managed table's policy and plan, within PLAN_ALL_BUDGET."""
    found, unplanned = _EveryTable(), 0
    for listed in managed_tables(runtime):
        if listed.error:
            where = f"{label_of(runtime, listed.place) or listed.member}/{listed.region}"
            found.errors.append((f"{where} (every table)", listed.error))
            continue
        for name in listed.names:
            if unplanned or runtime.now() - now > PLAN_ALL_BUDGET:
                unplanned += 1
                continue
            _plan_table(runtime, listed, name, flags, now, found)
    if unplanned:
        found.footnote = (
            f":warning: {counted(unplanned, 'more table')} not planned: planning every table "
            f"ran past {format_duration(PLAN_ALL_BUDGET)}. The nightly prune covers every "
            "table; `/ddb prune <table>` plans one."
        )
    return found


def _plan_table(
    runtime: Runtime,
    listed: PlaceTables,
    name: str,
    flags: RetentionPolicy,
    now: datetime,
    found: _EveryTable,
) -> None:
    """One table's policy and plan into ``found``, or why it is left alone or not planned."""
    settings, pace = runtime.settings, pace_for(runtime)
    region, member = listed.region, listed.member
    shown = shown_name(member_ref(name, region, member, runtime), runtime)
    if not member and region == settings.default_region and name == settings.state_table:
        found.left_alone.append((shown, f"opsbot's own state table: `/ddb prune {name}` prunes it"))
        return
    try:
        tag = retention_tag(listed.dynamodb, listed.arn(name), pace=pace)
        resolved = _resolve(runtime, name, tag, flags, every_table=True)
        if resolved.policy is None:
            opted_out = (tag or "").strip().lower() in OPT_OUT
            why = f"its `{RETENTION_TAG}` tag opts it out" if opted_out else "no policy"
            found.left_alone.append((shown, why))
            return
        backups = list_backups(listed.dynamodb, name, region=region, pace=pace)
    except OpsbotError as exc:  # a bad tag, a table deleted meanwhile, access denied
        found.errors.append((shown, exc.message))
        return
    found.tables.append(TablePlan(shown, resolved, plan_prune(backups, resolved.policy, now)))
    found.places[shown] = (member, region, name)


def _task(entry: TablePlan, place: tuple[str, str, str]) -> dict[str, Any]:
    """The stored plan's task for one table: where it is, its policy, what it deletes."""
    member, region, name = place
    return {
        "account": member,
        "region": region,
        "table": name,
        "policy": entry.resolved.text,
        "source": entry.resolved.source,
        "arns": [b.arn for b in entry.plan.to_delete],
    }


def _execute_all(plan: Plan, request: Request) -> None:
    run_id = f"manual-{plan.id}"
    tasks = [
        PruneTask(
            run_id,
            str(t["region"]),
            str(t["table"]),
            str(t["policy"]),
            source=str(t.get("source", "flags")),
            mode="delete",
            arns=tuple(t["arns"]),
            requester=plan.requester,
            approved_by=request.approved_by,
            account=str(t.get("account") or ""),
        )
        for t in plan.payload.get("tasks", [])
    ]
    start_run(
        request.runtime,
        run_id,
        tasks,
        mode="delete",
        channel=plan.channel,
        requester=plan.requester,
    )
    text = (
        f"Pruning {counted(len(tasks), 'table')} in the background; one summary will follow "
        "in this channel."
    )
    request.reply(Message(text=text, blocks=(section(text),)))
