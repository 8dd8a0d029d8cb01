"""Conditional-write conflicts on the state table: two workers (two Lambda containers, each
with its own DynamoDB client) reach the same conditional write at the same moment, and
exactly one wins.

A barrier in a ``before-call`` hook holds each worker until both are about to send, so the
writes really meet. moto does not serialize writes to one item the way DynamoDB does, so the
``serialized_writes`` fixture gives its write operations one lock: DynamoDB's per-item
atomicity, not ours, is what it stands for; the conditions under test are ours.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import pytest

from bot.aws.plans import claim_plan, create_plan, load_plan
from bot.aws.state import StateStore
from bot.aws.work_queue import WorkItem
from bot.domain.confirmations import Plan, button_value
from bot.domain.errors import ConfirmationInvalid
from bot.flows import registry
from bot.flows.registry import Request
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import prune_scheduler, prune_worker, slack_worker
from tests.conftest import ADMIN, BOT_TOKEN, REGION, SIGNING_SECRET, Clock
from tests.faults.conftest import create_table, sqs_records

WORKERS = 2


@pytest.fixture(autouse=True)
def serialized_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's DynamoDB writes, one at a time (DynamoDB applies each item write atomically)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        real = getattr(DynamoDBBackend, name)

        def serialized(self: Any, *args: Any, __real: Any = real, **kwargs: Any) -> Any:
            with lock:
                return __real(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialized)


def meet_at(operation: str, match: Callable[[dict[str, Any]], bool]) -> Callable[[Any], None]:
    """A hook installer: each worker's matching ``operation`` waits until both are there."""
    barrier = threading.Barrier(WORKERS, timeout=10)

    def install(client: Any) -> None:
        def wait(params: dict[str, Any], **_: Any) -> None:
            if match(params):
                barrier.wait()

        client.meta.events.register(f"before-call.dynamodb.{operation}", wait)

    return install


