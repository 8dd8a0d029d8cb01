"""CloudTrail records whose names push a state-table key over DynamoDB's limits (2048 bytes
for a partition key, 1024 for a sort key): the record is kept under a bounded key, and the
rest of its log file is processed. Against moto, which enforces the limits as DynamoDB does.

A failed call's request parameters are logged as the caller sent them, so a table name of
any length can reach the trail (AccessDenied and ValidationException are recorded too).
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from bot.aws.state import PK_LIMIT, audit_pk, bounded, record_bot_action
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail, sns_inbox
from tests.conftest import ADMIN, REGION, Clock, load_event

ACCOUNT = "123456789012"
BUCKET = "org-cloudtrail-logs"
LONG_TABLE = "orders-" + "x" * 3000  # the partition key alone is over 2048 bytes
WIDE_TABLE = "Ωrders-" + "é" * 1100  # under 2048 characters, over 2048 bytes in UTF-8
LONG_EVENT_ID = "e" * 1100  # the sort key (time#eventID) is over 1024 bytes


def _keys(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The item keys a DynamoDB request names (low-level, serialized)."""
    found = [params[k] for k in ("Key", "Item") if k in params]
    for request in (params.get("RequestItems") or {}).values():
        if isinstance(request, dict):  # BatchGetItem
            found += request.get("Keys", [])
        else:  # BatchWriteItem
            found += [w["PutRequest"]["Item"] for w in request if "PutRequest" in w]
    return found


@pytest.fixture(autouse=True)
def keys_within_limits(runtime: Runtime) -> Iterator[list[str]]:
    """Every key opsbot sends DynamoDB, checked against its limits (moto checks only writes)."""
    oversized: list[str] = []

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        for key in _keys(params):
            for name, limit in (("pk", 2048), ("sk", 1024)):
                value = key.get(name, {}).get("S", "")
                if len(value.encode()) > limit:
                    oversized.append(f"{model.name} {name} of {len(value.encode())} bytes")

    runtime.clients.on_event("provide-client-params.dynamodb.*", check)
    yield oversized
    assert oversized == []


def record(
    *, table: str = "orders", event_id: str, request_id: str | None = None
) -> dict[str, Any]:
    """The sample PITR-off record (critical: it is posted) on ``table``."""
    detail = copy.deepcopy(load_event("eventbridge-cloudtrail-pitr-disabled.json")["detail"])
    detail["requestParameters"]["tableName"] = table
    detail["eventID"] = event_id
    if request_id is not None:
        detail["requestID"] = request_id
    return detail


def as_eventbridge(detail: dict[str, Any]) -> dict[str, Any]:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    event["detail"] = detail
    return event


def history(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, table))
    return items


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


@pytest.mark.parametrize(
    "detail",
    [
        record(table=LONG_TABLE, event_id="long-table-0001"),
        record(table=WIDE_TABLE, event_id="wide-table-0001"),
        record(event_id=LONG_EVENT_ID),
        record(event_id="long-request-0001", request_id="r" * 3000),
    ],
    ids=["table-name-over-2048-bytes", "multibyte-table-name", "event-id", "request-id"],
)
def test_an_eventbridge_record_with_an_oversized_key_part_is_stored_and_posted(
    runtime: Runtime, slack: SlackSink, detail: dict[str, Any]
) -> None:
    table = detail["requestParameters"]["tableName"]
    result = cloudtrail.handle(as_eventbridge(detail), runtime)
    assert (result["stored"], result["notified"], result["dropped"]) == (1, 1, [])
    (item,) = history(runtime, table)
    assert (item["table"], item["event_id"]) == (table, detail["eventID"])
    assert len(posts(slack)) == 1
    # A redelivery finds the same bounded key: nothing stored or posted twice.
    again = cloudtrail.handle(as_eventbridge(detail), runtime)
    assert (again["stored"], again["notified"]) == (0, 0)
    assert len(history(runtime, table)) == 1


def test_two_long_table_names_that_share_their_start_keep_separate_histories(
    runtime: Runtime,
) -> None:
    first, second = LONG_TABLE + "-a", LONG_TABLE + "-b"
    cloudtrail.handle(as_eventbridge(record(table=first, event_id="a-0001")), runtime)
    cloudtrail.handle(as_eventbridge(record(table=second, event_id="b-0001")), runtime)
    assert [i["event_id"] for i in history(runtime, first)] == ["a-0001"]
    assert [i["event_id"] for i in history(runtime, second)] == ["b-0001"]


