"""Which region a bare table name means, with two managed regions (us-west-2, us-east-1):
found in one it is answered there, in several the user picks, in none the reply says where
opsbot looked; a region opsbot does not manage is named. Signed requests through the worker.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.conftest import ADMIN, REGION, VIEWER, drain_work
from tests.functions.test_backups_commands import post_command

EAST = "us-east-1"
UNMANAGED = "eu-central-1"


def create_table(name: str, region: str) -> None:
    boto3.client("dynamodb", region_name=region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def calls(runtime: Runtime) -> list[str]:
    """The AWS operations about tables other than the state table, as `region:Operation`."""
    made: list[str] = []

    def record(model: Any, params: dict[str, Any], request_signer: Any, **_: Any) -> None:
        body = params.get("body") or {}
        if model.service_model.service_name == "dynamodb" and "opsbot-state" in str(body):
            return
        if model.service_model.service_name in ("dynamodb", "cloudwatch"):
            made.append(f"{request_signer.region_name}:{model.name}")

    runtime.clients.on_event("before-call.*.*", record)
    return made


def reply_of(slack: SlackSink, reply_id: str) -> dict[str, Any]:
    (reply,) = slack.responses(reply_id)
    return reply


def test_status_of_a_name_in_two_managed_regions_asks_which_one(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", REGION)
    create_table("orders", EAST)
    post_command("status orders", user=VIEWER, response_url=slack.response_url("s"))
    drain_work(runtime)
    text = reply_of(slack, "s")["text"]
    assert "`orders` exists in 2 places. Which one did you mean?" in text
    assert f"• `orders@{REGION}`" in text
    assert f"• `orders@{EAST}`" in text


def test_prune_apply_of_a_name_in_two_regions_asks_which_and_stores_no_plan(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", REGION)
    create_table("orders", EAST)
    post_command("prune orders --apply", user=ADMIN, response_url=slack.response_url("p"))
    drain_work(runtime)
    assert "Which one did you mean?" in reply_of(slack, "p")["text"]
    assert slack.calls_to("chat.postMessage") == []
    items = runtime.client("dynamodb").scan(TableName="opsbot-state")["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("PLAN#")]


def test_a_name_only_in_another_managed_region_is_answered_there(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", EAST)
    post_command("status orders", user=VIEWER, response_url=slack.response_url("s"))
    post_command("backups orders", user=VIEWER, response_url=slack.response_url("b"))
    drain_work(runtime)
    assert reply_of(slack, "s")["text"].startswith(f"orders in {EAST}: ACTIVE")
    assert reply_of(slack, "b")["text"].startswith(f"0 backups of orders@{EAST}")


def test_a_region_opsbot_does_not_manage_is_named_with_the_managed_ones(
    runtime: Runtime, slack: SlackSink, calls: list[str]
) -> None:
    create_table("orders", UNMANAGED)
    post_command(f"status orders@{UNMANAGED}", response_url=slack.response_url("s"))
    drain_work(runtime)
    text = reply_of(slack, "s")["text"]
    assert f"opsbot does not manage {UNMANAGED} (managed: {REGION}, {EAST})" in text
    assert calls == []


def test_a_name_in_no_managed_region_says_where_it_looked(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", UNMANAGED)  # not managed: not looked at
    post_command("status orders", response_url=slack.response_url("s"))
    drain_work(runtime)
    text = reply_of(slack, "s")["text"]
    assert f"There is no table `orders` in {REGION} or {EAST}" in text


def test_finding_the_region_is_one_describe_table_per_region_in_the_worker(
    runtime: Runtime, slack: SlackSink, calls: list[str]
) -> None:
    create_table("orders", REGION)
    post_command("status orders", response_url=slack.response_url("s"))
    assert calls == []  # the ack path makes no AWS call
    drain_work(runtime)
    assert reply_of(slack, "s")["text"].startswith(f"orders in {REGION}: ACTIVE")
    describes = sorted(c for c in calls if c.endswith(":DescribeTable"))
    # one per managed region; the status reuses the description found in us-west-2
    assert describes == [f"{EAST}:DescribeTable", f"{REGION}:DescribeTable"]


def test_a_named_region_is_not_searched_elsewhere(
    runtime: Runtime, slack: SlackSink, calls: list[str]
) -> None:
    create_table("orders", REGION)
    create_table("orders", EAST)
    post_command(f"status orders@{EAST}", response_url=slack.response_url("s"))
    drain_work(runtime)
    assert reply_of(slack, "s")["text"].startswith(f"orders in {EAST}: ACTIVE")
    assert not [c for c in calls if c.startswith(f"{REGION}:")]
