"""Forged, replayed and stale Slack requests; tampered buttons; role escalation attempts.

What a replay can do. Slack signs `v0:<timestamp>:<body>`; bolt accepts a signature for
five minutes either side of now. Within that window a captured request is accepted again,
by design of Slack's scheme (there is no nonce). The harm is bounded by how opsbot acts:
- a slash command replayed is a second command: each delivery is its own work item, so a
  replayed read runs twice, and a replayed destructive command only stores and posts a
  second confirmation: nothing is deleted or restored without a press;
- a Confirm press replayed reaches a plan that can be claimed once (pending -> running is
  a conditional write), so the plan runs at most once;
- an Events API delivery (mentions) retried by Slack (X-Slack-Retry-Num) carries the same
  event_id, which is the work item's id, so the worker runs it once;
- after five minutes every replay gets 401.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.aws.plans import create_plan, load_plan
from bot.domain.authz import AccessPolicy, Grants, Role
from bot.domain.confirmations import Plan, button_value
from bot.flows import registry
from bot.flows.registry import Request
from bot.local.slack_sink import SlackSink
from bot.render.message import Message
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    OPERATOR,
    VIEWER,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)
from tests.security.conftest import AGES, PLANNED, backup_names

CHANNEL = "C0OPSBOT1"
TTL_S = 15 * 60


def send(body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST a body to the Slack entry point, signed now unless headers are given."""
    event = function_url_event(body, sign(body) if headers is None else headers)
    return slack_http.handler(event, lambda_context())


def ack_text(response: dict[str, Any]) -> str:
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["text"])


