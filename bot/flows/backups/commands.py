"""`/ddb backups`, `/ddb backup` and `/ddb prune`: the worker side, and the prune executor.

A prune with `--apply` stores a plan (the ARNs it would delete) and asks its requester to
confirm. At the press the executor lists the backups again, plans again with the same
policy, and deletes only backups that are in the stored plan AND still planned now.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from slack_sdk.errors import SlackApiError

from bot.aws.backups import (
    create_backup,
    delete_backups,
    describe_table_arn,
    list_backups,
    retention_tag,
)
from bot.aws.errors import translate
from bot.aws.plans import attach_message
from bot.aws.tables import pitr_window
from bot.domain.backups import BackupInfo, check_backup_name, default_backup_name
from bot.domain.command_parser import parse_command
from bot.domain.commands import Backup, Backups, Prune
from bot.domain.confirmations import Plan
from bot.domain.errors import OpsbotError
from bot.domain.policy import RetentionPolicy, parse_policy, short_duration
from bot.domain.prune_jobs import PruneTask, ResolvedPolicy, resolve_policy
from bot.domain.refs import TableRef
from bot.domain.retention import PruneOutcome, PrunePlan, plan_prune
from bot.domain.times import format_duration
from bot.flows.backups.prune_runs import managed_tables, pace_for, start_manual_run
from bot.flows.places import clients_in, label_of
from bot.flows.registry import Request, action, command, plan_executor
from bot.flows.resolve import locate_table
from bot.render.backups import (
    render_backup_created,
    render_backup_list,
    render_prune_digest,
    render_prune_plan,
    render_prune_progress,
    render_prune_result,
)
from bot.render.confirm import confirmation_actions
from bot.render.message import Message, context, section
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PAGE_SIZE = 20
PROGRESS_EVERY = 25  # chat.update the plan message every N deletions (Slack: ~1 update/s)


def _shown(ref: TableRef, runtime: Runtime) -> str:
    """How a table is named in messages and buttons: `orders`, `orders@eu-west-1`, or
    `orders@payments-prod/us-west-2` in a member account."""
    if ref.region == runtime.settings.default_region and not ref.account:
        return ref.name
    return str(ref)


def _located(ref: TableRef, runtime: Runtime) -> tuple[TableRef, Any]:
    """The table in its account and region (the alias named for a member account), and its
    DynamoDB client there."""
    table = locate_table(runtime, ref).table
    return table.as_ref(), clients_in(runtime, table.account)("dynamodb", table.region)


def _account_id(ref: TableRef, runtime: Runtime) -> str:
    """The id of the member account a located ref names ('' : opsbot's own account)."""
    account = runtime.settings.account(ref.account) if ref.account else None
    return account.id if account is not None else ""


def _member_ref(name: str, region: str, account_id: str, runtime: Runtime) -> TableRef:
    """A TableRef for a stored (account id, region, table), naming a member by its alias."""
    account = runtime.settings.account(account_id) if account_id else None
    if account is None or account.is_home:
        return TableRef(name, region)
    return TableRef(name, region, account.alias)


# --- /ddb backups ----------------------------------------------------------------------


@command(Backups, account_aware=True)
def backups(cmd: Backups, request: Request) -> None:
    """List a table's backups (all pages), newest first, with totals and the PITR window."""
    request.reply(_backup_page(cmd, request, page=0))


@action("backups_more", permission="backups")
def backups_more(value: str, request: Request) -> None:
    """The "Show more" button: the next page of the same listing (same table and filters,
    `--since` counted from the first page's time, no backup made since)."""
    args, page, at = [*value.split("|"), "", ""][:3]  # older buttons carry no time
    try:
        cmd = parse_command(f"backups {args}", request.now)
        number = int(page)
        listed_at = datetime.fromtimestamp(float(at), UTC) if at else None
    except (OpsbotError, ValueError, OverflowError, OSError):
        raise OpsbotError("This button is not valid any more; run `/ddb backups` again.") from None
    if not isinstance(cmd, Backups) or number < 0:
        raise OpsbotError("This button is not valid any more; run `/ddb backups` again.")
    page_message = _backup_page(cmd, request, page=number, listed_at=listed_at)
    request.reply(page_message, replace_original=True)


def _backup_page(
    cmd: Backups, request: Request, *, page: int, listed_at: datetime | None = None
) -> Message:
    runtime = request.runtime
    ref, client = _located(cmd.table, runtime)
    assert ref.region is not None
    try:
        continuous = client.describe_continuous_backups(TableName=ref.name)
    except ClientError as exc:
        raise translate(exc, table=ref.name, region=ref.region) from exc
    found = list_backups(
        client,
        ref.name,
        region=ref.region,
        backup_type=cmd.backup_type,
        since=cmd.since,
        now=listed_at or request.now,
        until=listed_at,
        pace=pace_for(runtime),
    )
    pitr = pitr_window(continuous)
    return render_backup_list(
        _shown(ref, runtime),
        found,
        request.now,
        pitr_enabled=pitr.enabled,
        pitr_earliest=pitr.earliest,
        pitr_latest=pitr.latest,
        price_per_gb_month=runtime.settings.backup_price_per_gb_month,
        page=page,
        page_size=PAGE_SIZE,
        filters=_filters(cmd),
        listed_at=listed_at,
    )


def _filters(cmd: Backups) -> str:
    """The options of a backups command as typed, so "Show more" can repeat them."""
    parts = [] if cmd.backup_type == "all" else [f"--type {cmd.backup_type}"]
    if cmd.since is not None:
        parts.append(f"--since {short_duration(cmd.since)}")
    return " ".join(parts)


# --- /ddb backup -----------------------------------------------------------------------


@command(Backup, account_aware=True)
def backup(cmd: Backup, request: Request) -> None:
    """Start an on-demand backup, attributed to the requester."""
    runtime = request.runtime
    ref, client = _located(cmd.table, runtime)
    assert ref.region is not None
    name = check_backup_name(cmd.name) if cmd.name else default_backup_name(ref.name, request.now)
    created = create_backup(client, ref.name, name, region=ref.region)
    request.record_action(created.request_id, f"/ddb backup {ref} --name {name}")
    request.reply(
        render_backup_created(
            _shown(ref, runtime), created.backup.name, created.backup.arn, request.user
        )
    )


# --- /ddb prune ------------------------------------------------------------------------


@command(Prune, account_aware=True)
def prune(cmd: Prune, request: Request) -> None:
    """A dry run shows the plan; `--apply` stores it and asks the requester to confirm."""
    if cmd.all_tables:
        _prune_all(cmd, request)
        return
    assert cmd.table is not None
    runtime, now = request.runtime, request.now
    ref, client = _located(cmd.table, runtime)
    assert ref.region is not None
    arn = describe_table_arn(client, ref.name, region=ref.region)
    resolved = _resolve(
        runtime, ref.name, retention_tag(client, arn, pace=pace_for(runtime)), cmd.flags
    )
    policy = resolved.policy or RetentionPolicy()
    found = list_backups(client, ref.name, region=ref.region, pace=pace_for(runtime))
    plan = plan_prune(found, policy, now)
    shown, price = _shown(ref, runtime), runtime.settings.backup_price_per_gb_month
    if not cmd.apply or not plan.to_delete:
        request.reply(render_prune_plan(shown, plan, policy, now, price, apply=cmd.apply))
        return
    stored = request.create_plan(
        kind="prune",
        action="prune:apply",
        summary=f"prune {len(plan.to_delete)} backups of `{shown}`",
        payload={
            "table": ref.name,
            "region": ref.region,
            "account": _account_id(ref, runtime),
            "policy": policy.as_text(),
            "arns": [b.arn for b in plan.to_delete],
        },
    )
    message = render_prune_plan(
        shown, plan, policy, now, price, apply=True, plan_id=stored.id, requester=request.user
    )
    posted = request.post(message)
    attach_message(runtime.state, stored.id, posted.ts)


def _resolve(
    runtime: Runtime, table: str, tag: str | None, flags: RetentionPolicy
) -> ResolvedPolicy:
    settings = runtime.settings
    return resolve_policy(
        table,
        tag=tag,
        tables=settings.retention_tables,
        default=settings.retention_default,
        flags=flags,
    )


@plan_executor("prune")
def execute_prune(plan: Plan, request: Request) -> None:
    """Delete what is both in the confirmed plan and still planned now; report as it goes."""
    if plan.payload.get("all"):
        _execute_all(plan, request)
        return
    runtime = request.runtime
    account_id = str(plan.payload.get("account") or "")
    ref = _member_ref(str(plan.payload["table"]), str(plan.payload["region"]), account_id, runtime)
    shown, client, pace = (
        _shown(ref, runtime),
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
            f"{kept} backup(s) of the confirmed plan were kept: they are gone already or "
            "the policy keeps them now."
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


# Planning every table in the Slack worker must end well before its 300 s timeout
# (ListBackups allows 5 calls a second): tables left when this runs out are named as not
# planned, rather than the whole command timing out and being retried too late to run.
PLAN_ALL_BUDGET = timedelta(minutes=3)


def _prune_all(cmd: Prune, request: Request) -> None:
    runtime, now = request.runtime, request.now
    settings, pace = runtime.settings, pace_for(runtime)
    outcomes: list[PruneOutcome] = []
    tasks: list[dict[str, Any]] = []
    unplanned = 0
    for listed in managed_tables(runtime):
        region, member, client = listed.region, listed.member, listed.dynamodb
        if listed.error:
            where = f"{label_of(runtime, listed.place) or member}/{region}"
            outcomes.append(PruneOutcome(f"{where} (every table)", planned=0, error=listed.error))
            continue
        for name in listed.names:
            if unplanned or runtime.now() - now > PLAN_ALL_BUDGET:
                unplanned += 1
                continue
            shown = _shown(_member_ref(name, region, member, runtime), runtime)
            try:
                tag = retention_tag(client, listed.arn(name), pace=pace)
                resolved = _resolve(runtime, name, tag, cmd.flags)
                if resolved.policy is None:
                    continue
                found = list_backups(client, name, region=region, pace=pace)
            except OpsbotError as exc:  # a bad tag, a table deleted meanwhile, access denied
                outcomes.append(PruneOutcome(shown, planned=0, error=exc.message))
                continue
            plan: PrunePlan = plan_prune(found, resolved.policy, now)
            outcomes.append(
                PruneOutcome(shown, planned=len(plan.to_delete), bytes_freed=plan.bytes_freed)
            )
            if plan.to_delete:
                tasks.append(
                    {
                        "account": member,
                        "region": region,
                        "table": name,
                        "policy": resolved.text,
                        "source": resolved.source,
                        "arns": [b.arn for b in plan.to_delete],
                    }
                )
    price = settings.backup_price_per_gb_month
    summary = render_prune_digest(outcomes, now, "dry-run", price_per_gb_month=price)
    if unplanned:
        note = (
            f":warning: {unplanned} more table{'s' if unplanned != 1 else ''} not planned: "
            f"planning every table ran past {format_duration(PLAN_ALL_BUDGET)}. The nightly "
            "prune covers every table; `/ddb prune <table>` plans one."
        )
        summary = Message(
            text=f"{summary.text} ({unplanned} more not planned)",
            blocks=(*summary.blocks, context(note)),
        )
    if not cmd.apply or not tasks:
        request.reply(summary)
        return
    stored = request.create_plan(
        kind="prune",
        action="prune:apply",
        summary=f"prune {sum(len(t['arns']) for t in tasks)} backups of {len(tasks)} tables",
        payload={"all": True, "tasks": tasks},
    )
    footer = (
        context(
            f"Only <@{request.user}> can confirm. Each table is planned again when it runs, "
            "and only backups in this plan are deleted."
        ),
        confirmation_actions(stored.id, request.user),
    )
    posted = request.post(Message(text=summary.text, blocks=(*summary.blocks, *footer)))
    attach_message(runtime.state, stored.id, posted.ts)


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
            account=str(t.get("account") or ""),
        )
        for t in plan.payload.get("tasks", [])
    ]
    start_manual_run(request.runtime, tasks, run_id, channel=plan.channel, requester=plan.requester)
    text = (
        f"Pruning {len(tasks)} tables in the background; one summary will follow in this channel."
    )
    request.reply(Message(text=text, blocks=(section(text),)))
