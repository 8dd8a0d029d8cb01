"""Commands against member accounts, end to end (signed request -> ack -> queue -> worker ->
reply): the resolved account is the one asked, a denied role is named, App Home spans all."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.aws.work_queue import WorkItem
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.conftest import REGION, VIEWER, drain_work
from tests.org.conftest import (
    HOME,
    OTHER_REGION,
    PROD,
    STAGING,
    client,
    create_table,
    denied_role,
    dumped,
    post_command,
)


def test_status_of_a_member_account_table_describes_that_account_and_names_its_alias(
    org: Runtime, slack: SlackSink
) -> None:
    create_table(org, PROD, "orders", DeletionProtectionEnabled=True)
    create_table(org, HOME, "orders")
    post_command(f"status orders@payments-prod/{REGION}", response_url=slack.response_url("s"))
    drain_work(org)
    (reply,) = slack.responses("s")
    assert reply["text"].startswith(f"orders in payments-prod/{REGION}: ACTIVE")
    assert f"orders — payments-prod/{REGION}" in dumped(reply)
    assert "account payments-prod" in dumped(reply)
    assert "*Deletion protection*\\n:white_check_mark: on" in dumped(reply)  # prod's, not home's


def test_replicas_of_a_member_account_table_name_the_account(
    org: Runtime, slack: SlackSink
) -> None:
    create_table(org, PROD, "orders")
    create_table(org, HOME, "orders")
    post_command(f"replicas orders@payments-prod/{REGION}", response_url=slack.response_url("r"))
    drain_work(org)
    (reply,) = slack.responses("r")
    assert "orders — payments-prod — not a global table" in dumped(reply)


def test_a_command_against_an_account_whose_role_is_denied_names_the_account_and_role(
    org: Runtime, slack: SlackSink
) -> None:
    with denied_role(org) as sts:
        post_command(
            f"status orders@payments-staging/{OTHER_REGION}",
            response_url=slack.response_url("denied"),
        )
        drain_work(org)
        sts.assert_no_pending_responses()
    (reply,) = slack.responses("denied")
    assert reply["text"].startswith(
        ":x: I cannot reach account payments-staging (333344445555): assuming "
        "`arn:aws:iam::333344445555:role/opsbot-member` failed (access denied)."
    )


def test_an_account_that_is_not_configured_is_refused_by_name(
    org: Runtime, slack: SlackSink
) -> None:
    post_command(f"backups orders@payments-dev/{REGION}", response_url=slack.response_url("x"))
    drain_work(org)
    (reply,) = slack.responses("x")
    assert "`payments-dev` is not a configured account" in reply["text"]
    assert "`payments-prod`" in reply["text"]


def test_backups_of_a_member_account_table_list_that_accounts_backups(
    org: Runtime, slack: SlackSink
) -> None:
    create_table(org, STAGING, "orders", region=OTHER_REGION)
    client(org, "dynamodb", STAGING, OTHER_REGION).create_backup(
        TableName="orders", BackupName="before-migration"
    )
    create_table(org, HOME, "orders")
    post_command(
        f"backups orders@payments-staging/{OTHER_REGION}", response_url=slack.response_url("b")
    )
    drain_work(org)
    (reply,) = slack.responses("b")
    assert "before-migration" in dumped(reply)
    assert f"orders@payments-staging/{OTHER_REGION}" in dumped(reply)


def test_app_home_spans_configured_tables_of_every_account(org: Runtime, slack: SlackSink) -> None:
    create_table(org, PROD, "orders")
    create_table(org, STAGING, "orders", region=OTHER_REGION)
    org.settings = replace(
        org.settings,
        home_tables=(f"orders@payments-prod/{REGION}", f"orders@payments-staging/{OTHER_REGION}"),
    )
    org.work_queue.submit(WorkItem(kind="home", user=VIEWER, channel="", requested_at=org.epoch()))
    drain_work(org)
    (call,) = slack.calls_to("views.publish")
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    text = json.dumps(view, ensure_ascii=False)
    assert f"*orders* — payments-prod/{REGION}" in text
    assert f"*orders* — payments-staging/{OTHER_REGION}" in text
    assert "2 watched tables" in text


def test_app_home_shows_an_unreachable_account_as_one_card_and_the_others(
    org: Runtime, slack: SlackSink
) -> None:
    create_table(org, HOME, "orders")
    org.extras.pop("account_clients")
    org.settings = replace(
        org.settings, home_tables=("orders", f"carts@payments-staging/{OTHER_REGION}")
    )
    with denied_role(org):
        org.work_queue.submit(
            WorkItem(kind="home", user=VIEWER, channel="", requested_at=org.epoch())
        )
        drain_work(org)
    (call,) = slack.calls_to("views.publish")
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    text = json.dumps(view, ensure_ascii=False)
    assert f"*orders* — ops-central/{REGION}" in text
    assert f"*carts* — payments-staging/{OTHER_REGION}" in text
    assert "I cannot reach account payments-staging (333344445555)" in text
