"""State changes delivered late (a DLQ redrive, a slow retry, a replay): never a page. Older
than `[alarms] late_after` (15 min by default) they post without the route's mention and say
how late they are; one for an alarm whose incident has changed since goes into that incident's
thread only, never a new root."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config_sections import Route
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, sns_inbox
from tests.conftest import Clock, load_event

CHANNEL = "C0ONCALL1"
ALARM_AT = datetime(2026, 11, 22, 9, 42, 10, 123000, tzinfo=UTC)  # the sample ALARM's change
OK_AT = datetime(2026, 11, 22, 9, 55, 10, 123000, tzinfo=UTC)  # the sample OK's


@pytest.fixture
def paging(runtime: Runtime) -> Runtime:
    """Alarms on `orders` page the on-call channel with @here."""
    runtime.settings = replace(
        runtime.settings, routes=(Route("table == 'orders'", CHANNEL, mention="here"),)
    )
    return runtime


def sns_change(state: str, at: datetime, message_id: str) -> dict[str, Any]:
    """An SNS notification of the sample alarm changing to ``state`` at ``at``."""
    name = (
        "sns-alarm-write-throttle.json" if state == "ALARM" else "sns-alarm-write-throttle-ok.json"
    )
    event = copy.deepcopy(load_event(name))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["StateChangeTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    sns["Message"], sns["MessageId"] = json.dumps(message), message_id
    return event


def open_incident(paging: Runtime, slack: SlackSink, clock: Clock) -> tuple[str, str]:
    """The 09:42 ALARM delivered on time: the channel and ts of its root."""
    clock.current = ALARM_AT + timedelta(minutes=3)
    assert alarms.handle(sns_change("ALARM", ALARM_AT, "m-alarm"), paging) == ["post_root"]
    ((channel, ts),) = list(slack.messages)
    return channel, ts


def roots(slack: SlackSink) -> list[dict[str, Any]]:
    return [m for m in slack.messages.values() if not m.get("thread_ts")]


def everything_posted(slack: SlackSink) -> str:
    return json.dumps(slack.calls_to("chat.postMessage"))


@pytest.mark.parametrize(
    ("delivered_after", "pages"),
    [
        (timedelta(minutes=3), True),
        (timedelta(minutes=14, seconds=59), True),
        (timedelta(minutes=15, seconds=1), False),
        (timedelta(days=13, minutes=18), False),
    ],
    ids=["3-min", "just-under-15-min", "just-over-15-min", "13-days"],
)
def test_an_alarm_delivered_late_is_posted_without_the_route_mention(
    paging: Runtime, slack: SlackSink, clock: Clock, delivered_after: timedelta, pages: bool
) -> None:
    clock.current = ALARM_AT + delivered_after
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), paging) == ["post_root"]
    assert len(roots(slack)) == 1
    assert ("<!here>" in everything_posted(slack)) is pages
    assert ("delivered " in everything_posted(slack)) is not pages


def test_a_13_day_old_alarm_says_how_late_it_was_delivered(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    clock.current = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    alarms.handle(load_event("sns-alarm-write-throttle.json"), paging)
    (root,) = roots(slack)
    assert "<!here>" not in json.dumps(root)
    assert "delivered 13 d after the change" in root["text"]
    assert "delivered 13 d after the change" in json.dumps(root["blocks"])
    assert "2026-11-22 09:42 UTC (13 d ago)" in json.dumps(root["blocks"])


def test_a_late_alarm_on_the_sns_inbox_does_not_page_either(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    clock.current = ALARM_AT + timedelta(hours=2)
    sns_inbox.handle(load_event("sns-alarm-write-throttle.json"), paging)
    (root,) = roots(slack)
    assert "<!here>" not in json.dumps(root)
    assert "delivered 2 h after the change" in root["text"]


def test_how_late_is_late_is_configured(paging: Runtime, slack: SlackSink, clock: Clock) -> None:
    paging.settings = replace(paging.settings, alarm_late_after=timedelta(hours=1))
    clock.current = ALARM_AT + timedelta(minutes=40)
    alarms.handle(load_event("sns-alarm-write-throttle.json"), paging)
    assert "<!here>" in everything_posted(slack)


def test_a_late_alarm_older_than_the_last_ok_goes_into_the_thread_only(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    # On time: the 09:42 ALARM opens an incident and the 09:55 OK resolves it.
    channel, ts = open_incident(paging, slack, clock)
    clock.current = OK_AT + timedelta(minutes=1)
    alarms.handle(sns_change("OK", OK_AT, "m-ok"), paging)
    replies = len(slack.thread(channel, ts))

    # An hour later a DLQ redrive delivers an ALARM from 09:50, which the OK has overtaken.
    clock.current = OK_AT + timedelta(hours=1)
    redriven = sns_change("ALARM", ALARM_AT + timedelta(minutes=8), "m-redriven")
    assert alarms.handle(redriven, paging) == ["thread_late"]

    assert len(roots(slack)) == 1
    assert slack.messages[(channel, ts)]["text"].startswith(":white_check_mark: RESOLVED")
    late = slack.thread(channel, ts)[replies:]
    assert len(late) == 1
    assert "delivered 1 h 5 min after the change" in late[0]["text"]
    assert "<!here>" not in json.dumps(late)


def test_a_late_change_older_than_the_open_incident_goes_into_its_thread_only(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    channel, ts = open_incident(paging, slack, clock)

    # A retry delivers, 40 min late, an OK from before this incident opened.
    clock.current = ALARM_AT + timedelta(minutes=30)
    stale_ok = sns_change("OK", ALARM_AT - timedelta(minutes=10), "m-stale-ok")
    assert alarms.handle(stale_ok, paging) == ["thread_late"]

    assert len(roots(slack)) == 1
    assert ":rotating_light: ALARM:" in slack.messages[(channel, ts)]["text"]  # still open
    (late,) = slack.thread(channel, ts)
    assert "delivered 40 min after the change" in late["text"]


def test_an_on_time_copy_older_than_the_open_incident_is_still_ignored(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    open_incident(paging, slack, clock)
    stale_ok = sns_change("OK", ALARM_AT - timedelta(minutes=5), "m-stale-ok")
    assert alarms.handle(stale_ok, paging) == ["ignore"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_late_repeat_in_an_open_incident_says_it_is_late(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    channel, ts = open_incident(paging, slack, clock)
    clock.current = ALARM_AT + timedelta(hours=3)
    repeat = sns_change("ALARM", ALARM_AT + timedelta(minutes=20), "m-repeat")
    assert alarms.handle(repeat, paging) == ["thread_repeat"]
    (reply,) = slack.thread(channel, ts)
    assert "delivered 2 h 40 min after the change" in reply["text"]


def test_a_late_alarm_whose_ok_came_first_posts_one_resolved_root_marked_late(
    paging: Runtime, slack: SlackSink, clock: Clock
) -> None:
    # The ALARM went to the DLQ; its OK arrived on time and posted nothing (nothing open).
    clock.current = OK_AT + timedelta(minutes=1)
    assert alarms.handle(sns_change("OK", OK_AT, "m-ok"), paging) == ["ignore"]
    clock.current = OK_AT + timedelta(hours=2)
    assert alarms.handle(sns_change("ALARM", ALARM_AT, "m-redriven"), paging) == ["post_resolved"]
    (root,) = roots(slack)
    assert root["text"] == (
        ":white_check_mark: RESOLVED: orders-write-throttle after 13 min "
        "(delivered 2 h 13 min after the change)"
    )
    assert "<!here>" not in json.dumps(root)
