"""Contributors of multi-time-series alarms (Metrics Insights ``GROUP BY TableName``): each
contributor's state change is a reply in its parent alarm's incident thread.

CloudWatch sends the alarm's own state change and one "CloudWatch Alarm Contributor State
Change" per contributor, in no set order. A contributor in ALARM whose parent has no open
incident yet opens it (the parent is in ALARM whenever one of its contributors is), so the
contributor always has a thread to go to; the parent's own event then replies in that thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.aws.incidents import IncidentRecord, load_alarm, load_incident
from bot.aws.table_context import alarm_context_pk
from bot.domain.alarm_events import AlarmEvent, AlarmState, subject_of
from bot.domain.incidents import decide
from bot.flows.alarms.incidents import post_root
from bot.render.alarm_replies import render_contributor
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def deliver_contributor(event: AlarmEvent, runtime: Runtime) -> str:
    """Reply in the parent alarm's thread (opening it for a contributor in ALARM); what was
    done: ``contributor_reply``, ``post_root`` (opened, then replied), ``suppress`` or
    ``ignore``."""
    now = runtime.now()
    arn = event.arn or event.name
    parent = replace(event, contributor=None, subject=subject_of(event.metrics))
    record, silenced_until, context = load_alarm(
        runtime.state, arn, context_pk=alarm_context_pk(parent)
    )
    if silenced_until is not None and now < silenced_until:
        log.info("contributor of %s silenced until %s", event.name, silenced_until.isoformat())
        return "suppress"
    if record is not None and record.copies and record.incident.is_open:
        _reply(event, runtime, record)
        return "contributor_reply"
    if event.state is not AlarmState.ALARM:
        if record is not None and record.copies:
            _reply(event, runtime, record)  # back to OK after its alarm resolved: same thread
            return "contributor_reply"
        log.info("contributor of %s is %s with no thread to reply in", event.name, event.state)
        return "ignore"
    current = record.incident if record is not None else None
    decision = decide(parent, current, silenced_until, now)
    if decision.kind != "post_root" or decision.incident is None:
        log.info("contributor of %s: %s (%s)", event.name, decision.kind, decision.reason)
        return "ignore"
    post_root(parent, runtime, decision.incident, (), now, context=context)
    opened = load_incident(runtime.state, arn)
    if opened is not None:
        _reply(event, runtime, opened)
    return "post_root"


def _reply(event: AlarmEvent, runtime: Runtime, record: IncidentRecord) -> None:
    message = render_contributor(event, runtime.now())
    for copy in record.copies:
        runtime.notifier.post(copy.channel, message, thread_ts=copy.thread_ts)
