"""Exports to and imports from S3 in AWS: what a table offers an export, the objects an
import reads, start and describe both, where a bucket is, and the job records. Every
function takes its client.

AWS shapes: ExportTableToPointInTime / DescribeExport return an ``ExportDescription``
(ExportStatus IN_PROGRESS | COMPLETED | FAILED, StartTime, EndTime, ItemCount,
BilledSizeBytes, ExportManifest, FailureCode, FailureMessage); ImportTable / DescribeImport
an ``ImportTableDescription`` (ImportStatus IN_PROGRESS | COMPLETED | CANCELLING | CANCELLED
| FAILED, StartTime, EndTime, ImportedItemCount, ProcessedSizeBytes, ErrorCount,
CloudWatchLogGroupArn, FailureCode, FailureMessage).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code, translate
from bot.aws.state import StateStore, job_pk
from bot.aws.tables import pitr_window
from bot.domain.errors import Conflict, LimitReached, OpsbotError, UsageError
from bot.domain.exports import EXPORT_USAGE, ExportPlan, SourceTable
from bot.domain.followed_jobs import RUNNING
from bot.domain.imports import MAX_LISTED, ImportPlan, KeyAttribute
from bot.domain.transfer_jobs import TransferJob, TransferState
from bot.render.message import code, escape

# Job records stay 30 days after they start (`/ddb exports` shows recent ones).
JOB_KEEP_S = 30 * 86400
_NOT_FOUND = ("ResourceNotFoundException", "TableNotFoundException")


def source_table(dynamodb: Any, table: str, region: str) -> SourceTable | None:
    """The table's ARN, size and PITR window (DescribeTable + DescribeContinuousBackups);
    None when the table does not exist."""
    try:
        described = dynamodb.describe_table(TableName=table)["Table"]
        continuous = dynamodb.describe_continuous_backups(TableName=table)
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise translate(exc, table=table, region=region) from exc
    return SourceTable(
        arn=str(described.get("TableArn", "")),
        size_bytes=int(described.get("TableSizeBytes", 0)),
        window=pitr_window(continuous),
    )


def start_export(dynamodb: Any, plan: ExportPlan, *, client_token: str) -> tuple[str, str]:
    """ExportTableToPointInTime; (ExportArn, AWS request id).

    ``client_token`` (the job id) makes a retried call the same export, not a second one:
    AWS answers a repeat within 8 hours with the export the first call started.
    """
    kwargs: dict[str, Any] = {
        "TableArn": plan.table_arn,
        "S3Bucket": plan.bucket,
        "ExportFormat": plan.export_format,
        "ClientToken": client_token,
    }
    if plan.prefix:
        kwargs["S3Prefix"] = plan.prefix
    if plan.incremental:
        spec: dict[str, Any] = {
            "ExportFromTime": plan.start,
            "ExportViewType": "NEW_AND_OLD_IMAGES",
        }
        if plan.end is not None:
            spec["ExportToTime"] = plan.end
        kwargs["ExportType"] = "INCREMENTAL_EXPORT"
        kwargs["IncrementalExportSpecification"] = spec
    else:
        kwargs["ExportType"] = "FULL_EXPORT"
        if plan.at is not None:
            kwargs["ExportTime"] = plan.at
    return _start(
        dynamodb.export_table_to_point_in_time,
        kwargs,
        refused=lambda exc: _export_error(exc, plan),
        description="ExportDescription",
        arn="ExportArn",
    )


def _start(
    operation: Callable[..., Any],
    kwargs: dict[str, Any],
    *,
    refused: Callable[[ClientError], OpsbotError],
    description: str,
    arn: str,
) -> tuple[str, str]:
    """Call the start ``operation`` (ExportTableToPointInTime, ImportTable) with ``kwargs``;
    (the ``arn`` in its ``description``, AWS request id). A refusal raises ``refused(exc)``."""
    try:
        response = operation(**kwargs)
    except ClientError as exc:
        raise refused(exc) from exc
    described = response.get(description) or {}
    request_id = str(response.get("ResponseMetadata", {}).get("RequestId", ""))
    return str(described.get(arn, "")), request_id


def _export_error(exc: ClientError, plan: ExportPlan) -> OpsbotError:
    aws_code = error_code(exc)
    message = escape(str(exc.response.get("Error", {}).get("Message", "")))
    table = code(plan.table)
    if aws_code == "PointInTimeRecoveryUnavailableException":
        return Conflict(f"Point-in-time recovery is off for {table}, so it cannot be exported.")
    if aws_code == "InvalidExportTimeException":
        return UsageError(f"AWS refused the export time: {message}", EXPORT_USAGE)
    if aws_code == "ExportConflictException":
        return Conflict(f"An export of {table} to that place is already running: {message}")
    if aws_code == "LimitExceededException":
        return LimitReached(
            f"AWS allows no more exports of {table} right now: {message}. Try again when one "
            "finishes (`/ddb exports` lists them)."
        )
    return translate(exc, table=plan.table, region=plan.region)


def describe_export(dynamodb: Any, export_arn: str) -> TransferState:
    """DescribeExport, as the job follows it."""
    try:
        described = dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]
    except ClientError as exc:
        if error_code(exc) == "ExportNotFoundException":
            return TransferState("FAILED", failure_message="AWS no longer knows this export")
        raise
    return TransferState(
        status=str(described.get("ExportStatus", "IN_PROGRESS")),
        started_at=_aware(described.get("StartTime")),
        ended_at=_aware(described.get("EndTime")),
        item_count=_int(described.get("ItemCount")),
        billed_bytes=_int(described.get("BilledSizeBytes")),
        manifest=str(described.get("ExportManifest") or ""),
        failure_code=str(described.get("FailureCode") or ""),
        failure_message=str(described.get("FailureMessage") or ""),
    )


def bucket_region(s3: Any, bucket: str) -> str | None:
    """The bucket's region (GetBucketLocation: '' or None means us-east-1, 'EU' eu-west-1);
    None when the bucket does not exist."""
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError as exc:
        if error_code(exc) in ("NoSuchBucket", "404"):
            return None
        raise translate(exc) from exc
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)


def list_source(s3: Any, bucket: str, prefix: str) -> list[tuple[str, int]]:
    """(key, size) of the objects under ``prefix`` (ListObjectsV2, all pages, at most
    MAX_LISTED)."""
    found: list[tuple[str, int]] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
            found += [(str(o["Key"]), int(o.get("Size", 0))) for o in page.get("Contents", [])]
            if len(found) >= MAX_LISTED:
                break
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucket":
            raise Conflict(f"The bucket {code(bucket)} does not exist.") from exc
        raise translate(exc) from exc
    return found


def key_of(
    dynamodb: Any, table: str, region: str
) -> tuple[KeyAttribute, KeyAttribute | None] | None:
    """The table's partition and sort key with their types; None when it does not exist."""
    try:
        described = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise translate(exc, table=table, region=region) from exc
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    keys = {
        k["KeyType"]: KeyAttribute(k["AttributeName"], types[k["AttributeName"]])
        for k in described["KeySchema"]
    }
    return keys["HASH"], keys.get("RANGE")


