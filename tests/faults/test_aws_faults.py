"""AWS throttling and LimitExceeded during prune and restore: the work completes, nothing is
done twice, and the counts are right.

Two ways in: a ``before-call`` hook that raises a ClientError (our own retry code must cope;
botocore's retries never see it), and an HTTP 400 ThrottlingException answered on the wire
(botocore's standard retry policy must cope). Back-offs are recorded, not slept.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import boto3
import pytest

from bot.aws import prune_runs
from bot.aws.backups import DELETE_ATTEMPTS
from bot.aws.restores import load_job
from bot.domain.restore_jobs import COMPLETED
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from functions import prune_scheduler, prune_worker, restore_watcher, slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)
from tests.faults.conftest import (
    KEPT,
    PLANNED,
    backup_names,
    fail_calls,
    refuse_in_moto,
    sqs_records,
    throttle_on_the_wire,
)

DIGEST_CHANNEL = "C0BACKUPS1"
CHANNEL = "C0OPSBOT1"
SCHEDULE_EVENT = {
    "version": "0",
    "id": "7a1c0e52-0000-4000-8000-00000000fa17",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-22T03:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:us-west-2:123456789012:rule/opsbot-prune"],
    "detail": {},
}


@pytest.fixture
def nightly(orders: Runtime) -> Runtime:
    """The orders table with its backups, a prune queue, delete mode, a digest channel."""
    url = orders.client("sqs").create_queue(QueueName="opsbot-prune")["QueueUrl"]
    orders.settings = replace(
        orders.settings,
        prune_queue_url=url,
        prune_mode="delete",
        channels=replace(orders.settings.channels, backups=DIGEST_CHANNEL),
    )
    return orders


def prune_records(runtime: Runtime) -> list[dict[str, Any]]:
    return list(sqs_records(runtime, runtime.settings.prune_queue_url))


def digests(slack: SlackSink) -> list[dict[str, Any]]:
    return [c for c in slack.calls_to("chat.postMessage") if c["channel"] == DIGEST_CHANNEL]


# ---- prune --------------------------------------------------------------------------------


def test_delete_backup_throttled_and_limited_still_prunes_each_backup_once(
    nightly: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    calls = fail_calls(
        nightly,
        "DeleteBackup",
        {1: "ThrottlingException", 3: "LimitExceededException", 4: "ThrottlingException"},
    )
    run = prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    assert prune_worker.handle({"Records": prune_records(nightly)}, nightly) == {
        "batchItemFailures": []
    }
    assert backup_names() == KEPT
    assert aws_calls["DeleteBackup"] == len(PLANNED)  # each deleted once, none twice
    assert len(calls()) == len(PLANNED) + 3  # the three refused calls were retried
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 1 table, 5 backups deleted, 0 failures"
    stored = prune_runs.load_run(nightly.state, run["run_id"])
    assert stored is not None
    assert (stored["reported"], stored["deleted"]) == (2, 5)  # orders; the state table left alone


def test_throttling_that_outlasts_the_back_off_is_a_counted_failure_and_the_rest_go_on(
    nightly: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    # The first backup is refused on every try; the other four are deleted.
    attempts = DELETE_ATTEMPTS
    fail_calls(
        nightly, "DeleteBackup", dict.fromkeys(range(1, attempts + 1), "ThrottlingException")
    )
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    assert prune_worker.handle({"Records": prune_records(nightly)}, nightly) == {
        "batchItemFailures": []
    }
    assert aws_calls["DeleteBackup"] == 4
    assert len(backup_names()) == len(KEPT) + 1
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 1 table, 4 backups deleted, 1 failure"
    assert "AWS kept limiting DeleteBackup" in json.dumps(digest)


def test_a_throttled_list_backups_is_retried_by_botocore_and_the_prune_completes(
    nightly: Runtime, slack: SlackSink, retry_sleeps: dict[str, list[float]]
) -> None:
    throttle_on_the_wire(nightly, "dynamodb", "ListBackups", times=2)
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    prune_worker.handle({"Records": prune_records(nightly)}, nightly)
    assert backup_names() == KEPT
    assert len(retry_sleeps["aws"]) == 2
    (digest,) = digests(slack)
    assert digest["text"].endswith("5 backups deleted, 0 failures")


# ---- restore ------------------------------------------------------------------------------


@pytest.fixture
def restorable(orders: Runtime) -> Runtime:
    """orders with its backups, and a restore-watch queue whose delays are zeroed."""
    url = orders.client("sqs").create_queue(QueueName="opsbot-restore-watch")["QueueUrl"]
    orders.settings = replace(orders.settings, restore_queue_url=url)

    def zero_delay(params: dict[str, Any], **_: Any) -> None:
        params["DelaySeconds"] = 0

    orders.clients.on_event("provide-client-params.sqs.SendMessage", zero_delay)
    return orders


def slack_request(body: str) -> None:
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def confirm_restore(runtime: Runtime, slack: SlackSink) -> str:
    """Ask for a restore of orders-1d to orders-copy, press Confirm, let check 0 start it;
    returns the thread ts."""
    slack_request(slash_body("restore orders --backup orders-1d --to orders-copy", user=ADMIN))
    drain_work(runtime)
    ((_, ts), message) = next(
        (k, m) for k, m in slack.messages.items() if "confirm" in json.dumps(m.get("blocks", []))
    )
    value = next(
        e["value"]
        for b in message["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "confirm"
    )
    slack_request(block_action_body("confirm", value, user=ADMIN, ts=ts))
    drain_work(runtime)
    assert restore_round(runtime) == 1
    return ts


@pytest.mark.parametrize("code", ["ThrottlingException", "LimitExceededException"])
def test_a_throttled_restore_start_is_retried_and_starts_one_restore(
    restorable: Runtime,
    slack: SlackSink,
    aws_calls: Counter[str],
    retry_sleeps: dict[str, list[float]],
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    seen = refuse_in_moto(monkeypatch, "restore_table_from_backup", code)
    ts = confirm_restore(restorable, slack)
    assert seen == [1, 2]  # refused once, then started: one restore
    assert aws_calls["RestoreTableFromBackup"] == 1
    assert retry_sleeps["aws"], "botocore backed off before the retry"
    (started,) = slack.thread(CHANNEL, ts)
    assert "Restore started by <@U0ADMIN01>" in started["text"]
    tables = boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    assert "orders-copy" in tables


def test_a_throttled_watcher_check_is_retried_by_the_queue_and_reports_once(
    restorable: Runtime, slack: SlackSink
) -> None:
    ts = confirm_restore(restorable, slack)
    fail_calls(restorable, "DescribeTable", {1: "ThrottlingException"})
    url = restorable.settings.restore_queue_url
    sqs = restorable.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    record = {"messageId": message["MessageId"], "body": message["Body"]}
    assert restore_watcher.handle({"Records": [record]}, restorable) == {
        "batchItemFailures": [{"itemIdentifier": message["MessageId"]}]
    }
    assert restore_watcher.handle({"Records": [record]}, restorable) == {"batchItemFailures": []}
    assert restore_watcher.handle({"Records": [record]}, restorable) == {"batchItemFailures": []}
    _started, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(":white_check_mark: Restore done")
    job_id = json.loads(message["Body"])["job"]
    job = load_job(restorable.state, job_id)
    assert job is not None
    assert job.status == COMPLETED
    assert job.checks == 1
