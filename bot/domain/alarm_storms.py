"""Alarm storms: when more than N alarms open within M minutes on one route, they fold into
one summary message (count, tables, worst first) with each alarm in its thread.

The route's log (bot.aws.alarm_context) lists each alarm opening and resolving with its arrival
time; :func:`storm_of` reads it at one moment and says whether the route is in a storm, since
when, and its members. Once a summary is posted, the storm lasts while any member still fires
or alarms keep opening within M minutes; after that the route posts roots again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from bot.domain.alarm_events import AlarmEvent, AlarmState
from bot.domain.records import frozen

REFRESH_S: Final = 15.0  # a storm's summary is edited at most once per period this long
_KEEP_ENTRIES: Final = 200  # a longer log is trimmed to what a storm still needs
_TRIM_AT_LEAST: Final = _KEEP_ENTRIES // 4  # ... when that drops this many entries or more


@frozen
class StormEntry:
    """One alarm opening (``state`` ALARM) or resolving (OK) on a route, at arrival time."""

    at: float
    arn: str
    name: str
    table: str
    metric: str
    state: str


@frozen
class StormLog:
    """A route's log, and the summary of its storm when one was posted."""

    entries: tuple[StormEntry, ...] = ()
    summary_since: float | None = None
    summary_channel: str = ""
    summary_ts: str = ""


@frozen
class StormMember:
    """One alarm of a storm: what it is about, when it opened, whether it still fires."""

    arn: str
    name: str
    table: str
    metric: str
    opened_at: float
    firing: bool


@frozen
class Storm:
    """A storm on a route: since when, and its members worst first."""

    since: float
    members: tuple[StormMember, ...]

    @property
    def firing(self) -> int:
        """How many members still fire."""
        return sum(1 for m in self.members if m.firing)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables concerned, in the order of the members."""
        return tuple(dict.fromkeys(m.table for m in self.members if m.table))


# Worst first: errors, then throttling, then replication and latency, then the rest.
_RANKS: Final = (("Errors", 0), ("Throttle", 1), ("Replication", 2), ("Latency", 3))


def _rank(metric: str) -> int:
    return next((rank for word, rank in _RANKS if word in metric), len(_RANKS))


def members_since(entries: Iterable[StormEntry], since: float) -> tuple[StormMember, ...]:
    """The alarms that opened at or after ``since``, their latest state, worst first."""
    found: dict[str, StormMember] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        known = found.get(entry.arn)
        if known is None:
            if entry.state != "ALARM" or entry.at < since:
                continue
            found[entry.arn] = StormMember(
                entry.arn, entry.name, entry.table, entry.metric, entry.at, True
            )
        else:
            opened = known.opened_at if known.firing or entry.state != "ALARM" else entry.at
            found[entry.arn] = StormMember(
                known.arn, known.name, known.table, known.metric, opened, entry.state == "ALARM"
            )
    return tuple(
        sorted(found.values(), key=lambda m: (not m.firing, _rank(m.metric), m.opened_at, m.name))
    )


def entry_of(event: AlarmEvent, state: AlarmState, at: float) -> StormEntry:
    """The log entry of an alarm opening (ALARM) or resolving (OK) at ``at``."""
    metric = event.primary_metric
    subject = event.subject
    return StormEntry(
        at=at,
        arn=event.arn or event.name,
        name=event.name,
        table=subject.table or (f"DAX {subject.dax_cluster}" if subject.dax_cluster else ""),
        metric=metric.name if metric else "",
        state=state.value,
    )


def storm_of(log: StormLog, now: float, *, count: int, window_s: float) -> Storm | None:
    """The storm the route is in at ``now`` (None: post roots as usual).

    A storm begins when more than ``count`` distinct alarms opened within ``window_s`` before
    ``now``. A storm with a summary goes on while a member fires or the last alarm opened
    within ``window_s`` (judged on what arrived before ``now``: the alarm opening now does
    not keep a finished storm going).
    """
    if log.summary_since is not None:
        before = [e for e in log.entries if e.at < now]
        last_open = max((e.at for e in before if e.state == "ALARM"), default=0.0)
        live = any(m.firing for m in members_since(before, log.summary_since))
        if live or now - last_open <= window_s:
            return Storm(log.summary_since, members_since(log.entries, log.summary_since))
    recent = [e for e in log.entries if e.state == "ALARM" and now - window_s <= e.at <= now]
    if len({e.arn for e in recent}) <= count:
        return None
    since = min(e.at for e in recent)
    return Storm(since, members_since(log.entries, since))


def opens_refresh_period(log: StormLog) -> bool:
    """Whether the log's newest entry is the first, in the log's order, of its REFRESH_S
    period of the clock: its delivery edits the summary, so the summary is edited at most
    once per period.

    The entry is the caller's own (it was appended atomically and the log read back in the
    same call), so exactly one delivery of the many that arrive at once makes the edit, and
    without a claim of its own: no entry before it in the log reached its period. Entries
    whose clocks disagree by a little are judged in log order, so a late-stamped entry never
    opens a period an earlier-appended one already reached.
    """
    if not log.entries:
        return False
    *earlier, newest = log.entries
    period = newest.at // REFRESH_S
    return all(e.at // REFRESH_S < period for e in earlier)


def trimmed(log: StormLog, now: float, window_s: float) -> tuple[StormEntry, ...] | None:
    """The entries worth keeping when the log has grown long: those of the current storm and
    of the last ``window_s``. None: keep it as it is, because it is short enough or trimming
    would drop fewer than a quarter of _KEEP_ENTRIES (a write that frees little, made by
    every delivery while a long storm keeps its entries)."""
    if len(log.entries) <= _KEEP_ENTRIES:
        return None
    floor = now - window_s
    if log.summary_since is not None:
        floor = min(floor, log.summary_since)
    firing = {m.arn for m in members_since(log.entries, 0.0) if m.firing}
    kept = tuple(e for e in log.entries if e.at >= floor or e.arn in firing)
    return kept if len(log.entries) - len(kept) >= _TRIM_AT_LEAST else None
