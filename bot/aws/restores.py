"""Restores in AWS: start them, follow the new table, find backups, keep job records, and copy
the settings a restored table does not inherit. Every function takes its client."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.clients import utc
from bot.aws.errors import error_code, translate
from bot.aws.state import StateStore, job_pk
from bot.aws.tables import pitr_window
from bot.domain.backups import BackupInfo, from_summary
from bot.domain.counts import counted
from bot.domain.errors import OpsbotError
from bot.domain.records import frozen
from bot.domain.restore_jobs import RUNNING, RestoreJob, TargetState, tags_to_copy
from bot.domain.restores import RestorePlan
from bot.domain.tables import PitrWindow
from bot.render.message import code, escape

JOB_KIND = "restore"
# Job records stay 30 days after they start (`/ddb restores` shows recent ones).
JOB_KEEP_S = 30 * 86400
_NOT_FOUND = ("ResourceNotFoundException", "TableNotFoundException")


@frozen
class StartedRestore:
    """A restore call AWS accepted."""

    request_id: str
    target_arn: str
    status: str


def start_restore(dynamodb: Any, plan: RestorePlan) -> StartedRestore:
    """RestoreTableToPointInTime or RestoreTableFromBackup, as the plan says."""
    try:
        if plan.kind == "backup":
            response = dynamodb.restore_table_from_backup(
                TargetTableName=plan.target, BackupArn=plan.backup_arn
            )
        elif plan.latest:
            response = dynamodb.restore_table_to_point_in_time(
                SourceTableName=plan.source_table,
                TargetTableName=plan.target,
                UseLatestRestorableTime=True,
            )
        else:
            response = dynamodb.restore_table_to_point_in_time(
                SourceTableName=plan.source_table,
                TargetTableName=plan.target,
                RestoreDateTime=plan.at,
            )
    except ClientError as exc:
        if error_code(exc) == "TableAlreadyExistsException":
            ours = started_by_a_lost_attempt(dynamodb, plan)
            if ours is not None:
                return ours
        raise _restore_error(exc, plan) from exc
    description = response.get("TableDescription") or {}
    return StartedRestore(
        request_id=str(response.get("ResponseMetadata", {}).get("RequestId", "")),
        target_arn=str(description.get("TableArn", "")),
        status=str(description.get("TableStatus", "CREATING")),
    )


def started_by_a_lost_attempt(dynamodb: Any, plan: RestorePlan) -> StartedRestore | None:
    """The restore an earlier attempt of this very call started, if that is what is there.

    When AWS starts a restore but its answer is lost (a timeout, a dropped connection),
    botocore retries the call, and the retry finds the new table the first attempt created.
    The target did not exist when the plan was re-validated a moment ago, so a table being
    restored right now from the plan's source (and time or backup) is ours: follow it
    instead of reporting that it already exists. Its request id went with the lost answer.
    """
    try:
        table = dynamodb.describe_table(TableName=plan.target)["Table"]
    except ClientError:
        return None
    summary = table.get("RestoreSummary") or {}
    if not summary.get("RestoreInProgress"):
        return None
    if plan.kind == "backup":
        ours = summary.get("SourceBackupArn") == plan.backup_arn
    else:
        source = str(summary.get("SourceTableArn", ""))
        ours = source.endswith(f":table/{plan.source_table}")
        if ours and plan.at is not None and not plan.latest:
            ours = utc(summary.get("RestoreDateTime")) == plan.at
    if not ours:
        return None
    return StartedRestore(
        request_id="",
        target_arn=str(table.get("TableArn", "")),
        status=str(table.get("TableStatus", "CREATING")),
    )


def _restore_error(exc: ClientError, plan: RestorePlan) -> OpsbotError:
    aws_code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    if aws_code == "PointInTimeRecoveryUnavailableException":
        return OpsbotError(
            f"Point-in-time recovery is not available for {code(plan.source_table)}."
        )
    if aws_code == "InvalidRestoreTimeException":
        return OpsbotError(f"AWS refused the restore time: {escape(message)}")
    if aws_code == "BackupNotFoundException":
        return OpsbotError(f"The backup {code(plan.backup_name or plan.backup_arn)} is gone.")
    return translate(exc, table=plan.target, region=plan.region)


def describe_target(dynamodb: Any, table: str) -> TargetState:
    """The new table's status, restore flag, item count and size (None status when absent)."""
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return TargetState(status=None)
        raise
    summary = description.get("RestoreSummary") or {}
    restored_to = summary.get("RestoreDateTime")
    return TargetState(
        status=str(description.get("TableStatus", "")),
        restore_in_progress=bool(summary.get("RestoreInProgress", False)),
        item_count=_int(description.get("ItemCount")),
        size_bytes=_int(description.get("TableSizeBytes")),
        restored_to=utc(restored_to),
    )


