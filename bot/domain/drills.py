"""Restore drills: prove that a table's newest backup (or its PITR window) restores.

A drill is a restore job into a scratch table named `opsbot-drill-<table>-<time>` (the
reserved prefix the drill function alone may delete), then a validation of the copy (ACTIVE;
key schema, GSIs and LSIs as the source's; its item count against the source's at that
point; a sample of items readable), then the scratch table's deletion. Pure: what to drill,
the scratch name, the cost, the verdict; `now` is always passed in.

bot/domain/drill_jobs.py is a drill's record from start to end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.domain.backups import GIB, BackupInfo, BackupType
from bot.domain.counts import counted
from bot.domain.errors import Conflict
from bot.domain.records import frozen
from bot.domain.restores import RestorePlan
from bot.domain.tables import PitrWindow

DRILL_PREFIX = "opsbot-drill-"
TABLE_NAME_MAX = 255
# The copy's count may differ this much from the source's: both counts DynamoDB keeps
# (DescribeTable, DescribeBackup) are approximate, refreshed about every six hours.
COUNT_TOLERANCE = 0.01


@frozen
class DrillSource:
    """What a drill restores: a backup, or a PITR point (``at`` None: the latest)."""

    kind: str  # "backup" or "pitr"
    backup_arn: str | None = None
    backup_name: str | None = None
    backup_created: datetime | None = None
    at: datetime | None = None
    size_bytes: int | None = None  # the backup's size, or the table's for PITR
    source_count: int | None = None  # items in the source at that point (approximate)

    @property
    def point(self) -> str:
        """What is restored, in words (for messages, escaped by renderers)."""
        if self.kind == "backup":
            return f"backup {self.backup_name or self.backup_arn}"
        return (
            "the latest restorable time"
            if self.at is None
            else f"PITR at {self.at:%Y-%m-%d %H:%M} UTC"
        )


def scratch_name(table: str, now: datetime) -> str:
    """`opsbot-drill-<table>-<yyyymmddThhmmZ>`; a long table name is cut and given 8 hex
    digits of its hash, so two long names never share a scratch table."""
    stamp = now.astimezone(UTC).strftime("-%Y%m%dT%H%MZ")
    name = DRILL_PREFIX + table + stamp
    if len(name) <= TABLE_NAME_MAX:
        return name
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    room = TABLE_NAME_MAX - len(DRILL_PREFIX) - len(stamp) - len(digest) - 1
    return f"{DRILL_PREFIX}{table[:room]}-{digest}{stamp}"


def is_scratch(table: str) -> bool:
    """Whether a table name is in the drills' reserved namespace."""
    return table.startswith(DRILL_PREFIX)


def restore_cost(size_bytes: int | None, price_per_gb: float) -> float:
    """What restoring ``size_bytes`` costs (GB = 2**30 bytes, as AWS bills)."""
    return (size_bytes or 0) / GIB * price_per_gb


def choose_source(
    table: str,
    backups: Sequence[BackupInfo],
    window: PitrWindow | None,
    *,
    backup: BackupInfo | None = None,
    named: str | None = None,
    latest_backup: bool = False,
    pitr: bool = False,
    at: datetime | None = None,
    table_size: int | None = None,
    table_count: int | None = None,
) -> DrillSource:
    """What to drill: the backup named, the newest USER backup, or the PITR window; by
    default the newest USER backup, else the latest PITR point. Conflict when there is
    nothing to drill."""
    if named is not None:
        if backup is None:
            raise Conflict(
                f"There is no backup `{named[:200]}` of `{table}`. "
                f"`/ddb backups {table}` lists them."
            )
        if backup.table and backup.table != table:
            raise Conflict(
                f"Backup `{backup.name}` is a backup of `{backup.table}`, not of `{table}`."
            )
        return _from_backup(backup)
    users = sorted(
        (b for b in backups if b.type == BackupType.USER and b.available), key=lambda b: b.created
    )
    pitr_on = window is not None and window.enabled and window.latest is not None
    if not pitr and users:
        return _from_backup(users[-1])
    if latest_backup:
        raise Conflict(
            f"`{table}` has no available user backup to drill. Take one with `/ddb backup {table}`."
        )
    if pitr and not pitr_on:
        raise Conflict(
            f"Point-in-time recovery is off for `{table}`: there is no window to drill. "
            f"`/ddb pitr {table} on` turns it on."
        )
    if not pitr_on:
        raise Conflict(
            f"Nothing to drill: `{table}` has no backup and PITR is off — take one with "
            f"`/ddb backup {table}`."
        )
    assert window is not None
    assert window.latest is not None
    assert window.earliest is not None
    if at is not None and not window.earliest <= at <= window.latest:
        raise Conflict(
            f"{at:%Y-%m-%d %H:%M} UTC is outside the restorable window of `{table}` "
            f"({window.earliest:%Y-%m-%d %H:%M} → {window.latest:%Y-%m-%d %H:%M} UTC)."
        )
    return DrillSource(kind="pitr", at=at, size_bytes=table_size, source_count=table_count)


