"""Alarm storms on a route: more than `[alarms] storm_count` alarms opening within
`storm_minutes` fold into one summary message, with each alarm's message in its thread.

The delivery that finds the route in a storm first claims the summary (a conditional write),
posts it, and moves the roots the storm's earlier alarms posted into its thread (their
messages as posted, deleted from the channel), so the channel keeps one message per storm.
Later alarms reply in the thread. The summary is edited as alarms come and go, at most once
per REFRESH_S period of the clock while they arrive (each edit is a Slack call), and always
when the last one resolves. Which delivery edits it is read from the route's log as its own
append returned it (bot.domain.alarm_storms.opens_refresh_period), so an edit costs no
state-table call of its own: a folded alarm makes the 5 of a root.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime

from bot.aws.alarm_context import (
    claim_summary,
    read_storm,
    record_storm_entry,
    set_summary,
    trim_storm,
)
from bot.aws.incidents import IncidentRecord, PostedCopy, load_incident, save_incident
from bot.domain.alarm_events import AlarmEvent, AlarmState
from bot.domain.alarm_storms import (
    Storm,
    StormEntry,
    StormLog,
    entry_of,
    members_since,
    opens_refresh_period,
    storm_of,
    trimmed,
)
from bot.flows.routing import Destination
from bot.render.alarm_context import ack_line, with_ack
from bot.render.alarm_storms import render_storm_summary
from bot.render.message import Message
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Pauses while another delivery posts the summary (it claimed it a moment ago).
SUMMARY_WAITS_S = (0.2, 0.5, 1.0, 2.0)


def _record(runtime: Runtime, channel: str, entry: StormEntry, now: datetime) -> StormLog:
    """Append to the route's log (trimming it when it has grown long)."""
    found = record_storm_entry(runtime.state, channel, entry, now=now)
    window_s = runtime.settings.alarm_storm_window.total_seconds()
    kept = trimmed(found, entry.at, window_s)
    if kept is not None:
        trim_storm(runtime.state, channel, kept, len(found.entries))
    return found


def storm_of_log(runtime: Runtime, found: StormLog, now: datetime) -> Storm | None:
    """The storm the route is in, by the configured count and window."""
    settings = runtime.settings
    return storm_of(
        found,
        now.timestamp(),
        count=settings.alarm_storm_count,
        window_s=settings.alarm_storm_window.total_seconds(),
    )


def fold_into_storm(
    event: AlarmEvent,
    runtime: Runtime,
    destination: Destination,
    message: Message,
    now: datetime,
    *,
    pages: bool,
) -> PostedCopy | None:
    """Count the alarm on its route; in a storm, post ``message`` in the summary's thread and
    return where it landed. None: no storm (or no summary to reply to): post a root."""
    channel = destination.channel
    found = _record(runtime, channel, entry_of(event, AlarmState.ALARM, now.timestamp()), now)
    storm = storm_of_log(runtime, found, now)
    if storm is None:
        return None
    summary = _summary(runtime, destination, found, storm, now, pages=pages)
    if summary is None:
        log.warning("storm on %s: no summary to reply to; posting a root", channel)
        return None
    summary_channel, summary_ts, created = summary
    reply = runtime.notifier.post(summary_channel, message, thread_ts=summary_ts)
    if not created and opens_refresh_period(found):
        _refresh(runtime, (summary_channel, summary_ts), storm, now)
    return PostedCopy(channel, reply.channel, reply.ts, thread=summary_ts)


def _summary(
    runtime: Runtime,
    destination: Destination,
    found: StormLog,
    storm: Storm,
    now: datetime,
    *,
    pages: bool,
) -> tuple[str, str, bool] | None:
    """(channel, ts, created by this delivery) of the storm's summary, posting it if ours."""
    channel = destination.channel
    if found.summary_since == storm.since and found.summary_ts:
        return found.summary_channel, found.summary_ts, False
    if claim_summary(runtime.state, channel, storm.since):
        mention = destination.mention_text if pages else None
        posted = runtime.notifier.post(
            channel, render_storm_summary(storm, now=now, mention=mention)
        )
        set_summary(runtime.state, channel, posted.channel, posted.ts)
        _move_roots(runtime, channel, storm, (posted.channel, posted.ts), now)
        return posted.channel, posted.ts, True
    for pause in SUMMARY_WAITS_S:
        time.sleep(pause)
        current = read_storm(runtime.state, channel)
        since = current.summary_since
        if since is not None and since >= storm.since and current.summary_ts:
            return current.summary_channel, current.summary_ts, False
    return None


def _move_roots(
    runtime: Runtime, to: str, storm: Storm, summary: tuple[str, str], now: datetime
) -> None:
    """Move the roots the storm's earlier alarms posted on this route into the summary's
    thread: each is posted there as it was (with its ack), and deleted from the channel."""
    channel, ts = summary
    for member in storm.members:
        record = load_incident(runtime.state, member.arn)
        if record is None or not record.incident.is_open or record.root is None:
            continue
        moved = []
        for copy in record.copies:
            if copy.to != to or copy.thread:
                moved.append(copy)
                continue
            message = _stored(record)
            reply = runtime.notifier.post(channel, message, thread_ts=ts)
            runtime.notifier.delete(copy.channel, copy.ts)
            moved.append(replace(copy, channel=reply.channel, ts=reply.ts, thread=ts))
        if moved != list(record.copies):
            first = moved[0]
            incident = replace(record.incident, channel=first.channel, ts=first.ts)
            save_incident(
                runtime.state, replace(record, incident=incident, posts=tuple(moved)), now=now
            )


def _stored(record: IncidentRecord) -> Message:
    root = record.root or {}
    if record.ack is not None:
        line = ack_line(record.ack.by, record.ack.at, record.incident.opened_at)
        return with_ack(root, line)
    options = {k: v for k, v in root.items() if k not in ("text", "blocks")}
    return Message(str(root.get("text", "")), tuple(root.get("blocks") or ()), options=options)


def _refresh(runtime: Runtime, summary: tuple[str, str], storm: Storm, now: datetime) -> None:
    """Edit the summary to the storm as it is now."""
    runtime.notifier.update(summary[0], summary[1], render_storm_summary(storm, now=now))


def storm_member_resolved(
    event: AlarmEvent, runtime: Runtime, copy: PostedCopy, now: datetime
) -> None:
    """A folded alarm resolved: note it in the route's log and refresh the summary (always
    when it was the last one firing: of resolutions arriving at once, only the one appended
    last sees none firing)."""
    found = _record(runtime, copy.to, entry_of(event, AlarmState.OK, now.timestamp()), now)
    if found.summary_since is None or found.summary_ts != copy.thread:
        return  # a later storm's summary replaced it: nothing to edit
    storm = Storm(found.summary_since, members_since(found.entries, found.summary_since))
    summary = (found.summary_channel or copy.channel, found.summary_ts)
    if storm.firing == 0 or opens_refresh_period(found):
        _refresh(runtime, summary, storm, now)
