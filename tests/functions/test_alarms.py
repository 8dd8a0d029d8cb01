"""Alarm notifications end to end: SNS / EventBridge events in, exact Slack Web API calls out.

AWS is moto in-process (state table, CloudWatch); Slack is the local sink on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import threading
import types
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from slack_sdk.errors import SlackApiError

from bot.aws.incidents import load_incident, save_silence
from bot.config_sections import Route
from bot.flows.alarms.incidents import deliver_alarm_message
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.slack.notifier import Notifier, build_web_client
from functions import alarms
from tests.conftest import BOT_TOKEN, Clock, lambda_context, load_event

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
CHANNEL = "C0OPSBOT1"


def sns_alarm(state: str = "ALARM", *, message_id: str, at: str) -> dict[str, Any]:
    """The write-throttle SNS event with another state, message id and change time."""
    event = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["NewStateValue"] = state
    message["StateChangeTime"] = at
    sns["Message"] = json.dumps(message)
    sns["MessageId"] = message_id
    return event


def method_names(slack: SlackSink) -> list[str]:
    return [c["method"] for c in slack.calls]


def test_first_alarm_posts_one_root_message_and_opens_an_incident(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert method_names(slack) == ["chat.postMessage"]
    posted = slack.calls_to("chat.postMessage")[0]
    assert posted["channel"] == CHANNEL
    assert "thread_ts" not in posted
    assert posted["text"].startswith(":rotating_light: ALARM: orders-write-throttle")
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.incident.is_open
    (root,) = slack.messages
    assert (record.incident.channel, record.incident.ts) == root
    assert record.posting == ""


def test_repeat_alarm_goes_to_the_thread_not_the_channel(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    again = sns_alarm(message_id="repeat-1", at="2026-11-22T09:50:10.000+0000")
    assert alarms.handle(again, runtime) == ["thread_repeat"]
    root_ts = slack.calls_to("chat.postMessage")[0]
    (channel, ts) = next(iter(slack.messages))
    assert method_names(slack) == ["chat.postMessage", "chat.postMessage"]
    reply = slack.calls_to("chat.postMessage")[1]
    assert reply["thread_ts"] == ts
    assert reply["channel"] == channel
    assert reply["text"].startswith(":repeat: Still in ALARM")
    assert "thread_ts" not in root_ts
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.incident.repeats == 1


def test_ok_updates_the_root_with_the_duration_and_replies_in_the_thread(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    (channel, ts) = next(iter(slack.messages))
    assert alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime) == ["resolve"]
    assert method_names(slack) == ["chat.postMessage", "chat.update", "chat.postMessage"]
    update = slack.calls_to("chat.update")[0]
    assert (update["channel"], update["ts"]) == (channel, ts)
    assert update["text"] == ":white_check_mark: RESOLVED: orders-write-throttle after 13 min"
    reply = slack.calls_to("chat.postMessage")[1]
    assert reply["thread_ts"] == ts
    assert reply["text"].startswith(
        ":white_check_mark: Resolved at 2026-11-22 09:55 UTC after 13 min"
    )
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert not record.incident.is_open


def test_alarm_after_resolve_opens_a_new_incident(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime)
    later = sns_alarm(message_id="again-2", at="2026-11-22T11:00:00.000+0000")
    assert alarms.handle(later, runtime) == ["post_root"]
    roots = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c]
    assert len(roots) == 2


def test_replay_of_alarm_then_ok_files_posts_once_then_updates_that_message_and_replies(
    runtime: Runtime, slack: SlackSink
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime)
    calls = slack.calls
    assert [c["method"] for c in calls] == ["chat.postMessage", "chat.update", "chat.postMessage"]
    (root_key,) = [k for k, m in slack.messages.items() if "thread_ts" not in m]
    assert (calls[1]["args"]["channel"], calls[1]["args"]["ts"]) == root_key
    assert calls[2]["args"]["thread_ts"] == root_key[1]
    assert slack.thread(*root_key)[0]["text"].startswith(":white_check_mark: Resolved")


def test_silenced_alarm_posts_nothing_and_its_resolve_still_updates_the_root(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    save_silence(
        runtime.state,
        ARN,
        until=at_alarm_time.current + timedelta(hours=1),
        by_user="U0OPER001",
        now=at_alarm_time.current,
    )
    again = sns_alarm(message_id="silenced-1", at="2026-11-22T09:50:10.000+0000")
    assert alarms.handle(again, runtime) == ["suppress"]
    assert method_names(slack) == ["chat.postMessage"]
    assert alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime) == ["resolve"]
    assert method_names(slack) == ["chat.postMessage", "chat.update", "chat.postMessage"]


def test_silence_that_ended_lets_repeats_through(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    save_silence(
        runtime.state,
        ARN,
        until=at_alarm_time.current + timedelta(minutes=5),
        by_user="U0OPER001",
        now=at_alarm_time.current,
    )
    at_alarm_time.advance(600)
    again = sns_alarm(message_id="after-silence", at="2026-11-22T09:55:00.000+0000")
    assert alarms.handle(again, runtime) == ["thread_repeat"]


def test_silenced_new_alarm_posts_no_root(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    save_silence(
        runtime.state,
        ARN,
        until=at_alarm_time.current + timedelta(hours=4),
        by_user="U0OPER001",
        now=at_alarm_time.current,
    )
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["suppress"]
    assert slack.calls == []
    assert load_incident(runtime.state, ARN) is None


def test_duplicate_delivery_is_handled_once(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = load_event("sns-alarm-write-throttle.json")
    assert alarms.handle(event, runtime) == ["post_root"]
    assert alarms.handle(copy.deepcopy(event), runtime) == ["duplicate"]
    assert method_names(slack) == ["chat.postMessage"]


def test_duplicate_eventbridge_delivery_is_handled_once(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    event = load_event("eventbridge-alarm-replication-latency.json")
    clock.current = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    assert alarms.handle(event, runtime) == ["post_root"]
    assert alarms.handle(copy.deepcopy(event), runtime) == ["duplicate"]
    assert method_names(slack) == ["chat.postMessage"]
    posted = slack.calls_to("chat.postMessage")[0]
    assert "courses-replication-latency" in posted["text"]


def _bridge_copy_of_the_sample_alarm(event_id: str) -> dict[str, Any]:
    """The EventBridge event of the state change in sns-alarm-write-throttle.json."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": "2026-11-22T09:42:10Z",
        "region": "us-west-2",
        "resources": [ARN],
        "detail": {
            "alarmName": "orders-write-throttle",
            "state": {
                "value": "ALARM",
                "reason": "Threshold Crossed",
                "timestamp": "2026-11-22T09:42:10.123+0000",
            },
            "configuration": {"metrics": []},
        },
    }


