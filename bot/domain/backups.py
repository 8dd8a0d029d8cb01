"""On-demand and managed backups of a table, as the bot reads them from ListBackups. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.domain.errors import InvalidValue
from bot.domain.records import frozen

GIB = 2**30
DEFAULT_PRICE_PER_GB_MONTH = 0.10

_NAME_MIN, _NAME_MAX = 3, 255
_NOT_NAME_CHAR = re.compile(r"[^a-zA-Z0-9_.-]+")


class BackupType(StrEnum):
    """Who made a backup: a user (on demand), DynamoDB itself, or AWS Backup."""

    USER = "USER"
    SYSTEM = "SYSTEM"
    AWS_BACKUP = "AWS_BACKUP"


@frozen
class BackupInfo:
    """One backup of a table; ``created`` is an aware UTC datetime, ``size_bytes`` may be
    unknown."""

    arn: str
    name: str
    table: str
    created: datetime
    size_bytes: int | None
    type: BackupType
    status: str  # AVAILABLE, CREATING or DELETED

    @property
    def available(self) -> bool:
        """True when the backup can be restored (and therefore deleted)."""
        return self.status == "AVAILABLE"


def from_summary(summary: Mapping[str, Any]) -> BackupInfo:
    """A BackupInfo from one item of ListBackups ``BackupSummaries``."""
    created = summary["BackupCreationDateTime"]
    if not isinstance(created, datetime):
        raise InvalidValue(f"backup {summary.get('BackupName')!r} has no creation time")
    # botocore's datetimes are in the machine's zone (tzlocal): arithmetic on them follows
    # its wall clock, so a BackupInfo holds UTC (naive ones, from stubs, are UTC already).
    created = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
    size = summary.get("BackupSizeBytes")
    return BackupInfo(
        arn=str(summary["BackupArn"]),
        name=str(summary["BackupName"]),
        table=str(summary.get("TableName", "")),
        created=created,
        size_bytes=int(size) if size is not None else None,
        type=BackupType(summary.get("BackupType", BackupType.USER)),
        status=str(summary.get("BackupStatus", "AVAILABLE")),
    )


# `--type` as typed -> the backups it lets through ("all": every type).
TYPES_TYPED = {
    "user": BackupType.USER,
    "system": BackupType.SYSTEM,
    "aws-backup": BackupType.AWS_BACKUP,
}


def matching(
    backups: Iterable[BackupInfo],
    *,
    backup_type: str = "all",
    created_from: datetime | None = None,
    created_before: datetime | None = None,
) -> list[BackupInfo]:
    """The backups a listing's filters let through: `--type` as typed, created at or after
    ``created_from`` and before ``created_before`` (ListBackups' TimeRange bounds)."""
    wanted = TYPES_TYPED.get(backup_type)
    return [
        b
        for b in backups
        if (wanted is None or b.type == wanted)
        and (created_from is None or b.created >= created_from)
        and (created_before is None or b.created < created_before)
    ]


def monthly_cost(size_bytes: int, price_per_gb_month: float = DEFAULT_PRICE_PER_GB_MONTH) -> float:
    """What storing ``size_bytes`` costs per month, at a price per GB-month (GB = 2**30 bytes)."""
    return size_bytes / GIB * price_per_gb_month


def total_bytes(backups: Iterable[BackupInfo]) -> int:
    """The summed size of backups, counting unknown sizes as zero."""
    return sum(b.size_bytes or 0 for b in backups)


def default_backup_name(table: str, now: datetime) -> str:
    """``<table>-<UTC yyyymmdd-hhmm>``, made into a valid DynamoDB backup name."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M")
    return derived_name(table, f"-{stamp}", fallback="backup")


def derived_name(table: str, suffix: str, *, fallback: str) -> str:
    """``table`` with ``suffix``, made into a name DynamoDB accepts for a table or a backup
    (the same rule): other characters become `-`, and the table part is cut to fit 255."""
    base = _NOT_NAME_CHAR.sub("-", table).strip("-") or fallback
    return base[: _NAME_MAX - len(suffix)] + suffix


def check_backup_name(name: str) -> str:
    """The name itself if DynamoDB accepts it (3-255 of a-z A-Z 0-9 _ . -), else InvalidValue."""
    if not _NAME_MIN <= len(name) <= _NAME_MAX or _NOT_NAME_CHAR.search(name):
        raise InvalidValue(
            f"`{name}` is not a valid backup name; use 3 to 255 letters, digits, `_`, `.` or `-`"
        )
    return name
