"""Prune runs: schedule one task per table, apply a task, post one digest per run.

The nightly schedule (functions/prune_scheduler) and a confirmed `/ddb prune --all --apply`
both create a run record and send one SQS message per table; functions/prune_worker
applies each. Every step is safe under at-least-once delivery:

- the schedule is claimed per run id (the EventBridge event id), so a redelivered trigger
  sends nothing twice (a duplicate message would be harmless anyway: see the next point);
- a table is claimed per (run id, account, region, table); its outcome is recorded once with the
  run's counters in one transaction; deleted backups are checkpointed one by one, so a
  retry after a crash resumes without deleting or counting anything twice;
- the digest is posted once per run, by whichever worker sees the last table report, and
  exactly once whatever the crash point (bot/flows/backups/prune_digest.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from bot.aws import prune_runs
from bot.aws.backups import (
    BackupPace,
    caller_account,
    delete_backups,
    list_backups,
    list_tables,
    retention_tag,
    table_arn,
)
from bot.aws.state import record_bot_action
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.backups import BackupInfo, total_bytes
from bot.domain.errors import InvalidValue, OpsbotError, TableNotFound
from bot.domain.policy import parse_policy
from bot.domain.prune_jobs import PruneTask, batches, resolve_policy, run_id_for
from bot.domain.records import frozen
from bot.domain.retention import PruneOutcome, plan_prune
from bot.flows.backups.prune_digest import post_digest_when_complete
from bot.flows.places import clients_in, label_of, places
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# A worker's lease on a table outlives the prune worker's timeout (900 s); the queue's
# visibility timeout (6x) outlives the lease, so a redelivery finds the lease expired.
TABLE_LEASE_S = 960
SCHEDULE_LEASE_S = 960
KEEP_S = 7 * 86400
SEND_ATTEMPTS = 3
EVERY_TABLE = "*"  # the table of a task reporting an account opsbot could not reach


def pace_for(runtime: Runtime) -> BackupPace:
    """The process's backup rate limiters (one per runtime, so one per Lambda container)."""
    pace = runtime.extras.get("backup_pace")
    if not isinstance(pace, BackupPace):
        pace = runtime.extras["backup_pace"] = BackupPace()
    return pace


@frozen
class Scheduled:
    """What one schedule trigger did."""

    run_id: str
    tables: int  # tables sent to the prune queue
    skipped: int  # tables without a policy, left untouched
    duplicate: bool = False  # the trigger was already handled


def schedule_prune(runtime: Runtime, event: dict[str, Any]) -> Scheduled:
    """List every table of every configured region and send one prune task per policy."""
    started = _event_time(event) or runtime.now()
    run_id = run_id_for(started, str(event.get("id") or uuid.uuid4().hex))
    state, settings = runtime.state, runtime.settings
    if not state.claim_once(
        "prune-schedule", run_id, now=runtime.epoch(), lease_s=SCHEDULE_LEASE_S, keep_s=KEEP_S
    ):
        log.info("prune run %s already scheduled; skipping the redelivery", run_id)
        return Scheduled(run_id, 0, 0, duplicate=True)
    try:
        tasks, skipped = _tasks(runtime, run_id)
        prune_runs.create_run(
            state, run_id, expected=len(tasks), mode=settings.prune_mode, now=runtime.now()
        )
        send_tasks(runtime, tasks)
        if not tasks:
            post_digest_when_complete(runtime, run_id)
    except Exception:
        state.release_once("prune-schedule", run_id)
        raise
    state.complete_once("prune-schedule", run_id, result={"tables": len(tasks)})
    return Scheduled(run_id, len(tasks), skipped)