def test_same_event_through_sns_and_eventbridge_posts_one_root(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    # The SNS copy and the EventBridge copy have different ids but announce one state change.
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    assert alarms.handle(_bridge_copy_of_the_sample_alarm("eb-0001"), runtime) == ["duplicate"]
    assert method_names(slack) == ["chat.postMessage"]  # no second root, no thread reply


def test_sns_and_eventbridge_copies_at_the_same_moment_post_one_root(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EventBridge copy arrives while the SNS copy is still posting its root (two Lambda
    invocations at once): neither has saved an incident yet, so only the claim on the state
    change keeps the second from posting a root of its own. While the first stays busy the
    second fails (the work is not done yet), so the platform retries it; by then it is a
    duplicate."""
    outcomes: list[list[str] | Exception] = []
    started: list[bool] = []
    waits: list[float] = []
    monkeypatch.setattr("bot.aws.idempotency.time", types.SimpleNamespace(sleep=waits.append))

    def second_copy() -> None:
        try:
            outcomes.append(alarms.handle(_bridge_copy_of_the_sample_alarm("eb-0002"), runtime))
        except Exception as exc:
            outcomes.append(exc)

    def meanwhile(call: dict[str, Any]) -> None:
        if call["method"] == "chat.postMessage" and not started:
            started.append(True)
            # A thread of its own, as a concurrent invocation would be; joined right here.
            worker = threading.Thread(target=second_copy)
            worker.start()
            worker.join(timeout=30)

    slack.on_call = meanwhile
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    (outcome,) = outcomes
    assert isinstance(outcome, IdempotencyAlreadyInProgressError)
    assert sum(waits) == 10  # after waiting for the first to finish
    assert alarms.handle(_bridge_copy_of_the_sample_alarm("eb-0002"), runtime) == ["duplicate"]
    assert method_names(slack) == ["chat.postMessage"]


def test_slack_429_then_success_posts_exactly_one_message(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    slack.fail_next(1, status=429, retry_after=0)
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert [r["status"] for r in slack.requests] == [429, 200]
    assert method_names(slack) == ["chat.postMessage"]


def _no_retry_notifier(slack: SlackSink) -> Notifier:
    client = build_web_client(BOT_TOKEN, base_url=slack.base_url)
    client.retry_handlers = []
    return Notifier(client)


def test_slack_failure_releases_the_claim_and_the_retry_posts_once(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    runtime.notifier_override = _no_retry_notifier(slack)
    event = load_event("sns-alarm-write-throttle.json")
    slack.fail_next(1, status=429, retry_after=0)
    with pytest.raises(SlackApiError):
        alarms.handle(event, runtime)
    assert load_incident(runtime.state, ARN) is None
    assert alarms.handle(copy.deepcopy(event), runtime) == ["post_root"]
    assert method_names(slack) == ["chat.postMessage"]


def two_routes_the_second_rate_limited(
    runtime: Runtime, slack: SlackSink, *, mention: str | None = None
) -> None:
    """Alarms on orders route to C0ORDERS1 and C0ONCALL1, and Slack answers the second post
    with a 429 that the notifier does not retry: a root post that fails half-way."""
    runtime.settings = replace(
        runtime.settings,
        routes=(
            Route("table == 'orders'", "C0ORDERS1", mention),
            Route("state == 'ALARM'", "C0ONCALL1"),
        ),
    )
    runtime.notifier_override = _no_retry_notifier(slack)
    original_post = runtime.notifier.post
    posts = {"n": 0}

    def second_post_is_rate_limited(channel: str, message: Any, **kwargs: Any) -> Any:
        posts["n"] += 1
        if posts["n"] == 2:
            slack.fail_next(1, status=429, retry_after=0)
        return original_post(channel, message, **kwargs)

    runtime.notifier.post = second_post_is_rate_limited  # type: ignore[method-assign]


def test_retry_after_a_half_done_root_post_posts_only_the_missing_copy(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    two_routes_the_second_rate_limited(runtime, slack, mention="here")
    event = load_event("sns-alarm-write-throttle.json")
    with pytest.raises(SlackApiError):
        alarms.handle(event, runtime)  # C0ORDERS1 posts, C0ONCALL1 gets a 429
    partial = load_incident(runtime.state, ARN)
    assert partial is not None
    assert [p.to for p in partial.posts] == ["C0ORDERS1"]
    assert alarms.handle(copy.deepcopy(event), runtime) == ["post_root"]
    roots = slack.calls_to("chat.postMessage")
    assert [r["channel"] for r in roots] == ["C0ORDERS1", "C0ONCALL1"]
    assert roots[0]["text"].startswith("<!here> ")
    assert not roots[1]["text"].startswith("<!")
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.posting == ""
    assert len(record.posts) == 2


def test_resolve_updates_every_routed_copy(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    runtime.settings = replace(
        runtime.settings,
        routes=(
            Route("table == 'orders'", "C0ORDERS1"),
            Route("region == 'us-west-2'", "C0WEST01"),
        ),
    )
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime)
    assert sorted(u["channel"] for u in slack.calls_to("chat.update")) == ["C0ORDERS1", "C0WEST01"]
    replies = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" in c]
    assert sorted(r["channel"] for r in replies) == ["C0ORDERS1", "C0WEST01"]


def test_insufficient_data_with_nothing_open_posts_one_info_message(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    event = sns_alarm("INSUFFICIENT_DATA", message_id="nodata-1", at="2026-11-22T09:44:00.000+0000")
    assert alarms.handle(event, runtime) == ["post_info"]
    (posted,) = slack.calls_to("chat.postMessage")
    assert posted["text"].startswith(":grey_question: INSUFFICIENT_DATA")
    assert load_incident(runtime.state, ARN) is None


def test_ok_with_nothing_open_posts_nothing(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("sns-alarm-write-throttle-ok.json"), runtime) == ["ignore"]
    assert slack.calls == []


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"Sns": {"MessageId": "x1", "Message": "not json"}}]},
        {"Records": [{"Sns": {"MessageId": "x2", "Message": json.dumps({"hello": "world"})}}]},
        {"Records": [{"Sns": {"MessageId": "x3"}}]},
        {"Records": [{"Sns": {"MessageId": "x4", "Message": json.dumps(["a"])}}]},
        {"something": "else"},
        {"detail-type": "CloudWatch Alarm State Change", "id": "e1", "detail": {}},
    ],
    ids=["text", "not-an-alarm", "no-message", "json-list", "unknown-shape", "eventbridge-empty"],
)
def test_malformed_payloads_are_dropped_without_an_exception(
    runtime: Runtime, slack: SlackSink, event: dict[str, Any]
) -> None:
    assert alarms.handle(event, runtime) == ["dropped"]
    assert slack.calls == []


def test_handle_alarm_message_takes_a_decoded_message_for_the_sns_inbox(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    sns = load_event("sns-alarm-write-throttle.json")["Records"][0]["Sns"]
    outcome = deliver_alarm_message(json.loads(sns["Message"]), sns["MessageId"], runtime)
    assert outcome == "post_root"
    again = deliver_alarm_message(json.loads(sns["Message"]), sns["MessageId"], runtime)
    assert again == "duplicate"
    assert method_names(slack) == ["chat.postMessage"]


def test_lambda_handler_uses_the_default_runtime(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    result = alarms.handler(load_event("sns-alarm-write-throttle.json"), lambda_context())
    assert result == ["post_root"]
    assert method_names(slack) == ["chat.postMessage"]


def test_root_message_charts_recent_values_from_getmetricdata(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    cloudwatch = runtime.client("cloudwatch", "us-west-2")
    for minutes_ago, value in ((5, 0.0), (4, 2.0), (3, 14.0), (2, 37.0), (1, 21.0)):
        cloudwatch.put_metric_data(
            Namespace="AWS/DynamoDB",
            MetricData=[
                {
                    "MetricName": "WriteThrottleEvents",
                    "Dimensions": [{"Name": "TableName", "Value": "orders"}],
                    "Timestamp": at_alarm_time.current - timedelta(minutes=minutes_ago),
                    "Value": value,
                }
            ],
        )
    alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
    (posted,) = slack.calls_to("chat.postMessage")
    shown = json.dumps(posted["blocks"], ensure_ascii=False)
    assert "*Recent values*  `▁▁▄█▅`  min 0 · max 37 · last 21" in shown


def test_root_message_posts_without_values_when_getmetricdata_fails(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    from botocore.stub import Stubber

    cloudwatch = runtime.client("cloudwatch", "us-west-2")
    with Stubber(cloudwatch) as stubber:
        stubber.add_client_error("get_metric_data", "Throttling", "Rate exceeded")
        assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    (posted,) = slack.calls_to("chat.postMessage")
    # The event's own datapoint from the reason stands in.
    assert "*Recent values*  last 37" in json.dumps(posted["blocks"], ensure_ascii=False)
