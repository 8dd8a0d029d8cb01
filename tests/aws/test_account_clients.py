"""Clients per (account, region): assumed roles, separate state per account, refresh, denial."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from botocore.stub import Stubber
from moto import mock_aws

from bot.aws.accounts import AccountClients
from bot.aws.clients import AwsClients
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.locations import resolve_or_raise
from bot.domain.refs import TableRef
from bot.flows.places import account_clients
from bot.runtime import Runtime
from tests.conftest import Clock, base_settings

HOME_ID = "123456789012"  # moto's default account: the environment's credentials land here
PROD = Account(
    "210987654321",
    "payments-prod",
    ("us-west-2", "eu-west-1"),
    "arn:aws:iam::210987654321:role/opsbot-member",
    "opsbot-7f3a",
)
STAGING = Account(
    "333344445555",
    "payments-staging",
    ("us-west-2", "eu-west-1"),
    "arn:aws:iam::333344445555:role/opsbot-member",
    "opsbot-9c1d",
)
HOME = Account(HOME_ID, "ops-central", ("us-west-2", "eu-west-1"))
ACCOUNTS = (HOME, PROD, STAGING)


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


def _factory(clock: Any = None, accounts: tuple[Account, ...] = ACCOUNTS) -> AccountClients:
    home = AwsClients(default_region="us-west-2")
    return AccountClients(home, accounts, clock=clock or (lambda: datetime.now(UTC)))


def _create(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _assume_calls(clients: AccountClients) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    clients.home.client("sts").meta.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: calls.append(dict(params))
    )
    return calls


def test_the_same_table_name_stays_separate_across_two_accounts_and_two_regions(
    moto: None,
) -> None:
    clients = _factory()
    for account in (PROD, STAGING):
        for region in account.regions:
            ddb = clients.client("dynamodb", region, account)
            _create(ddb, "orders")
            ddb.put_item(
                TableName="orders",
                Item={"pk": {"S": "where"}, "at": {"S": f"{account.alias}/{region}"}},
            )
    for account in (PROD, STAGING):
        for region in account.regions:
            item = clients.client("dynamodb", region, account).get_item(
                TableName="orders", Key={"pk": {"S": "where"}}
            )["Item"]
            assert item["at"]["S"] == f"{account.alias}/{region}"
            arn = clients.client("dynamodb", region, account).describe_table(TableName="orders")[
                "Table"
            ]["TableArn"]
            assert arn == f"arn:aws:dynamodb:{region}:{account.id}:table/orders"
    # Nothing leaked into the account opsbot runs in.
    assert clients.client("dynamodb", "us-west-2").list_tables()["TableNames"] == []
    assert clients.client("dynamodb", "us-west-2", HOME).list_tables()["TableNames"] == []


def test_member_clients_act_as_the_assumed_role_with_session_name_and_external_id(
    moto: None,
) -> None:
    clients = _factory()
    calls = _assume_calls(clients)
    identity = clients.client("sts", "us-west-2", "payments-prod").get_caller_identity()
    assert identity["Account"] == PROD.id
    assert ":assumed-role/opsbot-member/opsbot" in identity["Arn"]
    assert calls[0]["RoleArn"] == PROD.role_arn
    assert calls[0]["RoleSessionName"] == "opsbot"
    assert calls[0]["ExternalId"] == "opsbot-7f3a"


def test_one_assume_role_serves_every_region_and_service_of_an_account(moto: None) -> None:
    clients = _factory()
    calls = _assume_calls(clients)
    for region in PROD.regions:
        clients.client("dynamodb", region, PROD).list_tables()
        clients.client("cloudwatch", region, PROD).describe_alarms()
    clients.client("dynamodb", "us-west-2", STAGING.id).list_tables()
    assert [c["RoleArn"] for c in calls] == [PROD.role_arn, STAGING.role_arn]
    assert clients.client("dynamodb", "us-west-2", PROD) is clients.client(
        "dynamodb", "us-west-2", "payments-prod"
    )


def test_home_account_uses_the_runtime_clients_without_assuming_a_role(moto: None) -> None:
    clients = _factory()
    calls = _assume_calls(clients)
    assert clients.client("dynamodb", "us-west-2", HOME) is clients.home.client(
        "dynamodb", "us-west-2"
    )
    assert clients.client("dynamodb", "eu-west-1", None) is clients.home.client(
        "dynamodb", "eu-west-1"
    )
    assert calls == []


class MovingClock(Clock):
    """The runtime's clock, with moto's idea of now (STS Expiration) moved in step."""

    def __init__(self, traveller: Any, now: datetime) -> None:
        super().__init__(now)
        self.traveller = traveller

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self.traveller.move_to(self.current)


@pytest.fixture
def moving_clock(moto: None, clock: Clock) -> Iterator[MovingClock]:
    with time_machine.travel(clock.current, tick=False) as traveller:
        yield MovingClock(traveller, clock.current)


def test_credentials_are_refreshed_five_minutes_before_they_expire(
    moving_clock: MovingClock,
) -> None:
    clients = _factory(moving_clock)
    calls = _assume_calls(clients)
    ddb = clients.client("dynamodb", "us-west-2", PROD)
    _create(ddb, "orders")
    assert len(calls) == 1
    moving_clock.advance(timedelta(minutes=54).total_seconds())  # 6 minutes left
    ddb.describe_table(TableName="orders")
    assert len(calls) == 1, "credentials valid for 6 more minutes: no refresh yet"
    moving_clock.advance(timedelta(minutes=2).total_seconds())  # 4 minutes left
    ddb.describe_table(TableName="orders")
    assert len(calls) == 2, "inside the 5-minute window: refreshed before use"
    # The same client keeps working on the new credentials, in the same account, and the
    # new credentials last another hour.
    moving_clock.advance(timedelta(minutes=50).total_seconds())
    assert ddb.describe_table(TableName="orders")["Table"]["TableArn"].split(":")[4] == PROD.id
    assert len(calls) == 2


def test_a_failed_advisory_refresh_keeps_the_still_valid_credentials(
    moving_clock: MovingClock,
) -> None:
    clients = _factory(moving_clock)
    ddb = clients.client("dynamodb", "us-west-2", PROD)
    _create(ddb, "orders")
    moving_clock.advance(timedelta(minutes=57).total_seconds())  # 3 minutes left: advisory
    with Stubber(clients.home.client("sts")) as sts:
        sts.add_client_error("assume_role", "Throttling", "Rate exceeded", 400)
        assert ddb.describe_table(TableName="orders")["Table"]["TableName"] == "orders"
        sts.assert_no_pending_responses()


def test_a_role_that_cannot_be_assumed_names_the_account_and_the_role(moto: None) -> None:
    clients = _factory()
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/opsbot-worker/opsbot is not authorized "
        "to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/opsbot-member"
    )
    with Stubber(clients.home.client("sts")) as sts:
        sts.add_client_error("assume_role", "AccessDenied", message, 403)
        with pytest.raises(AccountUnavailable) as caught:
            clients.client("dynamodb", "us-west-2", PROD)
    error = caught.value
    assert "payments-prod (210987654321)" in error.message
    assert "`arn:aws:iam::210987654321:role/opsbot-member`" in error.message
    assert "access denied" in error.message
    assert error.account_id == PROD.id
    assert error.role_arn == PROD.role_arn


def test_a_denied_mandatory_refresh_fails_the_call_naming_account_and_role(
    moving_clock: MovingClock,
) -> None:
    clients = _factory(moving_clock)
    ddb = clients.client("dynamodb", "us-west-2", PROD)
    moving_clock.advance(timedelta(minutes=59, seconds=30).total_seconds())  # 30 s left
    with Stubber(clients.home.client("sts")) as sts:
        sts.add_client_error("assume_role", "AccessDenied", "not authorized", 403)
        with pytest.raises(AccountUnavailable, match=r"payments-prod \(210987654321\)"):
            ddb.list_tables()


def test_an_unconfigured_account_is_refused_by_name(moto: None) -> None:
    clients = _factory()
    with pytest.raises(AccountUnavailable, match=r"`payments-dev` is not in opsbot\.toml"):
        clients.client("dynamodb", "us-west-2", "payments-dev")


def test_a_resolved_table_reference_reaches_its_account(moto: None) -> None:
    clients = _factory()
    _create(clients.client("dynamodb", "eu-west-1", STAGING), "carts")
    table = resolve_or_raise(
        TableRef("carts", "eu-west-1", "payments-staging"), ACCOUNTS, "us-west-2"
    )
    described = clients.for_table("dynamodb", table).describe_table(TableName="carts")
    assert described["Table"]["TableArn"].split(":")[4] == STAGING.id


def test_call_counting_hooks_see_member_account_calls(moto: None) -> None:
    clients = _factory()
    seen: list[str] = []
    clients.client("dynamodb", "us-west-2", PROD)  # built before the hook: still counted
    clients.on_event("before-call.dynamodb.*", lambda model, **_: seen.append(model.name))
    clients.client("dynamodb", "us-west-2", PROD).list_tables()
    clients.client("dynamodb", "eu-west-1", STAGING).list_tables()
    clients.client("dynamodb", "us-west-2").list_tables()
    assert seen == ["ListTables", "ListTables", "ListTables"]


def test_the_runtime_keeps_one_account_client_factory(moto: None) -> None:
    runtime = Runtime(replace(base_settings(), accounts=ACCOUNTS))
    first = account_clients(runtime)
    assert account_clients(runtime) is first
    assert first.home is runtime.clients
    assert first.accounts == ACCOUNTS
