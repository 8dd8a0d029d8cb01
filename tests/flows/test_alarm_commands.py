"""`/ddb alarms`, `/ddb alarms recommend` and the alarm message buttons, through signed Slack
requests, the work queue and the worker; AWS is moto (DescribeTable replicas via Stubber)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.incidents import load_silence
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms as alarm_function
from functions import slack_http
from tests.conftest import (
    ADMIN,
    OPERATOR,
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

EAST = "us-east-1"
TOPIC_EAST = "arn:aws:sns:us-east-1:123456789012:opsbot-alarms"
ALARM_ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"


def command(slack: SlackSink, runtime: Runtime, text: str, *, user: str = ADMIN) -> list[dict]:
    """Run `/ddb <text>` end to end; the bodies sent to its response_url."""
    response_id = f"cmd-{len(slack.calls)}-{len(slack.requests)}"
    body = slash_body(text, user=user, response_url=slack.response_url(response_id))
    ack = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert ack["statusCode"] == 200
    drain_work(runtime)
    return slack.responses(response_id)


def press(
    slack: SlackSink, runtime: Runtime, action_id: str, value: str, *, user: str, ts: str = ""
) -> list[dict]:
    """Press a button end to end; the bodies sent to its response_url."""
    response_id = f"btn-{len(slack.calls)}-{action_id}"
    body = block_action_body(
        action_id, value, user=user, ts=ts, response_url=slack.response_url(response_id)
    )
    ack = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert ack["statusCode"] == 200
    drain_work(runtime)
    return slack.responses(response_id)


def put_alarm(region: str, name: str, metric: str, dimensions: dict[str, str], **kw: Any) -> None:
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=name,
        Namespace=kw.pop("namespace", "AWS/DynamoDB"),
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        **kw,
    )


def set_state(region: str, name: str, state: str, reason: str = "Threshold Crossed") -> None:
    boto3.client("cloudwatch", region_name=region).set_alarm_state(
        AlarmName=name, StateValue=state, StateReason=reason
    )


def text_of(bodies: list[dict]) -> str:
    return json.dumps(bodies, ensure_ascii=False)


# --- /ddb alarms ------------------------------------------------------------------------------


def test_alarms_lists_dynamodb_alarms_in_alarm_or_without_data_with_links(
    runtime: Runtime, slack: SlackSink
) -> None:
    put_alarm(REGION, "orders-write-throttle", "WriteThrottleEvents", {"TableName": "orders"})
    set_state(REGION, "orders-write-throttle", "ALARM", "3 datapoints were >= 1")
    put_alarm(REGION, "users-read-throttle", "ReadThrottleEvents", {"TableName": "users"})
    set_state(REGION, "users-read-throttle", "INSUFFICIENT_DATA")
    put_alarm(REGION, "quiet", "SystemErrors", {"TableName": "orders"})
    set_state(REGION, "quiet", "OK")
    put_alarm(REGION, "ec2-cpu", "CPUUtilization", {"InstanceId": "i-1"}, namespace="AWS/EC2")
    set_state(REGION, "ec2-cpu", "ALARM")
    put_alarm(EAST, "east-orders-errors", "SystemErrors", {"TableName": "orders"})
    set_state(EAST, "east-orders-errors", "ALARM")

    (reply,) = command(slack, runtime, "alarms")
    shown = text_of([reply])
    assert reply["response_type"] == "ephemeral"
    assert "2 in ALARM, 1 without data for DynamoDB and DAX in us-west-2, us-east-1" in shown
    for name in ("orders-write-throttle", "users-read-throttle", "east-orders-errors"):
        assert f"#alarmsV2:alarm/{name}|{name}>" in shown
    assert "ec2-cpu" not in shown
    assert "quiet" not in shown


def test_alarms_for_one_table_lists_only_that_tables_alarms(
    runtime: Runtime, slack: SlackSink
) -> None:
    put_alarm(REGION, "orders-write-throttle", "WriteThrottleEvents", {"TableName": "orders"})
    set_state(REGION, "orders-write-throttle", "ALARM")
    put_alarm(REGION, "users-read-throttle", "ReadThrottleEvents", {"TableName": "users"})
    set_state(REGION, "users-read-throttle", "ALARM")
    (reply,) = command(slack, runtime, "alarms orders")
    shown = text_of([reply])
    assert "1 in ALARM, 0 without data for `orders` in us-west-2" in shown
    assert "orders-write-throttle" in shown
    assert "users-read-throttle" not in shown


def test_alarms_with_nothing_firing_says_so(runtime: Runtime, slack: SlackSink) -> None:
    boto3.client("dynamodb", region_name=EAST).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    (reply,) = command(slack, runtime, "alarms orders@us-east-1")
    assert reply["text"] == (
        ":white_check_mark: No alarms in ALARM or INSUFFICIENT_DATA for `orders` in us-east-1."
    )


# --- /ddb alarms recommend ----------------------------------------------------------------------


@pytest.fixture
def east_replicas(runtime: Runtime) -> Iterator[Stubber]:
    """DescribeTable in us-east-1 answered by a Stubber: moto has no global tables."""
    runtime.settings = replace(runtime.settings, alarm_topic_arn=TOPIC_EAST)
    client = runtime.client("dynamodb", EAST)
    with Stubber(client) as stubber:
        yield stubber


def global_table(regions: list[str]) -> dict[str, Any]:
    """A DescribeTable answer for `orders` with replicas, shaped as AWS documents it."""
    return {
        "Table": {
            "TableName": "orders",
            "TableStatus": "ACTIVE",
            "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
            "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions],
        }
    }


def plan_buttons(bodies: list[dict]) -> dict[str, str]:
    """action_id -> value of the buttons in the replies."""
    return {
        e["action_id"]: e.get("value", "")
        for body in bodies
        for block in body.get("blocks", [])
        if block["type"] == "actions"
        for e in block["elements"]
    }


def test_recommend_creates_missing_alarms_per_replica_after_confirmation(
    runtime: Runtime, slack: SlackSink, east_replicas: Stubber
) -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    east_replicas.add_response("describe_table", global_table(regions), {"TableName": "orders"})
    east_replicas.add_response("describe_table", global_table(regions), {"TableName": "orders"})
    # A hand-made alarm on the same series covers the write-throttle recommendation.
    put_alarm(EAST, "orders-wt-by-hand", "WriteThrottleEvents", {"TableName": "orders"})

    bodies = command(slack, runtime, "alarms recommend orders@us-east-1", user=ADMIN)
    shown = text_of(bodies)
    assert "Create* (4)" in shown
    for name in (
        "orders-read-throttles",
        "orders-system-errors",
        "orders-replication-latency-ap-southeast-2",
        "orders-replication-latency-eu-west-1",
    ):
        assert f"`{name}`" in shown
    assert "`orders-write-throttles`: covered by `orders-wt-by-hand` (same metric)" in shown
    assert "ReplicationLatency average &gt;= 60000 ms in 3 of 5 minutes" in shown
    cloudwatch = boto3.client("cloudwatch", region_name=EAST)
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]] == [
        "orders-wt-by-hand"
    ]

    confirm = plan_buttons(bodies)["confirm"]
    press(slack, runtime, "confirm", confirm, user=ADMIN)
    created = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert set(created) == {
        "orders-wt-by-hand",
        "orders-read-throttles",
        "orders-system-errors",
        "orders-replication-latency-ap-southeast-2",
        "orders-replication-latency-eu-west-1",
    }
    latency = created["orders-replication-latency-eu-west-1"]
    assert latency["AlarmActions"] == [TOPIC_EAST]
    assert latency["OKActions"] == [TOPIC_EAST]
    assert {(d["Name"], d["Value"]) for d in latency["Dimensions"]} == {
        ("TableName", "orders"),
        ("ReceivingRegion", "eu-west-1"),
    }
    assert created["orders-read-throttles"]["TreatMissingData"] == "notBreaching"
    east_replicas.assert_no_pending_responses()


def test_recommend_revalidates_at_press_time_and_skips_alarms_created_meanwhile(
    runtime: Runtime, slack: SlackSink, east_replicas: Stubber
) -> None:
    east_replicas.add_response(
        "describe_table", global_table(["us-east-1"]), {"TableName": "orders"}
    )
    east_replicas.add_response(
        "describe_table", global_table(["us-east-1"]), {"TableName": "orders"}
    )
    bodies = command(slack, runtime, "alarms recommend orders@us-east-1", user=ADMIN)
    assert "Create* (3)" in text_of(bodies)
    put_alarm(EAST, "orders-system-errors", "SystemErrors", {"TableName": "orders"})
    answers = press(slack, runtime, "confirm", plan_buttons(bodies)["confirm"], user=ADMIN)
    names = {
        a["AlarmName"]
        for a in boto3.client("cloudwatch", region_name=EAST).describe_alarms()["MetricAlarms"]
    }
    assert names == {"orders-read-throttles", "orders-write-throttles", "orders-system-errors"}
    shown = text_of(answers)
    assert "Created 2 alarms for `orders` in us-east-1" in shown
    assert "`orders-system-errors` exists" in shown


def test_recommend_refuses_when_the_table_was_deleted_before_the_press(
    runtime: Runtime, slack: SlackSink, east_replicas: Stubber
) -> None:
    east_replicas.add_response(
        "describe_table", global_table(["us-east-1"]), {"TableName": "orders"}
    )
    east_replicas.add_client_error(
        "describe_table", "ResourceNotFoundException", "Requested resource not found"
    )
    bodies = command(slack, runtime, "alarms recommend orders@us-east-1", user=ADMIN)
    answers = press(slack, runtime, "confirm", plan_buttons(bodies)["confirm"], user=ADMIN)
    assert "There is no table `orders` in us-east-1" in text_of(answers)
    assert boto3.client("cloudwatch", region_name=EAST).describe_alarms()["MetricAlarms"] == []


def test_recommend_with_every_alarm_present_asks_nothing(
    runtime: Runtime, slack: SlackSink, east_replicas: Stubber
) -> None:
    east_replicas.add_response(
        "describe_table", global_table(["us-east-1"]), {"TableName": "orders"}
    )
    for name, metric in (
        ("orders-read-throttles", "ReadThrottleEvents"),
        ("orders-write-throttles", "WriteThrottleEvents"),
        ("orders-system-errors", "SystemErrors"),
    ):
        put_alarm(EAST, name, metric, {"TableName": "orders"})
    bodies = command(slack, runtime, "alarms recommend orders@us-east-1", user=ADMIN)
    assert "already has every recommended alarm" in text_of(bodies)
    assert "confirm" not in plan_buttons(bodies)


def test_recommend_needs_the_operator_role(runtime: Runtime, slack: SlackSink) -> None:
    runtime.settings = replace(runtime.settings, alarm_topic_arn=TOPIC_EAST)
    runtime.notifier.groups_of(VIEWER, runtime.settings.access.group_ids)
    body = slash_body("alarms recommend orders@us-east-1", user=VIEWER)
    ack = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert "needs the *operator* role" in ack["body"]


def test_recommend_in_a_region_the_alarm_topic_cannot_serve_says_why(
    runtime: Runtime, slack: SlackSink
) -> None:
    runtime.settings = replace(runtime.settings, alarm_topic_arn=TOPIC_EAST)
    bodies = command(slack, runtime, "alarms recommend orders@us-west-2", user=ADMIN)
    assert "cannot notify opsbot's alarm topic in us-east-1" in text_of(bodies)


# --- buttons on alarm messages ------------------------------------------------------------------


@pytest.fixture
def posted_alarm(runtime: Runtime, slack: SlackSink, clock: Clock) -> tuple[str, str]:
    """The write-throttle alarm posted by the alarm function: (channel, ts) of its root."""
    clock.current = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
    alarm_function.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    (root,) = slack.messages
    return root


def test_silence_button_stores_the_silence_and_says_so_in_the_thread(
    runtime: Runtime, slack: SlackSink, clock: Clock, posted_alarm: tuple[str, str]
) -> None:
    channel, ts = posted_alarm
    press(slack, runtime, "alarm_silence", f"{ALARM_ARN}|3600", user=OPERATOR, ts=ts)
    until = load_silence(runtime.state, ALARM_ARN)
    assert until == datetime(2026, 11, 22, 10, 45, tzinfo=UTC)
    (notice,) = slack.thread(channel, ts)
    assert notice["text"].startswith(f":mute: <@{OPERATOR}> silenced *orders-write-throttle*")
    # A repeat while silenced posts nothing more.
    before = len(slack.calls_to("chat.postMessage"))
    again = load_event("sns-alarm-write-throttle.json")
    sns = again["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["StateChangeTime"] = "2026-11-22T09:50:10.000+0000"  # a later change to ALARM
    sns["Message"], sns["MessageId"] = json.dumps(message), "repeat-while-silenced"
    assert alarm_function.handle(again, runtime) == ["suppress"]
    assert len(slack.calls_to("chat.postMessage")) == before


def test_silence_button_needs_the_operator_role(
    runtime: Runtime, slack: SlackSink, posted_alarm: tuple[str, str]
) -> None:
    answers = press(slack, runtime, "alarm_silence", f"{ALARM_ARN}|3600", user=VIEWER)
    assert "needs the *operator* role" in text_of(answers)
    assert load_silence(runtime.state, ALARM_ARN) is None


@pytest.mark.parametrize(
    "value", [f"{ALARM_ARN}|forever", f"{ALARM_ARN}|999999999", "|3600", ALARM_ARN]
)
def test_a_tampered_silence_button_is_refused(
    runtime: Runtime, slack: SlackSink, value: str
) -> None:
    answers = press(slack, runtime, "alarm_silence", value, user=OPERATOR)
    assert "This silence button is not valid." in text_of(answers)
    assert load_silence(runtime.state, ALARM_ARN) is None


def test_table_status_button_replies_with_the_tables_status(
    runtime: Runtime, slack: SlackSink
) -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    answers = press(slack, runtime, "alarm_table_status", "orders@us-west-2", user=VIEWER)
    shown = text_of(answers)
    assert "orders" in shown
    assert "ACTIVE" in shown


def test_table_status_button_with_a_bad_value_gets_a_clear_answer(
    runtime: Runtime, slack: SlackSink
) -> None:
    answers = press(slack, runtime, "alarm_table_status", "or ders@nowhere", user=VIEWER)
    assert "`or ders` is not a table name" in text_of(answers)
