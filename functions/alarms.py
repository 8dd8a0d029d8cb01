"""CloudWatch alarm notifications: SNS (the opsbot-alarms topic) and EventBridge
"CloudWatch Alarm State Change" events -> one Slack thread per incident
(bot/flows/alarms/incidents.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.alarms.incidents import handle_alarm_event
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")
# The function's timeout in deploy/functions/*.yml: no claim outlives an invocation.
TIMEOUT_S = 60


def handle(event: dict[str, Any], runtime: Runtime, context: Any = None) -> list[str]:
    """Each alarm of an SNS or EventBridge event; malformed ones are logged and dropped."""
    runtime.begin_invocation(context, timeout_s=TIMEOUT_S)
    return handle_alarm_event(event, runtime)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> list[str]:
    """Lambda entry point."""
    return handle(event, default_runtime(), context)
