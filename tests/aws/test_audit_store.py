"""The audit history in the state table (moto): keys, idempotency, TTL, pages, attribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bot.aws.audit import (
    bot_actions,
    event_from_item,
    history_items,
    history_name_places,
    installed,
    mark_installed,
    name_items,
    query_history,
    store_event,
    store_events,
)
from bot.aws.state import StateStore, audit_pk, record_bot_action
from bot.domain.audit import AuditEvent, BotAction, normalize
from tests.conftest import REGION, create_state_table, load_event

ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def state(aws: None) -> StateStore:
    client = boto3.client("dynamodb", region_name=REGION)
    create_state_table(client)
    return StateStore(client, "opsbot-state")


def event(name: str = "eventbridge-cloudtrail-pitr-disabled.json") -> AuditEvent:
    found = normalize(load_event(name))
    assert found is not None
    return found


def many(count: int, *, start: datetime = NOW - timedelta(days=1)) -> list[AuditEvent]:
    base = event()
    return [
        replace(base, event_id=f"evt-{i:04d}", time=start + timedelta(minutes=i))
        for i in range(count)
    ]


def all_items(state: StateStore, table: str = "orders") -> list[dict[str, Any]]:
    items, _ = state.query(audit_pk(ACCOUNT, REGION, table), limit=1000)
    return items


def test_item_round_trips_every_field_of_the_event(state: StateStore) -> None:
    original = event("cloudtrail/injection-user-agent-session.json")
    store_event(state, original, history_days=400)
    [item] = all_items(state)
    assert event_from_item(item) == original


def test_store_event_is_idempotent_on_event_id(state: StateStore) -> None:
    assert store_event(state, event(), history_days=400) is True
    assert store_event(state, event(), history_days=400) is False
    assert len(all_items(state)) == 1


def test_store_events_rewrites_the_same_items_on_redelivery(state: StateStore) -> None:
    events = many(30)
    assert store_events(state, events, history_days=400) == 30
    store_events(state, events, history_days=400)
    assert len(all_items(state)) == 30


def test_history_expires_history_days_after_the_event(state: StateStore) -> None:
    [item] = history_items(event(), history_days=30)
    assert item["expires_at"] == int((event().time + timedelta(days=30)).timestamp())


def test_restore_is_stored_under_the_target_and_the_source(state: StateStore) -> None:
    store_event(state, event("cloudtrail/restore-point-in-time.json"), history_days=400)
    assert len(all_items(state, "orders-1042")) == 1
    assert len(all_items(state, "orders")) == 1


def test_dax_events_are_stored_under_their_cluster(state: StateStore) -> None:
    dax = event("cloudtrail/dax-delete-cluster.json")
    [item] = history_items(dax, history_days=400)
    assert item["pk"].endswith(f"#dax:{dax.resource}")


def test_query_history_reads_one_page_newest_first_with_one_query(state: StateStore) -> None:
    store_events(state, many(100), history_days=400)
    queries: list[str] = []
    state.client.meta.events.register("before-call.dynamodb.Query", lambda **_: queries.append("q"))
    page = query_history(
        state,
        accounts=[ACCOUNT],
        region=REGION,
        table="orders",
        since=NOW - timedelta(days=7),
        limit=100,
    )
    assert len(page.events) == 100
    assert page.cursor is None
    assert page.events[0].event_id == "evt-0099"
    assert queries == ["q"]


def test_query_history_pages_with_a_cursor_and_no_overlap(state: StateStore) -> None:
    store_events(state, many(25), history_days=400)
    kwargs: dict[str, Any] = {
        "accounts": [ACCOUNT],
        "region": REGION,
        "table": "orders",
        "since": NOW - timedelta(days=7),
        "limit": 10,
    }
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = query_history(state, cursor=cursor, **kwargs)
        seen += [e.event_id for e in page.events]
        cursor = page.cursor
    assert seen == [f"evt-{i:04d}" for i in reversed(range(25))]
    assert cursor is None


def test_query_history_leaves_out_changes_before_since(state: StateStore) -> None:
    store_events(state, many(10, start=NOW - timedelta(hours=10)), history_days=400)
    page = query_history(
        state,
        accounts=[ACCOUNT],
        region=REGION,
        table="orders",
        since=NOW - timedelta(hours=10) + timedelta(minutes=5),
        limit=50,
    )
    assert [e.event_id for e in page.events] == [f"evt-{i:04d}" for i in reversed(range(5, 10))]


def test_query_history_merges_accounts_newest_first(state: StateStore) -> None:
    mine = many(3)
    theirs = [
        replace(
            e, account="210987654321", event_id=f"other-{i}", time=e.time + timedelta(seconds=30)
        )
        for i, e in enumerate(many(3))
    ]
    store_events(state, mine + theirs, history_days=400)
    page = query_history(
        state,
        accounts=[ACCOUNT, "210987654321"],
        region=REGION,
        table="orders",
        since=NOW - timedelta(days=7),
        limit=4,
    )
    assert [e.event_id for e in page.events] == ["other-2", "evt-0002", "other-1", "evt-0001"]
    rest = query_history(
        state,
        accounts=[],
        region=REGION,
        table="orders",
        since=NOW - timedelta(days=7),
        limit=4,
        cursor=page.cursor,
    )
    assert [e.event_id for e in rest.events] == ["other-0", "evt-0000"]


def test_bot_actions_finds_the_slack_user_of_each_request_id(state: StateStore) -> None:
    for n in range(120):
        record_bot_action(
            state, request_id=f"req-{n}", slack_user=f"U{n:04d}", command="x", now=NOW.timestamp()
        )
    calls: list[str] = []
    state.client.meta.events.register(
        "before-call.dynamodb.BatchGetItem", lambda **_: calls.append("batch")
    )
    found = bot_actions(state, [f"req-{n}" for n in range(0, 130, 10)] + [None, "req-0"])
    assert found == {f"req-{n}": BotAction(f"U{n:04d}") for n in range(0, 120, 10)}
    assert calls == ["batch"]


def test_install_marker_is_written_once_and_collects_accounts(state: StateStore) -> None:
    cache: dict[str, Any] = {}
    first = mark_installed(state, {ACCOUNT}, now=NOW, cache=cache)
    later = mark_installed(state, {"210987654321"}, now=NOW + timedelta(days=1), cache={})
    assert first.at == NOW
    assert later.at == NOW
    assert later.accounts == {ACCOUNT, "210987654321"}
    marker = installed(state)
    assert marker is not None
    assert marker.accounts == {ACCOUNT, "210987654321"}


def test_install_marker_makes_no_call_when_nothing_is_new(state: StateStore) -> None:
    cache: dict[str, Any] = {}
    mark_installed(state, {ACCOUNT}, now=NOW, cache=cache)
    calls: list[str] = []
    state.client.meta.events.register("before-call.dynamodb.*", lambda **_: calls.append("c"))
    mark_installed(state, {ACCOUNT}, now=NOW, cache=cache)
    assert calls == []


def test_the_name_index_says_where_a_table_was_seen_and_outlives_its_history(
    state: StateStore,
) -> None:
    first, late = event(), replace(event(), event_id="evt-late", time=NOW - timedelta(days=3))
    store_event(state, first, history_days=30, now=NOW)
    store_events(state, [late], history_days=30, now=NOW)  # an older event, stored later
    assert history_name_places(state, "orders") == [(ACCOUNT, REGION)]
    assert history_name_places(state, "customers") == []
    (index,) = name_items([late], history_days=30, now=NOW)
    stored = state.get(index["pk"], index["sk"])
    assert stored is not None
    [history] = history_items(first, history_days=30)
    # Expires 30 days after it was last written, never before the history it points at.
    assert stored["expires_at"] == int((NOW + timedelta(days=30)).timestamp())
    assert stored["expires_at"] >= history["expires_at"]
