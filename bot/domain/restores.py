"""Planning a restore: validate a request against the PITR window, the new table's name and
the restores already in progress, into the RestorePlan the user confirms. Pure; `now` is
always passed in.

bot/domain/restore_jobs.py follows a confirmed restore from its start to its end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.backups import BackupInfo, derived_name
from bot.domain.errors import Conflict, LimitReached, UsageError
from bot.domain.records import frozen
from bot.domain.refs import TABLE_NAME
from bot.domain.tables import PitrWindow
from bot.domain.times import format_relative, format_utc, stored_time

RESTORE_USAGE = "/ddb restore <table> (--at TIME | --latest | --backup NAME|ARN) [--to NEW_TABLE]"
# AWS: at most 50 restores in progress per account (DESIGN.md section 11).
MAX_CONCURRENT_RESTORES = 50
# AWS: a PITR restore takes at least ~20 minutes whatever the size.
PITR_MIN_DURATION = timedelta(minutes=20)


@frozen
class RestoreRequest:
    """What the user asked for: a source table and where to restore it from and to."""

    table: str
    region: str
    at: datetime | None = None
    latest: bool = False
    backup: str | None = None  # a backup name or ARN
    to: str | None = None


@frozen
class RestorePlan:
    """A validated restore: what will be restored, from what, into which new table."""

    source_table: str
    region: str
    target: str
    kind: str  # "pitr" or "backup"
    at: datetime | None = None  # the PITR time; None with `latest`
    latest: bool = False
    backup_arn: str | None = None
    backup_name: str | None = None
    backup_created: datetime | None = None
    window: PitrWindow | None = None

    @property
    def point(self) -> str:
        """The point in time restored, in words."""
        if self.kind == "backup":
            created = f" taken {format_utc(self.backup_created)}" if self.backup_created else ""
            return f"backup {self.backup_name or self.backup_arn}{created}"
        if self.latest:
            return "the latest restorable time"
        assert self.at is not None
        return format_utc(self.at)

    @property
    def summary(self) -> str:
        """One line for the confirmation record and the "Confirmed by" reply."""
        return f"restore `{self.source_table}` ({self.point}) to new table `{self.target}`"

    def to_payload(self) -> dict[str, Any]:
        """The plan as JSON-able data for the stored confirmation."""
        return {
            "source_table": self.source_table,
            "region": self.region,
            "target": self.target,
            "kind": self.kind,
            "at": self.at.isoformat() if self.at else None,
            "latest": self.latest,
            "backup_arn": self.backup_arn,
            "backup_name": self.backup_name,
            "backup_created": self.backup_created.isoformat() if self.backup_created else None,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RestorePlan:
        """The plan back from a stored confirmation."""
        return cls(
            source_table=str(payload["source_table"]),
            region=str(payload["region"]),
            target=str(payload["target"]),
            kind=str(payload["kind"]),
            at=stored_time(payload.get("at")),
            latest=bool(payload.get("latest")),
            backup_arn=payload.get("backup_arn") or None,
            backup_name=payload.get("backup_name") or None,
            backup_created=stored_time(payload.get("backup_created")),
        )

    def as_request(self) -> RestoreRequest:
        """The request this plan answers, to re-validate it at press time."""
        return RestoreRequest(
            table=self.source_table,
            region=self.region,
            at=self.at,
            latest=self.latest,
            backup=self.backup_arn,
            to=self.target,
        )


def default_target(table: str, now: datetime) -> str:
    """``<table>-restored-<UTC yyyymmdd-hhmm>``, cut to DynamoDB's 255-character limit."""
    suffix = "-restored-" + now.astimezone(UTC).strftime("%Y%m%d-%H%M")
    return derived_name(table, suffix, fallback="table")


