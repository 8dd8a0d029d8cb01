"""`/ddb alarms` and the recommended-alarms plan: golden files, ordering, escaping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_set import (
    AlarmSummary,
    ExistingAlarm,
    needs_attention,
    plan_recommendation,
    recommended_alarms,
)
from bot.render.alarm_list import (
    MAX_LISTED,
    render_alarm_list,
    render_recommendation,
    render_recommendation_done,
)
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TOPIC = "arn:aws:sns:us-west-2:123456789012:opsbot-prod-alarms"


def summaries() -> list[AlarmSummary]:
    return [
        AlarmSummary(
            "users-read-throttle",
            "us-west-2",
            AlarmState.INSUFFICIENT_DATA,
            "Insufficient Data: 1 datapoint was unknown.",
            NOW - timedelta(hours=3),
            "AWS/DynamoDB",
            "ReadThrottleEvents",
            table="users",
        ),
        AlarmSummary(
            "orders-write-throttle",
            "us-west-2",
            AlarmState.ALARM,
            "Threshold Crossed: 1 out of the last 1 datapoints [37.0] was >= 1.0",
            NOW - timedelta(minutes=18),
            "AWS/DynamoDB",
            "WriteThrottleEvents",
            table="orders",
        ),
        AlarmSummary(
            "courses-replication-latency",
            "us-west-2",
            AlarmState.ALARM,
            "",
            NOW - timedelta(minutes=5),
            "AWS/DynamoDB",
            "ReplicationLatency",
            table="cloudacademy-courses",
            receiving_region="ap-southeast-2",
        ),
        AlarmSummary(
            "dax-cpu",
            "us-east-1",
            AlarmState.ALARM,
            "",
            None,
            "AWS/DAX",
            "CPUUtilization",
            dax_cluster="sessions",
        ),
        AlarmSummary("db-critical", "us-east-1", AlarmState.ALARM, "", None, composite=True),
        AlarmSummary("quiet", "us-east-1", AlarmState.OK, "", None, "AWS/DynamoDB", "X"),
    ]


def test_alarm_list_matches_golden_alarm_first_newest_first() -> None:
    ordered = needs_attention(summaries())
    assert [a.name for a in ordered] == [
        "courses-replication-latency",
        "orders-write-throttle",
        "dax-cpu",
        "db-critical",
        "users-read-throttle",
    ]
    message = render_alarm_list(ordered, table=None, regions=("us-west-2", "us-east-1"), now=NOW)
    assert_golden("alarms", "list_all_regions", message.as_args())


def test_empty_alarm_list_says_all_clear() -> None:
    message = render_alarm_list([], table="orders", regions=("us-west-2",), now=NOW)
    assert_golden("alarms", "list_empty_for_table", message.as_args())


def test_long_alarm_list_is_cut_with_a_count() -> None:
    many = [
        AlarmSummary(f"a{i:03d}", "us-west-2", AlarmState.ALARM, "", None, "AWS/DynamoDB", "M")
        for i in range(MAX_LISTED + 7)
    ]
    message = render_alarm_list(many, table=None, regions=("us-west-2",), now=NOW)
    assert len(message.blocks) <= 50
    assert "…and 7 more" in json.dumps(message.as_args(), ensure_ascii=False)


def test_alarm_list_escapes_alarm_text() -> None:
    evil = AlarmSummary(
        "x<!channel>",
        "us-west-2",
        AlarmState.ALARM,
        "<http://evil.example|click> <!here>",
        None,
        "AWS/DynamoDB",
        "M",
        table="t<@U999>",
    )
    dumped = json.dumps(
        render_alarm_list([evil], table=None, regions=("us-west-2",), now=NOW).as_args()
    )
    for payload in ("<!channel>", "<!here>", "<http://evil", "<@U999>"):
        assert payload not in dumped


def test_recommendation_plan_matches_golden() -> None:
    specs = recommended_alarms("orders", "us-west-2", ["us-west-2", "eu-west-1"])
    existing = [
        ExistingAlarm("wt", "AWS/DynamoDB", "WriteThrottleEvents", (("TableName", "orders"),))
    ]
    plan = plan_recommendation("orders", "us-west-2", specs, existing)
    message = render_recommendation(plan, topic_arn=TOPIC, plan_id="p" * 32, requester="U0ADMIN01")
    assert_golden("alarms", "recommend_plan_global_table", message.as_args())


def test_recommendation_with_nothing_to_create_has_no_confirm_button() -> None:
    specs = recommended_alarms("orders", "us-west-2")
    existing = [ExistingAlarm(spec.name) for spec in specs]
    plan = plan_recommendation("orders", "us-west-2", specs, existing)
    message = render_recommendation(plan, topic_arn=TOPIC, plan_id=None, requester="U0ADMIN01")
    assert_golden("alarms", "recommend_nothing_missing", message.as_args())
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_recommendation_result_matches_golden() -> None:
    specs = recommended_alarms("orders", "us-west-2")
    message = render_recommendation_done("orders", "us-west-2", specs[:2], [(specs[2], "by-hand")])
    assert_golden("alarms", "recommend_done", message.as_args())
