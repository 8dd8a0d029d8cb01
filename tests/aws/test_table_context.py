"""The table's context item (bot.aws.table_context) against moto: the changes the CloudTrail
ingest records on it, bounded and idempotent, and the owner the alarm path remembers there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import boto3
import pytest

from bot.aws.incidents import load_alarm
from bot.aws.state import StateStore
from bot.aws.table_context import (
    CONTEXT_SK,
    KEEP,
    OWNER_FRESH,
    TableContext,
    context_from,
    context_pk,
    record_changes,
    record_owner,
)
from tests.aws.test_audit_store import ACCOUNT, NOW, event, many
from tests.conftest import REGION, create_state_table

ORDERS = context_pk(ACCOUNT, REGION, "orders")


@pytest.fixture
def state(aws: None) -> StateStore:
    client = boto3.client("dynamodb", region_name=REGION)
    create_state_table(client)
    return StateStore(client, "opsbot-state")


def read(state: StateStore, pk: str = ORDERS) -> TableContext:
    return context_from(state.get(pk, CONTEXT_SK))


def test_the_newest_changes_are_kept_and_a_redelivery_rewrites_its_own(state: StateStore) -> None:
    events = many(KEEP + 5)
    assert record_changes(state, events[:12], history_days=90) == 2  # ten changes a call
    assert record_changes(state, events[12:], history_days=90) == 3  # two, and a trim
    kept = read(state).events()
    assert len(kept) == KEEP
    assert {e.event_id for e in kept} == {e.event_id for e in events[5:]}
    record_changes(state, events[-3:], history_days=90)
    assert len(read(state).changes) == KEEP


def test_only_changes_are_recorded(state: StateStore) -> None:
    base = event()
    refused = replace(base, event_id="refused", error_code="AccessDenied")
    read_only = replace(base, event_id="read", read_only=True)
    assert record_changes(state, [refused, read_only], history_days=90) == 0
    assert state.get(ORDERS, CONTEXT_SK) is None


def test_the_item_expires_with_the_history(state: StateStore) -> None:
    change = event()
    record_changes(state, [change], history_days=30)
    item = state.get(ORDERS, CONTEXT_SK)
    assert item is not None
    assert item["expires_at"] == int((change.time + timedelta(days=30)).timestamp())


def test_an_owner_is_known_for_a_while_and_a_tag_event_forgets_it(state: StateStore) -> None:
    record_owner(state, ACCOUNT, REGION, "orders", "U0OWNER01", now=NOW)
    known = read(state)
    assert (known.owner, known.owner_known(NOW + OWNER_FRESH - timedelta(minutes=1))) == (
        "U0OWNER01",
        True,
    )
    assert not known.owner_known(NOW + OWNER_FRESH)
    record_owner(state, ACCOUNT, REGION, "orders", None, now=NOW)
    assert (read(state).owner, read(state).owner_known(NOW)) == (None, True)
    tagged = replace(
        event("cloudtrail/tag-resource.json"), event_id="owner", changes=frozenset({"owner"})
    )
    record_owner(state, ACCOUNT, REGION, "orders", "U0OWNER01", now=NOW)
    record_changes(state, [tagged], history_days=90)
    forgot = read(state)
    assert (forgot.owner, forgot.owner_known(NOW)) == (None, False)
    assert [e.event_id for e in forgot.events()] == ["owner"]


def test_the_alarm_reads_the_context_in_its_one_batch(state: StateStore) -> None:
    record_changes(state, [event()], history_days=90)
    calls: list[str] = []
    state.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **kw: calls.append(model.name)
    )
    arn = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
    record, silenced, context = load_alarm(state, arn, context_pk=ORDERS)
    assert (record, silenced) == (None, None)
    assert context is not None
    assert len(context_from(context).changes) == 1
    assert calls == ["BatchGetItem"]
