"""A restore job's life: the states it goes through, what the watcher decides at each check,
and what the new table does not inherit. Pure; `now` is always passed in.

bot/domain/restores.py validates the request and plans the restore a job carries out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.records import frozen
from bot.domain.restores import RestorePlan
from bot.domain.times import format_duration, stored_time

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
# opsbot's own tags (opsbot:watch, opsbot:retention, ...) say what opsbot does with a table:
# a copy made to look at old data should not appear on App Home or in the nightly prune.
OWN_TAG_PREFIX = "opsbot:"


def tags_to_copy(tags: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """(the source's tags a restored table gets, the keys of opsbot's own that it does not)."""
    kept = [t for t in tags if not str(t.get("Key", "")).startswith(OWN_TAG_PREFIX)]
    left = [str(t["Key"]) for t in tags if str(t.get("Key", "")).startswith(OWN_TAG_PREFIX)]
    return kept, left


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
    approved_by: str = ""  # the second person, when `[approvals]` names `restore`
    settings_copied_by: str = ""  # who pressed Copy settings (once: a second press is told)
    settings_copied_at: datetime | None = None

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
            "approved_by": self.approved_by or None,
            "settings_copied_by": self.settings_copied_by or None,
            "settings_copied_at": (
                self.settings_copied_at.isoformat() if self.settings_copied_at else None
            ),
        }

    @classmethod
    def from_record(cls, job_id: str, record: Mapping[str, Any]) -> RestoreJob:
        """A job from its state-table attributes."""
        started = stored_time(record.get("started_at"))
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
            at=stored_time(record.get("at")),
            latest=bool(record.get("latest")),
            backup_arn=record.get("backup_arn") or None,
            backup_name=record.get("backup_name") or None,
            status=str(record.get("status", IN_PROGRESS)),
            checks=int(record.get("checks", 0)),
            progress_posts=int(record.get("progress_posts", 0)),
            slow_warned=bool(record.get("slow_warned")),
            finished_at=stored_time(record.get("finished_at")),
            item_count=_int_or_none(record.get("item_count")),
            size_bytes=_int_or_none(record.get("size_bytes")),
            reason=str(record.get("reason", "")),
            restored_to=stored_time(record.get("restored_to")),
            settings_copied=tuple(record.get("settings_copied") or ()),
            account=str(record.get("account") or ""),
            approved_by=str(record.get("approved_by") or ""),
            settings_copied_by=str(record.get("settings_copied_by") or ""),
            settings_copied_at=stored_time(record.get("settings_copied_at")),
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


def count_in_progress(jobs: list[RestoreJob], now: datetime) -> int:
    """How many of these restores are running or about to start."""
    return sum(1 for job in jobs if job.running(now))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
