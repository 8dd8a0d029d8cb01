"""Table references across accounts: `table@region`, `table@alias/region`, `table@id/region`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.accounts import Account, account_from_arn, account_label, managed_places
from bot.domain.command_parser import parse_command
from bot.domain.commands import Backups, Restore, Status, WhoChanged, describe
from bot.domain.errors import InvalidValue, UsageError
from bot.domain.locations import (
    Ambiguous,
    AmbiguousTable,
    ResolvedTable,
    TableLocation,
    home_only,
    resolve_or_raise,
    resolve_ref,
    resolve_table_ref,
)
from bot.domain.refs import TableRef

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
HOME = Account("123456789012", "ops-central", ("us-west-2", "us-east-1"))
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
    ("us-west-2",),
    "arn:aws:iam::333344445555:role/opsbot-member",
)
ACCOUNTS = (HOME, PROD, STAGING)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status orders", Status(TableRef("orders"))),
        ("status orders@us-east-1", Status(TableRef("orders", "us-east-1"))),
        (
            "status orders@payments-prod/eu-west-1",
            Status(TableRef("orders", "eu-west-1", "payments-prod")),
        ),
        (
            "status orders@210987654321/us-west-2",
            Status(TableRef("orders", "us-west-2", "210987654321")),
        ),
        (
            "backups orders@payments-prod/eu-west-1 --since 30d --region eu-west-1",
            Backups(TableRef("orders", "eu-west-1", "payments-prod"), timedelta(days=30), "all"),
        ),
        (
            "who-changed orders@payments-prod/us-west-2",
            WhoChanged(
                TableRef("orders", "us-west-2", "payments-prod"),
                timedelta(days=7),
                20,
            ),
        ),
    ],
    ids=["bare", "region", "alias-region", "id-region", "with-matching-region-flag", "who"],
)
def test_table_references_parse_with_an_optional_account(text: str, expected: object) -> None:
    assert parse_command(text, NOW) == expected


def test_account_survives_restore_and_region_defaulting() -> None:
    command = parse_command("restore orders@payments-prod/us-west-2 --latest --to orders-copy", NOW)
    assert isinstance(command, Restore)
    assert command.table == TableRef("orders", "us-west-2", "payments-prod")
    assert TableRef("orders", None, None).in_region("us-west-2") == TableRef("orders", "us-west-2")
    ref = TableRef("orders", "eu-west-1", "payments-prod")
    assert ref.in_region("us-west-2") is ref


def test_table_refs_print_as_typed() -> None:
    assert str(TableRef("orders")) == "orders"
    assert str(TableRef("orders", "us-east-1")) == "orders@us-east-1"
    assert str(TableRef("orders", "us-east-1", "payments-prod")) == (
        "orders@payments-prod/us-east-1"
    )
    command = parse_command("status orders@210987654321/us-west-2", NOW)
    assert describe(command) == "/ddb status orders@210987654321/us-west-2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status orders@Payments/us-west-2", "`Payments` is not an account alias or 12-digit id"),
        ("status orders@/us-west-2", "`orders@/us-west-2` has no account before `/`"),
        ("status orders@payments-prod/", "`orders@payments-prod/` has no region after `/`"),
        ("status orders@payments-prod/mars-1", "`mars-1` is not an AWS region code"),
        ("status orders@payments-prod", "`payments-prod` is not an AWS region code"),
        (
            "status orders@payments-prod/us-west-2 --region us-east-1",
            "the table says `us-west-2` but `--region` says `us-east-1`",
        ),
    ],
    ids=["uppercase-alias", "empty-account", "empty-region", "bad-region", "alias-alone", "clash"],
)
def test_bad_account_references_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text, NOW)
    assert message in caught.value.message
    assert caught.value.usage.startswith("/ddb status")


def test_region_flag_fills_the_region_of_an_account_reference_only_when_missing() -> None:
    command = parse_command("status orders --region eu-west-1", NOW)
    assert command == Status(TableRef("orders", "eu-west-1"))


# ---- resolution ------------------------------------------------------------------------


def test_alias_and_id_resolve_to_the_same_account() -> None:
    by_alias = resolve_table_ref("orders", "payments-prod", "eu-west-1", ACCOUNTS, "us-west-2")
    by_id = resolve_table_ref("orders", "210987654321", "eu-west-1", ACCOUNTS, "us-west-2")
    assert by_alias == by_id == ResolvedTable("orders", "eu-west-1", PROD)
    assert isinstance(by_alias, ResolvedTable)
    assert by_alias.as_ref() == TableRef("orders", "eu-west-1", "payments-prod")


def test_an_account_without_region_uses_the_accounts_first_region() -> None:
    assert resolve_table_ref("orders", "payments-prod", None, ACCOUNTS, "us-east-1") == (
        ResolvedTable("orders", "us-west-2", PROD)
    )


def test_a_bare_name_without_known_tables_keeps_todays_behaviour() -> None:
    assert resolve_table_ref("orders", None, None, ACCOUNTS, "us-west-2") == ResolvedTable(
        "orders", "us-west-2", HOME
    )
    assert resolve_table_ref("orders", None, "eu-west-3", (), "us-west-2") == ResolvedTable(
        "orders", "eu-west-3", None
    )
    assert resolve_ref(TableRef("orders", "us-east-1"), (), "us-west-2") == ResolvedTable(
        "orders", "us-east-1"
    )


def test_a_bare_name_found_in_one_place_resolves_there() -> None:
    known = [
        TableLocation("orders", PROD.id, "eu-west-1"),
        TableLocation("carts", HOME.id, "us-west-2"),
    ]
    assert resolve_table_ref("orders", None, None, ACCOUNTS, "us-west-2", known) == (
        ResolvedTable("orders", "eu-west-1", PROD)
    )


def test_a_bare_name_found_nowhere_falls_back_to_home_so_the_command_says_not_found() -> None:
    known = [TableLocation("carts", PROD.id, "eu-west-1")]
    assert resolve_table_ref("orders", None, None, ACCOUNTS, "us-west-2", known) == (
        ResolvedTable("orders", "us-west-2", HOME)
    )


def test_the_same_name_in_several_accounts_is_ambiguous_not_guessed() -> None:
    known = [
        TableLocation("orders", STAGING.id, "us-west-2"),
        TableLocation("orders", PROD.id, "eu-west-1"),
        TableLocation("orders", PROD.id, "us-west-2"),
        TableLocation("orders", HOME.id, "us-west-2"),
    ]
    result = resolve_table_ref("orders", None, None, ACCOUNTS, "us-west-2", known)
    assert isinstance(result, Ambiguous)
    assert result.choices(ACCOUNTS) == (
        "orders@ops-central/us-west-2",
        "orders@payments-prod/eu-west-1",
        "orders@payments-prod/us-west-2",
        "orders@payments-staging/us-west-2",
    )


def test_a_region_narrows_the_candidates() -> None:
    known = [
        TableLocation("orders", PROD.id, "eu-west-1"),
        TableLocation("orders", PROD.id, "us-west-2"),
        TableLocation("orders", STAGING.id, "us-west-2"),
    ]
    assert resolve_table_ref("orders", None, "eu-west-1", ACCOUNTS, "us-west-2", known) == (
        ResolvedTable("orders", "eu-west-1", PROD)
    )
    narrowed = resolve_table_ref("orders", None, "us-west-2", ACCOUNTS, "us-west-2", known)
    assert isinstance(narrowed, Ambiguous)
    assert len(narrowed.candidates) == 2


def test_an_ambiguous_name_raises_a_short_pick_list() -> None:
    known = [TableLocation("orders", account.id, "us-west-2") for account in ACCOUNTS]
    with pytest.raises(AmbiguousTable) as caught:
        resolve_or_raise(TableRef("orders"), ACCOUNTS, "us-west-2", known)
    assert caught.value.message == (
        "`orders` exists in 3 places. Which one did you mean?\n"
        "• `orders@ops-central/us-west-2`\n"
        "• `orders@payments-prod/us-west-2`\n"
        "• `orders@payments-staging/us-west-2`"
    )
    assert caught.value.choices[1] == "orders@payments-prod/us-west-2"


def test_a_long_pick_list_is_cut_and_counts_the_rest() -> None:
    known = [TableLocation("orders", PROD.id, f"r{i:02d}") for i in range(14)]
    ambiguous = resolve_table_ref("orders", None, None, ACCOUNTS, "us-west-2", known)
    assert isinstance(ambiguous, Ambiguous)
    message = ambiguous.as_error(ACCOUNTS).message
    assert message.count("\n•") == 11
    assert message.endswith("• … and 4 more")


@pytest.mark.parametrize(
    ("account", "region", "accounts", "message"),
    [
        ("payments-dev", None, ACCOUNTS, "`payments-dev` is not a configured account; known"),
        ("999999999999", None, ACCOUNTS, "`999999999999` is not a configured account"),
        ("payments-prod", "ap-south-1", ACCOUNTS, "payments-prod only in us-west-2, eu-west-1"),
        ("payments-prod", None, (), "no accounts are configured"),
    ],
    ids=["unknown-alias", "unknown-id", "unmanaged-region", "nothing-configured"],
)
def test_account_references_that_cannot_resolve_say_why(
    account: str, region: str | None, accounts: tuple[Account, ...], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(")):
        resolve_table_ref("orders", account, region, accounts, "us-west-2")


def test_accounts_show_their_alias_and_the_id_on_demand() -> None:
    assert account_label(PROD.id, ACCOUNTS) == "payments-prod"
    assert account_label(PROD.id, ACCOUNTS, with_id=True) == "payments-prod (210987654321)"
    assert account_label("444455556666", ACCOUNTS) == "444455556666"
    assert account_label("", ACCOUNTS) == ""


def test_the_account_is_read_from_an_arn() -> None:
    arn = "arn:aws:cloudwatch:us-west-2:210987654321:alarm:orders-throttles"
    assert account_from_arn(arn) == "210987654321"
    assert account_from_arn("arn:aws:s3:::bucket") == ""
    assert account_from_arn("not an arn") == ""


def test_fan_out_covers_every_account_and_region() -> None:
    assert managed_places(ACCOUNTS, ("us-west-2",)) == [
        (HOME, "us-west-2"),
        (HOME, "us-east-1"),
        (PROD, "us-west-2"),
        (PROD, "eu-west-1"),
        (STAGING, "us-west-2"),
    ]
    assert managed_places((), ("us-west-2", "us-east-1")) == [
        (None, "us-west-2"),
        (None, "us-east-1"),
    ]
    assert managed_places((PROD,), ("us-east-1",)) == [
        (None, "us-east-1"),
        (PROD, "us-west-2"),
        (PROD, "eu-west-1"),
    ]


def test_code_that_is_not_account_aware_refuses_member_accounts() -> None:
    assert home_only(TableRef("orders", "us-west-2"), ACCOUNTS) == TableRef("orders", "us-west-2")
    home_ref = TableRef("orders", "us-west-2", "ops-central")
    assert home_only(home_ref, ACCOUNTS) == TableRef("orders", "us-west-2")
    with pytest.raises(InvalidValue) as caught:
        home_only(TableRef("orders", "us-west-2", "payments-prod"), ACCOUNTS)
    assert caught.value.message == (
        "`orders@payments-prod/us-west-2`: this command works only in "
        "ops-central (123456789012) so far, not in payments-prod (210987654321)"
    )
