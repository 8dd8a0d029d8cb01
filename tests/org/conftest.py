"""One opsbot for an organisation: the home account and two member accounts, two regions.

moto keys its state by account id, and clients built on an assumed member role act in that
account (tests/aws/test_account_clients.py), so the same table name in two accounts is two
tables here, as it is on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
import time_machine
from botocore.stub import Stubber

from bot.domain.accounts import Account
from bot.flows.places import account_clients
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    REGION,
    Clock,
    block_action_body,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)

OTHER_REGION = "eu-west-1"
HOME = Account("123456789012", "ops-central", (REGION, "us-east-1"))
PROD = Account(
    "210987654321",
    "payments-prod",
    (REGION, OTHER_REGION),
    "arn:aws:iam::210987654321:role/opsbot-member",
    "opsbot-7f3a",
)
STAGING = Account(
    "333344445555",
    "payments-staging",
    (REGION, OTHER_REGION),
    "arn:aws:iam::333344445555:role/opsbot-member",
    "opsbot-9c1d",
)
ACCOUNTS = (HOME, PROD, STAGING)
CHANNEL = "C0OPSBOT1"


@pytest.fixture
def org(runtime: Runtime, clock: Clock) -> Iterator[Runtime]:
    """The runtime with three accounts configured; moto's clock follows the test clock, so
    assumed-role credentials expire an hour after the test's "now"."""
    with time_machine.travel(clock.current, tick=True):
        runtime.settings = replace(runtime.settings, accounts=ACCOUNTS)
        runtime.extras.pop("account_clients", None)
        yield runtime


def client(runtime: Runtime, service: str, account: Account, region: str = REGION) -> Any:
    """A client acting in ``account`` (its assumed role for a member)."""
    return account_clients(runtime).client(service, region, account)


def create_table(runtime: Runtime, account: Account, name: str, **kwargs: Any) -> None:
    """A pay-per-request table in one account and region."""
    client(runtime, "dynamodb", account, kwargs.pop("region", REGION)).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **kwargs,
    )


def back_dated_backup(
    runtime: Runtime, account: Account, table: str, name: str, at: datetime
) -> None:
    """A backup created at ``at`` (moto stamps backups with the current time)."""
    ddb = client(runtime, "dynamodb", account)  # the role is assumed before travelling back
    with time_machine.travel(at, tick=False):
        ddb.create_backup(TableName=table, BackupName=name)


def backup_names(runtime: Runtime, account: Account, table: str = "orders") -> set[str]:
    """The names of a table's backups that are not deleted."""
    summaries = client(runtime, "dynamodb", account).list_backups(TableName=table)
    return {s["BackupName"] for s in summaries["BackupSummaries"] if s["BackupStatus"] != "DELETED"}


def post_command(text: str, *, response_url: str = "", user: str = ADMIN) -> None:
    """`/ddb <text>` through the Lambda entry, signed like Slack signs it."""
    body = slash_body(text, user=user, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def press(action_id: str, value: str, *, ts: str, response_url: str = "") -> None:
    """Press a button on a message, as the admin."""
    body = block_action_body(action_id, value, user=ADMIN, ts=ts, response_url=response_url)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response


def denied_role(runtime: Runtime, *, caller_identity: bool = False) -> Stubber:
    """A Stubber on opsbot's STS client that answers the next AssumeRole with AccessDenied,
    as STS does when the member's trust policy or ExternalId does not match (after one
    GetCallerIdentity answer with ``caller_identity``: the prune scheduler asks it first)."""
    stubber = Stubber(runtime.client("sts"))
    if caller_identity:
        stubber.add_response(
            "get_caller_identity",
            {
                "UserId": "AROAEXAMPLEID:opsbot",
                "Account": HOME.id,
                "Arn": f"arn:aws:sts::{HOME.id}:assumed-role/opsbot-worker/opsbot",
            },
        )
    stubber.add_client_error(
        "assume_role",
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/opsbot-worker/opsbot is not authorized "
        "to perform: sts:AssumeRole on resource: arn:aws:iam::333344445555:role/opsbot-member",
        403,
    )
    return stubber


def dumped(message: dict[str, Any]) -> str:
    """A message as text, for `in` checks across its blocks."""
    return json.dumps(message, ensure_ascii=False)
