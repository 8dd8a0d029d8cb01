"""What arrives in the SNS inbox, and where it goes: log-file notices, alarms, AWS Backup, text.

The inbox takes any topic an operator subscribes it to, so it routes by content, not by topic:
a CloudTrail log-file notice (``{"s3Bucket": ..., "s3ObjectKey": [...]}``), a CloudWatch
alarm (its JSON), an AWS Backup vault notification (message attributes ``EventType`` and
``State``, or its subject), and anything else, shown as a plain notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any, Final

from bot.domain.errors import InvalidValue
from bot.domain.records import frozen
from bot.domain.s3_names import bucket_name_problem, object_key_problem

CLOUDTRAIL_LOG_FILES: Final = "cloudtrail_log_files"
S3_OBJECTS: Final = "s3_objects"  # S3's own notification of new objects (a trail bucket's)
ALARM: Final = "alarm"
BACKUP_JOB: Final = "backup_job"
PLAIN: Final = "plain"
KINDS: Final = (CLOUDTRAIL_LOG_FILES, S3_OBJECTS, ALARM, BACKUP_JOB, PLAIN)

# AWS Backup's own attribute values (EventType) and vault event names (PutBackupVaultNotifications).
_BACKUP_EVENT_TYPES: Final = (
    "BACKUP_JOB",
    "RESTORE_JOB",
    "COPY_JOB",
    "RECOVERY_POINT",
    "CONTINUOUS_BACKUP",
    "S3_BACKUP_OBJECT",
    "S3_RESTORE_OBJECT",
    "EKS_BACKUP_OBJECT",
    "EKS_RESTORE_OBJECT",
    "BACKUP_PLAN",
    "RESTORE_TESTING",
)
_BACKUP_SUBJECT: Final = "notification from aws backup"
# CloudWatch's alarm states (bot.domain.alarm_events.AlarmState, which this module does not load:
# the inbox only needs to recognise an alarm, the alarm path parses it).
ALARM_STATES: Final = frozenset({"OK", "ALARM", "INSUFFICIENT_DATA"})
# A tuple, not a set: a forged detail-type may be an unhashable list.
_ALARM_DETAIL_TYPES: Final = (
    "CloudWatch Alarm State Change",
    "CloudWatch Alarm Contributor State Change",
)


@frozen
class SnsMessage:
    """One SNS notification as Lambda delivers it (a record of the ``Records`` list)."""

    message_id: str
    text: str
    subject: str | None = None
    topic_arn: str | None = None
    timestamp: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    subscription_arn: str | None = None


@frozen
class LogFileNotice:
    """CloudTrail's announcement that it delivered log files to S3."""

    bucket: str
    keys: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # digest and insight files: not API call records


def attribute_values(attributes: object) -> dict[str, str]:
    """SNS message attributes as plain strings: ``{"State": {"Value": "FAILED"}}`` -> FAILED."""
    values: dict[str, str] = {}
    if not isinstance(attributes, Mapping):
        return values
    for name, value in attributes.items():
        if isinstance(value, Mapping):
            value = value.get("Value", value.get("StringValue"))
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            values[str(name)] = str(value)
    return values


NESTED_TOO_DEEPLY: Final = "its JSON is nested too deeply to read"


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object a message's text holds; None for any other text; InvalidValue for
    JSON (an object or an array) nested deeper than the parser recurses: RecursionError is
    no ValueError, and no consumer could ever read such a message."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return None
    except RecursionError:
        raise InvalidValue(NESTED_TOO_DEEPLY) from None
    return decoded if isinstance(decoded, dict) else None


def classify_sns(
    message_text: str, subject: str | None, attributes: Mapping[str, Any] | None
) -> str:
    """The kind of an SNS message: CLOUDTRAIL_LOG_FILES, S3_OBJECTS, ALARM, BACKUP_JOB or
    PLAIN."""
    text = message_text if isinstance(message_text, str) else ""
    decoded = json_object(text)
    if decoded is not None and "s3Bucket" in decoded and "s3ObjectKey" in decoded:
        return CLOUDTRAIL_LOG_FILES
    if decoded is not None and _looks_like_s3(decoded):
        return S3_OBJECTS
    if decoded is not None and is_alarm_message(decoded):
        return ALARM
    if decoded is not None and decoded.get("source") == "aws.backup":
        return BACKUP_JOB  # AWS Backup's EventBridge event, forwarded to SNS
    values = {k.lower(): v for k, v in attribute_values(attributes).items()}
    event_type = values.get("eventtype", "").upper()  # EKS notices spell it eventType
    if event_type.startswith(_BACKUP_EVENT_TYPES):
        return BACKUP_JOB
    if (subject or "").strip().lower() == _BACKUP_SUBJECT and decoded is None:
        return BACKUP_JOB
    return PLAIN


