"""The SNS inbox: any topic an operator subscribes, routed by what each message is.

CloudTrail log-file notices -> the audit history (each .json.gz read from S3 once);
CloudWatch alarms -> the alarm flow (bot/flows/alarms/incidents.py); AWS Backup job
notifications -> a summary notice; anything else -> a plain notice, escaped and cut to
Slack's limits.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.aws.idempotency import Duplicate
from bot.domain.backup_notices import notice_fields, parse_backup_notice
from bot.domain.errors import InvalidValue
from bot.domain.sns_inbox import (
    ALARM,
    BACKUP_JOB,
    CLOUDTRAIL_LOG_FILES,
    SnsMessage,
    classify_sns,
    decode_alarm,
    parse_log_file_notice,
    sns_messages,
)
from bot.flows.audit.ingest import ingest_log_files
from bot.flows.routing import route
from bot.render.notices import render_backup_notice, render_plain_notice
from bot.runtime import Runtime

log = logging.getLogger(__name__)
_SCOPE = "sns-inbox"
_KEEP_S = 7 * 86400


def handle_sns_event(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Route every SNS record; malformed ones are logged and dropped with the reason."""
    handled: list[dict[str, Any]] = []
    for message in sns_messages(event):
        if isinstance(message, InvalidValue):
            log.warning("dropping an SNS record", extra={"reason": message.message})
            handled.append({"kind": "dropped", "reason": message.message})
            continue
        handled.append(route_message(message, runtime))
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
    if kind == ALARM:
        from bot.flows.alarms.incidents import deliver_alarm_message  # only when needed

        outcome = deliver_alarm_message(decode_alarm(message.text), message.message_id, runtime)
        return {"kind": kind, "outcome": outcome}
    return {"kind": kind, "posted": _post_once(message, kind, runtime)}


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
        notice = parse_backup_notice(
            message.text,
            message.attributes,
            topic_arn=message.topic_arn,
            timestamp=message.timestamp,
        )
        channel_kind, fields = "backups", notice_fields(notice)
        rendered = render_backup_notice(notice, now=now)
    else:
        channel_kind = "sns"
        fields = {"kind": "sns", "subject": message.subject, "topic": message.topic_arn}
        rendered = render_plain_notice(
            message.subject, message.text, topic_arn=message.topic_arn, now=now
        )
    destinations = route(runtime.settings, channel_kind, fields)
    for destination in destinations:
        runtime.notifier.post(destination.channel, rendered)
    return len(destinations)
