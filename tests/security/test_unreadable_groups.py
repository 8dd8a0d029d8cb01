"""A user group in `[roles]` that Slack will not list (a typo, a deleted group, a missing
`usergroups:read` scope) costs only the grants that hang on it.

Slack answers usergroups.users.list for such a group with `ok: false` (`no_such_subteam`,
`missing_scope`, `not_allowed_token_type`): no retry can change that. Everyone else keeps
working; a user whose role could only come from that group is told so plainly; the bot's
own channel hears about it once an hour per group, not once per request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from tests.conftest import ADMIN, OPERATOR, VIEWER, Clock, drain_work, slash_body
from tests.security.conftest import backup_names
from tests.security.test_slack_requests import send

TYPO = "S0TYPO001"  # named in [roles], unknown to Slack
OPS_CHANNEL = "C0OPSBOT1"  # [channels] default: the bot's own channel
TEAM_CHANNEL = "C0TEAM001"  # where the commands are typed


@pytest.fixture
def typo_in_roles(orders: Runtime) -> Runtime:
    """Operators are the members of S0DBAOPS1 and of a group Slack does not know."""
    roles = {
        "default": "viewer",
        "admin": {"users": [ADMIN]},
        "operator": {"groups": ["S0DBAOPS1", TYPO]},
    }
    orders.settings = replace(orders.settings, access=parse_settings({"roles": roles}).access)
    return orders


def run(runtime: Runtime, slack: SlackSink, text: str, *, user: str) -> dict[str, object]:
    """`/ddb <text>` typed by ``user`` in the team channel, run by the worker: its one answer."""
    url = slack.response_url(f"r{len(slack.calls)}-{user}")
    response = send(slash_body(text, user=user, channel=TEAM_CHANNEL, response_url=url))
    assert response["statusCode"] == 200
    assert drain_work(runtime) == 1  # and the worker asked for no retry
    (answer,) = slack.responses(url.rsplit("/", 1)[-1])
    return answer


def ops_posts(slack: SlackSink) -> list[str]:
    """What the bot said in its own channel."""
    return [p["text"] for p in slack.calls_to("chat.postMessage") if p["channel"] == OPS_CHANNEL]


def test_a_group_slack_does_not_know_leaves_the_other_grants_working(
    typo_in_roles: Runtime, slack: SlackSink
) -> None:
    by_group = run(typo_in_roles, slack, "backup orders --name by-group", user=OPERATOR)
    by_id = run(typo_in_roles, slack, "backup orders --name by-id", user=ADMIN)
    assert by_group["text"] == "Backup by-group of orders started"
    assert by_id["text"] == "Backup by-id of orders started"
    assert {"by-group", "by-id"} <= backup_names()


def test_a_user_whose_role_hangs_on_the_unknown_group_is_told_their_role_could_not_be_checked(
    typo_in_roles: Runtime, slack: SlackSink
) -> None:
    before = backup_names()
    answer = run(typo_in_roles, slack, "backup orders --name hopeful", user=VIEWER)
    text = str(answer["text"])
    assert "could not check your role" in text
    assert f"`{TYPO}`" in text
    assert "no_such_subteam" in text
    assert "an opsbot admin should fix `[roles]`" in text.lower()
    assert answer["response_type"] == "ephemeral"
    assert backup_names() == before


def test_reads_that_need_no_group_still_answer_the_user_of_the_unknown_group(
    typo_in_roles: Runtime, slack: SlackSink
) -> None:
    answer = run(typo_in_roles, slack, "backups orders", user=VIEWER)
    assert "orders-1h" in json.dumps(answer)


@pytest.mark.parametrize("error", ["missing_scope", "not_allowed_token_type"])
def test_without_access_to_user_groups_only_grants_by_group_are_lost(
    typo_in_roles: Runtime, slack: SlackSink, error: str
) -> None:
    slack.usergroups_error = error  # every usergroups.users.list call answers ok: false
    admin = run(typo_in_roles, slack, "backup orders --name by-admin", user=ADMIN)
    assert admin["text"] == "Backup by-admin of orders started"
    operator = run(typo_in_roles, slack, "backup orders --name by-operator", user=OPERATOR)
    assert "could not check your role" in str(operator["text"])
    assert error in str(operator["text"])
    assert "by-operator" not in backup_names()


def test_the_bots_channel_is_told_once_an_hour_per_unknown_group(
    typo_in_roles: Runtime, slack: SlackSink, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for n, user in enumerate([OPERATOR, ADMIN, VIEWER, OPERATOR]):
        run(typo_in_roles, slack, f"backup orders --name run-{n}", user=user)
        clock.advance(120)  # every member list is read again meanwhile
    (told,) = ops_posts(slack)
    assert f"`{TYPO}`" in told
    assert "no_such_subteam" in told
    assert "*operator*" in told  # what the group grants
    assert "[roles]" in told
    logged = [r.getMessage() for r in caplog.records]
    assert any(TYPO in line and "no_such_subteam" in line for line in logged)
    clock.advance(3600)
    run(typo_in_roles, slack, "backup orders --name later", user=ADMIN)
    assert len(ops_posts(slack)) == 2
