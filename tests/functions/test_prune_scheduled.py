"""The nightly prune: functions.prune_scheduler fans out one SQS message per table,
functions.prune_worker applies each; one digest per run, whatever SQS redelivers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

from bot.aws import prune_runs
from bot.aws.backups import BackupPace
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import prune_scheduler, prune_worker
from tests.aws.test_backups import FakeTime
from tests.conftest import REGION, Clock
from tests.functions.test_backups_commands import back_dated_backup, backup_names, create_table

DIGEST_CHANNEL = "C0BACKUPS1"
SCHEDULE_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-22T03:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:us-west-2:123456789012:rule/opsbot-prune"],
    "detail": {},
}


@pytest.fixture
def nightly(runtime: Runtime, clock: Clock) -> Runtime:
    """Three tables with a policy (tag, config, tag), one without, and a prune queue."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="opsbot-prune")["QueueUrl"]
    channels = replace(runtime.settings.channels, backups=DIGEST_CHANNEL)
    runtime.settings = replace(
        runtime.settings,
        prune_queue_url=queue_url,
        prune_mode="delete",
        channels=channels,
        retention_tables={"customers": "keep-last=1"},
    )
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    layout = {"orders": ("keep-last=2", 5), "customers": (None, 3), "events": ("keep-last=2", 2)}
    for table, (tag, count) in layout.items():
        create_table(table, tag=tag)
        for n in range(count):
            at = clock.current - timedelta(days=n + 1)
            back_dated_backup(table, f"{table}-{n:02d}", at)
    create_table("scratch")  # no policy anywhere: untouched
    back_dated_backup("scratch", "scratch-00", clock.current - timedelta(days=9))
    return runtime


def receive(runtime: Runtime) -> list[dict[str, Any]]:
    """Every message on the prune queue as Lambda SQS records (left on the queue)."""
    sqs = runtime.client("sqs")
    records: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=runtime.settings.prune_queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=600,
        ).get("Messages", [])
        if not messages:
            return records
        records += [
            {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"}
            for m in messages
        ]


def digests(slack: SlackSink) -> list[dict[str, Any]]:
    return [c for c in slack.calls_to("chat.postMessage") if c["channel"] == DIGEST_CHANNEL]


def test_scheduled_prune_over_three_tables_with_a_redelivery_posts_one_digest(
    nightly: Runtime, slack: SlackSink
) -> None:
    result = prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    assert result == {
        "run_id": "20261122T030000Z-53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "tables": 5,  # every table: each worker resolves its table's policy
        "duplicate": False,
        "interrupted_reported": 0,
    }
    records = receive(nightly)
    assert sorted(json.loads(r["body"])["table"] for r in records) == [
        "customers",
        "events",
        "opsbot-state",
        "orders",
        "scratch",
    ]
    # orders is delivered twice: once before the others, once after the digest.
    orders = next(r for r in records if json.loads(r["body"])["table"] == "orders")
    for batch in ([orders], records, [orders]):
        assert prune_worker.handle({"Records": batch}, nightly) == {"batchItemFailures": []}
    assert backup_names("orders") == {"orders-00", "orders-01"}
    assert backup_names("customers") == {"customers-00"}
    assert backup_names("events") == {"events-00", "events-01"}
    assert backup_names("scratch") == {"scratch-00"}
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 3 tables, 5 backups deleted, 0 failures"
    shown = json.dumps(digest, ensure_ascii=False)
    assert "3 tables checked · *5 backups deleted*" in shown
    assert "2 tables left alone (no policy, opted out or gone)" in shown  # scratch, state table
    run = prune_runs.load_run(nightly.state, result["run_id"])
    assert run is not None
    assert (run["expected"], run["reported"], run["deleted"]) == (5, 5, 5)


def test_a_redelivered_schedule_event_sends_nothing_twice(
    nightly: Runtime, slack: SlackSink
) -> None:
    assert prune_scheduler.handle(SCHEDULE_EVENT, nightly)["tables"] == 5
    assert prune_scheduler.handle(SCHEDULE_EVENT, nightly)["duplicate"] is True
    assert len(receive(nightly)) == 5


def test_report_mode_plans_only_and_says_so(nightly: Runtime, slack: SlackSink) -> None:
    nightly.settings = replace(nightly.settings, prune_mode="report")
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    prune_worker.handle({"Records": receive(nightly)}, nightly)
    assert backup_names("orders") == {f"orders-{n:02d}" for n in range(5)}
    (digest,) = digests(slack)
    assert "5 backups would be deleted (dry run)" in json.dumps(digest)


def test_a_worker_that_dies_mid_table_is_resumed_without_double_counting(
    nightly: Runtime, slack: SlackSink
) -> None:
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = receive(nightly)
    orders = next(r for r in records if json.loads(r["body"])["table"] == "orders")
    client = nightly.client("dynamodb", REGION)
    calls = {"n": 0}

    def die_on_the_second_delete(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the Lambda was stopped here")

    client.meta.events.register("before-call.dynamodb.DeleteBackup", die_on_the_second_delete)
    failed = prune_worker.handle({"Records": [orders]}, nightly)
    assert failed == {"batchItemFailures": [{"itemIdentifier": orders["messageId"]}]}
    assert len(backup_names("orders")) == 4  # one deleted before the crash
    client.meta.events.unregister("before-call.dynamodb.DeleteBackup", die_on_the_second_delete)
    assert prune_worker.handle({"Records": records}, nightly) == {"batchItemFailures": []}
    assert backup_names("orders") == {"orders-00", "orders-01"}
    (digest,) = digests(slack)
    assert "*5 backups deleted*" in json.dumps(digest)
    assert "`orders`: 3 deleted" in json.dumps(digest)


def test_a_bad_retention_tag_is_reported_in_the_digest_and_nothing_is_touched(
    nightly: Runtime, slack: SlackSink
) -> None:
    client = nightly.client("dynamodb", REGION)
    arn = client.describe_table(TableName="events")["Table"]["TableArn"]
    # moto appends on tag_resource instead of replacing: untag first, as AWS would replace.
    client.untag_resource(ResourceArn=arn, TagKeys=["opsbot:retention"])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "opsbot:retention", "Value": "keep=2"}])
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    prune_worker.handle({"Records": receive(nightly)}, nightly)
    assert backup_names("events") == {"events-00", "events-01"}
    (digest,) = digests(slack)
    assert "the `opsbot:retention` tag of `events`" in json.dumps(digest)
    assert digest["text"].endswith("1 failure")


