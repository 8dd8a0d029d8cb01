"""Alarm storms end to end: more than `storm_count` alarms opening within `storm_minutes` on one
route fold into one summary message with each alarm in its thread. AWS is moto; Slack the sink."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.aws.incidents import load_incident
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms as alarm_function
from tests.conftest import Clock, load_event

START = datetime(2026, 11, 22, 9, 42, tzinfo=UTC)


def alarm(name: str, state: str, at: datetime, *, metric: str = "WriteThrottleEvents") -> dict:
    """The sample SNS alarm renamed ``name``, in ``state`` since ``at``."""
    event = copy.deepcopy(load_event("sns-alarm-write-throttle.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["AlarmName"] = name
    message["AlarmArn"] = f"arn:aws:cloudwatch:us-west-2:123456789012:alarm:{name}"
    message["NewStateValue"] = state
    message["StateChangeTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    message["Trigger"]["MetricName"] = metric
    message["Trigger"]["Dimensions"] = [{"name": "TableName", "value": f"t-{name}"}]
    sns["Message"], sns["MessageId"] = json.dumps(message), f"{name}-{state}-{at.isoformat()}"
    return event


def roots(slack: SlackSink) -> list[dict[str, Any]]:
    return [m for m in slack.messages.values() if not m.get("thread_ts")]


@pytest.fixture
def storming(runtime: Runtime, clock: Clock) -> Runtime:
    runtime.settings = replace(runtime.settings, alarm_storm_count=3)
    clock.current = START
    return runtime


def fire(runtime: Runtime, clock: Clock, names: list[str], state: str = "ALARM") -> list[str]:
    done = []
    for name in names:
        clock.advance(1)
        done += alarm_function.handle(alarm(name, state, clock.current), runtime)
    return done


def test_a_few_alarms_on_a_route_post_their_own_roots(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    fire(storming, clock, ["a1", "a2", "a3"])
    assert len(roots(slack)) == 3
    assert slack.calls_to("chat.delete") == []


def test_more_than_storm_count_alarms_fold_into_one_summary_with_each_in_its_thread(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    names = [f"a{i}" for i in range(1, 9)]
    assert fire(storming, clock, names) == ["post_root"] * 8
    (summary,) = roots(slack)
    assert summary["text"].startswith(":rotating_light: Alarm storm:")
    thread = slack.thread(summary["channel"], summary["ts"])
    shown = [m["text"].split(": ")[2].split(" —")[0] for m in thread]
    assert sorted(shown) == sorted(names)
    # The three roots posted before the storm began moved into the thread.
    assert len(slack.calls_to("chat.delete")) == 3
    for name in names:
        record = load_incident(
            storming.state, f"arn:aws:cloudwatch:us-west-2:123456789012:alarm:{name}"
        )
        assert record is not None
        (copy_,) = record.copies
        assert copy_.thread == summary["ts"]


def test_a_storm_summary_follows_its_alarms_as_they_resolve(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    names = [f"a{i}" for i in range(1, 7)]
    fire(storming, clock, names)
    (summary,) = roots(slack)
    clock.advance(60)
    assert fire(storming, clock, names, "OK") == ["resolve"] * 6
    (summary,) = roots(slack)
    assert summary["text"] == ":white_check_mark: Alarm storm: all 6 alarms resolved"
    thread = slack.thread(summary["channel"], summary["ts"])
    resolved_replies = [m for m in thread if m["text"].startswith(":white_check_mark: Resolved")]
    assert len(resolved_replies) == 6


def test_a_repeat_of_a_folded_alarm_replies_in_the_summary_thread(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    fire(storming, clock, [f"a{i}" for i in range(1, 6)])
    (summary,) = roots(slack)
    before = len(slack.thread(summary["channel"], summary["ts"]))
    clock.advance(30)
    event = alarm("a5", "INSUFFICIENT_DATA", clock.current)
    assert alarm_function.handle(event, storming) == ["thread_repeat"]
    assert len(roots(slack)) == 1
    assert len(slack.thread(summary["channel"], summary["ts"])) == before + 1


def test_after_a_storm_is_over_the_route_posts_roots_again(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    names = [f"a{i}" for i in range(1, 6)]
    fire(storming, clock, names)
    clock.advance(60)
    fire(storming, clock, names, "OK")
    clock.current += timedelta(minutes=30)
    fire(storming, clock, ["b1"])
    assert len(roots(slack)) == 2


def test_the_summary_is_edited_once_a_period_at_no_state_call_of_its_own(
    storming: Runtime, slack: SlackSink, clock: Clock
) -> None:
    fire(storming, clock, ["a1", "a2", "a3", "a4"])  # 09:42:01..04, the summary posted at 04
    (summary,) = roots(slack)
    assert "4 alarms" in summary["text"]
    state_calls: list[str] = []
    storming.clients.on_event(
        "before-call.dynamodb.*", lambda model, **kw: state_calls.append(model.name)
    )
    clock.current = START + timedelta(seconds=14)
    fire(storming, clock, ["a5"])  # 09:42:15, the first arrival of the next 15 s
    assert len(slack.calls_to("chat.update")) == 1
    (summary,) = roots(slack)
    assert "5 alarms" in summary["text"]
    assert state_calls == ["PutItem", "BatchGetItem", "UpdateItem", "UpdateItem", "UpdateItem"]
    fire(storming, clock, ["a6", "a7"])  # the same period: the summary waits
    assert len(slack.calls_to("chat.update")) == 1
    clock.current = START + timedelta(seconds=29)
    fire(storming, clock, ["a8"])
    assert len(slack.calls_to("chat.update")) == 2
    (summary,) = roots(slack)
    assert "8 alarms" in summary["text"]