def _event_time(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


class PlaceTables(NamedTuple):
    """The tables of one managed account and region, or why they could not be listed."""

    place: Account | None
    region: str
    member: str  # the member account's id; '' for the account opsbot runs in
    dynamodb: Any = None
    names: tuple[str, ...] = ()
    error: str = ""
    partition: str = ""
    owner: str = ""  # the account id in the tables' ARNs

    def arn(self, table: str) -> str:
        """The ARN of one of these tables (for its retention tag)."""
        return table_arn(self.partition, self.region, self.owner, table)


def managed_tables(runtime: Runtime) -> Iterator[PlaceTables]:
    """Every managed account and region with its tables. An account whose role cannot be
    assumed is tried once per call and yields its error for each of its regions."""
    partition, home_id = caller_account(runtime.client("sts"))
    failed: dict[str, str] = {}  # account id -> why
    for place, region in places(runtime):
        member = place.id if place is not None and not place.is_home else ""
        try:
            if member in failed:
                raise AccountUnavailable(failed[member], account_id=member)
            dynamodb = clients_in(runtime, place)("dynamodb", region)
            names = list_tables(dynamodb)
        except AccountUnavailable as exc:
            if member:
                failed[member] = exc.message
            yield PlaceTables(place, region, member, error=exc.message)
            continue
        owner = place.id if place is not None else home_id
        yield PlaceTables(place, region, member, dynamodb, tuple(names), "", partition, owner)


def _tasks(runtime: Runtime, run_id: str) -> tuple[list[PruneTask], int]:
    """One task per table with a policy, in every managed account x region."""
    settings, pace = runtime.settings, pace_for(runtime)
    tasks: list[PruneTask] = []
    skipped = 0
    for listed in managed_tables(runtime):
        region, member = listed.region, listed.member
        if listed.error:
            # Reported in the digest (one line per account and region), never retried forever.
            tasks.append(
                PruneTask(
                    run_id,
                    region,
                    EVERY_TABLE,
                    "",
                    source="account",
                    error=listed.error,
                    account=member,
                )
            )
            continue
        for name in listed.names:
            try:
                tag = retention_tag(listed.dynamodb, listed.arn(name), pace=pace)
                resolved = resolve_policy(
                    name,
                    tag=tag,
                    tables=settings.retention_tables,
                    default=settings.retention_default,
                )
            except TableNotFound:
                continue  # deleted since ListTables
            except InvalidValue as exc:
                tasks.append(
                    PruneTask(
                        run_id, region, name, "", source="tag", error=exc.message, account=member
                    )
                )
                continue
            if not resolved.applies:
                skipped += 1
                continue
            tasks.append(
                PruneTask(run_id, region, name, resolved.text, resolved.source, account=member)
            )
    return tasks, skipped


def send_tasks(runtime: Runtime, tasks: Sequence[PruneTask]) -> None:
    """Send tasks to the prune queue, 10 per SendMessageBatch, retrying failed entries."""
    if not tasks:
        return
    queue_url = runtime.settings.prune_queue_url
    if not queue_url:
        raise OpsbotError("No prune queue is configured (OPSBOT_PRUNE_QUEUE_URL).")
    sqs = runtime.client("sqs")
    for batch in batches(list(tasks), 10):
        entries = {str(i): task.to_json() for i, task in enumerate(batch)}
        for _ in range(SEND_ATTEMPTS):
            response = sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": i, "MessageBody": body} for i, body in entries.items()],
            )
            entries = {f["Id"]: entries[f["Id"]] for f in response.get("Failed", [])}
            if not entries:
                break
        if entries:
            raise RuntimeError(f"the prune queue refused {len(entries)} tasks")


def start_manual_run(
    runtime: Runtime, tasks: Sequence[PruneTask], run_id: str, *, channel: str, requester: str
) -> None:
    """A confirmed `--all --apply`: a run whose digest goes to the requester's channel."""
    prune_runs.create_run(
        runtime.state,
        run_id,
        expected=len(tasks),
        mode="delete",
        now=runtime.now(),
        channel=channel,
        requester=requester,
    )
    send_tasks(runtime, tasks)
    if not tasks:
        post_digest_when_complete(runtime, run_id)


def parse_prune_record(record: Mapping[str, Any]) -> PruneTask:
    """The prune task of an SQS record; ValueError when the body is not one."""
    return PruneTask.from_json(str(record.get("body", "")))


