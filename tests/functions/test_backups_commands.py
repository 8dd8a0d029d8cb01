"""`/ddb backups`, `/ddb backup` and `/ddb prune` end to end: signed requests through
functions.slack_http, work through the queue, AWS on moto, Slack on the local sink."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from bot.aws.backups import BackupPace
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_http
from tests.aws.test_backups import FakeTime
from tests.conftest import (
    ADMIN,
    OPERATOR,
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
# Ages of the orders backups. With keep-daily=3 (the table's tag) the newest of each of the
# three newest days is kept: 1h (Nov 22), 1d (Nov 21), 2d (Nov 20); five are deleted.
AGES = {
    "orders-1h": timedelta(hours=1),
    "orders-5h": timedelta(hours=5),
    "orders-1d": timedelta(days=1),
    "orders-2d": timedelta(days=2),
    "orders-3d": timedelta(days=3),
    "orders-10d": timedelta(days=10),
    "orders-40d": timedelta(days=40),
    "orders-100d": timedelta(days=100),
}
PLANNED = {"orders-5h", "orders-3d", "orders-10d", "orders-40d", "orders-100d"}


def post_command(text: str, *, user: str = ADMIN, response_url: str = "") -> dict[str, Any]:
    body = slash_body(text, user=user, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    return dict(json.loads(response["body"]))


def press(action_id: str, value: str, *, user: str, ts: str, response_url: str = "") -> None:
    body = block_action_body(action_id, value, user=user, ts=ts, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def create_table(name: str, *, tag: str | None = None) -> None:
    tags = [{"Key": "opsbot:retention", "Value": tag}] if tag else []
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tags,
    )


def back_dated_backup(table: str, name: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        boto3.client("dynamodb", region_name=REGION).create_backup(TableName=table, BackupName=name)


def backup_names(table: str = "orders") -> set[str]:
    client = boto3.client("dynamodb", region_name=REGION)
    summaries = client.list_backups(TableName=table)["BackupSummaries"]
    return {s["BackupName"] for s in summaries if s["BackupStatus"] != "DELETED"}


@pytest.fixture
def orders(runtime: Runtime, clock: Clock) -> Runtime:
    """The orders table with eight back-dated backups and a keep-daily=3 tag."""
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    create_table("orders", tag="keep-daily=3")
    for name, age in sorted(AGES.items(), key=lambda item: item[1], reverse=True):
        back_dated_backup("orders", name, clock.current - age)
    return runtime


def button_value(message: dict[str, Any], action_id: str) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {message.get('text')}")


# --- /ddb backups ---------------------------------------------------------------------------


def test_backups_lists_every_backup_newest_first_with_totals(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command("backups orders", user=VIEWER, response_url=slack.response_url("list"))
    drain_work(orders)
    (reply,) = slack.responses("list")
    assert reply["text"].startswith("8 backups of orders: ")
    lines = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert "Point-in-time recovery: *off*" in lines[0]
    names = [line.split("`")[1] for line in lines[1:]]
    assert names == sorted(AGES, key=lambda n: AGES[n])


def test_backups_show_more_pages_through_a_long_list(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    create_table("events")
    for n in range(25):
        back_dated_backup("events", f"events-{n:02d}", clock.current - timedelta(hours=n + 1))
    post_command("backups events", response_url=slack.response_url("p0"))
    drain_work(runtime)
    (first,) = slack.responses("p0")
    assert "Page 1 of 2 · backups 1–20 of 25" in json.dumps(first, ensure_ascii=False)
    value = button_value(first, "backups_more")
    assert value == f"events|1|{clock.current.timestamp():.3f}|25"
    press("backups_more", value, user=VIEWER, ts="1.0", response_url=slack.response_url("p1"))
    drain_work(runtime)
    (second,) = slack.responses("p1")
    assert second.get("replace_original") is True
    assert "Page 2 of 2 · backups 21–25 of 25" in json.dumps(second, ensure_ascii=False)
    assert "events-24" in json.dumps(second)


def test_backups_show_more_lists_the_same_backups_however_late_it_is_pressed(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    asked: list[dict[str, Any]] = []
    runtime.clients.on_event(
        "provide-client-params.dynamodb.ListBackups", lambda params, **_: asked.append(params)
    )
    create_table("events")
    for n in range(25):
        back_dated_backup("events", f"events-{n:02d}", clock.current - timedelta(hours=n + 1))
    post_command("backups events --since 40h --type user", response_url=slack.response_url("f0"))
    drain_work(runtime)
    (first,) = slack.responses("f0")
    assert "--type user --since 40h" in json.dumps(first, ensure_ascii=False)  # shown
    value = button_value(first, "backups_more")
    listed = clock.current
    assert value == f"events --type user --since 40h|1|{listed.timestamp():.3f}|25"
    asked.clear()
    clock.advance(3 * 3600)  # pressed three hours later
    press("backups_more", value, user=VIEWER, ts="1.0", response_url=slack.response_url("f1"))
    drain_work(runtime)
    (second,) = slack.responses("f1")
    assert "Page 2 of 2 · backups 21–25 of 25" in json.dumps(second, ensure_ascii=False)
    # The second page asks AWS for the same backups as the first: same type, the window
    # still counted from the first page's time, none made since (moto ignores these filters,
    # so the request is what proves it).
    assert asked
    assert all(p["BackupType"] == "USER" for p in asked)
    assert all(p["TimeRangeLowerBound"] == listed - timedelta(hours=40) for p in asked)
    assert all(p["TimeRangeUpperBound"] == listed for p in asked)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("orders|1", "backups 21–"),  # a button from before the time was carried
        ("orders|one|1.0", "This button is not valid any more"),
        ("orders|1|soon", "This button is not valid any more"),
        ("orders|1|1e300", "This button is not valid any more"),
        ("orders", "This button is not valid any more"),
        ("orders --keep-last 3|1|1.0", "This button is not valid any more"),
    ],
    ids=["no-time", "bad-page", "bad-time", "time-overflow", "no-page", "not-backups-options"],
)
def test_show_more_with_an_old_or_tampered_value_answers_plainly(
    runtime: Runtime, slack: SlackSink, clock: Clock, value: str, shown: str
) -> None:
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    create_table("orders")
    for n in range(22):
        back_dated_backup("orders", f"orders-{n:02d}", clock.current - timedelta(hours=n + 1))
    press("backups_more", value, user=VIEWER, ts="1.0", response_url=slack.response_url("m"))
    drain_work(runtime)
    (reply,) = slack.responses("m")
    assert shown in json.dumps(reply, ensure_ascii=False)


def test_backups_of_a_missing_table_says_so(runtime: Runtime, slack: SlackSink) -> None:
    post_command("backups nope", response_url=slack.response_url("missing"))
    drain_work(runtime)
    (reply,) = slack.responses("missing")
    assert "There is no table `nope` in us-west-2" in reply["text"]


# --- /ddb backup ----------------------------------------------------------------------------


def test_backup_creates_a_named_backup_attributed_to_the_requester(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command(
        "backup orders --name before-migration",
        user=OPERATOR,
        response_url=slack.response_url("b"),
    )
    drain_work(orders)
    (reply,) = slack.responses("b")
    assert reply["text"] == "Backup before-migration of orders started"
    assert f"<@{OPERATOR}>" in json.dumps(reply)
    assert "before-migration" in backup_names()
    items = orders.client("dynamodb").scan(TableName="opsbot-state")["Items"]
    actions = [i for i in items if i["pk"]["S"].startswith("REQ#")]
    assert len(actions) == 1
    assert actions[0]["slack_user"]["S"] == OPERATOR
    assert actions[0]["command"]["S"].startswith("/ddb backup orders")


def test_backup_without_a_name_uses_table_and_utc_minute(orders: Runtime, slack: SlackSink) -> None:
    post_command("backup orders", response_url=slack.response_url("b"))
    drain_work(orders)
    assert slack.responses("b")[0]["text"] == "Backup orders-20261122-1000 of orders started"


def test_backup_of_a_missing_table_is_a_clear_error(runtime: Runtime, slack: SlackSink) -> None:
    post_command("backup nope", response_url=slack.response_url("b"))
    drain_work(runtime)
    assert "There is no table `nope` in us-west-2" in slack.responses("b")[0]["text"]


# --- /ddb prune -----------------------------------------------------------------------------


def test_prune_dry_run_shows_the_plan_and_deletes_nothing(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command("prune orders", user=VIEWER, response_url=slack.response_url("dry"))
    drain_work(orders)
    (reply,) = slack.responses("dry")
    assert reply["text"].startswith("Prune plan for orders: delete 5, keep 3, frees ")
    assert reply["text"].endswith("(dry run: nothing was deleted)")
    text = json.dumps(reply, ensure_ascii=False)
    assert "Policy: daily 3" in text
    assert "saves under $0.01/month" in text
    assert backup_names() == set(AGES)


def test_prune_flags_override_the_tag(orders: Runtime, slack: SlackSink) -> None:
    post_command("prune orders --keep-last 6", response_url=slack.response_url("dry"))
    drain_work(orders)
    assert slack.responses("dry")[0]["text"].startswith("Prune plan for orders: delete 2, keep 6")


def test_prune_apply_then_confirm_deletes_exactly_the_planned_backups(
    orders: Runtime, slack: SlackSink, clock: Clock
) -> None:
    post_command("prune orders --apply", user=ADMIN, response_url=slack.response_url("apply"))
    drain_work(orders)
    assert len(slack.calls_to("chat.postMessage")) == 1
    (plan_message,) = slack.messages.values()
    assert plan_message["text"].startswith("Prune plan for orders: delete 5, keep 3")
    value = button_value(plan_message, "confirm")
    # Between the plan and the press a new backup arrives: the 1h backup is no longer the
    # newest of its day, so the policy would delete it now. It was not in the confirmed
    # plan, so it must stay.
    back_dated_backup("orders", "orders-now", clock.current)
    url = slack.response_url("press", channel=CHANNEL, ts=plan_message["ts"])
    press("confirm", value, user=ADMIN, ts=plan_message["ts"], response_url=url)
    drain_work(orders)
    assert backup_names() == (set(AGES) - PLANNED) | {"orders-now"}
    final = slack.messages[(CHANNEL, plan_message["ts"])]
    assert final["text"] == "Pruned orders: 5 deleted, 0 failed"
    items = orders.client("dynamodb").scan(TableName="opsbot-state")["Items"]
    attributed = [i for i in items if i["pk"]["S"].startswith("REQ#")]
    assert len(attributed) == 5
    assert {i["slack_user"]["S"] for i in attributed} == {ADMIN}


def test_prune_confirm_skips_planned_backups_that_are_gone_and_says_so(
    orders: Runtime, slack: SlackSink
) -> None:
    post_command("prune orders --apply", response_url=slack.response_url("apply"))
    drain_work(orders)
    (plan_message,) = slack.messages.values()
    value = button_value(plan_message, "confirm")
    client = orders.client("dynamodb")
    gone = next(
        s["BackupArn"]
        for s in client.list_backups(TableName="orders")["BackupSummaries"]
        if s["BackupName"] == "orders-10d"
    )
    client.delete_backup(BackupArn=gone)  # someone deletes one by hand meanwhile
    press("confirm", value, user=ADMIN, ts=plan_message["ts"])
    drain_work(orders)
    assert backup_names() == set(AGES) - PLANNED
    final = slack.messages[(CHANNEL, plan_message["ts"])]
    assert final["text"] == "Pruned orders: 4 deleted, 0 failed"
    assert "1 backup of the confirmed plan was kept: already gone" in json.dumps(final)


def test_prune_confirm_by_someone_else_is_refused(orders: Runtime, slack: SlackSink) -> None:
    post_command("prune orders --apply", response_url=slack.response_url("apply"))
    drain_work(orders)
    plan_message = next(iter(slack.messages.values()))
    value = button_value(plan_message, "confirm")
    press(
        "confirm",
        value,
        user=OPERATOR,
        ts=plan_message["ts"],
        response_url=slack.response_url("other"),
    )
    drain_work(orders)
    assert "can confirm it" in slack.responses("other")[0]["text"]
    assert backup_names() == set(AGES)


def test_viewer_prune_apply_is_denied_with_the_role_needed(
    orders: Runtime, slack: SlackSink
) -> None:
    orders.notifier.groups_of(VIEWER, orders.settings.access.group_ids)  # warm the cache
    ack = post_command("prune orders --apply", user=VIEWER)
    assert "needs the *operator* role; you have *viewer*" in ack["text"]
    assert drain_work(orders) == 0
    assert backup_names() == set(AGES)


def plan_every_table(runtime: Runtime) -> None:
    """`/ddb prune --all` fans out: a prune queue, the Slack worker, then each table's worker."""
    from functions import prune_worker
    from tests.functions.test_prune_scheduled import receive

    drain_work(runtime)
    assert prune_worker.handle({"Records": receive(runtime)}, runtime) == {"batchItemFailures": []}


