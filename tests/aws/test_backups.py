"""The backups adapter: moto for the happy paths, botocore Stubber for paging, filters and
the errors moto does not produce; rate limits on an injected clock (no wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import boto3
import pytest
import time_machine
from botocore.stub import ANY, Stubber

from bot.aws.backups import (
    BackupPace,
    RateLimiter,
    caller_account,
    create_backup,
    delete_backup,
    delete_backups,
    list_backups,
    list_tables,
    retention_tag,
    table_arn,
)
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.errors import Conflict, LimitReached, OpsbotError, TableNotFound
from tests.conftest import REGION

ACCOUNT = "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class FakeTime:
    """A clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fake_pace(time: FakeTime | None = None) -> BackupPace:
    time = time or FakeTime()
    return BackupPace.with_clock(time.clock, time.sleep)


def backup_arn(n: int, table: str = "orders") -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/backup/{n:014d}-{n:08x}"


def summary(n: int, *, kind: str = "USER", age_days: float = 0.0) -> dict[str, Any]:
    """One BackupSummaries entry, shaped as the ListBackups API reference documents it."""
    return {
        "TableName": "orders",
        "TableId": "e8f1c7a2-0000-4000-8000-000000000001",
        "TableArn": TABLE_ARN,
        "BackupArn": backup_arn(n),
        "BackupName": f"orders-{n:04d}",
        "BackupCreationDateTime": NOW - timedelta(days=age_days, minutes=n),
        "BackupStatus": "AVAILABLE",
        "BackupType": kind,
        "BackupSizeBytes": 1024 * n,
    }


def client_error(code: str, message: str = "") -> dict[str, Any]:
    return {"service_error_code": code, "service_message": message or code}


@pytest.fixture
def dynamodb() -> Any:
    """A client that never leaves the process (Stubber answers every call)."""
    return boto3.client("dynamodb", region_name=REGION)


# --- ListBackups --------------------------------------------------------------------------


def test_list_backups_follows_every_page_and_sorts_newest_first(dynamodb: Any) -> None:
    pages = [[summary(n) for n in range(i, i + 100)] for i in (1, 101, 201)]
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "list_backups",
            {"BackupSummaries": pages[0], "LastEvaluatedBackupArn": backup_arn(100)},
            {"TableName": "orders", "BackupType": "ALL"},
        )
        stub.add_response(
            "list_backups",
            {"BackupSummaries": pages[1], "LastEvaluatedBackupArn": backup_arn(200)},
            {
                "TableName": "orders",
                "BackupType": "ALL",
                "ExclusiveStartBackupArn": backup_arn(100),
            },
        )
        stub.add_response(
            "list_backups",
            {"BackupSummaries": pages[2]},
            {
                "TableName": "orders",
                "BackupType": "ALL",
                "ExclusiveStartBackupArn": backup_arn(200),
            },
        )
        found = list_backups(dynamodb, "orders", pace=fake_pace())
        stub.assert_no_pending_responses()
    assert len(found) == 300
    assert [b.name for b in found[:2]] == ["orders-0001", "orders-0002"]
    assert found == sorted(found, key=lambda b: b.created, reverse=True)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("user", "USER"), ("system", "SYSTEM"), ("aws-backup", "AWS_BACKUP"), ("all", "ALL")],
    ids=["user", "system", "aws-backup", "all"],
)
def test_list_backups_sends_the_type_filter_and_since_as_lower_bound(
    dynamodb: Any, typed: str, sent: str
) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "list_backups",
            {"BackupSummaries": [summary(1, kind="USER" if sent == "ALL" else sent)]},
            {
                "TableName": "orders",
                "BackupType": sent,
                "TimeRangeLowerBound": NOW - timedelta(days=30),
            },
        )
        found = list_backups(
            dynamodb,
            "orders",
            backup_type=typed,
            since=timedelta(days=30),
            now=NOW,
            pace=fake_pace(),
        )
    assert [b.name for b in found] == ["orders-0001"]


def test_list_backups_drops_what_an_api_ignoring_the_filters_returns(dynamodb: Any) -> None:
    # ListBackups on moto ignores BackupType and the TimeRange (DESIGN.md section 8).
    returned = [
        summary(1, age_days=1),
        summary(2, kind="SYSTEM", age_days=2),
        summary(3, age_days=40),
        summary(4, age_days=0.5),
    ]
    with Stubber(dynamodb) as stub:
        stub.add_response("list_backups", {"BackupSummaries": returned})
        found = list_backups(
            dynamodb,
            "orders",
            backup_type="user",
            since=timedelta(days=30),
            now=NOW,
            until=NOW - timedelta(days=1),
            pace=fake_pace(),
        )
    # from 30 days back (inclusive) to the upper bound (exclusive), USER only
    assert [b.name for b in found] == ["orders-0001"]


