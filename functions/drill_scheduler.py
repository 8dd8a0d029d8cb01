"""The scheduled drills' trigger (EventBridge schedule, hourly): starts the drills due this
hour (`[drills]` day and hour) through the follow-up queue; nothing when none is due.

Each drill then runs in functions/restore_watcher.py (kind 'drill'); the last of a run posts
the digest. A redelivered trigger starts nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.drills.trigger import schedule_drills
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Start the drills due: {"run", "started", "skipped", "duplicate"}."""
    scheduled = schedule_drills(runtime, event)
    logger.info("drills scheduled", extra=asdict(scheduled))
    return asdict(scheduled)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
