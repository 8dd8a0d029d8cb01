"""What an event file is and which function takes it.

`read_event` reads an event file's JSON; `detect_source` tells SNS, EventBridge and SQS
events apart and names the functions module that handles each (as `replay` delivers it), or
says why no handler takes it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from bot.local.verbs import LineError


class UnknownEvent(LineError):
    """An event file whose shape no handler takes."""


def read_event(path: Path) -> Any:
    """The JSON of an event file, gunzipped when it is gzipped (a CloudTrail log file as it
    lies in S3); LineError/UnknownEvent when it cannot be read as JSON."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise LineError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise UnknownEvent(f"{path}: not a JSON event ({exc})") from None


def eventbridge_target(event: dict[str, Any]) -> str | None:
    """The functions module for an EventBridge event from the bot's rule; None if none."""
    detail_type = event.get("detail-type")
    if detail_type in (
        "CloudWatch Alarm State Change",
        "CloudWatch Alarm Contributor State Change",
    ):
        return "alarms"
    if detail_type == "AWS API Call via CloudTrail":
        return "cloudtrail"
    return None


def detect_source(event: Any) -> tuple[str | None, str]:
    """(source, functions module) for an event; (None, reason) when no handler takes it."""
    if not isinstance(event, dict):
        return None, f"an event is a JSON object, not {type(event).__name__}"
    if "detail-type" in event and "source" in event:
        detail_type = str(event["detail-type"])
        target = eventbridge_target(event)
        if target == "alarms":
            return "EventBridge alarm", "alarms"
        if target == "cloudtrail":
            return "EventBridge CloudTrail", "cloudtrail"
        if detail_type == "Scheduled Event":
            return "EventBridge schedule", "prune_scheduler"
        if event.get("source") == "aws.s3" and detail_type == "Object Created":
            return "EventBridge S3 object", "sns_inbox"
        return None, f"no handler takes EventBridge events of detail-type {detail_type!r}"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        if isinstance(first.get("Sns"), dict):
            return _sns_source(first["Sns"])
        if first.get("eventSource") == "aws:sqs":
            return _sqs_source(first)
        if first.get("eventSource") == "aws:s3":
            return "S3 notification", "sns_inbox"
        if "eventName" in first and "eventVersion" in first:
            # Put in the embedded S3 and announced, as CloudTrail announces a delivery.
            return "CloudTrail log file", "sns_inbox"
        source = first.get("eventSource") or first.get("EventSource")
        return None, f"no handler takes records from {source or 'an unknown source'}"
    if event.get("source") == "aws.cloudwatch" and isinstance(event.get("alarmData"), dict):
        return "CloudWatch alarm action", "alarms"
    if event.get("Event") == "s3:TestEvent":
        return "S3 test notification", "sns_inbox"
    keys = ", ".join(sorted(str(k) for k in event)[:6]) or "none"
    return None, (
        "not an SNS, EventBridge or SQS event (expected Records or detail-type; "
        f"top-level keys: {keys})"
    )


def _sns_source(sns: dict[str, Any]) -> tuple[str | None, str]:
    try:
        message = json.loads(str(sns.get("Message", "")))
    except ValueError:
        message = None
    if isinstance(message, dict):
        if "AlarmName" in message and "NewStateValue" in message:
            return "SNS alarm", "alarms"
        if "s3Bucket" in message and "s3ObjectKey" in message:
            return "SNS CloudTrail log notice", "sns_inbox"
        records = message.get("Records")
        first = records[0] if isinstance(records, list) and records else None
        if message.get("source") == "aws.s3" or (
            isinstance(first, dict) and first.get("eventSource") == "aws:s3"
        ):
            return "SNS S3 notification", "sns_inbox"
    return "SNS", "sns_inbox"


def _sqs_source(record: dict[str, Any]) -> tuple[str | None, str]:
    queue = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
    by_queue = {
        "opsbot-work": "slack_worker",
        "opsbot-prune": "prune_worker",
        "opsbot-prune.fifo": "prune_worker",
        "opsbot-restore-watch": "restore_watcher",
    }
    if queue in by_queue:
        return f"SQS {queue}", by_queue[queue]
    try:
        body = json.loads(str(record.get("body", "")))
    except ValueError:
        body = None
    if isinstance(body, dict):
        if "kind" in body and "user" in body:
            return "SQS work item", "slack_worker"
        if {"run_id", "region", "table"} <= body.keys():
            return "SQS prune task", "prune_worker"
        if {"job", "check"} <= body.keys():
            return "SQS restore check", "restore_watcher"
    return None, "an SQS event whose body is neither a work item, a prune task nor a restore check"
