"""The embedded runtime's clock: the wall clock of the whole process, moved with time-machine.

Moving the process clock (not only the runtime's) keeps everything that reads time in step:
the handlers, moto's timestamps (backup creation times, alarm state times, queue delays) and
the signatures of the local Slack requests. The clock only moves forward, so what the embedded
AWS has already recorded never lies in the future.

`opsbot local --now TIME` (or a script whose first line is `clock TIME`) starts it at TIME;
`clock +20m` and `clock TIME` move it on; `replay --at-event-time` moves it to each event's
own time, so a captured event reads as it did when it arrived.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine

from bot.domain.errors import InvalidValue
from bot.domain.times import format_utc, parse_aws_time, parse_duration, parse_time

CLOCK_FORM = "an ISO 8601 time with a zone (2026-11-22T09:00:00Z) or a step forward (+20m, +2h)"


class ClockError(ValueError):
    """A clock line or option that cannot be honoured; the message says why."""


class EmbeddedClock:
    """The process's wall clock, real until it is first set, ticking from wherever it is set."""

    def __init__(self, start: datetime | None = None) -> None:
        self._traveller: Any = None
        self._coordinates: Any = None
        if start is not None:
            self._travel(start)

    @property
    def moved(self) -> bool:
        """Whether the clock was ever set (False: the machine's own time)."""
        return self._traveller is not None

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def advance_to(self, when: datetime) -> bool:
        """Move forward to ``when``; False (and no move) when ``when`` is not in the future."""
        if when <= self.now():
            return False
        if self._coordinates is None:
            self._travel(when)
        else:
            self._coordinates.move_to(when)
        return True

    def set(self, text: str) -> datetime:
        """A `clock` line's argument: an absolute time or `+DURATION`; returns the new time."""
        now = self.now()
        target = parse_clock(text, now)
        if target <= now:
            raise ClockError(
                f"the embedded clock only moves forward: it is {format_utc(now)} and "
                f"{format_utc(target)} is not later (start a session at an earlier time "
                "with `opsbot local --now TIME`)"
            )
        self.advance_to(target)
        return target

    def stop(self) -> None:
        """Give the process its own clock back."""
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = self._coordinates = None

    def _travel(self, when: datetime) -> None:
        self._traveller = time_machine.travel(when, tick=True)
        self._coordinates = self._traveller.start()


def parse_clock(text: str, now: datetime) -> datetime:
    """`+20m` (from ``now``) or an ISO 8601 time with a zone; raises ClockError naming the form."""
    candidate = text.strip()
    try:
        if candidate.startswith("+"):
            return now + parse_duration(candidate[1:])
        if not candidate or "T" not in candidate.upper():
            raise InvalidValue(f"`{candidate}` is not a time")
        return parse_time(candidate, now)
    except InvalidValue:
        raise ClockError(f"`{candidate[:60]}` is not {CLOCK_FORM}") from None


def start_of_script(lines: list[str]) -> datetime | None:
    """The time a script's leading `clock TIME` line asks to start at, or None."""
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        verb, _, rest = text.partition(" ")
        if verb != "clock" or rest.strip().startswith("+"):
            return None
        return parse_clock(rest, datetime.now(UTC))
    return None


def event_time(event: Any) -> datetime | None:
    """When the change an event reports happened, as AWS wrote it into the event; None when it
    carries no time opsbot knows."""
    if not isinstance(event, dict):
        return None
    detail = event.get("detail")
    if isinstance(detail, dict):
        for key in ("eventTime", "time"):
            if isinstance(detail.get(key), str):
                return _parsed(detail[key])
        state = detail.get("state")
        if isinstance(state, dict) and isinstance(state.get("timestamp"), str):
            return _parsed(state["timestamp"])
    if isinstance(event.get("time"), str):
        return _parsed(event["time"])
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return _record_time(records[0])
    return None


def _record_time(record: dict[str, Any]) -> datetime | None:
    sns = record.get("Sns")
    if isinstance(sns, dict):
        try:
            message = json.loads(str(sns.get("Message", "")))
        except ValueError:
            message = None
        if isinstance(message, dict) and isinstance(message.get("StateChangeTime"), str):
            return _parsed(message["StateChangeTime"])
        return _parsed(sns.get("Timestamp"))
    if isinstance(record.get("eventTime"), str):
        return _parsed(record["eventTime"])
    sent = (record.get("attributes") or {}).get("SentTimestamp")
    if isinstance(sent, str) and sent.isdigit():
        return datetime.fromtimestamp(int(sent) / 1000, UTC)
    return None


def _parsed(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_aws_time(text)
    except ValueError:
        return None
