"""The follow-up function: one check of a long-running job per SQS message.

Each message is `{"job": id, "check": n, "kind": kind}` (no kind: a restore). Check 0 of a
restore, sent by the Slack worker when a restore is confirmed, checks the plan once more and
starts it; every later check looks at how the job is doing. A check that is not finished
sends check n+1 with DelaySeconds, so the loop lives in the queue and survives restarts.
Checks are idempotent per (job, n). The kinds and their followers: bot/flows/follow_up.py.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.batches import run_batch
from bot.flows.follow_up import follow, parse_follow_record
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def _check(kind: str, job_id: str, check: int, runtime: Runtime) -> None:
    outcome = follow(kind, job_id, check, runtime)
    logger.info(
        "follow-up check", extra={"kind": kind, "job": job_id, "check": check, "outcome": outcome}
    )


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run the check of every record; return the ones the platform should retry."""
    return run_batch(
        event,
        what="follow-up check",
        parse=parse_follow_record,
        run=lambda parsed: _check(*parsed, runtime),
        log_fields=lambda parsed: {"kind": parsed[0], "job": parsed[1]},
        log=logger,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
