"""What `/ddb status` knows about a table, and the risks it reads from that. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.counts import counted
from bot.domain.records import frozen


@frozen
class PitrWindow:
    """Point-in-time recovery status and its restorable window."""

    enabled: bool
    earliest: datetime | None = None
    latest: datetime | None = None
    recovery_days: int | None = None


@frozen
class NewestBackup:
    """The newest backup of a table (any type)."""

    name: str
    created: datetime
    backup_type: str


@frozen
class TableStatus:
    """A table as DescribeTable, DescribeContinuousBackups, ListBackups and alarms show it."""

    name: str
    region: str
    account: str
    status: str
    billing_mode: str
    item_count: int
    size_bytes: int
    read_capacity: int | None
    write_capacity: int | None
    deletion_protection: bool
    pitr: PitrWindow
    newest_backup: NewestBackup | None
    alarms_firing: tuple[str, ...]
    replica_regions: tuple[str, ...] = ()
    table_class: str = "STANDARD"
    stream: str | None = None
    index_names: tuple[str, ...] = ()  # global secondary indexes


def table_risks(
    status: TableStatus, now: datetime, *, max_backup_age: timedelta
) -> tuple[str, ...]:
    """The protections a table lacks, in the words `/ddb status` shows."""
    risks = []
    if not status.pitr.enabled:
        risks.append("PITR is off")
    if status.newest_backup is None:
        risks.append("no backup")
    elif now - status.newest_backup.created > max_backup_age:
        risks.append("newest backup is older than the configured age")
    if not status.deletion_protection:
        risks.append("deletion protection is off")
    if status.alarms_firing:
        risks.append(f"{counted(len(status.alarms_firing), 'alarm')} firing")
    return tuple(risks)
