"""`/ddb alarms [table]`, `/ddb alarms recommend <table>` and the buttons on alarm messages
("Table status", "Silence 1h/4h"): the worker side."""

from __future__ import annotations

import dataclasses
import shlex
from datetime import timedelta

from bot.aws.alarm_context import load_acks
from bot.aws.alarms import alarms_needing_attention, existing_alarms, put_alarm, replica_regions
from bot.aws.incidents import MAX_SILENCE_S, load_incident, save_silence
from bot.aws.tables import find_table
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.alarm_set import (
    AlarmSpec,
    AlarmSummary,
    Recommendation,
    needs_attention,
    plan_recommendation,
    recommended_alarms,
)
from bot.domain.command_parser import parse_command
from bot.domain.commands import Alarms, Status
from bot.domain.confirmations import Plan
from bot.domain.errors import OpsbotError, TableNotFound, UsageError
from bot.domain.locations import ResolvedTable, no_table_anywhere
from bot.flows.places import clients_in, label_of, places
from bot.flows.registry import Request, action, command, plan_executor
from bot.flows.resolve import locate_table
from bot.flows.tables.status import status
from bot.render.alarm_list import (
    render_alarm_list,
    render_recommendation,
    render_recommendation_done,
)
from bot.render.alarm_replies import render_silenced
from bot.runtime import Runtime
from bot.settings import Settings

PLAN_KIND = "alarms-recommend"


@command(Alarms, account_aware=True)
def alarms(cmd: Alarms, request: Request) -> None:
    """List the alarms needing attention (every managed account and region), or plan the
    recommended set for a table."""
    if cmd.recommend:
        recommend(cmd, request)
        return
    runtime = request.runtime
    settings = runtime.settings
    table: ResolvedTable | None = None
    described = False  # whether finding the table described it (so it exists)
    missing = ""  # why the table named is not there: said with its alarms, or instead of them
    if cmd.table is not None:
        try:
            located = locate_table(runtime, cmd.table)
        except TableNotFound as exc:
            # Alarms may outlive their table: look for them wherever the name was looked up.
            missing = exc.message
            where = [(a, r) for a, r in places(runtime) if cmd.table.region in (None, r)]
        else:
            table, described = located.table, located.description is not None
            where = [(table.account, table.region)]
        name: str | None = cmd.table.name
    elif settings.accounts:
        where, name = places(runtime), None
    else:
        where, name = [(None, region) for region in settings.regions], None
    found, shown, unreachable = _alarms_in(
        runtime, where, name, every=cmd.table is None or bool(missing)
    )
    attention = _with_acks(runtime, needs_attention(found))
    if table is not None and not attention and not described:
        client = clients_in(runtime, table.account)("dynamodb", table.region)
        if find_table(client, table.name, table.region) is None:
            missing = no_table_anywhere(table.name, [table.location], settings.accounts)
    if missing and not attention:
        raise TableNotFound(missing)
    request.reply(
        render_alarm_list(
            attention,
            table=name,
            regions=shown,
            now=request.now,
            unreachable=unreachable,
            missing=missing,
        )
    )


def _with_acks(runtime: Runtime, alarms: list[AlarmSummary]) -> list[AlarmSummary]:
    """The alarms with who acknowledged their open incident (one BatchGetItem)."""
    firing = [a.arn for a in alarms if a.arn and a.state.value == "ALARM"]
    acks = load_acks(runtime.state, firing) if firing else {}
    if not acks:
        return alarms
    shown = []
    for alarm in alarms:
        found = acks.get(alarm.arn)
        if found is not None:
            ack, opened = found
            alarm = dataclasses.replace(alarm, acked_by=ack.by, acked_after=ack.at - opened)
        shown.append(alarm)
    return shown


def _alarms_in(
    runtime: Runtime, where: list[tuple[Account | None, str]], table: str | None, *, every: bool
) -> tuple[list[AlarmSummary], list[str], list[str]]:
    """The alarms needing attention in each place (of one table, when named), the places as
    shown, and the accounts that could not be reached (``every``: named and skipped; else
    the error is the answer)."""
    found: list[AlarmSummary] = []
    shown: list[str] = []
    unreachable: list[str] = []
    failed: set[str] = set()  # one AssumeRole attempt per account and command
    for account, region in where:
        label = label_of(runtime, account)
        shown.append(f"{label}/{region}" if label else region)
        if account is not None and account.id in failed:
            continue
        try:
            cloudwatch = clients_in(runtime, account)("cloudwatch", region)
            listed = alarms_needing_attention(cloudwatch, region, table=table)
        except AccountUnavailable as exc:
            if not every or account is None:
                raise
            failed.add(account.id)
            unreachable.append(exc.message)
            continue
        found += [dataclasses.replace(a, account=label) if label else a for a in listed]
    return found, shown, unreachable


