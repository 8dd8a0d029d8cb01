"""How an alarm message says its actions were suppressed (a composite alarm's suppressor) or
muted (an alarm mute rule), so nobody was paged. Names come from the event and are escaped."""

from __future__ import annotations

from bot.domain.alarm_events import AlarmEvent
from bot.domain.times import format_utc
from bot.render.message import code, escape

REASON_LIMIT = 600


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SUPPRESSED_BY = {
    "WaitPeriod": "waiting for its suppressor alarm to go into ALARM",
    "ExtensionPeriod": "its suppressor alarm left ALARM moments ago",
    "Alarm": "its suppressor alarm is in ALARM",
}


def suppression_line(event: AlarmEvent) -> str:
    """':mute: Muted by alarm mute rule `night` ...' (escaped); '' when its actions ran."""
    found = event.suppression
    if found is None:
        return ""
    if found.kind == "muted":
        window = ""
        if found.window_start and found.window_end:
            window = f" ({format_utc(found.window_start)} → {format_utc(found.window_end)})"
        return (
            f":mute: *Muted* by alarm mute rule {code(found.by)}{window}: "
            "CloudWatch ran none of its actions, so nobody was paged."
        )
    by = f" by suppressor alarm {code(found.suppressor)}" if found.suppressor else ""
    why = _SUPPRESSED_BY.get(found.by, escape(found.by))
    line = f":mute: *Actions suppressed*{by} ({escape(found.by)}: {why}); nobody was paged."
    if found.reason and found.reason != f"Actions suppressed by {found.by}":
        line += f"\n{escape(_clip(found.reason, REASON_LIMIT))}"
    return line


def suppressed_suffix(event: AlarmEvent) -> str:
    """' (muted by night)' for the text a notification shows; '' when its actions ran."""
    found = event.suppression
    if found is None:
        return ""
    if found.kind == "muted":
        return f" (muted by {escape(found.by)})"
    return f" (actions suppressed by {escape(found.suppressor or found.by)})"
