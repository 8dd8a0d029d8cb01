"""The work queue's consumer: runs commands and button presses after the ack.

Each SQS record is one WorkItem (bot/flows/worker.py); failures are reported per record so
one bad item does not redeliver the others (ReportBatchItemFailures).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.batches import run_batch
from bot.flows.worker import parse_work_record, run_work_item
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run every record; return the ones the platform should retry."""
    return run_batch(
        event,
        what="work item",
        parse=parse_work_record,
        run=lambda parsed: run_work_item(parsed[0], runtime, attempt=parsed[1]),
        log_fields=lambda parsed: {"id": parsed[0].id},
        log=logger,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