def alarm_topic(settings: Settings, region: str) -> str:
    """The bot's alarm topic, if alarms in ``region`` can notify it; else a clear error."""
    topic = settings.alarm_topic_arn
    if not topic:
        raise OpsbotError(
            "opsbot has no alarm topic configured (`OPSBOT_ALARM_TOPIC_ARN`), so new alarms "
            "would notify nobody."
        )
    parts = topic.split(":")
    topic_region = parts[3] if len(parts) > 5 else ""
    if topic_region and topic_region != region:
        raise OpsbotError(
            f"Alarms in {region} cannot notify opsbot's alarm topic in {topic_region} "
            "(CloudWatch notifies topics in its own region only). Deploy opsbot's alarm "
            f"topic in {region}, or create these alarms there by hand."
        )
    return topic


def _recommendation(
    runtime: Runtime,
    table: str,
    region: str,
    specs: tuple[AlarmSpec, ...] | None = None,
    *,
    account: Account | str | None = None,
) -> Recommendation:
    """The recommended set (or ``specs``) against the table and alarms as they are now."""
    client = clients_in(runtime, account)
    replicas = replica_regions(client("dynamodb", region), table, region)
    wanted = specs if specs is not None else recommended_alarms(table, region, replicas)
    existing = existing_alarms(client("cloudwatch", region), region, [spec.name for spec in wanted])
    return plan_recommendation(table, region, wanted, existing)


def recommend(cmd: Alarms, request: Request) -> None:
    """Show which recommended alarms are missing and ask the requester to confirm."""
    runtime = request.runtime
    assert cmd.table is not None
    ref = locate_table(runtime, cmd.table).table
    topic = alarm_topic(runtime.settings, ref.region)
    plan_of = _recommendation(runtime, ref.name, ref.region, account=ref.account)
    if not plan_of.create:
        request.reply(
            render_recommendation(plan_of, topic_arn=topic, plan_id=None, requester=request.user)
        )
        return
    plan = request.create_plan(
        kind=PLAN_KIND,
        action=cmd.action,
        summary=(
            f"create {len(plan_of.create)} recommended "
            f"alarm{'s' if len(plan_of.create) != 1 else ''} for `{ref.name}` in {ref.region}"
        ),
        payload={
            "table": ref.name,
            "region": ref.region,
            "account": ref.account_id,
            "alarms": [spec.as_payload() for spec in plan_of.create],
        },
    )
    request.reply(
        render_recommendation(plan_of, topic_arn=topic, plan_id=plan.id, requester=request.user)
    )


@plan_executor(PLAN_KIND)
def create_recommended(plan: Plan, request: Request) -> None:
    """Re-check the table and existing alarms, then create the planned alarms still missing."""
    runtime = request.runtime
    table, region = str(plan.payload["table"]), str(plan.payload["region"])
    account = str(plan.payload.get("account") or "") or None  # '' or absent: opsbot's own
    topic = alarm_topic(runtime.settings, region)
    specs = tuple(AlarmSpec.from_payload(p) for p in plan.payload.get("alarms", []))
    current = _recommendation(runtime, table, region, specs, account=account)
    cloudwatch = clients_in(runtime, account)("cloudwatch", region)
    for spec in current.create:
        request_id = put_alarm(cloudwatch, spec, topic_arn=topic, region=region)
        request.record_action(
            request_id, f"/ddb alarms recommend {table}@{region}", user=plan.requester
        )
    request.reply(render_recommendation_done(table, region, current.create, current.existing))


@action("alarm_table_status", permission="status")
def table_status(value: str, request: Request) -> None:
    """The "Table status" button: `/ddb status table@region` for the alarm's table."""
    cmd = parse_command(f"status {shlex.quote(value)}", request.now)
    if not isinstance(cmd, Status):
        raise UsageError("This button does not name a table.")
    status(cmd, request)


@action("alarm_silence", permission="alarms:silence")
def silence(value: str, request: Request) -> None:
    """The "Silence 1h/4h" buttons: silence the alarm and say so in the incident's thread."""
    runtime = request.runtime
    arn, _, seconds_text = value.rpartition("|")
    if not arn or not seconds_text.isdigit() or not 60 <= int(seconds_text) <= MAX_SILENCE_S:
        raise UsageError("This silence button is not valid.")
    until = request.now + timedelta(seconds=int(seconds_text))
    save_silence(runtime.state, arn, until=until, by_user=request.user, now=request.now)
    record = load_incident(runtime.state, arn)
    name = (record.alarm_name if record else "") or arn.rpartition(":alarm:")[2] or arn
    message = render_silenced(name, until, request.user)
    copies = record.copies if record is not None and record.incident.is_open else ()
    for copy in copies:
        runtime.notifier.post(copy.channel, message, thread_ts=copy.thread_ts)
    if not copies:
        if request.item.message_ts:
            request.post(message, thread_ts=request.item.message_ts)
        else:
            request.reply(message)
