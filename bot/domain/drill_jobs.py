"""A drill's record from its start to its end, and the drill history of a table. Pure.

A drill goes starting → restoring → validating → deleting → passed | failed. Its restore is a
RestoreJob (bot/domain/restore_jobs.py) into the scratch table, followed by the same checks as
any restore; the drill adds the validation and the deletion. Whatever fails, the scratch table
is deleted before the drill ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.drills import DrillSource, restore_duration
from bot.domain.records import frozen
from bot.domain.restore_jobs import RestoreJob
from bot.domain.times import stored_time

STARTING = "starting"
RESTORING = "restoring"
VALIDATING = "validating"
DELETING = "deleting"
PASSED = "passed"
FAILED = "failed"
DONE = frozenset({PASSED, FAILED})
# A drill whose record says it is running but has not moved for this long is stuck (its
# checks went to the dead-letter queue): it no longer blocks a new drill of the table.
STUCK_AFTER = timedelta(hours=26)
# A scratch table may take a moment to disappear after DeleteTable.
DELETE_POLL = timedelta(seconds=30)


@frozen
class DrillJob:
    """One drill: the restore into the scratch table, the validation, the deletion."""

    id: str
    restore: RestoreJob  # source_table, region, target (the scratch table), requester, thread
    status: str = STARTING
    scheduled: bool = False  # started by the schedule, not by a command
    run: str = ""  # the scheduled run it belongs to ('' : asked for with /ddb drill)
    size_bytes: int | None = None
    cost: float = 0.0
    source_count: int | None = None
    copy_count: int = 0
    count_pages: int = 0
    count_cursor: str = ""  # JSON of the Scan's LastEvaluatedKey while counting
    sample_read: int | None = None
    restore_started_at: datetime | None = None
    active_at: datetime | None = None
    validation_started_at: datetime | None = None
    validated_at: datetime | None = None
    finished_at: datetime | None = None
    checks: int = 0
    reasons: tuple[str, ...] = field(default_factory=tuple)
    cleaned: tuple[str, ...] = field(default_factory=tuple)  # leftovers this drill deleted

    @property
    def table(self) -> str:
        """The table drilled."""
        return self.restore.source_table

    @property
    def region(self) -> str:
        """Its region."""
        return self.restore.region

    @property
    def account(self) -> str:
        """Its member account's id ('' : opsbot's own)."""
        return self.restore.account

    @property
    def scratch(self) -> str:
        """The scratch table the drill restores into."""
        return self.restore.target

    @property
    def finished(self) -> bool:
        """Whether the drill is over (the scratch table is gone)."""
        return self.status in DONE

    @property
    def passed(self) -> bool:
        """Whether every check passed (so far)."""
        return not self.reasons

    @property
    def underway(self) -> bool:
        """Restoring, validating or deleting: counted against `[drills] max_at_once`."""
        return self.status in (RESTORING, VALIDATING, DELETING)

    def running(self, now: datetime) -> bool:
        """Still going, and not stuck."""
        return not self.finished and now - self.restore.started_at <= STUCK_AFTER

    @property
    def restore_took(self) -> timedelta | None:
        """From the restore call to the copy ACTIVE."""
        return restore_duration(self.restore_started_at, self.active_at)

    @property
    def validation_took(self) -> timedelta | None:
        """From the copy ACTIVE to the end of its validation."""
        return restore_duration(self.validation_started_at, self.validated_at)

    def to_record(self) -> dict[str, Any]:
        """The drill as state-table attributes (without keys)."""
        return {
            "restore": {k: v for k, v in self.restore.to_record().items() if v is not None},
            "status": self.status,
            "scheduled": self.scheduled,
            "run": self.run or None,
            "size_bytes": self.size_bytes,
            "cost": str(self.cost),
            "source_count": self.source_count,
            "copy_count": self.copy_count,
            "count_pages": self.count_pages,
            "count_cursor": self.count_cursor,
            "sample_read": self.sample_read,
            "restore_started_at": _iso(self.restore_started_at),
            "active_at": _iso(self.active_at),
            "validation_started_at": _iso(self.validation_started_at),
            "validated_at": _iso(self.validated_at),
            "finished_at": _iso(self.finished_at),
            "checks": self.checks,
            "reasons": list(self.reasons),
            "cleaned": list(self.cleaned),
            # top-level copies, so running drills of a table are found without the map
            "table": self.table,
            "region": self.region,
            "account": self.account or None,
        }

    @classmethod
    def from_record(cls, job_id: str, record: Mapping[str, Any]) -> DrillJob:
        """A drill from its state-table attributes."""
        return cls(
            id=job_id,
            restore=RestoreJob.from_record(job_id, record["restore"]),
            status=str(record.get("status", STARTING)),
            scheduled=bool(record.get("scheduled")),
            run=str(record.get("run") or ""),
            size_bytes=_int_or_none(record.get("size_bytes")),
            cost=float(record.get("cost") or 0),
            source_count=_int_or_none(record.get("source_count")),
            copy_count=int(record.get("copy_count") or 0),
            count_pages=int(record.get("count_pages") or 0),
            count_cursor=str(record.get("count_cursor") or ""),
            sample_read=_int_or_none(record.get("sample_read")),
            restore_started_at=stored_time(record.get("restore_started_at")),
            active_at=stored_time(record.get("active_at")),
            validation_started_at=stored_time(record.get("validation_started_at")),
            validated_at=stored_time(record.get("validated_at")),
            finished_at=stored_time(record.get("finished_at")),
            checks=int(record.get("checks") or 0),
            reasons=tuple(str(r) for r in record.get("reasons") or ()),
            cleaned=tuple(str(t) for t in record.get("cleaned") or ()),
        )


def new_drill(
    job_id: str,
    *,
    table: str,
    region: str,
    account: str,
    scratch: str,
    source: DrillSource,
    requester: str,
    channel: str,
    thread_ts: str,
    now: datetime,
    cost: float,
    run: str = "",
) -> DrillJob:
    """A confirmed (or scheduled) drill, about to start."""
    restore = RestoreJob(
        id=job_id,
        source_table=table,
        region=region,
        target=scratch,
        kind=source.kind,
        requester=requester,
        channel=channel,
        thread_ts=thread_ts,
        started_at=now,
        at=source.at,
        latest=source.kind == "pitr" and source.at is None,
        backup_arn=source.backup_arn,
        backup_name=source.backup_name,
        status="starting",
        account=account,
    )
    return DrillJob(
        id=job_id,
        restore=restore,
        scheduled=bool(run),
        run=run,
        size_bytes=source.size_bytes,
        cost=cost,
        source_count=source.source_count,
    )


@frozen
class DrillRecord:
    """One finished drill in a table's history (opsbot's, or an AWS Backup restore test)."""

    table: str
    finished_at: datetime
    passed: bool
    reasons: tuple[str, ...] = ()
    restore_s: float | None = None
    validation_s: float | None = None
    size_bytes: int | None = None
    cost: float | None = None
    job_id: str = ""
    by: str = "opsbot"  # or "aws-backup" (restore testing)

    def to_record(self) -> dict[str, Any]:
        """As state-table attributes (without keys)."""
        return {
            "table": self.table,
            "finished_at": self.finished_at.isoformat(),
            "passed": self.passed,
            "reasons": list(self.reasons),
            "restore_s": None if self.restore_s is None else str(self.restore_s),
            "validation_s": None if self.validation_s is None else str(self.validation_s),
            "size_bytes": self.size_bytes,
            "cost": None if self.cost is None else str(self.cost),
            "job_id": self.job_id,
            "by": self.by,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> DrillRecord:
        """From state-table attributes."""
        finished = stored_time(record.get("finished_at"))
        assert finished is not None, "a drill record always has finished_at"
        return cls(
            table=str(record.get("table", "")),
            finished_at=finished,
            passed=bool(record.get("passed")),
            reasons=tuple(str(r) for r in record.get("reasons") or ()),
            restore_s=_float_or_none(record.get("restore_s")),
            validation_s=_float_or_none(record.get("validation_s")),
            size_bytes=_int_or_none(record.get("size_bytes")),
            cost=_float_or_none(record.get("cost")),
            job_id=str(record.get("job_id") or ""),
            by=str(record.get("by") or "opsbot"),
        )


def history_entry(job: DrillJob) -> DrillRecord:
    """The history record of a finished drill."""
    assert job.finished_at is not None
    return DrillRecord(
        table=job.table,
        finished_at=job.finished_at,
        passed=job.passed,
        reasons=job.reasons,
        restore_s=_seconds(job.restore_took),
        validation_s=_seconds(job.validation_took),
        size_bytes=job.size_bytes,
        cost=job.cost,
        job_id=job.id,
    )


@frozen
class DrillTally:
    """Drills over a period, for the digest."""

    passed: int
    failed: tuple[DrillRecord, ...]


def tally(records: Sequence[DrillRecord], since: datetime) -> DrillTally:
    """How many drills finished since ``since`` passed, and the ones that failed."""
    recent = [r for r in records if r.finished_at >= since]
    return DrillTally(
        passed=sum(1 for r in recent if r.passed),
        failed=tuple(r for r in recent if not r.passed),
    )


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
