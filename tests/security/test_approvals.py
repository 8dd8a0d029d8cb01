"""A second person for chosen actions: `[approvals]` in opsbot.toml.

The requester confirms as for any plan; the plan then waits for someone else who holds the
role the action needs to press Approve. Approving is a conditional write (at most once),
expires with the plan, and the executor still checks the current state when it runs. Both
people are kept with the plan, said in its thread, and shown in the audit trail.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import boto3
import pytest

from bot.aws.plans import load_plan
from bot.aws.state import request_pk
from bot.domain.confirmations import Plan
from bot.domain.prune_jobs import PruneTask
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from bot.settings import parse_settings
from functions import cloudtrail, prune_worker
from tests.conftest import (
    ADMIN,
    OPERATOR,
    REGION,
    VIEWER,
    Clock,
    block_action_body,
    drain_work,
    load_event,
    slash_body,
)
from tests.functions.test_prune_scheduled import receive
from tests.functions.test_restore_watcher import asked_restore, restore_queue
from tests.functions.test_restore_watcher import press as press_button
from tests.security.conftest import AGES, PLANNED, backup_names
from tests.security.test_slack_requests import confirm_value, send

ADMIN2 = "U0ADMIN02"
OPERATOR2 = "U0OPER002"
CHANNEL = "C0OPSBOT1"
TTL_S = 15 * 60


def needing_approval(runtime: Runtime, slack: SlackSink, actions: list[str]) -> None:
    """Two admins, two operators (by group); ``actions`` need a second person's approval."""
    slack.usergroups["S0DBAOPS1"] = [OPERATOR, OPERATOR2]
    configured = parse_settings(
        {
            "roles": {
                "default": "viewer",
                "admin": {"users": [ADMIN, ADMIN2]},
                "operator": {"groups": ["S0DBAOPS1"]},
            },
            "approvals": {"actions": actions},
        }
    )
    runtime.settings = replace(
        runtime.settings, access=configured.access, approvals=configured.approvals
    )


@pytest.fixture
def two_person(orders: Runtime, slack: SlackSink) -> Runtime:
    """The orders table; `pitr:off` and `prune:apply` need approval."""
    needing_approval(orders, slack, ["pitr:off", "prune:apply"])
    return orders


def ask(runtime: Runtime, slack: SlackSink, text: str, *, user: str) -> dict[str, Any]:
    """`/ddb <text>` that posts a plan to confirm: that message."""
    send(slash_body(text, user=user))
    drain_work(runtime)
    if runtime.settings.prune_queue_url:  # `prune --all`: each table is planned by its worker
        prune_worker.handle({"Records": receive(runtime)}, runtime)
    (message,) = [m for m in slack.messages.values() if "confirm" in json.dumps(m["blocks"])]
    return message


def press(
    runtime: Runtime, slack: SlackSink, message: dict[str, Any], action_id: str, *, user: str
) -> list[dict[str, Any]]:
    """Press a button of ``message`` as ``user``: the worker's answers through response_url."""
    value = button(message, action_id)
    url = slack.response_url(f"{action_id}-{len(slack.calls)}", channel=CHANNEL, ts=message["ts"])
    body = block_action_body(action_id, value, user=user, ts=message["ts"], response_url=url)
    assert send(body)["statusCode"] == 200
    assert drain_work(runtime) == 1
    return slack.responses(url.rsplit("/", 1)[-1])


def button(message: dict[str, Any], action_id: str) -> str:
    """The value of the button ``action_id`` of a message as Slack shows it now."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message.get('text')!r}")


def now_shown(slack: SlackSink, message: dict[str, Any]) -> dict[str, Any]:
    return slack.messages[(CHANNEL, message["ts"])]


def plan_of(runtime: Runtime, message: dict[str, Any]) -> Plan:
    """The stored plan behind a message's Confirm button (or, once confirmed, its Approve)."""
    try:
        plan_id = confirm_value(message).split("|")[0]
    except AssertionError:
        plan_id = button(message, "approve")
    plan = load_plan(runtime.state, plan_id)
    assert plan is not None
    return plan


