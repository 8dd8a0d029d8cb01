"""Alarm thread replies and notices: a repeat, a contributor, the resolve, a late delivery,
and a silence. Text from the alarm is escaped as in bot/render/alarms.py, whose helpers these
share.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.alarm_events import UNKNOWN_TIME, AlarmEvent, AlarmState
from bot.domain.times import format_utc
from bot.render.alarms import (
    REASON_LIMIT,
    STATE_EMOJI,
    _clip,
    _concerns,
    _delivered,
    _duration,
    _unit,
    _values_line,
    suppression_line,
)
from bot.render.message import Message, code, escape, section, user_mention


def _at(event: AlarmEvent, now: datetime) -> str:
    return format_utc(event.changed_at) if event.changed_at != UNKNOWN_TIME else format_utc(now)


def _with_values(line: str, event: AlarmEvent) -> str:
    values = _values_line(event.recent_datapoints, _unit(event))
    return f"{line} · {values}" if values else line


def render_thread_repeat(
    event: AlarmEvent, now: datetime, late: timedelta | None = None
) -> Message:
    """A short thread reply when an open incident's alarm fires again or loses its data."""
    at = _at(event, now)
    if event.state is AlarmState.INSUFFICIENT_DATA:
        line = f"{STATE_EMOJI[event.state]} No data (INSUFFICIENT_DATA) at {at}"
    else:
        line = f":repeat: Still in {event.state.value} at {at}"
    line = _with_values(line, event)
    if late is not None:
        line += f" · {_delivered(late)}"
    reason = f"\n{escape(_clip(event.reason, REASON_LIMIT))}" if event.reason else ""
    return Message(text=line, blocks=(section(line + reason),))


def render_contributor(event: AlarmEvent, now: datetime) -> Message:
    """A thread reply for one contributor of a multi-time-series alarm (one table of a
    Metrics Insights GROUP BY): which one, its new state, its value and why."""
    at = _at(event, now)
    contributor = event.contributor
    who = _concerns(event) if not event.subject.is_empty else "a contributor"
    if contributor is not None and event.subject.is_empty and contributor.attributes:
        who = " · ".join(f"{escape(k)} {code(v)}" for k, v in contributor.attributes)
    if event.state is AlarmState.OK:
        line = f"{STATE_EMOJI[AlarmState.OK]} {who} back to OK at {at}"
    else:
        line = f"{STATE_EMOJI[event.state]} {who} in {event.state.value} at {at}"
    line = _with_values(line, event)
    suppressed = suppression_line(event)
    reason = f"\n{escape(_clip(event.reason, REASON_LIMIT))}" if event.reason else ""
    ident = f"\ncontributor {code(contributor.id)}" if contributor and contributor.id else ""
    extra = f"\n{suppressed}" if suppressed else ""
    return Message(text=line, blocks=(section(line + reason + extra + ident),))


def render_resolved_reply(
    event: AlarmEvent, opened_at: datetime, now: datetime, late: timedelta | None = None
) -> Message:
    """The thread reply when an incident resolves: when, after how long, and why."""
    end = now if event.changed_at == UNKNOWN_TIME else event.changed_at
    line = (
        f"{STATE_EMOJI[AlarmState.OK]} Resolved at {format_utc(end)} "
        f"after {_duration(opened_at, event, now)}"
    )
    if late is not None:
        line += f" · {_delivered(late)}"
    reason = f"\n{escape(_clip(event.reason, REASON_LIMIT))}" if event.reason else ""
    return Message(text=line, blocks=(section(line + reason),))


def render_late_reply(event: AlarmEvent, late: timedelta) -> Message:
    """The thread note for a change delivered late, after the alarm had changed again."""
    line = (
        f":hourglass_flowing_sand: Late delivery: {event.state.value} at "
        f"{format_utc(event.changed_at)}, {_delivered(late)}. The alarm has changed "
        "since: this thread shows its newer state."
    )
    reason = f"\n{escape(_clip(event.reason, REASON_LIMIT))}" if event.reason else ""
    return Message(text=line, blocks=(section(line + reason),))


def render_silenced(alarm_name: str, until: datetime, by_user: str) -> Message:
    """The notice that someone silenced an alarm, and until when."""
    who = user_mention(by_user) or escape(by_user)
    line = (
        f":mute: {who} silenced *{escape(alarm_name)}* until {format_utc(until)}. "
        "Its alarms post nothing until then; a resolve still updates the open message."
    )
    return Message(text=line, blocks=(section(line),))
