"""Alarm parsing, conditions in words, explanations, sparklines, links and incident decisions.

The payload builders at the top are shared with tests/render/test_alarms.py.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.alarm_conditions import (
    describe_condition,
    describe_rule,
    period_words,
    sparkline,
    value_summary,
)
from bot.domain.alarm_events import (
    UNKNOWN_TIME,
    AlarmEvent,
    AlarmState,
    AlarmSubject,
    console_links,
)
from bot.domain.alarm_messages import (
    datapoints_from_reason,
    parse_eventbridge_alarm,
    parse_sns_alarm,
)
from bot.domain.alarm_metrics import explain, explain_event, explain_missing_data
from bot.domain.errors import InvalidValue
from bot.domain.incidents import Incident, decide
from bot.domain.sns_inbox import ALARM_STATES, is_alarm_message

EVENTS = Path(__file__).parent.parent / "events"
NOW = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)


# --- payloads ------------------------------------------------------------------------------


def load_event(name: str) -> dict[str, Any]:
    """A payload from tests/events/."""
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def sns_message(name: str) -> tuple[dict[str, Any], str]:
    """The decoded alarm message and MessageId of an SNS event file."""
    sns = load_event(name)["Records"][0]["Sns"]
    return json.loads(sns["Message"]), sns["MessageId"]


def sns_event(name: str) -> AlarmEvent:
    """An SNS event file parsed."""
    message, message_id = sns_message(name)
    return parse_sns_alarm(message, message_id=message_id)


def metric_math_message() -> dict[str, Any]:
    """Write capacity used in percent: a metric-math alarm as SNS delivers it."""
    return {
        "AlarmName": "orders-write-capacity-used",
        "AlarmDescription": "orders uses more than 80% of its provisioned writes",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": (
            "Threshold Crossed: 3 out of the last 3 datapoints [91.2 (22/11/26 09:40:00), "
            "88.0 (22/11/26 09:35:00), 84.5 (22/11/26 09:30:00)] were greater than or equal "
            "to the threshold (80.0) (minimum 3 datapoints for OK -> ALARM transition)."
        ),
        "StateChangeTime": "2026-11-22T09:41:05.000+0000",
        "Region": "US West (Oregon)",
        "AlarmArn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-capacity-used",
        "OldStateValue": "OK",
        "Trigger": {
            "Period": 300,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 3,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 80.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
            "Metrics": [
                {
                    "Expression": "100 * (m1 / 300) / m2",
                    "Id": "e1",
                    "Label": "write capacity used %",
                    "ReturnData": True,
                },
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {
                            "Dimensions": [{"value": "orders", "name": "TableName"}],
                            "MetricName": "ConsumedWriteCapacityUnits",
                            "Namespace": "AWS/DynamoDB",
                        },
                        "Period": 300,
                        "Stat": "Sum",
                    },
                    "ReturnData": False,
                },
                {
                    "Id": "m2",
                    "MetricStat": {
                        "Metric": {
                            "Dimensions": [{"value": "orders", "name": "TableName"}],
                            "MetricName": "ProvisionedWriteCapacityUnits",
                            "Namespace": "AWS/DynamoDB",
                        },
                        "Period": 300,
                        "Stat": "Average",
                    },
                    "ReturnData": False,
                },
            ],
        },
    }


def anomaly_band_message() -> dict[str, Any]:
    """Consumed reads outside their anomaly-detection band."""
    return {
        "AlarmName": "orders-reads-unusual",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-reads-unusual",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Thresholds Crossed: 2 out of the last 2 datapoints were outside.",
        "StateChangeTime": "2026-11-22T09:41:05.000+0000",
        "Trigger": {
            "EvaluationPeriods": 2,
            "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
            "ThresholdMetricId": "ad1",
            "TreatMissingData": "breaching",
            "Metrics": [
                {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {
                            "Dimensions": [{"value": "orders", "name": "TableName"}],
                            "MetricName": "ConsumedReadCapacityUnits",
                            "Namespace": "AWS/DynamoDB",
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                },
            ],
        },
    }


def composite_sns_message() -> dict[str, Any]:
    """A composite alarm over three orders alarms, as SNS delivers it (no Trigger)."""
    return {
        "AlarmName": "orders-unhealthy",
        "AlarmDescription": "orders is throttling and failing",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": (
            "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle "
            "transitioned to ALARM at Sunday 22 November, 2026 09:42:10 UTC"
        ),
        "StateChangeTime": "2026-11-22T09:42:40.000+0000",
        "Region": "US West (Oregon)",
        "AlarmArn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-unhealthy",
        "OldStateValue": "OK",
        "AlarmRule": (
            'ALARM("orders-write-throttle") AND (ALARM("orders-system-errors") OR '
            "ALARM(arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-read-throttle))"
        ),
        "TriggeringChildren": [
            {
                "Arn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle",
                "State": {"Value": "ALARM", "Timestamp": "2026-11-22T09:42:10.123+0000"},
            }
        ],
    }


def composite_eventbridge_event() -> dict[str, Any]:
    """The same composite alarm resolving, as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "2dde0eb1-528b-d2d5-9ca6-6d590caf2329",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": "2026-11-22T09:56:01Z",
        "region": "us-west-2",
        "resources": ["arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-unhealthy"],
        "detail": {
            "alarmName": "orders-unhealthy",
            "state": {
                "value": "OK",
                "reason": (
                    "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle "
                    "transitioned to OK at Sunday 22 November, 2026 09:55:10 UTC"
                ),
                "reasonData": json.dumps(
                    {
                        "triggeringAlarms": [
                            {
                                "arn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:"
                                "orders-write-throttle",
                                "state": {"value": "OK"},
                            }
                        ]
                    }
                ),
                "timestamp": "2026-11-22T09:56:01.000+0000",
            },
            "previousState": {"value": "ALARM", "timestamp": "2026-11-22T09:42:40.000+0000"},
            "configuration": {
                "alarmRule": 'ALARM("orders-write-throttle") OR ALARM("orders-system-errors")',
                "description": "orders is throttling and failing",
            },
        },
    }


