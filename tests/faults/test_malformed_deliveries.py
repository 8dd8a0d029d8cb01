"""Malformed input that used to pass for good input (issue 16, finding 8).

JSON nested deeper than Python's parser recurses raises RecursionError, which is neither a
ValueError nor any other "malformed" error: an SQS consumer reported it back (5 retries, then
the dead-letter queue) or lost the whole batch, and an SNS consumer raised (retried by the
platform). A CloudTrail or S3 notice naming a bucket S3 cannot have (or a key it cannot
have) went to S3 anyway: a real S3 answers InvalidBucketName, which the inbox re-raised,
and a hostile notice could make opsbot report "trail bucket unreadable" in its channel.

Each must be dropped with a logged reason, before any AWS call, and the other records of the
same delivery must go through as if it were not there.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections import Counter
from typing import Any

import pytest

from bot.aws.work_queue import WorkItem
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, prune_worker, restore_watcher, slack_worker, sns_inbox
from tests.conftest import ADMIN, REGION, load_event

DEPTH = 100_000
DEEP_BODIES = {
    "deep-object": '{"a":' * DEPTH + "1" + "}" * DEPTH,
    "deep-array": "[" * DEPTH + "]" * DEPTH,
    "deep-field": '{"user": ' + "[" * DEPTH + "]" * DEPTH + "}",
    "deep-unclosed": '{"id": "x", "text": ' + "[" * DEPTH,
}
TRAIL_BUCKET = "org-cloudtrail-logs"
LOG_KEY = "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/123456789012_CloudTrail_x.json.gz"
# Names S3 refuses (general purpose bucket naming rules), each for a different rule.
BAD_BUCKETS = {
    "too-short": "ab",
    "too-long": "a" * 256,
    "adjacent-dots": "org..logs",
    "starts-with-hyphen": "-org-logs",
    "ends-with-hyphen": "org-logs-",
    "ends-with-dot": "org-logs.",
    "ip-address": "192.168.0.1",
    "demo-prefix": "amzn-s3-demo-logs",
    "mrap-suffix": "org-logs.mrap",
    "xn-prefix": "xn--org-logs",
    "sthree-prefix": "sthree-org-logs",
    "s3alias-suffix": "org-logs-s3alias",
    "ol-s3-suffix": "org-logs--ol-s3",
    "space": "org logs",
    "arn": "arn:aws:s3:::org-logs",
    "slash": "org/logs",
    "non-ascii": "org-l\u00f6gs",
}
# Keys S3 cannot have: a key is any UTF-8 text of 1 to 1024 bytes.
BAD_KEYS = {
    "lone-surrogate": "AWSLogs/\ud800/CloudTrail/x.json.gz",
    "empty": "",
    "over-1024-bytes": "AWSLogs/" + "\u00e9" * 520 + "/CloudTrail/x.json.gz",
}


def sqs_record(body: str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
    }


def help_item() -> str:
    """A work item that runs and answers in the channel (`/ddb help`)."""
    return WorkItem(kind="command", user=ADMIN, channel="C0OPSBOT1", text="help").to_json()


def sns_event(*messages: str) -> dict[str, Any]:
    """An SNS delivery of one record per message, shaped like CloudTrail's notice."""
    template = load_event("sns-cloudtrail-log-delivery.json")["Records"][0]
    records = []
    for text in messages:
        record = json.loads(json.dumps(template))
        record["Sns"]["MessageId"] = str(uuid.uuid4())
        record["Sns"]["Message"] = text
        records.append(record)
    return {"Records": records}


def plain(text: str = "nightly ETL finished") -> str:
    return text


def trail_notice(bucket: str, key: str = LOG_KEY) -> str:
    return json.dumps({"s3Bucket": bucket, "s3ObjectKey": [key]})


def s3_notice(bucket: str, key: str = LOG_KEY) -> str:
    """S3's own event notification of a new object, as it reaches the inbox over SNS."""
    event = json.loads(
        load_event("sns-s3-trail-object-created.json")["Records"][0]["Sns"]["Message"]
    )
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    return json.dumps(event)


@pytest.fixture
def s3_calls(runtime: Runtime) -> Counter[str]:
    """Every S3 operation opsbot asks for, counted before it is sent."""
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    runtime.clients.on_event("before-call.s3.*", count)
    return calls


def reasons(caplog: pytest.LogCaptureFixture) -> str:
    """The reasons logged with each drop (the ``reason`` of the log record's extra)."""
    return " ".join(str(getattr(r, "reason", "")) for r in caplog.records)


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


