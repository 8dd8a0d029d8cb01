"""A plan's message in the channel ends showing what happened to it: refused (and why) when
the press-time check refuses it, for every plan kind, and expired (its buttons gone) when a
press finds it expired. Signed requests in, the local Slack's messages out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from bot.domain.authz import AccessPolicy
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    VIEWER,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)

CHANNEL = "C0OPSBOT1"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:opsbot-alarms"


@pytest.fixture
def orders(runtime: Runtime) -> Runtime:
    """`orders` with PITR on and three backups; an alarm topic in its region."""
    runtime.settings = replace(runtime.settings, alarm_topic_arn=TOPIC)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_continuous_backups(
        TableName="orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    for n in range(3):
        dynamodb.create_backup(TableName="orders", BackupName=f"orders-{n}")
    return runtime


def run(runtime: Runtime, slack: SlackSink, text: str) -> str:
    """`/ddb <text>` as the admin; the response_url id its answers went to."""
    response_id = f"cmd-{len(slack.calls)}"
    body = slash_body(text, user=ADMIN, response_url=slack.response_url(response_id))
    assert (
        slack_http.handler(function_url_event(body, sign(body)), lambda_context())["statusCode"]
        == 200
    )
    drain_work(runtime)
    return response_id


def plan_message(slack: SlackSink, response_id: str) -> tuple[str, dict[str, Any]]:
    """(ts, message) of the plan with Confirm/Cancel buttons: posted, or sent as the answer."""
    for (channel, ts), message in slack.messages.items():
        if channel == CHANNEL and _buttons(message):
            return ts, message
    (answer,) = [r for r in slack.responses(response_id) if _buttons(r)]
    return "", answer


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e.get("value", "")
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for e in block["elements"]
    }


def press(
    runtime: Runtime, slack: SlackSink, action_id: str, ts: str, message: dict[str, Any]
) -> str:
    """Press a button of the plan message as the admin; returns the press's response id."""
    response_id = f"press-{len(slack.calls)}"
    url = (
        slack.response_url(response_id, channel=CHANNEL, ts=ts)
        if ts
        else slack.response_url(response_id)
    )
    value = _buttons(message)[action_id]
    body = block_action_body(action_id, value, user=ADMIN, ts=ts, response_url=url)
    assert (
        slack_http.handler(function_url_event(body, sign(body)), lambda_context())["statusCode"]
        == 200
    )
    drain_work(runtime)
    return response_id


def shown_now(slack: SlackSink, ts: str, press_id: str) -> dict[str, Any]:
    """The plan message as the channel sees it after the press."""
    if ts:
        return slack.messages[(CHANNEL, ts)]
    replaced = [r for r in slack.responses(press_id) if r.get("replace_original")]
    return replaced[-1]


def lose_admin(runtime: Runtime) -> None:
    """Everyone is a viewer from now on (the requester's grant was withdrawn)."""
    runtime.settings = replace(runtime.settings, access=AccessPolicy())


@pytest.mark.parametrize(
    "text",
    [
        "restore orders --latest --to orders-copy",
        "pitr orders off",
        "prune orders --keep-last 1 --apply",
        "alarms recommend orders",
    ],
    ids=["restore", "pitr-off", "prune", "alarms-recommend"],
)
def test_a_plan_refused_at_the_press_shows_the_refusal_in_the_channel_for_every_kind(
    orders: Runtime, slack: SlackSink, text: str
) -> None:
    ts, message = plan_message(slack, run(orders, slack, text))
    lose_admin(orders)
    press_id = press(orders, slack, "confirm", ts, message)
    final = shown_now(slack, ts, press_id)
    assert "Refused" in final["text"]
    assert "needs the *" in final["text"]
    assert "Confirmed by" not in final["text"]
    assert not _buttons(final)
    assert slack.calls_to("chat.postEphemeral") == []


def test_an_older_restore_plan_whose_target_now_exists_shows_refused_and_why(
    orders: Runtime, slack: SlackSink
) -> None:
    first_ts, first = plan_message(slack, run(orders, slack, "restore orders --latest --to copy1"))
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="copy1",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    press_id = press(orders, slack, "confirm", first_ts, first)
    final = shown_now(slack, first_ts, press_id)
    assert final["text"].startswith(":no_entry: Refused")
    assert "A table named `copy1` already exists in us-west-2" in final["text"]
    assert f"<@{ADMIN}>" in final["text"]
    assert "Confirmed by" not in final["text"]
    # Said once, where everyone sees it: no second, private copy of the refusal.
    assert all(r.get("replace_original") for r in slack.responses(press_id))


def test_turning_pitr_off_when_it_is_already_off_shows_refused_in_the_channel(
    orders: Runtime, slack: SlackSink
) -> None:
    ts, message = plan_message(slack, run(orders, slack, "pitr orders off"))
    boto3.client("dynamodb", region_name=REGION).update_continuous_backups(
        TableName="orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )
    press_id = press(orders, slack, "confirm", ts, message)
    final = shown_now(slack, ts, press_id)
    assert "Refused" in final["text"]
    assert "already off" in final["text"]


@pytest.mark.parametrize("action_id", ["confirm", "cancel"])
def test_a_press_that_finds_the_plan_expired_replaces_its_buttons_with_the_outcome(
    orders: Runtime, slack: SlackSink, clock: Clock, action_id: str
) -> None:
    ts, message = plan_message(slack, run(orders, slack, "pitr orders off"))
    clock.advance(16 * 60)
    press_id = press(orders, slack, action_id, ts, message)
    final = shown_now(slack, ts, press_id)
    assert not _buttons(final)
    assert "Expired" in final["text"]
    assert "nothing was done" in final["text"].lower()
    assert "point-in-time recovery" in final["text"]


def test_someone_elses_press_on_an_expired_plan_also_retires_its_buttons(
    orders: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ts, message = plan_message(slack, run(orders, slack, "pitr orders off"))
    clock.advance(16 * 60)
    response_id = "viewer-press"
    url = slack.response_url(response_id, channel=CHANNEL, ts=ts)
    value = _buttons(message)["confirm"]
    body = block_action_body("confirm", value, user=VIEWER, ts=ts, response_url=url)
    slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    drain_work(orders)
    assert not _buttons(slack.messages[(CHANNEL, ts)])
