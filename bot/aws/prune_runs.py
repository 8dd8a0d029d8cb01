"""Prune runs in the state table: the run record, per-table progress, and outcomes.

Key shapes (the `job` kind of bot.aws.state):

| item           | pk           | sk                               |
|----------------|--------------|----------------------------------|
| run record     | `JOB#prune`  | `<run id>`                       |
| table progress | `JOB#prune`  | `<run id>#T#[<account>#]<region>#<table>` |
| table plan     | `JOB#prune`  | `<run id>#P#<table key>` (`/ddb prune --all`) |
| planned ARNs   | `JOB#prune`  | `<run id>#A#<table key>#<chunk>` |

The run record holds the expected table count and atomic counters (UpdateItem ADD). A
table's outcome is written together with the run's counters in one transaction, guarded by
`attribute_not_exists(reported)` on the table item, so a redelivered message counts once.
Deleted backups are checkpointed as a string set (`<size>|<arn>`): ADD of a set member is
idempotent, so a resumed table neither deletes nor counts a backup twice. Each deletion is
announced first (set `deleting`): a worker stopped after AWS deleted a backup but before the
checkpoint leaves the announcement, and the retry counts that backup as deleted once it is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code
from bot.aws.state import SK_LIMIT, StateStore, bounded, job_pk, serialize
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.policy import parse_policy
from bot.domain.prune_jobs import ResolvedPolicy
from bot.domain.retention import PlannedTable, PruneOutcome

KIND = "prune"
RUN_KEEP_S = 90 * 86400
PLAN_KEEP_S = 7 * 86400  # a `--all` plan outlives its confirmation (minutes) by far
ARNS_PER_ITEM = 1000  # ~110 KB of ARNs: well inside DynamoDB's 400 KB item limit


def table_sk(run_id: str, key: str) -> str:
    """Sort key of one table's progress within a run (``key`` is `<region>#<table>`)."""
    return f"{run_id}#T#{key}"


def create_run(
    state: StateStore,
    run_id: str,
    *,
    expected: int | None,
    mode: str,
    now: datetime,
    channel: str = "",
    requester: str = "",
    progress_ts: str = "",
    every_table: bool = False,
    confirm: bool = False,
    typed: str = "",
    response_url: str = "",
) -> bool:
    """Store a new run record; False when the run already exists (a redelivered trigger).

    ``expected`` None opens a run whose tasks are still being sent: seal_run sets the count.
    """
    return state.put_new(
        {
            "pk": job_pk(KIND),
            "sk": run_id,
            "run_id": run_id,
            "started": now.isoformat(),
            "mode": mode,
            "expected": expected,
            "reported": 0,
            "planned": 0,
            "deleted": 0,
            "bytes_freed": 0,
            "failures": 0,
            "channel": channel or None,
            "requester": requester or None,
            "progress_ts": progress_ts or None,
            # `/ddb prune --all`: it ends in the plan (to confirm, with `--apply`), not a digest
            "every_table": every_table or None,
            "confirm": confirm or None,
            "typed": typed or None,
            "response_url": response_url or None,  # a dry run answers only its requester
            "expires_at": int(now.timestamp()) + RUN_KEEP_S,
        }
    )


def seal_run(state: StateStore, run_id: str, *, expected: int) -> None:
    """Set the number of tables an open run waits for, once all its tasks are sent."""
    state.update(job_pk(KIND), run_id, {"expected": expected})


def load_run(state: StateStore, run_id: str) -> dict[str, Any] | None:
    """The run record, or None."""
    return state.get(job_pk(KIND), run_id)


def note_digest_attempt(state: StateStore, run_id: str, *, now: float) -> bool:
    """Record that an attempt is about to post the run's digest; True when an earlier attempt
    recorded it first (that attempt may have posted, then stopped before saying so)."""
    first = state.update(
        job_pk(KIND),
        run_id,
        {"digest_attempted": int(now)},
        condition="attribute_not_exists(digest_attempted)",
    )
    return first is None


def note_digest_posted(state: StateStore, run_id: str, channel: str) -> None:
    """Remember that the run's digest is in ``channel`` (a string set: idempotent)."""
    state.client.update_item(
        TableName=state.table_name,
        Key=serialize({"pk": job_pk(KIND), "sk": run_id}),
        UpdateExpression="ADD digest_posted :c",
        ExpressionAttributeValues={":c": {"SS": [channel]}},
    )


