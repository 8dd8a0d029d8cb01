"""The nightly prune's trigger (EventBridge schedule): one prune task per table.

Pages through the tables of every managed account and region and sends one SQS message
per table to the prune queue (FIFO, one message group per account and region);
functions/prune_worker resolves each table's policy (tag > per-table config > default) and
applies it. A redelivered trigger sends nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.backups.prune_fanout import schedule_prune
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Schedule one prune run, then report interrupted confirmed prunes: {"run_id", "tables",
    "duplicate", "interrupted_reported"} (-1: the report failed)."""
    scheduled = schedule_prune(runtime, event)
    logger.info("prune run scheduled", extra=asdict(scheduled))
    # Confirmed prunes whose run stopped part-way: loaded here only, not at import.
    from bot.flows.interrupted import report_interrupted_plans

    try:
        interrupted = report_interrupted_plans(runtime)
    except Exception:  # a report that cannot be made must not fail the scheduled run
        logger.exception("could not report interrupted plans")
        interrupted = -1
    return {**asdict(scheduled), "interrupted_reported": interrupted}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
