"""Confirmation plans: stored, claimed once by the requester only, expiring; then via buttons."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from bot.aws.plans import PAYLOAD_LIMIT, claim_plan, create_plan, load_plan
from bot.aws.state import plan_pk
from bot.domain.confirmations import Plan, button_value, split_button_value
from bot.domain.errors import ConfirmationInvalid, OpsbotError
from bot.flows import registry
from bot.flows.registry import Request
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    VIEWER,
    Clock,
    block_action_body,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
)

TTL_S = 15 * 60


def make_plan(
    runtime: Runtime,
    *,
    kind: str = "test-kind",
    requester: str = ADMIN,
    payload: dict[str, Any] | None = None,
) -> Plan:
    return create_plan(
        runtime.state,
        kind=kind,
        action="prune:apply",
        requester=requester,
        channel="C0OPSBOT1",
        now=runtime.now(),
        ttl_s=TTL_S,
        summary="delete 3 backups of `orders`",
        payload=payload or {"table": "orders", "delete": ["b1", "b2", "b3"], "ratio": 0.5},
    )


def test_a_stored_plan_reads_back_as_created(runtime: Runtime) -> None:
    plan = make_plan(runtime)
    assert load_plan(runtime.state, plan.id) == plan
    assert len(plan.id) == 32


def test_a_plan_listing_thousands_of_backups_is_kept_under_dynamodbs_item_limit(
    runtime: Runtime,
) -> None:
    # 200 tables x 40 backups: ~720 KB of ARNs, which DynamoDB (and moto) refuse as a
    # plain item; compressed it is ~100 KB.
    tasks = [
        {
            "table": f"orders-{t}",
            "arns": [
                f"arn:aws:dynamodb:us-west-2:123456789012:table/orders-{t}/backup/"
                f"0{1700000000000 + b * 86400000}-{secrets.token_hex(4)}"
                for b in range(40)
            ],
        }
        for t in range(200)
    ]
    assert len(json.dumps(tasks)) > 400_000
    plan = make_plan(runtime, payload={"all": True, "tasks": tasks})
    loaded = load_plan(runtime.state, plan.id)
    assert loaded is not None
    assert loaded.payload == {"all": True, "tasks": tasks}


def test_a_plan_too_large_to_keep_is_refused_plainly_and_nothing_is_stored(
    runtime: Runtime,
) -> None:
    noise = secrets.token_hex(PAYLOAD_LIMIT)  # incompressible: twice the limit in hex
    with pytest.raises(OpsbotError, match="This plan is too large to keep for confirmation"):
        make_plan(runtime, payload={"noise": noise})
    table = runtime.settings.state_table
    stored = runtime.client("dynamodb").scan(TableName=table)["Items"]
    assert not [i for i in stored if i["pk"]["S"].startswith(plan_pk(""))]


def test_a_plan_stored_before_payloads_were_compressed_still_loads(runtime: Runtime) -> None:
    runtime.state.put(
        {
            "pk": plan_pk("old"),
            "sk": "PLAN",
            "kind": "prune",
            "action": "prune:apply",
            "requester": ADMIN,
            "channel": "C0OPSBOT1",
            "created_at": runtime.now().isoformat(),
            "valid_until": runtime.now().isoformat(),
            "summary": "delete 1 backup of `orders`",
            "payload": {"table": "orders", "arns": ["b1"]},
        }
    )
    plan = load_plan(runtime.state, "old")
    assert plan is not None
    assert plan.payload == {"table": "orders", "arns": ["b1"]}


def test_the_requester_claims_a_plan_once(runtime: Runtime) -> None:
    plan = make_plan(runtime)
    claimed = claim_plan(runtime.state, plan.id, ADMIN, runtime.now(), to="running")
    assert claimed.payload["delete"] == ["b1", "b2", "b3"]
    with pytest.raises(ConfirmationInvalid, match=r"already used \(running\)"):
        claim_plan(runtime.state, plan.id, ADMIN, runtime.now(), to="running")


def test_someone_elses_press_is_refused_naming_the_requester(runtime: Runtime) -> None:
    plan = make_plan(runtime)
    with pytest.raises(ConfirmationInvalid, match=f"Only <@{ADMIN}>, who asked for this"):
        claim_plan(runtime.state, plan.id, VIEWER, runtime.now(), to="running")
    # The refused press used nothing up: the requester can still confirm.
    claim_plan(runtime.state, plan.id, ADMIN, runtime.now(), to="running")


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [(TTL_S - 1, True), (TTL_S, True), (TTL_S + 1, False)],
    ids=["just-before-expiry", "at-expiry", "just-after-expiry"],
)
def test_a_plan_expires_after_its_ttl(
    runtime: Runtime, clock: Clock, seconds: int, ok: bool
) -> None:
    plan = make_plan(runtime)
    clock.advance(seconds)
    if ok:
        claim_plan(runtime.state, plan.id, ADMIN, runtime.now(), to="running")
    else:
        with pytest.raises(ConfirmationInvalid, match="expired; nothing was done"):
            claim_plan(runtime.state, plan.id, ADMIN, runtime.now(), to="running")


@pytest.mark.parametrize(
    "plan_id",
    ["0" * 32, "not-a-plan", "../PLAN#x"],
    ids=["unknown-id", "garbage-id", "tampered-key"],
)
def test_an_unknown_plan_does_not_exist(runtime: Runtime, plan_id: str) -> None:
    make_plan(runtime)
    with pytest.raises(ConfirmationInvalid, match="does not exist"):
        claim_plan(runtime.state, plan_id, ADMIN, runtime.now(), to="running")


@pytest.mark.parametrize(
    "value",
    ["", "abc", "abc|", "|U0ADMIN01"],
    ids=["empty", "no-separator", "no-requester", "no-plan-id"],
)
def test_a_malformed_button_value_is_refused(value: str) -> None:
    with pytest.raises(ConfirmationInvalid, match="not a valid confirmation"):
        split_button_value(value)


def test_button_value_round_trips() -> None:
    assert split_button_value(button_value("abc123", ADMIN)) == ("abc123", ADMIN)


# --- end to end: signed button presses through functions.slack_http and the worker ---------


@pytest.fixture
def executor_runs() -> Iterator[list[str]]:
    runs: list[str] = []

    @registry.plan_executor("test-kind")
    def run_test_plan(plan: Plan, request: Request) -> None:
        runs.append(request.user)

    yield runs
    registry.PLANS.pop("test-kind", None)


def press(action_id: str, plan: Plan, *, user: str, response_url: str = "") -> dict[str, Any]:
    body = block_action_body(
        action_id, button_value(plan.id, plan.requester), user=user, response_url=response_url
    )
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    return response


def test_only_the_requester_can_confirm_and_the_presser_is_told(
    runtime: Runtime, slack: SlackSink, executor_runs: list[str]
) -> None:
    plan = make_plan(runtime)
    press("confirm", plan, user=VIEWER, response_url=slack.response_url("viewer-press"))
    assert drain_work(runtime) == 1
    assert executor_runs == []
    (reply,) = slack.responses("viewer-press")
    assert f"Only <@{ADMIN}>, who asked for this, can confirm it" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert load_plan(runtime.state, plan.id).status == "pending"  # type: ignore[union-attr]


def test_only_the_requester_can_confirm_even_without_a_response_url(
    runtime: Runtime, slack: SlackSink, executor_runs: list[str]
) -> None:
    plan = make_plan(runtime)
    press("confirm", plan, user=VIEWER)
    drain_work(runtime)
    assert executor_runs == []
    (args,) = slack.calls_to("chat.postEphemeral")
    assert args["user"] == VIEWER
    assert "can confirm it" in args["text"]


def test_a_confirm_delivered_twice_runs_the_plan_exactly_once(
    runtime: Runtime, slack: SlackSink, executor_runs: list[str]
) -> None:
    plan = make_plan(runtime)
    url = slack.response_url("admin-press")
    press("confirm", plan, user=ADMIN, response_url=url)
    press("confirm", plan, user=ADMIN, response_url=url)
    assert drain_work(runtime) == 2
    assert executor_runs == [ADMIN]
    texts = [r["text"] for r in slack.responses("admin-press")]
    assert any(f"Confirmed by <@{ADMIN}>" in t for t in texts)
    assert any("already used" in t for t in texts)
    assert load_plan(runtime.state, plan.id).status == "done"  # type: ignore[union-attr]


def test_cancel_runs_nothing_and_a_later_confirm_is_refused(
    runtime: Runtime, slack: SlackSink, executor_runs: list[str]
) -> None:
    plan = make_plan(runtime)
    url = slack.response_url("cancel")
    press("cancel", plan, user=ADMIN, response_url=url)
    drain_work(runtime)
    press("confirm", plan, user=ADMIN, response_url=url)
    drain_work(runtime)
    assert executor_runs == []
    first, second = slack.responses("cancel")
    assert f"Cancelled by <@{ADMIN}>" in first["text"]
    assert first.get("replace_original") is True
    assert "already used (cancelled)" in second["text"]


def test_an_expired_confirmation_runs_nothing(
    runtime: Runtime, slack: SlackSink, clock: Clock, executor_runs: list[str]
) -> None:
    plan = make_plan(runtime)
    clock.advance(TTL_S + 60)
    press("confirm", plan, user=ADMIN, response_url=slack.response_url("late"))
    drain_work(runtime)
    assert executor_runs == []
    (reply,) = slack.responses("late")
    assert "Expired at" in reply["text"]
    assert reply.get("replace_original") is True  # the dead buttons give way to the outcome
