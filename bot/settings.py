"""One frozen Settings object, read from opsbot.toml and overridden by the environment.

A wrong key or value fails at start-up with a ConfigError that names the key and the
expected form; nothing here touches the network.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from bot.domain.accounts import ACCOUNT_ID, ALIAS, ROLE_ARN, Account, find_account
from bot.domain.authz import DEFAULT_PERMISSIONS, AccessPolicy, Grants, Role
from bot.domain.errors import InvalidValue
from bot.domain.policy import POLICY_FORM, parse_policy
from bot.domain.records import frozen
from bot.domain.refs import parse_watched_table
from bot.domain.regions import region_code
from bot.domain.times import parse_duration

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "opsbot.toml"
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$|^#[a-z0-9_-]{1,80}$")
_SLACK_ID = re.compile(r"^[UWSC][A-Z0-9]{2,}$")
SEVERITIES = ("critical", "security", "warning", "info", "ignore")


class ConfigError(Exception):
    """Bad configuration: names the key and the expected form."""

    def __init__(self, key: str, expected: str, got: object = None) -> None:
        shown = f" (got {got!r})" if got is not None else ""
        super().__init__(f"opsbot config: `{key}` must be {expected}{shown}")
        self.key = key


@frozen
class Route:
    """Send an event to ``channel`` when the JMESPath ``when`` is truthy over it."""

    when: str
    channel: str
    mention: str | None = None  # "here" or "channel": pinged on ALARM / critical


@frozen
class Channels:
    """Where each kind of message goes unless a route says otherwise."""

    default: str = "#opsbot"
    alarms: str | None = None
    audit: str | None = None
    backups: str | None = None

    def for_kind(self, kind: str) -> str:
        """The channel for 'alarms', 'audit' or 'backups', falling back to the default."""
        return getattr(self, kind, None) or self.default


@frozen
class Settings:
    """Everything opsbot reads from configuration."""

    regions: tuple[str, ...] = ("us-east-1",)
    channels: Channels = field(default_factory=Channels)
    routes: tuple[Route, ...] = ()
    access: AccessPolicy = field(default_factory=AccessPolicy)
    retention_default: str = ""
    retention_tables: Mapping[str, str] = field(default_factory=dict)
    audit_severity: Mapping[str, str] = field(default_factory=dict)
    audit_include_read_only: bool = False
    audit_include_data_events: bool = False
    history_days: int = 400
    backup_price_per_gb_month: float = 0.10
    backup_max_age: timedelta = timedelta(days=2)
    prune_mode: str = "report"
    restore_slow_after: timedelta = timedelta(minutes=90)
    restore_poll_every: timedelta = timedelta(minutes=5)
    confirm_ttl: timedelta = timedelta(minutes=15)
    late_after: timedelta = timedelta(minutes=5)
    state_table: str = "opsbot-state"
    work_queue_url: str = ""
    restore_queue_url: str = ""
    prune_queue_url: str = ""
    alarm_topic_arn: str = ""
    slack_secret_id: str = ""
    aws_endpoint_url: str | None = None
    slack_api_url: str | None = None
    home_tables: tuple[str, ...] = ()  # App Home cards: "orders" or "orders@us-west-2"
    accounts: tuple[Account, ...] = ()  # [[accounts]]; empty: only the account opsbot runs in

    @property
    def default_region(self) -> str:
        """The first configured region: where a table without `@region` is looked up."""
        return self.regions[0]

    def account(self, key: str) -> Account | None:
        """The configured account with this id or alias (None when there is none)."""
        return find_account(self.accounts, key)


# Environment variables that override keys of opsbot.toml (deploy-time values).
ENV_OVERRIDES: Mapping[str, str] = {
    "OPSBOT_REGIONS": "aws.regions",
    "OPSBOT_STATE_TABLE": "state.table",
    "OPSBOT_WORK_QUEUE_URL": "state.work_queue_url",
    "OPSBOT_RESTORE_QUEUE_URL": "state.restore_queue_url",
    "OPSBOT_PRUNE_QUEUE_URL": "state.prune_queue_url",
    "OPSBOT_ALARM_TOPIC_ARN": "state.alarm_topic_arn",
    "OPSBOT_SLACK_SECRET_ID": "slack.secret_id",
    "OPSBOT_AWS_ENDPOINT_URL": "aws.endpoint_url",
    "OPSBOT_SLACK_API_URL": "slack.api_url",
    "OPSBOT_DEFAULT_CHANNEL": "channels.default",
    "OPSBOT_PRUNE_MODE": "prune.mode",
}

_KNOWN: Mapping[str, frozenset[str]] = {
    "aws": frozenset({"regions", "endpoint_url"}),
    "slack": frozenset({"secret_id", "api_url", "late_after"}),
    "channels": frozenset({"default", "alarms", "audit", "backups"}),
    "routes": frozenset(),
    "accounts": frozenset(),
    "roles": frozenset({"default", "admin", "operator", "viewer"}),
    "permissions": frozenset(DEFAULT_PERMISSIONS),
    "retention": frozenset({"default", "tables"}),
    "audit": frozenset({"include_read_only", "include_data_events", "history_days", "severity"}),
    "backups": frozenset({"price_per_gb_month", "max_age"}),
    "prune": frozenset({"mode"}),
    "restore": frozenset({"slow_after", "poll_every"}),
    "confirm": frozenset({"ttl"}),
    "home": frozenset({"tables"}),
    "state": frozenset(
        {"table", "work_queue_url", "restore_queue_url", "prune_queue_url", "alarm_topic_arn"}
    ),
}


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read opsbot.toml (OPSBOT_CONFIG or the bundled file) and apply environment overrides."""
    env = os.environ if environ is None else environ
    config_path = Path(path or env.get("OPSBOT_CONFIG") or DEFAULT_CONFIG)
    try:
        raw: dict[str, Any] = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path or env.get("OPSBOT_CONFIG"):
            raise ConfigError(
                "OPSBOT_CONFIG", "the path of an existing TOML file", str(config_path)
            ) from None
        raw = {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(config_path), f"valid TOML ({exc})") from None
    for var, dotted in ENV_OVERRIDES.items():
        if env.get(var):
            section, key = dotted.split(".")
            value: Any = env[var]
            if dotted == "aws.regions":
                value = [r.strip() for r in value.split(",") if r.strip()]
            raw.setdefault(section, {})[key] = value
    return parse_settings(raw)


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Validate a decoded TOML document into Settings, or raise ConfigError."""
    for section, value in raw.items():
        if section not in _KNOWN:
            raise ConfigError(section, f"one of the sections {', '.join(sorted(_KNOWN))}")
        known = _KNOWN[section]
        if section in ("routes", "accounts"):
            continue
        if not isinstance(value, dict):
            raise ConfigError(section, "a table ([section])")
        for key in value:
            if known and key not in known:
                raise ConfigError(f"{section}.{key}", f"one of {', '.join(sorted(known))}")
    aws, slack, state = _table(raw, "aws"), _table(raw, "slack"), _table(raw, "state")
    audit, backups = _table(raw, "audit"), _table(raw, "backups")
    regions = _regions(aws.get("regions", ["us-east-1"]))
    accounts = _accounts(raw.get("accounts", []), regions)
    return Settings(
        regions=regions,
        channels=_channels(_table(raw, "channels")),
        routes=_routes(raw.get("routes", [])),
        access=_access(_table(raw, "roles"), _table(raw, "permissions")),
        retention_default=_policy(
            _str(_table(raw, "retention"), "retention", "default", ""), "retention.default"
        ),
        retention_tables=_policies(
            _str_map(_table(raw, "retention").get("tables", {}), "retention.tables")
        ),
        audit_severity=_severities(audit.get("severity", {})),
        audit_include_read_only=_bool(audit, "audit", "include_read_only", False),
        audit_include_data_events=_bool(audit, "audit", "include_data_events", False),
        history_days=_int(audit, "audit", "history_days", 400, minimum=1),
        backup_price_per_gb_month=_float(backups, "backups", "price_per_gb_month", 0.10),
        backup_max_age=_duration(backups, "backups", "max_age", "2d"),
        prune_mode=_choice(_table(raw, "prune"), "prune", "mode", ("report", "delete"), "report"),
        restore_slow_after=_duration(_table(raw, "restore"), "restore", "slow_after", "90m"),
        restore_poll_every=_duration(_table(raw, "restore"), "restore", "poll_every", "5m"),
        confirm_ttl=_duration(_table(raw, "confirm"), "confirm", "ttl", "15m"),
        late_after=_duration(slack, "slack", "late_after", "5m"),
        state_table=_str(state, "state", "table", "opsbot-state") or "opsbot-state",
        work_queue_url=_str(state, "state", "work_queue_url", ""),
        restore_queue_url=_str(state, "state", "restore_queue_url", ""),
        prune_queue_url=_str(state, "state", "prune_queue_url", ""),
        alarm_topic_arn=_str(state, "state", "alarm_topic_arn", ""),
        slack_secret_id=_str(slack, "slack", "secret_id", ""),
        aws_endpoint_url=_str(aws, "aws", "endpoint_url", "") or None,
        slack_api_url=_str(slack, "slack", "api_url", "") or None,
        home_tables=_home_tables(_table(raw, "home").get("tables", []), accounts),
        accounts=accounts,
    )


def _table(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    return value if isinstance(value, dict) else {}


def _str(section: Mapping[str, Any], name: str, key: str, default: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{name}.{key}", "a string", value)
    return value


def _bool(section: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{name}.{key}", "true or false", value)
    return value


def _int(section: Mapping[str, Any], name: str, key: str, default: int, *, minimum: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name}.{key}", f"a whole number >= {minimum}", value)
    return value


def _float(section: Mapping[str, Any], name: str, key: str, default: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{name}.{key}", "a number >= 0 (USD)", value)
    return float(value)


def _duration(section: Mapping[str, Any], name: str, key: str, default: str) -> timedelta:
    value = section.get(key, default)
    try:
        return parse_duration(str(value))
    except InvalidValue:
        raise ConfigError(f"{name}.{key}", "a duration like 90m, 12h, 30d or 2w", value) from None


def _choice(
    section: Mapping[str, Any], name: str, key: str, choices: tuple[str, ...], default: str
) -> str:
    value = section.get(key, default)
    if value not in choices:
        raise ConfigError(f"{name}.{key}", f"one of {', '.join(choices)}", value)
    return str(value)


def _regions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "aws.regions", 'a non-empty list of region codes like ["us-west-2"]', value
        )
    for region in value:
        if region_code(region) is None:
            raise ConfigError("aws.regions", "region codes like us-west-2", region)
    return tuple(value)


def _channel(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _CHANNEL.fullmatch(value):
        raise ConfigError(key, "a Slack channel id (C0123ABCD) or #name", value)
    return value


def _channels(section: Mapping[str, Any]) -> Channels:
    values = {key: _channel(value, f"channels.{key}") for key, value in section.items()}
    return Channels(**values)


def _routes(value: Any) -> tuple[Route, ...]:
    if not isinstance(value, list):
        raise ConfigError("routes", "a list of [[routes]] tables with `when` and `channel`", value)
    routes = []
    for index, item in enumerate(value):
        key = f"routes[{index}]"
        if not isinstance(item, dict) or set(item) - {"when", "channel", "mention"}:
            raise ConfigError(key, "a table with `when`, `channel` and optional `mention`", item)
        when = item.get("when")
        if not isinstance(when, str):
            raise ConfigError(f"{key}.when", "a JMESPath expression string", when)
        try:
            jmespath.compile(when)
        except JMESPathError as exc:
            raise ConfigError(f"{key}.when", f"a valid JMESPath expression ({exc})", when) from None
        mention = item.get("mention")
        if mention not in (None, "here", "channel"):
            raise ConfigError(f"{key}.mention", '"here" or "channel"', mention)
        routes.append(Route(when, _channel(item.get("channel"), f"{key}.channel"), mention))
    return tuple(routes)


def _ids(value: Any, key: str, pattern: re.Pattern[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and pattern.fullmatch(v) for v in value
    ):
        raise ConfigError(key, "a list of Slack ids like U0123ABCD", value)
    return frozenset(value)


def _access(roles: Mapping[str, Any], permissions: Mapping[str, Any]) -> AccessPolicy:
    grants: dict[Role, Grants] = {}
    for name, value in roles.items():
        if name == "default":
            continue
        if not isinstance(value, dict) or set(value) - {"users", "groups", "channels"}:
            raise ConfigError(
                f"roles.{name}", "a table with `users`, `groups` and `channels` lists", value
            )
        grants[Role.parse(name)] = Grants(
            users=_ids(value.get("users", []), f"roles.{name}.users", _SLACK_ID),
            groups=_ids(value.get("groups", []), f"roles.{name}.groups", _SLACK_ID),
            channels=_ids(value.get("channels", []), f"roles.{name}.channels", _SLACK_ID),
        )
    default = roles.get("default", "viewer")
    try:
        default_role = Role.parse(str(default))
    except ValueError:
        raise ConfigError("roles.default", "viewer, operator or admin", default) from None
    merged = dict(DEFAULT_PERMISSIONS)
    for action, role in permissions.items():
        try:
            merged[action] = Role.parse(str(role))
        except ValueError:
            raise ConfigError(f"permissions.{action}", "viewer, operator or admin", role) from None
    return AccessPolicy(grants=grants, default_role=default_role, permissions=merged)


def _str_map(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(key, 'a table of table name = "policy" strings', value)
    return dict(value)


def _policy(text: str, key: str) -> str:
    """The policy text itself when parse_policy accepts it (empty means no policy)."""
    if text.strip():
        try:
            parse_policy(text)
        except InvalidValue as exc:
            raise ConfigError(
                key, f"a retention policy: {POLICY_FORM} ({exc.message})", text
            ) from None
    return text


def _policies(tables: dict[str, str]) -> dict[str, str]:
    return {name: _policy(text, f"retention.tables.{name}") for name, text in tables.items()}


def _home_tables(value: Any, accounts: tuple[Account, ...]) -> tuple[str, ...]:
    expected = 'a list of tables like ["orders", "orders@us-west-2"]'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("home.tables", expected, value)
    for text in value:
        try:
            ref = parse_watched_table(text)
        except InvalidValue:
            raise ConfigError("home.tables", expected, text) from None
        if ref.account and find_account(accounts, ref.account) is None:
            # Found here, not as an error card on everyone's App Home later.
            known = ", ".join(a.alias for a in accounts) or "none: add [[accounts]]"
            raise ConfigError(
                "home.tables", f"tables in configured accounts (known: {known})", text
            )
    return tuple(value)


def _severities(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("audit.severity", "a table of EventName = severity", value)
    for action, severity in value.items():
        if severity not in SEVERITIES:
            raise ConfigError(
                f"audit.severity.{action}", f"one of {', '.join(SEVERITIES)}", severity
            )
    return dict(value)


_ACCOUNT_KEYS = frozenset({"id", "alias", "home", "role_arn", "external_id", "regions"})


def _accounts(value: Any, default_regions: tuple[str, ...]) -> tuple[Account, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            "accounts", "a list of [[accounts]] tables with `id`, `alias` and `role_arn`", value
        )
    accounts: list[Account] = []
    for index, item in enumerate(value):
        key = f"accounts[{index}]"
        if not isinstance(item, dict) or set(item) - _ACCOUNT_KEYS:
            raise ConfigError(key, f"a table with keys {', '.join(sorted(_ACCOUNT_KEYS))}", item)
        account = _account(item, key, default_regions)
        for earlier in accounts:
            if earlier.id == account.id:
                raise ConfigError(f"{key}.id", "an account id not listed twice", account.id)
            if earlier.alias == account.alias:
                raise ConfigError(f"{key}.alias", "an alias no other account uses", account.alias)
            if earlier.is_home and account.is_home:
                raise ConfigError(f"{key}.home", "true for at most one account", True)
        accounts.append(account)
    return tuple(accounts)


def _account(item: Mapping[str, Any], key: str, default_regions: tuple[str, ...]) -> Account:
    account_id = item.get("id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(
            f"{key}.id", 'a 12-digit account id in quotes, like "123456789012"', account_id
        )
    alias = item.get("alias")
    if (
        not isinstance(alias, str)
        or not ALIAS.fullmatch(alias)
        or ACCOUNT_ID.fullmatch(alias)
        or region_code(alias)
    ):
        raise ConfigError(
            f"{key}.alias",
            "lowercase letters, digits and `-` (like payments-prod), "
            "neither a region code nor an account id",
            alias,
        )
    home = _bool(item, key, "home", False)
    role_arn = item.get("role_arn")
    if home:
        if role_arn is not None or "external_id" in item:
            raise ConfigError(
                f"{key}.role_arn", "absent for the home account (opsbot runs there)", role_arn
            )
    else:
        match = ROLE_ARN.fullmatch(role_arn) if isinstance(role_arn, str) else None
        if match is None:
            raise ConfigError(
                f"{key}.role_arn",
                f"an IAM role ARN like arn:aws:iam::{account_id}:role/opsbot-member "
                "(or `home = true` for the account opsbot runs in)",
                role_arn,
            )
        if match["account"] != account_id:
            raise ConfigError(
                f"{key}.role_arn", f"a role in account {account_id} (the `id` above)", role_arn
            )
    external_id = item.get("external_id")
    if external_id is not None and (not isinstance(external_id, str) or not external_id):
        raise ConfigError(f"{key}.external_id", "a non-empty string", external_id)
    regions = default_regions
    if "regions" in item:
        try:
            regions = _regions(item["regions"])
        except ConfigError:
            raise ConfigError(
                f"{key}.regions",
                'a non-empty list of region codes like ["us-west-2"]',
                item["regions"],
            ) from None
    return Account(account_id, alias, regions, role_arn if not home else None, external_id)
