"""S3's own announcements of a trail bucket's objects, read as CloudTrail log-file notices."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.s3_names import bucket_name_problem
from bot.domain.s3_notices import is_s3_notification, is_s3_test_event, log_file_notices
from bot.domain.sns_inbox import S3_OBJECTS, classify_sns
from tests.conftest import load_event

BUCKET = "org-cloudtrail-logs"
KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)


def s3_message() -> dict[str, Any]:
    """The S3 event notification inside the SNS sample."""
    sns = load_event("sns-s3-trail-object-created.json")["Records"][0]["Sns"]
    return dict(json.loads(sns["Message"]))


def test_s3_notification_over_sns_is_classified_as_s3_objects() -> None:
    for name in ("sns-s3-trail-object-created.json", "sns-s3-test-event.json"):
        sns = load_event(name)["Records"][0]["Sns"]
        assert classify_sns(sns["Message"], sns["Subject"], sns["MessageAttributes"]) == S3_OBJECTS
    eventbridge = json.dumps(load_event("eventbridge-s3-object-created.json"))
    assert classify_sns(eventbridge, None, {}) == S3_OBJECTS


def test_s3_notification_names_the_log_file_as_cloudtrails_notice_would() -> None:
    (notice,) = log_file_notices(s3_message())
    assert (notice.bucket, notice.keys, notice.skipped) == (BUCKET, (KEY,), ())


def test_eventbridge_object_created_names_the_same_log_file() -> None:
    (notice,) = log_file_notices(load_event("eventbridge-s3-object-created.json"))
    assert (notice.bucket, notice.keys) == (BUCKET, (KEY,))


def test_s3_url_encoded_keys_are_decoded() -> None:
    message = s3_message()
    message["Records"][0]["s3"]["object"]["key"] = KEY.replace("AWSLogs/", "trail+logs/AWSLogs/")
    (notice,) = log_file_notices(message)
    assert notice.keys == (KEY.replace("AWSLogs/", "trail logs/AWSLogs/"),)


def test_digests_and_other_objects_are_skipped_and_other_events_ignored() -> None:
    message = s3_message()
    digest = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/")
    other = copy.deepcopy(message["Records"][0])
    other["s3"]["object"]["key"] = digest
    removed = copy.deepcopy(message["Records"][0])
    removed["eventName"] = "ObjectRemoved:Delete"
    elsewhere = copy.deepcopy(message["Records"][0])
    elsewhere["s3"]["bucket"]["name"] = "other-trail"
    message["Records"] += [other, removed, elsewhere]
    first, second = log_file_notices(message)
    assert (first.bucket, first.keys, first.skipped) == (BUCKET, (KEY,), (digest,))
    assert (second.bucket, second.keys) == ("other-trail", (KEY,))


def test_s3_test_message_names_nothing() -> None:
    sns = load_event("sns-s3-test-event.json")["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    assert is_s3_test_event(message)
    assert is_s3_notification(message)
    assert log_file_notices(message) == []


@pytest.mark.parametrize(
    "message",
    [
        {"Records": [{"eventSource": "aws:s3"}]},
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": None}]},
        {"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}},
        {"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": "x"}},
        {
            "source": "aws.s3",
            "detail-type": "Object Created",
            "detail": {"bucket": {"name": "<!channel>"}, "object": {"key": KEY}},
        },
    ],
    ids=["no-s3", "null-s3", "deleted", "bucket-not-object", "not-a-bucket-name"],
)
def test_a_message_that_names_no_created_object_is_refused_with_a_reason(
    message: dict[str, Any],
) -> None:
    with pytest.raises(InvalidValue, match="announces no created object"):
        log_file_notices(message)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("org-cloudtrail-logs", True),
        ("Legacy_Bucket.2014", True),
        ("", False),
        ("a b c", False),
        ("<!channel>", False),
        (None, False),
    ],
)
def test_bucket_names(name: object, valid: bool) -> None:
    assert (bucket_name_problem(name) is None) is valid
