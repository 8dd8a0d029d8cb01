"""The work queue's consumer: runs commands and button presses after the ack.

Each SQS record is one WorkItem; failures are reported per record so one bad item does
not redeliver the others (ReportBatchItemFailures).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.runtime import Runtime, default_runtime
from bot.slack.work import WorkItem
from bot.slack.worker import run_work_item

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run every record; return the ones the platform should retry."""
    failures = []
    for record in event.get("Records", []):
        try:
            item = WorkItem.from_json(record["body"])
        except (KeyError, TypeError, ValueError) as exc:
            # A body that is not a work item will never parse: drop it, loudly.
            logger.error("dropping a malformed work item", extra={"reason": str(exc)})
            continue
        attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        try:
            run_work_item(item, runtime, attempt=attempt)
        except Exception:
            logger.exception("work item failed; the queue will retry it", extra={"id": item.id})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
