"""How long a revoked role lasts: someone removed from a user group in Slack.

The ack path decides from cached member lists only (no network), so it may still say
"Working on…" for up to ten minutes. The worker, which is what acts, never uses a member
list more than 60 seconds old: a minute after the removal no change runs for them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.aws.plans import load_plan
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.conftest import ADMIN, OPERATOR, Clock, block_action_body, drain_work, slash_body
from tests.security.conftest import AGES, backup_names
from tests.security.test_slack_requests import ack_text, confirm_value, send, stored_plans

GROUP = "S0DBAOPS1"  # OPERATOR's only grant
# The AWS calls that change something, among those these commands make.
CHANGES = frozenset(
    {
        "CreateBackup",
        "DeleteBackup",
        "UpdateContinuousBackups",
        "RestoreTableToPointInTime",
        "RestoreTableFromBackup",
        "PutMetricAlarm",
    }
)


def command(runtime: Runtime, slack: SlackSink, text: str, *, user: str = OPERATOR) -> str:
    """`/ddb <text>` through the ack and the worker; the worker's answer."""
    url = slack.response_url(f"r{len(slack.calls)}")
    ack_text(send(slash_body(text, user=user, response_url=url)))
    assert drain_work(runtime) == 1
    (answer,) = slack.responses(url.rsplit("/", 1)[-1])
    return str(answer["text"])


def removed_from_the_group(slack: SlackSink, user: str = OPERATOR) -> None:
    """An admin takes ``user`` out of the group in Slack."""
    slack.usergroups[GROUP] = [u for u in slack.usergroups[GROUP] if u != user]


def test_an_operator_removed_from_the_group_cannot_back_up_a_minute_later(
    orders: Runtime, slack: SlackSink, clock: Clock
) -> None:
    assert command(orders, slack, "backup orders --name before") == (
        "Backup before of orders started"
    )
    removed_from_the_group(slack)
    clock.advance(61)
    calls = len(slack.calls)
    url = slack.response_url("after")
    ack = ack_text(send(slash_body("backup orders --name after", user=OPERATOR, response_url=url)))
    assert "Working on" in ack  # the ack path still trusts its cache ...
    assert len(slack.calls) == calls  # ... and made no Slack call to find out
    drain_work(orders)
    (answer,) = slack.responses("after")
    assert "needs the *operator* role; you have *viewer*" in answer["text"]
    assert "after" not in backup_names()


@pytest.mark.parametrize(
    "text",
    [
        "backup orders",
        "prune orders --apply",
        "restore orders --latest --to orders-copy",
        "pitr orders on",
        "alarms recommend orders",
    ],
    ids=["backup", "prune-apply", "restore", "pitr-on", "alarms-recommend"],
)
def test_every_change_is_refused_a_minute_after_the_removal(
    orders: Runtime, slack: SlackSink, clock: Clock, aws_calls: Counter[str], text: str
) -> None:
    command(orders, slack, "status orders")  # the worker reads the group's members
    removed_from_the_group(slack)
    clock.advance(61)
    assert "needs the *operator* role; you have *viewer*" in command(orders, slack, text)
    assert not set(aws_calls) & CHANGES
    assert stored_plans(orders) == []  # not even a plan to confirm


def test_a_confirm_pressed_a_minute_after_the_removal_runs_nothing(
    orders: Runtime, slack: SlackSink, clock: Clock, aws_calls: Counter[str]
) -> None:
    send(slash_body("prune orders --apply", user=OPERATOR))
    drain_work(orders)
    (plan_message,) = slack.messages.values()
    removed_from_the_group(slack)
    clock.advance(61)  # well within the plan's 15 minutes
    url = slack.response_url("press")
    value = confirm_value(plan_message)
    send(block_action_body("confirm", value, user=OPERATOR, response_url=url))
    drain_work(orders)
    (answer,) = slack.responses("press")
    assert "needs the *operator* role; you have *viewer*" in answer["text"]
    assert aws_calls["DeleteBackup"] == 0
    assert backup_names() == set(AGES)
    plan = load_plan(orders.state, value.split("|")[0])
    assert plan is not None
    assert plan.status == "failed"


@pytest.mark.parametrize(
    ("age_s", "read_again"),
    [(30, False), (60, False), (61, True), (599, True)],
    ids=["30s", "60s", "61s", "599s"],
)
def test_the_worker_reads_member_lists_older_than_60_seconds_again(
    orders: Runtime, slack: SlackSink, clock: Clock, age_s: int, read_again: bool
) -> None:
    command(orders, slack, "backups orders", user=ADMIN)
    lists = len(slack.calls_to("usergroups.users.list"))
    clock.advance(age_s)
    command(orders, slack, "backups orders", user=ADMIN)
    assert len(slack.calls_to("usergroups.users.list")) == lists + read_again
