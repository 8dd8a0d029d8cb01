"""Restore and PITR renderings, compared with golden files in tests/golden/restores/."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.backups import BackupInfo, BackupType
from bot.domain.restore_jobs import COMPLETED, FAILED, RestoreJob, count_in_progress
from bot.domain.restores import RestoreRequest, plan_restore
from bot.domain.tables import PitrWindow
from bot.render.restore_jobs import (
    render_restore_completed,
    render_restore_failed,
    render_restore_progress,
    render_restore_slow,
    render_restore_started,
    render_restores_list,
    render_settings_copied,
)
from bot.render.restores import (
    render_pitr_changed,
    render_pitr_off_confirmation,
    render_pitr_status,
    render_restore_confirmation,
)
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)
WINDOW = PitrWindow(True, NOW - timedelta(days=35), NOW - timedelta(minutes=5), 35)
JOB = RestoreJob(
    id="20261122T094200Z-0a1b2c3d",
    source_table="orders",
    region="us-west-2",
    target="orders-copy",
    kind="pitr",
    requester="U0ADMIN01",
    channel="C0OPSBOT1",
    thread_ts="1795340000.000100",
    started_at=NOW - timedelta(minutes=23),
    at=datetime(2026, 11, 22, 8, 42, tzinfo=UTC),
)


def test_confirmation_of_a_pitr_restore_states_source_time_target_and_duration() -> None:
    request = RestoreRequest("orders", "us-west-2", at=NOW - timedelta(hours=1, minutes=18))
    plan = plan_restore(request, now=NOW, window=WINDOW, target_exists=False)
    message = render_restore_confirmation(plan, "p1", "U0ADMIN01", NOW, expires_in=TTL)
    assert_golden("restores", "confirm_pitr", message.as_args())


def test_confirmation_of_a_backup_restore() -> None:
    backup = BackupInfo(
        "arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/01795000000000-abcd0123",
        "before-<migration>",
        "orders",
        NOW - timedelta(days=2),
        4096,
        BackupType.USER,
        "AVAILABLE",
    )
    request = RestoreRequest("orders", "us-west-2", backup=backup.name, to="orders-copy")
    plan = plan_restore(request, now=NOW, window=None, target_exists=False, backup=backup)
    message = render_restore_confirmation(plan, "p2", "U0OPER001", NOW, expires_in=TTL)
    assert_golden("restores", "confirm_backup_escaped", message.as_args())


def test_thread_messages() -> None:
    done = replace(
        JOB, status=COMPLETED, finished_at=NOW, item_count=1_234_567, size_bytes=734 * 2**20
    )
    failed = replace(
        JOB,
        status=FAILED,
        finished_at=NOW,
        reason="the table's KMS key is not accessible <@U0ATTACK>",
    )
    assert_golden("restores", "started", render_restore_started(JOB).as_args())
    assert_golden("restores", "progress", render_restore_progress(JOB, NOW).as_args())
    assert_golden(
        "restores",
        "slow",
        render_restore_slow(
            JOB, NOW + timedelta(hours=1, minutes=10), slow_after=timedelta(minutes=90)
        ).as_args(),
    )
    assert_golden("restores", "completed", render_restore_completed(done).as_args())
    assert_golden("restores", "failed", render_restore_failed(failed, NOW).as_args())
    copied = render_settings_copied(
        done, ["TTL on exp", "2 tags"], ["point-in-time recovery"], "U0OPER001"
    )
    assert_golden("restores", "settings_copied", copied.as_args())


def test_restores_list_links_each_thread() -> None:
    done = replace(
        JOB,
        id="20261121T080000Z-1",
        target="orders-restored-20261121-0800",
        status=COMPLETED,
        started_at=NOW - timedelta(days=1, hours=2),
        finished_at=NOW - timedelta(days=1, hours=1, minutes=20),
    )
    message = render_restores_list([JOB, done], NOW)
    assert_golden("restores", "list", message.as_args())
    assert render_restores_list([], NOW).text.startswith("No restores")


def test_a_confirmed_restore_not_yet_started_is_listed_in_progress_as_starting() -> None:
    starting = replace(
        JOB, target="orders-b", status="starting", started_at=NOW - timedelta(minutes=1)
    )
    text = json.dumps(render_restores_list([starting, JOB], NOW).as_args(), ensure_ascii=False)
    assert "*In progress* (2)" in text
    assert "`orders` → `orders-b` (us-west-2) · starting · started 1 min ago" in text


def test_pitr_messages() -> None:
    assert_golden(
        "restores", "pitr_on", render_pitr_status("orders", "us-west-2", WINDOW, NOW).as_args()
    )
    assert_golden(
        "restores",
        "pitr_off",
        render_pitr_status("orders", "us-west-2", PitrWindow(False), NOW).as_args(),
    )
    confirm = render_pitr_off_confirmation(
        "orders", "us-west-2", WINDOW, "p3", "U0ADMIN01", NOW, expires_in=TTL
    )
    assert_golden("restores", "pitr_off_confirm", confirm.as_args())
    assert_golden(
        "restores",
        "pitr_turned_on",
        render_pitr_changed("orders", "us-west-2", True, "U1").as_args(),
    )


def test_a_confirmed_restore_that_never_started_is_not_listed_in_progress() -> None:
    stuck = replace(JOB, status="starting", started_at=NOW - timedelta(minutes=40))
    text = json.dumps(render_restores_list([stuck], NOW).as_args(), ensure_ascii=False)
    assert "*Recent* (1)" in text
    assert "not started: the restore function failed to start it" in text
    assert count_in_progress([stuck], NOW) == 0
    assert count_in_progress([replace(stuck, started_at=NOW - timedelta(minutes=5))], NOW) == 1
