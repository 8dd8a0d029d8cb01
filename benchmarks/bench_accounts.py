"""AssumeRole calls of the account-aware client factory over a working day vs. its minimum.

Three member accounts x two regions, one DescribeTable per (account, region) every ten
minutes for eight hours, on moto with the clock moved by time-machine (moto's STS issues
one-hour credentials). The minimum is one AssumeRole per account per credential lifetime:
ceil(480 / 60) = 8 per account. Also: a cached member-account client lookup against the
home account's (both in-process dict lookups; measured outside the mocks).
"""

from __future__ import annotations

import math
import os
import timeit
from datetime import UTC, datetime, timedelta

import time_machine
from moto import mock_aws

from bot.aws.accounts import ROLE_DURATION_S, AccountClients
from bot.aws.clients import AwsClients
from bot.domain.accounts import Account

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
HOURS = 8
EVERY = timedelta(minutes=10)
REGIONS = ("us-west-2", "eu-west-1")
MEMBERS = tuple(
    Account(
        f"21098765432{i}",
        f"team-{i}",
        REGIONS,
        f"arn:aws:iam::21098765432{i}:role/opsbot-member",
        f"opsbot-{i}",
    )
    for i in range(3)
)


def measure() -> dict[str, float | int]:
    """AssumeRole calls vs. minimum, AWS calls per operation, client lookup cost ratio."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_DEFAULT_REGION", REGIONS[0]),
    ):
        os.environ.setdefault(name, value)
    with mock_aws(), time_machine.travel(START, tick=False) as traveller:
        now = [START]
        clients = AccountClients(
            AwsClients(default_region=REGIONS[0]), MEMBERS, clock=lambda: now[0]
        )
        calls: list[str] = []
        clients.on_event("before-call.*.*", lambda model, **_: calls.append(model.name))
        for account in MEMBERS:
            for region in REGIONS:
                clients.client("dynamodb", region, account).create_table(
                    TableName="orders",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                )
        calls.clear()
        assumed_at_start = len(MEMBERS)
        operations = 0
        while now[0] < START + timedelta(hours=HOURS):
            for account in MEMBERS:
                for region in REGIONS:
                    clients.client("dynamodb", region, account).describe_table(TableName="orders")
                    operations += 1
            now[0] += EVERY
            traveller.move_to(now[0])
        assume_calls = calls.count("AssumeRole") + assumed_at_start
        # Nothing can do better than one AssumeRole per account per credential lifetime.
        minimum = len(MEMBERS) * math.ceil(HOURS * 3600 / ROLE_DURATION_S)
    clients.client("dynamodb", REGIONS[1])  # built once: time only the cached lookups
    member = timeit.timeit(lambda: clients.client("dynamodb", REGIONS[1], MEMBERS[2]), number=20000)
    home = timeit.timeit(lambda: clients.client("dynamodb", REGIONS[1]), number=20000)
    return {
        "accounts_operations": operations,
        "accounts_assume_role_calls": assume_calls,
        "accounts_assume_role_minimum": minimum,
        "accounts_assume_role_vs_minimum": assume_calls / minimum,
        "accounts_aws_calls_per_operation": (len(calls) + assumed_at_start) / operations,
        "accounts_member_lookup_vs_home_lookup": _ratio(member, home),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
