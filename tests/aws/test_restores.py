"""Starting a restore when AWS's answer to the first attempt was lost (Stubber: moto never
loses an answer). botocore's retry then meets the table that first attempt created."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.restores import StartedRestore, start_restore
from bot.domain.errors import Conflict
from bot.domain.restores import RestorePlan

REGION = "us-west-2"
AT = datetime(2026, 11, 22, 9, 42, tzinfo=UTC)
SOURCE_ARN = f"arn:aws:dynamodb:{REGION}:123456789012:table/orders"
TARGET_ARN = f"arn:aws:dynamodb:{REGION}:123456789012:table/orders-before-migration"
BACKUP_ARN = f"{SOURCE_ARN}/backup/01763799720000-a1b2c3d4"
PITR = RestorePlan("orders", REGION, "orders-before-migration", "pitr", at=AT)
FROM_BACKUP = RestorePlan(
    "orders", REGION, "orders-before-migration", "backup", backup_arn=BACKUP_ARN
)


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _already_exists(stubber: Stubber, operation: str) -> None:
    stubber.add_client_error(
        operation,
        service_error_code="TableAlreadyExistsException",
        service_message="Table already exists: orders-before-migration",
        http_status_code=400,
    )


def _target(summary: dict[str, Any]) -> dict[str, Any]:
    """DescribeTable of the new table as AWS documents it while a restore runs."""
    return {
        "Table": {
            "TableName": "orders-before-migration",
            "TableArn": TARGET_ARN,
            "TableStatus": "CREATING",
            "CreationDateTime": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
            "RestoreSummary": summary,
        }
    }


def test_a_pitr_restore_whose_answer_was_lost_is_followed_not_reported_as_existing(
    dynamodb: tuple[Any, Stubber],
) -> None:
    client, stubber = dynamodb
    _already_exists(stubber, "restore_table_to_point_in_time")
    stubber.add_response(
        "describe_table",
        _target({"SourceTableArn": SOURCE_ARN, "RestoreDateTime": AT, "RestoreInProgress": True}),
        {"TableName": "orders-before-migration"},
    )
    assert start_restore(client, PITR) == StartedRestore("", TARGET_ARN, "CREATING")


def test_a_backup_restore_whose_answer_was_lost_is_followed(
    dynamodb: tuple[Any, Stubber],
) -> None:
    client, stubber = dynamodb
    _already_exists(stubber, "restore_table_from_backup")
    stubber.add_response(
        "describe_table",
        _target(
            {
                "SourceBackupArn": BACKUP_ARN,
                "SourceTableArn": SOURCE_ARN,
                "RestoreDateTime": AT,
                "RestoreInProgress": True,
            }
        ),
    )
    assert start_restore(client, FROM_BACKUP).target_arn == TARGET_ARN


@pytest.mark.parametrize(
    "summary",
    [
        {"SourceTableArn": SOURCE_ARN, "RestoreDateTime": AT, "RestoreInProgress": False},
        {
            "SourceTableArn": SOURCE_ARN.replace("/orders", "/invoices"),
            "RestoreDateTime": AT,
            "RestoreInProgress": True,
        },
        {
            "SourceTableArn": SOURCE_ARN,
            "RestoreDateTime": datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
            "RestoreInProgress": True,
        },
        None,
    ],
    ids=["restore-finished", "other-source", "other-time", "not-a-restore"],
)
def test_a_table_that_is_not_this_restore_is_still_a_conflict(
    dynamodb: tuple[Any, Stubber], summary: dict[str, Any] | None
) -> None:
    client, stubber = dynamodb
    _already_exists(stubber, "restore_table_to_point_in_time")
    described = _target(summary or {})
    if summary is None:
        del described["Table"]["RestoreSummary"]
    stubber.add_response("describe_table", described)
    with pytest.raises(Conflict, match="already exists"):
        start_restore(client, PITR)
