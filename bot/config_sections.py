"""The sections of opsbot.toml, one reader each: a reader checks its part of the document
and returns its value (the channels, the routes, the access policy, the accounts, ...) or
raises a ConfigError naming the key and the expected form. bot/settings.py puts their values
together into Settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from bot.domain.accounts import ACCOUNT_ID, ALIAS, ROLE_ARN, Account, find_account
from bot.domain.authz import CONFIRMED_ACTIONS, DEFAULT_PERMISSIONS, AccessPolicy, Grants, Role
from bot.domain.errors import InvalidValue
from bot.domain.patterns import Lazy
from bot.domain.policy import POLICY_FORM, parse_policy
from bot.domain.records import frozen
from bot.domain.refs import BUCKET_NAME, parse_watched_table
from bot.domain.regions import region_code
from bot.domain.times import parse_duration

_CHANNEL = Lazy(r"^[CGD][A-Z0-9]{2,}$|^#[a-z0-9_-]{1,80}$")
_SLACK_ID = Lazy(r"^[UWSC][A-Z0-9]{2,}$")
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


def table_of(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The [name] table of the document ({} when it is absent or not a table)."""
    value = raw.get(name, {})
    return value if isinstance(value, dict) else {}


def read_str(section: Mapping[str, Any], name: str, key: str, default: str) -> str:
    """``name.key`` as a string (``default`` when absent)."""
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{name}.{key}", "a string", value)
    return value


def read_bool(section: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    """``name.key`` as true or false (``default`` when absent)."""
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{name}.{key}", "true or false", value)
    return value


def read_int(section: Mapping[str, Any], name: str, key: str, default: int, *, minimum: int) -> int:
    """``name.key`` as a whole number of at least ``minimum`` (``default`` when absent)."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name}.{key}", f"a whole number >= {minimum}", value)
    return value


def read_float(section: Mapping[str, Any], name: str, key: str, default: float) -> float:
    """``name.key`` as a number >= 0, a price in USD (``default`` when absent)."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{name}.{key}", "a number >= 0 (USD)", value)
    return float(value)


def read_duration(section: Mapping[str, Any], name: str, key: str, default: str) -> timedelta:
    """``name.key`` as a duration like 90m or 2d (``default`` when absent)."""
    value = section.get(key, default)
    try:
        return parse_duration(str(value))
    except InvalidValue:
        raise ConfigError(f"{name}.{key}", "a duration like 90m, 12h, 30d or 2w", value) from None


def read_choice(
    section: Mapping[str, Any], name: str, key: str, choices: tuple[str, ...], default: str
) -> str:
    """``name.key`` as one of ``choices`` (``default`` when absent)."""
    value = section.get(key, default)
    if value not in choices:
        raise ConfigError(f"{name}.{key}", f"one of {', '.join(choices)}", value)
    return str(value)


def read_regions(value: Any) -> tuple[str, ...]:
    """``aws.regions``: a non-empty list of region codes."""
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


def read_channels(section: Mapping[str, Any]) -> Channels:
    """``[channels]``: a Slack channel id or #name for each kind of message."""
    values = {key: _channel(value, f"channels.{key}") for key, value in section.items()}
    return Channels(**values)


def read_routes(value: Any) -> tuple[Route, ...]:
    """``[[routes]]``: each a JMESPath ``when``, a ``channel`` and an optional ``mention``."""
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


def _ids(value: Any, key: str, pattern: Lazy) -> frozenset[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and pattern.fullmatch(v) for v in value
    ):
        raise ConfigError(key, "a list of Slack ids like U0123ABCD", value)
    return frozenset(value)


def read_access(roles: Mapping[str, Any], permissions: Mapping[str, Any]) -> AccessPolicy:
    """``[roles]`` and ``[permissions]``: who holds which role, and the role each action needs."""
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


