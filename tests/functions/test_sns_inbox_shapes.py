"""The SNS inbox on the newer shapes: S3 announcing trail log files (over SNS and EventBridge),
an unreadable trail bucket said once an hour, every kind of AWS Backup notice, and plain
notices dated by their own Timestamp."""

from __future__ import annotations

import copy
import gzip
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.state import audit_pk
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import sns_inbox
from tests.conftest import REGION, Clock, load_event

ACCOUNT = "123456789012"
BUCKET = "org-cloudtrail-logs"
KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)
OWN_CHANNEL = "C0OPSBOT1"


def records() -> list[dict[str, Any]]:
    """A PITR-off (critical, posted) and a tagging record (recorded only)."""
    return [
        copy.deepcopy(load_event("eventbridge-cloudtrail-pitr-disabled.json")["detail"]),
        copy.deepcopy(load_event("cloudtrail/tag-resource.json")["detail"]),
    ]


@pytest.fixture
def trail_bucket(runtime: Runtime) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(
        Bucket=BUCKET, Key=KEY, Body=gzip.compress(json.dumps({"Records": records()}).encode())
    )


@pytest.fixture
def calls(runtime: Runtime) -> Iterator[list[str]]:
    made: list[str] = []
    runtime.clients.on_event(
        "before-call.*.*",
        lambda model, **_: made.append(f"{model.service_model.service_name}:{model.name}"),
    )
    return made


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


def stored(runtime: Runtime) -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, "orders"))
    return items


# --- 6. S3 announcing log files ---------------------------------------------------------------


def test_s3_notification_over_sns_reads_the_log_file_like_cloudtrails_notice(
    runtime: Runtime, slack: SlackSink, trail_bucket: None, calls: list[str]
) -> None:
    result = sns_inbox.handle(load_event("sns-s3-trail-object-created.json"), runtime)
    [handled] = result["handled"]
    assert handled["kind"] == "s3_objects"
    assert (handled["received"], handled["kept"], handled["stored"]) == (2, 2, 2)
    assert calls.count("s3:GetObject") == 1
    (post,) = posts(slack)  # PITR off; tagging is recorded only
    assert "Point-in-time recovery turned OFF on orders" in post["text"]
    assert "Amazon S3 Notification" not in json.dumps(post)
    assert {i["action"] for i in stored(runtime)} == {"UpdateContinuousBackups", "TagResource"}


def test_the_same_object_announced_by_s3_and_by_cloudtrail_is_read_once(
    runtime: Runtime, slack: SlackSink, trail_bucket: None, calls: list[str]
) -> None:
    sns_inbox.handle(load_event("sns-s3-trail-object-created.json"), runtime)
    sns_inbox.handle(load_event("sns-cloudtrail-log-delivery.json"), runtime)
    sns_inbox.handle(load_event("eventbridge-s3-object-created.json"), runtime)
    assert calls.count("s3:GetObject") == 1
    assert len(posts(slack)) == 1


def test_s3_eventbridge_object_created_delivered_directly_reads_the_log_file(
    runtime: Runtime, slack: SlackSink, trail_bucket: None
) -> None:
    result = sns_inbox.handle(load_event("eventbridge-s3-object-created.json"), runtime)
    [handled] = result["handled"]
    assert (handled["kind"], handled["stored"]) == ("s3_objects", 2)
    assert len(posts(slack)) == 1


def test_s3_eventbridge_event_forwarded_to_sns_reads_the_log_file(
    runtime: Runtime, slack: SlackSink, trail_bucket: None
) -> None:
    event = copy.deepcopy(load_event("sns-s3-test-event.json"))
    event["Records"][0]["Sns"]["Message"] = json.dumps(
        load_event("eventbridge-s3-object-created.json")
    )
    [handled] = sns_inbox.handle(event, runtime)["handled"]
    assert handled["stored"] == 2


def test_s3_test_event_is_ignored_quietly(
    runtime: Runtime, slack: SlackSink, calls: list[str]
) -> None:
    result = sns_inbox.handle(load_event("sns-s3-test-event.json"), runtime)
    assert result["handled"] == [{"kind": "s3_objects", "ignored": "s3:TestEvent"}]
    assert posts(slack) == []
    assert "s3:GetObject" not in calls