def digest_channels(run: Mapping[str, Any]) -> set[str]:
    """The channels a run's digest is known to be in."""
    return {str(c) for c in run.get("digest_posted") or ()}


def checkpoint_deleted(state: StateStore, run_id: str, key: str, backup: BackupInfo) -> None:
    """Remember that one backup of the table is deleted (idempotent)."""
    _add_backup(state, run_id, key, "done", backup)


def checkpoint_deleting(state: StateStore, run_id: str, key: str, backup: BackupInfo) -> None:
    """Announce that one backup of the table is about to be deleted (idempotent)."""
    _add_backup(state, run_id, key, "deleting", backup)


def _add_backup(state: StateStore, run_id: str, key: str, field: str, backup: BackupInfo) -> None:
    """Add `size|arn` of ``backup`` to the string set ``field`` of the table's record."""
    state.client.update_item(
        TableName=state.table_name,
        Key=serialize({"pk": job_pk(KIND), "sk": table_sk(run_id, key)}),
        UpdateExpression="ADD #d :b",
        ExpressionAttributeNames={"#d": field},
        ExpressionAttributeValues={":b": {"SS": [f"{backup.size_bytes or 0}|{backup.arn}"]}},
    )


def load_done(state: StateStore, run_id: str, key: str) -> dict[str, int]:
    """Backups of the table already deleted in this run: ARN -> size in bytes."""
    return _sizes(state, run_id, key, "done")


def load_deleting(state: StateStore, run_id: str, key: str) -> dict[str, int]:
    """Backups whose deletion this run started (done or not): ARN -> size in bytes."""
    return _sizes(state, run_id, key, "deleting")


def _sizes(state: StateStore, run_id: str, key: str, attribute: str) -> dict[str, int]:
    item = state.get(job_pk(KIND), table_sk(run_id, key)) or {}
    found: dict[str, int] = {}
    for entry in item.get(attribute, set()):
        size, _, arn = str(entry).partition("|")
        found[arn] = int(size or 0)
    return found


def report_table(
    state: StateStore, run_id: str, key: str, outcome: PruneOutcome, *, now: float
) -> bool:
    """Record one table's outcome and add it to the run's counters, once.

    False when the table had already reported (a redelivery). Raises LookupError when
    the run record does not exist.
    """
    fields: dict[str, Any] = {
        "reported": True,
        "table": outcome.table,
        "planned": outcome.planned,
        "deleted": outcome.deleted,
        "bytes_freed": outcome.bytes_freed,
        "failed": [list(f) for f in outcome.failures],
        "error": outcome.error,
        "left_alone": outcome.left_alone or None,
        "expires_at": int(now) + RUN_KEEP_S,
    }
    names = {f"#f{i}": name for i, name in enumerate(k for k, v in fields.items() if v is not None)}
    values = {f":f{i}": fields[name] for i, name in enumerate(names.values())}
    assignments = ", ".join(f"{n} = {v}" for n, v in zip(names, values, strict=True))
    counters = {
        ":one": 1,
        ":planned": outcome.planned,
        ":deleted": outcome.deleted,
        ":bytes": outcome.bytes_freed,
        ":failures": len(outcome.failures) + (1 if outcome.error else 0),
    }
    try:
        state.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": state.table_name,
                        "Key": serialize({"pk": job_pk(KIND), "sk": table_sk(run_id, key)}),
                        "UpdateExpression": f"SET {assignments}",
                        "ConditionExpression": "attribute_not_exists(#f0)",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": _values(values),
                    }
                },
                {
                    "Update": {
                        "TableName": state.table_name,
                        "Key": serialize({"pk": job_pk(KIND), "sk": run_id}),
                        "UpdateExpression": "ADD reported :one, planned :planned, "
                        "deleted :deleted, bytes_freed :bytes, failures :failures",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": _values(counters),
                    }
                },
            ]
        )
    except ClientError as exc:
        if error_code(exc) != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise LookupError(f"prune run {run_id} has no run record") from exc
        raise
    return True


def run_outcomes(state: StateStore, run_id: str) -> list[PruneOutcome]:
    """Every reported table outcome of a run, by region and table."""
    outcomes: list[PruneOutcome] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = state.query(
            job_pk(KIND), sk_prefix=f"{run_id}#T#", newest_first=False, start=start
        )
        outcomes += [_outcome(i) for i in items if i.get("reported")]
        if not start:
            return outcomes