def queued(runtime: Runtime) -> int:
    attrs = runtime.client("sqs").get_queue_attributes(
        QueueUrl=runtime.settings.work_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def stored_plans(runtime: Runtime) -> list[dict[str, Any]]:
    items = runtime.client("dynamodb").scan(TableName=runtime.settings.state_table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("PLAN#")]


def confirm_value(message: dict[str, Any]) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == "confirm":
                return str(element["value"])
    raise AssertionError(f"no Confirm button in {message.get('text')}")


def warm_groups(runtime: Runtime, *users: str) -> None:
    """Prime the group cache as earlier commands would, so the ack path can decide roles."""
    for user in users:
        runtime.notifier.groups_of(user, runtime.settings.access.group_ids)


# --- forged and stale ------------------------------------------------------------------------


def test_a_body_changed_after_signing_is_refused(runtime: Runtime, slack: SlackSink) -> None:
    signed = slash_body("backup orders", user=VIEWER)
    headers = sign(signed)
    forged = signed.replace(VIEWER, ADMIN)
    assert forged != signed
    assert send(forged, headers)["statusCode"] == 401
    assert queued(runtime) == 0
    assert slack.calls == []


def test_a_signature_moved_to_another_timestamp_is_refused(runtime: Runtime) -> None:
    body = slash_body("status orders")
    headers = sign(body, timestamp=int(time.time()) - 60)
    headers["x-slack-request-timestamp"] = str(int(time.time()))
    assert send(body, headers)["statusCode"] == 401
    assert queued(runtime) == 0


@pytest.mark.parametrize(
    "offset_s",
    [-5 * 60 - 30, -3600, -86400, 5 * 60 + 30],
    ids=["5.5-min-old", "1-hour-old", "1-day-old", "5.5-min-in-the-future"],
)
def test_a_request_outside_five_minutes_is_refused(
    runtime: Runtime, slack: SlackSink, offset_s: int
) -> None:
    body = slash_body("prune orders --apply")
    response = send(body, sign(body, timestamp=int(time.time()) + offset_s))
    assert response["statusCode"] == 401
    assert queued(runtime) == 0
    assert slack.calls == []


def test_a_captured_confirm_press_replayed_after_five_minutes_is_refused(
    runtime: Runtime, slack: SlackSink
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    body = block_action_body("confirm", button_value(plan.id, ADMIN), user=ADMIN)
    captured = sign(body, timestamp=int(time.time()) - 6 * 60)
    assert send(body, captured)["statusCode"] == 401
    assert queued(runtime) == 0
    assert load_plan(runtime.state, plan.id).status == "pending"  # type: ignore[union-attr]


# --- replays within the five minutes ----------------------------------------------------------


def test_a_replayed_prune_apply_command_only_posts_another_confirmation(
    orders: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    body = slash_body("prune orders --apply", user=ADMIN)
    headers = sign(body)
    assert "Working on" in ack_text(send(body, headers))
    assert "Working on" in ack_text(send(body, headers))  # the same signed bytes again
    assert drain_work(orders) == 2
    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 2
    assert all(p["text"].startswith("Prune plan for orders: delete 5") for p in posted)
    assert len({confirm_value(p) for p in posted}) == 2  # two plans, each its own button
    assert len(stored_plans(orders)) == 2
    assert {p["status"]["S"] for p in stored_plans(orders)} == {"pending"}
    assert aws_calls["DeleteBackup"] == 0
    assert backup_names() == set(AGES)


def test_a_replayed_confirm_press_runs_the_plan_once(
    orders: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    send(slash_body("prune orders --apply", user=ADMIN))
    drain_work(orders)
    (plan_message,) = slack.messages.values()
    url = slack.response_url("press", channel=CHANNEL, ts=plan_message["ts"])
    body = block_action_body(
        "confirm", confirm_value(plan_message), user=ADMIN, ts=plan_message["ts"], response_url=url
    )
    headers = sign(body)
    for _ in range(3):  # the captured press, replayed twice
        assert send(body, headers)["statusCode"] == 200
    assert drain_work(orders) == 3
    assert aws_calls["DeleteBackup"] == len(PLANNED)
    assert backup_names() == set(AGES) - PLANNED
    refusals = [r for r in slack.responses("press") if "already used" in r.get("text", "")]
    assert len(refusals) == 2
    assert slack.messages[(CHANNEL, plan_message["ts"])]["text"].startswith("Pruned orders: 5")


def said_in_channel(runtime: Runtime, text: str) -> str:
    """The ts of a channel message (the mention itself, which replies thread under)."""
    return runtime.notifier.post(CHANNEL, Message(text=text)).ts


def answers_in_thread(slack: SlackSink, ts: str) -> list[dict[str, Any]]:
    """What a mention got in its thread: posts, and ephemeral answers only its author sees."""
    private = [
        c["args"]
        for c in slack.calls
        if c["method"] == "chat.postEphemeral" and c["args"].get("thread_ts") == ts
    ]
    return [*slack.thread(CHANNEL, ts), *private]


def mention_body(event_id: str, text: str, *, ts: str, user: str = ADMIN) -> str:
    return json.dumps(
        {
            "token": "unused",
            "team_id": "T0LOCAL",
            "api_app_id": "A0LOCAL",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": user,
                "text": f"<@U0OPSBOT1> {text}",
                "channel": CHANNEL,
                "ts": ts,
                "event_ts": ts,
            },
        }
    )


def send_json(body: str, **extra_headers: str) -> dict[str, Any]:
    headers = {"content-type": "application/json", **sign(body), **extra_headers}
    event = function_url_event(body, headers)
    event["headers"]["content-type"] = "application/json"
    return slack_http.handler(event, lambda_context())


def test_a_mention_retried_by_slack_is_answered_once(runtime: Runtime, slack: SlackSink) -> None:
    ts = said_in_channel(runtime, "@opsbot help")
    body = mention_body("Ev0RETRY01", "help", ts=ts)
    assert send_json(body)["statusCode"] == 200
    retried = send_json(body, **{"x-slack-retry-num": "1", "x-slack-retry-reason": "timeout"})
    assert retried["statusCode"] == 200
    assert queued(runtime) == 2  # both deliveries are handed off ...
    drain_work(runtime)
    answers = answers_in_thread(slack, ts)
    assert len([a for a in answers if "opsbot commands" in a.get("text", "")]) == 1  # ... once run


# --- buttons: someone else, late, tampered ---------------------------------------------------


@pytest.fixture
def executed() -> Iterator[list[str]]:
    """Runs of the `security-test` plan executor, by presser."""
    runs: list[str] = []

    @registry.plan_executor("security-test")
    def run(plan: Plan, request: Request) -> None:
        runs.append(request.user)

    yield runs
    registry.PLANS.pop("security-test", None)


def _plan(runtime: Runtime, *, requester: str, action: str = "prune:apply") -> Plan:
    return create_plan(
        runtime.state,
        kind="security-test",
        action=action,
        requester=requester,
        channel=CHANNEL,
        now=runtime.now(),
        ttl_s=TTL_S,
        summary="delete 3 backups of `orders`",
        payload={"table": "orders"},
    )


def press(
    runtime: Runtime, slack: SlackSink, value: str, *, user: str, action: str = "confirm"
) -> dict[str, Any]:
    """Press a button with ``value`` as ``user``; the worker's single answer."""
    url = slack.response_url(f"press-{len(slack.calls)}")
    response = send(block_action_body(action, value, user=user, response_url=url))
    assert response["statusCode"] == 200
    assert drain_work(runtime) == 1
    (answer,) = slack.responses(url.rsplit("/", 1)[-1])
    return answer


def test_someone_elses_confirm_button_runs_nothing(
    runtime: Runtime, slack: SlackSink, executed: list[str]
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    answer = press(runtime, slack, button_value(plan.id, ADMIN), user=OPERATOR)
    assert f"Only <@{ADMIN}>" in answer["text"]
    assert executed == []
    assert load_plan(runtime.state, plan.id).status == "pending"  # type: ignore[union-attr]


def test_someone_elses_cancel_button_cancels_nothing(
    runtime: Runtime, slack: SlackSink, executed: list[str]
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    answer = press(runtime, slack, button_value(plan.id, ADMIN), user=VIEWER, action="cancel")
    assert f"Only <@{ADMIN}>" in answer["text"]
    assert load_plan(runtime.state, plan.id).status == "pending"  # type: ignore[union-attr]


def test_a_press_after_expiry_runs_nothing(
    runtime: Runtime, slack: SlackSink, clock: Clock, executed: list[str]
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    clock.advance(TTL_S + 1)
    answer = press(runtime, slack, button_value(plan.id, ADMIN), user=ADMIN)
    assert "Expired at" in answer["text"]
    assert "Nothing was done" in answer["text"]
    assert executed == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0123456789abcdef0123456789abcdef|" + ADMIN, "does not exist"),
        ("no-separator-at-all", "not a valid confirmation"),
        ("|" + ADMIN, "not a valid confirmation"),
        ("PLAN#x|" + ADMIN, "does not exist"),
        ("x" * 5000 + "|" + ADMIN, "does not exist"),
    ],
    ids=["random-plan-id", "no-separator", "empty-plan-id", "key-shaped-id", "huge-id"],
)
def test_a_tampered_button_value_runs_nothing(
    runtime: Runtime, slack: SlackSink, executed: list[str], value: str, says: str
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    answer = press(runtime, slack, value, user=ADMIN)
    assert says in answer["text"]
    assert executed == []
    assert load_plan(runtime.state, plan.id).status == "pending"  # type: ignore[union-attr]


def test_naming_yourself_as_requester_in_the_value_does_not_make_the_plan_yours(
    runtime: Runtime, slack: SlackSink, executed: list[str]
) -> None:
    plan = _plan(runtime, requester=ADMIN)
    answer = press(runtime, slack, button_value(plan.id, VIEWER), user=VIEWER)
    assert f"Only <@{ADMIN}>" in answer["text"]  # the stored requester wins
    assert executed == []
    # The refused press used nothing up: the requester can still confirm.
    press(runtime, slack, button_value(plan.id, ADMIN), user=ADMIN)
    assert executed == [ADMIN]


def test_your_own_button_value_pointed_at_another_plan_is_refused(
    runtime: Runtime, slack: SlackSink, executed: list[str]
) -> None:
    theirs = _plan(runtime, requester=OPERATOR)
    answer = press(runtime, slack, button_value(theirs.id, ADMIN), user=ADMIN)
    assert f"Only <@{OPERATOR}>" in answer["text"]  # even an admin cannot confirm it
    assert executed == []


# --- role escalation ----------------------------------------------------------------------


def test_a_viewer_pressing_confirm_on_an_admins_plan_runs_nothing(
    orders: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    send(slash_body("prune orders --apply", user=ADMIN))
    drain_work(orders)
    (plan_message,) = slack.messages.values()
    answer = press(orders, slack, confirm_value(plan_message), user=VIEWER)
    assert f"Only <@{ADMIN}>" in answer["text"]
    assert aws_calls["DeleteBackup"] == 0
    assert backup_names() == set(AGES)


def test_a_requester_who_lost_the_role_cannot_confirm_their_own_plan(
    runtime: Runtime, slack: SlackSink, executed: list[str]
) -> None:
    # VIEWER holds a plan (say, made while they were an operator); the press re-checks the role.
    plan = _plan(runtime, requester=VIEWER, action="pitr:off")
    answer = press(runtime, slack, button_value(plan.id, VIEWER), user=VIEWER)
    assert "needs the *admin* role; you have *viewer*" in answer["text"]
    assert executed == []
    assert load_plan(runtime.state, plan.id).status == "failed"  # type: ignore[union-attr]


def test_a_viewer_mention_of_a_destructive_command_is_denied_in_its_thread(
    orders: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    ts = said_in_channel(orders, "@opsbot prune orders --apply")
    body = mention_body("Ev0VIEWER1", "prune orders --apply", ts=ts, user=VIEWER)
    assert send_json(body)["statusCode"] == 200
    drain_work(orders)
    (answer,) = answers_in_thread(slack, ts)
    assert "needs the *operator* role; you have *viewer*" in answer["text"]
    assert answer["user"] == VIEWER  # a denial is the asker's alone
    assert stored_plans(orders) == []
    assert aws_calls["DeleteBackup"] == 0


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("prune orders --apply", "operator"),
        ("pitr orders off", "admin"),
        ("backup orders", "operator"),
    ],
    ids=["prune-apply", "pitr-off", "backup"],
)
def test_a_viewer_slash_command_above_their_role_is_denied_in_the_ack(
    orders: Runtime, slack: SlackSink, text: str, role: str
) -> None:
    warm_groups(orders, VIEWER)
    assert f"needs the *{role}* role; you have *viewer*" in ack_text(
        send(slash_body(text, user=VIEWER))
    )
    assert queued(orders) == 0
    assert stored_plans(orders) == []


def test_a_viewer_denied_by_the_worker_when_the_ack_could_not_tell(
    orders: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    url = slack.response_url("cold")
    ack = ack_text(send(slash_body("prune orders --apply", user=VIEWER, response_url=url)))
    assert "Checking your role" in ack  # the group cache is cold: the worker decides
    drain_work(orders)
    (answer,) = slack.responses("cold")
    assert "needs the *operator* role; you have *viewer*" in answer["text"]
    assert stored_plans(orders) == []
    assert aws_calls["DeleteBackup"] == 0


def test_a_user_id_in_a_channel_grant_grants_that_user_nothing() -> None:
    # A misconfiguration that lists a user id where channel ids belong: ids are compared
    # kind to kind, so the user gets no role from it in any channel.
    policy = AccessPolicy(grants={Role.OPERATOR: Grants(channels=frozenset({VIEWER}))})
    assert policy.role_of(VIEWER, CHANNEL) is Role.VIEWER
    assert policy.role_of(VIEWER, "C0ELSEWHERE") is Role.VIEWER
    assert policy.role_of("U0SOMEONE", VIEWER) is Role.OPERATOR  # only a channel named so


def test_a_channel_grant_applies_only_to_requests_from_that_channel(
    runtime: Runtime, slack: SlackSink
) -> None:
    access = AccessPolicy(grants={Role.OPERATOR: Grants(channels=frozenset({"C0DBAOPS1"}))})
    runtime.settings = replace(runtime.settings, access=access)
    elsewhere = ack_text(send(slash_body("backup orders", user=VIEWER, channel=CHANNEL)))
    assert "needs the *operator* role; you have *viewer*" in elsewhere
    there = ack_text(send(slash_body("backup orders", user=VIEWER, channel="C0DBAOPS1")))
    assert there.startswith(":hourglass_flowing_sand: Working on")


def test_a_mention_cannot_make_the_bot_ping_the_channel(runtime: Runtime, slack: SlackSink) -> None:
    ts = said_in_channel(runtime, "@opsbot @channel")
    send_json(mention_body("Ev0PING001", "<!channel> look", ts=ts, user=VIEWER))
    drain_work(runtime)
    (answer,) = answers_in_thread(slack, ts)
    assert "<!channel>" not in json.dumps(answer)