def read_approvals(section: Mapping[str, Any]) -> frozenset[str]:
    """``[approvals] actions``: the confirmed actions that also need a second person."""
    value = section.get("actions", [])
    expected = (
        'a list of actions that ask for confirmation, like ["pitr:off", "prune:apply"] '
        f"(any of {', '.join(sorted(CONFIRMED_ACTIONS))})"
    )
    if not isinstance(value, list):
        raise ConfigError("approvals.actions", expected, value)
    for action in value:
        if action not in CONFIRMED_ACTIONS:
            raise ConfigError("approvals.actions", expected, action)
    return frozenset(value)


_OWNER_ID = Lazy(r"^[UW][A-Z0-9]{2,}$|^S[A-Z0-9]{2,}$")
_OWNER_NAME = Lazy(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def read_owners(value: Any) -> dict[str, str]:
    """``[owners]``: names an `opsbot:owner` tag may hold, each a Slack user (U…, W…) or
    user-group (S…) id."""
    if not isinstance(value, dict):
        raise ConfigError("owners", 'a table of name = "U0123ABCD" (or "S0123ABCD")', value)
    for name, slack_id in value.items():
        if not _OWNER_NAME.fullmatch(name):
            raise ConfigError(f"owners.{name}", "a name of letters, digits and . _ @ + -", name)
        if not isinstance(slack_id, str) or not _OWNER_ID.fullmatch(slack_id):
            raise ConfigError(
                f"owners.{name}",
                "a Slack user id (U0123ABCD, W0123ABCD) or group id (S0123ABCD)",
                slack_id,
            )
    return dict(value)


def read_buckets(value: Any) -> tuple[str, ...]:
    """``[exports] buckets``: S3 bucket names (not s3:// URLs) that exports and imports use."""
    expected = 'a list of S3 bucket names, like ["acme-ddb-exports"]'
    if not isinstance(value, list):
        raise ConfigError("exports.buckets", expected, value)
    for bucket in value:
        if not isinstance(bucket, str) or not BUCKET_NAME.fullmatch(bucket):
            raise ConfigError("exports.buckets", expected, bucket)
    return tuple(value)


def read_str_map(value: Any, key: str) -> dict[str, str]:
    """A table of table name = "policy" strings at ``key``."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(key, 'a table of table name = "policy" strings', value)
    return dict(value)


def read_retention_policy(text: str, key: str) -> str:
    """The policy text itself when parse_policy accepts it (empty means no policy)."""
    if text.strip():
        try:
            parse_policy(text)
        except InvalidValue as exc:
            raise ConfigError(
                key, f"a retention policy: {POLICY_FORM} ({exc.message})", text
            ) from None
    return text


def read_retention_policies(tables: dict[str, str]) -> dict[str, str]:
    """``retention.tables``: each table's retention policy, checked."""
    return {
        name: read_retention_policy(text, f"retention.tables.{name}")
        for name, text in tables.items()
    }


def read_home_tables(value: Any, accounts: tuple[Account, ...]) -> tuple[str, ...]:
    """``home.tables``: the App Home cards' tables, each in a configured account."""
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


def read_severities(value: Any) -> dict[str, str]:
    """``audit.severity``: EventName = one of SEVERITIES."""
    if not isinstance(value, dict):
        raise ConfigError("audit.severity", "a table of EventName = severity", value)
    for action, severity in value.items():
        if severity not in SEVERITIES:
            raise ConfigError(
                f"audit.severity.{action}", f"one of {', '.join(SEVERITIES)}", severity
            )
    return dict(value)


_ACCOUNT_KEYS = frozenset({"id", "alias", "home", "role_arn", "external_id", "regions"})


def read_accounts(value: Any, default_regions: tuple[str, ...]) -> tuple[Account, ...]:
    """``[[accounts]]``: member accounts, no id or alias twice, at most one home account."""
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
    home = read_bool(item, key, "home", False)
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
            regions = read_regions(item["regions"])
        except ConfigError:
            raise ConfigError(
                f"{key}.regions",
                'a non-empty list of region codes like ["us-west-2"]',
                item["regions"],
            ) from None
    return Account(account_id, alias, regions, role_arn if not home else None, external_id)