def table_exists(dynamodb: Any, table: str) -> bool:
    """Whether a table of that name exists (in any status)."""
    return describe_target(dynamodb, table).status is not None


def read_pitr(dynamodb: Any, table: str, region: str) -> PitrWindow | None:
    """The table's PITR window; None when the table does not exist."""
    try:
        return pitr_window(dynamodb.describe_continuous_backups(TableName=table))
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise translate(exc, table=table, region=region) from exc


def set_pitr(dynamodb: Any, table: str, region: str, *, enabled: bool) -> tuple[str, PitrWindow]:
    """UpdateContinuousBackups; returns (AWS request id, the new window)."""
    try:
        response = dynamodb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
        )
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    return _request_id(response), pitr_window(response)


def find_backup(dynamodb: Any, table: str, name_or_arn: str) -> BackupInfo | None:
    """A backup by ARN (DescribeBackup) or by name among the table's backups (ListBackups)."""
    if name_or_arn.startswith("arn:"):
        try:
            described = dynamodb.describe_backup(BackupArn=name_or_arn)["BackupDescription"]
        except ClientError as exc:
            if error_code(exc) in ("BackupNotFoundException", *_NOT_FOUND, "ValidationException"):
                return None
            raise
        details = described["BackupDetails"]
        source = described.get("SourceTableDetails") or {}
        return from_summary({**details, "TableName": source.get("TableName", "")})
    found: list[BackupInfo] = []
    kwargs: dict[str, Any] = {"TableName": table, "BackupType": "ALL"}
    while True:
        page = dynamodb.list_backups(**kwargs)
        for summary in page.get("BackupSummaries", []):
            if summary.get("BackupName") == name_or_arn:
                found.append(from_summary(summary))
        last = page.get("LastEvaluatedBackupArn")
        if not last:
            break
        kwargs["ExclusiveStartBackupArn"] = last
    if len(found) > 1:
        arns = ", ".join(code(b.arn) for b in sorted(found, key=lambda b: b.created)[-3:])
        raise OpsbotError(
            f"{len(found)} backups of {code(table)} are named {code(name_or_arn)}; give "
            f"the ARN instead (newest: {arns})."
        )
    return found[0] if found else None


# ---- job records ---------------------------------------------------------------------------


def save_job(state: StateStore, job: RestoreJob, *, now: float) -> None:
    """Write a new job record (pk `JOB#restore`, sk the job id)."""
    state.put(
        {
            "pk": job_pk(JOB_KIND),
            "sk": job.id,
            **job.to_record(),
            "expires_at": int(now) + JOB_KEEP_S,
        }
    )


def load_job(state: StateStore, job_id: str) -> RestoreJob | None:
    """A job record, or None."""
    record = state.get(job_pk(JOB_KIND), job_id)
    return RestoreJob.from_record(job_id, record) if record else None


def update_job(state: StateStore, job: RestoreJob) -> None:
    """Store the job's new state (keys and expiry unchanged)."""
    record = {k: v for k, v in job.to_record().items() if v is not None}
    state.update(job_pk(JOB_KIND), job.id, record)


def recent_jobs(state: StateStore, *, limit: int = 100) -> list[RestoreJob]:
    """The newest restore jobs first (job ids sort by start time)."""
    items, _ = state.query(job_pk(JOB_KIND), newest_first=True, limit=limit)
    return [RestoreJob.from_record(item["sk"], item) for item in items]


def running_jobs(state: StateStore) -> list[RestoreJob]:
    """Restore jobs in progress or about to start."""
    return [job for job in recent_jobs(state, limit=200) if job.status in RUNNING]


# ---- the watch queue -----------------------------------------------------------------------


