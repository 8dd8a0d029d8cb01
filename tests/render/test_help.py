"""`/ddb help`, one command's help, and usage errors as the user reads them."""

from __future__ import annotations

import json

import pytest

from bot.domain.command_usage import SPECS
from bot.domain.errors import UsageError
from bot.render.help import NOT_AVAILABLE, render_help, render_usage_error
from tests.golden import assert_golden


def body(message: object) -> str:
    return json.dumps(message.as_args())  # type: ignore[attr-defined]


def test_help_lists_every_command_with_its_usage_line() -> None:
    message = render_help()
    assert message.ephemeral
    for spec in SPECS.values():
        assert spec.usage in message.text
        assert f"`{spec.usage}`" in message.blocks[1]["text"]["text"]
        assert spec.summary in message.blocks[1]["text"]["text"]


@pytest.mark.parametrize("topic", sorted(SPECS), ids=sorted(SPECS))
def test_help_for_one_command_shows_its_usage_and_summary(topic: str) -> None:
    message = render_help(topic)
    assert message.text.splitlines()[0] == f"`{SPECS[topic].usage}`"
    assert SPECS[topic].summary in message.text
    assert NOT_AVAILABLE not in message.text


def test_help_for_restore_explains_the_time_forms() -> None:
    assert "2h ago" in render_help("restore").text


@pytest.mark.parametrize(
    ("available", "soon", "ready"),
    [
        (frozenset({"status"}), ["backups", "restore", "prune"], ["status", "help"]),
        (frozenset(), ["status", "replicas"], ["help"]),
        (frozenset(SPECS), [], list(SPECS)),
    ],
    ids=["only-status", "nothing-built", "everything-built"],
)
def test_help_marks_commands_that_are_not_available(
    available: frozenset[str], soon: list[str], ready: list[str]
) -> None:
    rows = render_help(available=available).blocks[1]["text"]["text"]
    for name in soon:
        assert f"`{SPECS[name].usage}` _(soon)_" in rows
    for name in ready:
        assert f"`{SPECS[name].usage}`\n" in rows


@pytest.mark.parametrize(
    ("topic", "available", "marked"),
    [
        ("backups", frozenset({"status"}), True),
        ("status", frozenset({"status"}), False),
        ("help", frozenset(), False),
    ],
    ids=["not-built", "built", "help-always-available"],
)
def test_help_for_one_command_says_when_it_is_not_available(
    topic: str, available: frozenset[str], marked: bool
) -> None:
    text = render_help(topic, available=available).text
    assert (f"`/ddb {topic}` {NOT_AVAILABLE}" in text) is marked


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            UsageError("name the table", SPECS["status"].usage),
            ":warning: name the table\nUsage: `/ddb status <table> [--region R]`",
        ),
        (UsageError("something odd"), ":warning: something odd"),
    ],
    ids=["with-usage-line", "without-usage-line"],
)
def test_usage_error_says_what_is_wrong_then_the_usage_line(
    error: UsageError, expected: str
) -> None:
    message = render_usage_error(error)
    assert message.ephemeral
    assert message.text == expected
    assert message.blocks[0]["text"]["text"] == expected


@pytest.mark.parametrize(
    ("case", "topic", "available"),
    [
        ("command-list-status-only", None, frozenset({"status"})),
        ("restore-not-available", "restore", frozenset({"status"})),
    ],
    ids=["command-list-status-only", "restore-not-available"],
)
def test_help_matches_its_golden_file(
    case: str, topic: str | None, available: frozenset[str]
) -> None:
    assert_golden("help", case, render_help(topic, available=available).as_args())
