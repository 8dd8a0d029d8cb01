"""Until a command is account-aware, a member account's table is refused, never mixed up."""

from __future__ import annotations

from dataclasses import replace

import boto3

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from functions import slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)


def test_member_account_table_is_refused_by_a_command_that_is_not_account_aware(
    runtime: Runtime, slack: SlackSink
) -> None:
    accounts = parse_settings(
        {
            "accounts": [
                {"id": "123456789012", "alias": "main", "home": True},
                {
                    "id": "210987654321",
                    "alias": "payments-prod",
                    "role_arn": "arn:aws:iam::210987654321:role/opsbot-member",
                },
            ]
        }
    ).accounts
    runtime.settings = replace(runtime.settings, accounts=accounts)
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    from bot.domain.commands import Status
    from bot.flows import registry

    registry.load_handlers()
    aware = Status in registry.ACCOUNT_AWARE
    registry.ACCOUNT_AWARE.discard(Status)
    try:
        body = slash_body(
            f"status orders@payments-prod/{REGION}",
            user=ADMIN,
            response_url=slack.response_url("guard"),
        )
        slack_http.handler(function_url_event(body, sign(body)), lambda_context())
        drain_work(runtime)
    finally:
        if aware:
            registry.ACCOUNT_AWARE.add(Status)
    (reply,) = slack.responses("guard")
    assert "payments-prod (210987654321)" in reply["text"]
    assert "ACTIVE" not in reply["text"]  # the home account's `orders` was not described