def enqueue_check(
    sqs: Any, queue_url: str, job_id: str, check: int, *, delay_s: int, kind: str = "restore"
) -> None:
    """Ask the follow-up function to look at a ``kind`` job (a restore unless said) again
    after ``delay_s`` (at most 900 s, SQS's longest delay)."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(
            {"job": job_id, "check": check, "kind": kind}, separators=(",", ":")
        ),
        DelaySeconds=max(0, min(int(delay_s), 900)),
    )


# ---- copy settings -------------------------------------------------------------------------


@frozen
class CopiedSettings:
    """What the copy applied, what the source did not have, and the AWS request ids."""

    applied: tuple[str, ...]
    not_set_on_source: tuple[str, ...]
    request_ids: tuple[str, ...]
    own_tags_left: tuple[str, ...] = ()  # opsbot:* tag keys of the source, not copied


def copy_settings(dynamodb: Any, source: str, target: str, region: str) -> CopiedSettings:
    """Copy TTL, tags, PITR and deletion protection from ``source`` to ``target``."""
    tables = {}
    for name in (source, target):
        try:
            tables[name] = dynamodb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                raise OpsbotError(
                    f"`{name}` does not exist in {region} any more: there is nothing to copy "
                    + ("from." if name == source else "to.")
                ) from exc
            raise translate(exc, table=name, region=region) from exc
    source_table, target_table = tables[source], tables[target]
    applied: list[str] = []
    absent: list[str] = []
    ids: list[str] = []
    try:
        ttl = dynamodb.describe_time_to_live(TableName=source)["TimeToLiveDescription"]
        target_ttl = dynamodb.describe_time_to_live(TableName=target)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName"):
            if target_ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ids.append(
                    _request_id(
                        dynamodb.update_time_to_live(
                            TableName=target,
                            TimeToLiveSpecification={
                                "Enabled": True,
                                "AttributeName": ttl["AttributeName"],
                            },
                        )
                    )
                )
            applied.append(f"TTL on {ttl['AttributeName']}")  # plain text: renderers escape
        else:
            absent.append("TTL")
        tags, own = tags_to_copy(_all_tags(dynamodb, source_table["TableArn"]))
        if tags:
            ids.append(
                _request_id(dynamodb.tag_resource(ResourceArn=target_table["TableArn"], Tags=tags))
            )
            applied.append(counted(len(tags), "tag"))
        elif not own:
            absent.append("tags")
        window = pitr_window(dynamodb.describe_continuous_backups(TableName=source))
        target_window = pitr_window(dynamodb.describe_continuous_backups(TableName=target))
        if window.enabled and target_window.enabled:
            applied.append("point-in-time recovery")
        elif window.enabled:
            spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": True}
            if window.recovery_days:
                spec["RecoveryPeriodInDays"] = window.recovery_days
            ids.append(
                _request_id(
                    dynamodb.update_continuous_backups(
                        TableName=target, PointInTimeRecoverySpecification=spec
                    )
                )
            )
            applied.append("point-in-time recovery")
        else:
            absent.append("point-in-time recovery")
        if source_table.get("DeletionProtectionEnabled"):
            if not target_table.get("DeletionProtectionEnabled"):
                ids.append(
                    _request_id(
                        dynamodb.update_table(TableName=target, DeletionProtectionEnabled=True)
                    )
                )
            applied.append("deletion protection")
        else:
            absent.append("deletion protection")
    except ClientError as exc:
        raise translate(exc, table=target, region=region) from exc
    return CopiedSettings(tuple(applied), tuple(absent), tuple(i for i in ids if i), tuple(own))


def claim_settings_copy(state: StateStore, job: RestoreJob, user: str, now: datetime) -> bool:
    """Mark the job's settings as being copied by ``user``, once; False when someone (or a
    redelivered press) already did."""
    claimed = state.update(
        job_pk(JOB_KIND),
        job.id,
        {"settings_copied_by": user, "settings_copied_at": now.isoformat()},
        condition="attribute_not_exists(#by) OR #by = :nobody",
        names={"#by": "settings_copied_by"},
        values={":nobody": ""},
    )
    return claimed is not None


def release_settings_copy(state: StateStore, job: RestoreJob) -> None:
    """Let Copy settings be pressed again after a copy that failed."""
    state.update(job_pk(JOB_KIND), job.id, {"settings_copied_by": ""})


def _all_tags(dynamodb: Any, arn: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    while True:
        page = dynamodb.list_tags_of_resource(**kwargs)
        tags += page.get("Tags", [])
        if not page.get("NextToken"):
            return tags
        kwargs["NextToken"] = page["NextToken"]


def _request_id(response: dict[str, Any]) -> str:
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