def describe_window(window: PitrWindow, now: datetime) -> str:
    """'2026-10-18 10:00 UTC (35 d ago) → 2026-11-22 09:55 UTC (5 min ago)'."""
    if not window.enabled or window.earliest is None or window.latest is None:
        return "no restorable window (PITR is off)"
    return (
        f"{format_utc(window.earliest)} ({format_relative(window.earliest, now)}) → "
        f"{format_utc(window.latest)} ({format_relative(window.latest, now)})"
    )


def plan_restore(
    request: RestoreRequest,
    *,
    now: datetime,
    window: PitrWindow | None,
    target_exists: bool,
    backup: BackupInfo | None = None,
    in_progress: int = 0,
) -> RestorePlan:
    """A RestorePlan, or UsageError / Conflict / LimitReached saying what stops it.

    ``window`` is the source's PITR window (None when the source table is gone);
    ``backup`` the backup found for ``--backup`` (None when none matched);
    ``in_progress`` how many restores are running in the account.
    """
    target = request.to or default_target(request.table, now)
    if not TABLE_NAME.match(target):
        raise UsageError(
            f"`{target[:60]}` is not a valid table name (3-255 letters, digits, `_`, `-` or `.`)",
            RESTORE_USAGE,
        )
    if target == request.table:
        raise UsageError(
            "a restore never overwrites a table: `--to` must name a new table", RESTORE_USAGE
        )
    if target_exists:
        raise Conflict(
            f"A table named `{target}` already exists in {request.region}. A restore never "
            "touches an existing table: choose another name with `--to NEW_TABLE`."
        )
    if in_progress >= MAX_CONCURRENT_RESTORES:
        raise LimitReached(
            f"{in_progress} restores are already in progress; AWS allows "
            f"{MAX_CONCURRENT_RESTORES} per account. Try again when one finishes "
            "(`/ddb restores` lists them)."
        )
    if request.backup is not None:
        return _plan_from_backup(request, target, backup)
    return _plan_point_in_time(request, target, window, now)


def _plan_from_backup(
    request: RestoreRequest, target: str, backup: BackupInfo | None
) -> RestorePlan:
    assert request.backup is not None
    if backup is None:
        raise Conflict(
            f"There is no backup `{request.backup[:200]}` of `{request.table}` in "
            f"{request.region}. `/ddb backups {request.table}` lists them."
        )
    if backup.table and backup.table != request.table:
        raise Conflict(
            f"Backup `{backup.name}` is a backup of `{backup.table}`, not of `{request.table}`."
        )
    if not backup.available:
        raise Conflict(
            f"Backup `{backup.name}` is {backup.status}, not AVAILABLE: it cannot be restored "
            "yet. Try again when it is."
        )
    return RestorePlan(
        source_table=request.table,
        region=request.region,
        target=target,
        kind="backup",
        backup_arn=backup.arn,
        backup_name=backup.name,
        backup_created=backup.created,
    )


def _plan_point_in_time(
    request: RestoreRequest, target: str, window: PitrWindow | None, now: datetime
) -> RestorePlan:
    if window is None:
        raise Conflict(
            f"`{request.table}` does not exist in {request.region}, so it has no point-in-time "
            "window. A deleted table can be restored from a backup: `--backup NAME|ARN`."
        )
    if not window.enabled or window.earliest is None or window.latest is None:
        raise Conflict(
            f"Point-in-time recovery is off for `{request.table}`: there is no window to "
            f"restore from. Use `--backup NAME|ARN`, or `/ddb pitr {request.table} on` "
            "(it covers changes from then on)."
        )
    if not request.latest:
        assert request.at is not None
        if not window.earliest <= request.at <= window.latest:
            raise UsageError(
                f"{format_utc(request.at)} ({format_relative(request.at, now)}) is outside the "
                f"restorable window of `{request.table}`: {describe_window(window, now)}. "
                "Pick a time inside it, or `--latest`.",
                RESTORE_USAGE,
            )
    return RestorePlan(
        source_table=request.table,
        region=request.region,
        target=target,
        kind="pitr",
        at=None if request.latest else request.at,
        latest=request.latest,
        window=window,
    )
