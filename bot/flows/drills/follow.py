"""The drill follower (kind 'drill' on the follow-up queue, functions/restore_watcher.py):
check 0 deletes scratch tables a crashed drill left and starts the restore into the scratch
table; later checks follow the restore like any restore (bot.domain.restore_jobs), then
validate the copy, delete it, check that it is gone and report. One check per message,
idempotent per (drill, check).

A drill only reads the source table; it writes nothing but the scratch table, whose name
carries the reserved prefix (bot.aws.drills refuses any other, and so does IAM).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.aws.drills import (
    backup_item_count,
    count_items,
    delete_scratch,
    load_drill,
    read_sample,
    recent_drills,
    record_history,
    scratch_tables,
    shape_of,
    update_drill,
)
from bot.aws.restores import (
    describe_target,
    enqueue_check,
    start_restore,
    started_by_a_lost_attempt,
)
from bot.aws.tables import find_table
from bot.domain.drill_jobs import (
    DELETE_POLL,
    DELETING,
    FAILED,
    PASSED,
    RESTORING,
    STARTING,
    VALIDATING,
    DrillJob,
    history_entry,
)
from bot.domain.drills import (
    budget_problem,
    count_problem,
    sample_problem,
    shape_problems,
)
from bot.domain.errors import Conflict, OpsbotError
from bot.domain.restore_jobs import COMPLETED, IN_PROGRESS, decide_check
from bot.flows.drills.planning import KIND
from bot.flows.drills.schedule import post_digest_when_run_ends
from bot.flows.places import clients_in, label_of
from bot.flows.restores.watch import validate_restore
from bot.render.drills import (
    render_drill_cleaned,
    render_drill_not_started,
    render_drill_progress,
    render_drill_result,
    render_drill_started,
)
from bot.render.message import Message
from bot.runtime import Runtime

SCOPE = "drill-follow"
_LEASE_S = 300
_KEEP_S = 3 * 86400
# Scan pages counted per check: a check stays well inside the function's 60 s timeout.
PAGES_PER_CHECK = 200


def follow_drill(job_id: str, check: int, runtime: Runtime) -> str:
    """Run check number ``check`` of a drill once; what happened, for the logs."""
    job = load_drill(runtime.state, job_id)
    if job is None:
        return "unknown drill"
    if job.finished:
        return "already finished"
    if check == 0 and job.status != STARTING:
        return "already started"
    if 0 < check <= job.checks:
        return "already checked"
    if check == 0 and job.scheduled and _busy(runtime, job):
        # at most `[drills] max_at_once` scheduled drills underway: ask again later
        _enqueue(runtime, job.id, 0, runtime.settings.restore_poll_every)
        return "waiting for a free slot"
    if not runtime.state.claim_once(
        SCOPE, f"{job_id}#{check}", now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S
    ):
        return "duplicate delivery"
    try:
        outcome = _Drill(job, check, runtime).run()
    except Exception:
        runtime.state.release_once(SCOPE, f"{job_id}#{check}")
        raise
    runtime.state.complete_once(SCOPE, f"{job_id}#{check}")
    return outcome


class _Drill:
    """One check of one drill: moves it through as many stages as it can now."""

    def __init__(self, job: DrillJob, check: int, runtime: Runtime) -> None:
        self.job = replace(job, checks=check)
        self.check = check
        self.runtime = runtime
        self.now = runtime.now()
        self.dynamodb = clients_in(runtime, job.account or None)("dynamodb", job.region)
        self.label = label_of(runtime, job.account or None)

    def run(self) -> str:
        if self.job.status == STARTING:
            return self._start()
        if self.job.status == RESTORING:
            return self._restoring()
        if self.job.status == VALIDATING:
            return self._validating()
        return self._deleting()

    # ---- stages ----------------------------------------------------------------------------

    def _start(self) -> str:
        cleaned = self._clean_leftovers()
        job = replace(self.job, cleaned=cleaned)
        try:
            try:
                checked = validate_restore(
                    self.runtime,
                    job.restore.plan.as_request(),
                    self.now,
                    account=job.account,
                    job_id=job.id,
                )
                start_restore(self.dynamodb, checked)
            except Conflict:
                # a retry after a crash that came after AWS accepted the restore: follow it
                if started_by_a_lost_attempt(self.dynamodb, job.restore.plan) is None:
                    raise
        except OpsbotError as exc:
            self.job = replace(job, reasons=(f"the restore did not start: {exc.message}",))
            self._post(render_drill_not_started(self.job, exc.message, account_label=self.label))
            return self._finish(FAILED)
        restore = replace(job.restore, status=IN_PROGRESS, started_at=self.now)
        self.job = replace(job, status=RESTORING, restore=restore, restore_started_at=self.now)
        update_drill(self.runtime.state, self.job)  # before anything else: never start twice
        posted = self._post(render_drill_started(self.job, account_label=self.label))
        if not self.job.restore.thread_ts and posted:
            # a drill without a thread (none yet) reports under its first post
            self.job = replace(self.job, restore=replace(self.job.restore, thread_ts=posted))
            update_drill(self.runtime.state, self.job)
        if cleaned:
            self._post(render_drill_cleaned(cleaned))
        self._next(timedelta(0))  # the first look right away, as for restores
        return "started"

    def _restoring(self) -> str:
        settings = self.runtime.settings
        target = describe_target(self.dynamodb, self.job.scratch)
        decision = decide_check(
            self.job.restore,
            target,
            self.now,
            poll_every=settings.restore_poll_every,
            slow_after=settings.restore_slow_after,
        )
        restore = decision.job
        self.job = replace(self.job, restore=restore)
        if restore.status == COMPLETED:
            self.job = replace(
                self.job,
                status=VALIDATING,
                active_at=self.now,
                validation_started_at=self.now,
                size_bytes=restore.size_bytes if restore.size_bytes else self.job.size_bytes,
            )
            return self._validating()
        if restore.finished:
            self.job = replace(self.job, reasons=(f"the restore failed: {restore.reason}",))
            return self._delete()
        if decision.post_progress or decision.post_slow_warning:
            self._post(render_drill_progress(self.job, self.now))
        update_drill(self.runtime.state, self.job)
        self._next(decision.next_check_in or settings.restore_poll_every)
        return "restoring"

    def _validating(self) -> str:
        job, drills = self.job, self.runtime.settings.drills
        reasons = list(job.reasons)
        if job.count_pages == 0 and not job.count_cursor:
            reasons += self._first_look()
            job = self.job
            if job.sample_read is None:  # the copy is gone: nothing to count or delete
                self.job = replace(job, reasons=tuple(reasons), validated_at=self.now)
                return self._delete()
        budget = drills.count_budget_pages - job.count_pages
        counted, cursor, pages = count_items(
            self.dynamodb, job.scratch, job.count_cursor, max_pages=min(PAGES_PER_CHECK, budget)
        )
        job = replace(
            job,
            copy_count=job.copy_count + counted,
            count_cursor=cursor,
            count_pages=job.count_pages + pages,
            reasons=tuple(reasons),
        )
        if cursor and job.count_pages < drills.count_budget_pages:
            self.job = job
            update_drill(self.runtime.state, job)
            self._next(timedelta(0))
            return "counting"
        if cursor:
            reasons.append(budget_problem(job.count_pages, job.copy_count))
        else:
            problem = count_problem(job.source_count, job.copy_count)
            reasons += [problem] if problem else []
            sampled = sample_problem(drills.sample, job.sample_read or 0, job.copy_count)
            reasons += [sampled] if sampled else []
        self.job = replace(job, reasons=tuple(reasons), validated_at=self.now)
        return self._delete()

    def _first_look(self) -> list[str]:
        """Keys and indexes against the source's, the source's count, a sample read."""
        job, problems = self.job, []
        source = find_table(self.dynamodb, job.table, job.region)
        copy = find_table(self.dynamodb, job.scratch, job.region)
        if copy is None:
            return ["the copy disappeared before it could be checked"]
        if copy.get("TableStatus") != "ACTIVE":
            problems.append(f"the copy is {copy.get('TableStatus')}, not ACTIVE")
        if source is not None:
            problems += shape_problems(shape_of(source), shape_of(copy))
        count = job.source_count
        if job.restore.backup_arn:
            count = backup_item_count(self.dynamodb, job.restore.backup_arn)
        elif count is None and source is not None:
            count = int(source.get("ItemCount", 0))
        keys = tuple(k["AttributeName"] for k in copy.get("KeySchema") or ())
        sample = read_sample(self.dynamodb, job.scratch, keys, self.runtime.settings.drills.sample)
        self.job = replace(job, source_count=count, sample_read=sample)
        return problems

    def _delete(self) -> str:
        state = delete_scratch(self.dynamodb, self.job.scratch)
        self.job = replace(self.job, status=DELETING)
        if state == "busy":
            update_drill(self.runtime.state, self.job)
            self._next(DELETE_POLL)
            return "waiting to delete"
        return self._deleting()

    def _deleting(self) -> str:
        if describe_target(self.dynamodb, self.job.scratch).status is not None:
            if delete_scratch(self.dynamodb, self.job.scratch) == "gone":
                return self._finish(PASSED if self.job.passed else FAILED)
            update_drill(self.runtime.state, self.job)
            self._next(DELETE_POLL)
            return "deleting"
        return self._finish(PASSED if self.job.passed else FAILED)

    def _finish(self, status: str) -> str:
        self.job = replace(self.job, status=status, finished_at=self.now)
        if self.job.restore_started_at is not None:
            # a scheduled drill's result stays in its run's thread: the digest is broadcast
            result = render_drill_result(self.job, account_label=self.label)
            self._post(result, broadcast=not self.job.scheduled)
        update_drill(self.runtime.state, self.job)
        record_history(
            self.runtime.state,
            history_entry(self.job),
            account=self.job.account,
            region=self.job.region,
            now=self.runtime.epoch(),
        )
        post_digest_when_run_ends(self.runtime, self.job)
        return status

    # ---- helpers ---------------------------------------------------------------------------

    def _clean_leftovers(self) -> tuple[str, ...]:
        """Delete scratch tables no running drill owns (a crashed drill's)."""
        owned = {
            j.scratch
            for j in recent_drills(self.runtime.state, limit=200)
            if j.id != self.job.id
            and j.running(self.now)
            and (j.region, j.account) == (self.job.region, self.job.account)
        }
        deleted = []
        for table in scratch_tables(self.dynamodb):
            left = table not in owned and table != self.job.scratch
            if left and delete_scratch(self.dynamodb, table) == "deleting":
                deleted.append(table)
        return tuple(deleted)

    def _post(self, message: Message, *, broadcast: bool = False) -> str:
        thread = self.job.restore.thread_ts or None
        posted = self.runtime.notifier.post(
            self.job.restore.channel,
            message,
            thread_ts=thread,
            broadcast=broadcast and bool(thread),
        )
        return posted.ts

    def _next(self, delay: timedelta) -> None:
        _enqueue(self.runtime, self.job.id, self.check + 1, delay)


def _enqueue(runtime: Runtime, job_id: str, check: int, delay: timedelta) -> None:
    sqs, url = runtime.client("sqs"), runtime.settings.restore_queue_url
    enqueue_check(sqs, url, job_id, check, delay_s=int(delay.total_seconds()), kind=KIND)


def _busy(runtime: Runtime, job: DrillJob) -> bool:
    """Whether `[drills] max_at_once` scheduled drills are underway (restoring and after)."""
    now = runtime.now()
    underway = [
        j
        for j in recent_drills(runtime.state, limit=200)
        if j.scheduled and j.underway and j.running(now) and j.id != job.id
    ]
    return len(underway) >= runtime.settings.drills.max_at_once