def dax_cpu_message() -> dict[str, Any]:
    """CPU on one DAX node above 70 %."""
    return {
        "AlarmName": "sessions-cache-cpu",
        "AlarmDescription": "DAX sessions-cache CPU above 70%",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": (
            "Threshold Crossed: 2 out of the last 3 datapoints [88.4 (22/11/26 09:40:00), "
            "64.0 (22/11/26 09:35:00), 79.9 (22/11/26 09:30:00)] were greater than the "
            "threshold (70.0) (minimum 2 datapoints for OK -> ALARM transition)."
        ),
        "StateChangeTime": "2026-11-22T09:41:00.000+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sessions-cache-cpu",
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/DAX",
            "StatisticType": "Statistic",
            "Statistic": "AVERAGE",
            "Unit": None,
            "Dimensions": [
                {"value": "sessions-cache", "name": "ClusterId"},
                {"value": "sessions-cache-a", "name": "NodeId"},
            ],
            "Period": 300,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 70.0,
            "TreatMissingData": "missing",
        },
    }


def insufficient_data_event() -> dict[str, Any]:
    """A read-throttle alarm on a GSI whose metric stopped arriving (EventBridge)."""
    return {
        "version": "0",
        "id": "7a1e2b3c-0000-4d4d-9e9e-000000000001",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": "2026-11-22T09:44:00Z",
        "region": "us-west-2",
        "resources": ["arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-gsi-read-throttle"],
        "detail": {
            "alarmName": "orders-gsi-read-throttle",
            "state": {
                "value": "INSUFFICIENT_DATA",
                "reason": "Insufficient Data: 5 datapoints were unknown.",
                "reasonData": json.dumps(
                    {"version": "1.0", "statistic": "Sum", "period": 60, "recentDatapoints": []}
                ),
                "timestamp": "2026-11-22T09:44:00.000+0000",
            },
            "previousState": {"value": "OK"},
            "configuration": {
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {
                                "namespace": "AWS/DynamoDB",
                                "name": "ReadThrottleEvents",
                                "dimensions": {
                                    "TableName": "orders",
                                    "GlobalSecondaryIndexName": "by-customer",
                                },
                            },
                            "period": 60,
                            "stat": "Sum",
                        },
                        "returnData": True,
                    }
                ]
            },
        },
    }


# --- the event files ------------------------------------------------------------------------


def test_sns_alarm_file_takes_region_from_arn_and_reads_condition_and_values() -> None:
    event = sns_event("sns-alarm-write-throttle")
    assert event.name == "orders-write-throttle"
    assert event.region == "us-west-2"  # not "US West (Oregon)"
    assert event.account == "123456789012"
    assert event.state is AlarmState.ALARM
    assert event.previous_state is AlarmState.OK
    assert event.changed_at == datetime(2026, 11, 22, 9, 42, 10, 123000, tzinfo=UTC)
    assert event.subject == AlarmSubject(table="orders")
    assert event.condition == "WriteThrottleEvents sum >= 1 in 1 of 1 minute"
    assert event.recent_datapoints == (37.0,)
    assert event.source == "sns"
    assert event.message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert event.description == "Writes to orders are being throttled"
    assert not event.is_composite


