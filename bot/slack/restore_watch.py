"""The restore watcher (functions/restore_watcher.py): one check of a started restore per SQS
message, until it completes or fails. Idempotent per job and check number.
"""

from __future__ import annotations

from dataclasses import replace

from bot.aws.restores import describe_target, enqueue_check, load_job, update_job
from bot.domain.restores import COMPLETED, RestoreJob, decide_check
from bot.render.restores import (
    render_restore_completed,
    render_restore_failed,
    render_restore_progress,
    render_restore_slow,
)
from bot.runtime import Runtime
from bot.slack.places import clients_in, label_of

WATCH_SCOPE = "restore-watch"
_WATCH_LEASE_S = 300
_WATCH_KEEP_S = 3 * 86400


def job_account_label(runtime: Runtime, account_id: str) -> str | None:
    """The alias shown for a stored account id (None without [[accounts]]: no change)."""
    return label_of(runtime, account_id or None)


def watch_restore(job_id: str, check: int, runtime: Runtime) -> str:
    """Run check number ``check`` of a restore job once; returns what happened, for logs."""
    job = load_job(runtime.state, job_id)
    if job is None:
        return "unknown job"
    if job.finished or check <= job.checks:
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
        outcome = _check(job, check, runtime)
    except Exception:
        runtime.state.release_once(WATCH_SCOPE, f"{job_id}#{check}")
        raise
    runtime.state.complete_once(WATCH_SCOPE, f"{job_id}#{check}")
    return outcome


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
