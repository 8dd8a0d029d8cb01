"""Replica changes in AWS: what their preconditions need to know of a table (DescribeTable,
and Application Auto Scaling for provisioned writes), UpdateTable `ReplicaUpdates`, the
replicas' statuses while a change runs, and the job records. Every function takes its
clients.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code, translate
from bot.aws.replicas import replication_of
from bot.aws.state import StateStore, job_pk
from bot.domain.errors import Conflict, LimitReached, OpsbotError
from bot.domain.replica_changes import ADD, ReplicaChangePlan, ReplicaJob, TableForReplicas
from bot.render.message import code, escape

JOB_KIND = "replica"
JOB_KEEP_S = 30 * 86400
_NOT_FOUND = ("ResourceNotFoundException", "TableNotFoundException")


def _describe(dynamodb: Any, table: str, region: str) -> dict[str, Any] | None:
    try:
        return dict(dynamodb.describe_table(TableName=table)["Table"])
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise translate(exc, table=table, region=region) from exc


def _statuses(description: dict[str, Any], region: str) -> dict[str, str]:
    return {
        str(r["RegionName"]): str(r.get("ReplicaStatus") or "UNKNOWN")
        for r in description.get("Replicas") or []
        if r.get("RegionName") and r["RegionName"] != region
    }


def table_for_replicas(
    dynamodb: Any, autoscaling: Any, table: str, region: str
) -> TableForReplicas | None:
    """The table as the preconditions see it; None when it does not exist. Costs one
    DescribeTable, one DescribeGlobalTable for a table without current-version replicas
    (legacy check), and for provisioned writes one DescribeScalableTargets."""
    description = _describe(dynamodb, table, region)
    if description is None:
        return None
    version = replication_of(dynamodb, description, region).version
    if not version and description.get("GlobalTableVersion"):
        version = str(description["GlobalTableVersion"])
    billing = str((description.get("BillingModeSummary") or {}).get("BillingMode") or "")
    if not billing:
        billing = "PROVISIONED" if description.get("ProvisionedThroughput") else "PAY_PER_REQUEST"
    stream = description.get("StreamSpecification") or {}
    return TableForReplicas(
        name=table,
        region=region,
        status=str(description.get("TableStatus", "UNKNOWN")),
        billing_mode=billing,
        version=version,
        replicas=_statuses(description, region),
        stream_view=str(stream.get("StreamViewType")) if stream.get("StreamEnabled") else None,
        write_autoscaled=billing == "PROVISIONED" and _write_autoscaled(autoscaling, table),
        size_bytes=int(description.get("TableSizeBytes", 0)),
    )


def _write_autoscaled(autoscaling: Any, table: str) -> bool:
    try:
        targets = autoscaling.describe_scalable_targets(
            ServiceNamespace="dynamodb",
            ResourceIds=[f"table/{table}"],
            ScalableDimension="dynamodb:table:WriteCapacityUnits",
        )["ScalableTargets"]
    except ClientError as exc:
        raise translate(exc, table=table) from exc
    return bool(targets)


def replica_statuses(dynamodb: Any, table: str, region: str) -> dict[str, str] | None:
    """Region -> ReplicaStatus of the table's other regions; None when the table is gone."""
    description = _describe(dynamodb, table, region)
    return None if description is None else _statuses(description, region)


def change_replicas(dynamodb: Any, plan: ReplicaChangePlan) -> str:
    """UpdateTable with one ReplicaUpdates entry (Create or Delete); the AWS request id."""
    action = "Create" if plan.change == ADD else "Delete"
    try:
        response = dynamodb.update_table(
            TableName=plan.table,
            ReplicaUpdates=[{action: {"RegionName": plan.target_region}}],
        )
    except ClientError as exc:
        aws_code = error_code(exc)
        message = escape(str(exc.response.get("Error", {}).get("Message", "")))
        table = code(plan.table)
        if aws_code == "ResourceInUseException":
            raise Conflict(
                f"{table} is being updated: {message}. One change at a time; try again when "
                "it is ACTIVE."
            ) from exc
        if aws_code == "LimitExceededException":
            raise LimitReached(
                f"AWS allows no more table changes right now: {message}. Try again later."
            ) from exc
        if aws_code == "ValidationException":
            raise OpsbotError(f"AWS refused the replica change of {table}: {message}") from exc
        raise translate(exc, table=plan.table, region=plan.region) from exc
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


def save_job(state: StateStore, job: ReplicaJob, *, now: float) -> None:
    """Write a new job record (pk `JOB#replica`, sk the job id)."""
    state.put(
        {
            "pk": job_pk(JOB_KIND),
            "sk": job.id,
            **job.to_record(),
            "expires_at": int(now) + JOB_KEEP_S,
        }
    )


def load_job(state: StateStore, job_id: str) -> ReplicaJob | None:
    """A job record, or None."""
    record = state.get(job_pk(JOB_KIND), job_id)
    return ReplicaJob.from_record(job_id, record) if record else None


def update_job(state: StateStore, job: ReplicaJob) -> None:
    """Store the job's new state."""
    state.update(job_pk(JOB_KIND), job.id, job.to_record())
