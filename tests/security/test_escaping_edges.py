"""Regressions for the escaping holes the injection sweep found at its edges.

Each test names the hole it closes: a forged region in a URL host, user words echoed in a
usage error, AWS error text in an error reply, an entity cut by header truncation, our own
raw `<` in a price, and the status fallback text and console URL. The last part proves what
`bot.render.message` does against spoofing through formatting: one line, no hidden
character, no marker or quote a field could pair with ours.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from bot.aws.errors import translate
from bot.domain.alarm_events import console_links
from bot.domain.alarm_messages import parse_eventbridge_alarm
from bot.domain.audit import normalize
from bot.domain.command_parser import parse_command
from bot.domain.errors import UsageError
from bot.domain.regions import region_code
from bot.domain.tables import PitrWindow, TableStatus
from bot.domain.typed import quoted
from bot.render.alarms import render_alarm
from bot.render.audit import render_audit_notice
from bot.render.backups import render_prune_result
from bot.render.help import render_error, render_usage_error
from bot.render.message import (
    code,
    escape,
    escape_keeping_markup,
    escape_lines,
    escape_plain,
    header,
)
from bot.render.notices import render_plain_notice
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


# --- spoofing through formatting (issue 16, finding 9) ---------------------------------------

_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_ENTITY_OK = re.compile(r"&(?:amp|lt|gt);")
# What reads as a line break somewhere (Python's str.splitlines; CR LF is one).
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _hidden(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in _HIDDEN_CATEGORIES]


def test_every_control_format_and_separator_character_is_shown_or_broken() -> None:
    """Checked against this Python's Unicode database, so a new version names what it adds."""
    missed = [
        f"U+{cp:04X}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in _HIDDEN_CATEGORIES
        and _hidden(escape(chr(cp)) + escape_lines(chr(cp)) + code(chr(cp)))
    ]
    assert not missed


@given(st.text())
def test_escape_is_one_inert_line_of_the_same_length(text: str) -> None:
    shown = escape(text)
    assert "\n" not in shown
    assert not _hidden(shown)
    assert not set(shown) & set("*_~`<>")
    assert not re.match(r"\s*&gt;", shown)  # a quote, had the field started a line
    assert _ENTITY_OK.sub("", shown).count("&") == 0
    # character for character, but for the entities and a CR LF read as one line break
    plain = text.replace("\r\n", "\n")
    assert len(_ENTITY_OK.sub("e", shown)) == len(plain)


@given(st.text())
def test_escape_lines_keeps_line_breaks_but_no_line_can_quote_or_format(text: str) -> None:
    shown = escape_lines(text)
    assert shown.count("\n") == len(_LINE_BREAKS.findall(text))
    assert not _hidden(shown)
    assert not set(shown) & set("*_~`<>")
    assert not any(re.match(r"\s*&gt;", line) for line in shown.split("\n"))


@given(st.text(min_size=1))
def test_code_is_one_span_its_text_cannot_close(text: str) -> None:
    shown = code(text)
    assert shown.startswith("`")
    assert shown.endswith("`")
    assert shown.count("`") == (2 if text else 0)  # an empty one reads "an empty value"
    assert "\n" not in shown
    assert not _hidden(shown)
    assert "<" not in shown
    assert ">" not in shown


