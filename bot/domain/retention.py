"""Retention policies and the prune plan they give for a table's backups. Pure.

The rules follow restic's ``forget``:

- rules are ORed: a backup is kept when any rule keeps it;
- ``keep-last N`` keeps the N newest backups;
- calendar rules (hourly, daily, weekly, monthly, yearly; UTC; ISO weeks) count only periods
  that have a backup, newest period first, and keep the newest backup of each counted period;
- ``keep-within D`` keeps every backup newer than (newest backup - D). Like restic, D is
  measured from the newest backup, not from now, so a table whose backups stopped a month
  ago does not lose them all to a ``keep-within 7d`` policy;
- a policy without keep rules deletes nothing.

Safety rules on top (DESIGN.md section 5):

- only USER backups in status AVAILABLE are deletion candidates; SYSTEM and AWS Backup
  backups, and user backups still CREATING (or already DELETED), are listed and kept. The
  rules are computed over the candidates only, as restic computes them over the snapshots
  it may forget: a backup that is still being created cannot hold a day's place and
  cost the day's finished backup;
- the newest candidate is always kept, whatever the policy;
- nothing younger than ``min-age`` is deleted.

``plan_prune`` expects the backups of one table (the adapter lists one table at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from operator import attrgetter
from typing import NamedTuple

from bot.domain.backups import BackupInfo, BackupType, monthly_cost, total_bytes
from bot.domain.policy import RetentionPolicy, short_duration
from bot.domain.prune_jobs import ResolvedPolicy
from bot.domain.records import frozen

NEWEST = "newest backup"
NO_RULE = "no rule keeps it"
NO_POLICY = "no retention rules: nothing is deleted"
NOT_USER = "not a user backup: never deleted"


class Decision(NamedTuple):
    """Whether one backup is kept or deleted, and why."""

    # A NamedTuple, not a dataclass: a plan makes one per backup, and tuples build ~2x faster.

    backup: BackupInfo
    keep: bool
    reasons: tuple[str, ...]


@frozen
class PrunePlan:
    """Every backup of a table with its decision, newest first."""

    decisions: tuple[Decision, ...]

    @cached_property
    def to_delete(self) -> tuple[BackupInfo, ...]:
        """The backups the plan deletes, newest first."""
        return tuple(d.backup for d in self.decisions if not d.keep)

    @cached_property
    def to_keep(self) -> tuple[BackupInfo, ...]:
        """The backups the plan keeps, newest first."""
        return tuple(d.backup for d in self.decisions if d.keep)

    @property
    def bytes_freed(self) -> int:
        """The storage the deletions free (unknown sizes count as zero)."""
        return total_bytes(self.to_delete)

    def monthly_cost_saved(self, price_per_gb_month: float) -> float:
        """What the deletions save per month at a price per GB-month."""
        return monthly_cost(self.bytes_freed, price_per_gb_month)


# A calendar rule: where the period holding a UTC time starts, and the reason naming it.
_Start = Callable[[datetime], datetime]
_Label = Callable[[datetime], str]


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _week(t: datetime) -> datetime:
    return _day(t) - timedelta(days=t.weekday())  # ISO weeks start on Monday


def _month(t: datetime) -> datetime:
    return _day(t).replace(day=1)


def _year(t: datetime) -> datetime:
    return _day(t).replace(month=1, day=1)


def _week_label(t: datetime) -> str:
    year, week, _ = t.isocalendar()
    return f"weekly {year}-W{week:02d}"


_CALENDAR_RULES: tuple[tuple[str, _Start, _Label], ...] = (
    ("keep_hourly", _hour, lambda t: f"hourly {t:%Y-%m-%d %H}:00"),
    ("keep_daily", _day, lambda t: f"daily {t:%Y-%m-%d}"),
    ("keep_weekly", _week, _week_label),
    ("keep_monthly", _month, lambda t: f"monthly {t:%Y-%m}"),
    ("keep_yearly", _year, lambda t: f"yearly {t:%Y}"),
)


class _Counter:
    """One calendar rule while planning: periods left to keep, and where the last one starts."""

    __slots__ = ("label", "left", "start", "start_of")

    def __init__(self, left: int, start_of: _Start, label: _Label) -> None:
        self.left, self.start_of, self.label = left, start_of, label
        self.start: datetime | None = None


def plan_prune(backups: Iterable[BackupInfo], policy: RetentionPolicy, now: datetime) -> PrunePlan:
    """Decide, for each backup of one table, whether the policy keeps or deletes it."""
    ordered = _newest_first(backups)
    newest = next((b for b in ordered if _is_candidate(b)), None)
    if newest is None or policy.is_empty:
        return PrunePlan(tuple(_fixed(b, newest) for b in ordered))
    return PrunePlan(_Planner(policy, now, newest).decide_all(ordered))


def _is_candidate(backup: BackupInfo) -> bool:
    return backup.type is BackupType.USER and backup.status == "AVAILABLE"


def _newest_first(backups: Iterable[BackupInfo]) -> list[BackupInfo]:
    # One sort on the time alone: tuple keys (time, ARN) sort ~5x slower. Equal times, which
    # DynamoDB's millisecond stamps make rare, keep the listing order (the sort is stable).
    return sorted(backups, key=_CREATED, reverse=True)


def _fixed(backup: BackupInfo, newest: BackupInfo | None) -> Decision:
    """The decision for a backup the rules are not asked about (not a candidate, no rules)."""
    if backup.type is not BackupType.USER:
        return Decision(backup, True, (NOT_USER,))
    if backup.status != "AVAILABLE":
        return Decision(
            backup, True, (f"status {backup.status}: only available backups are deleted",)
        )
    if backup is newest:
        return Decision(backup, True, (NEWEST, NO_POLICY))
    return Decision(backup, True, (NO_POLICY,))


class _Planner:
    """The single newest-first pass of plan_prune over one table's backups."""

    def __init__(self, policy: RetentionPolicy, now: datetime, newest: BackupInfo) -> None:
        self.newest = newest
        self.last_left = policy.keep_last or 0
        self.last_reason = f"last {policy.keep_last}"
        self.counters = [
            _Counter(count, start_of, label)
            for attr, start_of, label in _CALENDAR_RULES
            if (count := getattr(policy, attr))
        ]
        # A backup older than this starts a new period for at least one calendar rule.
        self.boundary: datetime | None = None
        # Subtracted in UTC: on a local zone's datetime, Python subtracts on the wall clock,
        # and across a daylight-saving change "2 days before" is then an hour off.
        newest_utc = newest.created.astimezone(UTC)
        self.within_floor = newest_utc - policy.keep_within if policy.keep_within else None
        self.within_reason = f"within {short_duration(policy.keep_within or timedelta(0))}"
        self.young_floor = now.astimezone(UTC) - policy.min_age if policy.min_age else None
        self.young_reason = (
            f"younger than min-age {short_duration(policy.min_age or timedelta(0))}",
        )

    def decide_all(self, ordered: list[BackupInfo]) -> tuple[Decision, ...]:
        """Decisions for every backup, newest first."""
        # The hot loop of a 100k-backup plan: a few comparisons per backup, the reasons worked
        # out only for backups a rule keeps, and once no rule can keep anything any more, the
        # rest (older still) is decided in bulk.
        newest, within, young, user = self.newest, self.within_floor, self.young_floor, _USER
        decisions: list[Decision] = []
        add = decisions.append
        for index, backup in enumerate(ordered):
            if backup.type is not user or backup.status != "AVAILABLE":
                add(_fixed(backup, newest))
                continue
            created = backup.created
            if (
                backup is newest
                or self.last_left
                or (self.boundary is not None and created < self.boundary)
                or (within is not None and created > within)
            ):
                add(Decision(backup, True, self.rule_reasons(backup)))
            elif young is not None and created > young:
                add(Decision(backup, True, self.young_reason))
            else:
                add(Decision(backup, False, _DELETE))
                if not self.last_left and not self.counters:
                    decisions.extend(_rest_deleted(ordered[index + 1 :], newest))
                    break
        return tuple(decisions)

    def rule_reasons(self, backup: BackupInfo) -> tuple[str, ...]:
        """The reasons the rules give to keep one candidate (at least one, by the caller)."""
        reasons = [NEWEST] if backup is self.newest else []
        if self.last_left:
            self.last_left -= 1
            reasons.append(self.last_reason)
        if self.counters and (self.boundary is None or backup.created < self.boundary):
            self._count_periods(backup.created, reasons)
        if self.within_floor is not None and backup.created > self.within_floor:
            reasons.append(self.within_reason)
        return tuple(reasons)

    def _count_periods(self, created: datetime, reasons: list[str]) -> None:
        utc = created.astimezone(UTC)
        for counter in self.counters:
            if counter.start is None or created < counter.start:
                counter.start = counter.start_of(utc)
                counter.left -= 1
                reasons.append(counter.label(utc))
        self.counters = [c for c in self.counters if c.left]
        self.boundary = max((c.start for c in self.counters if c.start), default=None)