def key_of(params: dict[str, Any]) -> str:
    item = params.get("Item") or params.get("Key") or {}
    return str(item.get("pk", {}).get("S", ""))


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once in threads; each result, or the exception it raised."""

    def outcome(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(outcome, calls))


def worker_store(runtime: Runtime, install: Callable[[Any], None]) -> StateStore:
    """The state table as another container sees it: its own client, the hook installed."""
    client = boto3.client("dynamodb", region_name=REGION)
    install(client)
    return StateStore(client, runtime.settings.state_table)


def test_two_workers_claiming_the_same_delivery_at_once_one_wins(runtime: Runtime) -> None:
    now = runtime.epoch()

    def claim(store: StateStore, key: str) -> Callable[[], bool]:
        return lambda: store.claim_once("work", key, now=now, lease_s=60, keep_s=600)

    for n in range(10):  # ten races, each between two fresh containers
        key = f"item-{n}"
        install = meet_at("PutItem", lambda p, k=key: key_of(p) == f"ONCE#work#{k}")
        a, b = worker_store(runtime, install), worker_store(runtime, install)
        won = race(claim(a, key), claim(b, key))
        assert sorted(won) == [False, True], won


def test_two_workers_taking_over_an_expired_lease_at_once_one_wins(runtime: Runtime) -> None:
    now = runtime.epoch()
    assert runtime.state.claim_once("work", "dead", now=now, lease_s=60, keep_s=600)
    install = meet_at("PutItem", lambda p: key_of(p) == "ONCE#work#dead")
    a, b = worker_store(runtime, install), worker_store(runtime, install)
    later = now + 120  # the first worker died; its lease ran out
    won = race(
        lambda: a.claim_once("work", "dead", now=later, lease_s=60, keep_s=600),
        lambda: b.claim_once("work", "dead", now=later, lease_s=60, keep_s=600),
    )
    assert sorted(won) == [False, True], won


def _plan(runtime: Runtime) -> Plan:
    return create_plan(
        runtime.state,
        kind="race-kind",
        action="prune:apply",
        requester=ADMIN,
        channel="C0OPSBOT1",
        now=runtime.now(),
        ttl_s=900,
        summary="delete 3 backups of `orders`",
        payload={"table": "orders"},
    )


def test_two_presses_of_confirm_claimed_at_once_run_the_plan_once(runtime: Runtime) -> None:
    plan = _plan(runtime)
    install = meet_at("UpdateItem", lambda p: key_of(p) == f"PLAN#{plan.id}")
    a, b = worker_store(runtime, install), worker_store(runtime, install)
    now = runtime.now()
    results = race(
        lambda: claim_plan(a, plan.id, ADMIN, now, to="running"),
        lambda: claim_plan(b, plan.id, ADMIN, now, to="running"),
    )
    assert sum(isinstance(r, Plan) for r in results) == 1, results
    assert sum(isinstance(r, ConfirmationInvalid) for r in results) == 1, results


@pytest.fixture
def plan_runs() -> Iterator[list[str]]:
    runs: list[str] = []

    @registry.plan_executor("race-kind")
    def run_race_plan(plan: Plan, request: Request) -> None:
        runs.append(plan.id)

    yield runs
    registry.PLANS.pop("race-kind", None)


def second_container(runtime: Runtime, clock: Clock) -> Runtime:
    """Another Lambda container of the same function: its own clients, the same AWS and Slack."""
    from bot.aws.secrets import SlackCredentials

    return Runtime(
        runtime.settings,
        clock=clock,
        credentials_override=SlackCredentials(BOT_TOKEN, SIGNING_SECRET),
    )


def test_a_confirm_delivered_to_two_containers_at_once_runs_once(
    runtime: Runtime, slack: SlackSink, clock: Clock, plan_runs: list[str]
) -> None:
    plan = _plan(runtime)
    item = WorkItem(
        kind="action",
        user=ADMIN,
        channel="C0OPSBOT1",
        action_id="confirm",
        value=button_value(plan.id, ADMIN),
    )
    other = second_container(runtime, clock)
    # Two different SQS deliveries of two presses (two work items) meet at the plan's claim.
    install = meet_at("UpdateItem", lambda p: key_of(p) == f"PLAN#{plan.id}")
    for container in (runtime, other):
        install(container.client("dynamodb"))
        container.notifier.groups_of(ADMIN, container.settings.access.group_ids)
    twin = replace(item, id="second-press")
    results = race(
        lambda: slack_worker.handle(
            {"Records": [{"messageId": "1", "body": item.to_json()}]}, runtime
        ),
        lambda: slack_worker.handle(
            {"Records": [{"messageId": "2", "body": twin.to_json()}]}, other
        ),
    )
    assert results == [{"batchItemFailures": []}] * 2
    assert plan_runs == [plan.id]
    stored = load_plan(runtime.state, plan.id)
    assert stored is not None
    assert stored.status == "done"
    texts = [c["text"] for c in slack.calls_to("chat.postEphemeral")]
    assert sum("already used" in t for t in texts) == 1, texts


def test_the_last_two_tables_reporting_at_once_post_one_digest(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    from bot.aws.backups import BackupPace
    from tests.aws.test_backups import FakeTime

    url = runtime.client("sqs").create_queue(QueueName="opsbot-prune")["QueueUrl"]
    runtime.settings = replace(
        runtime.settings, prune_queue_url=url, prune_mode="report", regions=(REGION,)
    )
    for table in ("orders", "customers"):
        create_table(table, tag="keep-last=1")
    prune_scheduler.handle({"id": "race-run", "time": "2026-11-22T03:00:00Z"}, runtime)
    every = list(sqs_records(runtime, url))
    # The state table has no policy: its worker reports it left alone before the race.
    (state_table,) = [r for r in every if json.loads(r["body"])["table"] == "opsbot-state"]
    records = [r for r in every if r is not state_table]
    assert len(records) == 2
    other = second_container(runtime, clock)
    for container in (runtime, other):
        fake = FakeTime()
        container.extras["backup_pace"] = BackupPace.with_clock(fake.clock, fake.sleep)
    assert prune_worker.handle({"Records": [state_table]}, runtime) == {"batchItemFailures": []}
    install = meet_at("PutItem", lambda p: key_of(p).startswith("ONCE#prune-digest#"))
    install(runtime.client("dynamodb"))
    install(other.client("dynamodb"))
    results = race(
        lambda: prune_worker.handle({"Records": [records[0]]}, runtime),
        lambda: prune_worker.handle({"Records": [records[1]]}, other),
    )
    assert results == [{"batchItemFailures": []}] * 2  # both met at the digest's claim
    digests = [c for c in slack.calls_to("chat.postMessage") if "Backup prune" in c["text"]]
    assert len(digests) == 1, [d["text"] for d in digests]
