"""[[accounts]] in opsbot.toml -> Settings.accounts, or a ConfigError naming accounts[i].key."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config_sections import ConfigError
from bot.domain.accounts import Account
from bot.settings import DEFAULT_CONFIG, load_settings, parse_settings

ROLE = "arn:aws:iam::210987654321:role/opsbot-member"


def _member(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "210987654321",
        "alias": "payments-prod",
        "role_arn": ROLE,
        "external_id": "opsbot-7f3a",
    }
    entry.update(overrides)
    return {key: value for key, value in entry.items() if value is not None}


def _settings(*accounts: dict[str, Any]) -> Any:
    return parse_settings(
        {"aws": {"regions": ["us-west-2", "us-east-1"]}, "accounts": list(accounts)}
    )


def test_accounts_parse_with_regions_defaulting_to_aws_regions() -> None:
    settings = _settings(
        {"id": "123456789012", "alias": "ops-central", "home": True},
        _member(),
        _member(
            id="333344445555",
            alias="payments-staging",
            role_arn="arn:aws:iam::333344445555:role/team/opsbot-member",
            external_id=None,
            regions=["eu-west-1"],
        ),
    )
    assert settings.accounts == (
        Account("123456789012", "ops-central", ("us-west-2", "us-east-1")),
        Account("210987654321", "payments-prod", ("us-west-2", "us-east-1"), ROLE, "opsbot-7f3a"),
        Account(
            "333344445555",
            "payments-staging",
            ("eu-west-1",),
            "arn:aws:iam::333344445555:role/team/opsbot-member",
        ),
    )
    assert settings.accounts[0].is_home
    assert settings.account("payments-prod") == settings.accounts[1]
    assert settings.account("333344445555") == settings.accounts[2]
    assert settings.account("nobody") is None


def test_without_accounts_opsbot_manages_only_its_own_account() -> None:
    assert parse_settings({}).accounts == ()


def test_the_repository_config_documents_accounts_without_enabling_them() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "# [[accounts]]" in text
    assert load_settings(DEFAULT_CONFIG, environ={}).accounts == ()


def test_the_commented_example_in_opsbot_toml_is_valid() -> None:
    lines = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# [[accounts]]"))
    example = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        example.append(line[2:] if line.startswith("# ") else line[1:])
    import tomllib

    raw = tomllib.loads("\n".join(example))
    accounts = parse_settings(raw).accounts
    assert [a.id for a in accounts] == ["123456789012", "210987654321"]
    assert accounts[0].is_home
    assert accounts[1].role_arn == "arn:aws:iam::210987654321:role/opsbot-member"


@pytest.mark.parametrize(
    ("accounts", "key", "expected"),
    [
        ([_member(id=210987654321)], "accounts[0].id", "a 12-digit account id in quotes"),
        ([_member(id="21098765432")], "accounts[0].id", "a 12-digit account id"),
        ([_member(alias="Payments_Prod")], "accounts[0].alias", "lowercase letters, digits"),
        ([_member(alias="us-west-2")], "accounts[0].alias", "neither a region code"),
        ([_member(alias="210987654321")], "accounts[0].alias", "nor an account id"),
        ([_member(role_arn=None)], "accounts[0].role_arn", "an IAM role ARN like arn:aws:iam::"),
        (
            [_member(role_arn="arn:aws:iam::210987654321:user/opsbot")],
            "accounts[0].role_arn",
            "an IAM role ARN",
        ),
        (
            [_member(role_arn="arn:aws:iam::999999999999:role/opsbot-member")],
            "accounts[0].role_arn",
            "a role in account 210987654321",
        ),
        ([_member(external_id="")], "accounts[0].external_id", "a non-empty string"),
        ([_member(regions=[])], "accounts[0].regions", "a non-empty list of region codes"),
        ([_member(regions=["mars"])], "accounts[0].regions", "a non-empty list of region codes"),
        ([_member(colour="blue")], "accounts[0]", "a table with keys"),
        (
            [{"id": "123456789012", "alias": "central", "home": True, "role_arn": ROLE}],
            "accounts[0].role_arn",
            "absent for the home account",
        ),
        ([_member(home="yes")], "accounts[0].home", "true or false"),
        ([_member(), _member(alias="other")], "accounts[1].id", "an account id not listed twice"),
        (
            [
                _member(),
                _member(id="333344445555", role_arn=ROLE.replace("210987654321", "333344445555")),
            ],
            "accounts[1].alias",
            "an alias no other account uses",
        ),
        (
            [
                {"id": "123456789012", "alias": "a-home", "home": True},
                {"id": "123456789013", "alias": "b-home", "home": True},
            ],
            "accounts[1].home",
            "true for at most one account",
        ),
    ],
    ids=[
        "id-as-number",
        "id-short",
        "alias-case",
        "alias-region",
        "alias-id",
        "role-missing",
        "role-not-a-role",
        "role-other-account",
        "external-id-empty",
        "regions-empty",
        "regions-bad",
        "unknown-key",
        "home-with-role",
        "home-not-bool",
        "duplicate-id",
        "duplicate-alias",
        "two-homes",
    ],
)
def test_bad_accounts_name_the_key_and_the_expected_form(
    accounts: list[dict[str, Any]], key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(*accounts)
    assert caught.value.key == key
    assert expected in str(caught.value)


def test_accounts_must_be_a_list_of_tables() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"accounts": {"id": "210987654321"}})
    assert caught.value.key == "accounts"
    assert "[[accounts]]" in str(caught.value)


def test_home_tables_may_name_configured_accounts_by_alias_or_id() -> None:
    settings = parse_settings(
        {
            "accounts": [_member()],
            "home": {"tables": ["orders@payments-prod/us-west-2", "ledger@210987654321/us-east-1"]},
        }
    )
    assert settings.home_tables == (
        "orders@payments-prod/us-west-2",
        "ledger@210987654321/us-east-1",
    )


@pytest.mark.parametrize(
    ("accounts", "known"),
    [([_member()], "known: payments-prod"), ([], "known: none: add [[accounts]]")],
    ids=["unknown-alias", "no-accounts-configured"],
)
def test_home_tables_in_an_unknown_account_fail_at_start_up(
    accounts: list[dict[str, Any]], known: str
) -> None:
    raw: dict[str, Any] = {"home": {"tables": ["orders@payments-prd/us-west-2"]}}
    if accounts:
        raw["accounts"] = accounts
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    assert caught.value.key == "home.tables"
    assert known in str(caught.value)
    assert "orders@payments-prd/us-west-2" in str(caught.value)