def _rest_deleted(older: list[BackupInfo], newest: BackupInfo) -> list[Decision]:
    """Decisions for backups older than one no rule kept, once every rule is used up."""
    return [
        Decision(b, False, _DELETE)
        if b.type is _USER and b.status == "AVAILABLE"
        else _fixed(b, newest)
        for b in older
    ]


_DELETE = (NO_RULE,)
_CREATED = attrgetter("created")
_USER = BackupType.USER


@frozen
class PruneOutcome:
    """What one table's prune did (or, in a dry run, would do), for the nightly digest."""

    table: str
    planned: int  # backups the plan deletes
    deleted: int = 0
    bytes_freed: int = 0
    failures: tuple[tuple[str, str], ...] = ()  # (backup name, reason)
    error: str | None = None  # the table could not be pruned at all (listing failed, ...)
    left_alone: str = ""  # why the table has nothing to prune: no policy, opted out, gone


@frozen
class TablePlan:
    """One table of `/ddb prune --all`: how messages name it, its policy and where that
    comes from, and the plan that policy gives."""

    table: str
    resolved: ResolvedPolicy
    plan: PrunePlan


FIRST_KEPT = 120  # backups a PlannedTable keeps to name (a message names at most this many)


@frozen
class PlannedTable:
    """One table of a `/ddb prune --all` plan as its confirmation shows it, stored by the
    worker that planned it: its policy and origin, how many backups it has and deletes, and
    the first backups it deletes (newest first) by name."""

    table: str
    resolved: ResolvedPolicy
    backups: int
    to_delete: int
    bytes_freed: int
    first: tuple[BackupInfo, ...] = ()

    @classmethod
    def of(cls, entry: TablePlan, *, keep: int = FIRST_KEPT) -> PlannedTable:
        """The summary of one table's full plan."""
        plan = entry.plan
        return cls(
            entry.table,
            entry.resolved,
            len(plan.decisions),
            len(plan.to_delete),
            plan.bytes_freed,
            plan.to_delete[:keep],
        )
