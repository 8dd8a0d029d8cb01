"""S3's announcements of new objects, read as CloudTrail log-file notices.

A trail bucket can announce its log files itself: an S3 event notification (``{"Records":
[{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": ...},
"object": {"key": ...}}}]}``, keys URL-encoded) over SNS, or S3's EventBridge "Object
Created" event (``detail.bucket.name``, ``detail.object.key``). Either becomes the same
:class:`~bot.domain.sns_inbox.LogFileNotice` CloudTrail's own SNS notice gives, so the log
files take one path. Only the SNS inbox loads this module, and only for an S3 message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote_plus

from bot.domain.errors import InvalidValue
from bot.domain.s3_names import bucket_name_problem, object_key_problem
from bot.domain.sns_inbox import LogFileNotice, is_log_file_key

TEST_EVENT: Final = "s3:TestEvent"


def is_s3_test_event(obj: Mapping[str, Any]) -> bool:
    """S3's test message, sent once when a bucket notification is configured."""
    return obj.get("Event") == TEST_EVENT


def is_s3_notification(obj: Mapping[str, Any]) -> bool:
    """An S3 event notification, an S3 EventBridge object event, or S3's test message."""
    if is_s3_test_event(obj) or (
        obj.get("source") == "aws.s3" and isinstance(obj.get("detail"), Mapping)
    ):
        return True
    records = obj.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, Mapping) and r.get("eventSource") == "aws:s3" for r in records)
    )


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _created(bucket: object, key: object) -> tuple[str, str] | str:
    """(bucket, key) of a created object, or why S3 cannot have it."""
    problem = bucket_name_problem(bucket)
    if problem is not None or not isinstance(bucket, str):
        return f"a bucket S3 cannot have ({problem})"
    problem = object_key_problem(key)
    if problem is not None or not isinstance(key, str):
        return f"a key S3 cannot have ({problem})"
    return bucket, key


def _objects(obj: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(bucket, key) of each object the message says was created; and why each other event
    is not one (not a creation, or a bucket or key S3 cannot have)."""
    if obj.get("source") == "aws.s3":
        detail = _obj(obj.get("detail"))
        bucket, item = _obj(detail.get("bucket")), _obj(detail.get("object"))
        if obj.get("detail-type") != "Object Created":
            return [], ["not an Object Created event"]
        found = _created(bucket.get("name"), item.get("key"))
        return ([], [found]) if isinstance(found, str) else ([found], [])
    created: list[tuple[str, str]] = []
    others: list[str] = []
    records = obj.get("Records")
    for record in records if isinstance(records, list) else []:
        record = _obj(record)
        s3 = _obj(record.get("s3"))
        bucket, item = _obj(s3.get("bucket")), _obj(s3.get("object"))
        key = item.get("key")
        name = record.get("eventName")
        if not (isinstance(name, str) and name.startswith("ObjectCreated")):
            others.append("not an ObjectCreated event")
            continue
        # S3 URL-encodes keys in its notifications ("a b" arrives as "a+b").
        found = _created(bucket.get("name"), unquote_plus(key) if isinstance(key, str) else None)
        if isinstance(found, str):
            others.append(found)
            continue
        created.append(found)
    return created, others


def log_file_notices(obj: Mapping[str, Any]) -> list[LogFileNotice]:
    """One notice per bucket, naming its new CloudTrail log files (digest files, other
    objects and other events are left out: ``skipped``); InvalidValue for a message that
    names no created object at all."""
    if is_s3_test_event(obj):
        return []
    created, others = _objects(obj)
    if not created:
        why = f": {'; '.join(dict.fromkeys(others))}" if others else ""
        raise InvalidValue(f"this S3 message announces no created object S3 can have{why}")
    by_bucket: dict[str, list[str]] = {}
    for bucket, key in created:
        by_bucket.setdefault(bucket, []).append(key)
    return [
        LogFileNotice(
            bucket=bucket,
            keys=tuple(dict.fromkeys(k for k in keys if is_log_file_key(k))),
            skipped=tuple(k for k in keys if not is_log_file_key(k)),
        )
        for bucket, keys in by_bucket.items()
    ]