def test_sns_ok_file_parses_as_ok_after_alarm() -> None:
    event = sns_event("sns-alarm-write-throttle-ok")
    assert event.state is AlarmState.OK
    assert event.previous_state is AlarmState.ALARM
    assert event.recent_datapoints == (0.0,)
    assert event.condition == "WriteThrottleEvents sum >= 1 in 1 of 1 minute"


def test_eventbridge_replication_latency_reads_threshold_back_from_the_reason() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-replication-latency"))
    assert event.name == "courses-replication-latency"
    assert (
        event.arn == "arn:aws:cloudwatch:us-west-2:123456789012:alarm:courses-replication-latency"
    )
    assert event.region == "us-west-2"
    assert event.subject == AlarmSubject(
        table="cloudacademy-courses", receiving_region="ap-southeast-2"
    )
    assert event.condition == "ReplicationLatency average > 2000 ms in 3 of 3 minutes"
    assert event.recent_datapoints == (2410.5, 3120.0, 2890.2)
    assert event.source == "eventbridge"
    assert event.message_id == "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"


# --- other alarm shapes ------------------------------------------------------------------------


def test_metric_math_alarm_names_the_expression_and_its_metrics() -> None:
    event = parse_sns_alarm(metric_math_message(), message_id="m-1")
    assert event.condition == (
        "write capacity used % >= 80 in 3 of 3 periods of 5 minutes "
        "(where m1 = ConsumedWriteCapacityUnits sum, m2 = ProvisionedWriteCapacityUnits average)"
    )
    assert event.subject.table == "orders"
    assert [m.id for m in event.metrics] == ["e1", "m1", "m2"]
    assert event.primary_metric is not None
    assert event.primary_metric.name == "ConsumedWriteCapacityUnits"
    # The reason lists newest first; recent values are kept oldest first.
    assert event.recent_datapoints == (84.5, 88.0, 91.2)


def test_anomaly_band_alarm_reads_outside_the_expected_band() -> None:
    event = parse_sns_alarm(anomaly_band_message(), message_id="m-2")
    assert event.condition == (
        "ConsumedReadCapacityUnits sum outside the expected band (width 2) "
        "in 2 of 2 minutes; missing data counts as breaching"
    )
    assert event.region == "eu-west-1"


def test_composite_sns_alarm_keeps_the_rule_and_says_it_in_words() -> None:
    event = parse_sns_alarm(composite_sns_message(), message_id="m-3")
    assert event.is_composite
    assert event.composite_rule is not None
    assert event.composite_rule.startswith('ALARM("orders-write-throttle")')
    assert event.condition == (
        "orders-write-throttle in alarm and (orders-system-errors in alarm or "
        "orders-read-throttle in alarm)"
    )
    assert event.metrics == ()
    assert event.subject.is_empty
    assert event.recent_datapoints == ()
    assert explain_event(event).meaning.startswith("A composite alarm")


def test_composite_eventbridge_alarm_reads_rule_from_configuration() -> None:
    event = parse_eventbridge_alarm(composite_eventbridge_event())
    assert event.state is AlarmState.OK
    assert event.previous_state is AlarmState.ALARM
    assert event.condition == "orders-write-throttle in alarm or orders-system-errors in alarm"
    assert event.recent_datapoints == ()


def test_dax_cpu_alarm_concerns_the_cluster_and_node() -> None:
    event = parse_sns_alarm(dax_cpu_message(), message_id="m-4")
    assert event.subject == AlarmSubject(dax_cluster="sessions-cache", dax_node="sessions-cache-a")
    assert event.condition == "CPUUtilization average > 70% in 2 of 3 periods of 5 minutes"
    assert event.recent_datapoints == (79.9, 64.0, 88.4)
    assert explain_event(event) == explain("CPUUtilization", "AWS/DAX")
    assert "dax" in console_links(event)


def test_insufficient_data_event_parses_with_no_recent_values() -> None:
    event = parse_eventbridge_alarm(insufficient_data_event())
    assert event.state is AlarmState.INSUFFICIENT_DATA
    assert event.subject == AlarmSubject(table="orders", index="by-customer")
    assert event.recent_datapoints == ()
    assert event.condition == "ReadThrottleEvents sum in 1 of 1 minute"


def test_eventbridge_alarm_delivered_through_sns_is_parsed_as_eventbridge() -> None:
    event = parse_sns_alarm(insufficient_data_event(), message_id="ignored")
    assert event.source == "eventbridge"
    assert event.message_id == "7a1e2b3c-0000-4d4d-9e9e-000000000001"


