"""Numbers too long for Python's int() (4300 digits) in any numeric option: the ack answers
with the usage error a smaller overflow gets (HTTP 200), never a crash (HTTP 500)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.command_usage import SPECS
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import ADMIN, function_url_event, sign, slash_body

# Every option that takes a number, as `/ddb <text>` with N standing for the digits, and the
# message a smaller overflow of the same option gets.
NUMERIC_OPTIONS = {
    "backups --since": ("backups orders --since {n}d", "longer than 100 years"),
    "who-changed --since": ("who-changed orders --since {n}d", "longer than 100 years"),
    "who-changed --limit": ("who-changed orders --limit {n}", "`--limit` is at most 200"),
    "prune --keep-last": ("prune orders --keep-last {n}", "`--keep-last` is at most 100000"),
    "prune --keep-hourly": ("prune orders --keep-hourly {n}", "`--keep-hourly` is at most 100000"),
    "prune --keep-daily": ("prune orders --keep-daily {n}", "`--keep-daily` is at most 100000"),
    "prune --keep-weekly": ("prune orders --keep-weekly {n}", "`--keep-weekly` is at most 100000"),
    "prune --keep-monthly": (
        "prune --all --keep-monthly {n}",
        "`--keep-monthly` is at most 100000",
    ),
    "prune --keep-yearly": (
        "prune orders --keep-yearly {n} --apply",
        "`--keep-yearly` is at most 100000",
    ),
    "prune --keep-within": ("prune orders --keep-within {n}d", "longer than 100 years"),
    "restore --at quoted": ('restore orders --at "{n}h ago"', "longer than 100 years"),
    "restore --at unquoted": ("restore orders --at {n}h ago --to copy", "longer than 100 years"),
}
SMALLER = 30  # digits: an overflow answered with a usage error before (but the keep rules)
NUMBER = re.compile(r"`[^`]*\d{20,}[^`]*`")  # the input quoted back, shortened or not


def ack(runtime: Runtime, text: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the signed `/ddb <text>` request's ack."""
    body = slash_body(text, user=ADMIN)
    response = slack_http.handle(function_url_event(body, sign(body)), runtime)
    return response["statusCode"], json.loads(response["body"] or "{}")


@pytest.mark.parametrize(
    ("template", "message"), list(NUMERIC_OPTIONS.values()), ids=list(NUMERIC_OPTIONS)
)
def test_a_5000_digit_number_in_any_numeric_option_gets_a_usage_error(
    runtime: Runtime, template: str, message: str
) -> None:
    command = template.split()[0]
    status, body = ack(runtime, template.format(n="9" * 5000))
    assert status == 200
    assert body["text"].startswith(":warning: ")
    assert message in body["text"]
    assert f"Usage: `{SPECS[command].usage}`" in body["text"]
    assert len(body["text"]) < 1000  # the number is quoted shortened, not echoed whole


@pytest.mark.parametrize(
    ("template", "message"), list(NUMERIC_OPTIONS.values()), ids=list(NUMERIC_OPTIONS)
)
def test_the_same_error_as_a_smaller_overflow_of_that_option(
    runtime: Runtime, template: str, message: str
) -> None:
    _, huge = ack(runtime, template.format(n="9" * 5000))
    _, smaller = ack(runtime, template.format(n="9" * SMALLER))
    assert smaller["text"].startswith(":warning: ")
    assert message in smaller["text"]
    assert NUMBER.sub("N", huge["text"]) == NUMBER.sub("N", smaller["text"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(sorted(NUMERIC_OPTIONS)),
    digits=st.integers(min_value=4290, max_value=12000),
    first=st.sampled_from("123456789"),
)
def test_any_number_past_the_int_digit_limit_gets_http_200(
    runtime: Runtime, option: str, digits: int, first: str
) -> None:
    template, message = NUMERIC_OPTIONS[option]
    status, body = ack(runtime, template.format(n=first + "0" * (digits - 1)))
    assert status == 200
    assert message in body["text"]
