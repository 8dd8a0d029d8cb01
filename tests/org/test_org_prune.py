"""Prune across accounts: the nightly run fans out per account x region x table, and a prune
in one account never touches another account's backups of a table with the same name."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.aws.backups import BackupPace
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import prune_scheduler, prune_worker
from tests.aws.test_backups import FakeTime
from tests.conftest import REGION, Clock, drain_work
from tests.functions.test_backups_commands import button_value
from tests.functions.test_prune_scheduled import SCHEDULE_EVENT, receive
from tests.org.conftest import (
    CHANNEL,
    HOME,
    OTHER_REGION,
    PROD,
    STAGING,
    back_dated_backup,
    backup_names,
    client,
    create_table,
    denied_role,
    dumped,
    post_command,
    press,
)

DIGEST_CHANNEL = "C0BACKUPS1"
KEEP_LAST_1 = [{"Key": "opsbot:retention", "Value": "keep-last=1"}]


@pytest.fixture
def three_orders(org: Runtime, clock: Clock) -> Runtime:
    """`orders` with three daily backups in prod and staging (tagged keep-last=1) and in the
    home account (no policy), all in us-west-2; a prune queue; deletes allowed."""
    sqs = org.client("sqs")
    queue_url = sqs.create_queue(QueueName="opsbot-prune")["QueueUrl"]
    org.settings = replace(
        org.settings,
        prune_queue_url=queue_url,
        prune_mode="delete",
        channels=replace(org.settings.channels, backups=DIGEST_CHANNEL),
    )
    org.extras["backup_pace"] = BackupPace.with_clock(FakeTime().clock, FakeTime().sleep)
    for account in (HOME, PROD, STAGING):
        tags = KEEP_LAST_1 if account is not HOME else []
        create_table(org, account, "orders", Tags=tags)
        for day in range(3):
            name = f"{account.alias}-{day}"
            back_dated_backup(org, account, "orders", name, clock.current - timedelta(days=day + 1))
    return org


def test_nightly_prune_prunes_each_account_separately_under_one_run(
    three_orders: Runtime, slack: SlackSink
) -> None:
    result = prune_scheduler.handle(SCHEDULE_EVENT, three_orders)
    assert result["tables"] == 4  # every table; home's orders and state table have no policy
    records = receive(three_orders)
    tasks = sorted((json.loads(r["body"]) for r in records), key=lambda t: t.get("account", ""))
    assert [(t.get("account", ""), t["region"], t["table"]) for t in tasks] == [
        ("", REGION, "opsbot-state"),
        ("", REGION, "orders"),
        (PROD.id, REGION, "orders"),
        (STAGING.id, REGION, "orders"),
    ]
    assert prune_worker.handle({"Records": records}, three_orders) == {"batchItemFailures": []}
    # Same run, same region, same table name: two tables, each claimed and pruned once.
    assert backup_names(three_orders, PROD) == {"payments-prod-0"}
    assert backup_names(three_orders, STAGING) == {"payments-staging-0"}
    assert backup_names(three_orders, HOME) == {"ops-central-0", "ops-central-1", "ops-central-2"}
    (digest,) = [c for c in slack.calls_to("chat.postMessage") if c["channel"] == DIGEST_CHANNEL]
    assert digest["text"] == "Backup prune: 2 tables, 4 backups deleted, 0 failures"
    assert f"orders@payments-prod/{REGION}" in dumped(digest)
    assert f"orders@payments-staging/{REGION}" in dumped(digest)


def test_a_confirmed_prune_in_one_account_leaves_the_other_accounts_backups(
    three_orders: Runtime, slack: SlackSink
) -> None:
    post_command(f"prune orders@payments-staging/{REGION} --apply")
    drain_work(three_orders)
    (plan_message,) = slack.messages.values()
    assert plan_message["text"].startswith(
        f"Prune plan for orders@payments-staging/{REGION}: delete 2, keep 1"
    )
    press("confirm", button_value(plan_message, "confirm"), ts=plan_message["ts"])
    drain_work(three_orders)
    assert backup_names(three_orders, STAGING) == {"payments-staging-0"}
    assert backup_names(three_orders, PROD) == {
        "payments-prod-0",
        "payments-prod-1",
        "payments-prod-2",
    }
    assert len(backup_names(three_orders, HOME)) == 3
    final = slack.messages[(CHANNEL, plan_message["ts"])]
    assert final["text"] == f"Pruned orders@payments-staging/{REGION}: 2 deleted, 0 failed"


def test_nightly_prune_reports_an_unreachable_account_once_and_prunes_the_others(
    three_orders: Runtime, slack: SlackSink
) -> None:
    three_orders.extras.pop("account_clients")  # a new process: no role assumed yet
    client(three_orders, "dynamodb", PROD)  # prod's role is assumed; staging's is refused
    with denied_role(three_orders, caller_identity=True) as sts:
        result = prune_scheduler.handle(SCHEDULE_EVENT, three_orders)
        sts.assert_no_pending_responses()
    # the home account's two tables, prod's orders, and one report per staging region
    assert result["tables"] == 5
    records = receive(three_orders)
    assert prune_worker.handle({"Records": records}, three_orders) == {"batchItemFailures": []}
    assert backup_names(three_orders, PROD) == {"payments-prod-0"}
    (digest,) = [c for c in slack.calls_to("chat.postMessage") if c["channel"] == DIGEST_CHANNEL]
    text = dumped(digest)
    for region in (REGION, OTHER_REGION):
        assert f"payments-staging/{region} (every table)" in text
    assert "payments-staging (333344445555)" in text


def test_prune_all_dry_run_spans_every_account(three_orders: Runtime, slack: SlackSink) -> None:
    post_command("prune --all", response_url=slack.response_url("all"))
    drain_work(three_orders)
    prune_worker.handle({"Records": receive(three_orders)}, three_orders)
    reply = slack.responses("all")[-1]
    text: Any = dumped(reply)
    assert f"orders@payments-prod/{REGION}" in text
    assert f"orders@payments-staging/{REGION}" in text
