"""Later pages say which page they are and never contradict the first: `who-changed`'s More
and `backups`' Show more, pressed late, through signed requests and the worker."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from bot.aws.audit import mark_installed
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail, slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    load_event,
    sign,
    slash_body,
)

ACCOUNT = "123456789012"


def send(body: str) -> None:
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def command(runtime: Runtime, slack: SlackSink, text: str, reply_id: str) -> dict[str, Any]:
    send(slash_body(text, user=ADMIN, response_url=slack.response_url(reply_id)))
    drain_work(runtime)
    (reply,) = slack.responses(reply_id)
    return reply


def press(
    runtime: Runtime, slack: SlackSink, message: dict[str, Any], label: str, reply_id: str
) -> dict[str, Any]:
    (button,) = [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    ]
    url = slack.response_url(reply_id)
    send(block_action_body(button["action_id"], button["value"], user=ADMIN, response_url=url))
    drain_work(runtime)
    (reply,) = slack.responses(reply_id)
    return reply


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


# --- who-changed ------------------------------------------------------------------------------


def ingest_changes(runtime: Runtime, clock: Clock, count: int) -> None:
    """``count`` PITR changes to `orders`, one a day back from an hour ago, in the history of
    an opsbot installed 60 days ago."""
    now = clock.current
    mark_installed(runtime.state, [ACCOUNT], now=now - timedelta(days=60), cache=None)
    for n in range(count):
        event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
        when = (now - timedelta(hours=1, days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        event["id"] = f"00000000-0000-4000-8000-{n:012d}"
        event["time"] = event["detail"]["eventTime"] = when
        event["detail"]["eventID"] = f"10000000-0000-4000-8000-{n:012d}"
        cloudtrail.handle(event, runtime)
    runtime.extras.pop("audit", None)


def test_who_changed_more_says_which_page_and_keeps_the_first_pages_window(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ingest_changes(runtime, clock, 22)
    first = command(runtime, slack, "who-changed orders --since 30d", "page1")
    window = "since 2026-10-23 10:00 UTC (last 30 d)"
    assert f"*20+ changes to `orders`* {window}" in texts(first)
    clock.advance(2 * 86400)  # More is pressed two days later
    second = press(runtime, slack, first, "More", "page2")
    shown = texts(second)
    assert f"*Changes 21–22 to `orders`* {window}" in shown
    assert "page 2" in shown
    assert "*2 changes" not in shown
    assert buttons(second) == []


def test_who_changed_with_exactly_one_page_of_changes_offers_no_empty_second_page(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ingest_changes(runtime, clock, 20)
    first = command(runtime, slack, "who-changed orders --since 30d", "only")
    assert "*20 changes to `orders`*" in texts(first)
    assert buttons(first) == []


def test_who_changed_page_three_counts_on_from_page_two(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ingest_changes(runtime, clock, 12)
    first = command(runtime, slack, "who-changed orders --since 30d --limit 5", "p1")
    second = press(runtime, slack, first, "More", "p2")
    third = press(runtime, slack, second, "More", "p3")
    assert "*5+ changes to `orders`*" in texts(first)
    assert "*Changes 6–10 to `orders`*" in texts(second)
    assert "page 2" in texts(second)
    assert "*Changes 11–12 to `orders`*" in texts(third)
    assert "page 3" in texts(third)


# --- backups ----------------------------------------------------------------------------------


@pytest.fixture
def thirty_backups(runtime: Runtime, clock: Clock) -> Runtime:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(30, 0, -1):
        at: datetime = clock.current - timedelta(days=n)
        with time_machine.travel(at, tick=False):
            client.create_backup(TableName="orders", BackupName=f"orders-d{n:03d}")
    return runtime


def delete_backups_but(keep: int) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    summaries = client.list_backups(TableName="orders")["BackupSummaries"]
    newest_first = sorted(summaries, key=lambda s: s["BackupCreationDateTime"], reverse=True)
    for summary in newest_first[keep:]:
        client.delete_backup(BackupArn=summary["BackupArn"])


def test_show_more_says_which_page_it_is(thirty_backups: Runtime, slack: SlackSink) -> None:
    first = command(thirty_backups, slack, "backups orders", "b1")
    assert "Page 1 of 2 · backups 1–20 of 30" in texts(first)
    second = press(thirty_backups, slack, first, "Show more", "b2")
    assert "Page 2 of 2 · backups 21–30 of 30" in texts(second)
    assert buttons(second) == []


def test_a_stale_show_more_after_a_prune_says_what_changed_and_never_21_of_5(
    thirty_backups: Runtime, slack: SlackSink
) -> None:
    first = command(thirty_backups, slack, "backups orders", "s1")
    delete_backups_but(5)
    second = press(thirty_backups, slack, first, "Show more", "s2")
    shown = texts(second)
    assert "21–20" not in shown
    assert "Page 2" in shown
    assert "page 1 listed 30 backups; 5 are left now (25 deleted since)" in shown
    assert "`/ddb backups orders`" in shown
    assert buttons(second) == []


def test_a_show_more_after_some_deletions_counts_what_is_left(
    thirty_backups: Runtime, slack: SlackSink
) -> None:
    first = command(thirty_backups, slack, "backups orders", "d1")
    delete_backups_but(25)
    second = press(thirty_backups, slack, first, "Show more", "d2")
    shown = texts(second)
    assert "Page 2 of 2 · backups 21–25 of 25" in shown
    assert "page 1 listed 30 backups; 5 were deleted since" in shown