def test_sns_region_display_name_is_used_only_without_an_arn() -> None:
    message, _ = sns_message("sns-alarm-write-throttle")
    del message["AlarmArn"]
    event = parse_sns_alarm(message, message_id="x")
    assert event.region == "us-west-2"
    message["Region"] = "US West - Oregon"
    assert parse_sns_alarm(message, message_id="x").region == "us-west-2"
    message["Region"] = "Somewhere New"
    assert parse_sns_alarm(message, message_id="x").region == ""


def test_reason_datapoints_are_sorted_oldest_first_across_days() -> None:
    reason = "[5.0 (01/12/26 00:01:00), 4.0 (30/11/26 23:59:00), 3.5 (30/11/26 23:58:00)]"
    assert datapoints_from_reason(reason) == (3.5, 4.0, 5.0)
    assert datapoints_from_reason("Threshold Crossed: no datapoints were received") == ()


# --- missing, null and wrong fields ----------------------------------------------------------


def _without(message: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(message)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


def _with(message: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(message)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


_SNS, _ = sns_message("sns-alarm-write-throttle")


@pytest.mark.parametrize(
    ("message", "check"),
    [
        (_without(_SNS, "Trigger"), lambda e: e.condition == "" and e.metrics == ()),
        (_with(_SNS, None, "Trigger"), lambda e: e.condition == "" and e.subject.is_empty),
        (_with(_SNS, None, "AlarmDescription"), lambda e: e.description == ""),
        (_with(_SNS, None, "NewStateReason"), lambda e: e.reason == ""),
        (_with(_SNS, None, "OldStateValue"), lambda e: e.previous_state is None),
        (_with(_SNS, "SOMETHING", "OldStateValue"), lambda e: e.previous_state is None),
        (_with(_SNS, None, "StateChangeTime"), lambda e: e.changed_at == UNKNOWN_TIME),
        (_with(_SNS, "yesterday", "StateChangeTime"), lambda e: e.changed_at == UNKNOWN_TIME),
        (_without(_SNS, "AlarmName"), lambda e: e.name == "orders-write-throttle"),
        (_with(_SNS, "not-an-arn", "AlarmArn"), lambda e: e.region == "us-west-2"),
        (_with(_SNS, "alarm", "NewStateValue"), lambda e: e.state is AlarmState.ALARM),
        (
            _with(_SNS, None, "Trigger", "Dimensions"),
            lambda e: e.subject.is_empty and e.condition.startswith("WriteThrottleEvents"),
        ),
        (
            _with(_SNS, [{"name": "TableName"}, "junk", None], "Trigger", "Dimensions"),
            lambda e: e.subject.is_empty,
        ),
        (
            _with(_SNS, None, "Trigger", "Threshold"),
            lambda e: e.condition == "WriteThrottleEvents sum in 1 of 1 minute",
        ),
        (
            _with(_SNS, "Sideways", "Trigger", "ComparisonOperator"),
            lambda e: e.condition == "WriteThrottleEvents sum crosses 1 in 1 of 1 minute",
        ),
        (
            _with(_SNS, None, "Trigger", "Period"),
            lambda e: e.condition == "WriteThrottleEvents sum >= 1 in 1 of 1 periods",
        ),
        (
            _with(_SNS, None, "Trigger", "DatapointsToAlarm"),
            lambda e: e.condition == "WriteThrottleEvents sum >= 1 in 1 of 1 minute",
        ),
        (
            _with(_SNS, "p99", "Trigger", "ExtendedStatistic"),
            lambda e: e.condition.startswith("WriteThrottleEvents p99 "),
        ),
        (
            _with(_SNS, [None, 3, {"Id": "x"}], "Trigger", "Metrics"),
            lambda e: e.metrics == () and e.condition.startswith("the metric"),
        ),
    ],
    ids=[
        "no-trigger",
        "null-trigger",
        "null-description",
        "null-reason",
        "null-old-state",
        "unknown-old-state",
        "null-time",
        "garbage-time",
        "name-from-arn",
        "bad-arn-region-from-display-name",
        "lowercase-state",
        "null-dimensions",
        "broken-dimensions",
        "null-threshold",
        "unknown-operator",
        "null-period",
        "null-datapoints-to-alarm",
        "extended-statistic",
        "junk-math-metrics",
    ],
)
def test_mutilated_sns_alarm_still_parses_with_neutral_defaults(
    message: dict[str, Any], check: Any
) -> None:
    assert check(parse_sns_alarm(message, message_id="x"))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({}, "no AlarmName or AlarmArn"),
        ({"AlarmName": None, "AlarmArn": None}, "no AlarmName or AlarmArn"),
        (_with(_SNS, None, "NewStateValue"), "has no valid NewStateValue"),
        (_with(_SNS, "BROKEN", "NewStateValue"), "has no valid NewStateValue"),
        (["not", "an", "object"], "not a JSON object"),
        (load_event("sns-aws-backup-job-completed")["Records"][0]["Sns"]["Message"], "JSON object"),
    ],
    ids=["empty", "null-names", "null-state", "unknown-state", "a-list", "plain-text"],
)
def test_sns_message_that_is_not_an_alarm_raises_invalid_value(message: Any, error: str) -> None:
    with pytest.raises(InvalidValue, match=error):
        parse_sns_alarm(message, message_id="x")


