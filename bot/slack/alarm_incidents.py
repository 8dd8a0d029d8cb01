"""Alarm notifications in Slack: one root message per incident, repeats in its thread, the
root updated on OK; each delivery handled once.

Order per delivery: claim it, post, store. A failure releases the claim and re-raises so
the platform retries; root messages already posted are remembered after each post, so the
retry posts only the copies that are missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.aws.alarms import (
    IncidentRecord,
    PostedCopy,
    load_incident,
    load_silence,
    recent_values,
    save_incident,
)
from bot.domain.alarms import AlarmEvent, AlarmState, Incident, decide, parse_sns_alarm
from bot.domain.errors import InvalidValue
from bot.render.alarms import (
    render_alarm,
    render_resolved,
    render_resolved_reply,
    render_thread_repeat,
)
from bot.runtime import Runtime
from bot.slack.routing import route

log = logging.getLogger(__name__)

SCOPE = "alarm"
_LEASE_S = 300
_KEEP_S = 7 * 86400
DROPPED = "dropped"


def alarm_fields(event: AlarmEvent) -> dict[str, Any]:
    """The fields routes match: namespace, metric, table, region, account, state, name."""
    metric = event.primary_metric
    return {
        "namespace": metric.namespace if metric else None,
        "metric": metric.name if metric else None,
        "table": event.subject.table,
        "region": event.region,
        "account": event.account,
        "state": event.state.value,
        "name": event.name,
    }


def deliver_alarm_message(message: Mapping[str, Any], message_id: str, runtime: Runtime) -> str:
    """Handle one alarm message (SNS JSON or EventBridge event) once; returns what was done.

    The answer is a decision kind of :func:`bot.domain.alarms.decide`, ``"duplicate"`` for a
    delivery already handled, or ``"dropped"`` for a payload that is not an alarm (logged).
    Unexpected errors (Slack down, DynamoDB errors) are re-raised after releasing the claim.
    """
    try:
        event = parse_sns_alarm(message, message_id=message_id)
    except InvalidValue as exc:
        log.warning("dropping an alarm message %s: %s", message_id or "(no id)", exc.message)
        return DROPPED
    key = message_id or f"{event.arn or event.name}|{event.state.value}|{event.changed_at}"
    state = runtime.state
    if not state.claim_once(SCOPE, key, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S):
        log.info("alarm message %s already handled", key)
        return "duplicate"
    try:
        kind = deliver(event, runtime)
    except Exception:
        state.release_once(SCOPE, key)
        raise
    state.complete_once(SCOPE, key, result={"decision": kind})
    return kind


def deliver(event: AlarmEvent, runtime: Runtime) -> str:
    """Decide what the event does to its incident, do it in Slack, and store the incident."""
    now = runtime.now()
    arn = event.arn or event.name
    record = load_incident(runtime.state, arn)
    if record is not None and record.posting and record.posting == event.message_id:
        # A retry of a root post that failed half-way: post only the missing copies.
        _post_root(event, runtime, record.incident, record.posts, now)
        return "post_root"
    silenced_until = load_silence(runtime.state, arn)
    current = record.incident if record is not None else None
    decision = decide(event, current, silenced_until, now)
    log.info("alarm %s %s: %s (%s)", event.name, event.state.value, decision.kind, decision.reason)
    if decision.kind == "post_root" and decision.incident is not None:
        _post_root(event, runtime, decision.incident, (), now)
    elif decision.kind == "thread_repeat" and record is not None and decision.incident:
        message = render_thread_repeat(event, now)
        for copy in record.copies:
            runtime.notifier.post(copy.channel, message, thread_ts=copy.ts)
        save_incident(runtime.state, replace(record, incident=decision.incident), now=now)
    elif decision.kind == "resolve" and record is not None and decision.incident:
        opened = record.incident.opened_at
        resolved = render_resolved(event, opened_at=opened, now=now)
        reply = render_resolved_reply(event, opened, now)
        for copy in record.copies:
            runtime.notifier.update(copy.channel, copy.ts, resolved)
            runtime.notifier.post(copy.channel, reply, thread_ts=copy.ts)
        closed = replace(record, incident=decision.incident, posting="")
        save_incident(runtime.state, closed, now=now)
    elif decision.kind == "post_info":
        for destination in route(runtime.settings, "alarms", alarm_fields(event)):
            message = render_alarm(
                event, now=now, datapoints=None, incident_opened_at=None, mention=None
            )
            runtime.notifier.post(destination.channel, message)
    return decision.kind


def _post_root(
    event: AlarmEvent,
    runtime: Runtime,
    incident: Incident,
    done: tuple[PostedCopy, ...],
    now: datetime,
) -> None:
    """Post the root message to every routed channel not posted yet, saving after each post."""
    destinations = route(runtime.settings, "alarms", alarm_fields(event))
    missing = [d for d in destinations if d.channel not in {p.to for p in done}]
    fetched = None
    if missing and event.region and not event.is_composite:
        fetched = recent_values(runtime.client("cloudwatch", event.region), event, now=now)
    datapoints = fetched or event.recent_datapoints or None
    posts = list(done)
    if not missing and posts:
        first = posts[0]
        finished = replace(incident, channel=first.channel, ts=first.ts)
        save_incident(runtime.state, IncidentRecord(finished, event.name, tuple(posts)), now=now)
    for index, destination in enumerate(missing):
        mention = destination.mention_text if event.state is AlarmState.ALARM else None
        message = render_alarm(
            event, now=now, datapoints=datapoints, incident_opened_at=None, mention=mention
        )
        posted = runtime.notifier.post(destination.channel, message)
        posts.append(PostedCopy(destination.channel, posted.channel, posted.ts))
        last = index == len(missing) - 1
        first = posts[0]
        record = IncidentRecord(
            incident=replace(incident, channel=first.channel, ts=first.ts),
            alarm_name=event.name,
            posts=tuple(posts),
            posting="" if last else event.message_id,
        )
        save_incident(runtime.state, record, now=now)
