"""functions.sns_inbox end to end: log-file notices, alarms, AWS Backup and plain SNS text."""

from __future__ import annotations

import copy
import gzip
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from bot.aws.state import audit_pk
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail, sns_inbox
from tests.conftest import REGION, load_event

ACCOUNT = "123456789012"
BUCKET = "org-cloudtrail-logs"
KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)


def detail(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_event(name)["detail"])


def log_file_records() -> list[dict[str, Any]]:
    """3 DynamoDB management events, 1 DynamoDB data event and 1 S3 event."""
    data_event = detail("cloudtrail/tag-resource.json")
    data_event.update(
        eventName="PutItem", eventCategory="Data", managementEvent=False, eventID="data-0001"
    )
    s3_event = detail("cloudtrail/tag-resource.json")
    s3_event.update(eventSource="s3.amazonaws.com", eventName="PutObject", eventID="s3-0001")
    return [
        detail("eventbridge-cloudtrail-pitr-disabled.json"),
        data_event,
        detail("eventbridge-cloudtrail-delete-backup.json"),
        s3_event,
        detail("cloudtrail/tag-resource.json"),
    ]


@pytest.fixture
def trail_bucket(runtime: Runtime) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    body = gzip.compress(json.dumps({"Records": log_file_records()}).encode())
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)


@pytest.fixture
def calls(runtime: Runtime) -> Iterator[list[str]]:
    made: list[str] = []
    runtime.clients.on_event(
        "before-call.*.*",
        lambda model, **_: made.append(f"{model.service_model.service_name}:{model.name}"),
    )
    return made


def stored(runtime: Runtime) -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, "orders"))
    return items


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


def sns_event(
    message: str,
    *,
    subject: str | None = None,
    message_id: str = "m-1",
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event = load_event("sns-aws-backup-job-completed.json")
    sns = event["Records"][0]["Sns"]
    sns.update(
        Message=message,
        Subject=subject,
        MessageId=message_id,
        MessageAttributes=attributes or {},
        TopicArn="arn:aws:sns:us-west-2:123456789012:ops-inbox",
    )
    return event


# --- CloudTrail log files ------------------------------------------------------------------


def test_log_file_keeps_the_three_dynamodb_management_events(
    runtime: Runtime, slack: SlackSink, trail_bucket: None, calls: list[str]
) -> None:
    result = sns_inbox.handle(load_event("sns-cloudtrail-log-delivery.json"), runtime)
    [handled] = result["handled"]
    assert handled["kind"] == "cloudtrail_log_files"
    assert (handled["received"], handled["kept"], handled["stored"]) == (5, 3, 3)
    assert [i["action"] for i in stored(runtime)] == [
        "TagResource",
        "DeleteBackup",
        "UpdateContinuousBackups",
    ]
    assert calls.count("s3:GetObject") == 1
    assert calls.count("dynamodb:BatchWriteItem") == 1
    assert calls.count("dynamodb:PutItem") <= 4  # claims only: the object's and two notices'
    # PITR off and DeleteBackup are critical; tagging is recorded only.
    assert len(posts(slack)) == 2


def test_redelivered_log_notice_reads_nothing_and_posts_nothing_twice(
    runtime: Runtime, slack: SlackSink, trail_bucket: None, calls: list[str]
) -> None:
    event = load_event("sns-cloudtrail-log-delivery.json")
    sns_inbox.handle(event, runtime)
    again = copy.deepcopy(event)
    again["Records"][0]["Sns"]["MessageId"] = "another-delivery-of-the-same-object"
    sns_inbox.handle(event, runtime)
    sns_inbox.handle(again, runtime)
    assert calls.count("s3:GetObject") == 1
    assert len(stored(runtime)) == 3
    assert len(posts(slack)) == 2


def test_event_seen_on_eventbridge_first_is_not_posted_again_from_the_log_file(
    runtime: Runtime, slack: SlackSink, trail_bucket: None
) -> None:
    cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    assert len(posts(slack)) == 1
    sns_inbox.handle(load_event("sns-cloudtrail-log-delivery.json"), runtime)
    assert len(stored(runtime)) == 3
    assert len(posts(slack)) == 2  # only DeleteBackup is new


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            '{"s3Bucket": "", "s3ObjectKey": ["a.json.gz"]}',
            "CloudTrail notice has no s3Bucket name",
        ),
        (
            '{"s3Bucket": "org-logs", "s3ObjectKey": [42]}',
            "CloudTrail notice's s3ObjectKey is not a list of object keys",
        ),
    ],
    ids=["no-bucket", "keys-not-strings"],
)
def test_malformed_log_notice_is_dropped_with_a_logged_reason(
    runtime: Runtime, slack: SlackSink, caplog: pytest.LogCaptureFixture, message: str, reason: str
) -> None:
    with caplog.at_level(logging.WARNING):
        result = sns_inbox.handle(sns_event(message), runtime)
    assert result["handled"] == [{"kind": "cloudtrail_log_files", "dropped": reason}]
    assert "dropping a CloudTrail notice" in caplog.text
    assert posts(slack) == []


