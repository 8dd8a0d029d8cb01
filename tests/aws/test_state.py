"""The state table adapter against moto."""

from __future__ import annotations

import boto3
import pytest

from bot.aws.state import StateStore, audit_pk, once_pk
from tests.conftest import REGION, create_state_table

NOW = 1_795_000_000.0


@pytest.fixture
def state(aws: None) -> StateStore:
    client = boto3.client("dynamodb", region_name=REGION)
    create_state_table(client)
    return StateStore(client, "opsbot-state")


@pytest.mark.parametrize(
    "item",
    [
        {"pk": "X#1", "sk": "A", "price": 0.1, "count": 3, "name": "orders"},
        {
            "pk": "X#2",
            "sk": "A",
            "payload": {"keep": {"daily": 7, "ratio": 2.5}, "tags": ["a", "b"]},
        },
        {"pk": "X#3", "sk": "A", "flag": True, "nested": [{"f": 1.25}, {"g": "x"}]},
    ],
    ids=["floats-and-ints", "nested-maps", "bools-and-lists-of-maps"],
)
def test_put_and_get_round_trip(state: StateStore, item: dict[str, object]) -> None:
    state.put(item)
    assert state.get(str(item["pk"]), "A") == item


def test_none_values_are_dropped_and_missing_items_are_none(state: StateStore) -> None:
    state.put({"pk": "X#4", "sk": "A", "gone": None, "map": {"also_gone": None, "kept": 1}})
    assert state.get("X#4", "A") == {"pk": "X#4", "sk": "A", "map": {"kept": 1}}
    assert state.get("X#missing", "A") is None


def test_put_new_refuses_a_second_write(state: StateStore) -> None:
    assert state.put_new({"pk": "PLAN#1", "sk": "PLAN", "v": 1})
    assert not state.put_new({"pk": "PLAN#1", "sk": "PLAN", "v": 2})
    assert state.get("PLAN#1", "PLAN") == {"pk": "PLAN#1", "sk": "PLAN", "v": 1}


def audit_items(count: int) -> list[dict[str, object]]:
    pk = audit_pk("123456789012", REGION, "orders")
    return [
        {"pk": pk, "sk": f"2026-11-{day:02d}T10:00:00Z#ev{day}", "day": day}
        for day in range(1, count + 1)
    ]


def test_query_is_newest_first_and_pages_with_limit_and_start(state: StateStore) -> None:
    state.put_many(audit_items(7))
    pk = audit_pk("123456789012", REGION, "orders")
    first, more = state.query(pk, limit=3)
    assert [i["day"] for i in first] == [7, 6, 5]
    assert more is not None
    second, more = state.query(pk, limit=3, start=more)
    assert [i["day"] for i in second] == [4, 3, 2]
    third, _ = state.query(pk, limit=3, start=more)
    assert [i["day"] for i in third] == [1]


@pytest.mark.parametrize(
    ("kwargs", "days"),
    [
        ({"sk_prefix": "2026-11-0"}, [9, 8, 7, 6, 5, 4, 3, 2, 1]),
        ({"sk_prefix": "2026-11-1"}, [12, 11, 10]),
        ({"sk_from": "2026-11-10", "newest_first": False}, [10, 11, 12]),
        ({"newest_first": False, "limit": 2}, [1, 2]),
    ],
    ids=["prefix-first-nine-days", "prefix-tenth-onward", "from-oldest-first", "oldest-first"],
)
def test_query_filters_by_sort_key(
    state: StateStore, kwargs: dict[str, object], days: list[int]
) -> None:
    state.put_many(audit_items(12))
    items, _ = state.query(audit_pk("123456789012", REGION, "orders"), **kwargs)  # type: ignore[arg-type]
    assert [i["day"] for i in items] == days


def test_put_many_writes_sixty_items_in_batches(state: StateStore) -> None:
    items = [{"pk": "BULK", "sk": f"{n:03d}", "n": n} for n in range(60)]
    assert state.put_many(items) == 60
    found, _ = state.query("BULK", newest_first=False)
    assert [i["n"] for i in found] == list(range(60))


def test_update_with_a_failing_condition_returns_none(state: StateStore) -> None:
    state.put({"pk": "P", "sk": "S", "status": "done"})
    assert (
        state.update(
            "P",
            "S",
            {"status": "running"},
            condition="#s = :p",
            values={":p": "pending"},
            names={"#s": "status"},
        )
        is None
    )
    assert state.update("P", "S", {"note": 1.5})["note"] == 1.5  # type: ignore[index]


def claim(state: StateStore, now: float) -> bool:
    return state.claim_once("work", "item-1", now=now, lease_s=900, keep_s=86400)


def test_claim_once_first_claim_wins_and_a_live_lease_blocks_others(state: StateStore) -> None:
    assert claim(state, NOW)
    assert not claim(state, NOW + 1)
    assert not claim(state, NOW + 899)


def test_claim_once_a_dead_workers_expired_lease_can_be_claimed_again(state: StateStore) -> None:
    assert claim(state, NOW)
    assert claim(state, NOW + 901)
    assert not claim(state, NOW + 902)


def test_claim_once_completed_work_is_never_claimed_again(state: StateStore) -> None:
    assert claim(state, NOW)
    state.complete_once("work", "item-1", result={"answer": "ok"})
    assert not claim(state, NOW + 1)
    assert not claim(state, NOW + 10_000)
    record = state.get(once_pk("work", "item-1"), "ONCE")
    assert record is not None
    assert (record["status"], record["answer"]) == ("done", "ok")
    assert record["expires_at"] == int(NOW) + 86400


def test_release_once_lets_a_retry_claim(state: StateStore) -> None:
    assert claim(state, NOW)
    state.release_once("work", "item-1")
    assert claim(state, NOW + 1)


def test_claims_of_different_keys_are_independent(state: StateStore) -> None:
    assert state.claim_once("work", "a", now=NOW, lease_s=900, keep_s=60)
    assert state.claim_once("work", "b", now=NOW, lease_s=900, keep_s=60)
    assert state.claim_once("alarm", "a", now=NOW, lease_s=900, keep_s=60)
