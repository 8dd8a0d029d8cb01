"""The SNS inbox: any topic an operator subscribes, routed by what each message is.

CloudTrail log-file notices -> the audit history (each .json.gz read from S3 once);
CloudWatch alarms -> the alarm flow (bot/flows/alarms/incidents.py); AWS Backup job
notifications -> a summary notice; anything else -> a plain notice, escaped and cut to
Slack's limits.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.aws.idempotency import Duplicate
from bot.domain.errors import InvalidValue
from bot.domain.sns_inbox import (
    ALARM,
    BACKUP_JOB,
    CLOUDTRAIL_LOG_FILES,
    S3_OBJECTS,
    SnsMessage,
    classify_sns,
    decode_alarm,
    json_object,
    parse_log_file_notice,
    sns_messages,
)
from bot.flows.audit.ingest import IngestResult, ingest_log_files
from bot.flows.routing import route
from bot.render.notices import render_backup_notice, render_plain_notice
from bot.runtime import Runtime

if TYPE_CHECKING:  # AWS Backup notices are read only when one arrives
    from bot.domain.backup_notices import BackupNotice

log = logging.getLogger(__name__)
_SCOPE = "sns-inbox"
_KEEP_S = 7 * 86400


def handle_sns_event(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Route every SNS record; malformed ones are logged and dropped with the reason.

    S3's own announcement of a trail bucket's new object, delivered directly (EventBridge
    "Object Created", or an S3 event notification) rather than through SNS, takes the same
    path as one that came through SNS.
    """
    if _is_direct_s3(event):
        return {"handled": [{"kind": S3_OBJECTS, **ingest_s3_message(event, runtime)}]}
    handled: list[dict[str, Any]] = []
    for message in sns_messages(event):
        if isinstance(message, InvalidValue):
            log.warning("dropping an SNS record", extra={"reason": message.message})
            handled.append({"kind": "dropped", "reason": message.message})
            continue
        try:
            handled.append(route_message(message, runtime))
        except InvalidValue as exc:  # no delivery of this message could ever succeed
            log.warning("dropping an SNS message", extra={"reason": exc.message})
            handled.append({"kind": "dropped", "dropped": exc.message})
    return {"handled": handled}


def route_message(message: SnsMessage, runtime: Runtime) -> dict[str, Any]:
    """Deliver one SNS message by its kind (see bot.domain.sns_inbox.classify_sns)."""
    kind = classify_sns(message.text, message.subject, message.attributes)
    if kind == CLOUDTRAIL_LOG_FILES:
        try:
            notice = parse_log_file_notice(message.text)
        except InvalidValue as exc:
            log.warning("dropping a CloudTrail notice", extra={"reason": exc.message})
            return {"kind": kind, "dropped": exc.message}
        return {"kind": kind, **ingest_log_files(notice, runtime).as_dict()}
    if kind == S3_OBJECTS:
        return {"kind": kind, **ingest_s3_message(decode_alarm(message.text), runtime)}
    if kind == ALARM:
        from bot.flows.alarms.incidents import deliver_alarm_message  # only when needed

        outcome = deliver_alarm_message(
            decode_alarm(message.text),
            message.message_id,
            runtime,
            topic_arn=message.topic_arn,
            subscription_arn=message.subscription_arn,
            received_at=message.timestamp,
        )
        return {"kind": kind, "outcome": outcome}
    return {"kind": kind, "posted": _post_once(message, kind, runtime)}


def _backup_notice(message: SnsMessage) -> BackupNotice:
    """An AWS Backup notice: its SNS text and attributes, or its EventBridge event as JSON."""
    from bot.domain.backup_notices import parse_backup_notice  # backup notices only

    decoded = json_object(message.text)
    if decoded is not None and decoded.get("source") == "aws.backup":
        from bot.domain.backup_events import parse_backup_event  # EventBridge form: rare

        return parse_backup_event(decoded, topic_arn=message.topic_arn)
    return parse_backup_notice(
        message.text,
        message.attributes,
        topic_arn=message.topic_arn,
        timestamp=message.timestamp,
    )


def _is_direct_s3(event: dict[str, Any]) -> bool:
    if event.get("source") == "aws.s3" and "detail-type" in event:
        return True
    if event.get("Event") == "s3:TestEvent":
        return True
    records = event.get("Records")
    first = records[0] if isinstance(records, list) and records else None
    return isinstance(first, dict) and first.get("eventSource") == "aws:s3"


def ingest_s3_message(message: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """S3's notice of new objects in a trail bucket: read each CloudTrail log file it names,
    as for CloudTrail's own notice; S3's test message is ignored quietly."""
    from bot.domain.s3_notices import is_s3_test_event, log_file_notices  # S3 messages only

    if is_s3_test_event(message):
        log.info("ignoring S3's test notification for bucket %s", message.get("Bucket"))
        return {"ignored": "s3:TestEvent"}
    try:
        notices = log_file_notices(message)
    except InvalidValue as exc:
        log.warning("dropping an S3 notification", extra={"reason": exc.message})
        return {"dropped": exc.message}
    result = IngestResult()
    for notice in notices:
        result.add(ingest_log_files(notice, runtime))
    return result.as_dict()


def _post_once(message: SnsMessage, kind: str, runtime: Runtime) -> int:
    """Post a backup or plain notice, once per SNS MessageId; the number of posts made."""
    posted = runtime.once(
        _SCOPE, message.message_id, lambda: _post(message, kind, runtime), keep_s=_KEEP_S
    )
    return 0 if isinstance(posted, Duplicate) else posted


def _post(message: SnsMessage, kind: str, runtime: Runtime) -> int:
    """Post a backup or plain notice to its routed channels."""
    now = runtime.now()
    if kind == BACKUP_JOB:
        notice = _backup_notice(message)
        from bot.domain.backup_notices import notice_fields

        channel_kind, fields = "backups", notice_fields(notice)
        rendered = render_backup_notice(notice, now=now)
        if notice.job_type == "restore_test":
            # AWS Backup restore tests join the drill history (rare: loaded only for them)
            from bot.flows.drills.restore_tests import record_restore_test

            record_restore_test(notice, runtime)
    else:
        channel_kind = "sns"
        fields = {"kind": "sns", "subject": message.subject, "topic": message.topic_arn}
        rendered = render_plain_notice(
            message.subject,
            message.text,
            topic_arn=message.topic_arn,
            now=now,
            sent_at=message.timestamp,
        )
    destinations = route(runtime.settings, channel_kind, fields)
    for destination in destinations:
        runtime.notifier.post(destination.channel, rendered)
    return len(destinations)
