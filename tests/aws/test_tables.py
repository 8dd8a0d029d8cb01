"""describe_status against moto, and against botocore's Stubber where moto does not page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.replicas import scan_alarms
from bot.aws.tables import describe_status, newest_backup, pitr_window
from bot.domain.errors import TableNotFound
from tests.conftest import REGION, table_alarm

TABLE_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"


def create_orders(dynamodb: Any, *, provisioned: bool) -> None:
    billing: dict[str, Any] = (
        {"ProvisionedThroughput": {"ReadCapacityUnits": 50, "WriteCapacityUnits": 25}}
        if provisioned
        else {"BillingMode": "PAY_PER_REQUEST"}
    )
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        DeletionProtectionEnabled=True,
        **billing,
    )


def firing_alarm(cloudwatch: Any, name: str, table: str) -> None:
    table_alarm(cloudwatch, name, table, "ReadThrottleEvents", state="ALARM")


def test_describe_status_of_a_protected_table_with_pitr_backup_and_alarm(aws: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    create_orders(dynamodb, provisioned=True)
    dynamodb.update_continuous_backups(
        TableName="orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    dynamodb.create_backup(TableName="orders", BackupName="orders-before-migration")
    firing_alarm(cloudwatch, "orders-read-throttles", "orders")
    firing_alarm(cloudwatch, "other-read-throttles", "other")
    table_alarm(cloudwatch, "orders-quiet", "orders", "SystemErrors")

    status = describe_status(dynamodb, cloudwatch, "orders", REGION)
    # The same alarms firing from a scan the caller makes anyway (`/ddb status` scans the
    # region's alarms once for both): no DescribeAlarms call of its own.
    calls: list[str] = []
    cloudwatch.meta.events.register(
        "before-call.*.*", lambda event_name, **_: calls.append(event_name)
    )
    scanned = scan_alarms(cloudwatch)
    assert calls == ["before-call.cloudwatch.DescribeAlarms"]
    from_scan = describe_status(dynamodb, cloudwatch, "orders", REGION, alarms=lambda: scanned)
    assert from_scan == status
    assert calls == ["before-call.cloudwatch.DescribeAlarms"]

    assert (status.name, status.region, status.status) == ("orders", REGION, "ACTIVE")
    assert status.account == "123456789012"
    assert status.billing_mode == "PROVISIONED"
    assert (status.read_capacity, status.write_capacity) == (50, 25)
    assert status.deletion_protection
    assert status.pitr.enabled
    assert status.pitr.earliest is not None
    assert status.pitr.earliest.tzinfo is not None
    assert status.newest_backup is not None
    assert status.newest_backup.name == "orders-before-migration"
    assert status.newest_backup.created.tzinfo is not None
    assert status.alarms_firing == ("orders-read-throttles",)


def test_describe_status_of_an_unprotected_on_demand_table(aws: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_orders(dynamodb, provisioned=False)
    dynamodb.update_table(TableName="orders", DeletionProtectionEnabled=False)
    status = describe_status(
        dynamodb, boto3.client("cloudwatch", region_name=REGION), "orders", REGION
    )
    assert status.billing_mode == "PAY_PER_REQUEST"
    assert (status.read_capacity, status.write_capacity) == (None, None)
    assert not status.pitr.enabled
    assert status.newest_backup is None
    assert status.alarms_firing == ()
    assert not status.deletion_protection


def summary(name: str, created: datetime, backup_type: str = "USER") -> dict[str, Any]:
    return {
        "TableName": "orders",
        "TableId": "e1b2c3d4-0000-0000-0000-000000000000",
        "TableArn": TABLE_ARN,
        "BackupArn": f"{TABLE_ARN}/backup/{name}",
        "BackupName": name,
        "BackupCreationDateTime": created,
        "BackupStatus": "AVAILABLE",
        "BackupType": backup_type,
        "BackupSizeBytes": 1024,
    }


def test_newest_backup_follows_list_backups_pages() -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    page1 = [
        summary("old-1", datetime(2026, 11, 1, tzinfo=UTC)),
        summary("old-2", datetime(2026, 11, 10, tzinfo=UTC), "SYSTEM"),
    ]
    page2 = [
        summary("newest", datetime(2026, 11, 21, 4, 0, tzinfo=UTC), "AWS_BACKUP"),
        summary("old-3", datetime(2026, 11, 15, tzinfo=UTC)),
    ]
    with Stubber(dynamodb) as stub:
        stub.add_response(
            "list_backups",
            {"BackupSummaries": page1, "LastEvaluatedBackupArn": page1[-1]["BackupArn"]},
            {"TableName": "orders", "BackupType": "ALL"},
        )
        stub.add_response(
            "list_backups",
            {"BackupSummaries": page2},
            {
                "TableName": "orders",
                "BackupType": "ALL",
                "ExclusiveStartBackupArn": page1[-1]["BackupArn"],
            },
        )
        found = newest_backup(dynamodb, "orders")
        stub.assert_no_pending_responses()
    assert found is not None
    assert (found.name, found.backup_type) == ("newest", "AWS_BACKUP")
    assert found.created == datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


def test_a_missing_table_is_table_not_found_naming_the_region() -> None:
    dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "describe_table",
            service_error_code="ResourceNotFoundException",
            service_message="Requested resource not found: Table: orders not found",
            http_status_code=400,
            expected_params={"TableName": "orders"},
        )
        with pytest.raises(TableNotFound) as raised:
            describe_status(dynamodb, object(), "orders", "eu-west-1")
    assert "There is no table `orders` in eu-west-1" in raised.value.message


@pytest.mark.parametrize(
    ("response", "enabled", "days"),
    [
        (
            {
                "ContinuousBackupsDescription": {
                    "ContinuousBackupsStatus": "ENABLED",
                    "PointInTimeRecoveryDescription": {
                        "PointInTimeRecoveryStatus": "ENABLED",
                        "RecoveryPeriodInDays": 35,
                        "EarliestRestorableDateTime": datetime(2026, 10, 18, 10, 0),
                        "LatestRestorableDateTime": datetime(2026, 11, 22, 9, 55),
                    },
                }
            },
            True,
            35,
        ),
        (
            {
                "ContinuousBackupsDescription": {
                    "ContinuousBackupsStatus": "ENABLED",
                    "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
                }
            },
            False,
            None,
        ),
        ({}, False, None),
    ],
    ids=["enabled-window", "disabled", "empty-response"],
)
def test_pitr_window_reads_describe_continuous_backups(
    response: dict[str, Any], enabled: bool, days: int | None
) -> None:
    window = pitr_window(response)
    assert window.enabled is enabled
    assert window.recovery_days == days
    if enabled:
        assert window.earliest == datetime(2026, 10, 18, 10, 0, tzinfo=UTC)
        assert window.latest == datetime(2026, 11, 22, 9, 55, tzinfo=UTC)
    else:
        assert window.earliest is None
        assert window.latest is None