def test_list_backups_access_denied_is_a_clear_error(dynamodb: Any) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_client_error("list_backups", **client_error("AccessDeniedException", "no"))
        with pytest.raises(OpsbotError, match="opsbot's AWS role may not do this in us-west-2"):
            list_backups(dynamodb, "orders", region=REGION, pace=fake_pace())


def test_list_backups_makes_at_most_five_calls_a_second(dynamodb: Any) -> None:
    time = FakeTime()
    calls: list[float] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.ListBackups", lambda **_: calls.append(time.now)
    )
    with Stubber(dynamodb) as stub:
        for n in range(1, 21):
            page: dict[str, Any] = {"BackupSummaries": [summary(n)]}
            if n < 20:
                page["LastEvaluatedBackupArn"] = backup_arn(n)
            stub.add_response("list_backups", page)
        list_backups(dynamodb, "orders", pace=fake_pace(time))
    assert len(calls) == 20
    assert all(later - earlier >= 0.2 - 1e-9 for earlier, later in pairwise(calls))
    for start in calls:
        assert sum(1 for t in calls if start <= t < start + 1.0) <= 5
    assert calls[-1] - calls[0] == pytest.approx(19 * 0.2)


def test_rate_limiter_does_not_sleep_when_calls_are_already_spaced() -> None:
    time = FakeTime()
    limiter = RateLimiter(10, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        limiter.wait()
        time.now += 0.5
    assert time.sleeps == []


# --- CreateBackup -------------------------------------------------------------------------


def create_orders(client: Any, *, tags: list[dict[str, str]] | None = None) -> None:
    client.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tags or [],
    )


def test_create_backup_starts_a_backup_and_returns_its_request_id(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    create_orders(client)
    created = create_backup(client, "orders", "orders-before-migration")
    assert created.backup.name == "orders-before-migration"
    assert created.backup.table == "orders"
    assert created.backup.type is BackupType.USER
    assert created.request_id
    listed = list_backups(client, "orders", pace=fake_pace())
    assert [b.arn for b in listed] == [created.backup.arn]


def test_create_backup_of_a_missing_table_says_so(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    with pytest.raises(TableNotFound, match="There is no table `nope` in us-west-2"):
        create_backup(client, "nope", "nope-backup", region=REGION)


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        ("BackupInUseException", Conflict, "is already being created"),
        ("ContinuousBackupsUnavailableException", Conflict, "are not available right now"),
        ("LimitExceededException", LimitReached, "too many backups or table operations"),
        ("TableInUseException", Conflict, "is being created, updated or deleted"),
    ],
    ids=["backup-in-progress", "continuous-backups-unavailable", "limit", "table-in-use"],
)
def test_create_backup_errors_are_explained(
    dynamodb: Any, code: str, error: type[OpsbotError], text: str
) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_client_error("create_backup", **client_error(code))
        with pytest.raises(error, match=text):
            create_backup(dynamodb, "orders", "orders-x", region=REGION)


# --- DeleteBackup -------------------------------------------------------------------------


def delete_response(n: int) -> dict[str, Any]:
    return {
        "BackupDescription": {
            "BackupDetails": {
                "BackupArn": backup_arn(n),
                "BackupName": f"orders-{n:04d}",
                "BackupStatus": "DELETED",
                "BackupType": "USER",
                "BackupCreationDateTime": NOW,
            }
        },
        "ResponseMetadata": {"RequestId": f"REQ{n}", "HTTPStatusCode": 200},
    }


def test_delete_backup_backs_off_on_limit_exceeded_then_succeeds(dynamodb: Any) -> None:
    time = FakeTime()
    with Stubber(dynamodb) as stub:
        stub.add_client_error("delete_backup", **client_error("LimitExceededException"))
        stub.add_client_error("delete_backup", **client_error("ThrottlingException"))
        stub.add_response("delete_backup", delete_response(1), {"BackupArn": backup_arn(1)})
        request_id = delete_backup(dynamodb, backup_arn(1), pace=fake_pace(time))
        stub.assert_no_pending_responses()
    assert request_id == "REQ1"
    assert time.sleeps == [0.5, 1.0]  # exponential backoff; the pace needs no extra wait


def test_delete_backup_gives_up_after_repeated_limits_with_the_reason(dynamodb: Any) -> None:
    with Stubber(dynamodb) as stub:
        for _ in range(6):
            stub.add_client_error("delete_backup", **client_error("LimitExceededException"))
        with pytest.raises(LimitReached, match="kept limiting DeleteBackup"):
            delete_backup(dynamodb, backup_arn(1), pace=fake_pace())


def test_delete_backup_of_an_already_deleted_backup_counts_as_done(dynamodb: Any) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_client_error("delete_backup", **client_error("BackupNotFoundException"))
        assert delete_backup(dynamodb, backup_arn(1), pace=fake_pace()) == ""


