"""Prune runs: apply one table's task, post one digest per run.

The nightly schedule (functions/prune_scheduler) and `/ddb prune --all` both create a run
record and send one SQS message per table (bot.flows.backups.prune_fanout);
functions/prune_worker applies each: it reads the table's retention tag, resolves its policy,
plans, and in delete mode deletes. Every step is safe under at-least-once delivery:

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
from collections.abc import Mapping
from typing import Any

from bot.aws import prune_runs
from bot.aws.backups import BackupPace, delete_backups, list_backups, retention_tag
from bot.aws.state import record_bot_action
from bot.domain.backups import BackupInfo, total_bytes
from bot.domain.errors import OpsbotError, TableNotFound
from bot.domain.policy import parse_policy
from bot.domain.prune_jobs import OPT_OUT, RETENTION_TAG, PruneTask, ResolvedPolicy, resolve_policy
from bot.domain.retention import PlannedTable, PruneOutcome, TablePlan, plan_prune
from bot.flows.backups.prune_digest import post_digest_when_complete
from bot.flows.places import clients_in, label_of
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# A worker's lease on a table outlives the prune worker's timeout (900 s); the queue's
# visibility timeout (6x) outlives the lease, so a redelivery finds the lease expired.
TABLE_LEASE_S = 960
KEEP_S = 7 * 86400
EVERY_TABLE = "*"  # the table of a task reporting an account opsbot could not reach


def pace_for(runtime: Runtime, account: str = "", region: str = "") -> BackupPace:
    """The process's backup rate limiters for one account and region (AWS's limits apply per
    account and region); the prune queue's FIFO groups make this process the only one
    calling that account and region during a prune run."""
    pace = runtime.extras.get("backup_pace")
    if not isinstance(pace, BackupPace):
        pace = runtime.extras["backup_pace"] = BackupPace()
    if not region or (not account and region == runtime.settings.default_region):
        return pace  # opsbot's own default region: the process-wide limiters
    paces: dict[tuple[str, str], BackupPace] = runtime.extras.setdefault("backup_paces", {})
    key = (account, region)
    if key not in paces:
        paces[key] = pace.fresh()
    return paces[key]


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
    if not post_digest_when_complete(runtime, task.run_id) and task.plans_every_table:
        from bot.flows.backups import prune_all  # only `/ddb prune --all` runs load it

        prune_all.show_progress(runtime, task.run_id)
    return claimed


def prune_table(runtime: Runtime, task: PruneTask) -> PruneOutcome:
    """List, plan and (in delete mode) delete one table's backups; expected errors are outcomes."""
    settings = runtime.settings
    shown = task_shown(runtime, task)
    if task.error:
        return PruneOutcome(shown, planned=0, error=task.error)
    pace = pace_for(runtime, task.account, task.region)
    try:
        client = clients_in(runtime, task.account or None)("dynamodb", task.region)
        resolved, left_alone = _policy(runtime, task, client, pace)
        if resolved is None or resolved.policy is None:
            return PruneOutcome(shown, planned=0, left_alone=left_alone)
        backups = list_backups(client, task.table, region=task.region, pace=pace)
    except TableNotFound:
        return PruneOutcome(shown, planned=0, left_alone="deleted since it was listed")
    except OpsbotError as exc:  # a bad tag, access denied, an account opsbot cannot reach
        return PruneOutcome(shown, planned=0, error=exc.message)
    plan = plan_prune(backups, resolved.policy, runtime.now())
    targets = list(plan.to_delete)
    if task.arns is not None or task.plan_run:
        # A confirmed plan: only backups it named AND that the policy still deletes now.
        confirmed = set(task.arns or ()) | (
            prune_runs.planned_arns(runtime.state, task.plan_run, task.key)
            if task.plan_run
            else set()
        )
        targets = [b for b in targets if b.arn in confirmed]
    if task.plans_every_table:
        prune_runs.store_table_plan(
            runtime.state,
            task.run_id,
            task.key,
            place={"account": task.account, "region": task.region, "name": task.table},
            planned=PlannedTable.of(TablePlan(shown, resolved, plan)),
            arns=[b.arn for b in targets],
            now=runtime.epoch(),
        )
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


def _policy(
    runtime: Runtime, task: PruneTask, client: Any, pace: BackupPace
) -> tuple[ResolvedPolicy | None, str]:
    """The task's policy, resolved here from the table's tag when the scheduler left it to
    the worker; (None, why) for a table left alone."""
    if not task.resolves_policy:
        return ResolvedPolicy(parse_policy(task.policy), task.source), ""
    settings = runtime.settings
    own = not task.account and task.region == settings.default_region
    if task.plans_every_table and own and task.table == settings.state_table:
        return None, f"opsbot's own state table: `/ddb prune {task.table}` prunes it"
    tag = retention_tag(client, task.table_arn, pace=pace)
    resolved = resolve_policy(
        task.table,
        tag=tag,
        tables=settings.retention_tables,
        default=settings.retention_default,
        flags=parse_policy(task.flags) if task.flags else None,
        every_table=bool(task.flags),
    )
    if resolved.policy is None:
        opted_out = (tag or "").strip().lower() in OPT_OUT
        return None, f"its `{RETENTION_TAG}` tag opts it out" if opted_out else "no policy"
    return resolved, ""


def task_shown(runtime: Runtime, task: PruneTask) -> str:
    """How a task's table is named in the digest: `orders`, `orders@eu-west-1`, or with the
    account alias for a member account (`orders@payments-prod/us-west-2`)."""
    if task.account:
        where = f"{label_of(runtime, task.account) or task.account}/{task.region}"
        return f"{where} (every table)" if task.table == EVERY_TABLE else f"{task.table}@{where}"
    if task.region == runtime.settings.default_region:
        return task.table
    return f"{task.table}@{task.region}"