def _from_backup(backup: BackupInfo) -> DrillSource:
    if not backup.available:
        raise Conflict(
            f"Backup `{backup.name}` is {backup.status}, not AVAILABLE: it cannot be drilled yet."
        )
    return DrillSource(
        kind="backup",
        backup_arn=backup.arn,
        backup_name=backup.name,
        backup_created=backup.created,
        size_bytes=backup.size_bytes,
    )


def drill_plan(table: str, region: str, scratch: str, source: DrillSource) -> RestorePlan:
    """The restore a drill runs: the source into the scratch table."""
    return RestorePlan(
        source_table=table,
        region=region,
        target=scratch,
        kind=source.kind,
        at=source.at,
        latest=source.kind == "pitr" and source.at is None,
        backup_arn=source.backup_arn,
        backup_name=source.backup_name,
        backup_created=source.backup_created,
    )


# ---- validation ----------------------------------------------------------------------------


@frozen
class TableShape:
    """What a copy must have as its source has: keys and indexes (names and key schemas)."""

    keys: tuple[str, ...]  # "id HASH", "sk RANGE"
    gsis: tuple[str, ...] = ()  # "by-customer: customer HASH"
    lsis: tuple[str, ...] = ()


def shape_problems(source: TableShape, copy: TableShape) -> list[str]:
    """Where the copy's keys and indexes differ from the source's (empty when alike)."""
    problems = []
    if source.keys != copy.keys:
        problems.append(f"key schema {', '.join(copy.keys)} instead of {', '.join(source.keys)}")
    for label, wanted, got in (("GSI", source.gsis, copy.gsis), ("LSI", source.lsis, copy.lsis)):
        missing = sorted(set(wanted) - set(got))
        extra = sorted(set(got) - set(wanted))
        if missing:
            problems.append(f"{label} missing or changed: {'; '.join(missing)}")
        if extra:
            problems.append(f"{label} not on the source: {'; '.join(extra)}")
    return problems


def count_problem(source_count: int | None, copy_count: int) -> str | None:
    """Why the copy's item count fails the drill (None when it passes or there is nothing
    to compare it with)."""
    if source_count is None:
        return None
    if source_count > 0 and copy_count == 0:
        return f"the copy has 0 items, the source {short_count(source_count)}"
    allowed = max(1, round(source_count * COUNT_TOLERANCE))
    if abs(copy_count - source_count) > allowed:
        return (
            f"the copy has {short_count(copy_count)} items, the source {short_count(source_count)}"
        )
    return None


def short_count(n: int) -> str:
    """1234 -> '1,234'; 1200000 -> '1.2 M'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} M"
    return f"{n:,}"


def sample_problem(wanted: int, read: int, copy_count: int) -> str | None:
    """Why the sample read fails the drill: fewer items read than the copy should give."""
    expected = min(wanted, copy_count)
    if read < expected:
        return f"only {read} of {counted(expected, 'sampled item')} could be read"
    return None


def budget_problem(pages: int, counted_so_far: int) -> str:
    """The reason a drill gives when counting the copy ran out of its budget."""
    return (
        f"validation ran out of budget: counted {short_count(counted_so_far)} items in "
        f"{counted(pages, 'Scan page')} without reaching the end"
    )


def restore_duration(started: datetime | None, active: datetime | None) -> timedelta | None:
    """From the restore call to the copy ACTIVE (None until both are known)."""
    return active - started if started and active else None
