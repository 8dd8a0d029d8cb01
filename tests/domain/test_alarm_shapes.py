"""Alarm shapes read right: cross-account metrics, every Region display name, anomaly bands
over EventBridge, suppressed and muted alarms, contributors and the Lambda action payload."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.alarm_conditions import describe_metrics_condition
from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_messages import parse_eventbridge_alarm, parse_sns_alarm
from bot.domain.alarm_metrics import explain_event
from bot.domain.incidents import state_change_key
from bot.domain.region_names import region_from_display_name
from bot.domain.sns_inbox import is_alarm_message
from tests.conftest import load_event


def sns_message(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(decoded alarm message, SNS record) of an SNS sample."""
    record = load_event(name)["Records"][0]
    return json.loads(record["Sns"]["Message"]), record


# --- 1. cross-account metrics ----------------------------------------------------------------


def test_cross_account_metric_names_the_metrics_account_as_the_tables() -> None:
    message, _ = sns_message("sns-alarm-cross-account-metric.json")
    event = parse_sns_alarm(message, message_id="m-1")
    assert event.account == "123456789012"  # the alarm's (monitoring) account
    assert event.metric_account == "210987654321"
    assert event.cross_account
    assert event.table_account == "210987654321"
    assert event.subject.table == "orders"
    assert event.metrics[0].account_id == "210987654321"


def test_eventbridge_metrics_carry_their_account_too() -> None:
    event = load_event("eventbridge-alarm-replication-latency.json")
    event["detail"]["configuration"]["metrics"][0]["accountId"] = "210987654321"
    parsed = parse_eventbridge_alarm(event)
    assert (parsed.account, parsed.metric_account) == ("123456789012", "210987654321")


@pytest.mark.parametrize("account", ["123456789012", "", None, 12, "not-an-account"])
def test_a_metric_in_the_alarms_own_account_or_an_unreadable_one_is_not_cross_account(
    account: object,
) -> None:
    message, _ = sns_message("sns-alarm-cross-account-metric.json")
    message["Trigger"]["Metrics"][0]["AccountId"] = account
    event = parse_sns_alarm(message, message_id="m-1")
    assert event.metric_account == ""
    assert not event.cross_account
    assert event.table_account == "123456789012"


# --- 2. Region display names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("US West (Oregon)", "us-west-2"),
        ("US East (N. Virginia)", "us-east-1"),
        ("US - N. Virginia", "us-east-1"),
        ("US East - N. Virginia", "us-east-1"),
        ("US (Virginia)", "us-east-1"),
        ("US West - N. California", "us-west-1"),
        ("US West - Oregon", "us-west-2"),
        ("US East (Ohio)", "us-east-2"),
        ("EU - Ireland", "eu-west-1"),
        ("EU (Ireland)", "eu-west-1"),
        ("Europe (Ireland)", "eu-west-1"),
        ("EU (Frankfurt)", "eu-central-1"),
        ("Europe (Zurich)", "eu-central-2"),
        ("EU (Spain)", "eu-south-2"),
        ("Asia Pacific - Singapore", "ap-southeast-1"),
        ("Asia Pacific (Sydney)", "ap-southeast-2"),
        ("Asia Pacific (Osaka-Local)", "ap-northeast-3"),
        ("Asia Pacific (Hong Kong)", "ap-east-1"),
        ("Asia Pacific (Jakarta)", "ap-southeast-3"),
        ("South America - Sao Paulo", "sa-east-1"),
        ("South America (São Paulo)", "sa-east-1"),
        ("Canada (Central)", "ca-central-1"),
        ("Canada West (Calgary)", "ca-west-1"),
        ("Middle East (Bahrain)", "me-south-1"),
        ("Middle East (UAE)", "me-central-1"),
        ("Israel (Tel Aviv)", "il-central-1"),
        ("Africa (Cape Town)", "af-south-1"),
        ("Mexico (Central)", "mx-central-1"),
        ("China (Beijing)", "cn-north-1"),
        ("AWS GovCloud (US)", "us-gov-west-1"),
        ("AWS GovCloud (US-East)", "us-gov-east-1"),
        ("Tokyo, Asia Pacific", "ap-northeast-1"),
    ],
)
def test_every_region_display_name_aws_has_used_is_read(name: str, code: str) -> None:
    assert region_from_display_name(name) == code


