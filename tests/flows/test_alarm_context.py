"""Alarms that carry their context (issue 21), end to end: the table's changes from the audit
history on the root, the owner from the `opsbot:owner` tag, "I'm on it" through signed button
presses and the worker, and `/ddb alarms` showing who is on it. AWS is moto; Slack the sink."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from bot.aws.incidents import load_incident
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms as alarm_function
from functions import cloudtrail
from tests.conftest import ADMIN, OPERATOR, REGION, VIEWER, Clock, load_event
from tests.flows.test_alarm_commands import command, press, put_alarm, set_state, text_of

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
ARN_OF_ORDERS = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"
OPENED = "2026-11-22T09:42:10.123000+00:00"  # the sample alarm's StateChangeTime


def capacity_change(at: str, event_id: str, *, user: str = "carol") -> dict[str, Any]:
    """An UpdateTable by IAM user ``user`` lowering orders' write capacity 25 -> 10."""
    event = copy.deepcopy(load_event("eventbridge-cloudtrail-autoscaling-update-table.json"))
    detail = event["detail"]
    event["time"] = detail["eventTime"] = at
    event["id"] = detail["eventID"] = event_id
    detail["userIdentity"] = {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLECAROL",
        "arn": f"arn:aws:iam::123456789012:user/{user}",
        "accountId": "123456789012",
        "userName": user,
    }
    detail.pop("invokedBy", None)
    detail["userAgent"] = "aws-cli/2.15.0"
    detail["requestParameters"]["provisionedThroughput"] = {
        "readCapacityUnits": 50,
        "writeCapacityUnits": 10,
    }
    detail["responseElements"]["tableDescription"]["provisionedThroughput"] = {
        "readCapacityUnits": 50,
        "writeCapacityUnits": 25,
    }
    return event


def orders_table(tags: dict[str, str] | None = None) -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )


def root_of(slack: SlackSink) -> tuple[tuple[str, str], dict[str, Any]]:
    roots = [
        (k, m)
        for k, m in slack.messages.items()
        if not m.get("thread_ts") and ("ALARM" in m["text"] or "RESOLVED" in m["text"])
    ]
    assert len(roots) == 1
    return roots[0]


def owner_tagged(value: str, event_id: str, *, at: str = "2026-11-22T09:40:00Z") -> dict[str, Any]:
    """A TagResource of orders that sets its `opsbot:owner` tag to ``value``."""
    event = copy.deepcopy(load_event("cloudtrail/tag-resource.json"))
    detail = event["detail"]
    event["id"] = detail["eventID"] = event_id
    event["time"] = detail["eventTime"] = at
    detail["requestParameters"]["tags"] = [{"key": "opsbot:owner", "value": value}]
    return event


def resolve_and_fire_again(runtime: Runtime, clock: Clock, *, at: int = 50) -> None:
    """The sample alarm back to OK at 09:``at`` and in ALARM again a minute later (a new
    incident)."""
    event = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    for state, minute, message_id in (("OK", at, f"ok-{at}"), ("ALARM", at + 1, f"alarm-{at}")):
        message["NewStateValue"] = state
        message["StateChangeTime"] = f"2026-11-22T09:{minute}:00.000+0000"
        sns["Message"], sns["MessageId"] = json.dumps(message), message_id
        if state == "ALARM":
            clock.current = datetime(2026, 11, 22, 9, minute + 1, tzinfo=UTC)
        alarm_function.handle(event, runtime)


# --- what changed just before ----------------------------------------------------------------


def test_root_lists_the_tables_changes_just_before_the_alarm_newest_first(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    for at, event_id in (
        ("2026-11-22T06:30:00Z", "too-early"),  # more than 2 h before
        ("2026-11-22T09:05:00Z", "older"),
        ("2026-11-22T09:29:00Z", "newer"),
        ("2026-11-22T09:44:00Z", "after-the-alarm"),
    ):
        cloudtrail.handle(capacity_change(at, event_id), runtime)
    assert alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime) == [
        "post_root"
    ]
    _, root = root_of(slack)
    blocks = json.dumps(root["blocks"], ensure_ascii=False)
    assert "13 min before: carol lowered write capacity 25 → 10" in blocks
    assert "37 min before: carol lowered write capacity 25 → 10" in blocks
    assert blocks.index("13 min before") < blocks.index("37 min before")
    assert blocks.count("lowered write capacity") == 2  # not the one before or after the window


