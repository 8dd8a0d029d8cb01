"""What a mistyped command is told in the ack: a did-you-mean for subcommands and options, the
instant a future `--at` resolved to (and the day before), and culprits that can be seen."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import ADMIN, Clock, function_url_event, lambda_context, sign, slash_body


def ack_text(text: str) -> str:
    body = slash_body(text, user=ADMIN)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["text"])


@pytest.fixture
def ack(runtime: Runtime, text: str) -> str:
    """The ack to the test's parametrized `text`, typed by an admin."""
    return ack_text(text)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("alarms recomend orders", "Did you mean `recommend`?"),
        ("alarms reccomend orders@us-west-2", "Did you mean `recommend`?"),
        ("pitr orders offf", "Did you mean `off`?"),
        ("backups orders --sinse 30d", "Did you mean `--since`?"),
        ("prune orders --keep-dayly 7", "Did you mean `--keep-daily`?"),
    ],
    ids=["alarms-recommend", "alarms-recommend-region", "pitr-off", "backups-since", "prune-keep"],
)
def test_a_mistyped_subcommand_or_option_gets_a_did_you_mean(ack: str, hint: str) -> None:
    assert hint in ack
    assert "unexpected" not in ack


def test_a_mistyped_alarms_subcommand_does_not_blame_the_table(runtime: Runtime) -> None:
    ack = ack_text("alarms recomend orders")
    assert "`recomend`" in ack
    assert "unexpected `orders`" not in ack


def test_a_clock_time_after_midnight_says_which_instant_and_offers_the_day_before(
    runtime: Runtime, clock: Clock
) -> None:
    clock.current = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    ack = ack_text("restore orders --at 10:42")
    assert (
        "`--at 10:42` is 2026-11-23 10:42 UTC, in the future; did you mean 2026-11-22 10:42 UTC "
        "(`--at 2026-11-22T10:42:00Z`)?"
    ) in ack


def test_a_future_iso_time_says_what_time_it_is_now(runtime: Runtime, clock: Clock) -> None:
    clock.current = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    ack = ack_text("restore orders --at 2026-12-01T08:00:00Z")
    assert "`--at 2026-12-01T08:00:00Z` is 2026-12-01 08:00 UTC, in the future" in ack
    assert "it is 2026-11-23 00:30 UTC now" in ack


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("status orders@", "`orders@` has no region after `@`"),
        ("status @us-west-2", "`@us-west-2` has no table name before `@`"),
        ("status orders@/us-west-2", "`orders@/us-west-2` has no account before `/`"),
        ("status orders\u200b", "`orders[U+200B]` is not a table name"),
        ("status orders --region us\u2011west-2", "`us[U+2011]west-2`"),
    ],
    ids=["no-region", "no-name", "no-account", "zero-width-space", "non-breaking-hyphen"],
)
def test_empty_or_invisible_bad_input_is_shown_visibly(ack: str, shown: str) -> None:
    assert shown in ack
    assert "``" not in ack


def test_an_invisible_character_is_named_so_it_can_be_retyped(runtime: Runtime) -> None:
    ack = ack_text("status orders\u200b")
    assert "U+200B ZERO WIDTH SPACE" in ack
    assert "\u200b" not in ack


def test_a_backtick_in_a_culprit_cannot_unbalance_the_code_spans(runtime: Runtime) -> None:
    ack = ack_text('restore orders --latest --to "x`y"')
    assert "`xˋy`" in ack
    assert ack.count("`") % 2 == 0
