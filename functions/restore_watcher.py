"""The restore function: one check of a restore job per SQS message.

Each message is `{"job": id, "check": n}`. Check 0, sent by the Slack worker when a restore
is confirmed, checks the plan once more and starts the restore; every later check looks at
the new table. A check that is not finished sends check n+1 with DelaySeconds, so the loop
lives in the queue and survives restarts. Checks are idempotent per (job, n): a message
delivered twice starts or posts once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.batches import run_batch
from bot.flows.restores.watch import parse_check_record, watch_restore
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def _check(job_id: str, check: int, runtime: Runtime) -> None:
    outcome = watch_restore(job_id, check, runtime)
    logger.info("restore check", extra={"job": job_id, "check": check, "outcome": outcome})


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run the check of every record; return the ones the platform should retry."""
    return run_batch(
        event,
        what="restore check",
        parse=parse_check_record,
        run=lambda parsed: _check(*parsed, runtime),
        log_fields=lambda parsed: {"job": parsed[0]},
        log=logger,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