def test_the_window_of_changes_is_configurable(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    runtime.settings = replace(
        runtime.settings, alarm_changes_window=runtime.settings.alarm_changes_window / 8
    )
    cloudtrail.handle(capacity_change("2026-11-22T09:05:00Z", "older"), runtime)
    cloudtrail.handle(capacity_change("2026-11-22T09:35:00Z", "newer"), runtime)
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    _, root = root_of(slack)
    blocks = json.dumps(root["blocks"], ensure_ascii=False)
    assert "Changed in the 15 min before" in blocks
    assert "7 min before: carol" in blocks
    assert "37 min before" not in blocks


def test_a_root_without_history_has_no_changes_section(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    _, root = root_of(slack)
    assert "Changed in the" not in json.dumps(root["blocks"])


# --- owners ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "owners", "mention"),
    [
        ("U0OWNER01", {}, "<@U0OWNER01>"),
        ("S0ORDERS1", {}, "<!subteam^S0ORDERS1>"),
        ("carol", {"carol": "W0CAROL01"}, "<@W0CAROL01>"),
    ],
    ids=["user-id", "group-id", "name-in-config"],
)
def test_the_table_owner_is_mentioned_on_its_alarm(
    runtime: Runtime,
    slack: SlackSink,
    at_alarm_time: Clock,
    tag: str,
    owners: dict[str, str],
    mention: str,
) -> None:
    runtime.settings = replace(runtime.settings, owners=owners)
    orders_table({"opsbot:owner": tag})
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    _, root = root_of(slack)
    assert root["text"].startswith(f"{mention} :rotating_light: ALARM")
    assert json.dumps(root["blocks"]).count(mention) == 1


@pytest.mark.parametrize("tag", ["<!channel>", "carol", "U0OWNER01 <!here>", "@here"])
def test_an_owner_tag_that_is_no_valid_id_mentions_nobody_and_is_logged(
    runtime: Runtime,
    slack: SlackSink,
    at_alarm_time: Clock,
    caplog: pytest.LogCaptureFixture,
    tag: str,
) -> None:
    orders_table({"opsbot:owner": tag})
    with caplog.at_level(logging.WARNING):
        alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    _, root = root_of(slack)
    shown = root["text"] + json.dumps(root["blocks"])
    assert "<@" not in shown
    assert "<!" not in shown
    assert "is not a Slack user or group id" in caplog.text


def test_a_late_alarm_mentions_no_owner(runtime: Runtime, slack: SlackSink, clock: Clock) -> None:
    clock.current = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    orders_table({"opsbot:owner": "U0OWNER01"})
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    _, root = root_of(slack)
    assert "U0OWNER01" not in root["text"] + json.dumps(root["blocks"])


def test_the_owner_tag_is_read_once_and_again_after_a_tag_event(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    orders_table({"opsbot:owner": "U0OWNER01"})
    calls: list[str] = []
    runtime.clients.on_event(
        "before-call.dynamodb.ListTagsOfResource", lambda **kw: calls.append("tags")
    )
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    resolve_and_fire_again(runtime, at_alarm_time)
    assert calls == ["tags"]
    # A new owner: CloudTrail's TagResource makes the next alarm read the tag again.
    dynamodb, orders = boto3.client("dynamodb", region_name=REGION), ARN_OF_ORDERS
    dynamodb.untag_resource(ResourceArn=orders, TagKeys=["opsbot:owner"])  # moto appends
    dynamodb.tag_resource(ResourceArn=orders, Tags=[{"Key": "opsbot:owner", "Value": "S0ORDERS1"}])
    cloudtrail.handle(owner_tagged("S0ORDERS1", "retag", at="2026-11-22T09:52:30Z"), runtime)
    resolve_and_fire_again(runtime, at_alarm_time, at=53)
    assert calls == ["tags", "tags"]
    third = slack.calls_to("chat.postMessage")[-1]
    assert third["text"].startswith("<!subteam^S0ORDERS1> :rotating_light: ALARM")
    # The tag change itself is one of the changes the root lists.
    assert "1 min before: alice tagged: opsbot:owner" in json.dumps(third["blocks"])


# --- acknowledge -------------------------------------------------------------------------------


@pytest.fixture
def posted(runtime: Runtime, slack: SlackSink, at_alarm_time: Clock) -> tuple[str, str]:
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    key, _ = root_of(slack)
    return key


def ack_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "alarm_ack"
    ]


def test_a_firing_root_carries_i_am_on_it_bound_to_its_incident(
    slack: SlackSink, posted: tuple[str, str]
) -> None:
    (button,) = ack_buttons(slack.messages[posted])
    assert button["text"]["text"] == "I'm on it"
    assert button["value"] == f"{ARN}|{OPENED}"


def test_i_am_on_it_records_who_and_when_and_updates_the_root_once(
    runtime: Runtime, slack: SlackSink, clock: Clock, posted: tuple[str, str]
) -> None:
    clock.current = datetime(2026, 11, 22, 9, 45, 30, tzinfo=UTC)
    press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=OPERATOR, ts=posted[1])
    root = slack.messages[posted]
    assert ack_buttons(root) == []
    line = f":eyes: Acknowledged by <@{OPERATOR}> 3 min after it fired"
    assert line in json.dumps(root["blocks"], ensure_ascii=False)
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.ack is not None
    assert (record.ack.by, record.ack.at) == (OPERATOR, clock.current)
    updates = len(slack.calls_to("chat.update"))
    answers = press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=ADMIN)
    assert f"<@{OPERATOR}> is already on it" in text_of(answers)
    assert len(slack.calls_to("chat.update")) == updates
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.ack is not None
    assert record.ack.by == OPERATOR


