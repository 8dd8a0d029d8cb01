"""The pure pieces of organisation scale: prune tasks keyed by account, watched tables
naming an account, restore jobs remembering theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.prune_jobs import PruneTask
from bot.domain.refs import TableRef, parse_watched_table
from bot.domain.restore_jobs import RestoreJob


def test_prune_tasks_of_two_accounts_have_different_keys_and_round_trip() -> None:
    prod = PruneTask("run-1", "us-west-2", "orders", "keep-last=1", account="210987654321")
    staging = PruneTask("run-1", "us-west-2", "orders", "keep-last=1", account="333344445555")
    home = PruneTask("run-1", "us-west-2", "orders", "keep-last=1")
    assert len({prod.key, staging.key, home.key}) == 3
    assert home.key == "us-west-2#orders"  # unchanged for a single-account deployment
    assert PruneTask.from_json(prod.to_json()) == prod
    assert "account" not in home.to_json()


@pytest.mark.parametrize("bad", ["12345", "../x", 210987654321], ids=["short", "path", "number"])
def test_a_prune_task_with_a_malformed_account_is_bad_input(bad: object) -> None:
    body = PruneTask("run-1", "us-west-2", "orders", "keep-last=1").to_json()
    tampered = body[:-1] + f',"account":{json_value(bad)}}}'
    with pytest.raises(InvalidValue, match="12-digit"):
        PruneTask.from_json(tampered)


def json_value(value: object) -> str:
    return json.dumps(value)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("orders@payments-prod/us-west-2", TableRef("orders", "us-west-2", "payments-prod")),
        ("orders@210987654321/eu-west-1", TableRef("orders", "eu-west-1", "210987654321")),
    ],
    ids=["alias", "account-id"],
)
def test_watched_tables_may_name_an_account(text: str, ref: TableRef) -> None:
    assert parse_watched_table(text) == ref


@pytest.mark.parametrize("bad", ["orders@/us-west-2", "orders@Prod!/us-west-2", "orders@p/moon"])
def test_watched_tables_refuse_a_malformed_account(bad: str) -> None:
    with pytest.raises(InvalidValue):
        parse_watched_table(bad)


def test_a_restore_job_remembers_its_account() -> None:
    job = RestoreJob(
        id="20261122T100000Z-ab12cd",
        source_table="orders",
        region="us-west-2",
        target="orders-restored",
        kind="pitr",
        requester="U0ADMIN01",
        channel="C0OPSBOT1",
        thread_ts="1.2",
        started_at=datetime(2026, 11, 22, 10, tzinfo=UTC),
        account="210987654321",
    )
    assert RestoreJob.from_record(job.id, job.to_record()).account == "210987654321"
    home = RestoreJob.from_record(job.id, {**job.to_record(), "account": None})
    assert home.account == ""