def _looks_like_s3(decoded: Mapping[str, Any]) -> bool:
    """S3's event notification, its EventBridge event or its test message (read in full by
    bot.domain.s3_notices, which only an S3 message loads)."""
    if decoded.get("Event") == "s3:TestEvent" or decoded.get("source") == "aws.s3":
        return True
    records = decoded.get("Records")
    first = records[0] if isinstance(records, list) and records else None
    return isinstance(first, Mapping) and first.get("eventSource") == "aws:s3"


def is_log_file_key(key: str) -> bool:
    """Whether an S3 key is a CloudTrail log file of API calls (not a digest or insight file)."""
    return (
        key.endswith(".json.gz") and "/CloudTrail/" in f"/{key}" and "CloudTrail-Digest" not in key
    )


def parse_log_file_notice(message_text: str) -> LogFileNotice:
    """The bucket and log-file keys of a CloudTrail notice; InvalidValue says what is wrong."""
    decoded = json_object(message_text if isinstance(message_text, str) else "")
    if decoded is None:
        raise InvalidValue("CloudTrail notice is not a JSON object")
    bucket = decoded.get("s3Bucket")
    keys = decoded.get("s3ObjectKey")
    if bucket is None or bucket == "":
        raise InvalidValue("CloudTrail notice has no s3Bucket name")
    problem = bucket_name_problem(bucket)
    if problem is not None or not isinstance(bucket, str):
        raise InvalidValue(f"CloudTrail notice's s3Bucket is not a bucket S3 can have: {problem}")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise InvalidValue("CloudTrail notice's s3ObjectKey is not a list of object keys")
    for key in keys:
        if (problem := object_key_problem(key)) is not None:
            raise InvalidValue(f"CloudTrail notice's s3ObjectKey holds a bad key: {problem}")
    wanted = tuple(dict.fromkeys(k for k in keys if is_log_file_key(k)))
    skipped = tuple(k for k in keys if not is_log_file_key(k))
    return LogFileNotice(bucket=bucket, keys=wanted, skipped=skipped)


def sns_messages(event: Mapping[str, Any]) -> Iterator[SnsMessage | InvalidValue]:
    """The SNS notifications of a Lambda event; a record that is not one yields InvalidValue."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        yield InvalidValue("not an SNS event: expected a Records list")
        return
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if not isinstance(sns, Mapping):
            yield InvalidValue(f"record {index} has no Sns notification")
            continue
        message_id, text = sns.get("MessageId"), sns.get("Message")
        if not isinstance(message_id, str) or not message_id or not isinstance(text, str):
            yield InvalidValue(f"record {index} has no MessageId or Message")
            continue
        subject = sns.get("Subject")
        subscription = record.get("EventSubscriptionArn")
        yield SnsMessage(
            message_id=message_id,
            text=text,
            subject=subject if isinstance(subject, str) and subject else None,
            topic_arn=sns.get("TopicArn") if isinstance(sns.get("TopicArn"), str) else None,
            timestamp=sns.get("Timestamp") if isinstance(sns.get("Timestamp"), str) else None,
            attributes=attribute_values(sns.get("MessageAttributes")),
            subscription_arn=subscription if isinstance(subscription, str) else None,
        )


def decode_alarm(message_text: str) -> dict[str, Any]:
    """The alarm JSON of an SNS alarm message (classified ALARM)."""
    decoded = json_object(message_text)
    if decoded is None:
        raise InvalidValue("alarm message is not a JSON object")
    return decoded


def is_alarm_message(obj: object) -> bool:
    """True when an SNS message (decoded JSON, or its raw text) is a CloudWatch alarm.

    Accepts the classic alarm JSON (AlarmName/AlarmArn + NewStateValue) and an EventBridge
    alarm state change forwarded to SNS; everything else (AWS Backup notices, S3 log
    deliveries, plain text) is not an alarm.
    """
    if isinstance(obj, str | bytes):
        try:
            obj = json.loads(obj)
        except (ValueError, RecursionError):
            return False
    if not isinstance(obj, Mapping):
        return False
    if obj.get("detail-type") in _ALARM_DETAIL_TYPES:
        return True
    if isinstance(obj.get("alarmData"), Mapping) and obj.get("source") == "aws.cloudwatch":
        return True  # an alarm Lambda action's payload, forwarded
    has_name = any(
        isinstance(obj.get(k), str) and obj[k].strip() for k in ("AlarmName", "AlarmArn")
    )
    state = obj.get("NewStateValue")
    return has_name and isinstance(state, str) and state.strip().upper() in ALARM_STATES
