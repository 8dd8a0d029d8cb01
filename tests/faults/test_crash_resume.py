"""A handler that dies mid-run: the platform's retry resumes where it stopped, nothing is done
twice, and the digest counts every deletion exactly once.

The crash is raised from a botocore hook inside the prune worker, at the worst moments: after
AWS deleted a backup but before opsbot checkpointed it, and between two deletions.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from bot.aws import prune_runs
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import prune_scheduler, prune_worker, slack_worker
from tests.conftest import REGION
from tests.faults.conftest import KEPT, PLANNED, backup_names, sqs_records, throttle_on_the_wire
from tests.faults.test_aws_faults import DIGEST_CHANNEL, SCHEDULE_EVENT, digests


class LambdaStopped(Exception):
    """The function was stopped (timeout, out of memory, a deploy) in the middle of its work."""


@pytest.fixture
def nightly(orders: Runtime) -> Runtime:
    """As in test_aws_faults: a prune queue, delete mode, a digest channel."""
    url = orders.client("sqs").create_queue(QueueName="opsbot-prune")["QueueUrl"]
    orders.settings = replace(
        orders.settings,
        prune_queue_url=url,
        prune_mode="delete",
        channels=replace(orders.settings.channels, backups=DIGEST_CHANNEL),
    )
    return orders


def crash_after(runtime: Runtime, operation: str, n: int) -> dict[str, int]:
    """Stop the 'Lambda' right after AWS answered the ``n``-th ``operation`` call."""
    count = {"n": 0}

    def stop(**_: Any) -> None:
        count["n"] += 1
        if count["n"] == n:
            raise LambdaStopped(f"stopped after {operation} #{n}")

    runtime.clients.on_event(f"after-call.dynamodb.{operation}", stop)
    return count


def deliver(runtime: Runtime, records: list[dict[str, Any]], attempt: int) -> dict[str, Any]:
    stamped = [{**r, "attributes": {"ApproximateReceiveCount": str(attempt)}} for r in records]
    return prune_worker.handle({"Records": stamped}, runtime)


@pytest.mark.parametrize("crash_at", [1, 2, 5], ids=["first", "second", "last"])
def test_a_crash_after_aws_deleted_but_before_the_checkpoint_is_resumed_and_counted_once(
    nightly: Runtime, slack: SlackSink, crash_at: int
) -> None:
    run = prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = list(sqs_records(nightly, nightly.settings.prune_queue_url))
    crashes = crash_after(nightly, "DeleteBackup", crash_at)
    first = deliver(nightly, records, attempt=1)
    (orders,) = [r for r in records if json.loads(r["body"])["table"] == "orders"]
    assert first == {"batchItemFailures": [{"itemIdentifier": orders["messageId"]}]}
    assert len(backup_names()) == len(KEPT) + len(PLANNED) - crash_at
    assert digests(slack) == []
    assert deliver(nightly, records, attempt=2) == {"batchItemFailures": []}
    assert deliver(nightly, records, attempt=3) == {"batchItemFailures": []}  # late duplicate
    assert crashes["n"] >= crash_at
    assert backup_names() == KEPT
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 1 table, 5 backups deleted, 0 failures"
    stored = prune_runs.load_run(nightly.state, run["run_id"])
    assert stored is not None
    # orders, and the state table (no policy: left alone)
    assert (stored["reported"], stored["deleted"]) == (2, 5)


def test_a_crash_between_two_deletions_is_resumed_without_deleting_again(
    nightly: Runtime, slack: SlackSink
) -> None:
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = list(sqs_records(nightly, nightly.settings.prune_queue_url))
    deleted: Counter[str] = Counter()

    def count(params: dict[str, Any], **_: Any) -> None:
        deleted[params["BackupArn"]] += 1

    nightly.clients.on_event("provide-client-params.dynamodb.DeleteBackup", count)
    crash_after(nightly, "UpdateItem", 4)  # somewhere in the checkpoints of the deletions
    assert deliver(nightly, records, attempt=1)["batchItemFailures"]
    assert deliver(nightly, records, attempt=2) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    assert all(n == 1 for n in deleted.values()), deleted
    (digest,) = digests(slack)
    assert digest["text"].endswith("5 backups deleted, 0 failures")


def test_a_delete_whose_answer_was_lost_is_retried_and_counted_once(
    nightly: Runtime, slack: SlackSink
) -> None:
    # AWS deleted the backup, the answer never arrived (HTTP 400 throttle on the wire);
    # botocore retries, AWS says BackupNotFound: that is a deletion, and counts once.
    throttle_on_the_wire(nightly, "dynamodb", "DeleteBackup", times=1)
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = list(sqs_records(nightly, nightly.settings.prune_queue_url))
    assert deliver(nightly, records, attempt=1) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 1 table, 5 backups deleted, 0 failures"


def test_a_worker_crash_mid_command_is_resumed_by_the_queue_and_replies_once(
    runtime: Runtime, slack: SlackSink
) -> None:
    # A `/ddb alarms` work item whose first run dies in the AWS call: the claim is released,
    # attempt 2 answers, and the user gets one reply.
    from bot.aws.work_queue import WorkItem
    from tests.conftest import ADMIN

    item = WorkItem(kind="command", user=ADMIN, channel="C0OPSBOT1", text="alarms")
    runtime.notifier.groups_of(ADMIN, runtime.settings.access.group_ids)
    crash_after_call = {"n": 0}

    def stop(**_: Any) -> None:
        crash_after_call["n"] += 1
        if crash_after_call["n"] == 1:
            raise LambdaStopped("stopped in DescribeAlarms")

    runtime.client("cloudwatch", REGION).meta.events.register(
        "before-call.cloudwatch.DescribeAlarms", stop
    )
    record = {"messageId": "w-1", "body": item.to_json()}
    first = slack_worker.handle(
        {"Records": [{**record, "attributes": {"ApproximateReceiveCount": "1"}}]}, runtime
    )
    assert first == {"batchItemFailures": [{"itemIdentifier": "w-1"}]}
    second = slack_worker.handle(
        {"Records": [{**record, "attributes": {"ApproximateReceiveCount": "2"}}]}, runtime
    )
    assert second == {"batchItemFailures": []}
    replies = slack.calls_to("chat.postEphemeral") + slack.calls_to("chat.postMessage")
    assert len(replies) == 1, json.dumps(replies)[:500]
