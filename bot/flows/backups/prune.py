"""`/ddb prune <table>|--all`: the worker side, and the prune executor.

A prune with `--apply` stores a plan (the ARNs it would delete) and asks its requester to
confirm, in a message that names every backup it deletes and the policy it deletes them
under (and where that policy comes from). At the press the executor lists the backups
again, plans again with the same policy, and deletes only backups that are in the stored
plan AND still planned now.

Policies (bot.domain.prune_jobs.resolve_policy): rules typed for one table replace its own
policy for that prune; typed with `--all` they apply only to tables without a policy of
their own. `--all` leaves opsbot's own state table out; `/ddb prune <state table>` names it.
`--all` goes through the prune fan-out, one worker per table: bot.flows.backups.prune_all.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.aws.backups import delete_backups, describe_table_arn, list_backups, retention_tag
from bot.aws.plans import announce_deleting, announced
from bot.domain.backups import BackupInfo
from bot.domain.commands import Prune
from bot.domain.confirmations import Plan
from bot.domain.counts import counted
from bot.domain.policy import RetentionPolicy, parse_policy
from bot.domain.prune_jobs import ResolvedPolicy, resolve_policy
from bot.domain.retention import plan_prune
from bot.flows.backups import prune_all
from bot.flows.backups.prune_runs import pace_for
from bot.flows.backups.tables import account_id_of, located, member_ref, shown_name
from bot.flows.confirmations import post_for_confirmation
from bot.flows.places import clients_in
from bot.flows.registry import Request, command, plan_executor
from bot.render.backups import (
    policy_origin,
    render_prune_plan,
    render_prune_progress,
    render_prune_result,
)
from bot.render.message import Message, context
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PROGRESS_EVERY = 25  # chat.update the plan message every N deletions (Slack: ~1 update/s)


@command(Prune, account_aware=True)
def prune(cmd: Prune, request: Request) -> None:
    """A dry run shows the plan; `--apply` stores it and asks the requester to confirm."""
    if cmd.all_tables:
        prune_all.start(cmd, request)
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
    post_for_confirmation(
        request,
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
        render=lambda plan_id: render_prune_plan(
            shown,
            plan,
            policy,
            now,
            price,
            apply=True,
            plan_id=plan_id,
            requester=request.user,
            origin=origin,
        ),
    )


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
    listed = list_backups(client, ref.name, region=ref.region or "", pace=pace)
    current = plan_prune(listed, policy, request.now)
    confirmed = set(plan.payload.get("arns") or [])
    targets = [b for b in current.to_delete if b.arn in confirmed]
    # An interrupted run of this plan deleted these: announced, and no longer available.
    available = {b.arn for b in listed if b.available}
    earlier = {
        arn: shown_and_size
        for arn, shown_and_size in announced(runtime.state, plan.id).items()
        if arn in confirmed and arn not in available
    }
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
        on_deleting=lambda backup: announce_deleting(runtime.state, plan.id, backup),
        on_deleted=deleted,
        on_progress=progress,
        progress_every=PROGRESS_EVERY,
    )
    final = render_prune_result(
        shown,
        [name for name, _ in earlier.values()] + [b.name for b in result.deleted],
        [(b.name, reason) for b, reason in result.failed],
        sum(size for _, size in earlier.values()) + result.bytes_freed,
        runtime.settings.backup_price_per_gb_month,
    )
    kept = len(confirmed) - len(targets) - len(earlier)
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


def _execute_all(plan: Plan, request: Request) -> None:
    prune_all.execute(plan, request)
