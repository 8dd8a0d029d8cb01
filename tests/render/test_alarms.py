"""Alarm messages: golden files for each alarm shape, and no injection through event text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.alarm_events import AlarmEvent
from bot.domain.alarm_messages import parse_eventbridge_alarm, parse_sns_alarm
from bot.render.alarm_replies import render_resolved_reply, render_silenced, render_thread_repeat
from bot.render.alarms import render_alarm, render_resolved
from bot.render.message import Message
from tests.domain.test_alarms import (
    anomaly_band_message,
    composite_eventbridge_event,
    composite_sns_message,
    dax_cpu_message,
    insufficient_data_event,
    load_event,
    metric_math_message,
    sns_event,
)
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
OPENED = datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)


def golden(case: str, message: Message) -> None:
    assert_golden("alarms", case, message.as_args())


def _root(event: AlarmEvent, *, mention: str | None = None) -> Message:
    return render_alarm(
        event,
        now=event.changed_at + timedelta(minutes=3),
        datapoints=event.recent_datapoints or None,
        incident_opened_at=None,
        mention=mention,
    )


CASES = {
    "sns_write_throttle": lambda: sns_event("sns-alarm-write-throttle"),
    "eventbridge_replication_latency": lambda: parse_eventbridge_alarm(
        load_event("eventbridge-alarm-replication-latency")
    ),
    "metric_math": lambda: parse_sns_alarm(metric_math_message(), message_id="m-1"),
    "anomaly_band": lambda: parse_sns_alarm(anomaly_band_message(), message_id="m-2"),
    "composite_sns": lambda: parse_sns_alarm(composite_sns_message(), message_id="m-3"),
    "dax_cpu": lambda: parse_sns_alarm(dax_cpu_message(), message_id="m-4"),
    "insufficient_data": lambda: parse_eventbridge_alarm(insufficient_data_event()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_root_message_matches_golden(case: str) -> None:
    golden(f"root_{case}", _root(CASES[case]()))


def test_root_message_with_mention_and_open_incident_matches_golden() -> None:
    event = sns_event("sns-alarm-write-throttle")
    message = render_alarm(
        event,
        now=NOW + timedelta(minutes=20),
        datapoints=(0.0, 2.0, 14.0, 37.0, 21.0),
        incident_opened_at=OPENED,
        mention="<!subteam^S0ONCALL>",
    )
    golden("root_with_mention_and_datapoints", message)
    assert message.text.startswith("<!subteam^S0ONCALL> ")


def test_root_message_says_recent_values_are_unavailable_without_datapoints() -> None:
    event = sns_event("sns-alarm-write-throttle")
    message = render_alarm(event, now=NOW, datapoints=None, incident_opened_at=None, mention=None)
    assert "*Recent values*  _unavailable_" in json.dumps(message.as_args(), ensure_ascii=False)


def test_root_message_buttons_carry_table_and_silence_values() -> None:
    message = _root(sns_event("sns-alarm-write-throttle"))
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    arn = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("alarm_table_status", "orders@us-west-2"),
        ("alarm_silence", f"{arn}|3600"),
        ("alarm_silence", f"{arn}|14400"),
    ]


def test_composite_alarm_has_no_table_status_button() -> None:
    message = _root(CASES["composite_sns"]())
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Silence 1h", "Silence 4h"]


def test_resolved_root_matches_golden_and_has_no_silence_buttons() -> None:
    event = sns_event("sns-alarm-write-throttle-ok")
    message = render_resolved(event, opened_at=OPENED, now=NOW)
    golden("resolved_sns_write_throttle", message)
    assert "alarm_silence" not in json.dumps(message.as_args())
    assert "13 min" in message.text


def test_resolved_composite_eventbridge_matches_golden() -> None:
    event = parse_eventbridge_alarm(composite_eventbridge_event())
    golden(
        "resolved_composite_eventbridge",
        render_resolved(event, opened_at=datetime(2026, 11, 22, 9, 42, 40, tzinfo=UTC), now=NOW),
    )


def test_thread_replies_and_silence_notice_match_golden() -> None:
    alarm = sns_event("sns-alarm-write-throttle")
    golden("thread_repeat", render_thread_repeat(alarm, NOW))
    golden(
        "thread_no_data",
        render_thread_repeat(parse_eventbridge_alarm(insufficient_data_event()), NOW),
    )
    ok = sns_event("sns-alarm-write-throttle-ok")
    golden("resolved_reply", render_resolved_reply(ok, OPENED, NOW))
    golden(
        "silenced",
        render_silenced("orders-write-throttle", NOW + timedelta(hours=1), "U024BE7LH"),
    )


def _shown(value: object) -> object:
    """What Slack displays: everything but button values, which are data sent back to us."""
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items() if k != "value"}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


INJECTIONS = ["<!channel>", "<http://evil.example|click me>", "<@U999>", "&lt;!here&gt;"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_event_text_cannot_ping_or_link(payload: str) -> None:
    base = sns_event("sns-alarm-write-throttle")
    event = replace(
        base,
        name=f"orders {payload}",
        description=f"Writes throttled {payload}",
        reason=f"Threshold Crossed {payload}",
        condition=f"WriteThrottleEvents {payload}",
        subject=replace(base.subject, table=f"orders{payload}", operation=payload),
    )
    messages = [
        _root(event),
        render_resolved(event, opened_at=OPENED, now=NOW),
        render_thread_repeat(event, NOW),
        render_resolved_reply(event, OPENED, NOW),
        render_silenced(event.name, NOW, payload),
    ]
    for message in messages:
        dumped = json.dumps(_shown(message.as_args()), ensure_ascii=False)
        assert payload not in dumped
        assert "<!channel>" not in dumped
        assert "<http://evil" not in dumped
        assert "<@U999>" not in dumped


def test_injection_through_description_and_reason_matches_golden() -> None:
    message, message_id = (
        json.loads(load_event("sns-alarm-write-throttle")["Records"][0]["Sns"]["Message"]),
        "inj-1",
    )
    message["AlarmDescription"] = "<!channel> throttled, see <http://evil.example|runbook>"
    message["NewStateReason"] = "Threshold Crossed <!here> & more"
    event = parse_sns_alarm(message, message_id=message_id)
    golden("root_injection", _root(event))


def test_spoofed_lines_and_formatting_in_an_alarm_match_golden() -> None:
    message = json.loads(load_event("sns-alarm-write-throttle")["Records"][0]["Sns"]["Message"])
    message["AlarmName"] = "orders_write_throttle\n:white_check_mark: *Resolved* by ops"
    message["AlarmDescription"] = (
        "Writes to *orders* are throttled\n> :white_check_mark: _no action needed_\n"
        "Runbook: `ddb-throttle` \u202egnp.exe"
    )
    message["NewStateReason"] = "Threshold Crossed\n~all clear~ \u200bok"
    event = parse_sns_alarm(message, message_id="spoof-1")
    golden("root_spoofed_lines", _root(event))
    golden("resolved_spoofed_lines", render_resolved(event, opened_at=event.changed_at, now=NOW))


def test_silenced_notice_mentions_a_real_user_id_only() -> None:
    assert "<@U024BE7LH>" in render_silenced("a", NOW, "U024BE7LH").text
    assert "<" not in render_silenced("a", NOW, "<!channel>").text.replace("&lt;", "")
