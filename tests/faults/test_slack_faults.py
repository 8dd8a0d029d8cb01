"""Slack answering 429 storms and 5xx: on the alarm path and for the worker's replies, every
message is delivered exactly once, through the client's retries or the platform's.

The sink's ``fail_next`` injects the faults; retry back-offs are recorded, not slept.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.aws.incidents import load_incident
from bot.config_sections import Route
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, slack_http, slack_worker
from tests.conftest import (
    ADMIN,
    Clock,
    function_url_event,
    lambda_context,
    load_event,
    sign,
    slash_body,
)

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
CHANNEL = "C0OPSBOT1"


@pytest.fixture
def at_alarm_time(clock: Clock) -> Clock:
    """Three minutes after the sample ALARM fired."""
    clock.current = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
    return clock


def roots(slack: SlackSink, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """Top-level messages in a channel as Slack holds them now."""
    return [m for (c, _), m in slack.messages.items() if c == channel and not m.get("thread_ts")]


def statuses(slack: SlackSink) -> list[int]:
    return [int(r["status"]) for r in slack.requests]


def deliver_until_done(event: dict[str, Any], runtime: Runtime, *, tries: int = 5) -> list[str]:
    """Deliver an event as SNS/EventBridge do: again after each raised error."""
    for _ in range(tries):
        try:
            return alarms.handle(copy.deepcopy(event), runtime)
        except SlackApiError:
            continue
    raise AssertionError(f"still failing after {tries} deliveries")


# ---- the alarm path -----------------------------------------------------------------------


def test_a_429_storm_on_the_alarm_root_post_is_waited_out_and_posts_once(
    runtime: Runtime,
    slack: SlackSink,
    at_alarm_time: Clock,
    retry_sleeps: dict[str, list[float]],
) -> None:
    slack.fail_next(5, status=429, retry_after=3)
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert statuses(slack) == [429] * 5 + [200]
    assert len(roots(slack)) == 1
    # Retry-After is honoured each time (slack_sdk adds up to 1 s of jitter).
    assert len(retry_sleeps["slack"]) == 5
    assert all(3 <= s < 4 for s in retry_sleeps["slack"])


def test_a_short_5xx_burst_is_absorbed_by_the_clients_retries_and_posts_once(
    runtime: Runtime,
    slack: SlackSink,
    at_alarm_time: Clock,
    retry_sleeps: dict[str, list[float]],
) -> None:
    slack.fail_next(2, status=500)
    slack.fail_next(1, status=503)
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert statuses(slack) == [500, 500, 503, 200]
    assert len(roots(slack)) == 1
    assert len(retry_sleeps["slack"]) == 3  # backed off before each retry


def test_5xx_beyond_the_clients_retries_is_retried_by_the_platform_and_posts_once(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    # One try and three retries answer 500; the delivery fails, its claim is released,
    # and the platform's redelivery posts the root: one message in the channel.
    slack.fail_next(4, status=500)
    event = load_event("sns-alarm-write-throttle.json")
    with pytest.raises(SlackApiError):
        alarms.handle(copy.deepcopy(event), runtime)
    assert roots(slack) == []
    assert alarms.handle(copy.deepcopy(event), runtime) == ["post_root"]
    assert alarms.handle(copy.deepcopy(event), runtime) == ["duplicate"]
    assert len(roots(slack)) == 1
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.incident.is_open


def test_a_5xx_storm_during_resolve_updates_once_and_replies_once(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    ((channel, ts),) = slack.messages
    slack.fail_next(4, status=503)  # chat.update fails through all its retries
    assert deliver_until_done(load_event("sns-alarm-write-throttle-ok.json"), runtime) == [
        "resolve"
    ]
    assert slack.messages[(channel, ts)]["text"].startswith(":white_check_mark: RESOLVED")
    (reply,) = slack.thread(channel, ts)
    assert reply["text"].startswith(":white_check_mark: Resolved at")


def test_a_failure_on_the_second_routed_copy_during_resolve_replies_once_per_copy(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    runtime.settings = replace(
        runtime.settings,
        routes=(
            Route("table == 'orders'", "C0ORDERS1"),
            Route("state == 'ALARM'", "C0ONCALL1"),
        ),
    )
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    posted = dict(slack.messages.keys())  # channel -> ts of each root
    assert set(posted) == {"C0ORDERS1", "C0ONCALL1"}
    original = runtime.notifier.update
    updates = {"n": 0}

    def second_update_meets_a_storm(channel: str, ts: str, message: Any) -> None:
        updates["n"] += 1
        if updates["n"] == 2:
            slack.fail_next(4, status=500)
        original(channel, ts, message)

    runtime.notifier.update = second_update_meets_a_storm  # type: ignore[method-assign]
    assert deliver_until_done(load_event("sns-alarm-write-throttle-ok.json"), runtime) == [
        "resolve"
    ]
    for channel, ts in posted.items():
        assert slack.messages[(channel, ts)]["text"].startswith(":white_check_mark: RESOLVED")
        assert len(slack.thread(channel, ts)) == 1, f"{channel} got the resolve reply twice"


# ---- the worker's replies -----------------------------------------------------------------


def submit(text: str, *, response_url: str = "") -> None:
    """A signed `/ddb` command through the Slack entry point (it queues the work)."""
    body = slash_body(text, user=ADMIN, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200


def deliver_work(runtime: Runtime, *, max_rounds: int = 4) -> list[dict[str, Any]]:
    """Run the work queue as Lambda's SQS trigger does: failed records come back with a
    higher ApproximateReceiveCount until they succeed. Returns each round's failures."""
    sqs, url = runtime.client("sqs"), runtime.settings.work_queue_url
    pending: dict[str, dict[str, Any]] = {}
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for m in messages:
            pending[m["MessageId"]] = {"messageId": m["MessageId"], "body": m["Body"]}
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    rounds: list[dict[str, Any]] = []
    for attempt in range(1, max_rounds + 1):
        if not pending:
            break
        records = [
            {**r, "attributes": {"ApproximateReceiveCount": str(attempt)}} for r in pending.values()
        ]
        result = slack_worker.handle({"Records": records}, runtime)
        rounds.append(result)
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        pending = {k: v for k, v in pending.items() if k in failed}
    assert not pending, "the work item never succeeded"
    return rounds


