"""The follow-up function's side of replica changes (kind 'replica'): check 0 checks the
confirmed change once more and calls UpdateTable `ReplicaUpdates`; checks 1, 2, ... follow
DescribeTable until the replica is ACTIVE (then its ReplicationLatency is shown) or gone.
One check per SQS message, idempotent per job and check number.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.aws.replica_changes import (
    change_replicas,
    load_job,
    replica_statuses,
    table_for_replicas,
    update_job,
)
from bot.aws.replicas import describe_replicas
from bot.aws.state import record_bot_action
from bot.domain.errors import OpsbotError
from bot.domain.followed_jobs import COMPLETED, FAILED, IN_PROGRESS
from bot.domain.replica_changes import (
    ADD,
    ReplicaChangePlan,
    ReplicaJob,
    decide_replica_check,
    plan_replica_change,
)
from bot.flows.follow_checks import run_check, send_check
from bot.flows.places import clients_in
from bot.render.message import Message
from bot.render.replica_changes import (
    render_replica_done,
    render_replica_failed,
    render_replica_not_started,
    render_replica_progress,
    render_replica_started,
)
from bot.runtime import Runtime

KIND = "replica"


def validate_change(
    runtime: Runtime, table: str, region: str, change: str, target_region: str
) -> ReplicaChangePlan:
    """Read the table (and its write auto scaling) and check the change's preconditions."""
    clients = clients_in(runtime, None)
    found = table_for_replicas(
        clients("dynamodb", region), clients("application-autoscaling", region), table, region
    )
    return plan_replica_change(
        found,
        name=table,
        region=region,
        change=change,
        target_region=target_region,
        managed_regions=runtime.settings.regions,
    )


def watch_replica(job_id: str, check: int, runtime: Runtime) -> str:
    """The follower of kind 'replica' (bot/flows/follow_up.py)."""
    job = load_job(runtime.state, job_id)
    return run_check(job, check, runtime, kind=KIND, start=_start, follow=_check)


def _post(runtime: Runtime, job: ReplicaJob, message: Message, *, broadcast: bool = False) -> None:
    runtime.notifier.post(
        job.channel, message, thread_ts=job.thread_ts or None, broadcast=broadcast
    )


def _start(job: ReplicaJob, runtime: Runtime) -> str:
    """Check 0: the preconditions again, then UpdateTable. A retry after AWS accepted the
    change finds the region already changing: the change is followed, not refused."""
    now = runtime.now()
    dynamodb = clients_in(runtime, None)("dynamodb", job.region)
    try:
        statuses = replica_statuses(dynamodb, job.table, job.region) or {}
        target = statuses.get(job.target_region)
        ours = (job.change == ADD and target == "CREATING") or (
            job.change != ADD and target == "DELETING"
        )
        request_id = ""
        if not ours:
            plan = validate_change(runtime, job.table, job.region, job.change, job.target_region)
            request_id = change_replicas(dynamodb, plan)
    except OpsbotError as exc:
        update_job(runtime.state, replace(job, status=FAILED, finished_at=now, reason=exc.message))
        _post(runtime, job, render_replica_not_started(job, exc.message))
        return "not started"
    running = replace(job, status=IN_PROGRESS, started_at=now)
    update_job(runtime.state, running)
    if request_id:
        record_bot_action(
            runtime.state,
            request_id=request_id,
            slack_user=job.requester,
            command=f"/ddb replicas {job.change} {job.table}@{job.region} {job.target_region}",
            now=runtime.epoch(),
            approved_by=job.approved_by,
        )
    send_check(runtime, KIND, job.id, 1)
    _post(runtime, job, render_replica_started(running))
    return "started"


def _check(job: ReplicaJob, check: int, runtime: Runtime) -> str:
    now: datetime = runtime.now()
    clients = clients_in(runtime, None)
    statuses = replica_statuses(clients("dynamodb", job.region), job.table, job.region)
    decision = decide_replica_check(
        job, statuses, now, poll_every=runtime.settings.restore_poll_every
    )
    updated = replace(decision.job, checks=check)
    if updated.status == COMPLETED:
        lag = None
        if job.change == ADD:
            replication = describe_replicas(clients, job.table, job.region, now, check_legacy=False)
            lag = replication.lag_into(job.target_region)
        _post(runtime, job, render_replica_done(updated, now, lag), broadcast=True)
    elif updated.finished:
        _post(runtime, job, render_replica_failed(updated, now), broadcast=True)
    elif decision.post_progress:
        _post(runtime, job, render_replica_progress(updated, now))
    update_job(runtime.state, updated)
    if decision.next_check_in is not None:
        send_check(runtime, KIND, job.id, check + 1, int(decision.next_check_in.total_seconds()))
    return decision.outcome
