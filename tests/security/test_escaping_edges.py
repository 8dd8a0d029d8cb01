"""Regressions for the escaping holes the injection sweep found at its edges.

Each test names the hole it closes: a forged region in a URL host, user words echoed in a
usage error, AWS error text in an error reply, an entity cut by header truncation, our own
raw `<` in a price, and the status fallback text and console URL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from bot.aws.errors import translate
from bot.domain.alarm_events import console_links
from bot.domain.alarm_messages import parse_eventbridge_alarm
from bot.domain.audit import normalize
from bot.domain.command_parser import parse_command
from bot.domain.errors import UsageError
from bot.domain.regions import region_code
from bot.domain.tables import PitrWindow, TableStatus
from bot.render.help import render_error, render_usage_error
from bot.render.message import escape, header
from bot.render.status import render_status, table_console_url
from bot.render.units import money
from tests.conftest import load_event
from tests.security.slack_text import assert_safe

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("us-west-2", "us-west-2"),
        ("us-gov-west-1", "us-gov-west-1"),
        ("us-isob-east-1", "us-isob-east-1"),
        ("us-west-2|<!channel>", None),
        ("us-west-2.evil.example/x", None),
        ("US-WEST-2", None),
        ("", None),
        (None, None),
        (42, None),
    ],
    ids=["plain", "gov", "iso", "pipe-mention", "host-suffix", "upper", "empty", "none", "int"],
)
def test_only_region_codes_are_regions(text: object, expected: str | None) -> None:
    assert region_code(text) == expected


def test_an_alarm_without_arn_and_a_forged_region_gets_no_console_links() -> None:
    event = load_event("eventbridge-alarm-replication-latency.json")
    event["resources"] = []
    event["region"] = "us-west-2|<!channel>"
    alarm = parse_eventbridge_alarm(event)
    assert alarm.region == ""
    assert console_links(alarm) == {}


def test_an_alarm_without_arn_keeps_a_real_region_from_the_envelope() -> None:
    event = load_event("eventbridge-alarm-replication-latency.json")
    event["resources"] = []
    alarm = parse_eventbridge_alarm(event)
    assert alarm.region == event["region"]
    assert console_links(alarm)["alarm"].startswith(f"https://{event['region']}.console.")


def test_a_cloudtrail_record_with_a_forged_region_has_no_region() -> None:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    event["detail"]["awsRegion"] = "x|<!channel>"
    event["region"] = "y|<!here>"
    found = normalize(event, include_read_only=True, include_data_events=True)
    assert found is not None
    assert found.region is None


def test_the_usage_error_for_an_unknown_command_escapes_the_users_words() -> None:
    with pytest.raises(UsageError) as caught:
        parse_command("<!channel> look", NOW)
    message = render_usage_error(caught.value)
    assert "&lt;!channel&gt;" in message.text
    assert_safe(message)


def test_an_aws_error_message_is_escaped_in_the_error_reply() -> None:
    error = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "bad <!here> & <https://x|y>"}},
        "DescribeTable",
    )
    message = translate(error, table="orders", region="us-west-2").message
    assert "bad &lt;!here&gt; &amp; &lt;https://x|y&gt;" in message
    assert_safe(render_error(message))


@pytest.mark.parametrize("cut_at", range(144, 151))
def test_header_truncation_never_leaves_half_an_entity(cut_at: int) -> None:
    text = "x" * cut_at + escape("<&>" * 5)
    shown = header(text)["text"]["text"]
    assert len(shown) <= 150
    tail = shown[cut_at:]
    assert tail.replace("&lt;", "").replace("&amp;", "").replace("&gt;", "") == ""


def test_header_truncation_keeps_a_literal_ampersand_that_is_no_entity() -> None:
    text = "y" * 148 + "&ab" + "z" * 10
    assert header(text)["text"]["text"] == "y" * 148 + "&a"


def test_a_tiny_amount_is_written_without_a_raw_angle_bracket() -> None:
    assert money(0.001) == "under $0.01"
    assert "<" not in money(0.001)


def _status(**changes: object) -> TableStatus:
    base = TableStatus(
        name="orders",
        region="us-west-2",
        account="123456789012",
        status="ACTIVE",
        billing_mode="PAY_PER_REQUEST",
        item_count=0,
        size_bytes=0,
        read_capacity=None,
        write_capacity=None,
        deletion_protection=True,
        pitr=PitrWindow(enabled=True),
        newest_backup=None,
        alarms_firing=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_status_fallback_text_escapes_the_status_and_region() -> None:
    message = render_status(
        _status(status="<!channel>", region="<!here>"), NOW, max_backup_age=timedelta(days=2)
    )
    assert "&lt;!channel&gt;" in message.text
    assert "&lt;!here&gt;" in message.text
    assert_safe(message)


def test_the_status_console_url_quotes_the_table_and_checks_the_region() -> None:
    assert table_console_url("a b&c", "us-west-2") == (
        "https://us-west-2.console.aws.amazon.com/dynamodbv2/home?region=us-west-2"
        "#table?name=a%20b%26c"
    )
    assert table_console_url("orders", "evil.example/x").startswith(
        "https://console.aws.amazon.com/dynamodbv2/home?region=evil.example%2Fx"
    )
