"""The follow-up function's side of exports and imports (kinds 'export' and 'import'):
check 0 of a confirmed job checks it once more (an export: the table, its PITR window, the
bucket: configured, existing, in the table's region; an import: the objects, the new
table's name still free) and starts it; checks 1, 2, ... follow it with DescribeExport or
DescribeImport until it completes or fails. One check per SQS message, idempotent per job
and check number.

Starting here, not in the Slack worker, keeps the S3 object permissions (and the table
creation an import makes) off the function that handles Slack's requests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.aws.restores import table_exists
from bot.aws.state import record_bot_action
from bot.aws.transfers import (
    bucket_region,
    describe_export,
    describe_import,
    key_of,
    list_source,
    load_job,
    source_table,
    start_export,
    start_import,
    update_job,
)
from bot.domain.errors import Conflict, OpsbotError
from bot.domain.exports import ExportPlan, ExportRequest, check_bucket, plan_export
from bot.domain.followed_jobs import COMPLETED, FAILED, IN_PROGRESS
from bot.domain.imports import ImportPlan, ImportRequest, choose_objects, plan_import
from bot.domain.transfer_jobs import EXPORT, IMPORT, TransferJob, decide_transfer_check
from bot.flows.follow_checks import run_check, send_check
from bot.flows.places import clients_in, label_of
from bot.render.transfers import (
    render_transfer_completed,
    render_transfer_failed,
    render_transfer_not_started,
    render_transfer_progress,
    render_transfer_started,
)
from bot.runtime import Runtime


def validate_export(
    runtime: Runtime, wanted: ExportRequest, now: datetime, *, account: str = ""
) -> ExportPlan:
    """Read the table's ARN, size and PITR window, then plan (or refuse) the export."""
    dynamodb = clients_in(runtime, account or None)("dynamodb", wanted.region)
    settings = runtime.settings
    return plan_export(
        wanted,
        now=now,
        source=source_table(dynamodb, wanted.table, wanted.region),
        buckets=settings.export_buckets,
        price_per_gb=settings.export_price_per_gb,
    )


def validate_import(runtime: Runtime, wanted: ImportRequest, *, account: str = "") -> ImportPlan:
    """List the source's objects, check the new table's name and the `--like` table's key,
    then plan (or refuse) the import."""
    clients = clients_in(runtime, account or None)
    dynamodb = clients("dynamodb", wanted.region)
    settings = runtime.settings
    check_bucket(wanted.source, settings.export_buckets)  # before listing anything
    listed = list_source(clients("s3", wanted.region), wanted.source.bucket, wanted.source.prefix)
    like = key_of(dynamodb, wanted.like, wanted.region) if wanted.like else None
    return plan_import(
        wanted,
        objects=choose_objects(wanted.source, listed),
        target_exists=table_exists(dynamodb, wanted.table),
        like_keys=like,
        buckets=settings.export_buckets,
        price_per_gb=settings.import_price_per_gb,
    )


def watch_export(job_id: str, check: int, runtime: Runtime) -> str:
    """The follower of kind 'export' (bot/flows/follow_up.py)."""
    job = load_job(runtime.state, EXPORT, job_id)
    return run_check(job, check, runtime, kind=EXPORT, start=_start, follow=follow_transfer)


def watch_import(job_id: str, check: int, runtime: Runtime) -> str:
    """The follower of kind 'import' (bot/flows/follow_up.py)."""
    job = load_job(runtime.state, IMPORT, job_id)
    return run_check(job, check, runtime, kind=IMPORT, start=_start_import, follow=follow_transfer)


def not_started(runtime: Runtime, job: TransferJob, reason: str) -> str:
    """Record and tell in the thread that a confirmed job did not start."""
    failed = replace(job, status=FAILED, finished_at=runtime.now(), reason=reason)
    label = label_of(runtime, job.account or None)
    runtime.notifier.post(
        job.channel,
        render_transfer_not_started(job, reason, account_label=label),
        thread_ts=job.thread_ts or None,
    )
    update_job(runtime.state, failed)
    return "not started"


