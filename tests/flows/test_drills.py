"""Restore drills end to end on moto: `/ddb drill` through the signed Slack entry, the
confirmation, the follower on the follow-up queue (restore → validate → delete), the drill
history, and the answers to bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.aws.drills import delete_scratch, recent_drills, table_history
from bot.domain.errors import OpsbotError
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.conftest import ADMIN, OPERATOR, VIEWER, drain_work
from tests.flows.test_replicas_and_home import open_home
from tests.functions.test_restore_watcher import (
    CHANNEL,
    command,
    confirmation,
    make_table,
    press,
    restore_queue,
)

SCRATCH = "opsbot-drill-orders-20261122T1000Z"


@pytest.fixture
def watch(runtime: Runtime) -> list[int]:
    """The follow-up queue and the delays asked for."""
    return restore_queue(runtime)


def asked_drill(
    runtime: Runtime, slack: SlackSink, text: str = "drill orders"
) -> tuple[Any, str, str]:
    """orders (3 items) with a backup, and the drill asked for by an operator:
    (DynamoDB client, Confirm value, the confirmation's ts)."""
    dynamodb = make_table()
    dynamodb.create_backup(TableName="orders", BackupName="nightly")
    command(text, user=OPERATOR)
    assert drain_work(runtime) == 1
    value, ts = confirmation(slack)
    return dynamodb, value, ts


def run_drill(runtime: Runtime, slack: SlackSink) -> tuple[Any, str]:
    dynamodb, value, ts = asked_drill(runtime, slack)
    press("confirm", value, user=OPERATOR, ts=ts)
    assert drain_work(runtime) == 1
    while restore_round(runtime):
        pass
    return dynamodb, ts


def test_drill_restores_the_newest_backup_validates_and_deletes_the_scratch_table(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb, value, ts = asked_drill(runtime, slack)
    asked = slack.messages[(CHANNEL, ts)]
    assert asked["text"].startswith(
        f"Drill orders: restore backup nightly into {SCRATCH}, validate, delete it?"
    )
    assert "at $0.15/GB restored" in str(asked["blocks"])
    press("confirm", value, user=OPERATOR, ts=ts)
    assert drain_work(runtime) == 1
    assert restore_round(runtime) == 1  # check 0: the restore starts
    assert SCRATCH in dynamodb.list_tables()["TableNames"]
    assert restore_round(runtime) == 1  # check 1: ACTIVE, validated, deleted, gone
    assert restore_round(runtime) == 0
    assert SCRATCH not in dynamodb.list_tables()["TableNames"]
    started, result = slack.thread(CHANNEL, ts)
    assert started["text"].startswith(
        f":arrow_forward: Drill started by <@{OPERATOR}>: `orders` (backup nightly) → "
        f"scratch table `{SCRATCH}`"
    )
    assert result["text"] == (
        ":white_check_mark: Drill passed: `orders` in us-west-2 restores (backup nightly)."
    )
    assert "*Items (copy / source)*\\n3 / 3" in str(result["blocks"]).replace("\n", "\\n")
    assert "*Sample read*\\n3" in str(result["blocks"]).replace("\n", "\\n")
    (job,) = recent_drills(runtime.state)
    assert (job.status, job.copy_count, job.source_count, job.sample_read) == ("passed", 3, 3, 3)
    (record,) = table_history(runtime.state, "", "us-west-2", "orders")
    assert record.passed
    assert record.job_id == job.id
    # the source was only read
    assert len(dynamodb.scan(TableName="orders")["Items"]) == 3


def test_a_drill_never_writes_to_the_source_table(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    writes: list[str] = []
    for op in (
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "DeleteTable",
        "UpdateTable",
    ):
        runtime.clients.on_event(
            f"provide-client-params.dynamodb.{op}",
            lambda params, _op=op, **_: writes.append(f"{_op} {params.get('TableName')}"),
        )
    run_drill(runtime, slack)
    assert [w for w in writes if not w.endswith("opsbot-state")] == [f"DeleteTable {SCRATCH}"]


def test_counting_out_of_budget_fails_the_drill_and_still_deletes_the_scratch_table(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    runtime.settings = replace(
        runtime.settings, drills=replace(runtime.settings.drills, count_budget_pages=2)
    )

    def one_item_pages(params: dict[str, Any], **_: Any) -> None:
        if params.get("Select") == "COUNT":
            params["Limit"] = 1

    runtime.clients.on_event("provide-client-params.dynamodb.Scan", one_item_pages)
    dynamodb, ts = run_drill(runtime, slack)
    result = slack.thread(CHANNEL, ts)[-1]
    assert result["text"].startswith(":x: Drill failed: `orders` in us-west-2")
    assert (
        "validation ran out of budget: counted 2 items in 2 Scan pages without reaching the end"
        in str(result["blocks"])
    )
    assert SCRATCH not in dynamodb.list_tables()["TableNames"]
    (record,) = table_history(runtime.state, "", "us-west-2", "orders")
    assert not record.passed


def test_scratch_tables_left_by_a_crash_are_deleted_and_reported(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    make_table("opsbot-drill-orders-20261101T0300Z")
    make_table("opsbot-drillbit")  # not in the namespace: the prefix ends with a dash
    dynamodb, ts = run_drill(runtime, slack)
    texts = [m["text"] for m in slack.thread(CHANNEL, ts)]
    assert texts[1] == (
        ":broom: Deleted 1 scratch table an earlier drill left behind: "
        "`opsbot-drill-orders-20261101T0300Z`."
    )
    assert sorted(dynamodb.list_tables()["TableNames"]) == [
        "opsbot-drillbit",
        "opsbot-state",
        "orders",
    ]


def test_a_failing_restore_is_reported_and_recorded(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb, value, ts = asked_drill(runtime, slack)
    press("confirm", value, user=OPERATOR, ts=ts)
    drain_work(runtime)
    (backup,) = dynamodb.list_backups(TableName="orders")["BackupSummaries"]
    dynamodb.delete_backup(BackupArn=backup["BackupArn"])  # gone before the start
    assert restore_round(runtime) == 1
    (refused,) = slack.thread(CHANNEL, ts)
    assert refused["text"].startswith(
        ":x: The drill of `orders` in us-west-2 did not start: There is no backup"
    )
    (job,) = recent_drills(runtime.state)
    assert job.status == "failed"
    assert restore_round(runtime) == 0


@pytest.mark.parametrize(
    ("setup", "text", "answer"),
    [
        (
            "none",
            "drill orders",
            "Nothing to drill: `orders` has no backup and PITR is off — "
            "take one with `/ddb backup orders`.",
        ),
        ("none", "drill nothing", "There is no table `nothing` in us-west-2 or us-east-1."),
        ("none", "drill orders --latest-backup", "`orders` has no available user backup"),
        ("none", "drill orders --pitr", "Point-in-time recovery is off for `orders`"),
        ("backup", "drill orders --backup weekly", "There is no backup `weekly` of `orders`."),
    ],
    ids=["nothing-to-drill", "unknown-table", "no-backup", "pitr-off", "unknown-backup"],
)
def test_bad_drills_get_a_clear_answer(
    runtime: Runtime, slack: SlackSink, watch: list[int], setup: str, text: str, answer: str
) -> None:
    dynamodb = make_table()
    if setup == "backup":
        dynamodb.create_backup(TableName="orders", BackupName="nightly")
    command(text, user=OPERATOR, response_url=slack.response_url("bad"))
    drain_work(runtime)
    assert answer in slack.responses("bad")[-1]["text"]


def test_a_second_drill_of_a_table_waits_for_the_first(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    _, value, ts = asked_drill(runtime, slack)
    press("confirm", value, user=OPERATOR, ts=ts)
    drain_work(runtime)
    command("drill orders", user=OPERATOR, response_url=slack.response_url("again"))
    drain_work(runtime)
    assert "A drill of `orders` is already running" in slack.responses("again")[-1]["text"]


def test_a_viewer_may_not_drill(runtime: Runtime, slack: SlackSink, watch: list[int]) -> None:
    make_table()
    command("drill orders", user=VIEWER, response_url=slack.response_url("deny"))
    drain_work(runtime)
    denied = slack.responses("deny")[-1]["text"]
    assert "needs the *operator* role; you have *viewer*" in denied
    assert recent_drills(runtime.state) == []


def test_the_drill_code_deletes_only_scratch_tables(runtime: Runtime) -> None:
    dynamodb = make_table()
    with pytest.raises(OpsbotError, match="not a drill's scratch table"):
        delete_scratch(dynamodb, "orders")
    assert "orders" in dynamodb.list_tables()["TableNames"]


def test_the_drill_confirmation_is_pressed_only_by_its_requester(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    _, value, ts = asked_drill(runtime, slack)
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    assert recent_drills(runtime.state) == []


def test_status_and_app_home_show_the_last_drill_and_its_restore_time(
    runtime: Runtime, slack: SlackSink, watch: list[int], clock: Any
) -> None:
    run_drill(runtime, slack)
    clock.advance(6 * 86400)
    command("status orders", user=VIEWER, response_url=slack.response_url("st"))
    drain_work(runtime)
    (status,) = slack.responses("st")
    assert status["blocks"][-1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": ":fire_extinguisher: Restore drills: last drill passed 6 d ago, "
                "restore took 0s.",
            }
        ],
    }
    open_home(runtime)
    (call,) = slack.calls_to("views.publish")
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    assert view["blocks"][-1]["text"]["text"] == (
        "*Restore drills*\n:fire_extinguisher: *orders@us-west-2*: last drill passed 6 d ago, "
        "restore took 0s"
    )


def test_status_of_a_table_never_drilled_has_no_drill_line(
    runtime: Runtime, slack: SlackSink
) -> None:
    make_table()
    command("status orders", user=VIEWER, response_url=slack.response_url("st"))
    drain_work(runtime)
    (status,) = slack.responses("st")
    assert "Restore drills" not in json.dumps(status["blocks"])


def test_a_pitr_drill_that_takes_25_minutes_posts_progress_and_measures_the_restore(
    runtime: Runtime, slack: SlackSink, watch: list[int], clock: Any
) -> None:
    """AWS answers the scratch table as CREATING for 25 minutes (a before-call hook answers
    DescribeTable as AWS documents it, as Stubber would): a progress post at 15 minutes, the
    restore time measured from the restore call to ACTIVE."""
    from botocore.awsrequest import AWSResponse

    dynamodb = make_table()
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    started: list[Any] = []
    runtime.clients.on_event(
        "after-call.dynamodb.RestoreTableToPointInTime", lambda **_: started.append(clock())
    )

    def creating(params: dict[str, Any], **_: Any) -> Any:
        name = json.loads(params["body"])["TableName"]
        if name == SCRATCH and started and (clock() - started[0]).total_seconds() < 25 * 60:
            table = {"TableName": name, "TableStatus": "CREATING"}
            table["RestoreSummary"] = {"RestoreInProgress": True}
            return AWSResponse(None, 200, {}, None), {"Table": table}
        return None

    runtime.clients.on_event("before-call.dynamodb.DescribeTable", creating)
    command("drill orders --pitr", user=OPERATOR)
    drain_work(runtime)
    value, ts = confirmation(slack)
    assert "A PITR restore takes at least ~20 min" in str(slack.messages[(CHANNEL, ts)]["blocks"])
    press("confirm", value, user=OPERATOR, ts=ts)
    drain_work(runtime)
    while restore_round(runtime):
        clock.advance(300)  # the follow-up queue's delay between checks
    texts = [m["text"] for m in slack.thread(CHANNEL, ts)]
    assert texts[0].startswith(
        f":arrow_forward: Drill started by <@{OPERATOR}>: `orders` (the latest restorable time)"
    )
    assert texts[1] == (
        f":hourglass_flowing_sand: Drill of `orders`: still restoring `{SCRATCH}`, 15 min so far."
    )
    assert texts[2].startswith(":white_check_mark: Drill passed")
    (job,) = recent_drills(runtime.state)
    assert job.restore_took is not None
    assert job.restore_took.total_seconds() == 25 * 60
    assert "*Restore took*\\n25 min" in json.dumps(slack.thread(CHANNEL, ts)[2]["blocks"])


def test_a_restore_that_fails_midway_fails_the_drill_with_the_reason(
    runtime: Runtime, slack: SlackSink, watch: list[int], clock: Any
) -> None:
    dynamodb, value, ts = asked_drill(runtime, slack)
    press("confirm", value, user=OPERATOR, ts=ts)
    drain_work(runtime)
    assert restore_round(runtime) == 1  # started
    dynamodb.delete_table(TableName=SCRATCH)  # DynamoDB abandoned the restore
    clock.advance(180)
    assert restore_round(runtime) == 1
    result = slack.thread(CHANNEL, ts)[-1]
    assert result["text"].startswith(":x: Drill failed: `orders` in us-west-2")
    assert (
        "the restore failed: the new table `opsbot-drill-orders-20261122T1000Z` does not exist"
        in (json.dumps(result["blocks"]))
    )
    (record,) = table_history(runtime.state, "", "us-west-2", "orders")
    assert not record.passed
    assert restore_round(runtime) == 0