# ---- deep JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deep_json_in_a_work_item_is_dropped_and_the_rest_of_the_batch_runs(
    runtime: Runtime, slack: SlackSink, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    batch = {"Records": [sqs_record(body), sqs_record(help_item())]}
    assert slack_worker.handle(batch, runtime) == {"batchItemFailures": []}
    assert "dropping a malformed work item" in caplog.text
    assert "nested too deeply" in reasons(caplog)
    assert slack.calls, "the help command after the bad record was not run"


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
@pytest.mark.parametrize("function", [prune_worker, restore_watcher], ids=["prune", "restore"])
def test_deep_json_in_a_prune_or_restore_message_is_dropped_not_retried(
    runtime: Runtime, function: Any, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    batch = {"Records": [sqs_record(body), sqs_record(body)]}
    assert function.handle(batch, runtime) == {"batchItemFailures": []}
    assert caplog.text.count("dropping a malformed") == 2
    assert "nested too deeply" in reasons(caplog)


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deep_json_in_an_sns_message_is_dropped_and_the_next_message_is_posted(
    runtime: Runtime, slack: SlackSink, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    handled = sns_inbox.handle(sns_event(body, plain()), runtime)["handled"]
    assert "nested too deeply" in str(handled[0]["dropped"])
    assert handled[1]["posted"] == 1
    assert len(posts(slack)) == 1
    assert "nested too deeply" in reasons(caplog)


@pytest.mark.parametrize("body", list(DEEP_BODIES.values())[:2], ids=list(DEEP_BODIES)[:2])
def test_deep_json_in_an_sns_alarm_is_dropped(runtime: Runtime, body: str) -> None:
    event = load_event("sns-alarm-write-throttle.json")
    event["Records"][0]["Sns"]["Message"] = body
    assert alarms.handle(event, runtime) == ["dropped"]


def test_a_deeply_nested_cloudtrail_log_file_is_dropped_not_retried(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    s3 = runtime.client("s3")
    s3.create_bucket(Bucket=TRAIL_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(
        Bucket=TRAIL_BUCKET,
        Key=LOG_KEY,
        Body=gzip.compress(('{"Records": ' + "[" * DEPTH + "]" * DEPTH + "}").encode()),
    )
    (handled,) = sns_inbox.handle(sns_event(trail_notice(TRAIL_BUCKET)), runtime)["handled"]
    assert handled["stored"] == 0
    assert "nested too deeply" in str(handled["dropped"])


# ---- names S3 cannot have -------------------------------------------------------------------


@pytest.mark.parametrize("bucket", list(BAD_BUCKETS.values()), ids=list(BAD_BUCKETS))
@pytest.mark.parametrize("form", [trail_notice, s3_notice], ids=["cloudtrail", "s3-event"])
def test_a_notice_naming_an_invalid_bucket_is_dropped_before_any_s3_call(
    runtime: Runtime,
    slack: SlackSink,
    s3_calls: Counter[str],
    form: Any,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled = sns_inbox.handle(sns_event(form(bucket), plain()), runtime)["handled"]
    assert "bucket" in str(handled[0]["dropped"])
    assert not s3_calls, "S3 was asked about a bucket name it cannot have"
    # Only the plain notice is posted: no "trail bucket unreadable" for a name S3 refuses.
    assert len(posts(slack)) == 1
    assert handled[1]["posted"] == 1
    assert "dropping" in caplog.text


@pytest.mark.parametrize("key", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
@pytest.mark.parametrize("form", [trail_notice, s3_notice], ids=["cloudtrail", "s3-event"])
def test_a_notice_naming_an_invalid_key_is_dropped_before_any_s3_call(
    runtime: Runtime, slack: SlackSink, s3_calls: Counter[str], form: Any, key: str
) -> None:
    handled = sns_inbox.handle(sns_event(form(TRAIL_BUCKET, key), plain()), runtime)["handled"]
    assert "key" in str(handled[0]["dropped"])
    assert not s3_calls
    assert handled[1]["posted"] == 1


@pytest.mark.parametrize(
    "bucket", ["org-cloudtrail-logs", "org.trail.logs", "123-logs", "Legacy_Trail_Bucket"]
)
def test_a_notice_naming_a_valid_bucket_still_reads_it(
    runtime: Runtime, s3_calls: Counter[str], bucket: str
) -> None:
    (handled,) = sns_inbox.handle(sns_event(trail_notice(bucket)), runtime)["handled"]
    assert s3_calls["GetObject"] == 1
    assert "NoSuchBucket" in str(handled["dropped"])
