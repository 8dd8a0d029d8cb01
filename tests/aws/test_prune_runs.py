"""Prune run records on moto: counted once per table, checkpoints idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from bot.aws import prune_runs
from bot.aws.state import StateStore
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.retention import PruneOutcome
from tests.conftest import REGION, create_state_table

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture
def state(aws: None) -> StateStore:
    client = boto3.client("dynamodb", region_name=REGION)
    create_state_table(client)
    return StateStore(client, "opsbot-state")


def test_a_table_outcome_counts_once_however_often_it_is_reported(state: StateStore) -> None:
    assert prune_runs.create_run(state, "run1", expected=2, mode="delete", now=NOW)
    assert not prune_runs.create_run(state, "run1", expected=2, mode="delete", now=NOW)
    outcome = PruneOutcome("orders", planned=3, deleted=2, bytes_freed=10, failures=(("b", "x"),))
    assert prune_runs.report_table(state, "run1", "us-west-2#orders", outcome, now=NOW.timestamp())
    assert not prune_runs.report_table(
        state, "run1", "us-west-2#orders", outcome, now=NOW.timestamp()
    )
    run = prune_runs.load_run(state, "run1")
    assert run is not None
    assert (
        run["reported"],
        run["planned"],
        run["deleted"],
        run["bytes_freed"],
        run["failures"],
    ) == (
        1,
        3,
        2,
        10,
        1,
    )
    assert prune_runs.run_outcomes(state, "run1") == [outcome]


def test_reporting_to_a_run_that_does_not_exist_is_refused(state: StateStore) -> None:
    with pytest.raises(LookupError):
        prune_runs.report_table(
            state, "ghost", "us-west-2#orders", PruneOutcome("orders", 0), now=NOW.timestamp()
        )


def test_checkpoints_are_idempotent(state: StateStore) -> None:
    backup = BackupInfo("arn:b1", "b1", "orders", NOW, 42, BackupType.USER, "AVAILABLE")
    for _ in range(2):
        prune_runs.checkpoint_deleted(state, "run1", "us-west-2#orders", backup)
    assert prune_runs.load_done(state, "run1", "us-west-2#orders") == {"arn:b1": 42}
    assert prune_runs.load_done(state, "run1", "us-west-2#other") == {}
