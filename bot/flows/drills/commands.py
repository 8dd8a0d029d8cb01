"""`/ddb drill` and its confirmation; bot/flows/drills/follow.py runs the drill."""

from __future__ import annotations

from bot.domain.commands import Drill
from bot.domain.confirmations import Plan
from bot.domain.drill_jobs import new_drill
from bot.domain.drills import DrillSource, restore_cost, scratch_name
from bot.domain.restore_jobs import job_id_for
from bot.domain.times import stored_time
from bot.flows.confirmations import post_for_confirmation
from bot.flows.drills.planning import launch, plan_source
from bot.flows.places import label_of
from bot.flows.registry import Request, command, plan_executor
from bot.flows.resolve import locate_table
from bot.render.drills import render_drill_confirmation


@command(Drill, account_aware=True)
def drill(cmd: Drill, request: Request) -> None:
    """Choose what to drill, show its size and cost, and post it for confirmation."""
    runtime, now = request.runtime, request.now
    ref = locate_table(runtime, cmd.table).table
    account = ref.account.id if ref.account is not None and not ref.account.is_home else ""
    source = plan_source(
        runtime,
        ref.name,
        ref.region,
        account,
        now,
        backup=cmd.backup,
        latest_backup=cmd.latest_backup,
        pitr=cmd.pitr,
        at=cmd.at,
    )
    price = runtime.settings.drills.price_per_gb
    cost = restore_cost(source.size_bytes, price)
    scratch = scratch_name(ref.name, now)
    post_for_confirmation(
        request,
        kind="drill",
        action="drill",
        summary=f"restore drill of `{ref.name}` ({source.point}) into `{scratch}`",
        payload={
            "table": ref.name,
            "region": ref.region,
            "account": account,
            "scratch": scratch,
            "backup": source.backup_arn,
            "pitr": source.kind == "pitr",
            "at": source.at.isoformat() if source.at else None,
        },
        render=lambda plan_id: render_drill_confirmation(
            ref.name,
            ref.region,
            source,
            scratch,
            cost=cost,
            price_per_gb=price,
            plan_id=plan_id,
            requester=request.user,
            expires_in=runtime.settings.confirm_ttl,
            account_label=label_of(runtime, account or None),
        ),
    )


@plan_executor("drill")
def run_drill(plan: Plan, request: Request) -> None:
    """Check again that the table is there, its source still restorable and no drill of it
    running, then hand the drill to the follow-up function (its check 0 starts the restore)."""
    runtime, now = request.runtime, request.now
    payload = plan.payload
    table, region = str(payload["table"]), str(payload["region"])
    account = str(payload.get("account") or "")
    source: DrillSource = plan_source(
        runtime,
        table,
        region,
        account,
        now,
        backup=payload.get("backup") or None,
        pitr=bool(payload.get("pitr")),
        at=stored_time(payload.get("at")),
    )
    job = new_drill(
        job_id_for(now, plan.id[:8]),
        table=table,
        region=region,
        account=account,
        scratch=str(payload["scratch"]),
        source=source,
        requester=plan.requester,
        channel=plan.channel or request.channel,
        thread_ts=plan.message_ts or request.item.message_ts,
        now=now,
        cost=restore_cost(source.size_bytes, runtime.settings.drills.price_per_gb),
    )
    launch(runtime, job)
