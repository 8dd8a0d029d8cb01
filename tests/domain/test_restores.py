"""Restore validation and the watcher's decisions: pure, no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.backups import BackupInfo, BackupType
from bot.domain.errors import Conflict, LimitReached, UsageError
from bot.domain.restore_jobs import (
    COMPLETED,
    FAILED,
    GAVE_UP,
    IN_PROGRESS,
    RestoreJob,
    TargetState,
    decide_check,
)
from bot.domain.restores import (
    RestorePlan,
    RestoreRequest,
    default_target,
    describe_window,
    plan_restore,
)
from bot.domain.tables import PitrWindow

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WINDOW = PitrWindow(
    enabled=True,
    earliest=NOW - timedelta(days=35),
    latest=NOW - timedelta(minutes=5),
    recovery_days=35,
)
BACKUP = BackupInfo(
    arn="arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/01700000000000-abcdef01",
    name="before-migration",
    table="orders",
    created=NOW - timedelta(days=2),
    size_bytes=2048,
    type=BackupType.USER,
    status="AVAILABLE",
)
POLL = timedelta(minutes=5)
SLOW = timedelta(minutes=90)


def at(delta: timedelta) -> RestoreRequest:
    return RestoreRequest("orders", "us-west-2", at=NOW - delta, to="orders-copy")


def test_time_inside_the_window_gives_a_pitr_plan() -> None:
    plan = plan_restore(at(timedelta(hours=2)), now=NOW, window=WINDOW, target_exists=False)
    assert (plan.kind, plan.target, plan.at) == ("pitr", "orders-copy", NOW - timedelta(hours=2))
    assert plan.summary == "restore `orders` (2026-11-22 08:00 UTC) to new table `orders-copy`"


def test_time_outside_the_window_is_refused_with_the_window_in_utc_and_relative() -> None:
    with pytest.raises(UsageError) as raised:
        plan_restore(at(timedelta(minutes=1)), now=NOW, window=WINDOW, target_exists=False)
    assert raised.value.message == (
        "2026-11-22 09:59 UTC (1 min ago) is outside the restorable window of `orders`: "
        "2026-10-18 10:00 UTC (35 d ago) → 2026-11-22 09:55 UTC (5 min ago). "
        "Pick a time inside it, or `--latest`."
    )
    assert raised.value.usage.startswith("/ddb restore <table>")


def test_time_before_the_earliest_restorable_is_refused() -> None:
    with pytest.raises(UsageError, match="outside the restorable window"):
        plan_restore(at(timedelta(days=36)), now=NOW, window=WINDOW, target_exists=False)


@pytest.mark.parametrize(
    ("request_", "window", "target_exists", "backup", "in_progress", "error", "says"),
    [
        (at(timedelta(hours=1)), WINDOW, True, None, 0, Conflict, "already exists"),
        (at(timedelta(hours=1)), PitrWindow(False), False, None, 0, Conflict, "is off"),
        (at(timedelta(hours=1)), None, False, None, 0, Conflict, "does not exist"),
        (at(timedelta(hours=1)), WINDOW, False, None, 50, LimitReached, "50 per account"),
        (
            RestoreRequest("orders", "us-west-2", backup="nope", to="orders-copy"),
            None,
            False,
            None,
            0,
            Conflict,
            "There is no backup `nope`",
        ),
        (
            RestoreRequest("orders", "us-west-2", backup="before-migration", to="x-copy"),
            None,
            False,
            replace(BACKUP, status="CREATING"),
            0,
            Conflict,
            "not AVAILABLE",
        ),
        (
            RestoreRequest("orders", "us-west-2", backup=BACKUP.arn, to="x-copy"),
            None,
            False,
            replace(BACKUP, table="payments"),
            0,
            Conflict,
            "backup of `payments`",
        ),
        (
            RestoreRequest("orders", "us-west-2", latest=True, to="orders"),
            WINDOW,
            False,
            None,
            0,
            UsageError,
            "never overwrites",
        ),
    ],
    ids=[
        "target-exists",
        "pitr-off",
        "source-gone-for-pitr",
        "concurrent-limit",
        "backup-not-found",
        "backup-not-available",
        "backup-of-another-table",
        "target-is-source",
    ],
)
def test_refusals_name_the_problem(
    request_: RestoreRequest,
    window: PitrWindow | None,
    target_exists: bool,
    backup: BackupInfo | None,
    in_progress: int,
    error: type[Exception],
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        plan_restore(
            request_,
            now=NOW,
            window=window,
            target_exists=target_exists,
            backup=backup,
            in_progress=in_progress,
        )


def test_backup_restore_works_when_the_source_table_is_gone() -> None:
    wanted = RestoreRequest("orders", "us-west-2", backup="before-migration")
    plan = plan_restore(wanted, now=NOW, window=None, target_exists=False, backup=BACKUP)
    assert (plan.kind, plan.backup_arn, plan.target) == (
        "backup",
        BACKUP.arn,
        "orders-restored-20261122-1000",
    )


def test_default_target_is_table_restored_utc_stamp_and_fits_255() -> None:
    assert default_target("orders", NOW) == "orders-restored-20261122-1000"
    long = default_target("t" * 255, NOW)
    assert len(long) == 255
    assert long.endswith("-restored-20261122-1000")


def test_latest_needs_pitr_but_no_time_check() -> None:
    wanted = RestoreRequest("orders", "us-west-2", latest=True, to="orders-copy")
    plan = plan_restore(wanted, now=NOW, window=WINDOW, target_exists=False)
    assert plan.latest
    assert plan.at is None
    assert plan.point == "the latest restorable time"


def test_plan_survives_the_stored_payload() -> None:
    wanted = RestoreRequest("orders", "us-west-2", backup="before-migration", to="orders-copy")
    plan = plan_restore(wanted, now=NOW, window=None, target_exists=False, backup=BACKUP)
    assert RestorePlan.from_payload(plan.to_payload()) == plan
    pitr = plan_restore(at(timedelta(hours=3)), now=NOW, window=WINDOW, target_exists=False)
    assert RestorePlan.from_payload(pitr.to_payload()) == replace(pitr, window=None)


def test_window_description_when_pitr_is_off() -> None:
    assert describe_window(PitrWindow(False), NOW) == "no restorable window (PITR is off)"


# ---- the watcher ----------------------------------------------------------------------------

JOB = RestoreJob(
    id="20261122T100000Z-abc",
    source_table="orders",
    region="us-west-2",
    target="orders-copy",
    kind="pitr",
    requester="U1",
    channel="C1",
    thread_ts="1.0",
    started_at=NOW,
    latest=True,
)
CREATING = TargetState("CREATING", restore_in_progress=True)


def test_creating_waits_and_checks_again_after_the_poll_interval() -> None:
    decision = decide_check(JOB, CREATING, NOW + POLL, poll_every=POLL, slow_after=SLOW)
    assert decision.outcome == IN_PROGRESS
    assert decision.next_check_in == POLL
    assert not decision.post_progress
    assert not decision.post_slow_warning


def test_poll_interval_is_capped_at_the_sqs_maximum_delay() -> None:
    decision = decide_check(JOB, CREATING, NOW, poll_every=timedelta(hours=1), slow_after=SLOW)
    assert decision.next_check_in == timedelta(minutes=15)


def test_progress_is_posted_at_a_steady_fifteen_minute_pace() -> None:
    job, posted_at = JOB, []
    for minute in range(5, 80, 5):
        now = NOW + timedelta(minutes=minute)
        decision = decide_check(job, CREATING, now, poll_every=POLL, slow_after=SLOW)
        if decision.post_progress:
            posted_at.append(minute)
        job = decision.job
    assert posted_at == [15, 30, 45, 60, 75]


def test_a_late_check_does_not_post_progress_twice_in_a_row() -> None:
    late = decide_check(
        JOB, CREATING, NOW + timedelta(minutes=47), poll_every=POLL, slow_after=SLOW
    )
    assert late.post_progress
    assert late.job.progress_posts == 3
    after = decide_check(
        late.job, CREATING, NOW + timedelta(minutes=52), poll_every=POLL, slow_after=SLOW
    )
    assert not after.post_progress


def test_slow_warning_is_posted_once_past_the_limit() -> None:
    job, warnings = JOB, 0
    for minute in range(5, 150, 5):
        decision = decide_check(
            job, CREATING, NOW + timedelta(minutes=minute), poll_every=POLL, slow_after=SLOW
        )
        warnings += decision.post_slow_warning
        if decision.post_slow_warning:
            assert minute == 95
            assert not decision.post_progress
        job = decision.job
    assert warnings == 1


def test_active_without_restore_in_progress_completes_with_items_and_size() -> None:
    target = TargetState("ACTIVE", False, item_count=1200, size_bytes=4096)
    done = NOW + timedelta(minutes=23)
    decision = decide_check(JOB, target, done, poll_every=POLL, slow_after=SLOW)
    assert decision.outcome == COMPLETED
    assert decision.next_check_in is None
    assert (decision.job.finished_at, decision.job.item_count, decision.job.size_bytes) == (
        done,
        1200,
        4096,
    )


def test_active_while_restore_still_in_progress_keeps_waiting() -> None:
    target = TargetState("ACTIVE", restore_in_progress=True)
    decision = decide_check(JOB, target, NOW + POLL, poll_every=POLL, slow_after=SLOW)
    assert decision.outcome == IN_PROGRESS


@pytest.mark.parametrize(
    ("status", "says"),
    [(None, "does not exist any more"), ("DELETING", "being deleted"), ("ARCHIVED", "KMS key")],
    ids=["table-gone", "deleting", "kms-archived"],
)
def test_failed_restore_has_a_reason(status: str | None, says: str) -> None:
    decision = decide_check(
        JOB, TargetState(status), NOW + timedelta(minutes=30), poll_every=POLL, slow_after=SLOW
    )
    assert decision.outcome == FAILED
    assert says in decision.job.reason
    assert decision.next_check_in is None


def test_table_not_visible_yet_right_after_the_call_is_not_a_failure() -> None:
    decision = decide_check(
        JOB, TargetState(None), NOW + timedelta(seconds=10), poll_every=POLL, slow_after=SLOW
    )
    assert decision.outcome == IN_PROGRESS


def test_watcher_gives_up_after_a_day() -> None:
    decision = decide_check(
        JOB, CREATING, NOW + timedelta(hours=25), poll_every=POLL, slow_after=SLOW
    )
    assert decision.outcome == GAVE_UP
    assert decision.next_check_in is None


def test_job_survives_its_record() -> None:
    job = replace(JOB, at=NOW - timedelta(hours=1), latest=False, settings_copied=("TTL",))
    assert RestoreJob.from_record(job.id, job.to_record()) == job
    approved = replace(job, approved_by="U0APPROVE")
    assert RestoreJob.from_record(job.id, approved.to_record()) == approved
