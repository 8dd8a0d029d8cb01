"""The alarm adapter: incident and silence records in the state table, recent values from
GetMetricData (bounded in time), alarms needing attention, existing alarms and replicas."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.alarms import existing_alarms, replica_regions
from bot.aws.incidents import (
    IncidentRecord,
    PostedCopy,
    fetch_recent_values,
    load_incident,
    load_silence,
    metric_queries,
    recent_values,
    save_incident,
    save_silence,
)
from bot.aws.state import alarm_pk
from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_messages import parse_eventbridge_alarm, parse_sns_alarm
from bot.domain.alarm_set import ExistingAlarm
from bot.domain.errors import TableNotFound
from bot.domain.incidents import Incident
from bot.runtime import Runtime
from tests.conftest import REGION, table_alarm
from tests.domain.test_alarms import (
    anomaly_band_message,
    composite_sns_message,
    load_event,
    metric_math_message,
    sns_event,
)

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
NOW = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)


# --- state table records ----------------------------------------------------------------------


def test_incident_round_trips_with_every_posted_copy(runtime: Runtime) -> None:
    record = IncidentRecord(
        incident=Incident(ARN, NOW, "C1", "1.1", AlarmState.ALARM, "m-1", repeats=2),
        alarm_name="orders-write-throttle",
        posts=(PostedCopy("#orders", "C1", "1.1"), PostedCopy("C2", "C2", "2.2")),
        posting="m-1",
    )
    save_incident(runtime.state, record, now=NOW)
    assert load_incident(runtime.state, ARN) == record
    item = runtime.state.get(alarm_pk(ARN), "INCIDENT")
    assert item is not None
    assert item["expires_at"] == int(NOW.timestamp()) + 90 * 86400


def test_closed_incident_is_kept_a_week(runtime: Runtime) -> None:
    closed = Incident(ARN, NOW, "C1", "1.1", AlarmState.OK, "m-2")
    save_incident(runtime.state, IncidentRecord(closed, "x"), now=NOW)
    item = runtime.state.get(alarm_pk(ARN), "INCIDENT")
    assert item is not None
    assert item["expires_at"] == int(NOW.timestamp()) + 7 * 86400


def test_record_without_posts_list_still_has_its_root_copy() -> None:
    incident = Incident(ARN, NOW, "C1", "1.1", AlarmState.ALARM, "m-1")
    assert IncidentRecord(incident, "x").copies == (PostedCopy("C1", "C1", "1.1"),)
    empty = Incident(ARN, NOW, "", "", AlarmState.ALARM, "m-1")
    assert IncidentRecord(empty, "x").copies == ()


def test_missing_incident_and_silence_read_as_none(runtime: Runtime) -> None:
    assert load_incident(runtime.state, ARN) is None
    assert load_silence(runtime.state, ARN) is None


def test_silence_is_stored_with_ttl_at_its_end(runtime: Runtime) -> None:
    until = NOW + timedelta(hours=4)
    save_silence(runtime.state, ARN, until=until, by_user="U0OPER001", now=NOW)
    assert load_silence(runtime.state, ARN) == until
    item = runtime.state.get(alarm_pk(ARN), "SILENCE")
    assert item is not None
    assert item["expires_at"] == int(until.timestamp())
    assert item["by"] == "U0OPER001"


# --- GetMetricData queries ------------------------------------------------------------------------


def test_single_metric_query_uses_the_alarms_statistic_and_dimensions() -> None:
    (query,) = metric_queries(sns_event("sns-alarm-write-throttle"))
    assert query == {
        "Id": "m1",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/DynamoDB",
                "MetricName": "WriteThrottleEvents",
                "Dimensions": [{"Name": "TableName", "Value": "orders"}],
            },
            "Period": 60,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def test_metric_math_query_returns_only_the_expression() -> None:
    queries = metric_queries(parse_sns_alarm(metric_math_message(), message_id="m"))
    returned = [q["Id"] for q in queries if q["ReturnData"]]
    assert len(returned) == 1
    (expression,) = [q for q in queries if "Expression" in q]
    assert expression["ReturnData"] is True
    assert all("MetricStat" in q for q in queries if q is not expression)


def test_anomaly_band_is_not_charted() -> None:
    queries = metric_queries(parse_sns_alarm(anomaly_band_message(), message_id="m"))
    assert queries
    assert not any("ANOMALY_DETECTION_BAND" in q.get("Expression", "") for q in queries)
    assert sum(q["ReturnData"] for q in queries) == 1


def test_composite_alarm_has_no_metric_to_fetch() -> None:
    assert metric_queries(parse_sns_alarm(composite_sns_message(), message_id="m")) == []


def test_recent_values_come_from_cloudwatch_oldest_first(aws: None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for minutes_ago, value in ((3, 4.0), (2, 37.0), (1, 21.0)):
        cloudwatch.put_metric_data(
            Namespace="AWS/DynamoDB",
            MetricData=[
                {
                    "MetricName": "WriteThrottleEvents",
                    "Dimensions": [{"Name": "TableName", "Value": "orders"}],
                    "Timestamp": now - timedelta(minutes=minutes_ago),
                    "Value": value,
                }
            ],
        )
    event = sns_event("sns-alarm-write-throttle")
    assert fetch_recent_values(cloudwatch, event, now=now) == (4.0, 37.0, 21.0)
    assert recent_values(cloudwatch, event, now=now) == (4.0, 37.0, 21.0)


def test_recent_values_failure_means_post_without_them() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    with Stubber(cloudwatch) as stubber:
        stubber.add_client_error("get_metric_data", "AccessDenied", "not allowed")
        assert recent_values(cloudwatch, sns_event("sns-alarm-write-throttle"), now=NOW) is None


class SlowCloudWatch:
    """A client whose GetMetricData hangs until released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.release.wait(5)
        return {"MetricDataResults": [{"Id": "m1", "Timestamps": [NOW], "Values": [1.0]}]}