@pytest.fixture
def prune_queue(orders: Runtime) -> Runtime:
    """The orders table and a prune queue for `/ddb prune --all`."""
    from dataclasses import replace

    url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="opsbot-prune")
    orders.settings = replace(orders.settings, prune_queue_url=url["QueueUrl"])
    return orders


def test_prune_all_dry_run_summarises_every_table_with_a_policy(
    prune_queue: Runtime, slack: SlackSink, clock: Clock
) -> None:
    create_table("scratch")  # no policy: untouched and not listed
    post_command("prune --all", response_url=slack.response_url("all"))
    plan_every_table(prune_queue)
    reply = slack.responses("all")[-1]
    assert reply["text"] == (
        "Prune plan for every table: 5 backups would be deleted from 1 table "
        "(dry run: nothing was deleted)"
    )
    assert "1 table with a policy checked" in json.dumps(reply, ensure_ascii=False)
    assert "`scratch` (no policy)" in json.dumps(reply, ensure_ascii=False)
    assert backup_names() == set(AGES)


def test_prune_all_apply_of_one_table_says_one_table(
    prune_queue: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all --apply", response_url=slack.response_url("all"))
    plan_every_table(prune_queue)
    (plan_message,) = [m for m in slack.messages.values() if "confirm" in json.dumps(m)]
    press("confirm", button_value(plan_message, "confirm"), user=ADMIN, ts=plan_message["ts"])
    drain_work(prune_queue)
    shown = json.dumps(slack.calls, ensure_ascii=False)
    assert "5 backups of 1 table (`orders`)" in shown
    assert "1 tables" not in shown


def test_an_operator_through_a_user_group_can_apply_and_confirm(
    orders: Runtime, slack: SlackSink
) -> None:
    # The ack path cannot see group members yet; the worker looks them up and allows it.
    post_command("prune orders --apply", user=OPERATOR, response_url=slack.response_url("op"))
    drain_work(orders)
    (plan_message,) = slack.messages.values()
    press("confirm", button_value(plan_message, "confirm"), user=OPERATOR, ts=plan_message["ts"])
    drain_work(orders)
    assert backup_names() == set(AGES) - PLANNED
