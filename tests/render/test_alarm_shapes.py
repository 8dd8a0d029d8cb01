"""Alarm messages for the newer shapes (golden files): a table in another account, an alarm
whose actions were suppressed or muted, a contributor's thread reply."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain.alarm_events import AlarmEvent
from bot.domain.alarm_messages import parse_eventbridge_alarm, parse_sns_alarm
from bot.render.alarm_replies import render_contributor
from bot.render.alarms import render_alarm, render_resolved
from tests.conftest import load_event
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
MENTION = "<!subteam^S0DBAOPS1>"


def sns(name: str) -> AlarmEvent:
    record = load_event(name)["Records"][0]
    return parse_sns_alarm(
        json.loads(record["Sns"]["Message"]),
        message_id=record["Sns"]["MessageId"],
        topic_arn=record["Sns"]["TopicArn"],
    )


def root(event: AlarmEvent, **kwargs: Any) -> dict[str, Any]:
    message = render_alarm(
        event, now=NOW, datapoints=None, incident_opened_at=None, mention=MENTION, **kwargs
    )
    return message.as_args()


def blocks_text(args: dict[str, Any]) -> str:
    return json.dumps(args["blocks"], ensure_ascii=False)


def test_cross_account_alarm_shows_both_accounts_and_points_at_the_tables() -> None:
    args = root(sns("sns-alarm-cross-account-metric.json"))
    assert_golden("alarms", "root_cross_account_metric", args)
    shown = blocks_text(args)
    assert "alarm in account 123456789012 · table in account 210987654321" in shown
    assert "Table orders (account 210987654321)" in shown
    (status,) = [
        e for b in args["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "alarm_table_status"
    ]  # fmt: skip
    assert status["value"] == "orders@210987654321/us-west-2"


def test_cross_account_alarm_with_accounts_configured_names_their_aliases() -> None:
    args = root(
        sns("sns-alarm-cross-account-metric.json"),
        account_label="monitoring",
        table_account_label="payments-prod",
    )
    shown = blocks_text(args)
    assert "alarm in account monitoring · table in account payments-prod" in shown
    assert "orders@payments-prod/us-west-2" in shown
    resolved = render_resolved(
        sns("sns-alarm-cross-account-metric.json"),
        opened_at=NOW,
        now=NOW,
        account_label="monitoring",
        table_account_label="payments-prod",
    ).as_args()
    assert "orders@payments-prod/us-west-2" in blocks_text(resolved)


def test_legacy_region_name_gives_links_and_a_table_status_button() -> None:
    args = root(sns("sns-alarm-legacy-region-name.json"))
    assert_golden("alarms", "root_legacy_region_name", args)
    shown = blocks_text(args)
    assert "unknown region" not in shown
    assert "https://us-east-1.console.aws.amazon.com/dynamodbv2/" in shown
    assert "orders@us-east-1" in shown


def test_suppressed_composite_alarm_says_by_what_and_mentions_nobody() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-composite-suppressed.json"))
    args = root(event)
    assert_golden("alarms", "root_composite_suppressed", args)
    assert MENTION not in json.dumps(args)
    assert "*Actions suppressed* by suppressor alarm `orders-maintenance-window`" in blocks_text(
        args
    )
    assert args["text"].endswith("(actions suppressed by orders-maintenance-window)")


def test_muted_alarm_names_its_mute_rule_and_window_and_mentions_nobody() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-muted.json"))
    args = root(event)
    assert_golden("alarms", "root_muted", args)
    assert MENTION not in json.dumps(args)
    assert (
        "*Muted* by alarm mute rule `nightly-maintenance` "
        "(2026-11-22 02:00 UTC → 2026-11-22 04:00 UTC)"
    ) in blocks_text(args)


def test_contributor_reply_names_its_table_state_value_and_id() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-contributor.json"))
    args = render_contributor(event, NOW).as_args()
    assert_golden("alarms", "contributor_reply", args)
    assert (
        args["text"]
        == ":rotating_light: table `orders` in ALARM at 2026-11-22 09:42 UTC · last 912"
    )


def test_contributor_back_to_ok_and_without_attributes() -> None:
    payload = load_event("eventbridge-alarm-contributor.json")
    payload["detail"]["state"]["value"] = "OK"
    payload["detail"]["alarmContributor"] = {"id": "6d442278dba546f6"}
    args = render_contributor(parse_eventbridge_alarm(payload), NOW).as_args()
    assert args["text"].startswith(":white_check_mark: a contributor back to OK")
    assert "contributor `6d442278dba546f6`" in blocks_text(args)


def test_anomaly_band_over_eventbridge_renders_the_band() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-anomaly-band.json"))
    args = root(event)
    assert_golden("alarms", "root_eventbridge_anomaly_band", args)
    assert "outside the expected band (width 2)" in blocks_text(args)