def test_delete_backups_records_failures_and_goes_on(dynamodb: Any) -> None:
    backups = [_info(n) for n in (1, 2, 3)]
    attributed: list[tuple[str, str]] = []
    with Stubber(dynamodb) as stub:
        stub.add_response("delete_backup", delete_response(1), {"BackupArn": backup_arn(1)})
        stub.add_client_error(
            "delete_backup", **client_error("BackupInUseException", "restore in progress")
        )
        stub.add_response("delete_backup", delete_response(3), {"BackupArn": backup_arn(3)})
        result = delete_backups(
            dynamodb,
            backups,
            pace=fake_pace(),
            on_deleted=lambda b, rid: attributed.append((b.name, rid)),
        )
    assert [b.name for b in result.deleted] == ["orders-0001", "orders-0003"]
    assert [(b.name, r) for b, r in result.failed] == [
        ("orders-0002", "in use (a restore or another operation is using it): restore in progress")
    ]
    assert attributed == [("orders-0001", "REQ1"), ("orders-0003", "REQ3")]
    assert result.bytes_freed == 4 * 1024


def test_delete_backups_makes_at_most_ten_calls_a_second(dynamodb: Any) -> None:
    time = FakeTime()
    calls: list[float] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.DeleteBackup", lambda **_: calls.append(time.now)
    )
    progress: list[int] = []
    with Stubber(dynamodb) as stub:
        for n in range(1, 51):
            stub.add_response("delete_backup", delete_response(n), {"BackupArn": ANY})
        delete_backups(
            dynamodb,
            [_info(n) for n in range(1, 51)],
            pace=fake_pace(time),
            on_progress=lambda so_far: progress.append(len(so_far.deleted)),
            progress_every=20,
        )
    assert len(calls) == 50
    for start in calls:
        assert sum(1 for t in calls if start <= t < start + 1.0) <= 10
    assert calls[-1] - calls[0] == pytest.approx(49 * 0.1)
    assert progress == [20, 40]


def _info(n: int) -> BackupInfo:
    return BackupInfo(
        backup_arn(n), f"orders-{n:04d}", "orders", NOW, 1024 * n, BackupType.USER, "AVAILABLE"
    )


# --- tables and tags ------------------------------------------------------------------------


def test_list_tables_follows_every_page(dynamodb: Any) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "list_tables",
            {"TableNames": ["a-table", "b-table"], "LastEvaluatedTableName": "b-table"},
        )
        stub.add_response(
            "list_tables",
            {"TableNames": ["c-table"]},
            {"ExclusiveStartTableName": "b-table", "Limit": 100},
        )
        assert list_tables(dynamodb) == ["a-table", "b-table", "c-table"]


def test_retention_tag_reads_the_opsbot_tag_across_pages(dynamodb: Any) -> None:
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "list_tags_of_resource",
            {"Tags": [{"Key": "team", "Value": "payments"}], "NextToken": "t2"},
            {"ResourceArn": TABLE_ARN},
        )
        stub.add_response(
            "list_tags_of_resource",
            {"Tags": [{"Key": "opsbot:retention", "Value": "keep-daily=7"}]},
            {"ResourceArn": TABLE_ARN, "NextToken": "t2"},
        )
        assert retention_tag(dynamodb, TABLE_ARN, pace=fake_pace()) == "keep-daily=7"


def test_table_arn_from_the_caller_identity_matches_moto(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    create_orders(client, tags=[{"Key": "opsbot:retention", "Value": "keep-last=2"}])
    partition, account = caller_account(boto3.client("sts", region_name=REGION))
    arn = table_arn(partition, REGION, account, "orders")
    assert arn == client.describe_table(TableName="orders")["Table"]["TableArn"]
    assert retention_tag(client, arn, pace=fake_pace()) == "keep-last=2"


def test_back_dated_backups_list_with_their_creation_times(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    create_orders(client)
    for days in (30, 2):
        with time_machine.travel(NOW - timedelta(days=days), tick=False):
            client.create_backup(TableName="orders", BackupName=f"orders-{days}d")
    found = list_backups(client, "orders", pace=fake_pace())
    assert [b.name for b in found] == ["orders-2d", "orders-30d"]
    assert abs(found[1].created - (NOW - timedelta(days=30))) < timedelta(seconds=1)


def test_a_250_backup_prune_makes_3_list_and_200_delete_calls_and_nothing_else() -> None:
    from benchmarks.bench_backups import measure

    figures = measure()
    assert figures["aws_calls.prune_250"] == figures["aws_calls.prune_250_minimum"] == 203
    assert figures["aws_calls.prune_250_list_backups"] == 3
    assert figures["aws_calls.prune_250_other"] == 0
