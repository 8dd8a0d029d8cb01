"""What a drill restores, read from AWS and decided by bot.domain.drills, and handing a drill
to the follow-up function. Shared by `/ddb drill`, its confirmation and the schedule."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.aws.backups import list_backups
from bot.aws.drills import running_drill, save_drill, update_drill
from bot.aws.restores import enqueue_check, find_backup, read_pitr
from bot.aws.tables import find_table
from bot.domain.drill_jobs import FAILED, DrillJob
from bot.domain.drills import DrillSource, choose_source
from bot.domain.errors import Conflict, OpsbotError, TableNotFound
from bot.domain.times import format_relative
from bot.flows.places import clients_in
from bot.runtime import Runtime

log = logging.getLogger(__name__)
KIND = "drill"


def plan_source(
    runtime: Runtime,
    table: str,
    region: str,
    account: str,
    now: datetime,
    *,
    backup: str | None = None,
    latest_backup: bool = False,
    pitr: bool = False,
    at: datetime | None = None,
) -> DrillSource:
    """What to drill for this table now; TableNotFound, or Conflict when a drill of it is
    running or there is nothing to drill."""
    dynamodb = clients_in(runtime, account or None)("dynamodb", region)
    description = find_table(dynamodb, table, region)
    if description is None:
        raise TableNotFound(
            f"There is no table `{table}` in {region}. Check the name, or add `@region`."
        )
    running = running_drill(runtime.state, table, region, account, now)
    if running is not None:
        raise Conflict(
            f"A drill of `{table}` is already running (started "
            f"{format_relative(running.restore.started_at, now)}, job `{running.id}`). "
            "Wait for its result in its thread."
        )
    found = find_backup(dynamodb, table, backup) if backup else None
    backups = (
        [] if backup or pitr else list_backups(dynamodb, table, region=region, backup_type="user")
    )
    window = None if backup or latest_backup else read_pitr(dynamodb, table, region)
    return choose_source(
        table,
        backups,
        window,
        backup=found,
        named=backup,
        latest_backup=latest_backup,
        pitr=pitr,
        at=at,
        table_size=_int(description.get("TableSizeBytes")),
        table_count=_int(description.get("ItemCount")),
    )


def launch(runtime: Runtime, job: DrillJob) -> None:
    """Store the drill and send its check 0 to the follow-up queue (which starts it)."""
    if not runtime.settings.restore_queue_url:
        raise OpsbotError(
            "opsbot has no follow-up queue configured (`OPSBOT_RESTORE_QUEUE_URL`), so it "
            "cannot run drills. Nothing was started."
        )
    save_drill(runtime.state, job, now=runtime.epoch())
    try:
        enqueue_check(
            runtime.client("sqs"),
            runtime.settings.restore_queue_url,
            job.id,
            0,
            delay_s=0,
            kind=KIND,
        )
    except Exception as exc:
        log.exception("could not hand drill %s to the follow-up function", job.id)
        reason = "the follow-up function could not be reached; nothing was started"
        update_drill(runtime.state, replace(job, status=FAILED, reasons=(reason,)))
        raise OpsbotError(f"Could not start the drill: {reason}.") from exc


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