def run_prune_task(runtime: Runtime, task: PruneTask) -> bool:
    """Apply one table's task at most once, then post the digest if it was the last.

    True when this call pruned the table; False for a redelivery of a finished task.
    """
    state, scope, key = runtime.state, "prune-table", f"{task.run_id}#{task.key}"
    claimed = state.claim_once(
        scope, key, now=runtime.epoch(), lease_s=TABLE_LEASE_S, keep_s=KEEP_S
    )
    if claimed:
        try:
            outcome = prune_table(runtime, task)
            prune_runs.report_table(state, task.run_id, task.key, outcome, now=runtime.epoch())
        except LookupError:
            log.error("prune task for %s names an unknown run %s; dropped", task.key, task.run_id)
        except Exception:
            state.release_once(scope, key)
            raise
        state.complete_once(scope, key)
    else:
        log.info("prune task %s already handled or running; skipping", key)
    post_digest_when_complete(runtime, task.run_id)
    return claimed


def prune_table(runtime: Runtime, task: PruneTask) -> PruneOutcome:
    """List, plan and (in delete mode) delete one table's backups; expected errors are outcomes."""
    settings = runtime.settings
    shown = task_shown(runtime, task)
    if task.error:
        return PruneOutcome(shown, planned=0, error=task.error)
    pace = pace_for(runtime)
    try:
        client = clients_in(runtime, task.account or None)("dynamodb", task.region)
        backups = list_backups(client, task.table, region=task.region, pace=pace)
    except OpsbotError as exc:
        return PruneOutcome(shown, planned=0, error=exc.message)
    plan = plan_prune(backups, parse_policy(task.policy), runtime.now())
    targets = list(plan.to_delete)
    if task.arns is not None:
        confirmed = set(task.arns)
        targets = [b for b in targets if b.arn in confirmed]
    if (task.mode or settings.prune_mode) != "delete":
        return PruneOutcome(shown, planned=len(targets), bytes_freed=total_bytes(targets))
    done = prune_runs.load_done(runtime.state, task.run_id, task.key)
    # A deletion announced by an earlier attempt that stopped before its checkpoint: if the
    # backup is gone now, that attempt deleted it (the retry must count it, and only once).
    present = {b.arn for b in backups if b.status != "DELETED"}
    for arn, size in prune_runs.load_deleting(runtime.state, task.run_id, task.key).items():
        if arn not in done and arn not in present:
            done[arn] = size

    def deleting(backup: BackupInfo) -> None:
        prune_runs.checkpoint_deleting(runtime.state, task.run_id, task.key, backup)

    def deleted(backup: BackupInfo, request_id: str) -> None:
        prune_runs.checkpoint_deleted(runtime.state, task.run_id, task.key, backup)
        if task.requester:
            record_bot_action(
                runtime.state,
                request_id=request_id,
                slack_user=task.requester,
                command=f"/ddb prune --all --apply ({task.table})",
                now=runtime.epoch(),
                approved_by=task.approved_by,
            )

    todo = [b for b in targets if b.arn not in done]
    result = delete_backups(client, todo, pace=pace, on_deleted=deleted, on_deleting=deleting)
    return PruneOutcome(
        shown,
        planned=len(done.keys() | {b.arn for b in targets}),
        deleted=len(done) + len(result.deleted),
        bytes_freed=sum(done.values()) + result.bytes_freed,
        failures=tuple((b.name, reason) for b, reason in result.failed),
    )


def task_shown(runtime: Runtime, task: PruneTask) -> str:
    """How a task's table is named in the digest: `orders`, `orders@eu-west-1`, or with the
    account alias for a member account (`orders@payments-prod/us-west-2`)."""
    if task.account:
        where = f"{label_of(runtime, task.account) or task.account}/{task.region}"
        return f"{where} (every table)" if task.table == EVERY_TABLE else f"{task.table}@{where}"
    if task.region == runtime.settings.default_region:
        return task.table
    return f"{task.table}@{task.region}"
