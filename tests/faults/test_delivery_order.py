"""Duplicate and out-of-order deliveries: SNS and EventBridge deliver at least once and in no
particular order. Alarms: OK before ALARM, an old ALARM after OK, the same change twice.
CloudTrail: the same eventID twice, and an older event arriving after a newer one."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.aws.incidents import load_incident
from bot.aws.state import audit_pk
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, cloudtrail, slack_http
from tests.conftest import (
    VIEWER,
    Clock,
    drain_work,
    function_url_event,
    lambda_context,
    load_event,
    sign,
    slash_body,
)

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
ALARM_AT = "2026-11-22T09:42:10.123+0000"  # the sample ALARM's StateChangeTime
OK_AT = "2026-11-22T09:55:10.123+0000"  # the sample OK's


@pytest.fixture
def after_ok(clock: Clock) -> Clock:
    """Just after the sample OK: both state changes have happened."""
    clock.current = datetime(2026, 11, 22, 9, 56, tzinfo=UTC)
    return clock


def sns(name: str, *, message_id: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    if message_id:
        event["Records"][0]["Sns"]["MessageId"] = message_id
    return event


def eventbridge_copy(state: str, at: str, event_id: str) -> dict[str, Any]:
    """The EventBridge copy of a state change of the sample alarm (its own id)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": at[:19] + "Z",
        "region": "us-west-2",
        "resources": [ARN],
        "detail": {
            "alarmName": "orders-write-throttle",
            "state": {"value": state, "reason": "Threshold Crossed", "timestamp": at},
            "configuration": {"metrics": []},
        },
    }


def roots(slack: SlackSink) -> list[dict[str, Any]]:
    return [m for m in slack.messages.values() if not m.get("thread_ts")]


def test_ok_delivered_before_its_alarm_leaves_no_alarm_open(
    runtime: Runtime, slack: SlackSink, after_ok: Clock
) -> None:
    assert alarms.handle(sns("sns-alarm-write-throttle-ok.json"), runtime) == ["ignore"]
    assert alarms.handle(sns("sns-alarm-write-throttle.json"), runtime) == ["post_resolved"]
    # One message that it fired and is over; no red root that nothing would ever resolve.
    (root,) = roots(slack)
    assert root["text"] == ":white_check_mark: RESOLVED: orders-write-throttle after 13 min"
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert not record.incident.is_open
    # The EventBridge copy of the same ALARM, later still: nothing more.
    late = eventbridge_copy("ALARM", ALARM_AT, "eb-late-9")
    assert alarms.handle(late, runtime) == ["duplicate"]  # the same state change, claimed
    assert len(roots(slack)) == 1


def test_an_old_alarm_copy_after_the_ok_opens_no_new_incident(
    runtime: Runtime, slack: SlackSink, after_ok: Clock
) -> None:
    assert alarms.handle(sns("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert alarms.handle(sns("sns-alarm-write-throttle-ok.json"), runtime) == ["resolve"]
    # The EventBridge copy of the 09:42 ALARM arrives late, with an id of its own.
    late = eventbridge_copy("ALARM", ALARM_AT, "eb-late-0001")
    assert alarms.handle(late, runtime) == ["duplicate"]  # the same state change, claimed
    (root,) = roots(slack)
    assert root["text"].startswith(":white_check_mark: RESOLVED")


def test_a_new_alarm_after_the_ok_still_opens_an_incident(
    runtime: Runtime, slack: SlackSink, after_ok: Clock
) -> None:
    alarms.handle(sns("sns-alarm-write-throttle-ok.json"), runtime)
    later = eventbridge_copy("ALARM", "2026-11-22T09:58:00.000+0000", "eb-new-0001")
    assert alarms.handle(later, runtime) == ["post_root"]
    assert len(roots(slack)) == 1


def test_each_state_change_delivered_twice_and_shuffled_posts_one_root_and_resolves_it(
    runtime: Runtime, slack: SlackSink, after_ok: Clock
) -> None:
    deliveries = [
        sns("sns-alarm-write-throttle.json"),
        eventbridge_copy("ALARM", ALARM_AT, "eb-alarm-1"),
        sns("sns-alarm-write-throttle.json"),
        sns("sns-alarm-write-throttle-ok.json"),
        eventbridge_copy("ALARM", ALARM_AT, "eb-alarm-1"),
        eventbridge_copy("OK", OK_AT, "eb-ok-1"),
        sns("sns-alarm-write-throttle-ok.json"),
    ]
    outcomes = [alarms.handle(d, runtime)[0] for d in deliveries]
    # Each state change is claimed once, whichever path brings it: one root, one resolve.
    assert outcomes == [
        "post_root",
        "duplicate",
        "duplicate",
        "resolve",
        "duplicate",
        "duplicate",
        "duplicate",
    ]
    (root,) = roots(slack)
    assert root["text"].startswith(":white_check_mark: RESOLVED")
    replies = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" in c]
    assert len(replies) == 1  # the resolve note; the second copy of the ALARM adds nothing


# ---- CloudTrail ---------------------------------------------------------------------------

ACCOUNT, REGION = "123456789012", "us-west-2"
PITR = "eventbridge-cloudtrail-pitr-disabled.json"  # the older of the two
DELETE_BACKUP = "eventbridge-cloudtrail-delete-backup.json"


def history(runtime: Runtime) -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, "orders"))
    return items


def test_the_same_cloudtrail_event_twice_is_stored_once_and_noticed_once(
    runtime: Runtime, slack: SlackSink
) -> None:
    first = load_event(PITR)
    again = copy.deepcopy(first)
    again["id"] = "a-second-eventbridge-envelope"  # same CloudTrail eventID inside
    cloudtrail.handle(first, runtime)
    before = history(runtime)
    cloudtrail.handle(again, runtime)
    assert history(runtime) == before
    assert len(before) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_an_older_cloudtrail_event_arriving_later_sorts_in_its_place(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    older, newer = load_event(PITR), load_event(DELETE_BACKUP)
    assert older["detail"]["eventTime"] < newer["detail"]["eventTime"]
    clock.current = datetime(2026, 11, 22, 10, 0, tzinfo=UTC) - timedelta(days=30)
    cloudtrail.handle(load_event(PITR), runtime)  # installed a month ago (history is whole)
    clock.current += timedelta(days=30)
    runtime.extras.pop("audit", None)
    for event in (newer, older, newer):  # newest first, then the older one, then a repeat
        cloudtrail.handle(copy.deepcopy(event), runtime)
    body = slash_body("who-changed orders", user=VIEWER, response_url=slack.response_url("wc"))
    assert (
        slack_http.handler(function_url_event(body, sign(body)), lambda_context())["statusCode"]
        == 200
    )
    drain_work(runtime)
    (reply,) = slack.responses("wc")
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*2 changes to `orders`*")
    lines = sections[1].split("\n")
    assert "Backup pre-migration of orders deleted" in lines[0]
    assert "Point-in-time recovery turned OFF on orders" in lines[1]
    assert json.dumps(reply).count("Point-in-time recovery turned OFF") == 1