def test_record_without_an_sns_notification_is_dropped(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = sns_inbox.handle({"Records": [{"EventSource": "aws:sns"}]}, runtime)
    assert result["handled"] == [{"kind": "dropped", "reason": "record 0 has no Sns notification"}]
    assert "dropping an SNS record" in caplog.text


def test_log_file_that_is_not_gzipped_json_is_dropped(
    runtime: Runtime, slack: SlackSink, trail_bucket: None
) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=KEY, Body=b"\x1f\x8bnope")
    result = sns_inbox.handle(load_event("sns-cloudtrail-log-delivery.json"), runtime)
    [handled] = result["handled"]
    assert handled["dropped"]
    assert "is not a gzipped JSON log file" in handled["dropped"][0]
    assert stored(runtime) == []
    assert posts(slack) == []


def test_log_file_gone_from_s3_is_dropped(runtime: Runtime, slack: SlackSink) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    result = sns_inbox.handle(load_event("sns-cloudtrail-log-delivery.json"), runtime)
    assert "NoSuchKey" in result["handled"][0]["dropped"][0]


# --- alarms, AWS Backup, anything else --------------------------------------------------------


def test_alarm_message_goes_to_the_alarm_path(runtime: Runtime, slack: SlackSink) -> None:
    result = sns_inbox.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    assert result["handled"][0]["kind"] == "alarm"
    # Whatever the alarm capability renders, the alarm is posted once and named.
    [post] = posts(slack)
    assert "orders-write-throttle" in json.dumps(post)


def test_aws_backup_job_notice_is_summarised_in_the_backups_channel(
    runtime: Runtime, slack: SlackSink
) -> None:
    result = sns_inbox.handle(load_event("sns-aws-backup-job-completed.json"), runtime)
    assert result["handled"] == [{"kind": "backup_job", "posted": 1}]
    [post] = posts(slack)
    assert post["channel"] == "C0OPSBOT1"  # no backups channel configured: the default
    assert post["text"] == ":white_check_mark: AWS Backup backup job completed for orders"
    assert "01763805600000-aa11bb22" in json.dumps(post["blocks"])


def test_failed_backup_job_notice_says_why(runtime: Runtime, slack: SlackSink) -> None:
    message = (
        "An AWS Backup job failed. Resource ARN : arn:aws:dynamodb:us-west-2:123456789012:"
        "table/orders. BackUp Job Id : 9f8e7d6c-0000-4000-8000-000000000001. "
        "Failure reason: Insufficient privileges to perform this action."
    )
    attributes = {
        "EventType": {"Type": "String", "Value": "BACKUP_JOB"},
        "State": {"Type": "String", "Value": "FAILED"},
    }
    sns_inbox.handle(
        sns_event(message, subject="Notification from AWS Backup", attributes=attributes), runtime
    )
    [post] = posts(slack)
    assert post["text"] == ":x: AWS Backup backup job FAILED for orders"
    assert "Insufficient privileges to perform this action" in json.dumps(post["blocks"])


def test_plain_message_is_escaped_and_posted_once(runtime: Runtime, slack: SlackSink) -> None:
    event = sns_event(
        "<!channel> deploy finished & <https://evil.example|click>", subject="Deploy <@U0ADMIN01>"
    )
    sns_inbox.handle(event, runtime)
    sns_inbox.handle(copy.deepcopy(event), runtime)  # SNS redelivers
    [post] = posts(slack)
    shown = json.dumps(post, ensure_ascii=False)
    assert "<!channel>" not in shown
    assert "<https://" not in shown
    assert "<@U0ADMIN01>" not in shown
    assert "&lt;!channel&gt; deploy finished &amp;" in shown


def test_huge_plain_message_is_cut_to_slack_limits(runtime: Runtime, slack: SlackSink) -> None:
    sns_inbox.handle(sns_event("x" * 300_000, subject="s" * 1000), runtime)
    [post] = posts(slack)
    for block in post["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert len(post["text"]) <= 40_000
