"""`/ddb who-changed` end to end: replayed CloudTrail events, a signed command, the worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from bot.aws.cloudtrail_lookup import Pacer
from bot.local.slack_sink import SlackSink
from bot.render.audit import MORE_ACTION_ID
from bot.runtime import Runtime
from functions import cloudtrail, slack_http
from tests.conftest import (
    REGION,
    VIEWER,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    load_event,
    sign,
    slash_body,
)

PITR = "eventbridge-cloudtrail-pitr-disabled.json"
DELETE_BACKUP = "eventbridge-cloudtrail-delete-backup.json"


def command(text: str, slack: SlackSink, reply_id: str, *, user: str = VIEWER) -> None:
    body = slash_body(text, user=user, response_url=slack.response_url(reply_id))
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def press(action_id: str, value: str, slack: SlackSink, reply_id: str) -> None:
    body = block_action_body(
        action_id, value, user=VIEWER, response_url=slack.response_url(reply_id)
    )
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def replay(runtime: Runtime, clock: Clock, *names: str, installed_days_ago: float = 30) -> None:
    """Ingest events as if opsbot had been installed ``installed_days_ago`` days ago."""
    now = clock.current
    clock.current = now - timedelta(days=installed_days_ago)
    try:
        cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    finally:
        clock.current = now
    runtime.extras.pop("audit", None)  # a fresh worker process: no cached install marker
    for name in names:
        cloudtrail.handle(load_event(name), runtime)


def reply_text(slack: SlackSink, reply_id: str) -> str:
    [reply] = slack.responses(reply_id)
    return json.dumps(reply, ensure_ascii=False)


@pytest.fixture
def calls(runtime: Runtime) -> Iterator[list[str]]:
    """The AWS operations made from here on, in order."""
    made: list[str] = []
    runtime.clients.on_event(
        "before-call.*.*",
        lambda model, **_: made.append(f"{model.service_model.service_name}:{model.name}"),
    )
    return made


def test_who_changed_lists_replayed_changes_newest_first_from_one_query_once_placed(
    runtime: Runtime, slack: SlackSink, clock: Clock, calls: list[str]
) -> None:
    replay(runtime, clock, PITR, DELETE_BACKUP)
    calls.clear()
    command("who-changed orders", slack, "wc")
    assert drain_work(runtime) == 1
    [reply] = slack.responses("wc")
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*2 changes to `orders`*")
    lines = sections[1].split("\n")
    assert "Backup pre-migration of orders deleted" in lines[0]
    assert "bob (role DataAdmin, MFA)" in lines[0]
    assert "Point-in-time recovery turned OFF on orders" in lines[1]
    assert "alice (role DataAdmin, MFA)" in lines[1]
    assert "Answered from opsbot's audit history." in reply_text(slack, "wc")
    # A bare name may mean either managed region: one Query of the name index finds where
    # the history has seen `orders`, then one Query reads the page.
    assert len(runtime.settings.regions) > 1
    assert calls.count("dynamodb:Query") == 2
    assert "cloudtrail:LookupEvents" not in calls
    calls.clear()
    command(f"who-changed orders@{REGION}", slack, "placed")
    drain_work(runtime)
    assert calls.count("dynamodb:Query") == 1


def test_who_changed_answers_for_a_table_that_no_longer_exists(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    replay(runtime, clock, PITR)
    assert "orders" not in runtime.client("dynamodb", REGION).list_tables()["TableNames"]
    command("who-changed orders", slack, "gone")
    drain_work(runtime)
    assert "Point-in-time recovery turned OFF on orders" in reply_text(slack, "gone")


def test_more_button_continues_from_the_cursor(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    replay(runtime, clock, PITR, DELETE_BACKUP)
    command("who-changed orders --limit 1", slack, "page1")
    drain_work(runtime)
    [first] = slack.responses("page1")
    assert "Backup pre-migration of orders deleted" in json.dumps(first)
    assert "Point-in-time recovery" not in json.dumps(first)
    [button] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == MORE_ACTION_ID
    press(MORE_ACTION_ID, button["value"], slack, "page2")
    drain_work(runtime)
    [second] = slack.responses("page2")
    text = json.dumps(second)
    assert "Point-in-time recovery turned OFF on orders" in text
    assert "pre-migration" not in text
    assert not [b for b in second["blocks"] if b["type"] == "actions"]  # nothing further


def test_since_narrows_the_window(runtime: Runtime, slack: SlackSink, clock: Clock) -> None:
    replay(runtime, clock, PITR, DELETE_BACKUP)
    command("who-changed orders --since 26m", slack, "recent")  # now is 10:00; DeleteBackup 09:35
    drain_work(runtime)
    text = reply_text(slack, "recent")
    assert "1 change to `orders`" in text
    assert "pre-migration" in text
    assert "Point-in-time" not in text


def lookup_entry(name: str) -> dict[str, Any]:
    """A LookupEvents entry (AWS's documented shape) carrying a fixture's CloudTrail record."""
    record = load_event(name)["detail"]
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "false",
        "EventTime": record["eventTime"],
        "EventSource": record["eventSource"],
        "Username": record["userIdentity"]["arn"].rsplit("/", 1)[-1],
        "Resources": [{"ResourceType": "AWS::DynamoDB::Table", "ResourceName": "orders"}],
        "CloudTrailEvent": json.dumps(record),
    }


@pytest.fixture
def stubbed_cloudtrail(runtime: Runtime) -> Iterator[Stubber]:
    runtime.extras["lookup_pacer"] = Pacer(sleep=lambda _s: None)
    client = runtime.client("cloudtrail", REGION)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_window_before_install_is_answered_by_cloudtrail_and_says_so(
    runtime: Runtime, slack: SlackSink, clock: Clock, stubbed_cloudtrail: Stubber
) -> None:
    replay(runtime, clock, installed_days_ago=0)  # installed now: the last 7 days are not covered
    stubbed_cloudtrail.add_response(
        "lookup_events",
        {"Events": [lookup_entry(DELETE_BACKUP), lookup_entry(PITR)]},
        {
            "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "orders"}],
            "StartTime": clock.current - timedelta(days=7),
            "EndTime": clock.current,
            "MaxResults": 50,
        },
    )
    command("who-changed orders", slack, "ct")
    drain_work(runtime)
    text = reply_text(slack, "ct")
    assert "Answered from CloudTrail event history (LookupEvents" in text
    assert text.index("pre-migration") < text.index("Point-in-time recovery turned OFF")


def test_cloudtrail_failure_falls_back_to_the_history_with_a_note(
    runtime: Runtime, slack: SlackSink, clock: Clock, stubbed_cloudtrail: Stubber
) -> None:
    replay(runtime, clock, PITR, installed_days_ago=0)
    stubbed_cloudtrail.add_client_error(
        "lookup_events", service_error_code="AccessDeniedException", http_status_code=400
    )
    command("who-changed orders", slack, "denied")
    drain_work(runtime)
    text = reply_text(slack, "denied")
    assert "CloudTrail LookupEvents failed (AccessDeniedException)" in text
    assert "Point-in-time recovery turned OFF on orders" in text
