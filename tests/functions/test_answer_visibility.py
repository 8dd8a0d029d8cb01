"""Who sees an answer follows the one rule the README states ("Who sees an answer"): answers
about shared state others should see — a table's status, PITR and replicas, plans to
confirm, outcomes of changes — are in the channel; help, errors, denials and the lists you
look through are ephemeral. Every command, through the signed request path."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from bot.aws.audit import mark_installed
from bot.domain.commands import COMMAND_TYPES
from bot.domain.visibility import in_channel
from bot.local.slack_sink import SlackSink
from bot.render.message import Message
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    VIEWER,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)

CHANNEL = "C0OPSBOT1"
README = Path(__file__).resolve().parents[2] / "README.md"

# Each command as typed, the rule's answer for it, and the action the rule decides by.
CASES = [
    ("help", "ephemeral", "help"),
    ("status orders", "channel", "status"),
    ("backups orders", "ephemeral", "backups"),
    ("backup orders", "channel", "backup"),
    ("prune orders --keep-last 1", "ephemeral", "prune"),
    ("prune orders --keep-last 1 --apply", "channel", "prune:apply"),
    ("prune --all", "ephemeral", "prune"),
    ("restore orders --latest --to orders-copy", "channel", "restore"),
    ("restores", "ephemeral", "restores"),
    ("pitr orders", "channel", "pitr"),
    ("pitr events on", "channel", "pitr:on"),
    ("pitr orders off", "channel", "pitr:off"),
    ("who-changed orders", "ephemeral", "who-changed"),
    ("alarms", "ephemeral", "alarms"),
    ("alarms orders", "ephemeral", "alarms"),
    ("alarms recommend orders", "channel", "alarms:recommend"),
    ("replicas orders", "channel", "replicas"),
    ("export orders --to s3://acme-ddb-exports/x", "channel", "export"),
    ("exports", "ephemeral", "exports"),
    ("import s3://acme-ddb-exports/x --to orders-copy --like orders", "channel", "import"),
    ("drill orders", "channel", "drill"),
]


@pytest.fixture
def tables(runtime: Runtime) -> Runtime:
    """`orders` (PITR on, two backups) and `events` (PITR off); an alarm topic."""
    topic = f"arn:aws:sns:{REGION}:123456789012:opsbot-alarms"
    runtime.settings = replace(
        runtime.settings, alarm_topic_arn=topic, export_buckets=("acme-ddb-exports",)
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(
        Bucket="acme-ddb-exports", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    s3.put_object(Bucket="acme-ddb-exports", Key="x/items.json", Body=b"{}")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name in ("orders", "events"):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.update_continuous_backups(
        TableName="orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    for n in range(2):
        dynamodb.create_backup(TableName="orders", BackupName=f"orders-{n}")
    # opsbot has kept the audit history for a while, so who-changed answers from it.
    mark_installed(
        runtime.state, ["123456789012"], now=runtime.now() - timedelta(days=30), cache=None
    )
    return runtime


def seen_by(runtime: Runtime, slack: SlackSink, text: str, *, user: str = ADMIN) -> set[str]:
    """Where `/ddb <text>` was answered: `channel` and/or `ephemeral` (the ack aside)."""
    response_id = f"cmd-{len(slack.calls)}"
    body = slash_body(text, user=user, response_url=slack.response_url(response_id))
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    ack = json.loads(response["body"])
    assert ack["response_type"] == "ephemeral"
    before = len(slack.calls)
    drain_work(runtime)
    seen = set()
    if not slack.responses(response_id) and text == "help":
        seen.add("ephemeral")  # help is answered in the ack itself
    for answer in slack.responses(response_id):
        seen.add("channel" if answer["response_type"] == "in_channel" else "ephemeral")
    for call in slack.calls[before:]:
        if call["method"] == "chat.postMessage" and call["args"]["channel"] == CHANNEL:
            seen.add("channel")
        elif call["method"] == "chat.postEphemeral":
            seen.add("ephemeral")
    return seen


def test_every_command_is_classified_by_the_rule() -> None:
    assert {text.split()[0] for text, _, _ in CASES} == set(COMMAND_TYPES)


@pytest.mark.parametrize(("text", "where", "action"), CASES, ids=[text for text, _, _ in CASES])
def test_each_command_is_answered_where_the_rule_says(
    tables: Runtime, slack: SlackSink, text: str, where: str, action: str
) -> None:
    assert in_channel(action) is (where == "channel")
    assert seen_by(tables, slack, text) == {where}


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("status no-such-table", ADMIN),
        ("status orders --sinse 7d", ADMIN),
        ("pitr orders off", VIEWER),
    ],
    ids=["error", "usage-error", "denial"],
)
def test_errors_and_denials_are_ephemeral_even_for_channel_commands(
    tables: Runtime, slack: SlackSink, text: str, user: str
) -> None:
    assert seen_by(tables, slack, text, user=user) <= {"ephemeral"}


def test_the_readme_states_the_rule() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "**Who sees an answer.**" in readme
    rule = readme.split("**Who sees an answer.**", 1)[1].split("\n\n", 1)[0]
    for name in {text.split()[0] for text, _, _ in CASES}:
        assert f"`{name}" in rule, f"the rule does not name `{name}`"


def mention(runtime: Runtime, slack: SlackSink, text: str) -> str:
    """`@opsbot <text>` said in the channel (signed Events API request); the mention's ts."""
    ts = runtime.notifier.post(CHANNEL, Message(text=f"@opsbot {text}")).ts
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0LOCAL",
            "api_app_id": "A0LOCAL",
            "event_id": f"Ev{abs(hash(text)) % 10**10:010d}",
            "event_time": 1,
            "event": {
                "type": "app_mention",
                "user": ADMIN,
                "text": f"<@U0OPSBOT> {text}",
                "channel": CHANNEL,
                "ts": ts,
                "event_ts": ts,
            },
        }
    )
    event = function_url_event(body, {**sign(body), "content-type": "application/json"})
    assert slack_http.handler(event, lambda_context())["statusCode"] == 200
    drain_work(runtime)
    return ts


def test_a_mention_follows_the_same_rule_in_its_thread(tables: Runtime, slack: SlackSink) -> None:
    ts = mention(tables, slack, "status orders")
    (answer,) = slack.thread(CHANNEL, ts)
    assert answer["text"].startswith("orders in us-west-2")
    ts = mention(tables, slack, "backups orders")
    assert slack.thread(CHANNEL, ts) == []
    (private,) = [c["args"] for c in slack.calls if c["method"] == "chat.postEphemeral"]
    assert private["thread_ts"] == ts
    assert private["user"] == ADMIN
