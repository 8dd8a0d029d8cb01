"""Adding and removing replicas of a global table (version 2019.11.21): the preconditions AWS
sets, checked into the plan the user confirms, and what the follow-up function decides at
each check until the replica is ACTIVE or gone. Pure; `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import Conflict, InvalidValue, TableNotFound
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
from bot.domain.replicas import CURRENT_VERSION, LEGACY_VERSION

ADD = "add"
REMOVE = "remove"
# Creating a replica copies the whole table into the new region: hours for a large table.
MAX_WATCH = timedelta(hours=48)
STREAM_VIEW = "NEW_AND_OLD_IMAGES"
# Replica statuses that will not become ACTIVE by themselves (DescribeTable ReplicaStatus).
FAILED_STATUSES: Mapping[str, str] = {
    "CREATION_FAILED": "DynamoDB could not create the replica",
    "REGION_DISABLED": "the region is disabled in this account",
    "INACCESSIBLE_ENCRYPTION_CREDENTIALS": "the replica's KMS key is not accessible",
}


@frozen
class TableForReplicas:
    """What the preconditions of a replica change need to know of a table."""

    name: str
    region: str
    status: str
    billing_mode: str  # PAY_PER_REQUEST or PROVISIONED
    version: str  # '' (not global), CURRENT_VERSION or LEGACY_VERSION
    replicas: Mapping[str, str]  # region -> ReplicaStatus, other regions only
    stream_view: str | None = None  # None: streams off
    write_autoscaled: bool = False
    size_bytes: int = 0


@frozen
class ReplicaChangePlan:
    """A checked replica change: which table, which region, add or remove."""

    table: str
    region: str  # where the table was asked for (and is described)
    target_region: str
    change: str  # ADD or REMOVE
    size_bytes: int = 0
    billing_mode: str = "PAY_PER_REQUEST"

    @property
    def summary(self) -> str:
        """One line for the confirmation record and the "Confirmed by" reply."""
        if self.change == ADD:
            return f"add a replica of `{self.table}` in {self.target_region}"
        return f"remove the replica of `{self.table}` in {self.target_region}"

    def to_payload(self) -> dict[str, Any]:
        """The plan as JSON-able data for the stored confirmation."""
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReplicaChangePlan:
        """The plan back from its stored payload."""
        return cls(
            table=str(payload["table"]),
            region=str(payload["region"]),
            target_region=str(payload["target_region"]),
            change=str(payload["change"]),
            size_bytes=int(payload.get("size_bytes", 0)),
            billing_mode=str(payload.get("billing_mode", "PAY_PER_REQUEST")),
        )


def plan_replica_change(
    table: TableForReplicas | None,
    *,
    name: str,
    region: str,
    change: str,
    target_region: str,
    managed_regions: Sequence[str],
) -> ReplicaChangePlan:
    """A ReplicaChangePlan, or the error that says which precondition fails (nothing starts)."""
    if table is None:
        raise TableNotFound(f"There is no table `{name}` in {region}.")
    if target_region == table.region:
        raise InvalidValue(
            f"`{name}` itself is in {target_region}: name another region for its replica."
        )
    if target_region not in managed_regions:
        raise InvalidValue(
            f"opsbot does not manage {target_region} (`[aws] regions`: "
            f"{', '.join(managed_regions)}): it adds and removes replicas only there."
        )
    if table.version == LEGACY_VERSION:
        raise Conflict(
            f"`{name}` is a version {LEGACY_VERSION} global table; opsbot changes replicas of "
            f"version {CURRENT_VERSION} only. Update it to {CURRENT_VERSION} first (console: "
            "Global tables → Update version)."
        )
    busy = {r: s for r, s in table.replicas.items() if s != "ACTIVE"}
    if table.status != "ACTIVE" or busy:
        states = [f"the table is {table.status}"] if table.status != "ACTIVE" else []
        states += [f"the replica in {r} is {s}" for r, s in sorted(busy.items())]
        raise Conflict(
            f"`{name}` is being updated ({'; '.join(states)}): one replica change at a time. "
            "Try again when everything is ACTIVE."
        )
    present = target_region in table.replicas
    if change == REMOVE:
        if not present:
            raise Conflict(f"`{name}` has no replica in {target_region}; nothing to remove.")
    else:
        if present:
            raise Conflict(f"`{name}` already has a replica in {target_region}.")
        if table.billing_mode == "PROVISIONED" and not table.write_autoscaled:
            raise Conflict(
                f"`{name}` has provisioned writes without auto scaling: a global table needs "
                "on-demand capacity or write auto scaling (AWS keeps the replicas' write "
                "capacity in step). Switch it first."
            )
        if table.stream_view != STREAM_VIEW:
            now_on = f"on with {table.stream_view}" if table.stream_view else "off"
            raise Conflict(
                f"`{name}` has DynamoDB Streams {now_on}; replication needs them on with "
                f"{STREAM_VIEW} (the console turns them on when it adds a replica). Turn them "
                f"on first: `aws dynamodb update-table --table-name {name} "
                f"--stream-specification StreamEnabled=true,StreamViewType={STREAM_VIEW}`."
            )
    return ReplicaChangePlan(
        table=name,
        region=region,
        target_region=target_region,
        change=change,
        size_bytes=table.size_bytes,
        billing_mode=table.billing_mode,
    )


_TIMES = frozenset({"created_at", "started_at", "finished_at"})


@frozen
class ReplicaJob(FollowedJob):
    """A replica change opsbot started and follows, with the thread it reports into."""

    id: str
    table: str
    region: str
    target_region: str
    change: str
    requester: str
    channel: str
    thread_ts: str
    created_at: datetime
    approved_by: str = ""
    status: str = STARTING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    checks: int = 0
    progress_posts: int = 0
    reason: str = ""

    def elapsed(self, now: datetime) -> timedelta:
        """How long the change has taken (until it finished)."""
        return (self.finished_at or now) - (self.started_at or self.created_at)

    @property
    def plan(self) -> ReplicaChangePlan:
        """The confirmed change this job carries out."""
        return ReplicaChangePlan(self.table, self.region, self.target_region, self.change)

    def to_record(self) -> dict[str, Any]:
        """The job as state-table attributes (without keys); empty values left out."""
        return job_record(self, _TIMES)

    @classmethod
    def from_record(cls, job_id: str, record: Mapping[str, Any]) -> ReplicaJob:
        """A job from its state-table attributes."""
        created, started, finished = stored_job_times(record, "a replica job")
        return cls(
            id=job_id,
            table=str(record["table"]),
            region=str(record["region"]),
            target_region=str(record["target_region"]),
            change=str(record["change"]),
            requester=str(record.get("requester", "")),
            channel=str(record.get("channel", "")),
            thread_ts=str(record.get("thread_ts", "")),
            created_at=created,
            approved_by=str(record.get("approved_by") or ""),
            status=str(record.get("status", STARTING)),
            started_at=started,
            finished_at=finished,
            checks=int(record.get("checks", 0)),
            progress_posts=int(record.get("progress_posts", 0)),
            reason=str(record.get("reason", "")),
        )


ReplicaDecision = FollowDecision[ReplicaJob]


def decide_replica_check(
    job: ReplicaJob,
    replicas: Mapping[str, str] | None,
    now: datetime,
    *,
    poll_every: timedelta,
) -> ReplicaDecision:
    """One check: ``replicas`` is region -> ReplicaStatus as DescribeTable shows them now
    (None when the table is gone)."""
    checked = replace(job, checks=job.checks + 1)
    if replicas is None:
        reason = f"`{job.table}` does not exist in {job.region} any more"
        return ended(checked, FAILED, now, reason)
    status = replicas.get(job.target_region)
    if (job.change == ADD and status == "ACTIVE") or (job.change == REMOVE and status is None):
        return ended(checked, COMPLETED, now)
    if status is not None and status in FAILED_STATUSES:
        return ended(checked, FAILED, now, f"{FAILED_STATUSES[status]} ({status})")
    elapsed = job.elapsed(now)
    if job.change == ADD and status is None and elapsed > timedelta(minutes=10):
        reason = f"no replica in {job.target_region} appeared: DynamoDB abandoned the change"
        return ended(checked, FAILED, now, reason)
    return keep_following(
        checked, now, elapsed, job.progress_posts, poll_every=poll_every, max_watch=MAX_WATCH
    )
