"""What the jobs the follow-up function follows (exports, imports, replica changes) share:
their states, whether one is finished or running, when a progress reply is due, and how a
job becomes a state-table record and is read back from one. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.domain.records import frozen
from bot.domain.restore_jobs import MAX_QUEUE_DELAY, PROGRESS_EVERY, START_GRACE
from bot.domain.times import format_duration, stored_time

STARTING = "starting"  # confirmed; the follow-up function has not started it yet
IN_PROGRESS = "in-progress"
COMPLETED = "completed"
FAILED = "failed"
GAVE_UP = "gave-up"
TERMINAL = frozenset({COMPLETED, FAILED, GAVE_UP})
RUNNING = frozenset({STARTING, IN_PROGRESS})


class FollowedJob:
    """Methods of a job record with ``id``, ``status`` and ``created_at`` (a mixin of @frozen
    jobs)."""

    id: str
    status: str
    created_at: datetime

    @property
    def finished(self) -> bool:
        """Whether the follow-up function is done with this job."""
        return self.status in TERMINAL

    def running(self, now: datetime) -> bool:
        """In progress, or confirmed and about to start (not stuck before its start)."""
        return self.status == IN_PROGRESS or (
            self.status == STARTING and now - self.created_at <= START_GRACE
        )


def progress_due(elapsed: timedelta, posts: int) -> tuple[bool, int]:
    """(whether a progress reply is due, the milestones passed): one every PROGRESS_EVERY,
    counted so that a late check does not post twice in a row."""
    due = elapsed >= PROGRESS_EVERY * (posts + 1)
    return due, max(posts + 1, int(elapsed / PROGRESS_EVERY)) if due else posts


def job_record(job: Any, times: Collection[str]) -> dict[str, Any]:
    """A job's fields as state-table attributes (not its id): the ``times`` as ISO text,
    mappings as dicts, empty values left out."""
    record: dict[str, Any] = {}
    for spec in fields(job):
        value = getattr(job, spec.name)
        if spec.name in times:
            value = value.isoformat() if value else None
        elif isinstance(value, dict) or hasattr(value, "keys"):
            value = dict(value)
        if spec.name != "id" and value is not None and value != "":
            record[spec.name] = value
    return record


def stored_job_times(
    record: Mapping[str, Any], kind: str
) -> tuple[datetime, datetime | None, datetime | None]:
    """(created_at, started_at, finished_at) of a job's state-table attributes; ``kind`` ('a
    transfer job') names the job in the assertion that every one has created_at."""
    created = stored_time(record.get("created_at"))
    assert created is not None, f"{kind} always has created_at"
    return created, stored_time(record.get("started_at")), stored_time(record.get("finished_at"))


Job = TypeVar("Job")


@frozen
class FollowDecision(Generic[Job]):
    """What one check does: the job's new state, whether to post progress, when to look again."""

    job: Job
    post_progress: bool = False
    next_check_in: timedelta | None = None

    @property
    def outcome(self) -> str:
        """in-progress, completed, failed or gave-up."""
        return str(getattr(self.job, "status", ""))


def ended(checked: Job, status: str, now: datetime, reason: str = "") -> FollowDecision[Job]:
    """The check that sees the job end (``status`` COMPLETED, FAILED or GAVE_UP)."""
    return FollowDecision(replace(checked, status=status, finished_at=now, reason=reason))  # type: ignore[type-var]


def keep_following(
    checked: Job,
    now: datetime,
    elapsed: timedelta,
    posts: int,
    *,
    poll_every: timedelta,
    max_watch: timedelta,
) -> FollowDecision[Job]:
    """Not done yet: give up past ``max_watch``, else look again (with progress when due)."""
    if elapsed > max_watch:
        reason = f"still not done after {format_duration(elapsed)}; I stopped following it"
        return ended(checked, GAVE_UP, now, reason)
    due, posts = progress_due(elapsed, posts)
    return FollowDecision(
        replace(checked, progress_posts=posts),  # type: ignore[type-var]
        post_progress=due,
        next_check_in=min(poll_every, MAX_QUEUE_DELAY),
    )
