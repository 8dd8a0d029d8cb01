"""Durations and points in time as people type and read them. Pure; `now` is always passed in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.errors import InvalidValue
from bot.domain.patterns import Lazy
from bot.domain.typed import quoted

_DURATION = Lazy(r"^\s*(\d+)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGO = Lazy(r"^\s*(\d+\s*(?:s|m|min|h|d|w))\s+ago\s*$", re.IGNORECASE)
_CLOCK = Lazy(r"^\s*([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?\s*$")

DURATION_FORM = "a number and a unit: 90m, 12h, 30d or 2w"
MAX_DURATION_S = 100 * 366 * 86400
# No count or duration opsbot reads needs more digits; int() refuses over 4300 (a ValueError).
MAX_DIGITS = 18
TIME_FORM = "ISO 8601 with a zone (2026-11-20T10:42:00Z), HH:MM (today, UTC) or '2h ago'"


def parse_duration(text: str) -> timedelta:
    """'30d' -> 30 days; units s, m (min), h, d, w. Raises InvalidValue naming the form."""
    match = _DURATION.fullmatch(text)
    number = whole_number(match.group(1)) if match else 0
    if not match or number == 0:
        raise InvalidValue(f"{quoted(text)} is not a duration; use {DURATION_FORM}")
    unit = _UNIT_SECONDS[match.group(2).lower()]
    if number is None or number * unit > MAX_DURATION_S:  # None: too many digits to read
        raise InvalidValue(f"{quoted(text)} is longer than 100 years; use {DURATION_FORM}")
    return timedelta(seconds=number * unit)


def whole_number(digits: str) -> int | None:
    """The value of a string of digits; None when it has more than MAX_DIGITS significant
    digits (Python's int() raises ValueError past 4300, which no caller should meet)."""
    significant = digits.lstrip("0")
    if len(significant) > MAX_DIGITS:
        return None
    return int(significant or "0")


def parse_time(text: str, now: datetime) -> datetime:
    """A point in time in any of the accepted forms, as an aware UTC datetime."""
    ago = _AGO.fullmatch(text)
    if ago:
        return now - parse_duration(ago.group(1))
    clock = _CLOCK.fullmatch(text)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        return now.astimezone(UTC).replace(hour=hour, minute=minute, second=second, microsecond=0)
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        raise InvalidValue(f"{quoted(text, 60)} is not a time; use {TIME_FORM}") from None
    if parsed.tzinfo is None:
        raise InvalidValue(
            f"{quoted(text, 60)} has no time zone; add `Z` for UTC, or use {TIME_FORM}"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{quoted(text, 60)} is out of range; use {TIME_FORM}") from None


def future_time_problem(option: str, typed: str, when: datetime, now: datetime) -> str:
    """Why ``option typed`` (resolved to ``when``) cannot be used: it is in the future. A
    clock time (`10:42`, today in UTC) offers the same time the day before."""
    shown = quoted(f"{option} {typed}", 60)
    if _CLOCK.fullmatch(typed):
        before = when - timedelta(days=1)
        iso = before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{shown} is {_instant(when)}, in the future; did you mean {_instant(before)} "
            f"(`{option} {iso}`)?"
        )
    return f"{shown} is {_instant(when)}, in the future (it is {format_utc(now)} now)"


def _instant(when: datetime) -> str:
    """'2026-11-23 10:42 UTC', with seconds when it has any."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC") if utc.second else format_utc(utc)


def format_duration(delta: timedelta | float) -> str:
    """A compact human duration: '45s', '23 min', '2 h 5 min', '3 d 4 h'."""
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_relative(when: datetime, now: datetime) -> str:
    """'5 min ago', '3 d ago', 'in 2 h' (coarse, for reading at a glance)."""
    delta = now - when
    if abs(delta) < timedelta(seconds=45):
        return "just now"
    text = _coarse(abs(delta))
    return f"{text} ago" if delta > timedelta(0) else f"in {text}"


def _coarse(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    if days < 60:
        return f"{days} d"
    if days < 730:
        return f"{days // 30} mo"
    return f"{days // 365} y"


def format_utc(when: datetime) -> str:
    """'2026-11-20 10:42 UTC'."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_aws_time(text: str) -> datetime:
    """Timestamps as AWS writes them in events: '2026-11-22T09:42:10.123+0000', '...Z'."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    elif re.search(r"[+-]\d{4}$", candidate):
        candidate = candidate[:-2] + ":" + candidate[-2:]
    parsed = datetime.fromisoformat(candidate)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def aws_time_or_none(value: object) -> datetime | None:
    """:func:`parse_aws_time` of text from an event; None when absent, blank or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_aws_time(value)
    except ValueError:
        return None


def stored_time(value: Any) -> datetime | None:
    """A time as a record stores it (ISO text or a datetime); None when empty, UTC when naive."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
