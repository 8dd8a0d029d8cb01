"""A confirmed prune interrupted mid-way is resumed and reported (issue 16, finding 6).

The requester confirms `/ddb prune orders --apply` (five backups to delete); the worker stops
after AWS deleted the second one, before opsbot noted it: by an exception (the queue
redelivers the press), or killed by its timeout (the plan's lease runs out first). It used
to end as "already used (failed)" or a plan "running" for ever, with no result. Now the
redelivery, or the requester's next press once the lease is over, resumes from what is left:
no backup is deleted twice, the backups the first attempt deleted count as deleted, and the
plan's message ends with one result naming all five.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from bot.aws.plans import load_plan
from bot.aws.work_queue import WorkItem
from bot.domain.confirmations import split_button_value
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_worker
from tests.conftest import ADMIN, Clock
from tests.faults.conftest import KEPT, PLANNED, backup_names
from tests.faults.test_crash_resume import LambdaStopped

CHANNEL = "C0OPSBOT1"


class KilledAtTimeout(BaseException):
    """Lambda stopped the invocation: no ``except Exception`` clean-up runs after this."""


def deliver(runtime: Runtime, item: WorkItem, attempt: int) -> dict[str, Any]:
    record = {
        "messageId": f"m-{item.id}",
        "body": item.to_json(),
        "attributes": {"ApproximateReceiveCount": str(attempt)},
        "eventSource": "aws:sqs",
    }
    return slack_worker.handle({"Records": [record]}, runtime)


def ask_to_prune(runtime: Runtime, slack: SlackSink) -> tuple[str, str]:
    """`/ddb prune orders --apply` by the requester: (the Confirm button's value, message ts)."""
    item = WorkItem(kind="command", user=ADMIN, channel=CHANNEL, text="prune orders --apply")
    assert deliver(runtime, item, attempt=1) == {"batchItemFailures": []}
    for call in slack.calls_to("chat.postMessage"):
        for block in call.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == "confirm":
                    (ts,) = [
                        t for (c, t), m in slack.messages.items() if m["blocks"] == call["blocks"]
                    ]
                    return str(element["value"]), ts
    raise AssertionError("no Confirm button was posted")


def press_confirm(value: str, ts: str) -> WorkItem:
    return WorkItem(
        kind="action",
        user=ADMIN,
        channel=CHANNEL,
        action_id="confirm",
        value=value,
        message_ts=ts,
        id=uuid.uuid4().hex,
    )


def stop_after_delete(runtime: Runtime, n: int, error: BaseException) -> None:
    """Stop the worker right after AWS answered the ``n``-th DeleteBackup."""
    seen = {"n": 0}

    def stop(**_: Any) -> None:
        seen["n"] += 1
        if seen["n"] == n:
            raise error

    runtime.clients.on_event("after-call.dynamodb.DeleteBackup", stop)


@pytest.fixture
def deletes(orders: Runtime) -> Counter[str]:
    """DeleteBackup calls per backup ARN."""
    calls: Counter[str] = Counter()

    def count(params: dict[str, Any], **_: Any) -> None:
        calls[params["BackupArn"]] += 1

    orders.clients.on_event("provide-client-params.dynamodb.DeleteBackup", count)
    return calls


def assert_one_result_for_all_five(runtime: Runtime, slack: SlackSink, value: str, ts: str) -> None:
    plan_id, _ = split_button_value(value)
    plan = load_plan(runtime.state, plan_id)
    assert plan is not None
    assert plan.status == "done"
    shown = slack.messages[(CHANNEL, ts)]
    assert shown["text"] == "Pruned orders: 5 deleted, 0 failed", shown["text"]
    for name in PLANNED:
        assert name in str(shown["blocks"])


def test_a_prune_stopped_by_an_exception_is_resumed_by_the_redelivery(
    orders: Runtime, slack: SlackSink, deletes: Counter[str]
) -> None:
    value, ts = ask_to_prune(orders, slack)
    press = press_confirm(value, ts)
    stop_after_delete(orders, 2, LambdaStopped("stopped after DeleteBackup #2"))
    assert deliver(orders, press, attempt=1)["batchItemFailures"]
    assert len(backup_names()) == len(KEPT) + len(PLANNED) - 2
    assert deliver(orders, press, attempt=2) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    assert all(n == 1 for n in deletes.values()), deletes
    assert_one_result_for_all_five(orders, slack, value, ts)


def test_a_prune_killed_by_its_timeout_is_resumed_once_its_lease_is_over(
    orders: Runtime, slack: SlackSink, clock: Clock, deletes: Counter[str]
) -> None:
    value, ts = ask_to_prune(orders, slack)
    press = press_confirm(value, ts)
    stop_after_delete(orders, 2, KilledAtTimeout())
    with pytest.raises(KilledAtTimeout):
        deliver(orders, press, attempt=1)
    clock.advance(901)  # the queue's redelivery comes after the work item's lease (900 s)
    assert deliver(orders, press, attempt=2) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    assert all(n == 1 for n in deletes.values()), deletes
    assert_one_result_for_all_five(orders, slack, value, ts)


def test_the_requesters_next_press_after_the_lease_resumes_a_killed_prune(
    orders: Runtime, slack: SlackSink, clock: Clock, deletes: Counter[str]
) -> None:
    value, ts = ask_to_prune(orders, slack)
    stop_after_delete(orders, 2, KilledAtTimeout())
    with pytest.raises(KilledAtTimeout):
        deliver(orders, press_confirm(value, ts), attempt=1)
    clock.advance(901)
    assert deliver(orders, press_confirm(value, ts), attempt=1) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    assert all(n == 1 for n in deletes.values()), deletes
    assert_one_result_for_all_five(orders, slack, value, ts)


def test_a_second_press_while_the_prune_runs_does_not_run_it_twice(
    orders: Runtime, slack: SlackSink, deletes: Counter[str]
) -> None:
    value, ts = ask_to_prune(orders, slack)
    stop_after_delete(orders, 2, KilledAtTimeout())
    with pytest.raises(KilledAtTimeout):
        deliver(orders, press_confirm(value, ts), attempt=1)
    # Within the lease the run may still be going on elsewhere: a new press is refused.
    assert deliver(orders, press_confirm(value, ts), attempt=1) == {"batchItemFailures": []}
    assert len(backup_names()) == len(KEPT) + len(PLANNED) - 2
    assert sum(deletes.values()) == 2


def test_the_nightly_scheduler_reports_a_prune_nobody_resumed_once_with_a_resume_button(
    orders: Runtime, slack: SlackSink, clock: Clock, deletes: Counter[str]
) -> None:
    from functions import prune_scheduler
    from tests.faults.test_aws_faults import SCHEDULE_EVENT

    value, ts = ask_to_prune(orders, slack)
    stop_after_delete(orders, 2, KilledAtTimeout())
    with pytest.raises(KilledAtTimeout):
        deliver(orders, press_confirm(value, ts), attempt=1)
    clock.advance(901)  # the queue gave up on it, and nobody pressed again
    orders.settings = replace(orders.settings, prune_queue_url=prune_queue(orders))
    assert prune_scheduler.handle(SCHEDULE_EVENT, orders)["interrupted_reported"] == 1
    (report,) = [m for m in slack.thread(CHANNEL, ts) if "Interrupted" in m["text"]]
    assert "Resume" in str(report["blocks"])
    again = {**SCHEDULE_EVENT, "id": "another-night"}
    assert prune_scheduler.handle(again, orders)["interrupted_reported"] == 0  # once
    # The requester presses Resume (the same Confirm action on the same plan): it finishes.
    (resume,) = [
        e["value"]
        for b in report["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == "confirm"
    ]
    assert deliver(orders, press_confirm(resume, ts), attempt=1) == {"batchItemFailures": []}
    assert backup_names() == KEPT
    assert all(n == 1 for n in deletes.values()), deletes
    assert_one_result_for_all_five(orders, slack, value, ts)


def prune_queue(runtime: Runtime) -> str:
    return str(runtime.client("sqs").create_queue(QueueName="opsbot-prune")["QueueUrl"])
