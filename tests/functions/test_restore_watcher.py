"""Restores end to end: `/ddb restore` through the signed Slack entry, the confirmation,
the restore in moto, the watcher loop on the restore queue, and Copy settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.aws.restores import load_job, recent_jobs, save_job, update_job
from bot.aws.state import request_pk
from bot.domain.restore_jobs import COMPLETED, FAILED, IN_PROGRESS, RestoreJob
from bot.flows.follow_up import parse_follow_record
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from functions import restore_watcher, slack_http
from tests.conftest import (
    ADMIN,
    OPERATOR,
    REGION,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)

CHANNEL = "C0OPSBOT1"
OTHER_REGION = "us-east-1"


def restore_queue(runtime: Runtime) -> list[int]:
    """A restore queue on the runtime; every SendMessage's DelaySeconds is recorded, then
    zeroed so the next round sees the message without waiting in real time."""
    url = runtime.client("sqs").create_queue(QueueName="opsbot-restore-watch")["QueueUrl"]
    runtime.settings = replace(runtime.settings, restore_queue_url=url)
    delays: list[int] = []

    def zero_delay(params: dict[str, Any], **_: Any) -> None:
        if params.get("QueueUrl") == url:
            delays.append(int(params.get("DelaySeconds", 0)))
            params["DelaySeconds"] = 0

    runtime.clients.on_event("provide-client-params.sqs.SendMessage", zero_delay)
    return delays


@pytest.fixture
def watch(runtime: Runtime) -> list[int]:
    """The restore queue (see restore_queue) and the delays asked for."""
    return restore_queue(runtime)


def make_table(name: str = "orders", region: str = REGION) -> Any:
    dynamodb = boto3.client("dynamodb", region_name=region)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(3):
        dynamodb.put_item(TableName=name, Item={"id": {"S": str(i)}})
    return dynamodb


def command(text: str, *, user: str = ADMIN, response_url: str = "") -> dict[str, Any]:
    body = slash_body(text, user=user, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def press(action_id: str, value: str, *, user: str, ts: str = "", response_url: str = "") -> None:
    body = block_action_body(action_id, value, user=user, ts=ts, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200


def button_value(message: dict[str, Any], action_id: str) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message.get('text')}")


def confirmation(slack: SlackSink) -> tuple[str, str]:
    """(confirm button value, ts) of the newest top-level message with a Confirm button."""
    roots = [
        (float(ts), ts, m)
        for (_, ts), m in slack.messages.items()
        if not m.get("thread_ts") and "confirm" in json.dumps(m.get("blocks", []))
    ]
    assert roots, "no confirmation posted"
    _, ts, message = max(roots)
    return button_value(message, "confirm"), ts


def test_restore_from_backup_end_to_end_confirm_watch_and_copy_settings(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb = make_table()
    arn = dynamodb.describe_table(TableName="orders")["Table"]["TableArn"]
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "payments"}])
    dynamodb.update_time_to_live(
        TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    dynamodb.update_table(TableName="orders", DeletionProtectionEnabled=True)
    dynamodb.create_backup(TableName="orders", BackupName="before-migration")

    ack = command("restore orders --backup before-migration --to orders-copy")
    assert "Working on" in ack["text"]
    assert drain_work(runtime) == 1
    value, ts = confirmation(slack)
    assert "Restore orders to new table orders-copy?" in slack.messages[(CHANNEL, ts)]["text"]

    press("confirm", value, user=ADMIN, ts=ts)
    assert drain_work(runtime) == 1
    # The worker checked and handed the job over; nothing is started yet.
    assert slack.thread(CHANNEL, ts) == []
    assert "orders-copy" not in dynamodb.list_tables()["TableNames"]
    assert watch == [0]  # check 0 (the start) right away

    assert restore_round(runtime) == 1
    (started,) = slack.thread(CHANNEL, ts)
    assert "Restore started by <@U0ADMIN01>" in started["text"]
    assert watch == [0, 0]  # and the first check right away: the next round sees it

    assert restore_round(runtime) == 1
    _, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(":white_check_mark: Restore done: `orders-copy` is ACTIVE")
    assert "(3 items" in done["text"]
    assert watch == [0, 0]  # finished: no further check was scheduled
    assert restore_round(runtime) == 0

    press(
        "restore_copy_settings", button_value(done, "restore_copy_settings"), user=OPERATOR, ts=ts
    )
    assert drain_work(runtime) == 1
    copied = slack.thread(CHANNEL, ts)[-1]
    assert "TTL on exp, 1 tag, point-in-time recovery, deletion protection" in copied["text"]
    target = dynamodb.describe_table(TableName="orders-copy")["Table"]
    assert target["DeletionProtectionEnabled"] is True
    assert dynamodb.list_tags_of_resource(ResourceArn=target["TableArn"])["Tags"] == [
        {"Key": "team", "Value": "payments"}
    ]
    ttl = dynamodb.describe_time_to_live(TableName="orders-copy")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "exp"
    pitr = dynamodb.describe_continuous_backups(TableName="orders-copy")
    assert (
        pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
        == "ENABLED"
    )


def asked_restore(runtime: Runtime, slack: SlackSink) -> tuple[Any, str, str]:
    """orders with a backup and `/ddb restore orders --backup nightly --to orders-copy`
    asked for: (DynamoDB client, Confirm button value, the confirmation's ts)."""
    dynamodb = make_table()
    dynamodb.create_backup(TableName="orders", BackupName="nightly")
    command("restore orders --backup nightly --to orders-copy")
    drain_work(runtime)
    value, ts = confirmation(slack)
    return dynamodb, value, ts


def test_restore_is_attributed_to_the_slack_user(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    _, value, ts = asked_restore(runtime, slack)
    request_ids: list[str] = []
    runtime.clients.on_event(
        "after-call.dynamodb.RestoreTableFromBackup",
        lambda parsed, **_: request_ids.append(parsed["ResponseMetadata"]["RequestId"]),
    )
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    restore_round(runtime)
    (request_id,) = request_ids
    record = runtime.state.get(request_pk(request_id), "REQ")
    assert record is not None
    assert record["slack_user"] == ADMIN


def confirmed_restore(runtime: Runtime, slack: SlackSink) -> tuple[Any, str]:
    """asked_restore, confirmed by its requester: the job waits for check 0.
    (DynamoDB client, thread ts)."""
    dynamodb, value, ts = asked_restore(runtime, slack)
    press("confirm", value, user=ADMIN, ts=ts)
    assert drain_work(runtime) == 1
    return dynamodb, ts


def test_a_hand_off_that_fails_starts_nothing_and_says_so(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb, value, ts = asked_restore(runtime, slack)

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("QueueUrl") == runtime.settings.restore_queue_url:
            raise ConnectionError("the restore queue is unreachable")

    runtime.clients.on_event("provide-client-params.sqs.SendMessage", refuse)
    press("confirm", value, user=ADMIN, ts=ts, response_url=slack.response_url("lost"))
    drain_work(runtime)
    confirmed, failed = slack.responses("lost")
    assert confirmed["text"].startswith(":gear: Confirmed by <@U0ADMIN01>")
    # The plan's message, where the channel saw "Confirmed", ends saying it was not done.
    assert failed["replace_original"] is True
    assert failed["text"].startswith(":x: Not done: restore `orders`")
    assert (
        "Could not start the restore: the restore function could not be reached; "
        "nothing was started."
    ) in failed["text"]
    (job,) = recent_jobs(runtime.state)
    assert job.status == FAILED
    assert restore_round(runtime) == 0
    assert "orders-copy" not in dynamodb.list_tables()["TableNames"]


def test_a_target_created_after_the_press_is_refused_at_the_start_in_the_thread(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb, ts = confirmed_restore(runtime, slack)
    make_table("orders-copy")  # someone else's table, in the second before the start
    before = dynamodb.scan(TableName="orders-copy")["Items"]
    assert restore_round(runtime) == 1
    (refused,) = slack.thread(CHANNEL, ts)
    assert refused["text"].startswith(
        ":x: The restore of `orders` to `orders-copy` in us-west-2 did not start: "
        "A table named `orders-copy` already exists"
    )
    (job,) = recent_jobs(runtime.state)
    assert (job.status, job.checks) == ("failed", 0)
    assert dynamodb.scan(TableName="orders-copy")["Items"] == before  # untouched
    assert watch == [0]  # nothing more to check
    assert restore_round(runtime) == 0


def test_check_0_delivered_twice_starts_one_restore(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    _, ts = confirmed_restore(runtime, slack)
    restores: list[str] = []
    runtime.clients.on_event(
        "before-call.dynamodb.RestoreTableFromBackup", lambda **_: restores.append("call")
    )
    (job,) = recent_jobs(runtime.state)
    assert restore_watcher.handle(check_event(job.id, 0), runtime)["batchItemFailures"] == []
    assert restore_watcher.handle(check_event(job.id, 0), runtime)["batchItemFailures"] == []
    assert restores == ["call"]
    assert [m["text"][:30] for m in slack.thread(CHANNEL, ts)] == [":arrow_forward: Restore starte"]


def test_check_0_after_a_crash_before_check_1_was_sent_sends_it(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    confirmed_restore(runtime, slack)
    (job,) = recent_jobs(runtime.state)
    update_job(runtime.state, replace(job, status="restoring"))  # started, then the crash
    assert restore_watcher.handle(check_event(job.id, 0), runtime)["batchItemFailures"] == []
    assert watch == [0, 0]  # check 1 was sent


def check_event(job_id: str, check: int) -> dict[str, Any]:
    body = json.dumps({"job": job_id, "check": check})
    return {"Records": [{"messageId": f"m-{job_id}-{check}", "body": body}]}


def test_restore_to_an_existing_table_is_refused_before_confirming(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    make_table()
    make_table("orders-copy")
    response_url = slack.response_url("exists")
    command("restore orders --latest --to orders-copy", response_url=response_url)
    drain_work(runtime)
    (reply,) = slack.responses("exists")
    assert "A table named `orders-copy` already exists in us-west-2" in reply["text"]
    assert slack.calls_to("chat.postMessage") == []


def test_a_press_by_someone_else_starts_nothing(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb, value, ts = asked_restore(runtime, slack)
    response_url = slack.response_url("other")
    press("confirm", value, user=OPERATOR, ts=ts, response_url=response_url)
    drain_work(runtime)
    (reply,) = slack.responses("other")
    assert "Only <@U0ADMIN01>, who asked for this, can confirm it" in reply["text"]
    assert "orders-copy" not in dynamodb.list_tables()["TableNames"]
    assert slack.thread(CHANNEL, ts) == []
    assert watch == []


def test_target_created_between_confirmation_and_press_is_refused_at_press_time(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    _, value, ts = asked_restore(runtime, slack)
    make_table("orders-copy")
    response_url = slack.response_url("late-conflict")
    press("confirm", value, user=ADMIN, ts=ts, response_url=response_url)
    drain_work(runtime)
    assert "already exists" in slack.responses("late-conflict")[-1]["text"]
    assert watch == []


# ---- the watcher, against a stubbed DescribeTable (moto restores are ACTIVE at once) ----------


def describe(status: str, *, in_progress: bool, items: int = 0, size: int = 0) -> dict[str, Any]:
    """A DescribeTable response as AWS documents it for a table being restored."""
    return {
        "Table": {
            "TableName": "orders-copy",
            "TableStatus": status,
            "TableArn": f"arn:aws:dynamodb:{OTHER_REGION}:123456789012:table/orders-copy",
            "ItemCount": items,
            "TableSizeBytes": size,
            "CreationDateTime": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
            "RestoreSummary": {
                "SourceTableArn": f"arn:aws:dynamodb:{OTHER_REGION}:123456789012:table/orders",
                "RestoreDateTime": datetime(2026, 11, 22, 9, 42, tzinfo=UTC),
                "RestoreInProgress": in_progress,
            },
        }
    }


@pytest.fixture
def stubbed(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """DynamoDB in us-east-1 answers from a Stubber; the state table stays on moto."""
    client = boto3.client("dynamodb", region_name=OTHER_REGION)
    real = runtime.clients.client

    def pick(service: str, region: str | None = None) -> Any:
        return client if (service, region) == ("dynamodb", OTHER_REGION) else real(service, region)

    monkeypatch.setattr(runtime.clients, "client", pick)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def open_job(runtime: Runtime, slack: SlackSink) -> RestoreJob:
    """A running PITR restore job with its confirmation message as the thread."""
    root = runtime.notifier.post(CHANNEL, _text("confirmation"))
    job = RestoreJob(
        id="20261122T100000Z-job1",
        source_table="orders",
        region=OTHER_REGION,
        target="orders-copy",
        kind="pitr",
        requester=ADMIN,
        channel=CHANNEL,
        thread_ts=root.ts,
        started_at=runtime.now(),
        at=runtime.now() - timedelta(minutes=18),
    )
    save_job(runtime.state, job, now=runtime.epoch())
    from bot.aws.restores import enqueue_check

    enqueue_check(runtime.client("sqs"), runtime.settings.restore_queue_url, job.id, 1, delay_s=0)
    return job


def _text(text: str) -> Any:
    from bot.render.message import Message

    return Message(text=text)


def replies(slack: SlackSink, job: RestoreJob) -> list[str]:
    return [m["text"] for m in slack.thread(CHANNEL, job.thread_ts)]


def test_watcher_follows_creating_to_active_with_progress_at_a_steady_pace(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = open_job(runtime, slack)
    for _ in range(6):  # checks at 0, 5, ..., 25 min: still restoring
        stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    stubbed.add_response(
        "describe_table", describe("ACTIVE", in_progress=False, items=1200, size=3 * 2**20)
    )
    for _ in range(7):
        assert restore_round(runtime) == 1
        clock.advance(5 * 60)
    assert replies(slack, job) == [
        ":hourglass_flowing_sand: Still restoring `orders-copy`, 15 min so far.",
        ":white_check_mark: Restore done: `orders-copy` is ACTIVE after 30 min "
        "(1,200 items, 3.0 MiB).",
    ]
    assert watch == [0] + [300] * 6  # one check every poll interval, none after completion
    finished = load_job(runtime.state, job.id)
    assert finished is not None
    assert finished.status == COMPLETED
    assert finished.checks == 7
    done = slack.thread(CHANNEL, job.thread_ts)[-1]
    assert button_value(done, "restore_copy_settings") == job.id
    assert restore_round(runtime) == 0


def test_watcher_reports_a_failed_restore_with_the_reason(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = open_job(runtime, slack)
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    stubbed.add_client_error(
        "describe_table",
        service_error_code="ResourceNotFoundException",
        service_message="Requested resource not found: Table: orders-copy not found",
    )
    restore_round(runtime)
    clock.advance(20 * 60)
    restore_round(runtime)
    (failed,) = replies(slack, job)
    assert failed.startswith(
        ":x: The restore of `orders` to `orders-copy` failed after 20 min: the new table "
        "`orders-copy` does not exist any more"
    )
    stored = load_job(runtime.state, job.id)
    assert stored is not None
    assert stored.status == FAILED


def test_watcher_warns_once_when_a_restore_is_slow(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    runtime.settings = replace(runtime.settings, restore_slow_after=timedelta(minutes=40))
    runtime.settings = replace(runtime.settings, restore_poll_every=timedelta(minutes=20))
    job = open_job(runtime, slack)
    for _ in range(5):  # at 0, 20, 40, 60, 80 min
        stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    for _ in range(5):
        restore_round(runtime)
        clock.advance(20 * 60)
    texts = replies(slack, job)
    slow = [t for t in texts if t.startswith(":warning:")]
    assert slow == [
        ":warning: The restore of `orders-copy` has taken 1 h, longer than the 40 min I "
        "expect. It is still running; large tables can take hours. I keep watching."
    ]
    assert texts == [
        ":hourglass_flowing_sand: Still restoring `orders-copy`, 20 min so far.",
        ":hourglass_flowing_sand: Still restoring `orders-copy`, 40 min so far.",
        slow[0],
        ":hourglass_flowing_sand: Still restoring `orders-copy`, 1 h 20 min so far.",
    ]
    assert watch == [0] + [900] * 5  # 20 min polls wait the SQS maximum of 15 min
    stored = load_job(runtime.state, job.id)
    assert stored is not None
    assert stored.status == IN_PROGRESS
    assert stored.slow_warned


def test_a_watcher_message_delivered_twice_posts_once(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = open_job(runtime, slack)
    clock.advance(16 * 60)
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    record = {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": json.dumps({"job": job.id, "check": 1}),
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
    }
    duplicate = {**record, "messageId": "m-2"}
    result = restore_watcher.handle({"Records": [record, duplicate]}, runtime)
    assert result == {"batchItemFailures": []}
    assert replies(slack, job) == [
        ":hourglass_flowing_sand: Still restoring `orders-copy`, 16 min so far."
    ]
    assert len(watch) == 2  # open_job's check 1, and check 2 scheduled once


def test_watcher_drops_malformed_messages_and_unknown_jobs(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    records = [
        {"messageId": "a", "body": "not json"},
        {"messageId": "b", "body": json.dumps({"job": "gone", "check": 1})},
        {"messageId": "c", "body": json.dumps(["job", "check"])},
        {"messageId": "d", "body": json.dumps({"job": "x", "check": 1, "kind": "teleport"})},
    ]
    assert restore_watcher.handle({"Records": records}, runtime) == {"batchItemFailures": []}
    assert slack.calls == []


def test_checks_name_their_kind_and_messages_without_one_are_restores(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = open_job(runtime, slack)
    sent = runtime.client("sqs").receive_message(
        QueueUrl=runtime.settings.restore_queue_url, MaxNumberOfMessages=10
    )["Messages"]
    assert [json.loads(m["Body"]) for m in sent] == [{"job": job.id, "check": 1, "kind": "restore"}]
    assert parse_follow_record({"body": json.dumps({"job": job.id, "check": 2})}) == (
        "restore",
        job.id,
        2,
    )


def test_a_failing_check_is_retried_by_the_queue_and_can_run_again(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = open_job(runtime, slack)
    stubbed.add_client_error("describe_table", service_error_code="InternalServerError")
    stubbed.add_response("describe_table", describe("ACTIVE", in_progress=False, items=5))
    record = {"messageId": "m", "body": json.dumps({"job": job.id, "check": 1})}
    assert restore_watcher.handle({"Records": [record]}, runtime) == {
        "batchItemFailures": [{"itemIdentifier": "m"}]
    }
    assert restore_watcher.handle({"Records": [record]}, runtime) == {"batchItemFailures": []}
    assert replies(slack, job)[0].startswith(":white_check_mark: Restore done")


# ---- PITR restores through the worker, against a stubbed PITR window --------------------------


def window_response(now: datetime) -> dict[str, Any]:
    """DescribeContinuousBackups as AWS documents it, with a 35-day window."""
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": 35,
                "EarliestRestorableDateTime": now - timedelta(days=35),
                "LatestRestorableDateTime": now - timedelta(minutes=5),
            },
        }
    }


def not_found(stubbed: Stubber, table: str) -> None:
    stubbed.add_client_error(
        "describe_table",
        service_error_code="ResourceNotFoundException",
        service_message=f"Requested resource not found: Table: {table} not found",
    )


def test_pitr_time_outside_the_window_is_refused_with_the_window_shown(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    stubbed.add_response(
        "describe_continuous_backups", window_response(clock()), {"TableName": "orders"}
    )
    not_found(stubbed, "orders-copy")
    response_url = slack.response_url("outside")
    command("restore orders@us-east-1 --at 9:58 --to orders-copy", response_url=response_url)
    drain_work(runtime)
    (reply,) = slack.responses("outside")
    assert (
        "2026-11-22 09:58 UTC (2 min ago) is outside the restorable window of `orders`: "
        "2026-10-18 10:00 UTC (35 d ago) → 2026-11-22 09:55 UTC (5 min ago)"
    ) in reply["text"]
    assert "Usage: `/ddb restore <table>" in reply["text"]


def test_pitr_restore_to_a_time_is_confirmed_then_started_with_that_time(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    target_time = datetime(2026, 11, 22, 8, 42, tzinfo=UTC)
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    not_found(stubbed, "orders-copy")
    command("restore orders@us-east-1 --at 2026-11-22T08:42:00Z --to orders-copy")
    drain_work(runtime)
    value, ts = confirmation(slack)
    text = json.dumps(slack.messages[(CHANNEL, ts)]["blocks"])
    assert "2026-11-22 08:42 UTC (1 h ago)" in text
    assert "A PITR restore takes at least ~20 min" in text
    clock.advance(60)
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    not_found(stubbed, "orders-copy")
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)  # checked at the press
    assert watch == [0]
    # ...and checked again by check 0, which starts it
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    not_found(stubbed, "orders-copy")
    stubbed.add_response(
        "restore_table_to_point_in_time",
        {"TableDescription": describe("CREATING", in_progress=True)["Table"]},
        {
            "SourceTableName": "orders",
            "TargetTableName": "orders-copy",
            "RestoreDateTime": target_time,
        },
    )
    assert restore_round(runtime) == 1
    (started,) = slack.thread(CHANNEL, ts)
    assert "(2026-11-22 08:42 UTC) → new table `orders-copy` in us-east-1" in started["text"]
    assert watch == [0, 0]


def test_pitr_window_moved_past_the_time_before_the_press_is_refused(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    not_found(stubbed, "orders-copy")
    command('restore orders@us-east-1 --at "35d ago" --to orders-copy')  # the earliest time
    drain_work(runtime)
    value, ts = confirmation(slack)
    clock.advance(10 * 60)
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    not_found(stubbed, "orders-copy")
    response_url = slack.response_url("moved")
    press("confirm", value, user=ADMIN, ts=ts, response_url=response_url)
    drain_work(runtime)
    assert "outside the restorable window" in slack.responses("moved")[-1]["text"]
    assert watch == []


def starting_job(runtime: Runtime, source: str) -> RestoreJob:
    """A confirmed `--latest` restore of ``source`` to orders-copy in us-east-1, waiting for
    its check 0, with its confirmation message as the thread."""
    root = runtime.notifier.post(CHANNEL, _text("confirmation"))
    job = RestoreJob(
        id=f"20261122T100000Z-{source}",
        source_table=source,
        region=OTHER_REGION,
        target="orders-copy",
        kind="pitr",
        requester=ADMIN,
        channel=CHANNEL,
        thread_ts=root.ts,
        started_at=runtime.now(),
        latest=True,
        status="starting",
    )
    save_job(runtime.state, job, now=runtime.epoch())
    return job


def test_check_0_retried_after_aws_accepted_the_restore_follows_it_instead_of_refusing(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = starting_job(runtime, "orders")
    # The first attempt crashed after AWS accepted the restore: the target now exists,
    # being restored from orders. No second RestoreTableToPointInTime is stubbed (or made).
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    assert restore_watcher.handle(check_event(job.id, 0), runtime)["batchItemFailures"] == []
    (started,) = replies(slack, job)
    assert started.startswith(":arrow_forward: Restore started by <@U0ADMIN01>")
    followed = load_job(runtime.state, job.id)
    assert followed is not None
    assert followed.status == IN_PROGRESS
    assert watch == [0]  # check 1, right away


def test_check_0_of_a_target_someone_else_is_restoring_is_refused(
    runtime: Runtime, slack: SlackSink, clock: Clock, watch: list[int], stubbed: Stubber
) -> None:
    job = starting_job(runtime, "payments")  # not the source of the restore running
    stubbed.add_response("describe_continuous_backups", window_response(clock()))
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    stubbed.add_response("describe_table", describe("CREATING", in_progress=True))
    assert restore_watcher.handle(check_event(job.id, 0), runtime)["batchItemFailures"] == []
    (refused,) = replies(slack, job)
    assert "did not start: A table named `orders-copy` already exists" in refused
    failed = load_job(runtime.state, job.id)
    assert failed is not None
    assert failed.status == FAILED
    assert watch == []