def confirmed_prune(runtime: Runtime, slack: SlackSink) -> dict[str, Any]:
    """OPERATOR asked for `prune orders --apply` and confirmed it: the message as it is now."""
    message = ask(runtime, slack, "prune orders --apply", user=OPERATOR)
    press(runtime, slack, message, "confirm", user=OPERATOR)
    return now_shown(slack, message)


def test_a_confirmed_prune_that_needs_approval_waits_for_a_second_person(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    message = ask(two_person, slack, "prune orders --apply", user=OPERATOR)
    (answer,) = press(two_person, slack, message, "confirm", user=OPERATOR)
    shown = now_shown(slack, message)
    assert f"Confirmed by <@{OPERATOR}>" in shown["text"]
    assert "approve" in shown["text"].lower()
    assert "*operator*" in json.dumps(shown["blocks"])  # who may approve
    assert button(shown, "approve")  # any user sees it; the worker decides who may press it
    assert answer["response_type"] == "in_channel"
    assert aws_calls["DeleteBackup"] == 0
    assert plan_of(two_person, message).status == "awaiting-approval"


def test_the_requester_cannot_approve_their_own_plan(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    waiting = confirmed_prune(two_person, slack)
    (refusal,) = press(two_person, slack, waiting, "approve", user=OPERATOR)
    assert refusal["response_type"] == "ephemeral"
    assert "someone else" in refusal["text"]
    assert "replace_original" not in refusal
    assert aws_calls["DeleteBackup"] == 0
    assert plan_of(two_person, waiting).status == "awaiting-approval"


@pytest.mark.parametrize(
    ("user", "says"),
    [(VIEWER, "needs the *operator* role; you have *viewer*"), ("U0STRANGER", "*viewer*")],
    ids=["viewer", "someone-unknown"],
)
def test_someone_without_the_role_cannot_approve(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str], user: str, says: str
) -> None:
    waiting = confirmed_prune(two_person, slack)
    (refusal,) = press(two_person, slack, waiting, "approve", user=user)
    assert refusal["response_type"] == "ephemeral"
    assert says in refusal["text"]
    assert aws_calls["DeleteBackup"] == 0
    assert plan_of(two_person, waiting).status == "awaiting-approval"


def test_an_operator_cannot_approve_what_needs_an_admin(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    boto3.client("dynamodb", region_name=REGION).update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    message = ask(two_person, slack, "pitr orders off", user=ADMIN)
    press(two_person, slack, message, "confirm", user=ADMIN)
    (refusal,) = press(two_person, slack, now_shown(slack, message), "approve", user=OPERATOR)
    assert "needs the *admin* role; you have *operator*" in refusal["text"]
    assert aws_calls["UpdateContinuousBackups"] == 0


def test_a_second_operator_approves_and_the_prune_runs_once(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    waiting = confirmed_prune(two_person, slack)
    press(two_person, slack, waiting, "approve", user=OPERATOR2)
    (again,) = press(two_person, slack, waiting, "approve", user=OPERATOR2)  # a replay
    assert "already" in again["text"]
    assert aws_calls["DeleteBackup"] == len(PLANNED)
    assert backup_names() == set(AGES) - PLANNED
    plan = plan_of(two_person, waiting)
    assert (plan.status, plan.confirmed_by, plan.approved_by) == ("done", OPERATOR, OPERATOR2)
    said = [m["text"] for m in slack.thread(CHANNEL, waiting["ts"])]
    assert any(f"Confirmed by <@{OPERATOR}>, approved by <@{OPERATOR2}>" in t for t in said)
    requests = [i for i in scan(two_person) if i["pk"].startswith("REQ#")]
    assert len(requests) == len(PLANNED)
    assert {(i["slack_user"], i["approved_by"]) for i in requests} == {(OPERATOR, OPERATOR2)}


def test_an_approve_pressed_before_the_requester_confirmed_runs_nothing(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    message = ask(two_person, slack, "prune orders --apply", user=OPERATOR)
    # The Approve button appears only after the Confirm; a crafted press comes earlier.
    crafted = copy.deepcopy(message)
    plan_id = confirm_value(message).split("|")[0]
    crafted["blocks"].append(
        {"type": "actions", "elements": [{"action_id": "approve", "value": plan_id}]}
    )
    (refusal,) = press(two_person, slack, crafted, "approve", user=OPERATOR2)
    assert "not been confirmed" in refusal["text"]
    press(two_person, slack, message, "confirm", user=OPERATOR)
    assert aws_calls["DeleteBackup"] == 0  # the confirm still waits for an approval
    assert plan_of(two_person, message).status == "awaiting-approval"


def test_an_approval_after_the_plan_expired_runs_nothing(
    two_person: Runtime, slack: SlackSink, clock: Clock, aws_calls: Counter[str]
) -> None:
    waiting = confirmed_prune(two_person, slack)
    clock.advance(TTL_S + 1)
    (refusal,) = press(two_person, slack, waiting, "approve", user=OPERATOR2)
    assert "expired; nothing was done" in refusal["text"]
    assert aws_calls["DeleteBackup"] == 0


def test_a_requester_who_lost_the_role_before_the_approval_gets_nothing_run(
    two_person: Runtime, slack: SlackSink, clock: Clock, aws_calls: Counter[str]
) -> None:
    waiting = confirmed_prune(two_person, slack)
    slack.usergroups["S0DBAOPS1"] = [OPERATOR2]
    clock.advance(61)
    (refusal,) = press(two_person, slack, waiting, "approve", user=OPERATOR2)
    assert f"<@{OPERATOR}> no longer holds the *operator* role" in refusal["text"]
    assert aws_calls["DeleteBackup"] == 0


def test_actions_not_named_in_approvals_run_at_the_confirm(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    two_person.settings = replace(two_person.settings, approvals=frozenset({"pitr:off"}))
    message = ask(two_person, slack, "prune orders --apply", user=OPERATOR)
    press(two_person, slack, message, "confirm", user=OPERATOR)
    assert aws_calls["DeleteBackup"] == len(PLANNED)


def test_pitr_off_runs_on_the_state_at_approval_time(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str]
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    on = {"PointInTimeRecoveryEnabled": True}
    dynamodb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification=on)
    message = ask(two_person, slack, "pitr orders off", user=ADMIN)
    press(two_person, slack, message, "confirm", user=ADMIN)
    off = {"PointInTimeRecoveryEnabled": False}  # someone else turns it off meanwhile
    dynamodb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification=off)
    answers = press(two_person, slack, now_shown(slack, message), "approve", user=ADMIN2)
    assert any("already off" in a["text"] for a in answers)
    assert aws_calls["UpdateContinuousBackups"] == 0
    assert plan_of(two_person, message).status == "failed"


def test_the_audit_trail_shows_who_asked_and_who_approved(
    two_person: Runtime, slack: SlackSink
) -> None:
    boto3.client("dynamodb", region_name=REGION).update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    message = ask(two_person, slack, "pitr orders off", user=ADMIN)
    press(two_person, slack, message, "confirm", user=ADMIN)
    press(two_person, slack, now_shown(slack, message), "approve", user=ADMIN2)
    said = [m["text"] for m in slack.thread(CHANNEL, message["ts"])]
    assert any(f"<@{ADMIN}> (approved by <@{ADMIN2}>) turned point-in" in t for t in said)
    (request,) = [i for i in scan(two_person) if i["pk"].startswith("REQ#")]
    assert (request["slack_user"], request["approved_by"]) == (ADMIN, ADMIN2)
    # CloudTrail's record of that call reaches opsbot: the notice names both people.
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    event["detail"]["requestID"] = request["pk"].removeprefix("REQ#")
    posted = len(slack.calls_to("chat.postMessage"))
    cloudtrail.handle(event, two_person)
    (notice,) = slack.calls_to("chat.postMessage")[posted:]
    assert f"<@{ADMIN}> (approved by <@{ADMIN2}>) via opsbot" in json.dumps(notice)


def scan(runtime: Runtime) -> list[dict[str, Any]]:
    """Every item of the state table, as plain values."""
    from bot.aws.state import deserialize

    items = runtime.client("dynamodb").scan(TableName=runtime.settings.state_table)["Items"]
    return [deserialize(i) for i in items]


def test_an_approved_restore_starts_only_after_the_approval_and_names_both(
    runtime: Runtime, slack: SlackSink
) -> None:
    needing_approval(runtime, slack, ["restore"])
    restore_queue(runtime)
    _, value, ts = asked_restore(runtime, slack)  # ADMIN asks for a restore from a backup
    started: list[str] = []
    runtime.clients.on_event(
        "after-call.dynamodb.RestoreTableFromBackup",
        lambda parsed, **_: started.append(parsed["ResponseMetadata"]["RequestId"]),
    )
    press_button("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    restore_round(runtime)
    assert started == []  # confirmed, not approved: nothing is handed to the restore function
    press_button("approve", value.split("|")[0], user=ADMIN2, ts=ts)
    drain_work(runtime)
    restore_round(runtime)
    (request_id,) = started
    record = runtime.state.get(request_pk(request_id), "REQ")
    assert record is not None
    assert (record["slack_user"], record["approved_by"]) == (ADMIN, ADMIN2)
    said = [m["text"] for m in slack.thread(CHANNEL, ts)]
    assert any(f"Restore started by <@{ADMIN}> (approved by <@{ADMIN2}>)" in t for t in said)


def test_an_approved_prune_of_every_table_is_attributed_to_both(
    nightly: Runtime, slack: SlackSink
) -> None:
    needing_approval(nightly, slack, ["prune:apply"])
    message = ask(nightly, slack, "prune --all --apply", user=OPERATOR)
    press(nightly, slack, message, "confirm", user=OPERATOR)
    assert receive(nightly) == []  # confirmed, not approved: no table is handed on
    press(nightly, slack, now_shown(slack, message), "approve", user=OPERATOR2)
    records = receive(nightly)
    tasks = [PruneTask.from_json(r["body"]) for r in records]
    assert {(t.requester, t.approved_by) for t in tasks} == {(OPERATOR, OPERATOR2)}
    assert prune_worker.handle({"Records": records}, nightly) == {"batchItemFailures": []}
    requests = [i for i in scan(nightly) if i["pk"].startswith("REQ#")]
    assert len(requests) == 5  # one per backup the run deleted
    assert {(i["slack_user"], i["approved_by"]) for i in requests} == {(OPERATOR, OPERATOR2)}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "not a valid approval"),
        ("x" * 5000, "not a valid approval"),
        ("PLAN#x", "not a valid approval"),
        ("0123456789abcdef0123456789abcdef", "does not exist"),
    ],
    ids=["empty", "huge", "key-shaped", "random-plan-id"],
)
def test_a_tampered_approve_value_runs_nothing(
    two_person: Runtime, slack: SlackSink, aws_calls: Counter[str], value: str, says: str
) -> None:
    waiting = confirmed_prune(two_person, slack)
    tampered = copy.deepcopy(waiting)
    for block in tampered["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "approve":
                element["value"] = value
    (refusal,) = press(two_person, slack, tampered, "approve", user=OPERATOR2)
    assert says in refusal["text"]
    assert aws_calls["DeleteBackup"] == 0
    assert plan_of(two_person, waiting).status == "awaiting-approval"
