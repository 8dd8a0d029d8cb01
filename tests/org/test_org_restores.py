"""A restore in a member account: validated, started and watched in that account, its
messages naming the account; the home account's table of the same name is never touched."""

from __future__ import annotations

from bot.aws.restores import recent_jobs
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.conftest import REGION, drain_work
from tests.functions.test_restore_watcher import confirmation, restore_queue
from tests.org.conftest import (
    CHANNEL,
    HOME,
    PROD,
    client,
    create_table,
    dumped,
    post_command,
    press,
)


def test_restore_from_a_backup_in_a_member_account_runs_and_is_watched_there(
    org: Runtime, slack: SlackSink
) -> None:
    restore_queue(org)
    create_table(org, PROD, "orders")
    create_table(org, HOME, "orders")
    prod = client(org, "dynamodb", PROD)
    prod.create_backup(TableName="orders", BackupName="before-migration")

    post_command(
        f"restore orders@payments-prod/{REGION} --backup before-migration --to orders-copy"
    )
    assert drain_work(org) == 1
    value, ts = confirmation(slack)
    assert f"`orders` in payments-prod/{REGION}" in dumped(slack.messages[(CHANNEL, ts)])

    press("confirm", value, ts=ts)
    assert drain_work(org) == 1
    assert restore_round(org) == 1  # check 0 starts it, in that account
    (started,) = slack.thread(CHANNEL, ts)
    assert f"new table `orders-copy` in payments-prod/{REGION}" in started["text"]
    (job,) = recent_jobs(org.state)
    assert job.account == PROD.id

    assert restore_round(org) == 1
    _, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(":white_check_mark: Restore done: `orders-copy` is ACTIVE")
    assert f"in payments-prod/{REGION}" in dumped(done)
    assert "orders-copy" in prod.list_tables()["TableNames"]
    home_tables = client(org, "dynamodb", HOME).list_tables()["TableNames"]
    assert "orders-copy" not in home_tables

    post_command("restores", response_url=slack.response_url("list"))
    drain_work(org)
    (listed,) = slack.responses("list")
    assert f"(payments-prod/{REGION})" in dumped(listed)
