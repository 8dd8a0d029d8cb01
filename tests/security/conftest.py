"""Fixtures of the security suite: a table with back-dated backups and an AWS call counter."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import boto3
import pytest
import time_machine

from bot.aws.backups import BackupPace
from bot.runtime import Runtime
from tests.aws.test_backups import FakeTime
from tests.conftest import REGION, Clock
from tests.functions.test_prune_scheduled import nightly  # noqa: F401 (a fixture used here too)

# With keep-daily=3 the newest backup of each of the three newest days is kept; the
# other five are planned for deletion.
AGES = {
    "orders-1h": timedelta(hours=1),
    "orders-5h": timedelta(hours=5),
    "orders-1d": timedelta(days=1),
    "orders-2d": timedelta(days=2),
    "orders-3d": timedelta(days=3),
    "orders-10d": timedelta(days=10),
    "orders-40d": timedelta(days=40),
    "orders-100d": timedelta(days=100),
}
PLANNED = frozenset({"orders-5h", "orders-3d", "orders-10d", "orders-40d", "orders-100d"})


def backup_names(table: str = "orders") -> set[str]:
    """The names of a table's backups that still exist."""
    client = boto3.client("dynamodb", region_name=REGION)
    summaries = client.list_backups(TableName=table)["BackupSummaries"]
    return {s["BackupName"] for s in summaries if s["BackupStatus"] != "DELETED"}


@pytest.fixture
def orders(runtime: Runtime, clock: Clock) -> Runtime:
    """The orders table (tag keep-daily=3) with eight back-dated backups."""
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "opsbot:retention", "Value": "keep-daily=3"}],
    )
    for name, age in sorted(AGES.items(), key=lambda item: item[1], reverse=True):
        with time_machine.travel(clock.current - age, tick=False):
            client.create_backup(TableName="orders", BackupName=name)
    return runtime


@pytest.fixture
def aws_calls(runtime: Runtime) -> Counter[str]:
    """Every AWS operation the runtime's clients make, counted by name."""
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    runtime.clients.on_event("before-call.*.*", count)
    return calls
