"""The summary of an alarm storm on one route: how many alarms, which tables, worst first, with
each alarm's own message in the summary's thread. Alarm and table names come from events and
are escaped (code spans)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.alarm_storms import Storm, StormMember
from bot.domain.times import format_relative, format_utc
from bot.render.message import Message, code, context, escape, header, section

MAX_LISTED = 15
MAX_TABLES = 10


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _line(member: StormMember, now: datetime) -> str:
    emoji = ":rotating_light:" if member.firing else ":white_check_mark:"
    table = f" · table {code(member.table)}" if member.table else ""
    metric = f" · {escape(member.metric)}" if member.metric else ""
    state = f"since {format_relative(_at(member.opened_at), now)}" if member.firing else "resolved"
    return f"{emoji} {code(member.name)}{table}{metric} · {state}"


def render_storm_summary(storm: Storm, *, now: datetime, mention: str | None = None) -> Message:
    """One message for many alarms opening together on a route; updated as they come and go."""
    total, firing = len(storm.members), storm.firing
    tables = storm.tables
    shown_tables = ", ".join(code(t) for t in tables[:MAX_TABLES])
    if len(tables) > MAX_TABLES:
        shown_tables += f" and {len(tables) - MAX_TABLES} more"
    emoji = ":rotating_light:" if firing else ":white_check_mark:"
    title = f"{firing} of {total} alarms firing" if firing else f"all {total} alarms resolved"
    lead = (
        f"*Alarm storm: {title}* since {format_utc(_at(storm.since))}. "
        "Each alarm is in this thread, with its own buttons."
    )
    if mention:
        lead = f"{mention} {lead}"
    lines = [_line(m, now) for m in storm.members[:MAX_LISTED]]
    if total > MAX_LISTED:
        lines.append(f"…and {total - MAX_LISTED} more in the thread")
    blocks = [
        header(f"{emoji} Alarm storm · {total} alarms"),
        section(lead, fields=[f"*Tables*\n{shown_tables or 'none named'}"]),
        section("\n".join(lines)),
        context(f"Updated {format_utc(now)}; worst first: errors, throttling, latency."),
    ]
    text = f"{emoji} Alarm storm: {title}"
    return Message(
        text=f"{mention} {text}" if mention else text,
        blocks=tuple(blocks),
        options={"unfurl_links": False, "unfurl_media": False},
    )