_EB = load_event("eventbridge-alarm-replication-latency")


@pytest.mark.parametrize(
    ("event", "check"),
    [
        (_with(_EB, None, "detail", "configuration"), lambda e: e.condition == ""),
        (
            _with(_EB, "not json", "detail", "state", "reasonData"),
            lambda e: e.recent_datapoints == (),
        ),
        (
            _with(
                _EB,
                json.dumps(
                    {
                        "evaluatedDatapoints": [
                            {"timestamp": "2026-11-22T10:01:00.000+0000", "value": 2.0},
                            {"timestamp": "2026-11-22T10:00:00.000+0000", "value": 1.0},
                        ]
                    }
                ),
                "detail",
                "state",
                "reasonData",
            ),
            lambda e: e.recent_datapoints == (1.0, 2.0),
        ),
        (
            _with(_EB, None, "resources"),
            lambda e: e.arn.endswith(":alarm:courses-replication-latency"),
        ),
        (_with(_EB, None, "detail", "previousState"), lambda e: e.previous_state is None),
        (_with(_EB, None, "detail", "state", "timestamp"), lambda e: e.changed_at.minute == 2),
        (_without(_EB, "id"), lambda e: e.message_id == ""),
        (
            _with(
                _EB,
                {"TableName": None},
                "detail",
                "configuration",
                "metrics",
                0,
                "metricStat",
                "metric",
                "dimensions",
            ),
            lambda e: e.subject.is_empty,
        ),
    ],
    ids=[
        "null-configuration",
        "reason-data-not-json",
        "evaluated-datapoints-sorted",
        "arn-rebuilt-without-resources",
        "null-previous-state",
        "time-from-envelope",
        "no-id",
        "null-dimension-value",
    ],
)
def test_mutilated_eventbridge_alarm_still_parses_with_neutral_defaults(
    event: dict[str, Any], check: Any
) -> None:
    assert check(parse_eventbridge_alarm(event))


@pytest.mark.parametrize(
    "event",
    [{}, {"detail": None}, _with(_EB, None, "detail", "state"), _with(_EB, None, "detail")],
    ids=["empty", "null-detail", "null-state", "no-detail-no-name"],
)
def test_eventbridge_event_that_is_not_an_alarm_raises_invalid_value(event: Any) -> None:
    with pytest.raises(InvalidValue):
        parse_eventbridge_alarm(event)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@pytest.mark.parametrize("replacement", [None, "", 0, [], {}, "x" * 3, -1.5, True])
def test_any_field_replaced_by_junk_parses_or_raises_invalid_value_only(replacement: Any) -> None:
    payloads = [
        (parse_sns_alarm, _SNS),
        (parse_sns_alarm, metric_math_message()),
        (parse_sns_alarm, composite_sns_message()),
        (parse_eventbridge_alarm, _EB),
        (parse_eventbridge_alarm, composite_eventbridge_event()),
    ]
    for parse, payload in payloads:
        for path in _paths(payload):
            mutated = _with(payload, replacement, *path)
            try:
                if parse is parse_sns_alarm:
                    parse_sns_alarm(mutated, message_id="x")
                else:
                    parse_eventbridge_alarm(mutated)
            except InvalidValue:
                pass


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_SNS, True),
        (json.dumps(_SNS), True),
        (composite_sns_message(), True),
        (insufficient_data_event(), True),
        (load_event("sns-aws-backup-job-completed")["Records"][0]["Sns"]["Message"], False),
        ({"AlarmName": "x"}, False),
        ({"AlarmName": "x", "NewStateValue": "MAYBE"}, False),
        ({"Records": [{"s3": {}}]}, False),
        (None, False),
        (42, False),
    ],
    ids=[
        "sns-alarm",
        "sns-alarm-text",
        "composite",
        "eventbridge-alarm",
        "aws-backup-text",
        "no-state",
        "unknown-state",
        "s3-notice",
        "none",
        "number",
    ],
)
def test_is_alarm_message_routes_by_content(obj: object, expected: bool) -> None:
    assert is_alarm_message(obj) is expected