def _outcome(item: Mapping[str, Any]) -> PruneOutcome:
    return PruneOutcome(
        table=str(item.get("table", "")),
        planned=int(item.get("planned", 0)),
        deleted=int(item.get("deleted", 0)),
        bytes_freed=int(item.get("bytes_freed", 0)),
        failures=tuple((str(n), str(r)) for n, r in item.get("failed", [])),
        error=item.get("error"),
        left_alone=str(item.get("left_alone") or ""),
    )


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    # serialize() turns floats into Decimals and drops None values.
    return serialize(values)


# --- `/ddb prune --all`: each table's plan, for the confirmation and the deletions ----------


def store_table_plan(
    state: StateStore,
    run_id: str,
    key: str,
    *,
    place: Mapping[str, str],
    planned: PlannedTable,
    arns: Sequence[str],
    now: float,
) -> None:
    """Store one table's plan: its summary (policy, counts, first backups by name) and every
    ARN it deletes, in items of ARNS_PER_ITEM. ``place`` holds its account, region and name.
    Rewriting it (a redelivered task) writes the same items."""
    expires_at = int(now) + PLAN_KEEP_S
    chunks = range(0, len(arns), ARNS_PER_ITEM)
    for n, start in enumerate(chunks):
        state.put(
            {
                "pk": job_pk(KIND),
                "sk": _arns_sk(run_id, key, n),
                "arns": list(arns[start : start + ARNS_PER_ITEM]),
                "expires_at": expires_at,
            }
        )
    resolved = planned.resolved
    state.put(
        {
            "pk": job_pk(KIND),
            "sk": bounded(f"{run_id}#P#{key}", SK_LIMIT),
            **place,
            "table": planned.table,
            "policy": resolved.text,
            "source": resolved.source,
            "replaced": resolved.replaced.as_text() if resolved.replaced else None,
            "replaced_source": resolved.replaced_source or None,
            "backups": planned.backups,
            "to_delete": planned.to_delete,
            "bytes_freed": planned.bytes_freed,
            "first": [
                [b.arn, b.name, b.table, b.created.isoformat(), b.size_bytes or 0]
                for b in planned.first
            ],
            "expires_at": expires_at,
        }
    )


def table_plans(state: StateStore, run_id: str) -> Iterator[tuple[dict[str, str], PlannedTable]]:
    """Every stored table plan of a run, a page at a time: (its place, its plan)."""
    start: dict[str, Any] | None = None
    while True:
        items, start = state.query(
            job_pk(KIND), sk_prefix=f"{run_id}#P#", newest_first=False, start=start
        )
        for item in items:
            place = {k: str(item.get(k) or "") for k in ("account", "region", "name")}
            yield place, _planned(item)
        if not start:
            return


def planned_arns(state: StateStore, run_id: str, key: str) -> set[str]:
    """Every ARN a run's plan deletes from one table (empty when it planned none)."""
    found: set[str] = set()
    start: dict[str, Any] | None = None
    while True:
        items, start = state.query(
            job_pk(KIND), sk_prefix=f"{run_id}#A#{key}#", newest_first=False, start=start
        )
        for item in items:
            found.update(str(a) for a in item.get("arns", []))
        if not start:
            return found


def _arns_sk(run_id: str, key: str, n: int) -> str:
    return bounded(f"{run_id}#A#{key}#{n:06d}", SK_LIMIT)


def _planned(item: Mapping[str, Any]) -> PlannedTable:
    replaced = str(item.get("replaced") or "")
    resolved = ResolvedPolicy(
        parse_policy(str(item.get("policy", ""))),
        str(item.get("source", "")),
        parse_policy(replaced) if replaced else None,
        str(item.get("replaced_source") or ""),
    )
    first = tuple(
        BackupInfo(
            str(arn),
            str(name),
            str(table),
            datetime.fromisoformat(str(created)),
            int(size),
            BackupType.USER,
            "AVAILABLE",
        )
        for arn, name, table, created, size in item.get("first", [])
    )
    return PlannedTable(
        str(item.get("table", "")),
        resolved,
        int(item.get("backups", 0)),
        int(item.get("to_delete", 0)),
        int(item.get("bytes_freed", 0)),
        first,
    )
