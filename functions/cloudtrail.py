"""EventBridge `AWS API Call via CloudTrail` (aws.dynamodb, aws.dax) -> audit history + notice.

EventBridge delivers at least once: the history item's key and the notice claim are keyed on
the CloudTrail eventID, so a redelivery stores nothing new and posts nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.flows.audit.ingest import ingest_event
from bot.runtime import Runtime, default_runtime

logger = Logger(service="opsbot")
# The function's timeout in deploy/functions/*.yml: no claim outlives an invocation.
TIMEOUT_S = 60


def handle(event: dict[str, Any], runtime: Runtime, context: Any = None) -> dict[str, Any]:
    """Record one CloudTrail event; a malformed one is logged and dropped, never retried."""
    runtime.begin_invocation(context, timeout_s=TIMEOUT_S)
    return ingest_event(event, runtime).as_dict()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime(), context)