@given(st.from_regex(r"[a-zA-Z0-9_.-]{3,255}", fullmatch=True))
def test_a_valid_table_name_is_shown_as_it_is_in_its_code_span(name: str) -> None:
    assert code(name) == f"`{name}`"  # `orders_v2` can be copied from the message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice\n:white_check_mark: *Approved*", "alice⏎:whiteˍcheckˍmark: ∗Approved∗"),
        ("> quoted", "˃ quoted"),
        ("  >x", "  ˃x"),
        ("a > b", "a &gt; b"),
        ("`code` ~s~ _i_", "ˋcodeˋ ∼s∼ ˍiˍ"),
        ("\u202eexe.pdf", "\ufffdexe.pdf"),
        ("ad\u200bmin", "ad\ufffdmin"),
        ("tab\there\x00", "tab here\ufffd"),
        ("a\r\nb\u2028c", "a⏎b⏎c"),
        ("\ud800", "\ufffd"),
    ],
    ids=[
        "fake-line",
        "quote",
        "indented-quote",
        "inner-gt",
        "markers",
        "rlo",
        "zwsp",
        "controls",
        "breaks",
        "lone-surrogate",
    ],
)
def test_escape_shows_what_a_field_tried_to_draw(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_an_empty_code_span_is_not_two_lone_backticks() -> None:
    assert code("") == "(empty)"


def test_plain_text_keeps_markers_but_is_one_visible_line() -> None:
    assert escape_plain("orders_v2 *x*\n\u202ey <b>") == "orders_v2 *x*⏎\ufffdy &lt;b&gt;"


def test_a_session_name_cannot_draw_an_approved_line_under_who() -> None:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    event["detail"]["userIdentity"]["arn"] += "\n:white_check_mark: *Approved change* — ok"
    found = normalize(event, include_read_only=True, include_data_events=True)
    assert found is not None
    who = next(
        f["text"]
        for f in render_audit_notice(found, now=NOW).blocks[1]["fields"]
        if f["text"].startswith("*Who*")
    )
    assert who.count("\n") == 1
    assert "⏎:whiteˍcheckˍmark: ∗Approved change∗ — ok" in who


def test_a_multiline_alarm_description_keeps_its_lines_under_our_bold_first_line() -> None:
    event = parse_eventbridge_alarm(load_event("eventbridge-alarm-replication-latency.json"))
    event = replace(event, description="Lag *high*\n> :ok: fine\n```x```")
    lead = render_alarm(
        event, now=NOW, datapoints=None, incident_opened_at=None, mention=None
    ).blocks[1]["text"]["text"]
    assert lead == "*Lag ∗high∗*\n˃ :ok: fine\nˋˋˋxˋˋˋ"


def test_a_json_body_cannot_close_its_code_block_or_add_lines() -> None:
    message = render_plain_notice(None, '{"a": "```\\u2028*b*"}', topic_arn=None, now=NOW)
    body = message.blocks[1]["text"]["text"]
    assert body == '```{\n  "a": "ˋˋˋ\\u2028*b*"\n}```'


@given(st.text())
def test_our_error_messages_keep_their_code_spans_but_quote_inertly(text: str) -> None:
    shown = escape_keeping_markup(f"{quoted(text)} is not a retention rule")
    assert shown.count("`") == (2 if text else 0)  # an empty one reads "an empty value"
    assert "\n" not in shown
    assert not _hidden(shown)
    assert "<" not in shown
    assert ">" not in shown


def test_a_line_separator_the_user_typed_stays_inside_the_quoted_word() -> None:
    with pytest.raises(UsageError) as caught:
        parse_command("status orders\u2028*x*", NOW)
    text = render_usage_error(caught.value).text
    assert text.startswith(":warning: `orders[U+2028]*x*` is not a table name")


def test_a_backtick_the_user_typed_cannot_close_the_usage_errors_code_span() -> None:
    with pytest.raises(UsageError) as caught:
        parse_command("st`*x*`atus orders", NOW)
    text = render_usage_error(caught.value).text
    assert text.startswith(":warning: `stˋ*x*ˋatus` is not a command.")


def test_a_failure_reason_cut_inside_its_code_span_closes_it() -> None:
    reason = "x" * 290 + "`orders_v2` is busy"
    message = render_prune_result("orders", [], [("b-1", reason)], 0, 0.1)
    failed = message.blocks[-1]["text"]["text"]
    assert failed.endswith("`orders_v2`")  # cut before its closing backtick: closed again
    assert failed.count("`") % 2 == 0
