"""Alarm notifications built from moto's alarms, shaped and delivered as CloudWatch does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.local.alarm_publisher import (
    cloudwatch_timestamp,
    publish_alarm_state,
    region_display_name,
)
from bot.local.sqs_pump import as_sns_lambda_event

REGION = "us-west-2"
NOW = datetime(2026, 11, 22, 9, 42, 10, 123456, tzinfo=UTC)
EVENTS = Path(__file__).resolve().parents[1] / "events"


class World:
    """moto clients plus a topic and the queue subscribed to it."""

    def __init__(self) -> None:
        def client(service: str) -> Any:
            return boto3.client(
                service,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        self.cloudwatch, self.sns, self.sqs = client("cloudwatch"), client("sns"), client("sqs")
        self.topic_arn = self.sns.create_topic(Name="opsbot-alarms")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="opsbot-alarms")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def put_alarm(self, name: str = "orders-write-throttle", **overrides: Any) -> None:
        arguments: dict[str, Any] = {
            "AlarmName": name,
            "AlarmDescription": "Writes to orders are being throttled",
            "Namespace": "AWS/DynamoDB",
            "MetricName": "WriteThrottleEvents",
            "Dimensions": [{"Name": "TableName", "Value": "orders"}],
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "missing",
            "AlarmActions": [self.topic_arn],
            "OKActions": [self.topic_arn],
        }
        arguments |= overrides
        self.cloudwatch.put_metric_alarm(**{k: v for k, v in arguments.items() if v is not None})

    def publish(self, state: str, name: str = "orders-write-throttle", **kw: Any) -> str:
        return publish_alarm_state(
            self.cloudwatch, self.sns, name, state, region=REGION, now=NOW, **kw
        )

    def delivered(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return response.get("Messages", [])

    def state_of(self, name: str = "orders-write-throttle") -> str:
        alarms = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return str(alarms[0]["StateValue"])


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield World()


def _example_message(name: str) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    return dict(json.loads(event["Records"][0]["Sns"]["Message"]))


def test_alarm_notification_has_cloudwatch_keys_in_cloudwatch_order(world: World) -> None:
    world.put_alarm()

    message = json.loads(world.publish("ALARM"))

    example = _example_message("sns-alarm-write-throttle.json")
    assert list(message) == list(example)
    assert list(message["Trigger"]) == list(example["Trigger"])


def test_alarm_notification_carries_the_alarm_as_moto_holds_it(world: World) -> None:
    world.put_alarm()

    message = json.loads(world.publish("ALARM"))

    assert message["AlarmName"] == "orders-write-throttle"
    assert message["AlarmDescription"] == "Writes to orders are being throttled"
    assert message["AWSAccountId"] == "123456789012"
    assert message["NewStateValue"] == "ALARM"
    assert message["OldStateValue"] == "OK"  # moto starts alarms in OK, not INSUFFICIENT_DATA
    assert message["StateChangeTime"] == "2026-11-22T09:42:10.123+0000"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000",
        message["AlarmConfigurationUpdatedTimestamp"],
    )
    assert message["Region"] == "US West (Oregon)"
    assert message["AlarmArn"] == (
        "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
    )
    assert message["AlarmActions"] == [world.topic_arn]
    assert message["InsufficientDataActions"] == []
    assert message["Trigger"] == {
        "MetricName": "WriteThrottleEvents",
        "Namespace": "AWS/DynamoDB",
        "StatisticType": "Statistic",
        "Statistic": "SUM",
        "Unit": None,
        "Dimensions": [{"value": "orders", "name": "TableName"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1.0,
        "TreatMissingData": "missing",
        "EvaluateLowSampleCountPercentile": "",
    }


def test_alarm_is_published_to_its_topic_with_cloudwatch_subject(world: World) -> None:
    world.put_alarm()

    published = world.publish("ALARM")

    [delivered] = world.delivered()
    envelope = json.loads(delivered["Body"])
    assert envelope["Subject"] == 'ALARM: "orders-write-throttle" in US West (Oregon)'
    assert envelope["Message"] == published
    assert envelope["TopicArn"] == world.topic_arn


def test_moto_state_agrees_with_the_notification(world: World) -> None:
    world.put_alarm()

    world.publish("ALARM")
    assert world.state_of() == "ALARM"
    ok = json.loads(world.publish("OK"))

    assert world.state_of() == "OK"
    assert (ok["OldStateValue"], ok["NewStateValue"]) == ("ALARM", "OK")
    assert "ALARM -> OK transition" in ok["NewStateReason"]
    assert "was not greater than or equal to the threshold (1.0)" in ok["NewStateReason"]
    subjects = [json.loads(m["Body"])["Subject"] for m in world.delivered()]
    assert sorted(subjects) == [
        'ALARM: "orders-write-throttle" in US West (Oregon)',
        'OK: "orders-write-throttle" in US West (Oregon)',
    ]


def test_default_reason_reads_like_cloudwatch(world: World) -> None:
    world.put_alarm()

    message = json.loads(world.publish("ALARM", datapoint=37.0))

    assert message["NewStateReason"] == (
        "Threshold Crossed: 1 out of the last 1 datapoints [37.0 (22/11/26 09:41:00)] was "
        "greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM "
        "transition)."
    )


def test_given_reason_is_used_in_message_and_moto(world: World) -> None:
    world.put_alarm()

    message = json.loads(world.publish("ALARM", reason="simulated by the console"))

    assert message["NewStateReason"] == "simulated by the console"
    alarm = world.cloudwatch.describe_alarms(AlarmNames=["orders-write-throttle"])
    assert alarm["MetricAlarms"][0]["StateReason"] == "simulated by the console"


def test_state_without_actions_publishes_nothing(world: World) -> None:
    world.put_alarm()

    message = json.loads(world.publish("INSUFFICIENT_DATA"))

    assert message["NewStateValue"] == "INSUFFICIENT_DATA"
    assert world.delivered() == []
    assert world.state_of() == "INSUFFICIENT_DATA"


def test_disabled_actions_publish_nothing(world: World) -> None:
    world.put_alarm(ActionsEnabled=False)

    world.publish("ALARM")

    assert world.delivered() == []
    assert world.state_of() == "ALARM"


def test_extended_statistic_alarm_names_its_percentile(world: World) -> None:
    world.put_alarm(
        "orders-latency",
        MetricName="SuccessfulRequestLatency",
        Statistic=None,
        ExtendedStatistic="p99",
        Threshold=250.0,
        ComparisonOperator="GreaterThanThreshold",
    )

    trigger = json.loads(world.publish("ALARM", name="orders-latency"))["Trigger"]

    assert trigger["StatisticType"] == "ExtendedStatistic"
    assert trigger["ExtendedStatistic"] == "p99"
    assert "Statistic" not in trigger


def test_unknown_state_and_unknown_alarm_are_refused(world: World) -> None:
    world.put_alarm()

    with pytest.raises(ValueError, match="state must be one of"):
        world.publish("FIRING")
    with pytest.raises(LookupError, match="no metric alarm named 'nope'"):
        world.publish("ALARM", name="nope")
    assert world.delivered() == []


def test_published_alarm_becomes_the_lambda_event_the_handler_expects(world: World) -> None:
    world.put_alarm()
    world.publish("ALARM")

    event = as_sns_lambda_event(world.delivered()[0])

    example = json.loads((EVENTS / "sns-alarm-write-throttle.json").read_text())
    assert set(event["Records"][0]) == set(example["Records"][0])
    assert set(event["Records"][0]["Sns"]) == set(example["Records"][0]["Sns"])
    assert json.loads(event["Records"][0]["Sns"]["Message"])["NewStateValue"] == "ALARM"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("us-west-2", "US West (Oregon)"),
        ("us-east-1", "US East (N. Virginia)"),
        ("eu-west-1", "EU (Ireland)"),
        ("ap-southeast-2", "Asia Pacific (Sydney)"),
        ("xx-nowhere-9", "xx-nowhere-9"),
    ],
    ids=["oregon", "virginia", "ireland-old-eu-name", "sydney", "unknown-kept-as-code"],
)
def test_region_display_name(code: str, name: str) -> None:
    assert region_display_name(code) == name


def test_cloudwatch_timestamp_has_milliseconds_and_numeric_zone() -> None:
    assert cloudwatch_timestamp(datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.006+0000"
    )


def test_state_change_also_goes_to_eventbridge_when_asked(world: World) -> None:
    world.put_alarm()
    events = boto3.client(
        "events", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    queue_url = world.sqs.create_queue(QueueName="alarm-events")["QueueUrl"]
    queue_arn = world.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(Name="alarms", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(Rule="alarms", Targets=[{"Id": "q", "Arn": queue_arn}])

    world.publish("ALARM", events=events)

    [message] = world.sqs.receive_message(QueueUrl=queue_url)["Messages"]
    event = json.loads(message["Body"])
    example = json.loads((EVENTS / "eventbridge-alarm-replication-latency.json").read_text())
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["resources"] == [
        "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
    ]
    assert set(event["detail"]) == set(example["detail"])
    assert event["detail"]["state"]["value"] == "ALARM"
    assert event["detail"]["previousState"]["value"] == "OK"
    metric = event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]
    assert metric == {
        "namespace": "AWS/DynamoDB",
        "name": "WriteThrottleEvents",
        "dimensions": {"TableName": "orders"},
    }
