"""No false all-clears: `/ddb alarms` and `/ddb who-changed` for a table that does not exist
say so, instead of "no alarms" or "no changes". Signed requests through the worker, AWS on
moto, two managed regions (us-west-2, us-east-1)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail
from tests.conftest import REGION, VIEWER, Clock, drain_work, load_event, table_alarm
from tests.functions.test_backups_commands import post_command
from tests.functions.test_table_regions import create_table

EAST = "us-east-1"
ALL_CLEAR = ":white_check_mark:"


def ask(runtime: Runtime, slack: SlackSink, text: str) -> dict[str, Any]:
    """`/ddb <text>` as a viewer, end to end; its one reply."""
    reply_id = f"r{len(slack.requests)}"
    post_command(text, user=VIEWER, response_url=slack.response_url(reply_id))
    drain_work(runtime)
    (reply,) = slack.responses(reply_id)
    return reply


def shown(reply: dict[str, Any]) -> str:
    return json.dumps(reply, ensure_ascii=False)


def install_history(runtime: Runtime, clock: Clock) -> None:
    """opsbot installed 30 days ago, its history holding the PITR change to `orders` (at
    09:30 today, in us-west-2) and nothing else."""
    now = clock.current
    clock.current = now - timedelta(days=30)
    try:
        cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    finally:
        clock.current = now
    runtime.extras.pop("audit", None)
    cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)


# --- /ddb alarms ------------------------------------------------------------------------------


def test_alarms_for_a_table_that_does_not_exist_says_so_not_all_clear(
    runtime: Runtime, slack: SlackSink
) -> None:
    reply = ask(runtime, slack, "alarms nope-table")
    assert ALL_CLEAR not in shown(reply)
    assert f"There is no table `nope-table` in {REGION} or {EAST}" in reply["text"]


def test_alarms_for_a_table_not_in_the_region_named_says_so_not_all_clear(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", REGION)
    reply = ask(runtime, slack, f"alarms orders@{EAST}")
    assert ALL_CLEAR not in shown(reply)
    assert f"There is no table `orders` in {EAST}" in reply["text"]


def test_alarms_for_an_existing_quiet_table_is_all_clear(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", EAST)
    reply = ask(runtime, slack, f"alarms orders@{EAST}")
    assert reply["text"] == (
        f"{ALL_CLEAR} No alarms in ALARM or INSUFFICIENT_DATA for `orders` in {EAST}."
    )


def test_alarms_still_firing_on_a_deleted_table_are_listed_and_the_table_named_missing(
    runtime: Runtime, slack: SlackSink
) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    table_alarm(cloudwatch, "gone-write-throttle", "gone", "WriteThrottleEvents", state="ALARM")
    reply = ask(runtime, slack, "alarms gone")
    assert "1 in ALARM, 0 without data for `gone` in us-west-2" in shown(reply)
    assert "gone-write-throttle" in shown(reply)
    assert f"There is no table `gone` in {REGION} or {EAST}" in shown(reply)


# --- /ddb who-changed -------------------------------------------------------------------------


def test_who_changed_of_a_table_that_never_existed_says_so(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    install_history(runtime, clock)
    reply = ask(runtime, slack, "who-changed nosuchtable")
    assert reply["text"].startswith(
        f"There is no table `nosuchtable` in {REGION} or {EAST}, and opsbot's history "
        "has no change to a table of that name."
    )
    assert "No changes to" not in shown(reply)


def test_who_changed_of_a_deleted_table_with_older_history_says_to_look_further_back(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    install_history(runtime, clock)  # orders changed at 09:30; it does not exist now
    reply = ask(runtime, slack, "who-changed orders --since 10m")
    assert reply["text"].startswith("No changes to `orders` recorded since 2026-11-22 09:50")
    assert (
        f"`orders` does not exist in {REGION} now; opsbot's history has older changes to it: "
        "try a longer `--since`." in shown(reply)
    )


def test_who_changed_of_a_deleted_table_still_answers_from_the_history(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    install_history(runtime, clock)
    reply = ask(runtime, slack, "who-changed orders")
    assert reply["text"].startswith("1 change to orders")
    assert "does not exist" not in shown(reply)


def test_who_changed_of_an_existing_table_without_changes_stays_a_plain_answer(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    install_history(runtime, clock)
    create_table("quiet", EAST)
    reply = ask(runtime, slack, "who-changed quiet")
    assert reply["text"].startswith("No changes to `quiet` recorded since")
    assert "There is no table" not in shown(reply)
