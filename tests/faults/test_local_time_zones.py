"""Retention under the machine's time zone (issue 16, finding 4).

botocore parses AWS timestamps into ``tzlocal()`` datetimes, and Python subtracts a timedelta
from an aware datetime on its wall clock: under a zone with daylight saving, "newest backup
minus 2 days" then lands an hour off across the change, and ``keep-within=2d`` deletes a
backup 47 h 30 min older than the newest (`opsbot local --aws` on a laptop in New York).
Every plan must be the same whatever ``TZ`` the process runs under.

The backups go through botocore's own ListBackups parser (epoch seconds, as DynamoDB's JSON
protocol sends them) and through moto, so the datetimes are the ones opsbot really gets.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from botocore.parsers import JSONParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.aws.backups import list_backups
from bot.domain.backups import from_summary
from bot.domain.policy import parse_policy
from bot.domain.retention import plan_prune
from tests.aws.test_backups import fake_pace
from tests.conftest import REGION

# UTC, two zones with an hour of daylight saving (north and south), one whose change is half
# an hour, one at a half-hour offset without daylight saving, and one far east of UTC.
ZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Auckland",
)
# Instants of daylight-saving changes in 2026 (UTC): New York springs forward on 8 March,
# London on 29 March, Lord Howe turns back half an hour on 5 April and Auckland an hour.
CHANGES = (
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
)


# Each policy with the ages (minutes older than the newest) where an hour's error changes
# its decision: the examples put backups there as often as anywhere else.
POLICIES = {
    "keep-within=2d": 2880,
    "keep-within=36h": 2160,
    "keep-within=1d,keep-daily=3": 1440,
    "keep-hourly=6,keep-within=12h": 720,
    "keep-last=1,min-age=2d": 2880,
}


@st.composite
def ages_near(draw: st.DrawFn, edge: int) -> list[int]:
    """Up to 25 ages: anywhere within six days, or within 90 minutes of ``edge``."""
    anywhere = st.integers(1, 6 * 1440)
    near = st.integers(edge - 90, edge + 90)
    return draw(st.lists(st.one_of(anywhere, near), min_size=1, max_size=25))


@pytest.fixture
def zone() -> Iterator[Any]:
    """A function that switches this process's local time zone; the old one comes back after."""
    before = os.environ.get("TZ")

    def switch(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield switch
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def _list_backups_shape() -> Any:
    model = boto3.session.Session().client("dynamodb", region_name=REGION).meta.service_model
    return model.operation_model("ListBackups").output_shape


SHAPE = _list_backups_shape()


def parsed_backups(created: list[datetime]) -> list[Any]:
    """BackupInfo from a ListBackups body as DynamoDB sends it, parsed by botocore under the
    current TZ (epoch seconds -> tzlocal datetimes)."""
    body = {
        "BackupSummaries": [
            {
                "TableName": "orders",
                "BackupName": f"orders-{n:03d}",
                "BackupArn": f"arn:aws:dynamodb:{REGION}:123456789012:table/orders/backup/{n:03d}",
                "BackupCreationDateTime": at.timestamp(),
                "BackupStatus": "AVAILABLE",
                "BackupType": "USER",
                "BackupSizeBytes": 1024,
            }
            for n, at in enumerate(created)
        ]
    }
    response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()}
    parsed = JSONParser().parse(response, SHAPE)
    return [from_summary(s) for s in parsed["BackupSummaries"]]


def decisions(created: list[datetime], policy: str, now: datetime) -> list[tuple[str, bool]]:
    plan = plan_prune(parsed_backups(created), parse_policy(policy), now)
    return sorted((d.backup.name, d.keep) for d in plan.decisions)


def test_keep_within_keeps_a_backup_47_hours_older_than_the_newest_across_a_dst_change(
    zone: Any,
) -> None:
    newest = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # the day after New York's change
    created = [newest, newest - timedelta(hours=47, minutes=30)]
    zone("America/New_York")
    kept = decisions(created, "keep-within=2d", newest + timedelta(hours=1))
    assert kept == [("orders-000", True), ("orders-001", True)]


@pytest.mark.parametrize("name", ZONES[1:])
def test_backups_read_from_aws_are_held_in_utc(zone: Any, name: str) -> None:
    zone(name)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # no zone of ZONES[1:] is at UTC then
    (backup,) = parsed_backups([summer])
    assert backup.created.utcoffset() == timedelta(0)
    assert backup.created == summer


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    change=st.sampled_from(CHANGES),
    # The newest backup from a little before a change to three days after it.
    offset_min=st.integers(-600, 3 * 1440),
    policy=st.sampled_from(sorted(POLICIES)),
    data=st.data(),
)
def test_the_plan_is_the_same_under_every_local_time_zone(
    zone: Any, change: datetime, offset_min: int, policy: str, data: st.DataObject
) -> None:
    ages_min = data.draw(ages_near(POLICIES[policy]))
    newest = change + timedelta(minutes=offset_min)
    created = [newest, *(newest - timedelta(minutes=m) for m in ages_min)]
    now = newest + timedelta(hours=3)
    zone("UTC")
    expected = decisions(created, policy, now)
    for name in ZONES[1:]:
        zone(name)
        assert decisions(created, policy, now) == expected, name


def test_a_prune_listed_from_moto_plans_the_same_in_new_york_and_in_utc(
    runtime: Any, zone: Any
) -> None:
    """The same, end to end through the adapter: moto stores the backups, botocore reads them."""
    client = runtime.client("dynamodb")
    client.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    newest = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    for name, age in (("new", timedelta(0)), ("old", timedelta(hours=47, minutes=30))):
        with time_machine.travel(newest - age, tick=False):
            client.create_backup(TableName="orders", BackupName=f"orders-{name}")
    pace = fake_pace()
    plans = {}
    for name in ("UTC", "America/New_York", "Australia/Lord_Howe"):
        zone(name)
        found = list_backups(client, "orders", region=REGION, pace=pace)
        plan = plan_prune(found, parse_policy("keep-within=2d"), newest + timedelta(hours=1))
        plans[name] = sorted((d.backup.name, d.keep) for d in plan.decisions)
    assert plans["UTC"] == [("orders-new", True), ("orders-old", True)]
    assert plans["America/New_York"] == plans["UTC"] == plans["Australia/Lord_Howe"]