# --- conditions in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "words"),
    [
        ("GreaterThanOrEqualToThreshold", "x sum >= 5"),
        ("GreaterThanThreshold", "x sum > 5"),
        ("LessThanThreshold", "x sum < 5"),
        ("LessThanOrEqualToThreshold", "x sum <= 5"),
        ("LessThanLowerOrGreaterThanUpperThreshold", "x sum outside the expected band"),
        ("GreaterThanUpperThreshold", "x sum above the expected band"),
        ("LessThanLowerThreshold", "x sum below the expected band"),
    ],
)
def test_describe_condition_says_every_operator_in_words(operator: str, words: str) -> None:
    text = describe_condition(
        metric="x",
        stat="SUM",
        operator=operator,
        threshold=5.0,
        period=60,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )
    assert text == f"{words} in 1 of 1 minute"


@pytest.mark.parametrize(
    ("period", "evaluation", "datapoints", "tail"),
    [
        (60, 1, 1, "in 1 of 1 minute"),
        (60, 5, 3, "in 3 of 5 minutes"),
        (300, 1, 1, "in 1 of 1 period of 5 minutes"),
        (300, 3, 2, "in 2 of 3 periods of 5 minutes"),
        (3600, 24, 24, "in 24 of 24 hours"),
        (10, 6, None, "in 6 of 6 periods of 10 seconds"),
        (86400, 1, 1, "in 1 of 1 day"),
    ],
)
def test_describe_condition_reads_periods_and_datapoints(
    period: int, evaluation: int, datapoints: int | None, tail: str
) -> None:
    text = describe_condition(
        metric="ReadThrottleEvents",
        stat="Sum",
        operator="GreaterThanThreshold",
        threshold=0.0,
        period=period,
        evaluation_periods=evaluation,
        datapoints_to_alarm=datapoints,
    )
    assert text == f"ReadThrottleEvents sum > 0 {tail}"


def test_period_words() -> None:
    assert [period_words(s) for s in (1, 60, 300, 3600, 7200, 90)] == [
        "1 second",
        "1 minute",
        "5 minutes",
        "1 hour",
        "2 hours",
        "90 seconds",
    ]


def test_describe_rule_reads_states_and_arns() -> None:
    rule = 'NOT OK("a") AND INSUFFICIENT_DATA(b) OR ALARM("arn:aws:cloudwatch:us-east-1:1:alarm:c")'
    # A malformed ARN is left as written rather than guessed at.
    assert describe_rule(rule) == (
        "not a OK and b without data or arn:aws:cloudwatch:us-east-1:1:alarm:c in alarm"
    )


# --- explanations ------------------------------------------------------------------------------

DYNAMODB_METRICS = [
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ThrottledRequests",
    "SystemErrors",
    "UserErrors",
    "ConditionalCheckFailedRequests",
    "SuccessfulRequestLatency",
    "ConsumedReadCapacityUnits",
    "ConsumedWriteCapacityUnits",
    "ProvisionedReadCapacityUnits",
    "ProvisionedWriteCapacityUnits",
    "AccountProvisionedReadCapacityUtilization",
    "AccountProvisionedWriteCapacityUtilization",
    "MaxProvisionedTableReadCapacityUtilization",
    "MaxProvisionedTableWriteCapacityUtilization",
    "ReplicationLatency",
    "PendingReplicationCount",
    "TimeToLiveDeletedItemCount",
    "OnlineIndexPercentageProgress",
    "OnlineIndexConsumedWriteCapacity",
    "OnlineIndexThrottleEvents",
]
DAX_METRICS = [
    "CPUUtilization",
    "CacheMemoryUtilization",
    "EvictedSize",
    "ErrorRequestCount",
    "FaultRequestCount",
    "FailedRequestCount",
    "ThrottledRequestCount",
    "ItemCacheMisses",
    "QueryCacheMisses",
    "ClientConnections",
]


@pytest.mark.parametrize(
    ("namespace", "metric"),
    [("AWS/DynamoDB", m) for m in DYNAMODB_METRICS] + [("AWS/DAX", m) for m in DAX_METRICS],
)
def test_every_listed_metric_has_its_own_short_actionable_explanation(
    namespace: str, metric: str
) -> None:
    explanation = explain(metric, namespace)
    assert explanation != explain("SomethingElse", "Custom/App")
    assert 0 < len(explanation.meaning) <= 240
    assert 2 <= len(explanation.first_checks) <= 4
    assert all(len(check) <= 100 for check in explanation.first_checks)


def test_unknown_metric_gets_the_generic_explanation() -> None:
    generic = explain("Latency", "Custom/App")
    assert generic.meaning == "The metric crossed the alarm's threshold."
    assert explain(None, None) == generic
    assert explain("MadeUpMetric", "AWS/DynamoDB") == generic


