"""Slack messages rendered as terminal text for the local console."""

from __future__ import annotations

import pytest

from bot.local.console import mrkdwn_to_text, render_for_terminal
from bot.render.message import (
    Message,
    actions,
    button,
    context,
    divider,
    fields_section,
    header,
    section,
)

ANSI = "\033["


def _alarm_message() -> Message:
    return Message(
        text="ALARM orders-write-throttle",
        blocks=(
            header("ALARM: orders-write-throttle"),
            section(
                "*orders* is throttled. <https://console.aws.amazon.com/cw|Open in console>",
                fields=["*Metric*\nWriteThrottleEvents", "*Region*\nus-west-2"],
            ),
            context("Fired by <@U0ALICE> in <#C0ALARMS|alarms>"),
            divider(),
            actions(button("Confirm", "confirm", "p-1", style="danger"), button("Cancel", "no")),
        ),
    )


def test_alarm_message_renders_as_readable_text() -> None:
    args = {"channel": "C0ALARMS", **_alarm_message().as_args()}

    text = render_for_terminal(args, method="chat.postMessage", width=60)

    assert text == "\n".join(
        [
            "#C0ALARMS",
            "ALARM: orders-write-throttle",
            "════════════════════════════",
            "*orders* is throttled. Open in console",
            "(https://console.aws.amazon.com/cw)",
            "*Metric*                      *Region*",
            "WriteThrottleEvents           us-west-2",
            "Fired by @U0ALICE in #alarms",
            "─" * 60,
            "[ Confirm ] [ Cancel ]",
        ]
    )


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("<https://example.com/a|the docs>", "the docs (https://example.com/a)"),
        ("<https://example.com/a>", "https://example.com/a"),
        ("ping <@U123>", "ping @U123"),
        ("see <#C42|alarms>", "see #alarms"),
        ("<!channel> and <!here>", "@channel and @here"),
        ("<!subteam^S1|@dba> please", "@dba please"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("&amp;lt;literal&amp;gt;", "&lt;literal&gt;"),
        ("*bold* and _italic_ and `code`", "*bold* and _italic_ and `code`"),
    ],
    ids=[
        "labelled-link",
        "bare-link",
        "user-mention",
        "channel-mention",
        "special-mentions",
        "user-group",
        "entities-unescaped",
        "escaped-entity-stays-literal",
        "markers-kept-without-colour",
    ],
)
def test_mrkdwn_to_text(mrkdwn: str, plain: str) -> None:
    assert mrkdwn_to_text(mrkdwn) == plain


def test_colour_replaces_markers_with_ansi() -> None:
    coloured = mrkdwn_to_text("*bold* and `code`", color=True)

    assert "*" not in coloured
    assert "`" not in coloured
    assert f"{ANSI}1mbold{ANSI}0m" in coloured


def test_no_ansi_without_colour_and_ansi_with_it() -> None:
    args = {"channel": "C1", **_alarm_message().as_args()}

    plain = render_for_terminal(args, method="chat.postMessage")
    coloured = render_for_terminal(args, method="chat.postMessage", color=True)

    assert ANSI not in plain
    assert ANSI in coloured
    assert f"{ANSI}31;1m[ Confirm ]{ANSI}0m" in coloured


def test_update_is_marked_updated() -> None:
    text = render_for_terminal(
        {"channel": "C1", "ts": "1.000100", "text": "*OK* again"}, method="chat.update"
    )

    assert text.splitlines() == ["#C1 (updated)", "*OK* again"]


def test_thread_reply_is_indented_under_an_arrow() -> None:
    args = {"channel": "C1", "thread_ts": "1.000100", "text": "still throttled\nfor 10 min"}

    lines = render_for_terminal(args, method="chat.postMessage").splitlines()

    assert lines == ["  ↳ #C1", "    still throttled", "    for 10 min"]


def test_ephemeral_names_its_only_reader() -> None:
    args = {"channel": "C1", "user": "U0BOB", "text": "usage: /ddb backups &lt;table&gt;"}

    text = render_for_terminal(args, method="chat.postEphemeral")

    assert text.splitlines()[0] == "#C1 (only visible to @U0BOB)"
    assert "usage: /ddb backups <table>" in text


def test_response_url_replace_is_an_update() -> None:
    text = render_for_terminal(
        {"response_id": "r1", "replace_original": True, "text": "Pruned 3 backups"},
        method="response_url",
    )

    assert text.splitlines() == ["reply (updated)", "Pruned 3 backups"]


def test_home_view_renders_its_blocks() -> None:
    view = {"type": "home", "blocks": [header("opsbot"), section("3 alarms firing")]}

    text = render_for_terminal({"user_id": "U0ALICE", "view": view}, method="views.publish")

    assert text.splitlines() == ["App Home of @U0ALICE", "opsbot", "══════", "3 alarms firing"]


def test_long_text_wraps_to_width() -> None:
    args = {"channel": "C1", "blocks": [section("word " * 60)]}

    lines = render_for_terminal(args, method="chat.postMessage", width=40).splitlines()

    assert len(lines) > 5
    assert all(len(line) <= 40 for line in lines)


def test_fields_too_wide_for_two_columns_are_stacked() -> None:
    wide = "x" * 45
    args = {"channel": "C1", "blocks": [fields_section([wide, "short"])]}

    lines = render_for_terminal(args, method="chat.postMessage", width=80).splitlines()

    assert lines[1:] == [wide, "short"]


def test_images_and_url_buttons_show_where_they_point() -> None:
    blocks = [
        {"type": "image", "image_url": "https://example.com/g.png", "alt_text": "graph"},
        actions(button("Runbook", "rb", url="https://example.com/runbook")),
    ]

    lines = render_for_terminal({"channel": "C1", "blocks": blocks}, method="chat.postMessage")

    assert lines.splitlines()[1:] == [
        "[image: graph] (https://example.com/g.png)",
        "[ Runbook ] (https://example.com/runbook)",
    ]


def test_deleted_message_shows_only_the_notice() -> None:
    text = render_for_terminal({"channel": "C1", "ts": "1.000100"}, method="chat.delete")

    assert text == "#C1 (deleted 1.000100)"


def test_a_file_shared_in_a_thread_shows_as_an_image_reply() -> None:
    args = {
        "channel_id": "C0ALARMS",
        "thread_ts": "1763800000.000100",
        "files": '[{"id": "F00000001", "title": "orders-write-throttle \u2014 last 3 hours"}]',
    }
    shown = render_for_terminal(args, method="files.completeUploadExternal")
    assert shown == "  ↳ #C0ALARMS\n    [image: orders-write-throttle — last 3 hours]"
