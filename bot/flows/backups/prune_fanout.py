"""The prune fan-out: list every managed account x region a page of tables at a time and send
one prune task per table to the prune queue (the nightly schedule and `/ddb prune --all`).

Bounded memory at any fleet size: tables are read one ListTables page (100 names) at a time
and sent ten to a SendMessageBatch as they are read; nothing holds the fleet's table list.
The scheduler makes no per-table call: each table's `opsbot:retention` tag is read by the
worker that prunes it, so a schedule over 10,000 tables is ~100 ListTables pages and ~1,000
SendMessageBatch calls, well inside one invocation.

Pacing per account and region, not per table: the prune queue is SQS FIFO and a task's
message group is its account and region (PruneTask.group), so one worker at a time calls
each account and region and its process-wide limiters (pace_for) hold AWS's documented
rates (DESIGN.md section 11) for that account and region, however many workers run.

The run record is created open (no expected count) before the first task is sent and sealed
with the count once every task is sent, so a worker that finishes first finds its run and the
digest waits for the seal (post_digest_when_complete).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from bot.aws import prune_runs
from bot.aws.backups import caller_account, table_arn, table_pages
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.errors import OpsbotError
from bot.domain.prune_jobs import PruneTask, run_id_for
from bot.domain.records import frozen
from bot.flows.backups.prune_digest import post_digest_when_complete
from bot.flows.backups.prune_runs import EVERY_TABLE
from bot.flows.places import clients_in, places
from bot.runtime import Runtime

log = logging.getLogger(__name__)

SCHEDULE_LEASE_S = 960
KEEP_S = 7 * 86400
SEND_ATTEMPTS = 3
BATCH = 10  # SendMessageBatch takes at most 10 entries


@frozen
class Scheduled:
    """What one schedule trigger did."""

    run_id: str
    tables: int  # tables sent to the prune queue (their workers resolve each one's policy)
    duplicate: bool = False  # the trigger was already handled


def schedule_prune(runtime: Runtime, event: dict[str, Any]) -> Scheduled:
    """Send one prune task per table of every managed account and region, once per trigger."""
    started = _event_time(event) or runtime.now()
    run_id = run_id_for(started, str(event.get("id") or uuid.uuid4().hex))
    state, settings = runtime.state, runtime.settings
    if not state.claim_once(
        "prune-schedule", run_id, now=runtime.epoch(), lease_s=SCHEDULE_LEASE_S, keep_s=KEEP_S
    ):
        log.info("prune run %s already scheduled; skipping the redelivery", run_id)
        return Scheduled(run_id, 0, duplicate=True)
    try:
        sent = start_run(runtime, run_id, fleet_tasks(runtime, run_id), mode=settings.prune_mode)
    except Exception:
        state.release_once("prune-schedule", run_id)
        raise
    state.complete_once("prune-schedule", run_id, result={"tables": sent})
    return Scheduled(run_id, sent)


def start_run(
    runtime: Runtime, run_id: str, tasks: Iterable[PruneTask], *, mode: str, **record: Any
) -> int:
    """Open the run, send its tasks as they come, seal it with their count; the count.
    ``record`` holds the run record's other fields (bot.aws.prune_runs.create_run).

    A retried start (after a crash) re-sends: the run exists already, and each table is
    claimed once per run by its worker, so nothing is pruned or counted twice.
    """
    state = runtime.state
    prune_runs.create_run(state, run_id, expected=None, mode=mode, now=runtime.now(), **record)
    sent = send_tasks(runtime, tasks)
    prune_runs.seal_run(state, run_id, expected=sent)
    post_digest_when_complete(runtime, run_id)
    return sent


def _event_time(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


class PlaceTables(NamedTuple):
    """One ListTables page of one managed account and region, or why it could not be listed."""

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
    """Every managed account and region, one page of its tables at a time. An account whose
    role cannot be assumed is tried once per call and yields its error for each region."""
    partition, home_id = caller_account(runtime.client("sts"))
    failed: dict[str, str] = {}  # account id -> why
    for place, region in places(runtime):
        member = place.id if place is not None and not place.is_home else ""
        owner = place.id if place is not None else home_id
        try:
            if member in failed:
                raise AccountUnavailable(failed[member], account_id=member)
            dynamodb = clients_in(runtime, place)("dynamodb", region)
            for page in table_pages(dynamodb):
                yield PlaceTables(
                    place, region, member, dynamodb, tuple(page), "", partition, owner
                )
        except AccountUnavailable as exc:
            if member:
                failed[member] = exc.message
            yield PlaceTables(place, region, member, error=exc.message)


def fleet_tasks(
    runtime: Runtime,
    run_id: str,
    *,
    mode: str | None = None,
    flags: str = "",
    requester: str = "",
) -> Iterator[PruneTask]:
    """One task per table of every managed account x region, its policy left to its worker;
    one error task per account and region that could not be listed (the digest reports it).
    """
    for listed in managed_tables(runtime):
        region, member = listed.region, listed.member
        if listed.error:
            yield PruneTask(
                run_id,
                region,
                EVERY_TABLE,
                "",
                source="account",
                error=listed.error,
                account=member,
            )
            continue
        for name in listed.names:
            yield PruneTask(
                run_id,
                region,
                name,
                "",
                source="",
                mode=mode,
                requester=requester,
                account=member,
                flags=flags,
                table_arn=listed.arn(name),
            )


def send_tasks(runtime: Runtime, tasks: Iterable[PruneTask]) -> int:
    """Send tasks to the prune queue as they come, 10 per SendMessageBatch, retrying failed
    entries; the number sent. On a FIFO queue each task's group is its account and region."""
    queue_url = runtime.settings.prune_queue_url
    sent, batch = 0, []
    for task in tasks:
        if not queue_url:
            raise OpsbotError("No prune queue is configured (OPSBOT_PRUNE_QUEUE_URL).")
        batch.append(task)
        if len(batch) == BATCH:
            _send_batch(runtime, queue_url, batch)
            sent, batch = sent + len(batch), []
    if batch:
        _send_batch(runtime, queue_url, batch)
        sent += len(batch)
    return sent


def _send_batch(runtime: Runtime, queue_url: str, batch: list[PruneTask]) -> None:
    fifo = queue_url.endswith(".fifo")
    entries: dict[str, dict[str, str]] = {}
    for i, task in enumerate(batch):
        entry = {"Id": str(i), "MessageBody": task.to_json()}
        if fifo:
            entry["MessageGroupId"] = task.group
            # Within SQS's 5-minute window a re-sent task is dropped; later, its claim is.
            identity = f"{task.run_id}#{task.key}".encode()
            entry["MessageDeduplicationId"] = hashlib.sha256(identity).hexdigest()
        entries[str(i)] = entry
    sqs = runtime.client("sqs")
    for _ in range(SEND_ATTEMPTS):
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=list(entries.values()))
        entries = {f["Id"]: entries[f["Id"]] for f in response.get("Failed", [])}
        if not entries:
            return
    raise RuntimeError(f"the prune queue refused {len(entries)} tasks")