def test_s3_notification_of_other_objects_reads_nothing_and_posts_nothing(
    runtime: Runtime, slack: SlackSink, calls: list[str]
) -> None:
    event = copy.deepcopy(load_event("sns-s3-trail-object-created.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["Records"][0]["s3"]["object"]["key"] = KEY.replace(
        "/CloudTrail/", "/CloudTrail-Digest/"
    )
    sns["Message"] = json.dumps(message)
    [handled] = sns_inbox.handle(event, runtime)["handled"]
    assert (handled["kind"], handled["received"]) == ("s3_objects", 0)
    assert posts(slack) == []
    assert "s3:GetObject" not in calls


# --- 6. an unreadable trail bucket ----------------------------------------------------------------


def test_missing_trail_bucket_is_said_once_an_hour_in_the_bots_channel(
    runtime: Runtime, slack: SlackSink, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        [handled] = sns_inbox.handle(load_event("sns-s3-trail-object-created.json"), runtime)[
            "handled"
        ]
    assert handled["dropped"] == [f"s3://{BUCKET}/{KEY} cannot be read (NoSuchBucket)"]
    assert "cannot be read (NoSuchBucket)" in caplog.text
    (warning,) = posts(slack)
    assert warning["channel"] == OWN_CHANNEL
    assert warning["text"] == (
        f":warning: opsbot cannot read the CloudTrail bucket {BUCKET} (NoSuchBucket)"
    )
    # Another log file ten minutes later: still unreadable, not said again.
    clock.advance(600)
    sns_inbox.handle(_another_object(load_event("sns-cloudtrail-log-delivery.json"), "b"), runtime)
    assert len(posts(slack)) == 1
    # An hour on, it is said again.
    clock.advance(3600)
    sns_inbox.handle(_another_object(load_event("sns-cloudtrail-log-delivery.json"), "c"), runtime)
    assert len(posts(slack)) == 2


def test_access_denied_on_the_trail_bucket_is_said_not_retried(
    runtime: Runtime, slack: SlackSink
) -> None:
    s3 = runtime.client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        result = sns_inbox.handle(load_event("sns-s3-trail-object-created.json"), runtime)
    [handled] = result["handled"]
    assert "AccessDenied" in handled["dropped"][0]
    (warning,) = posts(slack)
    assert warning["channel"] == OWN_CHANNEL
    assert "(AccessDenied)" in warning["text"]
    assert "s3:GetObject" in json.dumps(warning["blocks"])


def _another_object(event: dict[str, Any], suffix: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    sns = event["Records"][0]["Sns"]
    sns["MessageId"] = f"another-{suffix}"
    sns["Message"] = json.dumps(
        {"s3Bucket": BUCKET, "s3ObjectKey": [KEY.replace(".json.gz", f"{suffix}.json.gz")]}
    )
    return event


# --- 7. AWS Backup notices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "text"),
    [
        ("sns-aws-backup-job-expired.json", ":x: AWS Backup backup job EXPIRED for orders"),
        (
            "sns-aws-backup-recovery-point-indexed.json",
            ":white_check_mark: AWS Backup recovery point index ACTIVE for "
            "abcd1234-5678-abcd-9012-abcdef123456",
        ),
        (
            "sns-aws-backup-restore-job-completed.json",
            ":white_check_mark: AWS Backup restore job completed for orders-restored",
        ),
        ("sns-aws-backup-copy-job-failed.json", ":x: AWS Backup copy job FAILED for orders"),
        (
            "sns-aws-backup-restore-testing-job.json",
            ":white_check_mark: AWS Backup restore test completed for orders",
        ),
    ],
    ids=["expired", "indexed", "restore", "copy-failed", "restore-test"],
)
def test_each_aws_backup_notice_is_named_with_its_real_state(
    runtime: Runtime, slack: SlackSink, sample: str, text: str
) -> None:
    result = sns_inbox.handle(load_event(sample), runtime)
    assert result["handled"] == [{"kind": "backup_job", "posted": 1}]
    (post,) = posts(slack)
    assert post["text"] == text
    assert "state not stated" not in json.dumps(post)


# --- 8. plain notices ------------------------------------------------------------------------


def test_plain_notice_shows_when_it_was_sent_not_when_it_was_handled(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    clock.advance(4 * 3600)  # handled hours after it was sent
    sns_inbox.handle(load_event("sns-rds-event-notification.json"), runtime)
    (post,) = posts(slack)
    (footer,) = [b for b in post["blocks"] if b["type"] == "context"]
    assert "sent 2026-11-22 09:12 UTC (4 h ago)" in footer["elements"][0]["text"]
    assert "14:00" not in json.dumps(footer)