def test_read_and_write_throttles_are_explained_differently() -> None:
    assert explain("ReadThrottleEvents", "AWS/DynamoDB").meaning.startswith("Reads")
    assert explain("WriteThrottleEvents", "AWS/DynamoDB").meaning.startswith("Writes")


# --- sparkline ---------------------------------------------------------------------------------


def test_sparkline_spans_lowest_to_highest_bar() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([2410.5, 3120.0, 2890.2]) == "▁█▆"


def test_sparkline_of_flat_or_empty_or_non_finite_values() -> None:
    assert sparkline([]) == ""
    assert sparkline([0.0, 0.0]) == "▁▁"
    assert sparkline([3.0, 3.0, 3.0]) == "▄▄▄"
    assert sparkline([float("nan"), 1.0, float("inf"), 2.0]) == "▁█"


def test_value_summary_gives_min_max_last() -> None:
    assert value_summary([3.0, 37.0, 0.5]) == "min 0.5 · max 37 · last 0.5"
    assert value_summary([]) == ""
    assert value_summary([37.0]) == "last 37"
    assert value_summary([1.0, 2410.5], "ms") == "min 1 ms · max 2410.5 ms · last 2410.5 ms"


def test_explain_missing_data_names_the_metric_not_its_alarm_meaning() -> None:
    event = parse_eventbridge_alarm(insufficient_data_event())
    explanation = explain_missing_data(event)
    assert explanation.meaning.startswith("CloudWatch received no ReadThrottleEvents data")
    assert any("TreatMissingData" in check for check in explanation.first_checks)


# --- console links -----------------------------------------------------------------------------


def test_console_links_quote_alarm_and_table_names() -> None:
    event = sns_event("sns-alarm-write-throttle")
    event = replace(event, name="orders / write throttle#1")
    links = console_links(event)
    assert links["alarm"] == (
        "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2"
        "#alarmsV2:alarm/orders%20%2F%20write%20throttle%231"
    )
    assert links["table"] == (
        "https://us-west-2.console.aws.amazon.com/dynamodbv2/home?region=us-west-2"
        "#table?name=orders"
    )
    assert "dax" not in links


def test_console_links_are_empty_without_a_region() -> None:
    event = replace(sns_event("sns-alarm-write-throttle"), region="")
    assert console_links(event) == {}


def test_console_links_point_at_the_receiving_replica() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-replication-latency"))
    assert console_links(event)["replica"].startswith(
        "https://ap-southeast-2.console.aws.amazon.com/dynamodbv2/home?region=ap-southeast-2"
    )


# --- incident lifecycle --------------------------------------------------------------------------

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
OPENED = datetime(2026, 11, 22, 9, 42, tzinfo=UTC)
ALARM_EVENT = replace(sns_event("sns-alarm-write-throttle"), message_id="alarm-2")
OK_EVENT = replace(sns_event("sns-alarm-write-throttle-ok"), message_id="ok-1")
NO_DATA = replace(ALARM_EVENT, state=AlarmState.INSUFFICIENT_DATA, message_id="nodata-1")
OPEN = Incident(ARN, OPENED, "C1", "1700000000.000100", AlarmState.ALARM, "alarm-1", 0)
CLOSED = replace(OPEN, state=AlarmState.OK)
SILENCED = NOW + timedelta(hours=1)
EXPIRED = NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("event", "incident", "silenced_until", "kind", "reason"),
    [
        (ALARM_EVENT, None, None, "post_root", "new alarm"),
        (ALARM_EVENT, CLOSED, None, "post_root", "new alarm"),
        (ALARM_EVENT, OPEN, None, "thread_repeat", "still in alarm"),
        (NO_DATA, OPEN, None, "thread_repeat", "no data while open"),
        (OK_EVENT, OPEN, None, "resolve", "back to OK"),
        (OK_EVENT, OPEN, SILENCED, "resolve", "back to OK"),
        (OK_EVENT, None, None, "ignore", "nothing open"),
        (OK_EVENT, CLOSED, None, "ignore", "nothing open"),
        (NO_DATA, None, None, "post_info", "no data, nothing open"),
        (ALARM_EVENT, None, SILENCED, "suppress", "silenced until 2026-11-22T10:45:00+00:00"),
        (ALARM_EVENT, OPEN, SILENCED, "suppress", "silenced until 2026-11-22T10:45:00+00:00"),
        (NO_DATA, None, SILENCED, "suppress", "silenced until 2026-11-22T10:45:00+00:00"),
        (ALARM_EVENT, None, EXPIRED, "post_root", "new alarm"),
        (replace(ALARM_EVENT, message_id="alarm-1"), OPEN, None, "duplicate", "already handled"),
        (replace(OK_EVENT, message_id="alarm-1"), OPEN, SILENCED, "duplicate", "already handled"),
        (
            replace(OK_EVENT, changed_at=OPENED - timedelta(minutes=5)),
            OPEN,
            None,
            "ignore",
            "older than the open incident",
        ),
    ],
    ids=[
        "first-alarm-posts-root",
        "alarm-after-resolved-posts-new-root",
        "alarm-while-open-replies-in-thread",
        "no-data-while-open-replies-in-thread",
        "ok-while-open-resolves",
        "ok-while-silenced-still-resolves",
        "ok-with-nothing-open-is-ignored",
        "ok-after-resolved-is-ignored",
        "no-data-with-nothing-open-posts-info",
        "silenced-alarm-is-suppressed",
        "silenced-repeat-is-suppressed",
        "silenced-no-data-is-suppressed",
        "expired-silence-posts-again",
        "same-message-id-is-duplicate",
        "duplicate-wins-over-everything",
        "late-ok-from-before-the-incident-is-ignored",
    ],
)
def test_decide_lifecycle(
    event: AlarmEvent,
    incident: Incident | None,
    silenced_until: datetime | None,
    kind: str,
    reason: str,
) -> None:
    decision = decide(event, incident, silenced_until, NOW)
    assert decision.kind == kind
    assert decision.reason.startswith(reason)


