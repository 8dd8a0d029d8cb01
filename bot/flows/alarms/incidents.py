"""Alarm notifications in Slack: one root message per incident, repeats in its thread, the
root updated on OK; each delivery handled once.

Order per delivery: claim it (bot.aws.idempotency, keyed by the state change), post, store.
A failure releases the claim and re-raises so the platform retries; an attempt killed by its
timeout leaves a claim that runs out with the invocation, so Lambda's retry does the work; a
delivery that meets a live attempt raises, to be retried later. Root messages already posted
are remembered after each post, so a retry posts only the copies that are missing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.aws.idempotency import Duplicate
from bot.aws.incidents import (
    IncidentRecord,
    PostedCopy,
    load_alarm,
    recent_values,
    save_incident,
)
from bot.aws.table_context import alarm_context_pk
from bot.domain.accounts import AccountUnavailable, account_from_arn
from bot.domain.alarm_events import AlarmEvent, AlarmState
from bot.domain.alarm_messages import ALARM_DETAIL_TYPES, parse_sns_alarm
from bot.domain.errors import InvalidValue
from bot.domain.incidents import Incident, decide, lateness, state_change_key
from bot.domain.times import aws_time_or_none
from bot.flows.places import account_clients, label_of
from bot.flows.routing import route
from bot.render.alarm_replies import render_late_reply, render_resolved_reply, render_thread_repeat
from bot.render.alarms import render_alarm, render_resolved
from bot.render.message import Message
from bot.runtime import Runtime

log = logging.getLogger(__name__)

SCOPE = "alarm"
_KEEP_S = 7 * 86400
DROPPED = "dropped"


def alarm_fields(event: AlarmEvent) -> dict[str, Any]:
    """The fields routes match: namespace, metric, table, region, account, metric_account (the
    metric's account when it is another one), state, name, suppressed."""
    metric = event.primary_metric
    return {
        "namespace": metric.namespace if metric else None,
        "metric": metric.name if metric else None,
        "table": event.subject.table,
        "region": event.region,
        "account": event.account,
        "metric_account": event.metric_account or None,
        "state": event.state.value,
        "name": event.name,
        "suppressed": event.suppression is not None,
    }


def _is_alarm_event(event: Mapping[str, Any]) -> bool:
    """An EventBridge alarm (or contributor) state change, or an alarm Lambda action's payload."""
    return event.get("detail-type") in ALARM_DETAIL_TYPES or (
        "alarmData" in event and "Records" not in event
    )


def handle_alarm_event(event: Mapping[str, Any], runtime: Runtime) -> list[str]:
    """Each alarm of an SNS or EventBridge event, handled once; malformed records are logged
    and dropped. What was done, per alarm."""
    if _is_alarm_event(event):
        return [deliver_alarm_message(event, str(event.get("id") or ""), runtime)]
    outcomes = []
    records = event.get("Records")
    for record in records if isinstance(records, list) and records else [{}]:
        try:
            sns = record["Sns"]
            message = json.loads(sns["Message"])
            if not isinstance(message, dict):
                raise ValueError("the Message is not a JSON object")
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            log.warning("dropping a record that is not an SNS alarm", extra={"reason": repr(exc)})
            outcomes.append(DROPPED)
            continue
        outcomes.append(
            deliver_alarm_message(
                message,
                str(sns.get("MessageId") or ""),
                runtime,
                topic_arn=_text(sns.get("TopicArn")),
                subscription_arn=_text(record.get("EventSubscriptionArn")),
                received_at=_text(sns.get("Timestamp")),
            )
        )
    return outcomes


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def deliver_alarm_message(
    message: Mapping[str, Any],
    message_id: str,
    runtime: Runtime,
    *,
    topic_arn: str | None = None,
    subscription_arn: str | None = None,
    received_at: str | None = None,
) -> str:
    """Handle one alarm message (SNS JSON or EventBridge event) once; returns what was done.

    The answer is a decision kind of :func:`bot.domain.incidents.decide`, ``"duplicate"`` for a
    delivery already handled, or ``"dropped"`` for a payload that is not an alarm (logged).
    The SNS record's topic and subscription ARNs locate an alarm whose message names no known
    region; its Timestamp stands in for a missing change time.
    Unexpected errors (Slack down, DynamoDB errors) are re-raised after releasing the claim;
    IdempotencyAlreadyInProgressError while another attempt is handling the same change.
    """
    try:
        event = parse_sns_alarm(
            message,
            message_id=message_id,
            received_at=aws_time_or_none(received_at),
            topic_arn=topic_arn,
            subscription_arn=subscription_arn,
        )
    except InvalidValue as exc:
        log.warning("dropping an alarm message %s: %s", message_id or "(no id)", exc.message)
        return DROPPED
    key = state_change_key(event) or message_id or f"{event.arn or event.name}|{event.state.value}"
    kind = runtime.once(SCOPE, key, lambda: _deliver_one(event, runtime), keep_s=_KEEP_S)
    if isinstance(kind, Duplicate):
        log.info("alarm message %s already handled", key)
        return "duplicate"
    return kind


def _deliver_one(event: AlarmEvent, runtime: Runtime) -> str:
    """A contributor's change goes into its parent alarm's thread; any other to its incident."""
    if event.contributor is not None:
        from bot.flows.alarms.contributors import deliver_contributor  # rare: load on use

        return deliver_contributor(event, runtime)
    return deliver(event, runtime)


def deliver(event: AlarmEvent, runtime: Runtime) -> str:
    """Decide what the event does to its incident, do it in Slack, and store the incident."""
    now = runtime.now()
    late_after = runtime.settings.alarm_late_after
    arn = event.arn or event.name
    record, silenced_until, context = load_alarm(
        runtime.state, arn, context_pk=alarm_context_pk(event)
    )
    if record is not None and record.posting and record.posting == event.message_id:
        # A retry of a root post that failed half-way: post only the missing copies.
        late = lateness(event, now, late_after)
        post_root(event, runtime, record.incident, record.posts, now, late, context=context)
        return "post_root"
    current = record.incident if record is not None else None
    decision = decide(event, current, silenced_until, now, late_after=late_after)
    log.info("alarm %s %s: %s (%s)", event.name, event.state.value, decision.kind, decision.reason)
    if decision.kind == "post_root" and decision.incident is not None:
        post_root(event, runtime, decision.incident, (), now, decision.late, context=context)
    elif decision.kind == "thread_repeat" and record is not None and decision.incident:
        message = render_thread_repeat(event, now, decision.late)
        for copy in record.copies:
            runtime.notifier.post(copy.channel, message, thread_ts=copy.thread_ts)
        save_incident(runtime.state, replace(record, incident=decision.incident), now=now)
    elif decision.kind == "thread_late" and record is not None and decision.late is not None:
        note = render_late_reply(event, decision.late)
        for copy in record.copies:
            runtime.notifier.post(copy.channel, note, thread_ts=copy.thread_ts)
    elif decision.kind == "resolve" and record is not None and decision.incident:
        _resolve(event, runtime, record, decision.incident, now, decision.late)
    elif decision.kind == "ignore" and decision.incident not in (None, current):
        # An OK with nothing open: keep its time, so an older ALARM arriving later opens nothing.
        assert decision.incident is not None
        kept = record or IncidentRecord(decision.incident, event.name)
        save_incident(runtime.state, replace(kept, incident=decision.incident), now=now)
    elif decision.kind == "post_resolved" and decision.incident is not None:
        _post_resolved(event, runtime, decision.incident, now, decision.late)
    elif decision.kind == "post_info":
        for destination in route(runtime.settings, "alarms", alarm_fields(event)):
            message = render_alarm(
                event,
                now=now,
                datapoints=None,
                incident_opened_at=None,
                mention=None,
                account_label=_label(runtime, event),
                late=decision.late,
                table_account_label=table_label(runtime, event),
            )
            runtime.notifier.post(destination.channel, message)
    return decision.kind


def _resolve(
    event: AlarmEvent,
    runtime: Runtime,
    record: IncidentRecord,
    closed: Incident,
    now: datetime,
    late: timedelta | None,
) -> None:
    """Update every root copy to resolved and reply in its thread, each copy once.

    Progress is saved after each copy: a retry after a failure part-way (Slack down for the
    second channel) resolves only the copies not done yet, so no thread gets two replies.
    """
    opened = record.incident.opened_at
    acked = ""
    if record.ack is not None:
        from bot.render.alarm_context import ack_line  # acknowledged incidents only

        acked = ack_line(record.ack.by, record.ack.at, opened)
    resolved = render_resolved(
        event,
        opened_at=opened,
        now=now,
        account_label=_label(runtime, event),
        table_account_label=table_label(runtime, event),
        acked=acked,
    )
    reply = render_resolved_reply(event, opened, now, late)
    done = list(record.resolved) if record.resolving == event.message_id else []
    for copy in record.copies:
        if copy.to in done:
            continue
        runtime.notifier.update(copy.channel, copy.ts, resolved)
        runtime.notifier.post(copy.channel, reply, thread_ts=copy.thread_ts)
        if copy.thread:
            from bot.flows.alarms.storms import storm_member_resolved  # storms only

            storm_member_resolved(event, runtime, copy, now)
        done.append(copy.to)
        if event.message_id and len(done) < len(record.copies):
            progress = replace(record, resolving=event.message_id, resolved=tuple(done))
            save_incident(runtime.state, progress, now=now)
    finished = replace(record, incident=closed, posting="", resolving="", resolved=())
    save_incident(runtime.state, finished, now=now)


def _label(runtime: Runtime, event: AlarmEvent) -> str | None:
    """The alarm's account alias (None without [[accounts]]: messages show the id as before)."""
    account_id = event.account or account_from_arn(event.arn or "")
    return label_of(runtime, account_id) if account_id else None


def table_label(runtime: Runtime, event: AlarmEvent) -> str | None:
    """The alias of the account the alarm's metric lives in, when that is another account."""
    return label_of(runtime, event.metric_account) if event.cross_account else None


def _recent_values(event: AlarmEvent, runtime: Runtime, now: datetime) -> tuple[float, ...] | None:
    """The alarm's recent values, read in the alarm's own account (from its ARN).

    An account opsbot cannot reach degrades to "values unavailable": the alarm still posts.
    """
    assert event.region is not None
    account_id = account_from_arn(event.arn or "") or event.account or ""
    if not runtime.settings.accounts or not account_id:
        return recent_values(runtime.client("cloudwatch", event.region), event, now=now)
    try:
        cloudwatch = account_clients(runtime).client("cloudwatch", event.region, account_id)
        return recent_values(cloudwatch, event, now=now)
    except AccountUnavailable as exc:
        log.warning("recent values of %s unavailable: %s", event.name, exc.message)
        return None


def _post_resolved(
    event: AlarmEvent, runtime: Runtime, closed: Incident, now: datetime, late: timedelta | None
) -> None:
    """An ALARM that arrived after its OK: one root message per channel, already resolved."""
    assert closed.closed_at is not None
    ok = replace(event, state=AlarmState.OK, changed_at=closed.closed_at)
    message = render_resolved(ok, opened_at=event.changed_at, now=now, late=late)
    posts: list[PostedCopy] = []
    for destination in route(runtime.settings, "alarms", alarm_fields(event)):
        posted = runtime.notifier.post(destination.channel, message)
        posts.append(PostedCopy(destination.channel, posted.channel, posted.ts))
        first = posts[0]
        done = replace(closed, channel=first.channel, ts=first.ts)
        # Saved after each post: a retry then finds it posted and posts nothing again.
        save_incident(runtime.state, IncidentRecord(done, event.name, tuple(posts)), now=now)


def post_root(
    event: AlarmEvent,
    runtime: Runtime,
    incident: Incident,
    done: tuple[PostedCopy, ...],
    now: datetime,
    late: timedelta | None = None,
    *,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Post the root message to every routed channel not posted yet, saving after each post.

    A change delivered late pings no one: the route's mention and the owner are left out. The
    root lists the table's recent changes (from its ``context`` item, read with the incident)
    and carries "I'm on it"; on a route in an alarm storm it goes into the storm summary's
    thread instead (bot.flows.alarms.storms).
    """
    # Root posts only: keeps cold starts lean.
    from bot.aws.table_context import context_from
    from bot.flows.alarms.context import root_context, table_owner

    destinations = route(runtime.settings, "alarms", alarm_fields(event))
    missing = [d for d in destinations if d.channel not in {p.to for p in done}]
    fetched = None
    if missing and event.region and not event.is_composite and event.contributor is None:
        fetched = _recent_values(event, runtime, now)
    datapoints = fetched or event.recent_datapoints or None
    posts = list(done)
    if not missing and posts:
        first = posts[0]
        finished = replace(incident, channel=first.channel, ts=first.ts)
        save_incident(runtime.state, IncidentRecord(finished, event.name, tuple(posts)), now=now)
    pages = event.state is AlarmState.ALARM and late is None and event.suppression is None
    table_context = context_from(context)
    extras = root_context(event, runtime, table_context, opened_at=incident.opened_at)
    labels = (_label(runtime, event), table_label(runtime, event))

    def render(mention: str | None, with_owner: bool) -> Message:
        return render_alarm(
            event,
            now=now,
            datapoints=datapoints,
            incident_opened_at=None,
            mention=mention,
            account_label=labels[0],
            late=late,
            table_account_label=labels[1],
            extras=extras if with_owner else replace(extras, owner=None),
        )

    # The root as stored (for the ack's update and a storm's thread): nobody mentioned.
    stored = render(None, False)
    owner_read = False
    for index, destination in enumerate(missing):
        copy = None
        if event.state is AlarmState.ALARM:
            from bot.flows.alarms.storms import fold_into_storm  # root posts only

            copy = fold_into_storm(event, runtime, destination, stored, now, pages=pages)
        if copy is None:
            if pages and not owner_read:  # a root that pages (not one folded into a storm)
                extras = replace(extras, owner=table_owner(event, runtime, table_context))
                owner_read = True
            message = render(destination.mention_text if pages else None, True)
            posted = runtime.notifier.post(destination.channel, message)
            copy = PostedCopy(destination.channel, posted.channel, posted.ts)
        posts.append(copy)
        last = index == len(missing) - 1
        first = posts[0]
        record = IncidentRecord(
            incident=replace(incident, channel=first.channel, ts=first.ts),
            alarm_name=event.name,
            posts=tuple(posts),
            posting="" if last else event.message_id,
            root=stored.as_args(),
        )
        save_incident(runtime.state, record, now=now, new=not done and index == 0)
    if event.state is AlarmState.ALARM:
        from bot.flows.alarms.chart import post_chart  # firing alarms only: load on use

        post_chart(event, runtime, posts)
