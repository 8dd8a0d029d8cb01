"""Routing SNS messages by content, and reading CloudTrail log-file notices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.sns_inbox import (
    ALARM,
    BACKUP_JOB,
    CLOUDTRAIL_LOG_FILES,
    PLAIN,
    SnsMessage,
    attribute_values,
    classify_sns,
    parse_log_file_notice,
    sns_messages,
)
from tests.conftest import load_event


def sns(name: str) -> dict[str, Any]:
    sns_record: dict[str, Any] = load_event(name)["Records"][0]["Sns"]
    return sns_record


ALARM_JSON = sns("sns-alarm-write-throttle.json")["Message"]
EVENTBRIDGE_ALARM = json.dumps(load_event("eventbridge-alarm-replication-latency.json"))
BACKUP = sns("sns-aws-backup-job-completed.json")
LOG_NOTICE = sns("sns-cloudtrail-log-delivery.json")["Message"]


@pytest.mark.parametrize(
    ("text", "subject", "attributes", "kind"),
    [
        (LOG_NOTICE, None, {}, CLOUDTRAIL_LOG_FILES),
        ('{"s3Bucket": "b", "s3ObjectKey": "not-a-list"}', None, {}, CLOUDTRAIL_LOG_FILES),
        (ALARM_JSON, 'ALARM: "orders-write-throttle"', {}, ALARM),
        (EVENTBRIDGE_ALARM, None, {}, ALARM),
        (BACKUP["Message"], BACKUP["Subject"], BACKUP["MessageAttributes"], BACKUP_JOB),
        (
            "An AWS Backup job failed.",
            None,
            {"EventType": "RESTORE_JOB", "State": "FAILED"},
            BACKUP_JOB,
        ),
        ("copy", None, {"EventType": {"Type": "String", "Value": "COPY_JOB"}}, BACKUP_JOB),
        (
            "An AWS Backup job was completed successfully.",
            "Notification from AWS Backup",
            {},
            BACKUP_JOB,
        ),
        ("deploy finished", "Deploy", {}, PLAIN),
        ('{"AlarmName": "x"}', None, {}, PLAIN),  # a name without a state is not an alarm
        ('{"s3Bucket": "only"}', None, {}, PLAIN),
        ("[1, 2, 3]", None, {}, PLAIN),
        ("{not json", None, {}, PLAIN),
        ("", None, None, PLAIN),
    ],
    ids=[
        "cloudtrail-notice",
        "malformed-cloudtrail-notice-still-cloudtrail",
        "alarm-json",
        "eventbridge-alarm-via-sns",
        "aws-backup-by-attributes",
        "aws-backup-plain-attributes",
        "aws-backup-copy",
        "aws-backup-by-subject",
        "plain-text",
        "alarm-name-without-state",
        "bucket-without-keys",
        "json-array",
        "broken-json",
        "empty",
    ],
)
def test_classify_sns_routes_by_content(
    text: str, subject: str | None, attributes: Any, kind: str
) -> None:
    assert classify_sns(text, subject, attributes) == kind


def test_log_file_notice_keeps_log_files_and_skips_digests() -> None:
    message = json.dumps(
        {
            "s3Bucket": "trail",
            "s3ObjectKey": [
                "AWSLogs/1/CloudTrail/us-west-2/2026/11/22/a.json.gz",
                "AWSLogs/1/CloudTrail-Digest/us-west-2/2026/11/22/d.json.gz",
                "AWSLogs/1/CloudTrail/us-west-2/2026/11/22/a.json.gz",
            ],
        }
    )
    notice = parse_log_file_notice(message)
    assert notice.bucket == "trail"
    assert notice.keys == ("AWSLogs/1/CloudTrail/us-west-2/2026/11/22/a.json.gz",)
    assert notice.skipped == ("AWSLogs/1/CloudTrail-Digest/us-west-2/2026/11/22/d.json.gz",)


def test_log_file_notice_reads_the_documented_example() -> None:
    notice = parse_log_file_notice(LOG_NOTICE)
    assert notice.bucket == "org-cloudtrail-logs"
    assert len(notice.keys) == 1


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json", "CloudTrail notice is not a JSON object"),
        ('{"s3ObjectKey": ["k.json.gz"]}', "CloudTrail notice has no s3Bucket name"),
        ('{"s3Bucket": "org-logs", "s3ObjectKey": []}', "not a list of object keys"),
        ('{"s3Bucket": "org-logs", "s3ObjectKey": {"k": 1}}', "not a list of object keys"),
    ],
    ids=["not-json", "no-bucket", "empty-keys", "keys-object"],
)
def test_malformed_log_file_notice_names_the_problem(message: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        parse_log_file_notice(message)


def test_sns_messages_reads_lambda_records_and_flags_broken_ones() -> None:
    event = load_event("sns-aws-backup-job-completed.json")
    event["Records"].append({"Sns": {"MessageId": "x"}})
    first, second = list(sns_messages(event))
    assert isinstance(first, SnsMessage)
    assert first.attributes == {"EventType": "BACKUP_JOB", "State": "COMPLETED"}
    assert first.subject == "Notification from AWS Backup"
    assert isinstance(second, InvalidValue)
    assert "record 1" in second.message


def test_sns_messages_of_something_that_is_not_an_sns_event() -> None:
    [problem] = list(sns_messages({"detail": {}}))
    assert isinstance(problem, InvalidValue)


def test_attribute_values_accepts_lambda_and_raw_shapes() -> None:
    raw = {"A": {"Type": "String", "Value": "1"}, "B": "2", "C": {"StringValue": "3"}, "D": None}
    assert attribute_values(raw) == {"A": "1", "B": "2", "C": "3"}
