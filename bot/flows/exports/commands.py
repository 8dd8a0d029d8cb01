"""`/ddb export` and `/ddb import` (validated, then posted for confirmation; the confirmed
plan becomes a job that the follow-up function starts and follows:
bot/flows/exports/watch.py) and `/ddb exports`."""

from __future__ import annotations

from bot.aws.transfers import recent_jobs, save_job, update_job
from bot.domain.commands import Export, Exports, Import
from bot.domain.confirmations import Plan
from bot.domain.errors import OpsbotError
from bot.domain.exports import ExportPlan, ExportRequest, S3Location
from bot.domain.imports import ImportPlan, ImportRequest, parse_key
from bot.domain.restore_jobs import job_id_for
from bot.domain.transfer_jobs import EXPORT, IMPORT, TransferJob
from bot.flows.confirmations import post_for_confirmation
from bot.flows.exports.watch import validate_export, validate_import
from bot.flows.follow_checks import hand_over
from bot.flows.places import label_of
from bot.flows.registry import Request, command, plan_executor
from bot.flows.resolve import locate_table
from bot.render.transfers import (
    render_export_confirmation,
    render_exports_list,
    render_import_confirmation,
)


@command(Export, account_aware=True)
def export(cmd: Export, request: Request) -> None:
    """Validate the export against the current state and post it for confirmation."""
    runtime = request.runtime
    ref = locate_table(runtime, cmd.table).table
    account = ref.account.id if ref.account is not None and not ref.account.is_home else ""
    wanted = ExportRequest(
        ref.name,
        ref.region,
        S3Location(cmd.bucket, cmd.prefix),
        cmd.at,
        cmd.export_format,
        cmd.incremental,
        cmd.start,
        cmd.end,
    )
    plan = validate_export(runtime, wanted, request.now, account=account)
    post_for_confirmation(
        request,
        kind=EXPORT,
        action="export",
        summary=plan.summary,
        payload={**plan.to_payload(), "account": account},
        render=lambda plan_id: render_export_confirmation(
            plan,
            plan_id,
            request.user,
            request.now,
            expires_in=runtime.settings.confirm_ttl,
            price_per_gb=runtime.settings.export_price_per_gb,
            account_label=label_of(runtime, account or None),
        ),
    )


def _hand_over(request: Request, job: TransferJob) -> None:
    state, now = request.runtime.state, request.runtime.epoch()
    hand_over(
        request,
        job,
        kind=job.kind,
        save=lambda j: save_job(state, j, now=now),
        update=lambda j: update_job(state, j),
    )


@plan_executor(EXPORT)
def run_export(plan: Plan, request: Request) -> None:
    """Re-validate at press time, then hand the job to the follow-up function, whose check 0
    validates once more and starts it."""
    account = str(plan.payload.get("account") or "")
    confirmed = ExportPlan.from_payload(plan.payload)
    checked = validate_export(request.runtime, confirmed.as_request(), request.now, account=account)
    job = TransferJob(
        id=job_id_for(request.now, plan.id[:8]),
        kind=EXPORT,
        table=checked.table,
        region=checked.region,
        bucket=checked.bucket,
        prefix=checked.prefix,
        data_format=checked.export_format,
        requester=plan.requester,
        channel=plan.channel or request.channel,
        thread_ts=plan.message_ts or request.item.message_ts,
        created_at=request.now,
        plan=checked.to_payload(),
        account=account,
        approved_by=request.approved_by,
        size_bytes=checked.size_bytes,
        cost=checked.cost,
    )
    _hand_over(request, job)


@command(Import)
def import_data(cmd: Import, request: Request) -> None:
    """Validate the import (objects, new table's name, key) and post it for confirmation."""
    runtime = request.runtime
    region = cmd.table.region or (cmd.like.region if cmd.like else None)
    region = region or runtime.settings.default_region
    if cmd.like is not None and cmd.like.region and cmd.like.region != region:
        raise OpsbotError("`--like` names a table in another region than the new table's.")
    wanted = ImportRequest(
        S3Location(cmd.bucket, cmd.prefix),
        cmd.table.name,
        region,
        cmd.data_format,
        cmd.like.name if cmd.like else None,
        parse_key(cmd.key) if cmd.key else None,
        parse_key(cmd.sort) if cmd.sort else None,
    )
    plan = validate_import(runtime, wanted)
    post_for_confirmation(
        request,
        kind=IMPORT,
        action="import",
        summary=plan.summary,
        payload={**plan.to_payload(), "account": ""},
        render=lambda plan_id: render_import_confirmation(
            plan,
            plan_id,
            request.user,
            expires_in=runtime.settings.confirm_ttl,
            price_per_gb=runtime.settings.import_price_per_gb,
        ),
    )


@plan_executor(IMPORT)
def run_import(plan: Plan, request: Request) -> None:
    """Re-validate at press time (the new table's name still free, the objects still there),
    then hand the job to the follow-up function, whose check 0 validates once more."""
    checked = validate_import(request.runtime, ImportPlan.from_payload(plan.payload).as_request())
    job = TransferJob(
        id=job_id_for(request.now, plan.id[:8]),
        kind=IMPORT,
        table=checked.table,
        region=checked.region,
        bucket=checked.bucket,
        prefix=checked.prefix.rstrip("/"),
        data_format=checked.data_format,
        requester=plan.requester,
        channel=plan.channel or request.channel,
        thread_ts=plan.message_ts or request.item.message_ts,
        created_at=request.now,
        plan=checked.to_payload(),
        approved_by=request.approved_by,
        size_bytes=checked.size_bytes,
        cost=checked.cost,
    )
    _hand_over(request, job)


@command(Exports)
def exports(cmd: Exports, request: Request) -> None:
    """List exports in progress and recent ones, with links to their threads."""
    accounts = request.runtime.settings.accounts
    labels = {a.id: a.alias for a in accounts if not a.is_home} if accounts else None
    jobs = recent_jobs(request.runtime.state, EXPORT)
    table = cmd.table.name if cmd.table else None
    request.reply(render_exports_list(jobs, request.now, table=table, account_labels=labels))
