"""`/ddb replicas add|remove <table> <region>` (worker side): check the preconditions, post
the change for confirmation; the confirmed change becomes a job that the follow-up function
starts and follows (bot/flows/replicas/watch.py)."""

from __future__ import annotations

from bot.aws.replica_changes import save_job, update_job
from bot.domain.commands import Replicas
from bot.domain.confirmations import Plan
from bot.domain.errors import OpsbotError
from bot.domain.replica_changes import ReplicaChangePlan, ReplicaJob
from bot.domain.restore_jobs import job_id_for
from bot.flows.confirmations import post_for_confirmation
from bot.flows.follow_checks import hand_over
from bot.flows.registry import Request, plan_executor
from bot.flows.replicas.watch import KIND, validate_change
from bot.flows.resolve import locate_table
from bot.render.replica_changes import render_replica_confirmation


def change_replica(cmd: Replicas, request: Request) -> None:
    """Check the change against the table now and post it for confirmation."""
    assert cmd.change is not None
    assert cmd.region is not None
    runtime = request.runtime
    table = locate_table(runtime, cmd.table).table
    if table.account is not None and not table.account.is_home:
        raise OpsbotError("opsbot changes replicas only of tables in its own account.")
    assert table.region is not None
    plan = validate_change(runtime, table.name, table.region, cmd.change, cmd.region)
    post_for_confirmation(
        request,
        kind=KIND,
        action=cmd.action,
        summary=plan.summary,
        payload=plan.to_payload(),
        render=lambda plan_id: render_replica_confirmation(
            plan, plan_id, request.user, expires_in=runtime.settings.confirm_ttl
        ),
    )


@plan_executor(KIND)
def run_replica_change(plan: Plan, request: Request) -> None:
    """Re-check at press time, then hand the job to the follow-up function, whose check 0
    checks once more and calls UpdateTable."""
    runtime, now = request.runtime, request.now
    confirmed = ReplicaChangePlan.from_payload(plan.payload)
    checked = validate_change(
        runtime, confirmed.table, confirmed.region, confirmed.change, confirmed.target_region
    )
    job = ReplicaJob(
        id=job_id_for(now, plan.id[:8]),
        table=checked.table,
        region=checked.region,
        target_region=checked.target_region,
        change=checked.change,
        requester=plan.requester,
        channel=plan.channel or request.channel,
        thread_ts=plan.message_ts or request.item.message_ts,
        created_at=now,
        approved_by=request.approved_by,
    )
    hand_over(
        request,
        job,
        kind=KIND,
        save=lambda j: save_job(runtime.state, j, now=runtime.epoch()),
        update=lambda j: update_job(runtime.state, j),
    )