@pytest.mark.parametrize("name", ["Mars", "", "Central", "US", None, 7, "US - Nowhere"])
def test_a_name_that_names_no_single_region_is_unknown(name: object) -> None:
    assert region_from_display_name(name) == ""


def test_legacy_message_without_an_arn_reads_its_old_region_name() -> None:
    message, record = sns_message("sns-alarm-legacy-region-name.json")
    assert "AlarmArn" not in message
    event = parse_sns_alarm(message, message_id=record["Sns"]["MessageId"])
    assert event.region == "us-east-1"
    assert event.subject.table == "orders"


def test_an_unknown_name_takes_the_region_of_the_topic_then_of_the_subscription() -> None:
    message, _record = sns_message("sns-alarm-legacy-region-name.json")
    message["Region"] = "Somewhere (New)"
    topic = "arn:aws:sns:eu-west-2:123456789012:alarms"
    subscription = "arn:aws:sns:ap-south-1:123456789012:alarms:6f1c8a7e"
    assert parse_sns_alarm(message, message_id="m", topic_arn=topic).region == "eu-west-2"
    assert (
        parse_sns_alarm(
            message, message_id="m", topic_arn="not an arn", subscription_arn=subscription
        ).region
        == "ap-south-1"
    )
    assert parse_sns_alarm(message, message_id="m").region == ""


def test_the_alarm_arn_wins_over_a_name_and_the_topic() -> None:
    message, _ = sns_message("sns-alarm-write-throttle.json")
    message["Region"] = "US - N. Virginia"
    topic = "arn:aws:sns:eu-west-2:123456789012:alarms"
    assert parse_sns_alarm(message, message_id="m", topic_arn=topic).region == "us-west-2"


# --- 3. anomaly detection over EventBridge ----------------------------------------------------


def test_anomaly_alarm_over_eventbridge_says_what_its_sns_form_says() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-anomaly-band.json"))
    band_id = "ad1"
    sns_condition = describe_metrics_condition(
        event.metrics,
        band_id=band_id,
        operator="LessThanLowerOrGreaterThanUpperThreshold",
        threshold=None,
        period=None,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        treat_missing_data=None,
    )
    assert event.condition == sns_condition
    assert event.condition == (
        "ConsumedReadCapacityUnits sum outside the expected band (width 2) in 2 of 2 minutes"
    )
    assert event.recent_datapoints == (288.0, 310.0)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("1 out of the last 1 datapoints [9.0 (22/11/26 09:40:00)] was greater than the upper "
         "thresholds [5.0]", "above the expected band (width 0.8)"),
        ("1 out of the last 1 datapoints [0.0 (22/11/26 09:40:00)] was less than the lower "
         "thresholds [1.0]", "below the expected band (width 0.8)"),
    ],
    ids=["upper", "lower"],
)  # fmt: skip
def test_one_sided_bands_read_as_one_side(reason: str, words: str) -> None:
    event = load_event("eventbridge-alarm-anomaly-band.json")
    event["detail"]["state"]["reason"] = reason
    event["detail"]["state"]["reasonData"] = "{}"
    event["detail"]["configuration"]["metrics"][1]["expression"] = "ANOMALY_DETECTION_BAND(m1, 0.8)"
    assert words in parse_eventbridge_alarm(event).condition


# --- 4. suppressed and muted alarms -----------------------------------------------------------


def test_composite_alarm_held_by_its_suppressor_says_by_what() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-composite-suppressed.json"))
    assert event.suppression is not None
    assert event.suppression.kind == "suppressed"
    assert event.suppression.by == "WaitPeriod"
    assert event.suppression.suppressor == "orders-maintenance-window"
    assert event.suppression.reason == "Actions suppressed by WaitPeriod"


def test_alarm_muted_by_a_mute_rule_names_the_rule_and_its_window() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-muted.json"))
    assert event.suppression is not None
    assert (event.suppression.kind, event.suppression.by) == ("muted", "nightly-maintenance")
    assert event.suppression.window_start == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert event.suppression.window_end == datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def test_a_mute_rule_wins_over_a_suppressor_and_an_arn_suppressor_is_named() -> None:
    event = load_event("eventbridge-alarm-composite-suppressed.json")
    detail = event["detail"]
    detail["configuration"]["actionsSuppressor"] = (
        "arn:aws:cloudwatch:us-west-2:123456789012:alarm:maintenance"
    )
    assert parse_eventbridge_alarm(event).suppression.suppressor == "maintenance"  # type: ignore[union-attr]
    detail["muteDetail"] = {"mutedByArn": "arn:aws:cloudwatch:us-west-2:1:alarm-mute-rule:x"}
    assert parse_eventbridge_alarm(event).suppression.kind == "muted"  # type: ignore[union-attr]


