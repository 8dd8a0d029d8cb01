"""Drills in AWS: the drill records and history in the state table, the source's shape and
count, counting and sampling the scratch copy, and deleting scratch tables (only those named
with the reserved prefix). Every function takes its client.

The restore itself is bot/aws/restores.py's (a drill is a restore job into a scratch table).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code, translate
from bot.aws.state import PK_LIMIT, StateStore, bounded, job_pk
from bot.domain.drill_jobs import DrillJob, DrillRecord
from bot.domain.drills import TableShape, is_scratch
from bot.domain.errors import OpsbotError

JOB_KIND = "drill"
JOB_KEEP_S = 30 * 86400
HISTORY_KEEP_S = 400 * 86400
_NOT_FOUND = ("ResourceNotFoundException", "TableNotFoundException")


# ---- drill records -------------------------------------------------------------------------


def save_drill(state: StateStore, job: DrillJob, *, now: float) -> None:
    """Write a new drill record (pk `JOB#drill`, sk the job id)."""
    state.put(
        {
            "pk": job_pk(JOB_KIND),
            "sk": job.id,
            **job.to_record(),
            "expires_at": int(now) + JOB_KEEP_S,
        }
    )


def load_drill(state: StateStore, job_id: str) -> DrillJob | None:
    """A drill record, or None."""
    record = state.get(job_pk(JOB_KIND), job_id)
    return DrillJob.from_record(job_id, record) if record else None


def update_drill(state: StateStore, job: DrillJob) -> None:
    """Store the drill's new state (keys and expiry unchanged)."""
    record = {k: v for k, v in job.to_record().items() if v is not None}
    state.update(job_pk(JOB_KIND), job.id, record)


def recent_drills(state: StateStore, *, limit: int = 100) -> list[DrillJob]:
    """The newest drills first (job ids sort by start time)."""
    items, _ = state.query(job_pk(JOB_KIND), newest_first=True, limit=limit)
    return [DrillJob.from_record(item["sk"], item) for item in items]


def running_drill(
    state: StateStore, table: str, region: str, account: str, now: datetime
) -> DrillJob | None:
    """The drill of this table still running, if any."""
    for job in recent_drills(state, limit=200):
        if (job.table, job.region, job.account) == (table, region, account) and job.running(now):
            return job
    return None


# ---- drill history -------------------------------------------------------------------------


def history_pk(account: str, region: str, table: str) -> str:
    """`DRILL#<account>#<region>#<table>` ('' account: opsbot's own)."""
    return bounded(f"DRILL#{account}#{region}#{table}", PK_LIMIT)


DRILL_LOG_PK = "DRILLS"  # every table's drills, newest first: the digest reads it


def record_history(
    state: StateStore, record: DrillRecord, *, account: str, region: str, now: float
) -> None:
    """Add a finished drill to the table's history and to the log of all drills (sk: finish
    time, then the job id: a redelivery writes the same items again)."""
    sk = f"{record.finished_at.isoformat()}#{record.job_id}"
    item = {
        **{k: v for k, v in record.to_record().items() if v is not None},
        "region": region,
        "account": account or None,
        "expires_at": int(now) + HISTORY_KEEP_S,
    }
    state.put({"pk": history_pk(account, region, record.table), "sk": sk, **item})
    state.put({"pk": DRILL_LOG_PK, "sk": sk, **item})


def drills_since(state: StateStore, since: datetime) -> list[DrillRecord]:
    """Every drill (opsbot's and AWS Backup restore tests) finished since ``since``."""
    records: list[DrillRecord] = []
    start: Any = None
    while True:
        items, start = state.query(
            DRILL_LOG_PK, sk_from=since.astimezone(UTC).isoformat(), limit=100, start=start
        )
        records += [DrillRecord.from_record(item) for item in items]
        if not start:
            return records


def table_history(
    state: StateStore, account: str, region: str, table: str, *, limit: int = 10
) -> list[DrillRecord]:
    """The table's drills, newest first."""
    items, _ = state.query(history_pk(account, region, table), newest_first=True, limit=limit)
    return [DrillRecord.from_record(item) for item in items]


# ---- the source ----------------------------------------------------------------------------


