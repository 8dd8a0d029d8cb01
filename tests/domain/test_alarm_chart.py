"""The chart's MetricWidget: the alarm's series over the last 3 hours, with its threshold, in
its region, as GetMetricWidgetImage's widget structure documents it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.domain.alarm_chart import alarm_chart
from bot.domain.alarm_events import AlarmEvent, MetricRef, cloudwatch_stat
from bot.domain.alarm_messages import parse_eventbridge_alarm, parse_sns_alarm
from tests.conftest import load_event


def sns_event(name: str) -> AlarmEvent:
    message = json.loads(load_event(name)["Records"][0]["Sns"]["Message"])
    return parse_sns_alarm(message, message_id="m-1")


def test_sns_alarm_charts_its_metric_for_3_hours_with_the_threshold_line() -> None:
    chart = alarm_chart(sns_event("sns-alarm-write-throttle.json"))
    assert chart is not None
    assert chart.widget == {
        "metrics": [
            [
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                "TableName",
                "orders",
                {"stat": "Sum", "period": 60},
            ]
        ],
        "view": "timeSeries",
        "stacked": False,
        "region": "us-west-2",
        "period": 60,
        "start": "-PT3H",
        "end": "P0D",
        "timezone": "+0000",
        "title": "orders-write-throttle — last 3 hours",
        "width": 800,
        "height": 400,
        "legend": {"position": "bottom"},
        "annotations": {"horizontal": [{"label": "threshold", "value": 1.0}]},
    }
    assert chart.title == "orders-write-throttle — last 3 hours"
    assert chart.filename == "orders-write-throttle.png"
    assert chart.alt_text == (
        "WriteThrottleEvents of orders over the last 3 hours, with the threshold at 1"
    )
    json.dumps(chart.widget)  # the API takes it as a JSON string


def test_eventbridge_alarm_reads_its_threshold_back_from_reason_data() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-replication-latency.json"))
    chart = alarm_chart(event)
    assert event.threshold == 2000.0
    assert chart is not None
    assert chart.widget["annotations"] == {"horizontal": [{"label": "threshold", "value": 2000.0}]}
    assert chart.widget["metrics"][0][:2] == ["AWS/DynamoDB", "ReplicationLatency"]


def test_anomaly_band_alarm_draws_its_band_and_no_threshold_line() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-anomaly-band.json"))
    chart = alarm_chart(event)
    assert event.threshold is None
    assert chart is not None
    assert "annotations" not in chart.widget
    assert chart.widget["metrics"] == [
        [
            "AWS/DynamoDB",
            "ConsumedReadCapacityUnits",
            "TableName",
            "orders",
            {"id": "m1", "stat": "Sum", "period": 60},
        ],
        [
            {
                "expression": "ANOMALY_DETECTION_BAND(m1, 2)",
                "id": "ad1",
                "label": "ConsumedReadCapacityUnits (expected)",
            }
        ],
    ]


def test_metric_of_another_account_is_charted_with_its_account_id() -> None:
    chart = alarm_chart(sns_event("sns-alarm-cross-account-metric.json"))
    assert chart is not None
    (metric,) = chart.widget["metrics"]
    assert metric[-1]["accountId"] == "210987654321"


def test_math_inputs_are_hidden_and_the_expression_drawn() -> None:
    event = replace(
        sns_event("sns-alarm-write-throttle.json"),
        metrics=(
            MetricRef("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum", 60,
                      (("TableName", "orders"),), id="m1", return_data=False),
            MetricRef("", "", "", None, id="e1", expression="m1/60", label="WCU per second"),
        ),
    )  # fmt: skip
    chart = alarm_chart(event)
    assert chart is not None
    assert chart.widget["metrics"] == [
        [
            "AWS/DynamoDB",
            "ConsumedWriteCapacityUnits",
            "TableName",
            "orders",
            {"id": "m1", "visible": False, "stat": "Sum", "period": 60},
        ],
        [{"expression": "m1/60", "id": "e1", "label": "WCU per second"}],
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"composite_rule": 'ALARM("a") OR ALARM("b")'},
        {"metrics": ()},
        {"region": ""},
        {"region": "US West (Oregon)"},  # a display name never reaches the widget
    ],
    ids=["composite", "no-metric", "no-region", "not-a-region-code"],
)
def test_nothing_to_chart_gives_no_chart(changes: dict[str, Any]) -> None:
    event = replace(sns_event("sns-alarm-write-throttle.json"), **changes)
    assert alarm_chart(event) is None


def test_untrusted_alarm_name_makes_a_safe_filename_and_a_bounded_title() -> None:
    event = replace(sns_event("sns-alarm-write-throttle.json"), name="../<!channel> x" * 40)
    chart = alarm_chart(event)
    assert chart is not None
    assert chart.filename.endswith(".png")
    assert set(chart.filename) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
    assert not chart.filename.startswith(".")
    assert len(chart.filename) <= 84
    assert len(chart.title) <= 200


@pytest.mark.parametrize(
    ("stat", "expected"),
    [("SUM", "Sum"), ("SampleCount", "SampleCount"), ("p99", "p99"), ("", "Average")],
)
def test_statistics_are_spelled_as_cloudwatch_wants(stat: str, expected: str) -> None:
    assert cloudwatch_stat(stat) == expected
