"""An export to S3 or an import from S3, from its confirmation to its end: the states it goes
through and what the follow-up function decides at each check. Pure; `now` is always passed in.

Exports and imports share one job shape: a table, an S3 location, a format, an AWS ARN
once started, and what DescribeExport / DescribeImport report at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.followed_jobs import (
    COMPLETED,
    FAILED,
    STARTING,
    FollowDecision,
    FollowedJob,
    ended,
    job_record,
    keep_following,
    stored_job_times,
)
from bot.domain.records import frozen
from bot.domain.restore_jobs import MAX_WATCH
from bot.domain.times import stored_time

EXPORT = "export"
IMPORT = "import"


_TIMES = frozenset({"created_at", "started_at", "ended_at", "finished_at"})


@frozen
class TransferJob(FollowedJob):
    """An export or import opsbot started and follows, with the thread it reports into."""

    id: str
    kind: str  # EXPORT or IMPORT
    table: str  # the exported table, or the new table an import creates
    region: str
    bucket: str
    prefix: str
    data_format: str  # DYNAMODB_JSON, ION (or CSV for imports)
    requester: str
    channel: str
    thread_ts: str
    created_at: datetime
    plan: Mapping[str, Any] = field(default_factory=dict)  # the confirmed plan's payload
    account: str = ""
    approved_by: str = ""
    status: str = STARTING
    arn: str = ""  # ExportArn / ImportArn
    size_bytes: int = 0  # the table's (export) or the source's (import) size when confirmed
    cost: float = 0.0  # the estimate shown at confirmation
    checks: int = 0
    progress_posts: int = 0
    started_at: datetime | None = None  # AWS's StartTime
    ended_at: datetime | None = None  # AWS's EndTime
    finished_at: datetime | None = None  # when opsbot saw the end
    item_count: int | None = None  # exported items, or items imported
    billed_bytes: int | None = None  # BilledSizeBytes (export) or ProcessedSizeBytes (import)
    error_count: int | None = None  # import only
    manifest: str = ""  # export: the manifest's S3 key
    log_group: str = ""  # import: CloudWatchLogGroupArn holding the errors
    reason: str = ""

    def duration(self, now: datetime) -> timedelta:
        """How long AWS worked on it (its StartTime to EndTime), else since confirmation."""
        start = self.started_at or self.created_at
        end = self.ended_at or self.finished_at or now
        return max(end - start, timedelta(0))

    @property
    def location(self) -> str:
        """'s3://bucket/prefix'."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def manifest_url(self) -> str:
        """'s3://bucket/<manifest key>' ('' until AWS reports it)."""
        return f"s3://{self.bucket}/{self.manifest}" if self.manifest else ""

    def to_record(self) -> dict[str, Any]:
        """The job as state-table attributes (without keys); None values are left out."""
        return job_record(self, _TIMES)

    @classmethod
    def from_record(cls, job_id: str, record: Mapping[str, Any]) -> TransferJob:
        """A job from its state-table attributes."""
        created, started, finished = stored_job_times(record, "a transfer job")
        return cls(
            id=job_id,
            kind=str(record.get("kind", EXPORT)),
            table=str(record["table"]),
            region=str(record["region"]),
            bucket=str(record["bucket"]),
            prefix=str(record.get("prefix", "")),
            data_format=str(record.get("data_format", "DYNAMODB_JSON")),
            requester=str(record.get("requester", "")),
            channel=str(record.get("channel", "")),
            thread_ts=str(record.get("thread_ts", "")),
            created_at=created,
            plan=dict(record.get("plan") or {}),
            account=str(record.get("account") or ""),
            approved_by=str(record.get("approved_by") or ""),
            status=str(record.get("status", STARTING)),
            arn=str(record.get("arn", "")),
            size_bytes=int(record.get("size_bytes", 0)),
            cost=float(record.get("cost", 0.0)),
            checks=int(record.get("checks", 0)),
            progress_posts=int(record.get("progress_posts", 0)),
            started_at=started,
            ended_at=stored_time(record.get("ended_at")),
            finished_at=finished,
            item_count=_int_or_none(record.get("item_count")),
            billed_bytes=_int_or_none(record.get("billed_bytes")),
            error_count=_int_or_none(record.get("error_count")),
            manifest=str(record.get("manifest", "")),
            log_group=str(record.get("log_group", "")),
            reason=str(record.get("reason", "")),
        )


@frozen
class TransferState:
    """What DescribeExport or DescribeImport says of a started job."""

    status: str  # IN_PROGRESS, COMPLETED, FAILED (imports also CANCELLING, CANCELLED)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    item_count: int | None = None
    billed_bytes: int | None = None
    error_count: int | None = None
    manifest: str = ""
    log_group: str = ""
    failure_code: str = ""
    failure_message: str = ""


TransferDecision = FollowDecision[TransferJob]


def decide_transfer_check(
    job: TransferJob, state: TransferState, now: datetime, *, poll_every: timedelta
) -> TransferDecision:
    """One check of a started export or import: done, failed, or wait (with progress)."""
    checked = replace(
        job,
        checks=job.checks + 1,
        started_at=state.started_at or job.started_at,
        ended_at=state.ended_at or job.ended_at,
        item_count=state.item_count if state.item_count is not None else job.item_count,
        billed_bytes=state.billed_bytes if state.billed_bytes is not None else job.billed_bytes,
        error_count=state.error_count if state.error_count is not None else job.error_count,
        manifest=state.manifest or job.manifest,
        log_group=state.log_group or job.log_group,
    )
    if state.status == "COMPLETED":
        return ended(checked, COMPLETED, now)
    if state.status in ("FAILED", "CANCELLED", "CANCELLING"):
        reason = state.failure_message or state.failure_code or state.status.lower()
        if state.failure_code and state.failure_message:
            reason = f"{state.failure_code}: {state.failure_message}"
        if state.status != "FAILED":
            reason = f"the {job.kind} was cancelled outside opsbot"
        return ended(checked, FAILED, now, reason)
    elapsed = now - job.created_at
    return keep_following(
        checked, now, elapsed, job.progress_posts, poll_every=poll_every, max_watch=MAX_WATCH
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
