"""Replaying captured CloudTrail log files: put in the embedded S3, then announced.

`opsbot replay` takes a CloudTrail log file (``{"Records": [...]}``, JSON or gzipped JSON)
as it lies in a trail bucket. Given with an S3 notification that names objects, the log files
become those objects (in the order given); a log file named by no notification is put in the
sample trail bucket and announced as CloudTrail announces its own deliveries, over SNS. Either
way the inbox reads it from S3, as it would in AWS.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.local.sample_trail_log import TRAIL_BUCKET

_ACCOUNT = "123456789012"


def is_log_file(event: Any) -> bool:
    """A CloudTrail log file: a Records list of CloudTrail records (not S3, SNS or SQS ones)."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return False
    first = records[0]
    return (
        "eventName" in first
        and "eventVersion" in first
        and "Sns" not in first
        and (not str(first.get("eventSource", "")).startswith("aws:"))
    )


def _messages(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The S3 messages in an event: itself, or each SNS record's decoded Message."""
    records = event.get("Records")
    first = records[0] if isinstance(records, list) and records else None
    if not (isinstance(first, dict) and isinstance(first.get("Sns"), dict)):
        yield event
        return
    for record in records if isinstance(records, list) else []:
        try:
            message = json.loads(str(record.get("Sns", {}).get("Message", "")))
        except ValueError:
            continue
        if isinstance(message, dict):
            yield message


def named_objects(event: Any) -> list[tuple[str, str]]:
    """(bucket, key) of every object an S3 notification (direct, EventBridge or in SNS) names."""
    from bot.domain.s3_notices import is_s3_notification, log_file_notices

    if not isinstance(event, dict):
        return []
    found: list[tuple[str, str]] = []
    for message in _messages(event):
        if not is_s3_notification(message):
            continue
        try:
            notices = log_file_notices(message)
        except ValueError:
            continue
        for notice in notices:
            found += [(notice.bucket, key) for key in (*notice.keys, *notice.skipped)]
    return found


def pair_objects(events: Sequence[tuple[Path, Any]]) -> dict[Path, tuple[str, str]]:
    """Which log file is which named object: log files fill the objects the S3 notifications
    name, in the order both are given."""
    wanted = [obj for _, event in events for obj in named_objects(event)]
    pairs: dict[Path, tuple[str, str]] = {}
    for path, event in events:
        if wanted and is_log_file(event):
            pairs[path] = wanted.pop(0)
    return pairs


def put_log_file(s3: Any, bucket: str, key: str, log_file: Any) -> None:
    """Put ``log_file`` gzipped at s3://bucket/key, creating the bucket when it is missing."""
    region = s3.meta.region_name
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        where = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": where} if where else {}))
    body = gzip.compress(json.dumps(log_file).encode("utf-8"))
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def log_file_key(path: Path, log_file: Mapping[str, Any], region: str) -> str:
    """A trail-shaped key for a replayed log file: AWSLogs/<account>/CloudTrail/<region>/..."""
    records = log_file.get("Records") or [{}]
    first = records[0] if isinstance(records[0], dict) else {}
    account = str(first.get("recipientAccountId") or _ACCOUNT)
    where = str(first.get("awsRegion") or region)
    day = str(first.get("eventTime") or "1970-01-01")[:10].replace("-", "/")
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return f"AWSLogs/{account}/CloudTrail/{where}/{day}/{name}.json.gz"


def announce(bucket: str, key: str, *, message_id: str, region: str) -> dict[str, Any]:
    """CloudTrail's SNS notice of one delivered log file, as Lambda receives it."""
    topic = f"arn:aws:sns:{region}:{_ACCOUNT}:cloudtrail-log-delivery"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:replay",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic,
                    "Subject": None,
                    "Message": json.dumps({"s3Bucket": bucket, "s3ObjectKey": [key]}),
                    "MessageAttributes": {},
                },
            }
        ]
    }


def trail_bucket() -> str:
    """The sample trail bucket a log file given on its own is put in."""
    return TRAIL_BUCKET
