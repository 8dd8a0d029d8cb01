"""The work queue's consumer: runs commands and button presses after the ack.

Each SQS record is one WorkItem; failures are reported per record so one bad item does
not redeliver the others (ReportBatchItemFailures).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from aws_lambda_powertools import Logger
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime, default_runtime
from bot.slack.work import WorkItem
from bot.slack.worker import run_work_item

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run every record; return the ones the platform should retry."""
    failures = []
    for record in event.get("Records", []):
        try:
            item = parse_work_item(record["body"])
        except (KeyError, TypeError, ValueError) as exc:
            # A body that is not a work item will never parse: drop it, loudly.
            logger.error("dropping a malformed work item", extra={"reason": str(exc)})
            continue
        attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        try:
            run_work_item(item, runtime, attempt=attempt)
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                logger.exception("work item failed; the queue will retry it", extra={"id": item.id})
                failures.append({"itemIdentifier": record["messageId"]})
                continue
            # The reply's channel, thread or user is gone: no retry can deliver it.
            runtime.state.complete_once("work", item.id)
            logger.error(
                "dropping a work item whose reply Slack refuses for good",
                extra={"id": item.id, "reason": exc.response.get("error")},
            )
        except Exception:
            logger.exception("work item failed; the queue will retry it", extra={"id": item.id})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


_KINDS = frozenset({"command", "action", "mention", "home"})
_TYPES: dict[str, tuple[type, ...]] = {"requested_at": (int, float), "checked_role": (bool,)}
# Slack errors that say the destination no longer exists or will not take our messages.
GONE = frozenset(
    {
        "channel_not_found",
        "thread_not_found",
        "message_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "account_inactive",
    }
)


def parse_work_item(body: Any) -> WorkItem:
    """A queue body as a WorkItem; ValueError when it is not one (it never will be)."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    item = WorkItem.from_json(body)
    for field in fields(WorkItem):
        value = getattr(item, field.name)
        wanted: tuple[type, ...] = _TYPES.get(field.name, (str,))
        if not isinstance(value, wanted) or (field.name == "requested_at" and value is True):
            raise ValueError(f"{field.name} is {type(value).__name__}, not {field.type}")
    if item.kind not in _KINDS or not item.user or not item.id:
        raise ValueError(f"not a work item: kind {item.kind!r}, user {item.user!r}")
    return item


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