def test_a_log_file_holding_one_oversized_record_is_processed_whole(
    runtime: Runtime, slack: SlackSink
) -> None:
    notice = load_event("sns-cloudtrail-log-delivery.json")
    key = json.loads(notice["Records"][0]["Sns"]["Message"])["s3ObjectKey"][0]
    records = [
        record(event_id="before-0001"),
        record(table=LONG_TABLE, event_id="long-0001"),
        record(event_id=LONG_EVENT_ID, request_id="r" * 3000),
        record(event_id="after-0001"),
    ]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode())
    )

    (handled,) = sns_inbox.handle(notice, runtime)["handled"]

    assert (handled["received"], handled["kept"], handled["stored"]) == (4, 4, 4)
    assert handled["notified"] == 4
    assert {i["event_id"] for i in history(runtime, "orders")} == {
        "before-0001",
        LONG_EVENT_ID,
        "after-0001",
    }
    assert [i["event_id"] for i in history(runtime, LONG_TABLE)] == ["long-0001"]
    assert len(posts(slack)) == 4


def test_a_change_opsbot_made_under_a_long_request_id_is_still_shown_as_the_slack_user(
    runtime: Runtime, slack: SlackSink
) -> None:
    request_id = "R" * 3000
    record_bot_action(
        runtime.state, request_id=request_id, slack_user=ADMIN, command="pitr orders off", now=0
    )
    detail = record(event_id="ours-0001", request_id=request_id)
    cloudtrail.handle(as_eventbridge(detail), runtime)
    (item,) = history(runtime, "orders")
    assert item["actor"]["slack_user"] == ADMIN
    assert f"<@{ADMIN}> via opsbot" in posts(slack)[0]["text"]


def alarm_named(name: str, state_file: str) -> dict[str, Any]:
    """The sample alarm notification (SNS), for an alarm called ``name``."""
    event = load_event(state_file)
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["AlarmName"] = name
    message["AlarmArn"] = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    sns["Message"] = json.dumps(message)
    return event


def test_an_alarm_whose_arn_is_over_the_key_limit_opens_and_resolves_its_incident(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    # Any topic can be subscribed to the SNS inbox: the alarm name there is unchecked.
    clock.current = datetime(2026, 11, 22, 9, 56, tzinfo=UTC)
    name = "orders-" + "x" * 3000
    fired = sns_inbox.handle(alarm_named(name, "sns-alarm-write-throttle.json"), runtime)
    resolved = sns_inbox.handle(alarm_named(name, "sns-alarm-write-throttle-ok.json"), runtime)
    assert [h["outcome"] for h in fired["handled"] + resolved["handled"]] == [
        "post_root",
        "resolve",
    ]
    ((channel, ts), root) = next(iter(slack.messages.items()))
    assert root["text"].startswith(":white_check_mark: RESOLVED")
    (reply,) = slack.thread(channel, ts)
    assert reply["text"].startswith(":white_check_mark: Resolved at")


@pytest.mark.parametrize(
    "key",
    ["AUDIT#1#r#" + "x" * 3000, "AUDIT#1#r#" + "é" * 1500, "AUDIT#1#r#" + "🦆" * 600],
    ids=["ascii", "two-byte", "four-byte"],
)
def test_a_key_over_its_limit_keeps_its_start_within_the_limit_and_stays_the_same(
    key: str,
) -> None:
    short = bounded(key, PK_LIMIT)
    assert len(short.encode()) <= PK_LIMIT
    assert short.startswith("AUDIT#1#r#")
    assert key.startswith(short.rsplit("~", 1)[0])
    assert bounded(key, PK_LIMIT) == short
    assert bounded(key + "y", PK_LIMIT) != short


def test_a_key_within_its_limit_is_unchanged() -> None:
    key = "AUDIT#123456789012#us-west-2#" + "x" * 2019
    assert len(key.encode()) == PK_LIMIT
    assert bounded(key, PK_LIMIT) == key