def test_post_root_opens_an_incident_to_store_once_posted() -> None:
    decision = decide(ALARM_EVENT, None, None, NOW)
    assert decision.incident == Incident(
        alarm_arn=ARN,
        opened_at=ALARM_EVENT.changed_at,
        channel="",
        ts="",
        state=AlarmState.ALARM,
        last_event_id="alarm-2",
        repeats=0,
    )


def test_thread_repeat_counts_repeats_and_remembers_the_message() -> None:
    decision = decide(ALARM_EVENT, OPEN, None, NOW)
    assert decision.incident == replace(OPEN, repeats=1, last_event_id="alarm-2")


def test_resolve_closes_the_incident_and_keeps_where_it_was_posted() -> None:
    decision = decide(OK_EVENT, OPEN, None, NOW)
    assert decision.incident == replace(
        OPEN, state=AlarmState.OK, last_event_id="ok-1", closed_at=OK_EVENT.changed_at
    )
    assert decision.incident is not None
    assert not decision.incident.is_open


def test_an_ok_with_nothing_open_is_remembered_with_its_time() -> None:
    decision = decide(OK_EVENT, None, None, NOW)
    assert decision.kind == "ignore"
    assert decision.incident is not None
    assert not decision.incident.is_open
    assert decision.incident.closed_at == OK_EVENT.changed_at


@pytest.mark.parametrize(
    "closed",
    [
        replace(CLOSED, closed_at=OK_EVENT.changed_at),
        decide(OK_EVENT, None, None, NOW).incident,
    ],
    ids=["after-a-resolve", "after-an-ok-that-came-first"],
)
def test_an_alarm_older_than_the_last_ok_opens_nothing(closed: Incident | None) -> None:
    late = replace(ALARM_EVENT, changed_at=OK_EVENT.changed_at - timedelta(minutes=10))
    decision = decide(late, closed, None, NOW)
    assert closed is not None
    if closed.ts:  # its incident was posted and resolved: a late copy says nothing new
        assert (decision.kind, decision.reason) == ("ignore", "older than the last OK")
    else:  # the OK came first: one message that it fired and is over, nothing left open
        assert decision.kind == "post_resolved"
        assert decision.incident is not None
        assert not decision.incident.is_open
        assert decision.incident.opened_at == late.changed_at
    newer = replace(ALARM_EVENT, changed_at=OK_EVENT.changed_at + timedelta(minutes=10))
    assert decide(newer, closed, None, NOW).kind == "post_root"


def test_suppress_and_duplicate_leave_the_incident_unchanged() -> None:
    assert decide(ALARM_EVENT, OPEN, SILENCED, NOW).incident == OPEN
    assert decide(replace(ALARM_EVENT, message_id="alarm-1"), OPEN, None, NOW).incident == OPEN


def test_alarm_without_a_time_opens_the_incident_now() -> None:
    decision = decide(replace(ALARM_EVENT, changed_at=UNKNOWN_TIME), None, None, NOW)
    assert decision.incident is not None
    assert decision.incident.opened_at == NOW


def test_the_inbox_knows_every_alarm_state() -> None:
    assert {state.value for state in AlarmState} == ALARM_STATES
