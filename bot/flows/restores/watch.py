"""The restore function (functions/restore_watcher.py): check 0 of a confirmed restore job
starts it, checks 1, 2, ... follow it until it completes or fails; one check per SQS message,
idempotent per job and check number.

Starting restores here, not in the Slack worker, keeps the item-level permissions AWS asks of
a restore's caller on the new table (PutItem, Scan, ...) off the function that handles
Slack's requests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.aws.restores import (
    describe_target,
    enqueue_check,
    find_backup,
    load_job,
    read_pitr,
    running_jobs,
    start_restore,
    started_by_a_lost_attempt,
    table_exists,
    update_job,
)
from bot.aws.state import record_bot_action
from bot.domain.errors import Conflict, OpsbotError
from bot.domain.restore_jobs import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    STARTING,
    RestoreJob,
    count_in_progress,
    decide_check,
)
from bot.domain.restores import RestorePlan, RestoreRequest, default_target, plan_restore
from bot.domain.tables import PitrWindow
from bot.flows.places import clients_in, label_of
from bot.render.restore_jobs import (
    render_restore_completed,
    render_restore_failed,
    render_restore_not_started,
    render_restore_progress,
    render_restore_slow,
    render_restore_started,
)
from bot.runtime import Runtime

WATCH_SCOPE = "restore-watch"
_WATCH_LEASE_S = 300
_WATCH_KEEP_S = 3 * 86400


def job_account_label(runtime: Runtime, account_id: str) -> str | None:
    """The alias shown for a stored account id (None without [[accounts]]: no change)."""
    return label_of(runtime, account_id or None)


def validate_restore(
    runtime: Runtime,
    wanted: RestoreRequest,
    now: datetime,
    *,
    account: str = "",
    job_id: str = "",
) -> RestorePlan:
    """Read what the checks need from AWS and the job records, then plan (or refuse).

    ``account`` is a member account's id ('' : opsbot's own); the limit of restores in
    progress is counted per account, as AWS counts it, leaving out the job ``job_id`` that
    is being started.
    """
    dynamodb = clients_in(runtime, account or None)("dynamodb", wanted.region)
    target = wanted.to
    window: PitrWindow | None = None
    backup = None
    if wanted.backup is None:
        window = read_pitr(dynamodb, wanted.table, wanted.region)
    else:
        backup = find_backup(dynamodb, wanted.table, wanted.backup)
    target_exists = table_exists(dynamodb, target or default_target(wanted.table, now))
    others = [j for j in running_jobs(runtime.state) if j.account == account and j.id != job_id]
    return plan_restore(
        wanted,
        now=now,
        window=window,
        target_exists=target_exists,
        backup=backup,
        in_progress=count_in_progress(others, now),
    )


def watch_restore(job_id: str, check: int, runtime: Runtime) -> str:
    """Run check number ``check`` of a restore job once; returns what happened, for logs."""
    job = load_job(runtime.state, job_id)
    if job is None:
        return "unknown job"
    if check == 0 and job.status != STARTING:
        if job.status == IN_PROGRESS and job.checks == 0:
            # started, but a crash may have come before check 1 was scheduled: schedule it
            # (again: checks are idempotent)
            sqs, url = runtime.client("sqs"), runtime.settings.restore_queue_url
            enqueue_check(sqs, url, job.id, 1, delay_s=0)
        return "already started"
    if job.finished or (check <= job.checks and check > 0):
        return "already checked"
    if not runtime.state.claim_once(
        WATCH_SCOPE,
        f"{job_id}#{check}",
        now=runtime.epoch(),
        lease_s=_WATCH_LEASE_S,
        keep_s=_WATCH_KEEP_S,
    ):
        return "duplicate delivery"
    try:
        outcome = _start(job, runtime) if check == 0 else _check(job, check, runtime)
    except Exception:
        runtime.state.release_once(WATCH_SCOPE, f"{job_id}#{check}")
        raise
    runtime.state.complete_once(WATCH_SCOPE, f"{job_id}#{check}")
    return outcome


def _start(job: RestoreJob, runtime: Runtime) -> str:
    """Check 0: re-check the confirmed restore against the state now, start it, schedule check 1.

    A retry after a crash that came after AWS accepted the restore finds the new table being
    restored from this job's source: that restore is followed, not refused as an existing table.
    """
    now, settings = runtime.now(), runtime.settings
    dynamodb = clients_in(runtime, job.account or None)("dynamodb", job.region)
    label = job_account_label(runtime, job.account)
    try:
        try:
            checked = validate_restore(
                runtime, job.plan.as_request(), now, account=job.account, job_id=job.id
            )
        except Conflict:
            adopted = started_by_a_lost_attempt(dynamodb, job.plan)
            if adopted is None:
                raise
            started = adopted
        else:
            started = start_restore(dynamodb, checked)
    except OpsbotError as exc:
        failed = replace(job, status=FAILED, finished_at=now, reason=exc.message)
        runtime.notifier.post(
            job.channel,
            render_restore_not_started(job, exc.message, account_label=label),
            thread_ts=job.thread_ts or None,
        )
        update_job(runtime.state, failed)
        return "not started"
    running = replace(job, status=IN_PROGRESS, started_at=now)
    # Stored before anything else: a retry of this check must not start the restore again.
    update_job(runtime.state, running)
    if started.request_id:  # none when a retry found the restore its lost attempt started
        record_bot_action(
            runtime.state,
            request_id=started.request_id,
            slack_user=job.requester,
            command=f"/ddb restore {job.source_table} --to {job.target}",
            now=runtime.epoch(),
            approved_by=job.approved_by,
        )
    enqueue_check(runtime.client("sqs"), settings.restore_queue_url, job.id, 1, delay_s=0)
    posted = runtime.notifier.post(
        job.channel,
        render_restore_started(running, account_label=label),
        thread_ts=job.thread_ts or None,
    )
    if not job.thread_ts:
        update_job(runtime.state, replace(running, thread_ts=posted.ts))
    return "started"


def _check(job: RestoreJob, check: int, runtime: Runtime) -> str:
    settings, now = runtime.settings, runtime.now()
    target = describe_target(
        clients_in(runtime, job.account or None)("dynamodb", job.region), job.target
    )
    label = job_account_label(runtime, job.account)
    decision = decide_check(
        job,
        target,
        now,
        poll_every=settings.restore_poll_every,
        slow_after=settings.restore_slow_after,
    )
    updated = replace(decision.job, checks=check)
    thread = job.thread_ts or None
    if updated.status == COMPLETED:
        runtime.notifier.post(
            job.channel,
            render_restore_completed(updated, account_label=label),
            thread_ts=thread,
            broadcast=True,
        )
    elif updated.finished:
        runtime.notifier.post(
            job.channel,
            render_restore_failed(updated, now, account_label=label),
            thread_ts=thread,
            broadcast=True,
        )
    elif decision.post_slow_warning:
        runtime.notifier.post(
            job.channel,
            render_restore_slow(updated, now, slow_after=settings.restore_slow_after),
            thread_ts=thread,
        )
    elif decision.post_progress:
        runtime.notifier.post(job.channel, render_restore_progress(updated, now), thread_ts=thread)
    update_job(runtime.state, updated)
    if decision.next_check_in is not None:
        enqueue_check(
            runtime.client("sqs"),
            settings.restore_queue_url,
            job.id,
            check + 1,
            delay_s=int(decision.next_check_in.total_seconds()),
        )
    return decision.outcome
