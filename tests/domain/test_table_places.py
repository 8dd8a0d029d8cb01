"""Where a typed table may be (the places looked up) and which one it means. Pure."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidValue, TableNotFound
from bot.domain.locations import (
    AmbiguousTable,
    ResolvedTable,
    TableLocation,
    choose_place,
    places_to_search,
    resolve_or_raise,
)
from bot.domain.refs import TableRef
from tests.domain.test_table_refs import ACCOUNTS, HOME, PROD

REGIONS = ("us-west-2", "us-east-1")


def test_a_bare_name_is_looked_for_in_every_managed_region() -> None:
    assert places_to_search(TableRef("orders"), (), REGIONS) == (
        TableLocation("orders", "", "us-west-2"),
        TableLocation("orders", "", "us-east-1"),
    )


def test_a_bare_name_is_looked_for_in_every_account_and_region() -> None:
    searched = places_to_search(TableRef("orders"), ACCOUNTS, REGIONS)
    assert [(p.account_id, p.region) for p in searched] == [
        (HOME.id, "us-west-2"),
        (HOME.id, "us-east-1"),
        (PROD.id, "us-west-2"),
        (PROD.id, "eu-west-1"),
        ("333344445555", "us-west-2"),
    ]


def test_a_named_region_is_looked_for_only_there() -> None:
    searched = places_to_search(TableRef("orders", "eu-west-1"), ACCOUNTS, REGIONS)
    assert searched == (TableLocation("orders", PROD.id, "eu-west-1"),)


def test_a_named_account_needs_no_search() -> None:
    assert (
        places_to_search(TableRef("orders", "us-west-2", "payments-prod"), ACCOUNTS, REGIONS) == ()
    )


@pytest.mark.parametrize(
    ("accounts", "managed"),
    [((), "us-west-2, us-east-1"), (ACCOUNTS, "us-west-2, us-east-1, eu-west-1")],
    ids=["one-account", "accounts"],
)
def test_a_region_opsbot_does_not_manage_is_refused_naming_the_managed_ones(
    accounts: tuple, managed: str
) -> None:
    message = f"opsbot does not manage eu-central-1 (managed: {managed})"
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        places_to_search(TableRef("orders", "eu-central-1"), accounts, REGIONS)
    with pytest.raises(InvalidValue, match="opsbot does not manage eu-central-1"):
        resolve_or_raise(TableRef("orders", "eu-central-1"), accounts, "us-west-2", managed=REGIONS)


def test_found_in_one_place_it_is_answered_there() -> None:
    searched = places_to_search(TableRef("orders"), (), REGIONS)
    chosen = choose_place(TableRef("orders"), [searched[1]], searched, (), "us-west-2")
    assert chosen == ResolvedTable("orders", "us-east-1")


def test_found_in_several_places_the_user_picks() -> None:
    searched = places_to_search(TableRef("orders"), (), REGIONS)
    with pytest.raises(AmbiguousTable) as raised:
        choose_place(TableRef("orders"), searched, searched, (), "us-west-2")
    assert raised.value.choices == ("orders@us-east-1", "orders@us-west-2")


def test_found_nowhere_names_where_opsbot_looked() -> None:
    searched = places_to_search(TableRef("orders"), ACCOUNTS, REGIONS)
    with pytest.raises(TableNotFound) as raised:
        choose_place(TableRef("orders"), [], searched, ACCOUNTS, "us-west-2")
    assert raised.value.message == (
        "There is no table `orders` in ops-central/us-west-2, ops-central/us-east-1, "
        "payments-prod/us-west-2, payments-prod/eu-west-1 or payments-staging/us-west-2. "
        "Check the name."
    )