def describe(dynamodb: Any, table: str, region: str) -> Mapping[str, Any] | None:
    """DescribeTable's Table, or None when there is no such table."""
    try:
        found: Mapping[str, Any] = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if error_code(exc) in _NOT_FOUND:
            return None
        raise translate(exc, table=table, region=region) from exc
    return found


def shape_of(description: Mapping[str, Any]) -> TableShape:
    """The keys and indexes of a DescribeTable Table."""

    def keys(schema: Any) -> str:
        return ", ".join(f"{k['AttributeName']} {k['KeyType']}" for k in schema or ())

    return TableShape(
        keys=tuple(
            f"{k['AttributeName']} {k['KeyType']}" for k in description.get("KeySchema") or ()
        ),
        gsis=tuple(
            sorted(
                f"{i['IndexName']}: {keys(i.get('KeySchema'))}"
                for i in description.get("GlobalSecondaryIndexes") or ()
            )
        ),
        lsis=tuple(
            sorted(
                f"{i['IndexName']}: {keys(i.get('KeySchema'))}"
                for i in description.get("LocalSecondaryIndexes") or ()
            )
        ),
    )


def backup_item_count(dynamodb: Any, backup_arn: str) -> int | None:
    """The source's item count when the backup was taken (DescribeBackup; approximate)."""
    try:
        described = dynamodb.describe_backup(BackupArn=backup_arn)["BackupDescription"]
    except ClientError:
        return None
    count = (described.get("SourceTableDetails") or {}).get("ItemCount")
    return None if count is None else int(count)


# ---- the scratch copy ----------------------------------------------------------------------


def count_items(dynamodb: Any, table: str, cursor: str, *, max_pages: int) -> tuple[int, str, int]:
    """Count the copy's items with `Select=COUNT` Scan pages, from ``cursor`` (JSON of the
    last LastEvaluatedKey, '' from the start), at most ``max_pages`` pages.

    Returns (items counted, the cursor to go on from ('' when the end was reached), pages).
    """
    counted, pages = 0, 0
    start = json.loads(cursor) if cursor else None
    while pages < max_pages:
        kwargs: dict[str, Any] = {"TableName": _scratch_only(table), "Select": "COUNT"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kwargs)
        pages += 1
        counted += int(page.get("Count", 0))
        start = page.get("LastEvaluatedKey")
        if not start:
            return counted, "", pages
    return counted, json.dumps(start, sort_keys=True), pages


def read_sample(dynamodb: Any, table: str, keys: tuple[str, ...], size: int) -> int:
    """Read ``size`` items of the copy back by their keys (one Scan of the keys, then
    BatchGetItem); how many came back whole."""
    if size <= 0:
        return 0
    names = {f"#k{i}": name for i, name in enumerate(keys)}
    scanned = dynamodb.scan(
        TableName=_scratch_only(table),
        Limit=size,
        ProjectionExpression=", ".join(names),
        ExpressionAttributeNames=names,
    ).get("Items", [])
    if not scanned:
        return 0
    read = 0
    request: dict[str, Any] = {table: {"Keys": scanned}}
    for _ in range(5):  # UnprocessedKeys come back under throttling; retry a few times
        response = dynamodb.batch_get_item(RequestItems=request)
        read += len(response.get("Responses", {}).get(table, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            break
    return read


def delete_scratch(dynamodb: Any, table: str) -> str:
    """DeleteTable on a scratch table: 'deleting', 'gone' (there was none) or 'busy' (it is
    still being created or updated; try again later). Refuses any other name."""
    try:
        dynamodb.delete_table(TableName=_scratch_only(table))
    except ClientError as exc:
        code = error_code(exc)
        if code in _NOT_FOUND:
            return "gone"
        if code == "ResourceInUseException":
            return "busy"
        raise
    return "deleting"


def scratch_tables(dynamodb: Any) -> list[str]:
    """The tables in the drills' namespace (every ListTables page, filtered by the prefix)."""
    found: list[str] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = dynamodb.list_tables(**kwargs)
        found += [n for n in page.get("TableNames", []) if is_scratch(n)]
        if not page.get("LastEvaluatedTableName"):
            return found
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def _scratch_only(table: str) -> str:
    # The drill code touches items and deletes tables only in its own namespace; IAM says
    # the same (deploy/functions/restores.yml), this says it before AWS has to.
    if not is_scratch(table):
        raise OpsbotError(f"`{table}` is not a drill's scratch table; a drill never touches it.")
    return table