def started(runtime: Runtime, job: TransferJob, arn: str, request_id: str, command: str) -> str:
    """Record a started job, attribute its AWS request, send check 1, tell the thread."""
    running = replace(job, status=IN_PROGRESS, arn=arn, started_at=runtime.now())
    # Stored first: a retry of this check must not start it again.
    update_job(runtime.state, running)
    if request_id:
        record_bot_action(
            runtime.state,
            request_id=request_id,
            slack_user=job.requester,
            command=command,
            now=runtime.epoch(),
            approved_by=job.approved_by,
        )
    send_check(runtime, job.kind, job.id, 1)
    label = label_of(runtime, job.account or None)
    runtime.notifier.post(
        job.channel,
        render_transfer_started(running, account_label=label),
        thread_ts=job.thread_ts or None,
    )
    return "started"


def _start(job: TransferJob, runtime: Runtime) -> str:
    """Check 0: the confirmed export, checked against the state now, is started (once: the
    job id is the export's ClientToken, so a retried call is the same export)."""
    now = runtime.now()
    clients = clients_in(runtime, job.account or None)
    confirmed = ExportPlan.from_payload(job.plan)
    try:
        plan = validate_export(runtime, confirmed.as_request(), now, account=job.account)
        where = bucket_region(clients("s3", plan.region), plan.bucket)
        if where is None:
            raise Conflict(f"The bucket `{plan.bucket}` does not exist (or opsbot cannot see it).")
        if where != plan.region:
            raise Conflict(
                f"The bucket `{plan.bucket}` is in {where}, not in {plan.region} with the table: "
                "opsbot exports only into a bucket of the table's region."
            )
        arn, request_id = start_export(clients("dynamodb", plan.region), plan, client_token=job.id)
    except OpsbotError as exc:
        return not_started(runtime, job, exc.message)
    return started(runtime, job, arn, request_id, f"/ddb export {job.table} --to {job.location}")


def _start_import(job: TransferJob, runtime: Runtime) -> str:
    """Check 0 of an import: the objects and the new table's name, checked again now, then
    ImportTable (the job id is its ClientToken: a retried call is the same import)."""
    clients = clients_in(runtime, job.account or None)
    confirmed = ImportPlan.from_payload(job.plan)
    try:
        plan = validate_import(runtime, confirmed.as_request(), account=job.account)
        arn, request_id = start_import(clients("dynamodb", plan.region), plan, client_token=job.id)
    except OpsbotError as exc:
        return not_started(runtime, job, exc.message)
    return started(runtime, job, arn, request_id, f"/ddb import {job.location} --to {job.table}")


def follow_transfer(job: TransferJob, check: int, runtime: Runtime) -> str:
    """Checks 1, 2, ...: describe the job in AWS, post when due, send the next check."""
    now = runtime.now()
    dynamodb = clients_in(runtime, job.account or None)("dynamodb", job.region)
    describe = describe_import if job.kind == IMPORT else describe_export
    state = describe(dynamodb, job.arn)
    decision = decide_transfer_check(
        job, state, now, poll_every=runtime.settings.restore_poll_every
    )
    updated = replace(decision.job, checks=check)
    thread = job.thread_ts or None
    if updated.status == COMPLETED:
        message = render_transfer_completed(updated, now)
        runtime.notifier.post(job.channel, message, thread_ts=thread, broadcast=True)
    elif updated.finished:
        message = render_transfer_failed(updated, now)
        runtime.notifier.post(job.channel, message, thread_ts=thread, broadcast=True)
    elif decision.post_progress:
        runtime.notifier.post(job.channel, render_transfer_progress(updated, now), thread_ts=thread)
    update_job(runtime.state, updated)
    if decision.next_check_in is not None:
        delay = int(decision.next_check_in.total_seconds())
        send_check(runtime, job.kind, job.id, check + 1, delay)
    return decision.outcome