@pytest.fixture
def warm_groups(runtime: Runtime) -> None:
    """The requester's user groups are cached, as after any earlier command."""
    runtime.notifier.groups_of(ADMIN, runtime.settings.access.group_ids)


def test_a_response_url_answering_429s_delivers_the_reply_once(
    runtime: Runtime, slack: SlackSink, warm_groups: None
) -> None:
    url = slack.response_url("r-429")
    submit("help status", response_url=url)
    submit("alarms", response_url=url)
    slack.fail_next(3, status=429, retry_after=0)
    deliver_work(runtime)
    assert len(slack.responses("r-429")) == 1
    assert [r["status"] for r in slack.requests if r["method"] == "response_url"][:3] == [429] * 3


def test_a_response_url_that_keeps_failing_falls_back_to_one_ephemeral_reply(
    runtime: Runtime, slack: SlackSink, warm_groups: None
) -> None:
    url = slack.response_url("r-down")
    submit("alarms", response_url=url)
    slack.fail_next(4, status=500)  # the first try and all three retries
    deliver_work(runtime)
    assert slack.responses("r-down") == []
    (ephemeral,) = slack.calls_to("chat.postEphemeral")
    assert ephemeral["user"] == ADMIN


def test_a_5xx_storm_on_a_worker_post_is_retried_by_the_queue_and_posts_once(
    orders: Runtime, slack: SlackSink, warm_groups: None
) -> None:
    # The confirmation of `prune --apply` is a channel post; it fails through every
    # client retry, the worker raises, SQS redelivers (attempt 2), and it is posted once.
    submit("prune orders --apply")
    slack.fail_next(4, status=500)
    rounds = deliver_work(orders)
    assert len(rounds) == 2
    assert rounds[0]["batchItemFailures"]
    (confirmation,) = roots(slack)
    assert "confirm" in json.dumps(confirmation["blocks"])
