"""A denial names the action that was refused, with its options, through the signed path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.aws.plans import create_plan
from bot.domain.confirmations import button_value
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    VIEWER,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)


def ack_text(text: str, *, user: str = VIEWER, response_url: str = "") -> str:
    body = slash_body(text, user=user, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["text"])


def warm_groups(runtime: Runtime) -> None:
    """Prime the group cache as the worker does after any command, so the ack decides."""
    runtime.notifier.groups_of(VIEWER, runtime.settings.access.group_ids)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("pitr orders off", "`/ddb pitr orders off` (turning PITR off) needs the *admin* role"),
        (
            "prune orders --apply",
            "`/ddb prune orders --apply` (deleting backups) needs the *operator* role",
        ),
        (
            "prune   --all  --keep-daily 7 --apply",
            "`/ddb prune --all --keep-daily 7 --apply` (deleting backups) needs the *operator*",
        ),
        (
            "alarms recommend orders",
            "`/ddb alarms recommend orders` (creating the recommended alarms) needs the "
            "*operator* role",
        ),
        ("backup orders --name pre-x", "`/ddb backup orders --name pre-x` (taking a backup)"),
    ],
    ids=["pitr-off", "prune-apply", "prune-all-apply", "alarms-recommend", "backup"],
)
def test_a_denial_in_the_ack_names_the_refused_action_with_its_options(
    runtime: Runtime, text: str, named: str
) -> None:
    warm_groups(runtime)
    assert named in ack_text(text)


def test_a_viewer_may_look_at_pitr_so_only_turning_it_off_is_refused(runtime: Runtime) -> None:
    warm_groups(runtime)
    assert "Working on `/ddb pitr orders`" in ack_text("pitr orders")
    denied = ack_text("pitr orders off")
    assert "`/ddb pitr orders`" not in denied.replace("`/ddb pitr orders off`", "")


def test_a_denial_by_the_worker_names_the_refused_action_too(
    runtime: Runtime, slack: SlackSink
) -> None:
    url = slack.response_url("cold")
    assert "Checking your role" in ack_text("pitr orders off", response_url=url)
    drain_work(runtime)
    (answer,) = slack.responses("cold")
    assert "`/ddb pitr orders off` (turning PITR off) needs the *admin* role" in answer["text"]


def press(action_id: str, value: str, *, user: str, response_url: str) -> None:
    body = block_action_body(action_id, value, user=user, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def _plan(runtime: Runtime, *, requester: str, action: str = "prune:apply") -> Any:
    return create_plan(
        runtime.state,
        kind="prune",
        action=action,
        requester=requester,
        channel="C0OPSBOT1",
        now=runtime.now(),
        ttl_s=900,
        summary="prune 3 backups of `orders`",
        payload={"table": "orders", "region": "us-west-2", "policy": "keep-last=1", "arns": []},
    )


def test_someone_pressing_cancel_on_anothers_plan_is_told_who_can_cancel(
    runtime: Runtime, slack: SlackSink
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    url = slack.response_url("cancel")
    press("cancel", button_value(plan.id, ADMIN), user=VIEWER, response_url=url)
    drain_work(runtime)
    (answer,) = slack.responses("cancel")
    assert f"Only <@{ADMIN}>, who asked for this, can cancel it" in answer["text"]
    assert "can confirm" not in answer["text"]


def test_a_requester_who_lost_the_role_is_told_which_action_confirming_needs(
    runtime: Runtime, slack: SlackSink
) -> None:
    plan = _plan(runtime, requester=VIEWER, action="pitr:off")
    url = slack.response_url("lost")
    press("confirm", button_value(plan.id, VIEWER), user=VIEWER, response_url=url)
    drain_work(runtime)
    texts = " ".join(r["text"] for r in slack.responses("lost"))
    assert "Confirming prune 3 backups of `orders` (turning PITR off) needs the *admin*" in texts


def test_a_button_denial_names_what_the_button_does(runtime: Runtime, slack: SlackSink) -> None:
    url = slack.response_url("silence")
    press("alarm_silence", "whatever|3600", user=VIEWER, response_url=url)
    drain_work(runtime)
    (answer,) = slack.responses("silence")
    assert "That button (silencing an alarm) needs the *operator* role" in answer["text"]