def test_no_table_with_a_policy_still_posts_one_digest(nightly: Runtime, slack: SlackSink) -> None:
    nightly.settings = replace(nightly.settings, regions=("us-east-1",))
    assert prune_scheduler.handle(SCHEDULE_EVENT, nightly)["tables"] == 0
    (digest,) = digests(slack)
    assert digest["text"].startswith("Backup prune: 0 tables")


def test_a_malformed_prune_message_is_dropped_not_retried(nightly: Runtime) -> None:
    bad = [
        {"messageId": "m1", "body": "not json"},
        {"messageId": "m2", "body": json.dumps({"run_id": "r", "region": REGION})},
        {
            "messageId": "m3",
            "body": json.dumps(
                {"run_id": "r", "region": REGION, "table": "orders", "policy": "keep-lots=1"}
            ),
        },
    ]
    assert prune_worker.handle({"Records": bad}, nightly) == {"batchItemFailures": []}
    assert backup_names("orders") == {f"orders-{n:02d}" for n in range(5)}


def test_a_task_for_an_unknown_run_is_dropped(nightly: Runtime, slack: SlackSink) -> None:
    body = json.dumps(
        {"run_id": "nope", "region": REGION, "table": "orders", "policy": "keep-last=1"}
    )
    assert prune_worker.handle({"Records": [{"messageId": "m", "body": body}]}, nightly) == {
        "batchItemFailures": []
    }
    assert digests(slack) == []


def test_the_schedule_sends_tasks_page_by_page_into_one_fifo_group_per_account_and_region(
    runtime: Runtime, slack: SlackSink
) -> None:
    sqs, dynamodb = runtime.client("sqs"), boto3.client("dynamodb", region_name=REGION)
    url = sqs.create_queue(QueueName="opsbot-prune.fifo", Attributes={"FifoQueue": "true"})
    runtime.settings = replace(runtime.settings, prune_queue_url=url["QueueUrl"], regions=(REGION,))
    for n in range(230):  # with the state table: three ListTables pages of at most 100
        dynamodb.create_table(
            TableName=f"fleet-{n:03d}",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    calls: list[str] = []
    runtime.clients.on_event("before-call.*.*", lambda model, **_: calls.append(model.name))
    sent: list[dict[str, Any]] = []
    runtime.clients.on_event(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: sent.extend(params["Entries"]),
    )
    assert prune_scheduler.handle(SCHEDULE_EVENT, runtime)["tables"] == 231
    listing = [i for i, c in enumerate(calls) if c == "ListTables"]
    sending = [i for i, c in enumerate(calls) if c == "SendMessageBatch"]
    assert len(listing) == 3
    assert len(sending) == 24  # ten a call
    assert sending[0] < listing[1]  # the first page is sent before the second is read
    assert "ListTagsOfResource" not in calls  # each table's worker reads its own tag
    assert {e["MessageGroupId"] for e in sent} == {f"home#{REGION}"}
    assert len({e["MessageDeduplicationId"] for e in sent}) == 231