def start_import(dynamodb: Any, plan: ImportPlan, *, client_token: str) -> tuple[str, str]:
    """ImportTable into the new table (on demand); (ImportArn, AWS request id).
    ``client_token`` (the job id) makes a retried call the same import."""
    keys = [plan.key] + ([plan.sort] if plan.sort else [])
    kwargs: dict[str, Any] = {
        "ClientToken": client_token,
        "S3BucketSource": {"S3Bucket": plan.bucket, "S3KeyPrefix": plan.prefix},
        "InputFormat": plan.data_format,
        "InputCompressionType": plan.compression,
        "TableCreationParameters": {
            "TableName": plan.table,
            "AttributeDefinitions": [
                {"AttributeName": k.name, "AttributeType": k.type} for k in keys
            ],
            "KeySchema": [
                {"AttributeName": k.name, "KeyType": t}
                for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    return _start(
        dynamodb.import_table,
        kwargs,
        refused=lambda exc: _import_error(exc, plan),
        description="ImportTableDescription",
        arn="ImportArn",
    )


def _import_error(exc: ClientError, plan: ImportPlan) -> OpsbotError:
    aws_code = error_code(exc)
    message = escape(str(exc.response.get("Error", {}).get("Message", "")))
    if aws_code in ("ResourceInUseException", "TableAlreadyExistsException"):
        return Conflict(
            f"A table named {code(plan.table)} already exists (or is being created): an "
            f"import never writes into an existing table. {message}"
        )
    if aws_code == "LimitExceededException":
        return LimitReached(
            f"AWS allows no more imports or table creations right now: {message}. Try "
            "again when one finishes."
        )
    if aws_code == "ImportConflictException":
        return Conflict(f"An import into {code(plan.table)} is already running: {message}")
    return translate(exc, table=plan.table, region=plan.region)


def describe_import(dynamodb: Any, import_arn: str) -> TransferState:
    """DescribeImport, as the job follows it."""
    try:
        described = dynamodb.describe_import(ImportArn=import_arn)["ImportTableDescription"]
    except ClientError as exc:
        if error_code(exc) == "ImportNotFoundException":
            return TransferState("FAILED", failure_message="AWS no longer knows this import")
        raise
    return TransferState(
        status=str(described.get("ImportStatus", "IN_PROGRESS")),
        started_at=_aware(described.get("StartTime")),
        ended_at=_aware(described.get("EndTime")),
        item_count=_int(described.get("ImportedItemCount")),
        billed_bytes=_int(described.get("ProcessedSizeBytes")),
        error_count=_int(described.get("ErrorCount")),
        log_group=str(described.get("CloudWatchLogGroupArn") or ""),
        failure_code=str(described.get("FailureCode") or ""),
        failure_message=str(described.get("FailureMessage") or ""),
    )


# ---- job records ---------------------------------------------------------------------------


def save_job(state: StateStore, job: TransferJob, *, now: float) -> None:
    """Write a new job record (pk `JOB#export` or `JOB#import`, sk the job id)."""
    state.put(
        {
            "pk": job_pk(job.kind),
            "sk": job.id,
            **job.to_record(),
            "expires_at": int(now) + JOB_KEEP_S,
        }
    )


def load_job(state: StateStore, kind: str, job_id: str) -> TransferJob | None:
    """A job record of ``kind``, or None."""
    record = state.get(job_pk(kind), job_id)
    return TransferJob.from_record(job_id, record) if record else None


def update_job(state: StateStore, job: TransferJob) -> None:
    """Store the job's new state (keys and expiry unchanged)."""
    state.update(job_pk(job.kind), job.id, job.to_record())


def recent_jobs(state: StateStore, kind: str, *, limit: int = 50) -> list[TransferJob]:
    """The newest jobs of ``kind`` first (job ids sort by confirmation time)."""
    items, _ = state.query(job_pk(kind), newest_first=True, limit=limit)
    return [TransferJob.from_record(item["sk"], item) for item in items]


def running_jobs(state: StateStore, kind: str) -> list[TransferJob]:
    """Jobs of ``kind`` in progress or about to start."""
    return [job for job in recent_jobs(state, kind, limit=200) if job.status in RUNNING]


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
