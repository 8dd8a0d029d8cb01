"""Restores: validate a request against the PITR window and the account's state, and decide
what the watcher does at each check. Pure; `now` is always passed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.backups import BackupInfo, derived_name
from bot.domain.errors import Conflict, LimitReached, UsageError
from bot.domain.records import frozen
from bot.domain.refs import TABLE_NAME
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc

RESTORE_USAGE = "/ddb restore <table> (--at TIME | --latest | --backup NAME|ARN) [--to NEW_TABLE]"
# AWS: at most 50 restores in progress per account (DESIGN.md section 11).
MAX_CONCURRENT_RESTORES = 50
# AWS: a PITR restore takes at least ~20 minutes whatever the size.
PITR_MIN_DURATION = timedelta(minutes=20)
# "still restoring" replies come at this steady pace, whatever the poll interval.
PROGRESS_EVERY = timedelta(minutes=15)
# Stop following a restore after this long; the thread says so.
MAX_WATCH = timedelta(hours=24)
# A new table may take a moment to show in DescribeTable right after the restore call.
NOT_FOUND_GRACE = timedelta(minutes=2)
# SQS DelaySeconds is at most 15 minutes.
MAX_QUEUE_DELAY = timedelta(minutes=15)

# What a restored table does not carry over from its source (AWS Developer Guide,
# "Restoring a DynamoDB table"), in the words the thread shows.
NOT_INHERITED = (
    "auto scaling policies",
    "IAM and resource-based policies",
    "CloudWatch alarms",
    "tags",
    "DynamoDB Streams settings",
    "TTL settings",
    "point-in-time recovery",
    "deletion protection",
)
# What the "Copy settings" button copies from the source table.
COPYABLE = ("TTL", "tags", "point-in-time recovery", "deletion protection")


STARTING = "starting"  # confirmed; the restore function has not started it yet
IN_PROGRESS = "restoring"
COMPLETED = "completed"
FAILED = "failed"
GAVE_UP = "gave-up"
TERMINAL = frozenset({COMPLETED, FAILED, GAVE_UP})
RUNNING = frozenset({STARTING, IN_PROGRESS})
# A confirmed restore the restore function has not started after this long never will by
# itself: its check 0 failed every attempt (5 receives, 360 s apart: deploy/resources/
# restores.yml) and sits in the restore queue's DLQ.
START_GRACE = timedelta(minutes=35)


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
            at=_time(payload.get("at")),
            latest=bool(payload.get("latest")),
            backup_arn=payload.get("backup_arn") or None,
            backup_name=payload.get("backup_name") or None,
            backup_created=_time(payload.get("backup_created")),
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


def count_in_progress(jobs: list[RestoreJob], now: datetime) -> int:
    """How many of these restores are running or about to start."""
    return sum(1 for job in jobs if job.running(now))


# ---- the watcher --------------------------------------------------------------------------


@frozen
class RestoreJob:
    """A restore opsbot started and follows, with the Slack thread it reports into."""

    id: str
    source_table: str
    region: str
    target: str
    kind: str
    requester: str
    channel: str
    thread_ts: str
    started_at: datetime
    at: datetime | None = None
    latest: bool = False
    backup_arn: str | None = None
    backup_name: str | None = None
    status: str = IN_PROGRESS
    checks: int = 0
    progress_posts: int = 0
    slow_warned: bool = False
    finished_at: datetime | None = None
    item_count: int | None = None
    size_bytes: int | None = None
    reason: str = ""
    restored_to: datetime | None = None  # RestoreSummary.RestoreDateTime
    settings_copied: tuple[str, ...] = field(default_factory=tuple)
    account: str = ""  # the member account's id ('' : the account opsbot runs in)

    @property
    def finished(self) -> bool:
        """Whether the watcher is done with this restore."""
        return self.status in TERMINAL

    def running(self, now: datetime) -> bool:
        """Restoring, or confirmed and about to start (not stuck before its start)."""
        return self.status == IN_PROGRESS or (
            self.status == STARTING and now - self.started_at <= START_GRACE
        )

    @property
    def plan(self) -> RestorePlan:
        """The confirmed restore this job carries out."""
        return RestorePlan(
            self.source_table,
            self.region,
            self.target,
            self.kind,
            at=self.at,
            latest=self.latest,
            backup_arn=self.backup_arn,
            backup_name=self.backup_name,
        )

    def elapsed(self, now: datetime) -> timedelta:
        """How long the restore has run (until it finished)."""
        return (self.finished_at or now) - self.started_at

    @property
    def point(self) -> str:
        """What was restored, in words."""
        return self.plan.point

    def to_record(self) -> dict[str, Any]:
        """The job as state-table attributes (without keys)."""
        return {
            "source_table": self.source_table,
            "region": self.region,
            "target": self.target,
            "kind": self.kind,
            "requester": self.requester,
            "channel": self.channel,
            "thread_ts": self.thread_ts,
            "started_at": self.started_at.isoformat(),
            "at": self.at.isoformat() if self.at else None,
            "latest": self.latest,
            "backup_arn": self.backup_arn,
            "backup_name": self.backup_name,
            "status": self.status,
            "checks": self.checks,
            "progress_posts": self.progress_posts,
            "slow_warned": self.slow_warned,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "item_count": self.item_count,
            "size_bytes": self.size_bytes,
            "reason": self.reason,
            "restored_to": self.restored_to.isoformat() if self.restored_to else None,
            "settings_copied": list(self.settings_copied),
            "account": self.account or None,
        }

    @classmethod
    def from_record(cls, job_id: str, record: Mapping[str, Any]) -> RestoreJob:
        """A job from its state-table attributes."""
        started = _time(record.get("started_at"))
        assert started is not None, "a restore job always has started_at"
        return cls(
            id=job_id,
            source_table=str(record["source_table"]),
            region=str(record["region"]),
            target=str(record["target"]),
            kind=str(record.get("kind", "pitr")),
            requester=str(record.get("requester", "")),
            channel=str(record.get("channel", "")),
            thread_ts=str(record.get("thread_ts", "")),
            started_at=started,
            at=_time(record.get("at")),
            latest=bool(record.get("latest")),
            backup_arn=record.get("backup_arn") or None,
            backup_name=record.get("backup_name") or None,
            status=str(record.get("status", IN_PROGRESS)),
            checks=int(record.get("checks", 0)),
            progress_posts=int(record.get("progress_posts", 0)),
            slow_warned=bool(record.get("slow_warned")),
            finished_at=_time(record.get("finished_at")),
            item_count=_int_or_none(record.get("item_count")),
            size_bytes=_int_or_none(record.get("size_bytes")),
            reason=str(record.get("reason", "")),
            restored_to=_time(record.get("restored_to")),
            settings_copied=tuple(record.get("settings_copied") or ()),
            account=str(record.get("account") or ""),
        )


def job_id_for(now: datetime, suffix: str) -> str:
    """A job id that sorts by start time: `20261122T100000Z-ab12cd`."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + suffix


