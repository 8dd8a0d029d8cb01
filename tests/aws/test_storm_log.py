"""A route's storm log (bot.aws.alarm_context) against moto: appended atomically, read back
whole, and trimmed only if it still has the entries the trim was worked out from."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from bot.aws.alarm_context import read_storm, record_storm_entry, trim_storm
from bot.aws.state import StateStore
from bot.domain.alarm_storms import StormEntry, trimmed
from tests.conftest import REGION, create_state_table

NOW = datetime(2026, 11, 22, 9, 42, tzinfo=UTC)
ROUTE = "C0ALARMS1"


@pytest.fixture
def state(aws: None) -> StateStore:
    client = boto3.client("dynamodb", region_name=REGION)
    create_state_table(client)
    return StateStore(client, "opsbot-state")


def entry(at: float, arn: str, state: str = "ALARM") -> StormEntry:
    return StormEntry(at, arn, arn, f"t-{arn}", "WriteThrottleEvents", state)


def test_each_append_returns_the_whole_log_with_its_own_entry_last(state: StateStore) -> None:
    first = record_storm_entry(state, ROUTE, entry(1, "a"), now=NOW)
    second = record_storm_entry(state, ROUTE, entry(2, "b", "OK"), now=NOW)
    assert first.entries == (entry(1, "a"),)
    assert second.entries == (entry(1, "a"), entry(2, "b", "OK"))
    assert read_storm(state, ROUTE) == second


def test_a_long_log_is_trimmed_unless_it_grew_meanwhile(state: StateStore) -> None:
    for i in range(50):  # opened and resolved long ago
        record_storm_entry(state, ROUTE, entry(i, f"old{i}"), now=NOW)
        record_storm_entry(state, ROUTE, entry(i + 0.5, f"old{i}", "OK"), now=NOW)
    for i in range(101):  # still firing
        found = record_storm_entry(state, ROUTE, entry(1000 + i, f"new{i}"), now=NOW)
    kept = trimmed(found, 1100, 300)
    assert kept is not None
    assert len(kept) == 101
    # Another alarm appended after the log was read: the trim would lose it, so none is made.
    record_storm_entry(state, ROUTE, entry(1101, "late"), now=NOW)
    trim_storm(state, ROUTE, kept, len(found.entries))
    assert len(read_storm(state, ROUTE).entries) == 202
    # Read again, the trim goes through and keeps the entries as they were.
    found = read_storm(state, ROUTE)
    kept = trimmed(found, 1101, 300)
    assert kept is not None
    trim_storm(state, ROUTE, kept, len(found.entries))
    assert read_storm(state, ROUTE).entries == kept
    assert kept[-1] == entry(1101, "late")
