"""Durations and times as people type and read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.times import (
    DURATION_FORM,
    TIME_FORM,
    format_duration,
    format_relative,
    format_utc,
    parse_aws_time,
    parse_duration,
    parse_time,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("90m", timedelta(minutes=90)),
        ("90min", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        (" 7D ", timedelta(days=7)),
        ("3 h", timedelta(hours=3)),
    ],
    ids=[
        "days",
        "hours",
        "weeks",
        "minutes",
        "min",
        "seconds",
        "padded-upper",
        "space-before-unit",
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "30", "d", "0d", "-1d", "1.5h", "30 days", "1y", "2h30m"],
    ids=[
        "empty",
        "no-unit",
        "no-number",
        "zero",
        "negative",
        "fraction",
        "word",
        "years",
        "compound",
    ],
)
def test_parse_duration_refuses_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_duration(text)
    shown = f"`{text}`" if text else "an empty value"
    assert raised.value.message == f"{shown} is not a duration; use {DURATION_FORM}"
    assert "90m, 12h, 30d or 2w" in raised.value.message


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("2026-11-20T10:42:00Z", NOW, datetime(2026, 11, 20, 10, 42, tzinfo=UTC)),
        ("2026-11-20T10:42:00z", NOW, datetime(2026, 11, 20, 10, 42, tzinfo=UTC)),
        ("2026-11-20T12:42:00+02:00", NOW, datetime(2026, 11, 20, 10, 42, tzinfo=UTC)),
        ("2026-11-20 10:42:00.5+00:00", NOW, datetime(2026, 11, 20, 10, 42, 0, 500000, tzinfo=UTC)),
        ("10:42", NOW, datetime(2026, 11, 22, 10, 42, tzinfo=UTC)),
        ("9:05:30", NOW, datetime(2026, 11, 22, 9, 5, 30, tzinfo=UTC)),
        (
            "10:42",
            datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-3))),
            datetime(2026, 11, 23, 10, 42, tzinfo=UTC),
        ),
        ("2h ago", NOW, NOW - timedelta(hours=2)),
        ("90m ago", NOW, NOW - timedelta(minutes=90)),
        (" 3d AGO ", NOW, NOW - timedelta(days=3)),
    ],
    ids=[
        "iso-z",
        "iso-lower-z",
        "iso-offset-to-utc",
        "iso-space-fraction",
        "clock-today-utc",
        "clock-with-seconds",
        "clock-is-today-in-utc-not-local",
        "hours-ago",
        "minutes-ago",
        "days-ago-padded-upper",
    ],
)
def test_parse_time(text: str, now: datetime, expected: datetime) -> None:
    parsed = parse_time(text, now)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tuesday", "is not a time"),
        ("24:00", "is not a time"),
        ("10:60", "is not a time"),
        ("2026-13-01T00:00:00Z", "is not a time"),
        ("2026-11-20T10:42:00", "has no time zone; add `Z` for UTC"),
        ("ago", "is not a time"),
    ],
    ids=["word", "hour-24", "minute-60", "month-13", "naive-iso", "ago-alone"],
)
def test_parse_time_refuses_with_the_accepted_forms(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_time(text, NOW)
    assert fragment in raised.value.message
    assert TIME_FORM in raised.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(seconds=45), "45s"),
        (0, "0s"),
        (-30, "0s"),
        (timedelta(minutes=23, seconds=59), "23 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(days=3), "3 d"),
        (7200.9, "2 h"),
    ],
    ids=[
        "seconds",
        "zero",
        "negative-clamped",
        "minutes",
        "hours-minutes",
        "hours",
        "days-hours",
        "days",
        "float-seconds",
    ],
)
def test_format_duration(value: timedelta | float, expected: str) -> None:
    assert format_duration(value) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(seconds=50), "1 min ago"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(days=3), "3 d ago"),
        (timedelta(days=90), "3 mo ago"),
        (timedelta(days=800), "2 y ago"),
        (timedelta(hours=-2), "in 2 h"),
    ],
    ids=[
        "seconds",
        "seconds-ahead",
        "under-a-minute",
        "minutes",
        "hours",
        "days",
        "months",
        "years",
        "future",
    ],
)
def test_format_relative(delta: timedelta, expected: str) -> None:
    assert format_relative(NOW - delta, NOW) == expected


def test_format_utc_converts_to_utc() -> None:
    when = datetime(2026, 11, 20, 12, 42, tzinfo=timezone(timedelta(hours=2)))
    assert format_utc(when) == "2026-11-20 10:42 UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T09:42:10.123+0000", datetime(2026, 11, 22, 9, 42, 10, 123000, tzinfo=UTC)),
        ("2026-11-22T11:42:10.123+0200", datetime(2026, 11, 22, 9, 42, 10, 123000, tzinfo=UTC)),
        ("2026-11-22T04:42:10-0500", datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)),
        ("2026-11-22T09:42:10Z", datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)),
        ("2026-11-22T09:42:10+00:00", datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)),
        ("2026-11-22T09:42:10", datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)),
    ],
    ids=[
        "cloudwatch-plus-0000",
        "plus-0200",
        "minus-0500",
        "cloudtrail-z",
        "colon-offset",
        "naive-is-utc",
    ],
)
def test_parse_aws_time(text: str, expected: datetime) -> None:
    parsed = parse_aws_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("digits", [19, 4300, 4301, 5000], ids=lambda n: f"{n}-digits")
def test_a_duration_with_more_digits_than_int_reads_is_longer_than_100_years(digits: int) -> None:
    with pytest.raises(InvalidValue, match="is longer than 100 years"):
        parse_duration("9" * digits + "d")


def test_leading_zeros_do_not_count_towards_the_digit_limit() -> None:
    assert parse_duration("0" * 5000 + "7d") == timedelta(days=7)
