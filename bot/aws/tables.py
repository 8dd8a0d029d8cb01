"""Tables: describe one for `/ddb status` (DescribeTable, DescribeContinuousBackups,
ListBackups, DescribeAlarms), mapping ClientError to domain errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.clients import utc
from bot.aws.errors import error_code, translate
from bot.domain.replicas import AlarmInfo, firing_on
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus


def find_table(dynamodb: Any, table: str, region: str) -> dict[str, Any] | None:
    """The table's description (DescribeTable's `Table`), or None when there is no such table
    in that region; other errors are translated."""
    try:
        return dict(dynamodb.describe_table(TableName=table)["Table"])
    except ClientError as exc:
        if error_code(exc) in ("ResourceNotFoundException", "TableNotFoundException"):
            return None
        raise translate(exc, table=table, region=region) from exc


def describe_status(
    dynamodb: Any,
    cloudwatch: Any,
    table: str,
    region: str,
    *,
    alarms: Callable[[], Sequence[AlarmInfo]] | None = None,
    description: Mapping[str, Any] | None = None,
) -> TableStatus:
    """Everything `/ddb status` shows, in four calls (more only when lists span pages).

    ``alarms`` returns the region's metric alarms when the caller scans them anyway; the
    alarms firing then come from that scan, after the table is found, instead of their own
    DescribeAlarms call. ``description`` is the table's DescribeTable answer when the caller
    has it already (finding which region holds the table).
    """
    try:
        if description is None:
            description = dynamodb.describe_table(TableName=table)["Table"]
        continuous = dynamodb.describe_continuous_backups(TableName=table)
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    throughput = description.get("ProvisionedThroughput") or {}
    billing = (description.get("BillingModeSummary") or {}).get("BillingMode") or (
        "PAY_PER_REQUEST" if not throughput.get("ReadCapacityUnits") else "PROVISIONED"
    )
    stream = description.get("StreamSpecification") or {}
    return TableStatus(
        name=table,
        region=region,
        account=_account_of(description.get("TableArn", "")),
        status=description.get("TableStatus", "UNKNOWN"),
        billing_mode=billing,
        item_count=int(description.get("ItemCount", 0)),
        size_bytes=int(description.get("TableSizeBytes", 0)),
        read_capacity=throughput.get("ReadCapacityUnits") if billing == "PROVISIONED" else None,
        write_capacity=throughput.get("WriteCapacityUnits") if billing == "PROVISIONED" else None,
        deletion_protection=bool(description.get("DeletionProtectionEnabled", False)),
        pitr=pitr_window(continuous),
        newest_backup=newest_backup(dynamodb, table),
        alarms_firing=(
            alarms_firing(cloudwatch, table) if alarms is None else firing_on(alarms(), table)
        ),
        replica_regions=tuple(r.get("RegionName", "") for r in description.get("Replicas", [])),
        table_class=(description.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
        stream=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        index_names=tuple(
            str(index["IndexName"])
            for index in description.get("GlobalSecondaryIndexes") or []
            if index.get("IndexName")
        ),
    )


def pitr_window(continuous: dict[str, Any]) -> PitrWindow:
    """The PITR window from a DescribeContinuousBackups response."""
    description = (continuous.get("ContinuousBackupsDescription") or {}).get(
        "PointInTimeRecoveryDescription"
    ) or {}
    enabled = description.get("PointInTimeRecoveryStatus") == "ENABLED"
    return PitrWindow(
        enabled=enabled,
        earliest=utc(description.get("EarliestRestorableDateTime")) if enabled else None,
        latest=utc(description.get("LatestRestorableDateTime")) if enabled else None,
        recovery_days=description.get("RecoveryPeriodInDays") if enabled else None,
    )


def newest_backup(dynamodb: Any, table: str) -> NewestBackup | None:
    """The newest backup of any type, following every ListBackups page."""
    newest: dict[str, Any] | None = None
    kwargs: dict[str, Any] = {"TableName": table, "BackupType": "ALL"}
    while True:
        page = dynamodb.list_backups(**kwargs)
        for summary in page.get("BackupSummaries", []):
            if (
                newest is None
                or summary["BackupCreationDateTime"] > newest["BackupCreationDateTime"]
            ):
                newest = summary
        last = page.get("LastEvaluatedBackupArn")
        if not last:
            break
        kwargs["ExclusiveStartBackupArn"] = last
    if newest is None:
        return None
    return NewestBackup(
        name=newest.get("BackupName", ""),
        created=utc(newest["BackupCreationDateTime"]) or datetime.now(UTC),
        backup_type=newest.get("BackupType", "USER"),
    )


def alarms_firing(cloudwatch: Any, table: str) -> tuple[str, ...]:
    """Names of the metric alarms in ALARM whose TableName dimension is this table."""
    names = []
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(StateValue="ALARM", AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            if _alarm_table(alarm) == table:
                names.append(alarm["AlarmName"])
    return tuple(sorted(names))


def _alarm_table(alarm: dict[str, Any]) -> str | None:
    dimensions = list(alarm.get("Dimensions") or [])
    for metric in alarm.get("Metrics") or []:
        dimensions += ((metric.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
    for dimension in dimensions:
        if dimension.get("Name") == "TableName":
            return str(dimension.get("Value"))
    return None


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