def test_sns_spelling_of_suppression_is_read_too() -> None:
    message, _ = sns_message("sns-alarm-write-throttle.json")
    message["ActionsSuppressedBy"] = "Alarm"
    message["ActionsSuppressor"] = "orders-maintenance-window"
    suppression = parse_sns_alarm(message, message_id="m").suppression
    assert suppression is not None
    assert (suppression.by, suppression.suppressor) == ("Alarm", "orders-maintenance-window")


@pytest.mark.parametrize("mute", [None, "muted", [], {}, {"mutedByArn": None}])
def test_unreadable_or_empty_suppression_fields_mean_actions_ran(mute: object) -> None:
    event = load_event("eventbridge-alarm-muted.json")
    event["detail"]["muteDetail"] = mute
    assert parse_eventbridge_alarm(event).suppression is None


# --- 5. contributors --------------------------------------------------------------------------


def test_contributor_state_change_is_about_its_table() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-contributor.json"))
    assert event.contributor is not None
    assert event.contributor.id == "6d442278dba546f6"
    assert event.contributor.attributes == (("TableName", "orders"),)
    assert event.subject.table == "orders"
    assert event.state is AlarmState.ALARM
    assert event.previous_state is None
    assert event.recent_datapoints == (912.0,)
    assert event.condition == "AVG(ConsumedWriteCapacityUnits) per TableName > 800 in 1 of 1 minute"


def test_metrics_insights_alarm_names_the_metric_its_query_selects() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-insights-parent.json"))
    metric = event.primary_metric
    assert metric is not None
    assert (metric.namespace, metric.name, metric.stat) == (
        "AWS/DynamoDB",
        "ConsumedWriteCapacityUnits",
        "avg",
    )
    assert event.contributor is None
    assert event.subject.table is None
    assert "Write capacity used" in explain_event(event).meaning


def test_contributor_and_its_alarm_changing_at_once_are_two_state_changes() -> None:
    contributor = parse_eventbridge_alarm(load_event("eventbridge-alarm-contributor.json"))
    parent = parse_eventbridge_alarm(load_event("eventbridge-alarm-insights-parent.json"))
    assert contributor.changed_at == parent.changed_at
    assert state_change_key(contributor) != state_change_key(parent)
    other = load_event("eventbridge-alarm-contributor.json")
    other["detail"]["alarmContributor"] = {"id": "9f", "attributes": {"TableName": "payments"}}
    assert state_change_key(parse_eventbridge_alarm(other)) != state_change_key(contributor)


@pytest.mark.parametrize("attributes", [None, [], "TableName", {"TableName": None}])
def test_contributor_without_readable_attributes_still_parses(attributes: object) -> None:
    event = load_event("eventbridge-alarm-contributor.json")
    event["detail"]["alarmContributor"]["attributes"] = attributes
    parsed = parse_eventbridge_alarm(event)
    assert parsed.contributor is not None
    assert parsed.contributor.attributes == ()


def test_contributor_and_lambda_payloads_forwarded_to_sns_are_alarms() -> None:
    assert is_alarm_message(load_event("eventbridge-alarm-contributor.json"))
    assert is_alarm_message(load_event("lambda-alarm-action.json"))
    message = copy.deepcopy(load_event("eventbridge-alarm-contributor.json"))
    assert parse_sns_alarm(message, message_id="m").contributor is not None


# --- the alarm's Lambda action -----------------------------------------------------------------


def test_lambda_action_payload_reads_like_its_eventbridge_event() -> None:
    event = parse_eventbridge_alarm(load_event("lambda-alarm-action.json"))
    assert event.name == "orders-consumed-writes-high"
    assert (event.region, event.account) == ("us-west-2", "123456789012")
    assert (
        event.arn == "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-consumed-writes-high"
    )
    assert event.subject.table == "orders"
    assert event.condition == "ConsumedWriteCapacityUnits sum > 1000 in 1 of 1 minute"
    assert event.changed_at == datetime(2026, 11, 22, 9, 42, 54, 152000, tzinfo=UTC)
