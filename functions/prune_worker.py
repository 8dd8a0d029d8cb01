"""The prune queue's consumer: applies one table's retention policy per message.

In `prune.mode = "report"` it only plans; in "delete" it deletes. A redelivered message
neither deletes nor counts twice; the last table of a run posts the run's one digest.
Failures are reported per record (ReportBatchItemFailures).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.backups.prune_runs import parse_prune_record, run_prune_task
from bot.flows.batches import run_batch
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run every record; return the ones the platform should retry."""
    return run_batch(
        event,
        what="prune task",
        parse=parse_prune_record,
        run=lambda task: run_prune_task(runtime, task),
        log_fields=lambda task: {"key": task.key},
        log=logger,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