@frozen
class TargetState:
    """The new table as DescribeTable shows it; ``status`` None when it does not exist."""

    status: str | None
    restore_in_progress: bool = False
    item_count: int | None = None
    size_bytes: int | None = None
    restored_to: datetime | None = None


@frozen
class CheckDecision:
    """What one watcher check does: the new job state, what to post, and when to look again."""

    job: RestoreJob
    post_progress: bool = False
    post_slow_warning: bool = False
    next_check_in: timedelta | None = None

    @property
    def outcome(self) -> str:
        """restoring, completed, failed or gave-up."""
        return self.job.status


_FAILED_STATUSES = {
    "DELETING": "the new table is being deleted",
    "INACCESSIBLE_ENCRYPTION_CREDENTIALS": "the table's KMS key is not accessible",
    "ARCHIVING": "the table's KMS key is not accessible, so DynamoDB is archiving it",
    "ARCHIVED": "the table's KMS key is not accessible, so DynamoDB archived it",
}


def decide_check(
    job: RestoreJob,
    target: TargetState,
    now: datetime,
    *,
    poll_every: timedelta,
    slow_after: timedelta,
) -> CheckDecision:
    """One check of a running restore: done, failed, or wait (with progress / slow warning)."""
    elapsed = job.elapsed(now)
    checked = replace(job, checks=job.checks + 1)
    if target.status == "ACTIVE" and not target.restore_in_progress:
        return CheckDecision(
            replace(
                checked,
                status=COMPLETED,
                finished_at=now,
                item_count=target.item_count,
                size_bytes=target.size_bytes,
                restored_to=target.restored_to or job.restored_to,
            )
        )
    if target.status is None and elapsed > NOT_FOUND_GRACE:
        reason = (
            f"the new table `{job.target}` does not exist any more: DynamoDB abandoned the "
            "restore (or someone deleted the table). CloudTrail has the details."
        )
        return CheckDecision(replace(checked, status=FAILED, finished_at=now, reason=reason))
    if target.status in _FAILED_STATUSES:
        reason = _FAILED_STATUSES[target.status]
        return CheckDecision(replace(checked, status=FAILED, finished_at=now, reason=reason))
    if elapsed > MAX_WATCH:
        reason = f"still not done after {format_duration(elapsed)}; I stopped following it"
        return CheckDecision(replace(checked, status=GAVE_UP, finished_at=now, reason=reason))
    slow = elapsed > slow_after and not job.slow_warned
    due = elapsed >= PROGRESS_EVERY * (job.progress_posts + 1)
    posts = job.progress_posts
    if due or slow:
        # Count the milestones passed, so a late check does not post twice in a row.
        posts = max(posts + 1, int(elapsed / PROGRESS_EVERY))
    return CheckDecision(
        replace(checked, progress_posts=posts, slow_warned=job.slow_warned or slow),
        post_progress=due and not slow,
        post_slow_warning=slow,
        next_check_in=min(poll_every, MAX_QUEUE_DELAY),
    )


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
