"""The alarms function on the newer alarm shapes: cross-account metrics, legacy Region names,
suppressed and muted alarms, contributors threaded under their alarm, Lambda action payloads.

AWS is moto in-process (state table, CloudWatch); Slack is the local sink on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.aws.incidents import load_incident
from bot.config_sections import Route
from bot.domain.accounts import Account
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, sns_inbox
from tests.conftest import Clock, load_event

INSIGHTS_ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:dynamodb-write-capacity-per-table"


@pytest.fixture
def at_alarm_time(clock: Clock) -> Clock:
    """A few minutes after the samples' alarms fired."""
    clock.current = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
    return clock


@pytest.fixture
def paging_route(runtime: Runtime) -> Runtime:
    """Every orders alarm goes to C0ORDERS1 with @here."""
    runtime.settings = replace(
        runtime.settings, routes=(Route("table == 'orders'", "C0ORDERS1", "here"),)
    )
    return runtime


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


def shown(call: dict[str, Any]) -> str:
    return json.dumps(call.get("blocks", []), ensure_ascii=False) + call["text"]


# --- 1. and 2. -------------------------------------------------------------------------------


def test_cross_account_alarm_posts_both_accounts_and_a_button_for_the_tables(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("sns-alarm-cross-account-metric.json"), runtime) == [
        "post_root"
    ]
    (root,) = posts(slack)
    assert "alarm in account 123456789012 · table in account 210987654321" in shown(root)
    assert "orders@210987654321/us-west-2" in shown(root)


