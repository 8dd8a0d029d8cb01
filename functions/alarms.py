"""CloudWatch alarm notifications: SNS (the opsbot-alarms topic) and EventBridge
"CloudWatch Alarm State Change" events -> one Slack thread per incident."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from bot.runtime import Runtime, default_runtime
from bot.slack.alarm_incidents import DROPPED, deliver_alarm_message

logger = Logger(service="opsbot")


def handle_alarm_message(message: dict[str, Any], message_id: str, runtime: Runtime) -> str:
    """One decoded alarm message (SNS JSON or EventBridge event), handled once; what was done."""
    return deliver_alarm_message(message, message_id, runtime)


def handle(event: dict[str, Any], runtime: Runtime) -> list[str]:
    """Each alarm of an SNS or EventBridge event; malformed ones are logged and dropped."""
    if event.get("detail-type") == "CloudWatch Alarm State Change":
        return [handle_alarm_message(event, str(event.get("id") or ""), runtime)]
    outcomes = []
    records = event.get("Records")
    for record in records if isinstance(records, list) and records else [{}]:
        try:
            sns = record["Sns"]
            message = json.loads(sns["Message"])
            if not isinstance(message, dict):
                raise ValueError("the Message is not a JSON object")
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning(
                "dropping a record that is not an SNS alarm", extra={"reason": repr(exc)}
            )
            outcomes.append(DROPPED)
            continue
        outcomes.append(handle_alarm_message(message, str(sns.get("MessageId") or ""), runtime))
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> list[str]:
    """Lambda entry point."""
    return handle(event, default_runtime())
