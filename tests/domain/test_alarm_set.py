"""The recommended alarm set and what `/ddb alarms` lists, decided without AWS."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_set import (
    AlarmSpec,
    AlarmSummary,
    ExistingAlarm,
    alarm_url,
    needs_attention,
    plan_recommendation,
    recommended_alarms,
)


def test_plain_table_gets_throttle_and_error_alarms() -> None:
    names = [s.name for s in recommended_alarms("orders", "us-west-2")]
    assert names == ["orders-read-throttles", "orders-write-throttles", "orders-system-errors"]


def test_global_table_gets_one_replication_alarm_per_other_replica_region() -> None:
    specs = recommended_alarms("orders", "us-west-2", ["us-west-2", "eu-west-1", "ap-south-1"])
    latency = [s for s in specs if s.metric == "ReplicationLatency"]
    assert [dict(s.dimensions)["ReceivingRegion"] for s in latency] == ["ap-south-1", "eu-west-1"]
    assert latency[0].condition == ("ReplicationLatency average >= 60000 ms in 3 of 5 minutes")


def test_existing_alarm_with_the_same_name_or_series_is_skipped() -> None:
    specs = recommended_alarms("orders", "us-west-2")
    existing = [
        ExistingAlarm("orders-read-throttles"),
        ExistingAlarm("mine", "AWS/DynamoDB", "SystemErrors", (("TableName", "orders"),)),
        ExistingAlarm("other", "AWS/DynamoDB", "WriteThrottleEvents", (("TableName", "users"),)),
    ]
    plan = plan_recommendation("orders", "us-west-2", specs, iter(existing))
    assert [s.name for s in plan.create] == ["orders-write-throttles"]
    assert [(s.name, by) for s, by in plan.existing] == [
        ("orders-read-throttles", "orders-read-throttles"),
        ("orders-system-errors", "mine"),
    ]


def test_spec_survives_a_stored_plan() -> None:
    for spec in recommended_alarms("orders", "us-west-2", ["eu-west-1"]):
        assert AlarmSpec.from_payload(spec.as_payload()) == spec


def test_needs_attention_drops_ok_and_orders_alarm_before_no_data() -> None:
    at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    alarms = [
        AlarmSummary("b", "us-west-2", AlarmState.INSUFFICIENT_DATA, "", at),
        AlarmSummary("ok", "us-west-2", AlarmState.OK, "", at),
        AlarmSummary("a", "us-west-2", AlarmState.ALARM, "", None),
    ]
    assert [a.name for a in needs_attention(alarms)] == ["a", "b"]


def test_alarm_url_quotes_the_name() -> None:
    assert alarm_url("a b/c", "eu-west-1").endswith("#alarmsV2:alarm/a%20b%2Fc")
