"""`/ddb prune --all --apply` asks for confirmation with what it will delete: per table,
the backups and the policy (and where it comes from), never calling itself a dry run. A
typed policy fills in only for tables without a policy of their own, and opsbot's own
state table is left out unless named. Signed requests, the work and prune queues, moto."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

from bot.aws.backups import BackupPace
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import prune_worker
from tests.aws.test_backups import FakeTime
from tests.conftest import ADMIN, REGION, Clock, drain_work
from tests.functions.test_backups_commands import (
    AGES,
    CHANNEL,
    PLANNED,
    back_dated_backup,
    backup_names,
    button_value,
    create_table,
    post_command,
    press,
)
from tests.functions.test_prune_scheduled import receive

STATE = "opsbot-state"


@pytest.fixture
def fleet(runtime: Runtime, clock: Clock) -> Runtime:
    """orders (tag keep-daily=3: 5 of 8 backups planned), customers ([retention.tables]
    keep-last=2, 4 backups), scratch (no policy, 3 backups), and 3 backups of opsbot's own
    state table; a prune queue."""
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="opsbot-prune")[
        "QueueUrl"
    ]
    runtime.settings = replace(
        runtime.settings,
        prune_queue_url=queue_url,
        retention_tables={"customers": "keep-last=2"},
    )
    runtime.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    create_table("orders", tag="keep-daily=3")
    for name, age in sorted(AGES.items(), key=lambda item: item[1], reverse=True):
        back_dated_backup("orders", name, clock.current - age)
    create_table("customers")
    for table, count in (("customers", 4), ("scratch", 3), (STATE, 3)):
        if table == "scratch":
            create_table("scratch")
        for n in range(count):
            back_dated_backup(table, f"{table}-{n}", clock.current - timedelta(days=n + 1))
    return runtime


def plan_every_table(runtime: Runtime) -> None:
    """The Slack worker fans out; the prune worker plans each table (report mode)."""
    drain_work(runtime)
    assert prune_worker.handle({"Records": receive(runtime)}, runtime) == {"batchItemFailures": []}


def plan_message(slack: SlackSink) -> dict[str, Any]:
    """The plan: posted after the progress message, which says every table is planned."""
    progress, posted = sorted(slack.messages.values(), key=lambda m: float(m["ts"]))
    assert progress["text"].startswith(":clipboard: Planning every table")
    return posted


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def confirm_and_run(runtime: Runtime, slack: SlackSink, message: dict[str, Any]) -> None:
    """Press Confirm as the requester, run the worker, then every prune task."""
    url = slack.response_url("press", channel=CHANNEL, ts=message["ts"])
    press(
        "confirm", button_value(message, "confirm"), user=ADMIN, ts=message["ts"], response_url=url
    )
    drain_work(runtime)
    prune_worker.handle({"Records": receive(runtime)}, runtime)


def test_prune_all_apply_names_each_table_its_policy_and_the_backups_it_will_delete(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all --apply", response_url=slack.response_url("all"))
    plan_every_table(fleet)
    message = plan_message(slack)
    text = shown(message)
    assert "dry run" not in text.lower()
    assert "dry-run" not in text.lower()
    assert message["text"].startswith("Prune every table: delete 7 backups of 2 tables")
    assert "`orders` — delete 5 of 8" in text
    assert "daily 3 (its `opsbot:retention` tag)" in text
    assert "`customers` — delete 2 of 4" in text
    assert "keep-last 2 (`[retention.tables]` in opsbot.toml)" in text
    for name in [*PLANNED, "customers-2", "customers-3"]:
        assert f"`{name}`" in text
    assert "`orders-1h`" not in text  # kept: not listed as a deletion
    assert "Delete 7 backups" in text  # the Confirm button says what it does


def test_a_typed_policy_with_all_applies_only_to_tables_without_their_own(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all --apply --keep-last 1", response_url=slack.response_url("all"))
    plan_every_table(fleet)
    message = plan_message(slack)
    text = shown(message)
    assert (
        "Typed rules (keep-last 1) apply only to tables without a policy of their own: "
        "a table's `opsbot:retention` tag or `[retention.tables]` entry wins."
    ) in text
    assert "`orders` — delete 5 of 8" in text  # its tag, not keep-last 1 (7 of 8)
    assert "`customers` — delete 2 of 4" in text  # its configured keep-last 2
    assert "`scratch` — delete 2 of 3" in text
    assert "keep-last 1 (typed; the table has no policy of its own)" in text
    confirm_and_run(fleet, slack, message)
    assert backup_names("orders") == set(AGES) - PLANNED
    assert backup_names("customers") == {"customers-0", "customers-1"}
    assert backup_names("scratch") == {"scratch-0"}


def test_prune_all_leaves_opsbots_own_state_table_out_unless_named(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all --apply --keep-last 1", response_url=slack.response_url("all"))
    plan_every_table(fleet)
    message = plan_message(slack)
    assert f"`{STATE}-1`" not in shown(message)
    assert f"`{STATE}` (opsbot's own state table: `/ddb prune {STATE}` prunes it)" in shown(message)
    confirm_and_run(fleet, slack, message)
    assert backup_names(STATE) == {f"{STATE}-0", f"{STATE}-1", f"{STATE}-2"}
    post_command(f"prune {STATE} --keep-last 1", response_url=slack.response_url("named"))
    drain_work(fleet)
    (named,) = slack.responses("named")
    assert named["text"].startswith(f"Prune plan for {STATE}: delete 2, keep 1")


def test_confirming_prune_all_says_what_it_deletes_by_table(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all --apply", response_url=slack.response_url("all"))
    plan_every_table(fleet)
    confirm_and_run(fleet, slack, plan_message(slack))
    confirmed = [r["text"] for r in slack.responses("press")]
    assert (
        ":gear: Confirmed by <@U0ADMIN01>: delete 7 backups of 2 tables (`orders`, `customers`)."
        in confirmed
    )
    assert (
        "Pruning 2 tables in the background; one summary will follow in this channel." in confirmed
    )


def test_prune_all_dry_run_says_it_is_one_and_shows_the_same_plan(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune --all", response_url=slack.response_url("dry"))
    plan_every_table(fleet)
    assert slack.messages == {}  # only the requester sees a dry run
    *progress, reply = slack.responses("dry")
    assert [p["text"].split(":")[1] for p in progress] == ["hourglass_flowing_sand"] * (
        len(progress) - 1
    ) + ["clipboard"]
    assert len(progress) + 1 <= 5  # a response_url takes 5 answers
    assert reply["text"].endswith("(dry run: nothing was deleted)")
    assert "`orders` — delete 5 of 8" in shown(reply)
    assert "confirm" not in shown(reply).lower()


def test_prune_table_apply_names_its_policy_and_where_it_comes_from(
    fleet: Runtime, slack: SlackSink
) -> None:
    post_command("prune orders --apply", response_url=slack.response_url("tag"))
    drain_work(fleet)
    post_command("prune orders --apply --keep-last 6", response_url=slack.response_url("typed"))
    drain_work(fleet)
    tagged, typed = sorted(slack.messages.values(), key=lambda m: float(m["ts"]))
    assert "Policy: daily 3 (its `opsbot:retention` tag)" in shown(tagged)
    assert (
        "Policy: keep-last 6 (typed; for this prune it replaces its `opsbot:retention` tag: "
        "daily 3)"
    ) in shown(typed)
    for message in (tagged, typed):
        assert "dry run" not in shown(message).lower()


def test_at_the_press_each_table_is_planned_again_and_only_the_confirmed_backups_go(
    fleet: Runtime, slack: SlackSink, clock: Clock
) -> None:
    post_command("prune --all --apply", response_url=slack.response_url("all"))
    plan_every_table(fleet)
    message = plan_message(slack)
    # Meanwhile: someone deletes a planned backup, and an old backup appears that the
    # policy would delete now but that the confirmed plan never showed.
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    (gone,) = [
        s["BackupArn"]
        for s in dynamodb.list_backups(TableName="orders")["BackupSummaries"]
        if s["BackupName"] == "orders-40d"
    ]
    dynamodb.delete_backup(BackupArn=gone)
    back_dated_backup("orders", "orders-late", clock.current - timedelta(days=20))
    confirm_and_run(fleet, slack, message)
    assert backup_names("orders") == (set(AGES) - PLANNED) | {"orders-late"}
    assert backup_names("customers") == {"customers-0", "customers-1"}
    (digest,) = [m for m in slack.calls_to("chat.postMessage") if "Backup prune" in m["text"]]
    assert digest["text"] == "Backup prune: 2 tables, 6 backups deleted, 0 failures"


def test_a_plan_stored_before_the_fan_out_asks_for_a_new_one_and_deletes_nothing(
    fleet: Runtime, slack: SlackSink, clock: Clock
) -> None:
    from bot.aws.plans import create_plan
    from bot.domain.confirmations import button_value as value_of

    old = create_plan(
        fleet.state,
        kind="prune",
        action="prune:apply",
        requester=ADMIN,
        channel=CHANNEL,
        now=clock.current,
        ttl_s=900,
        summary="delete 5 backups of 1 table (`orders`)",
        payload={"all": True, "tasks": [{"region": REGION, "table": "orders", "policy": ""}]},
    )
    url = slack.response_url("old", channel=CHANNEL, ts="1.000001")
    press("confirm", value_of(old.id, ADMIN), user=ADMIN, ts="1.000001", response_url=url)
    drain_work(fleet)
    assert receive(fleet) == []
    assert backup_names("orders") == set(AGES)
    assert any("run `/ddb prune --all --apply` again" in r["text"] for r in slack.responses("old"))
