"""`/ddb backups --since/--type` list only what the filters let through, even where
ListBackups ignores its TimeRange and BackupType filters (moto does, DESIGN.md section 8):
a footer never names a filter that was not applied. Signed requests through the worker."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.aws.backups import BackupPace
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.aws.test_backups import FakeTime
from tests.conftest import VIEWER, Clock, drain_work
from tests.functions.test_backups_commands import (
    back_dated_backup,
    create_table,
    post_command,
)

AGES = {
    "orders-1h": timedelta(hours=1),
    "orders-3d": timedelta(days=3),
    "orders-6d": timedelta(days=6, hours=23),
    "orders-8d": timedelta(days=8),
    "orders-40d": timedelta(days=40),
    "orders-14mo": timedelta(days=425),
}


@pytest.fixture
def orders(runtime: Runtime, clock: Clock) -> Runtime:
    """`orders` with user backups from an hour to 14 months old."""
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    create_table("orders")
    for name, age in sorted(AGES.items(), key=lambda item: item[1], reverse=True):
        back_dated_backup("orders", name, clock.current - age)
    return runtime


def listed(slack: SlackSink, reply_id: str) -> tuple[dict, list[str]]:
    """The reply and the backup names it lists, in order."""
    (reply,) = slack.responses(reply_id)
    lines = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"][1:]
    return reply, [line.split("`")[1] for line in lines if line.startswith("`")]


def test_backups_since_7d_lists_only_the_last_7_days(orders: Runtime, slack: SlackSink) -> None:
    post_command("backups orders --since 7d", user=VIEWER, response_url=slack.response_url("s"))
    drain_work(orders)
    reply, names = listed(slack, "s")
    assert names == ["orders-1h", "orders-3d", "orders-6d"]
    assert reply["text"].startswith("3 backups of orders")
    shown = json.dumps(reply, ensure_ascii=False)
    assert "Page 1 of 1 · backups 1–3 of 3 · newest first · `--since 7d`" in shown


def test_backups_type_system_lists_no_user_backups_and_says_none_match(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command("backups orders --type system", response_url=slack.response_url("t"))
    drain_work(orders)
    reply, names = listed(slack, "t")
    text = json.dumps(reply, ensure_ascii=False)
    assert names == []
    assert "USER" not in text
    assert reply["text"].startswith("0 backups of orders")
    assert "No backups match `--type system`." in text


def test_backups_type_user_since_30d_applies_both_filters(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command("backups orders --type user --since 30d", response_url=slack.response_url("b"))
    drain_work(orders)
    reply, names = listed(slack, "b")
    assert names == ["orders-1h", "orders-3d", "orders-6d", "orders-8d"]
    assert "`--type user --since 30d`" in json.dumps(reply, ensure_ascii=False)