def test_cross_account_alarm_names_the_tables_account_by_its_alias(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    runtime.settings = replace(
        runtime.settings,
        accounts=(
            Account("123456789012", "monitoring", ("us-west-2",)),
            Account(
                "210987654321",
                "payments-prod",
                ("us-west-2",),
                "arn:aws:iam::210987654321:role/opsbot-member",
                "opsbot-7f3a",
            ),
        ),
    )
    alarms.handle(load_event("sns-alarm-cross-account-metric.json"), runtime)
    (root,) = posts(slack)
    assert "alarm in account monitoring · table in account payments-prod" in shown(root)
    assert "orders@payments-prod/us-west-2" in shown(root)


def test_legacy_region_name_alarm_posts_with_its_region(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("sns-alarm-legacy-region-name.json"), runtime) == ["post_root"]
    (root,) = posts(slack)
    assert "us-east-1 · account 123456789012" in shown(root)
    assert "orders@us-east-1" in shown(root)
    assert "unknown region" not in shown(root)


def test_unknown_region_name_takes_the_topics_region(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = copy.deepcopy(load_event("sns-alarm-legacy-region-name.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["Region"] = "A Region Named Later"
    sns["Message"] = json.dumps(message)
    sns["TopicArn"] = "arn:aws:sns:eu-west-2:123456789012:opsbot-alarms"
    alarms.handle(event, runtime)
    (root,) = posts(slack)
    assert "eu-west-2 · account 123456789012" in shown(root)


def test_the_inbox_locates_an_alarm_by_its_subscription_when_nothing_else_does(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = copy.deepcopy(load_event("sns-alarm-legacy-region-name.json"))
    record = event["Records"][0]
    message = json.loads(record["Sns"]["Message"])
    message["Region"] = None
    record["Sns"]["Message"] = json.dumps(message)
    record["Sns"]["TopicArn"] = "opsbot-alarms"
    record["EventSubscriptionArn"] = "arn:aws:sns:ap-south-1:123456789012:opsbot-alarms:6f1c"
    [handled] = sns_inbox.handle(event, runtime)["handled"]
    assert handled == {"kind": "alarm", "outcome": "post_root"}
    (root,) = posts(slack)
    assert "ap-south-1 · account 123456789012" in shown(root)


# --- 4. suppressed and muted ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "said"),
    [
        ("eventbridge-alarm-muted.json", "*Muted* by alarm mute rule `nightly-maintenance`"),
        (
            "eventbridge-alarm-composite-suppressed.json",
            "*Actions suppressed* by suppressor alarm `orders-maintenance-window`",
        ),
    ],
    ids=["muted", "suppressed"],
)
def test_suppressed_alarm_says_so_and_pages_nobody(
    paging_route: Runtime, slack: SlackSink, at_alarm_time: Clock, sample: str, said: str
) -> None:
    paging_route.settings = replace(
        paging_route.settings, routes=(Route("state == 'ALARM'", "C0ORDERS1", "here"),)
    )
    assert alarms.handle(load_event(sample), paging_route) == ["post_root"]
    (root,) = posts(slack)
    assert root["channel"] == "C0ORDERS1"
    assert said in shown(root)
    assert "<!here>" not in shown(root)


def test_the_same_alarm_unsuppressed_pages_as_before(
    paging_route: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = load_event("eventbridge-alarm-muted.json")
    del event["detail"]["muteDetail"]
    at_alarm_time.current = datetime(2026, 11, 22, 2, 6, tzinfo=UTC)  # this sample's minute
    alarms.handle(event, paging_route)
    (root,) = posts(slack)
    assert root["text"].startswith("<!here> ")


# --- 5. contributors --------------------------------------------------------------------------


def test_contributor_first_opens_its_alarms_thread_and_replies_in_it(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("eventbridge-alarm-contributor.json"), runtime) == ["post_root"]
    root, reply = posts(slack)
    assert "thread_ts" not in root
    assert root["text"].startswith(":rotating_light: ALARM: dynamodb-write-capacity-per-table")
    assert reply["text"] == (
        ":rotating_light: table `orders` in ALARM at 2026-11-22 09:42 UTC · last 912"
    )
    record = load_incident(runtime.state, INSIGHTS_ARN)
    assert record is not None
    assert record.incident.is_open
    assert reply["thread_ts"] == record.incident.ts
    # The alarm's own state change, at the same moment, is not taken for a duplicate.
    assert alarms.handle(load_event("eventbridge-alarm-insights-parent.json"), runtime) == [
        "thread_repeat"
    ]
    assert posts(slack)[-1]["thread_ts"] == record.incident.ts


def test_alarm_first_then_each_contributor_replies_in_its_thread(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("eventbridge-alarm-insights-parent.json"), runtime) == [
        "post_root"
    ]
    record = load_incident(runtime.state, INSIGHTS_ARN)
    assert record is not None
    for n, table in enumerate(("orders", "payments")):
        event = load_event("eventbridge-alarm-contributor.json")
        event["id"] = f"contributor-{n}"
        event["detail"]["alarmContributor"] = {"id": f"c{n}", "attributes": {"TableName": table}}
        assert alarms.handle(event, runtime) == ["contributor_reply"]
    replies = posts(slack)[1:]
    assert [r["thread_ts"] for r in replies] == [record.incident.ts] * 2
    assert "table `payments` in ALARM" in replies[1]["text"]
    # Redelivered: nothing twice.
    assert alarms.handle(load_event("eventbridge-alarm-contributor.json"), runtime) == [
        "contributor_reply"
    ]
    assert alarms.handle(load_event("eventbridge-alarm-contributor.json"), runtime) == ["duplicate"]


def test_contributor_back_to_ok_with_nothing_open_posts_nothing(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = load_event("eventbridge-alarm-contributor.json")
    event["detail"]["state"]["value"] = "OK"
    assert alarms.handle(event, runtime) == ["ignore"]
    assert posts(slack) == []


def test_contributor_forwarded_through_the_inbox_is_threaded_too(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    sns = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    sns["Records"][0]["Sns"]["Message"] = json.dumps(
        load_event("eventbridge-alarm-contributor.json")
    )
    [handled] = sns_inbox.handle(sns, runtime)["handled"]
    assert handled == {"kind": "alarm", "outcome": "post_root"}
    assert len(posts(slack)) == 2


# --- the alarm's Lambda action -------------------------------------------------------------------


def test_lambda_action_payload_posts_the_alarm(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("lambda-alarm-action.json"), runtime) == ["post_root"]
    (root,) = posts(slack)
    assert root["text"].startswith(":rotating_light: ALARM: orders-consumed-writes-high")
