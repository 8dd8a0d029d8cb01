"""Wording a reader at 3 a.m. should not trip on: money that reads as a sentence, plural
agreement, a window said once, the table's colour on App Home."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.backups import BackupInfo, BackupType
from bot.domain.policy import RetentionPolicy
from bot.domain.replicas import AlarmInfo, HomeView, TableHealth
from bot.domain.restore_jobs import RestoreJob
from bot.domain.retention import PruneOutcome, plan_prune
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus, table_risks
from bot.render.audit import render_who_changed
from bot.render.backups import (
    render_backup_list,
    render_prune_digest,
    render_prune_plan,
    render_prune_result,
)
from bot.render.home import render_home
from bot.render.restore_jobs import render_restores_list
from bot.render.units import monthly

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
BOT = Path(__file__).resolve().parents[2] / "bot"


def backup(name: str, age: timedelta, size: int = 123) -> BackupInfo:
    return BackupInfo(
        arn=f"arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/{name}",
        name=name,
        table="orders",
        created=NOW - age,
        size_bytes=size,
        type=BackupType.USER,
        status="AVAILABLE",
    )


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(0.001, "under $0.01/month"), (0.0, "$0.00/month"), (1.25, "~$1.25/month")],
    ids=["tiny", "nothing", "some"],
)
def test_a_monthly_amount_reads_as_one_phrase(amount: float, shown: str) -> None:
    assert monthly(amount) == shown


def test_no_backup_message_says_approximately_under() -> None:
    backups = [backup(f"b{n}", timedelta(days=n + 1)) for n in range(5)]
    plan = plan_prune(backups, RetentionPolicy(keep_last=1), NOW)
    messages = [
        render_backup_list("orders", backups, NOW, pitr_enabled=False, price_per_gb_month=0.1),
        render_prune_plan("orders", plan, RetentionPolicy(keep_last=1), NOW, 0.1, apply=False),
        render_prune_result("orders", ["b1"], [], 123, 0.1),
        render_prune_digest([PruneOutcome("orders", planned=4, bytes_freed=492)], NOW, "report"),
    ]
    for message in messages:
        shown = json.dumps(message.as_args(), ensure_ascii=False)
        assert "~under" not in shown
        assert "under $0.01/month" in shown


def _string_parts(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_message_hedges_its_plural_with_s_in_parentheses() -> None:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        for line, text in _string_parts(ast.parse(path.read_text(encoding="utf-8"))):
            if "(s)" in text:
                found.append(f"{path.relative_to(BOT.parent)}:{line}: {text.strip()[:60]}")
    assert found == []


def status(alarms: tuple[str, ...]) -> TableStatus:
    return TableStatus(
        name="orders",
        region="us-west-2",
        account="123456789012",
        status="ACTIVE",
        billing_mode="PAY_PER_REQUEST",
        item_count=1,
        size_bytes=1,
        read_capacity=None,
        write_capacity=None,
        deletion_protection=True,
        pitr=PitrWindow(enabled=True, earliest=NOW - timedelta(days=3), latest=NOW),
        newest_backup=NewestBackup("b", NOW - timedelta(hours=1), "USER"),
        alarms_firing=alarms,
    )


def test_one_alarm_firing_is_one_alarm() -> None:
    risks = table_risks(status(("orders-write-throttle",)), NOW, max_backup_age=timedelta(days=2))
    assert "1 alarm firing" in risks
    two = table_risks(status(("a", "b")), NOW, max_backup_age=timedelta(days=2))
    assert "2 alarms firing" in two


def test_one_restore_in_progress_is_one_restore() -> None:
    job = RestoreJob(
        id="j1",
        source_table="orders",
        region="us-west-2",
        target="orders-copy",
        kind="pitr",
        requester="U0ADMIN01",
        channel="C0OPSBOT1",
        thread_ts="1.1",
        started_at=NOW - timedelta(minutes=5),
        latest=True,
        status="restoring",
    )
    assert render_restores_list([job], NOW).text == "1 restore in progress, 0 recent."


def test_an_empty_who_changed_states_its_window_once() -> None:
    message = render_who_changed(
        "orders", [], now=NOW, source="history", since=NOW - timedelta(days=7)
    )
    shown = json.dumps(message.as_args(), ensure_ascii=False)
    assert shown.count("(last 7 d)") == 2  # the text fallback, and once in the blocks
    blocks = json.dumps(message.as_args()["blocks"], ensure_ascii=False)
    assert blocks.count("(last 7 d)") == 1


def test_app_home_does_not_show_a_table_with_an_open_alarm_as_green() -> None:
    alarm = AlarmInfo(
        name="orders-write-throttle",
        state="ALARM",
        table="orders",
        metrics=frozenset({"WriteThrottleEvents"}),
        updated=NOW - timedelta(minutes=3),
    )
    card = TableHealth("orders", "us-west-2", status=status(("orders-write-throttle",)))
    card = TableHealth(
        card.name, card.region, status=card.status, open_alarms=(alarm,), risks=("x",)
    )
    blocks = render_home(
        HomeView(cards=(card,), incidents=(("us-west-2", alarm),)),
        NOW,
        source="tagged opsbot:watch",
        max_backup_age=timedelta(days=2),
    )
    cards = [b["text"]["text"] for b in blocks if b["type"] == "section" and "*orders*" in str(b)]
    (line,) = [c for c in cards if "ACTIVE" in c]
    assert ":large_green_circle:" not in line
    assert line.startswith(":red_circle:")
