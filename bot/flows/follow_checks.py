"""One check of a followed job (exports, imports, replica changes), run once, and the hand
over of a confirmed job to the follow-up function: what their followers and plan executors
share. Each kind keeps its job records, decisions and renderers in its own modules; the
kinds and their followers are listed in bot/flows/follow_up.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from bot.aws.restores import enqueue_check
from bot.domain.errors import OpsbotError
from bot.domain.followed_jobs import FAILED, IN_PROGRESS, STARTING, FollowedJob

if TYPE_CHECKING:
    from bot.flows.registry import Request
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
Job = TypeVar("Job", bound=FollowedJob)
_LEASE_S = 300
_KEEP_S = 3 * 86400


def send_check(runtime: Runtime, kind: str, job_id: str, check: int, delay_s: int = 0) -> None:
    """Ask the follow-up function to run check ``check`` of a ``kind`` job after ``delay_s``."""
    url = runtime.settings.restore_queue_url
    enqueue_check(runtime.client("sqs"), url, job_id, check, delay_s=delay_s, kind=kind)


def run_check(
    job: Any,
    check: int,
    runtime: Runtime,
    *,
    kind: str,
    start: Callable[[Any, Runtime], str],
    follow: Callable[[Any, int, Runtime], str],
) -> str:
    """Run check ``check`` of ``job`` (None: unknown) once: ``start`` for check 0, ``follow``
    for the others. A duplicate delivery, or a check already made, does nothing."""
    if job is None:
        return "unknown job"
    if check == 0 and job.status != STARTING:
        if job.status == IN_PROGRESS and job.checks == 0:
            send_check(runtime, kind, job.id, 1)  # a crash may have come before check 1 went
        return "already started"
    if job.finished or 0 < check <= job.checks:
        return "already checked"
    key, state = f"{kind}:{job.id}#{check}", runtime.state
    if not state.claim_once(
        f"{kind}-watch", key, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S
    ):
        return "duplicate delivery"
    try:
        outcome = start(job, runtime) if check == 0 else follow(job, check, runtime)
    except Exception:
        state.release_once(f"{kind}-watch", key)
        raise
    state.complete_once(f"{kind}-watch", key)
    return outcome


def hand_over(
    request: Request,
    job: Job,
    *,
    kind: str,
    save: Callable[[Job], None],
    update: Callable[[Job], None],
) -> None:
    """Store a confirmed job (``save``) and send its check 0; if the queue cannot be reached,
    mark it failed (``update``) and say that nothing was started."""
    runtime = request.runtime
    job_id = job.id
    if not runtime.settings.restore_queue_url:
        raise OpsbotError(
            "opsbot has no follow-up queue configured (`OPSBOT_RESTORE_QUEUE_URL`), so it "
            f"cannot start this {kind}. Nothing was started."
        )
    save(job)
    try:
        send_check(runtime, kind, job_id, 0)
    except Exception as exc:
        log.exception("could not hand %s job %s to the follow-up function", kind, job_id)
        reason = "the follow-up function could not be reached; nothing was started"
        update(replace(job, status=FAILED, finished_at=request.now, reason=reason))  # type: ignore[type-var]
        raise OpsbotError(f"Could not start the {kind}: {reason}. Run it again to retry.") from exc