def test_slow_getmetricdata_is_abandoned_after_the_deadline() -> None:
    slow = SlowCloudWatch()
    try:
        event = sns_event("sns-alarm-write-throttle")
        assert recent_values(slow, event, now=NOW, timeout_s=0.05) is None
    finally:
        slow.release.set()


def test_eventbridge_alarm_fetches_with_the_metric_period() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-replication-latency"))
    (query,) = metric_queries(event)
    assert query["MetricStat"]["Stat"] == "Average"
    assert query["MetricStat"]["Period"] == 60


# --- DescribeAlarms and DescribeTable ----------------------------------------------------------


def test_existing_alarms_know_what_series_they_watch(aws: None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    table_alarm(
        cloudwatch, "by-hand", "orders", "WriteThrottleEvents", comparison="GreaterThanThreshold"
    )
    cloudwatch.put_metric_alarm(
        AlarmName="ec2",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    assert existing_alarms(cloudwatch, REGION, ["orders-read-throttles"]) == [
        ExistingAlarm("by-hand", "AWS/DynamoDB", "WriteThrottleEvents", (("TableName", "orders"),))
    ]


def test_replica_regions_of_a_global_table_and_of_a_missing_one() -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "describe_table",
            {
                "Table": {
                    "TableName": "courses",
                    "Replicas": [
                        {"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE"},
                        {"RegionName": "ap-southeast-2", "ReplicaStatus": "ACTIVE"},
                    ],
                }
            },
            {"TableName": "courses"},
        )
        stubber.add_client_error("describe_table", "ResourceNotFoundException", "gone")
        assert replica_regions(dynamodb, "courses", REGION) == ("us-west-2", "ap-southeast-2")
        with pytest.raises(TableNotFound, match="There is no table `gone`"):
            replica_regions(dynamodb, "gone", REGION)
