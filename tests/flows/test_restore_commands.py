"""`/ddb pitr`, `/ddb restores` and `--latest` restores through the Slack entry, on moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bot.aws.restores import find_backup, recent_jobs
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.conftest import ADMIN, OPERATOR, REGION, VIEWER, Clock, drain_work
from tests.functions.test_restore_watcher import (
    CHANNEL,
    command,
    confirmation,
    make_table,
    press,
    restore_queue,
)


@pytest.fixture
def watch(runtime: Runtime) -> list[int]:
    """The restore queue and the delays asked for."""
    return restore_queue(runtime)


def pitr_status(dynamodb: Any, table: str = "orders") -> str:
    described = dynamodb.describe_continuous_backups(TableName=table)
    return str(
        described["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
    )


def enable_pitr(dynamodb: Any) -> None:
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


def test_pitr_status_shows_the_window_and_recovery_period(
    runtime: Runtime, slack: SlackSink
) -> None:
    enable_pitr(make_table())
    command("pitr orders", user=VIEWER, response_url=slack.response_url("st"))
    drain_work(runtime)
    (reply,) = slack.responses("st")
    assert reply["text"].startswith(":white_check_mark: Point-in-time recovery is *on*")
    assert "*Recovery period*\\n35 days" in str(reply["blocks"]).replace("\n", "\\n")


def test_pitr_on_by_an_operator_turns_it_on(runtime: Runtime, slack: SlackSink) -> None:
    dynamodb = make_table()
    command("pitr orders on", user=OPERATOR, response_url=slack.response_url("on"))
    drain_work(runtime)
    assert pitr_status(dynamodb) == "ENABLED"
    assert "turned point-in-time recovery *on*" in slack.responses("on")[-1]["text"]


def test_pitr_off_needs_admin(runtime: Runtime, slack: SlackSink) -> None:
    dynamodb = make_table()
    enable_pitr(dynamodb)
    command("pitr orders off", user=OPERATOR, response_url=slack.response_url("deny"))
    drain_work(runtime)
    assert "needs the *admin* role; you have *operator*" in slack.responses("deny")[-1]["text"]
    assert pitr_status(dynamodb) == "ENABLED"


def test_pitr_off_by_an_admin_asks_for_confirmation_then_turns_it_off(
    runtime: Runtime, slack: SlackSink
) -> None:
    dynamodb = make_table()
    enable_pitr(dynamodb)
    command("pitr orders off", user=ADMIN)
    drain_work(runtime)
    value, ts = confirmation(slack)
    warning = str(slack.messages[(CHANNEL, ts)]["blocks"])
    assert "Turning PITR back on later starts a *new* window" in warning
    assert pitr_status(dynamodb) == "ENABLED"  # nothing happens before the press
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    assert pitr_status(dynamodb) == "DISABLED"
    (done,) = slack.thread(CHANNEL, ts)
    assert "turned point-in-time recovery *off* for `orders`" in done["text"]


def test_latest_restore_starts_and_the_watcher_reports_completion(
    runtime: Runtime, slack: SlackSink, watch: list[int], clock: Clock
) -> None:
    enable_pitr(make_table())
    command("restore orders --latest --to orders-copy")
    drain_work(runtime)
    value, ts = confirmation(slack)
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    assert restore_round(runtime) == 1  # check 0 starts it
    clock.advance(60)
    assert restore_round(runtime) == 1
    texts = [m["text"] for m in slack.thread(CHANNEL, ts)]
    assert texts[0].startswith(":arrow_forward: Restore started")
    assert "the latest restorable time" in texts[0]
    assert texts[1].startswith(
        ":white_check_mark: Restore done: `orders-copy` is ACTIVE after 1 min"
    )
    (job,) = recent_jobs(runtime.state)
    assert job.status == "completed"

    command("restores", user=VIEWER, response_url=slack.response_url("list"))
    drain_work(runtime)
    (listing,) = slack.responses("list")
    body = str(listing["blocks"])
    assert "`orders` → `orders-copy`" in body
    assert f"https://slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}|thread" in body


def test_default_target_is_named_after_the_table_and_time(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    enable_pitr(make_table())
    command("restore orders --latest")
    drain_work(runtime)
    _, ts = confirmation(slack)
    assert "orders-restored-20261122-1000" in slack.messages[(CHANNEL, ts)]["text"]


def test_backup_is_found_by_name_and_by_arn() -> None:
    from moto import mock_aws

    with mock_aws():
        dynamodb = make_table()
        arn = dynamodb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"][
            "BackupArn"
        ]
        by_name = find_backup(dynamodb, "orders", "nightly")
        by_arn = find_backup(dynamodb, "orders", arn)
        assert by_name is not None
        assert by_arn is not None
        assert (by_name.arn, by_arn.name, by_arn.table) == (arn, "nightly", "orders")
        assert find_backup(dynamodb, "orders", "weekly") is None
        missing = arn[:-8] + "00000000"
        assert find_backup(boto3.client("dynamodb", region_name=REGION), "orders", missing) is None
