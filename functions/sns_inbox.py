"""The SNS inbox: any topic an operator subscribes (CloudTrail log-file notices, alarms,
AWS Backup notices, plain messages), each routed by what it is (bot/flows/inbox.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.inbox import handle_sns_event
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")
# The function's timeout in deploy/functions/*.yml: no claim outlives an invocation.
TIMEOUT_S = 300


def handle(event: dict[str, Any], runtime: Runtime, context: Any = None) -> dict[str, Any]:
    """Route every SNS record; malformed ones are logged and dropped with the reason."""
    runtime.begin_invocation(context, timeout_s=TIMEOUT_S)
    return handle_sns_event(event, runtime)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime(), context)
