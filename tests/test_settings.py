"""opsbot.toml and the environment -> Settings, or a ConfigError naming the key and the form."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config_sections import ConfigError
from bot.domain.authz import Role
from bot.settings import DEFAULT_CONFIG, load_settings, parse_settings


def test_the_repository_config_loads() -> None:
    settings = load_settings(DEFAULT_CONFIG, environ={})
    assert settings.regions == ("us-west-2", "us-east-1")
    assert settings.default_region == "us-west-2"
    assert settings.channels.for_kind("alarms") == "#opsbot-alarms"
    assert settings.routes[0].channel == "#orders-oncall"
    assert settings.routes[0].mention == "here"
    assert settings.access.role_of("U0ADMIN01") == Role.ADMIN
    assert settings.access.role_of("U0X000001", groups=frozenset({"S0DBAOPS1"})) == Role.OPERATOR
    assert settings.retention_tables["orders"].startswith("keep-last=3")
    assert settings.backup_max_age == timedelta(days=2)
    assert settings.confirm_ttl == timedelta(minutes=15)
    assert settings.prune_mode == "report"
    assert settings.state_table == "opsbot-state"


def test_without_opsbot_config_the_bundled_file_is_read() -> None:
    assert load_settings(environ={}) == load_settings(DEFAULT_CONFIG, environ={})


def test_opsbot_config_points_at_another_file(tmp_path: Path) -> None:
    path = tmp_path / "opsbot.toml"
    path.write_text('[aws]\nregions = ["eu-central-1"]\n', encoding="utf-8")
    assert load_settings(environ={"OPSBOT_CONFIG": str(path)}).regions == ("eu-central-1",)


@pytest.mark.parametrize(
    ("env", "attribute", "expected"),
    [
        ({"OPSBOT_REGIONS": "eu-west-1, ap-south-1"}, "regions", ("eu-west-1", "ap-south-1")),
        ({"OPSBOT_STATE_TABLE": "opsbot-state-prod"}, "state_table", "opsbot-state-prod"),
        ({"OPSBOT_PRUNE_MODE": "delete"}, "prune_mode", "delete"),
        (
            {"OPSBOT_SLACK_API_URL": "http://127.0.0.1:9/api/"},
            "slack_api_url",
            "http://127.0.0.1:9/api/",
        ),
        ({"OPSBOT_WORK_QUEUE_URL": "https://sqs/q"}, "work_queue_url", "https://sqs/q"),
        ({"OPSBOT_STATE_TABLE": ""}, "state_table", "opsbot-state"),
    ],
    ids=[
        "regions-comma-list",
        "state-table",
        "prune-mode",
        "slack-api-url",
        "work-queue",
        "empty-is-ignored",
    ],
)
def test_environment_overrides_the_file(
    env: dict[str, str], attribute: str, expected: object
) -> None:
    assert getattr(load_settings(DEFAULT_CONFIG, environ=env), attribute) == expected


def test_bad_environment_override_is_refused_like_bad_config() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(DEFAULT_CONFIG, environ={"OPSBOT_REGIONS": "us-west-2,mars-1"})
    assert raised.value.key == "aws.regions"


@pytest.mark.parametrize(
    ("raw", "key", "expected_form"),
    [
        ({"slak": {}}, "slak", "one of the sections"),
        ({"aws": {"region": ["us-west-2"]}}, "aws.region", "one of endpoint_url, regions"),
        ({"aws": {"regions": ["mars-1"]}}, "aws.regions", "region codes like us-west-2"),
        ({"aws": {"regions": []}}, "aws.regions", "a non-empty list of region codes"),
        ({"aws": {"regions": "us-west-2"}}, "aws.regions", "a non-empty list of region codes"),
        ({"aws": "us-west-2"}, "aws", "a table ([section])"),
        (
            {"backups": {"max_age": "2 days"}},
            "backups.max_age",
            "a duration like 90m, 12h, 30d or 2w",
        ),
        ({"confirm": {"ttl": 15}}, "confirm.ttl", "a duration like 90m, 12h, 30d or 2w"),
        (
            {"routes": [{"when": "table == ", "channel": "#x"}]},
            "routes[0].when",
            "a valid JMESPath expression",
        ),
        (
            {"routes": [{"when": 3, "channel": "#x"}]},
            "routes[0].when",
            "a JMESPath expression string",
        ),
        (
            {"routes": [{"when": "a", "channel": "#x", "mention": "everyone"}]},
            "routes[0].mention",
            '"here" or "channel"',
        ),
        (
            {"routes": [{"when": "a", "channel": "#x", "ping": "here"}]},
            "routes[0]",
            "a table with `when`, `channel` and optional `mention`",
        ),
        ({"routes": {"when": "a"}}, "routes", "a list of [[routes]] tables"),
        ({"roles": {"superuser": {"users": ["U0X000001"]}}}, "roles.superuser", "one of admin"),
        ({"roles": {"default": "boss"}}, "roles.default", "viewer, operator or admin"),
        ({"roles": {"admin": {"users": ["bob"]}}}, "roles.admin.users", "a list of Slack ids"),
        ({"roles": {"admin": {"people": []}}}, "roles.admin", "a table with `users`, `groups`"),
        ({"permissions": {"backup": "root"}}, "permissions.backup", "viewer, operator or admin"),
        ({"permissions": {"drop": "admin"}}, "permissions.drop", "one of "),
        (
            {"channels": {"alarms": "general"}},
            "channels.alarms",
            "a Slack channel id (C0123ABCD) or #name",
        ),
        (
            {"routes": [{"when": "a", "channel": "oncall"}]},
            "routes[0].channel",
            "a Slack channel id (C0123ABCD) or #name",
        ),
        (
            {"audit": {"severity": {"DeleteTable": "urgent"}}},
            "audit.severity.DeleteTable",
            "one of critical, security, warning, info, ignore",
        ),
        ({"audit": {"history_days": 0}}, "audit.history_days", "a whole number >= 1"),
        ({"audit": {"include_read_only": "yes"}}, "audit.include_read_only", "true or false"),
        (
            {"backups": {"price_per_gb_month": -0.1}},
            "backups.price_per_gb_month",
            "a number >= 0 (USD)",
        ),
        ({"prune": {"mode": "nuke"}}, "prune.mode", "one of report, delete"),
        ({"state": {"table": 5}}, "state.table", "a string"),
        (
            {"retention": {"tables": {"orders": 7}}},
            "retention.tables",
            'table name = "policy" strings',
        ),
        (
            {"approvals": {"actions": "pitr:off"}},
            "approvals.actions",
            'a list of actions that ask for confirmation, like ["pitr:off", "prune:apply"]',
        ),
        (
            {"approvals": {"actions": ["backup"]}},
            "approvals.actions",
            "(any of alarms:recommend, drill, export, import, pitr:off, prune:apply, "
            "replicas:add, replicas:remove, restore) (got 'backup')",
        ),
        (
            {"approvals": {"actions": ["pitr off"]}},
            "approvals.actions",
            "(got 'pitr off')",
        ),
        ({"approvals": {"who": ["U0ADMIN01"]}}, "approvals.who", "one of actions"),
        ({"approvals": ["pitr:off"]}, "approvals", "a table ([section])"),
        ({"alarms": {"late_after": "soon"}}, "alarms.late_after", "a duration like 90m"),
        ({"alarms": {"late_after": 15}}, "alarms.late_after", "a duration like 90m"),
        (
            {"alarms": {"late": "15m"}},
            "alarms.late",
            "one of changes_window, late_after, storm_count, storm_minutes",
        ),
        ({"alarms": {"changes_window": "a while"}}, "alarms.changes_window", "a duration"),
        ({"alarms": {"storm_count": 0}}, "alarms.storm_count", "a whole number >= 1"),
        ({"alarms": {"storm_minutes": "5m"}}, "alarms.storm_minutes", "a whole number >= 1"),
        ({"owners": ["carol"]}, "owners", 'a table of name = "U0123ABCD"'),
        ({"owners": {"carol": "<!channel>"}}, "owners.carol", "a Slack user id (U0123ABCD"),
        ({"owners": {"carol": "C0CHANNEL1"}}, "owners.carol", "or group id (S0123ABCD)"),
        ({"owners": {"<!here>": "U0CAROL01"}}, "owners.<!here>", "a name of letters"),
    ],
    ids=[
        "unknown-section",
        "unknown-key",
        "region-mars",
        "regions-empty",
        "regions-not-a-list",
        "section-not-a-table",
        "bad-duration",
        "duration-without-unit",
        "route-bad-jmespath",
        "route-when-not-a-string",
        "route-bad-mention",
        "route-unknown-key",
        "routes-not-a-list",
        "bad-role-name",
        "bad-default-role",
        "bad-user-id",
        "role-unknown-key",
        "bad-permission-role",
        "unknown-permission-action",
        "bad-channel",
        "bad-route-channel",
        "bad-severity",
        "history-days-zero",
        "bool-as-string",
        "price-negative",
        "bad-prune-mode",
        "state-table-not-a-string",
        "retention-policy-not-a-string",
        "approvals-not-a-list",
        "approval-of-an-action-without-confirmation",
        "approval-of-a-misspelled-action",
        "approvals-unknown-key",
        "approvals-not-a-table",
        "alarms-late-after-not-a-duration",
        "alarms-late-after-a-bare-number",
        "alarms-unknown-key",
        "alarms-changes-window-not-a-duration",
        "alarms-storm-count-zero",
        "alarms-storm-minutes-a-duration",
        "owners-not-a-table",
        "owners-a-mention",
        "owners-a-channel",
        "owners-name-a-mention",
    ],
)
def test_bad_config_names_the_key_and_the_expected_form(
    raw: dict[str, object], key: str, expected_form: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw)
    assert raised.value.key == key
    assert f"`{key}` must be" in str(raised.value)
    assert expected_form in str(raised.value)


def test_opsbot_config_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"OPSBOT_CONFIG": str(missing)})
    assert raised.value.key == "OPSBOT_CONFIG"
    assert "the path of an existing TOML file" in str(raised.value)
    assert str(missing) in str(raised.value)


def test_broken_toml_is_refused_with_the_file_and_the_parser_message(tmp_path: Path) -> None:
    path = tmp_path / "opsbot.toml"
    path.write_text('[aws]\nregions = ["us-west-2"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})
    assert raised.value.key == str(path)
    assert "valid TOML" in str(raised.value)
    assert "Unclosed array" in str(raised.value)


def test_empty_config_gives_the_defaults() -> None:
    settings = parse_settings({})
    assert settings.regions == ("us-east-1",)
    assert settings.channels.for_kind("audit") == "#opsbot"
    assert settings.access.required_role("pitr:off") == Role.ADMIN
    assert settings.backup_price_per_gb_month == 0.10


def test_misspelled_retention_policy_fails_at_start_up() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({"retention": {"default": "keep-dialy=7"}})
    assert raised.value.key == "retention.default"
    assert "keep-dialy=7" in str(raised.value)


def test_bad_per_table_retention_policy_names_the_table() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({"retention": {"tables": {"orders": "keep-daily=0"}}})
    assert raised.value.key == "retention.tables.orders"
    assert "keep-daily" in str(raised.value)


def test_valid_and_empty_retention_policies_are_kept_as_written() -> None:
    settings = parse_settings(
        {"retention": {"default": "", "tables": {"orders": "keep-daily=7,keep-within=30d"}}}
    )
    assert settings.retention_default == ""
    assert settings.retention_tables == {"orders": "keep-daily=7,keep-within=30d"}


def test_no_action_needs_an_approval_by_default() -> None:
    assert parse_settings({}).approvals == frozenset()
    assert load_settings(DEFAULT_CONFIG, environ={}).approvals == frozenset()


def test_the_approvals_example_in_opsbot_toml_is_valid() -> None:
    lines = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("# [approvals]")))
    example = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        example.append(line.removeprefix("#").removeprefix(" "))
    settings = parse_settings(tomllib.loads("\n".join(example)))
    assert settings.approvals == {"pitr:off", "prune:apply"}


def test_alarms_late_after_is_a_duration_of_15_minutes_unless_set() -> None:
    assert parse_settings({}).alarm_late_after == timedelta(minutes=15)
    assert load_settings(DEFAULT_CONFIG, environ={}).alarm_late_after == timedelta(minutes=15)
    late = parse_settings({"alarms": {"late_after": "1h"}})
    assert late.alarm_late_after == timedelta(hours=1)


def test_alarm_context_settings_have_their_defaults_and_read_owners() -> None:
    default = parse_settings({})
    assert default.alarm_changes_window == timedelta(hours=2)
    assert (default.alarm_storm_count, default.alarm_storm_window) == (5, timedelta(minutes=5))
    assert default.owners == {}
    configured = parse_settings(
        {
            "alarms": {"changes_window": "30m", "storm_count": 10, "storm_minutes": 2},
            "owners": {"orders-team": "S0ORDERS1", "carol": "W0CAROL01"},
        }
    )
    assert configured.alarm_changes_window == timedelta(minutes=30)
    assert (configured.alarm_storm_count, configured.alarm_storm_window) == (
        10,
        timedelta(minutes=2),
    )
    assert configured.owners == {"orders-team": "S0ORDERS1", "carol": "W0CAROL01"}