def test_i_am_on_it_needs_the_operator_role(
    runtime: Runtime, slack: SlackSink, posted: tuple[str, str]
) -> None:
    answers = press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=VIEWER)
    assert "needs the *operator* role" in text_of(answers)
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.ack is None


@pytest.mark.parametrize(
    "value",
    [f"{ARN}|2026-11-22T08:00:00+00:00", f"{ARN}|yesterday", f"{ARN}|2026-11-22T09:42:10", ARN],
    ids=["another-incident", "not-a-time", "no-zone", "no-time"],
)
def test_a_stale_or_tampered_ack_button_changes_nothing(
    runtime: Runtime, slack: SlackSink, posted: tuple[str, str], value: str
) -> None:
    answers = press(slack, runtime, "alarm_ack", value, user=OPERATOR)
    assert "not valid" in text_of(answers) or "no longer firing" in text_of(answers)
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.ack is None
    assert ack_buttons(slack.messages[posted])


def test_the_resolved_root_keeps_the_ack_and_a_new_incident_starts_without_one(
    runtime: Runtime, slack: SlackSink, clock: Clock, posted: tuple[str, str]
) -> None:
    press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=OPERATOR)
    ok = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    sns = ok["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["NewStateValue"], message["StateChangeTime"] = "OK", "2026-11-22T09:50:00.000+0000"
    sns["Message"], sns["MessageId"] = json.dumps(message), "ok-1"
    clock.current = datetime(2026, 11, 22, 9, 51, tzinfo=UTC)
    assert alarm_function.handle(ok, runtime) == ["resolve"]
    resolved = slack.messages[posted]
    assert resolved["text"].startswith(":white_check_mark: RESOLVED")
    assert f"Acknowledged by <@{OPERATOR}>" in json.dumps(resolved["blocks"])
    answers = press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=OPERATOR)
    assert "no longer firing" in text_of(answers)
    message["NewStateValue"], message["StateChangeTime"] = "ALARM", "2026-11-22T10:10:00.000+0000"
    sns["Message"], sns["MessageId"] = json.dumps(message), "alarm-2"
    clock.current = datetime(2026, 11, 22, 10, 11, tzinfo=UTC)
    assert alarm_function.handle(ok, runtime) == ["post_root"]
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.ack is None
    assert record.incident.is_open


def test_ddb_alarms_shows_who_is_on_it(
    runtime: Runtime, slack: SlackSink, clock: Clock, posted: tuple[str, str]
) -> None:
    put_alarm(REGION, "orders-write-throttle", "WriteThrottleEvents", {"TableName": "orders"})
    set_state(REGION, "orders-write-throttle", "ALARM")
    press(slack, runtime, "alarm_ack", f"{ARN}|{OPENED}", user=OPERATOR)
    (reply,) = command(slack, runtime, "alarms")
    assert f":eyes: acknowledged by <@{OPERATOR}> 2 min after it fired" in text_of([reply])


def test_a_root_reads_its_context_with_the_incident_and_makes_two_aws_calls(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    """Changes and a known owner come with the incident's BatchGetItem: the root's state calls
    are the claim, that read, the storm log, the save and the claim's completion; its AWS calls
    the metric values and the chart (moto answers neither here; the calls still count)."""
    orders_table({"opsbot:owner": "U0OWNER01"})
    cloudtrail.handle(capacity_change("2026-11-22T09:29:00Z", "newer"), runtime)
    # A first alarm on the table learns its owner (and remembers it in the context item).
    first = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    first["Records"][0]["Sns"]["Message"] = first["Records"][0]["Sns"]["Message"].replace(
        "orders-write-throttle", "orders-other"
    )
    alarm_function.handle(first, runtime)
    state_calls: list[str] = []
    aws_calls: list[str] = []
    runtime.state.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **kw: state_calls.append(model.name)
    )
    for hook in ("before-call.cloudwatch.*", "before-call.dynamodb.ListTagsOfResource"):
        runtime.clients.on_event(hook, lambda model, **kw: aws_calls.append(model.name))
    assert alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime) == [
        "post_root"
    ]
    assert state_calls == ["PutItem", "BatchGetItem", "UpdateItem", "UpdateItem", "UpdateItem"]
    assert aws_calls == ["GetMetricData", "GetMetricWidgetImage"]
    root = slack.calls_to("chat.postMessage")[-1]
    assert root["text"].startswith("<@U0OWNER01> :rotating_light: ALARM")
    assert "13 min before: carol lowered write capacity 25 → 10" in json.dumps(
        root["blocks"], ensure_ascii=False
    )
