"""Scheduled drills on moto: the hourly trigger (functions/drill_scheduler.py) starts the
drills due, at most `[drills] max_at_once` underway, each reports in the run's thread, and the
last one posts the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.aws.drills import recent_drills
from bot.domain.drill_settings import DrillSettings
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from functions import drill_scheduler
from tests.conftest import Clock
from tests.functions.test_restore_watcher import CHANNEL, make_table, restore_queue

SUNDAY_3AM = datetime(2026, 11, 22, 3, 0, 20, tzinfo=UTC)


@pytest.fixture
def scheduled(runtime: Runtime, clock: Clock) -> list[int]:
    """orders (configured) and carts (tagged weekly), each with a backup; scratch (untagged)
    and archive (tagged monthly: not this Sunday, the 22nd); one drill at a time."""
    delays = restore_queue(runtime)
    runtime.settings = replace(
        runtime.settings, drills=DrillSettings(tables=("orders",), max_at_once=1)
    )
    clock.current = SUNDAY_3AM
    for name, tag in (
        ("orders", None),
        ("carts", "weekly"),
        ("scratch", None),
        ("archive", "monthly"),
    ):
        dynamodb = make_table(name)
        dynamodb.create_backup(TableName=name, BackupName=f"{name}-nightly")
        if tag:
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "opsbot:drill", "Value": tag}])
    return delays


def test_the_weekly_drills_run_one_at_a_time_and_end_with_one_digest(
    runtime: Runtime, slack: SlackSink, scheduled: list[int]
) -> None:
    result = drill_scheduler.handle({"id": "e1", "detail-type": "Scheduled Event"}, runtime)
    assert (result["started"], result["skipped"], result["duplicate"]) == (2, (), False)
    (run_ts,) = [ts for (channel, ts), m in slack.messages.items() if not m.get("thread_ts")]
    run = slack.messages[(CHANNEL, run_ts)]
    assert run["text"].startswith(
        ":fire_extinguisher: Scheduled restore drills: 2 tables, at most 1 at once."
    )
    assert "`carts@us-west-2`, `orders@us-west-2`" in str(run["blocks"]) or (
        "`orders@us-west-2`, `carts@us-west-2`" in str(run["blocks"])
    )
    assert restore_round(runtime) == 2  # one starts, the other waits for a free slot
    underway = [j for j in recent_drills(runtime.state) if j.underway]
    assert len(underway) == 1
    rounds = 1
    while restore_round(runtime):
        rounds += 1
        assert len([j for j in recent_drills(runtime.state) if j.underway]) <= 1
    jobs = recent_drills(runtime.state)
    assert sorted(j.status for j in jobs) == ["passed", "passed"]
    thread = [m["text"] for m in slack.thread(CHANNEL, run_ts)]
    assert sum(t.startswith(":white_check_mark: Drill passed") for t in thread) == 2
    assert thread[-1] == ":white_check_mark: Drills this week: 2 passed, 0 failed."
    assert sum(t.startswith(":white_check_mark: Drills this week") for t in thread) == 1


def test_a_redelivered_trigger_starts_nothing_twice(
    runtime: Runtime, slack: SlackSink, scheduled: list[int]
) -> None:
    drill_scheduler.handle({"id": "e1"}, runtime)
    again = drill_scheduler.handle({"id": "e1"}, runtime)
    assert again["duplicate"] is True
    assert len(recent_drills(runtime.state)) == 2


def test_outside_the_configured_hour_nothing_is_called(
    runtime: Runtime, slack: SlackSink, scheduled: list[int], clock: Clock
) -> None:
    clock.current = SUNDAY_3AM.replace(hour=4)
    calls: list[str] = []
    runtime.clients.on_event("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    result = drill_scheduler.handle({"id": "e2"}, runtime)
    assert (result["started"], calls) == (0, [])
    assert slack.messages == {}


def test_a_table_with_nothing_to_drill_is_listed_as_not_drilled(
    runtime: Runtime, slack: SlackSink, scheduled: list[int]
) -> None:
    runtime.settings = replace(
        runtime.settings,
        drills=replace(runtime.settings.drills, tables=("orders", "empty", "orders@eu-west-1")),
    )
    make_table("empty")
    result = drill_scheduler.handle({"id": "e3"}, runtime)
    assert result["skipped"] == (
        "`orders@eu-west-1`: not in a configured account and region",
        "`empty@us-west-2`: Nothing to drill: `empty` has no backup and PITR is off — take "
        "one with `/ddb backup empty`.",
    )
    (run,) = slack.messages.values()
    assert "*Not drilled*" in str(run["blocks"])


@pytest.mark.parametrize(
    ("when", "cadence", "due"),
    [
        (SUNDAY_3AM, "weekly", True),
        (SUNDAY_3AM, "monthly", False),  # the 22nd: not the first Sunday
        (datetime(2026, 11, 1, 3, 59, tzinfo=UTC), "monthly", True),
        (datetime(2026, 11, 23, 3, 0, tzinfo=UTC), "weekly", False),  # a Monday
        (SUNDAY_3AM.replace(hour=2), "weekly", False),
    ],
    ids=["weekly", "monthly-not-first", "monthly-first", "wrong-day", "wrong-hour"],
)
def test_which_drills_are_due(when: datetime, cadence: str, due: bool) -> None:
    assert DrillSettings().due(cadence, when) is due
