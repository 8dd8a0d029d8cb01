"""One frozen Settings object, read from opsbot.toml and overridden by the environment.

A wrong key or value fails at start-up with a ConfigError that names the key and the
expected form (bot/config_sections.py reads and checks each section); nothing here touches
the network.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config_drills import KEYS as DRILL_KEYS
from bot.config_drills import read_drills
from bot.config_sections import (
    Channels,
    ConfigError,
    Route,
    read_access,
    read_accounts,
    read_approvals,
    read_bool,
    read_buckets,
    read_channels,
    read_choice,
    read_duration,
    read_float,
    read_home_tables,
    read_int,
    read_owners,
    read_regions,
    read_retention_policies,
    read_retention_policy,
    read_routes,
    read_severities,
    read_str,
    read_str_map,
    table_of,
)
from bot.domain.accounts import Account, find_account
from bot.domain.authz import DEFAULT_PERMISSIONS, AccessPolicy
from bot.domain.drill_settings import DrillSettings
from bot.domain.records import frozen

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "opsbot.toml"


@frozen
class Settings:
    """Everything opsbot reads from configuration."""

    regions: tuple[str, ...] = ("us-east-1",)
    channels: Channels = field(default_factory=Channels)
    routes: tuple[Route, ...] = ()
    access: AccessPolicy = field(default_factory=AccessPolicy)
    # [approvals]: confirmed actions that also need a second person's approval
    approvals: frozenset[str] = frozenset()
    retention_default: str = ""
    retention_tables: Mapping[str, str] = field(default_factory=dict)
    audit_severity: Mapping[str, str] = field(default_factory=dict)
    audit_include_read_only: bool = False
    audit_include_data_events: bool = False
    history_days: int = 400
    backup_price_per_gb_month: float = 0.10
    backup_max_age: timedelta = timedelta(days=2)
    prune_mode: str = "report"
    export_buckets: tuple[str, ...] = ()  # [exports] buckets: the only places data goes to
    export_price_per_gb: float = 0.10
    import_price_per_gb: float = 0.15
    restore_slow_after: timedelta = timedelta(minutes=90)
    restore_poll_every: timedelta = timedelta(minutes=5)
    confirm_ttl: timedelta = timedelta(minutes=15)
    late_after: timedelta = timedelta(minutes=5)  # a /ddb command not run when started later
    alarm_late_after: timedelta = timedelta(minutes=15)  # a state change delivered later: no page
    # [alarms]: how far back a root lists the table's changes; a storm is more than
    # storm_count alarms opening on one route within storm_minutes.
    alarm_changes_window: timedelta = timedelta(hours=2)
    alarm_storm_count: int = 5
    alarm_storm_window: timedelta = timedelta(minutes=5)
    # [owners]: `opsbot:owner` tag values -> Slack user or group ids
    owners: Mapping[str, str] = field(default_factory=dict)
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
    drills: DrillSettings = field(default_factory=DrillSettings)

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
    "approvals": frozenset({"actions"}),
    "retention": frozenset({"default", "tables"}),
    "audit": frozenset({"include_read_only", "include_data_events", "history_days", "severity"}),
    "alarms": frozenset({"late_after", "changes_window", "storm_count", "storm_minutes"}),
    "owners": frozenset(),
    "backups": frozenset({"price_per_gb_month", "max_age"}),
    "prune": frozenset({"mode"}),
    "restore": frozenset({"slow_after", "poll_every"}),
    "exports": frozenset({"buckets", "price_per_gb", "import_price_per_gb"}),
    "confirm": frozenset({"ttl"}),
    "drills": DRILL_KEYS,
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
        if section in ("routes", "accounts", "owners"):
            continue
        if not isinstance(value, dict):
            raise ConfigError(section, "a table ([section])")
        for key in value:
            if known and key not in known:
                raise ConfigError(f"{section}.{key}", f"one of {', '.join(sorted(known))}")
    aws, slack, state = table_of(raw, "aws"), table_of(raw, "slack"), table_of(raw, "state")
    audit, backups = table_of(raw, "audit"), table_of(raw, "backups")
    alarms = table_of(raw, "alarms")
    exports = table_of(raw, "exports")
    regions = read_regions(aws.get("regions", ["us-east-1"]))
    accounts = read_accounts(raw.get("accounts", []), regions)
    return Settings(
        regions=regions,
        channels=read_channels(table_of(raw, "channels")),
        routes=read_routes(raw.get("routes", [])),
        access=read_access(table_of(raw, "roles"), table_of(raw, "permissions")),
        approvals=read_approvals(table_of(raw, "approvals")),
        retention_default=read_retention_policy(
            read_str(table_of(raw, "retention"), "retention", "default", ""), "retention.default"
        ),
        retention_tables=read_retention_policies(
            read_str_map(table_of(raw, "retention").get("tables", {}), "retention.tables")
        ),
        audit_severity=read_severities(audit.get("severity", {})),
        audit_include_read_only=read_bool(audit, "audit", "include_read_only", False),
        audit_include_data_events=read_bool(audit, "audit", "include_data_events", False),
        history_days=read_int(audit, "audit", "history_days", 400, minimum=1),
        backup_price_per_gb_month=read_float(backups, "backups", "price_per_gb_month", 0.10),
        backup_max_age=read_duration(backups, "backups", "max_age", "2d"),
        prune_mode=read_choice(
            table_of(raw, "prune"), "prune", "mode", ("report", "delete"), "report"
        ),
        export_buckets=read_buckets(exports.get("buckets", [])),
        export_price_per_gb=read_float(exports, "exports", "price_per_gb", 0.10),
        import_price_per_gb=read_float(exports, "exports", "import_price_per_gb", 0.15),
        restore_slow_after=read_duration(table_of(raw, "restore"), "restore", "slow_after", "90m"),
        restore_poll_every=read_duration(table_of(raw, "restore"), "restore", "poll_every", "5m"),
        confirm_ttl=read_duration(table_of(raw, "confirm"), "confirm", "ttl", "15m"),
        late_after=read_duration(slack, "slack", "late_after", "5m"),
        alarm_late_after=read_duration(alarms, "alarms", "late_after", "15m"),
        alarm_changes_window=read_duration(alarms, "alarms", "changes_window", "2h"),
        alarm_storm_count=read_int(alarms, "alarms", "storm_count", 5, minimum=1),
        alarm_storm_window=timedelta(
            minutes=read_int(alarms, "alarms", "storm_minutes", 5, minimum=1)
        ),
        owners=read_owners(raw.get("owners", {})),
        state_table=read_str(state, "state", "table", "opsbot-state") or "opsbot-state",
        work_queue_url=read_str(state, "state", "work_queue_url", ""),
        restore_queue_url=read_str(state, "state", "restore_queue_url", ""),
        prune_queue_url=read_str(state, "state", "prune_queue_url", ""),
        alarm_topic_arn=read_str(state, "state", "alarm_topic_arn", ""),
        slack_secret_id=read_str(slack, "slack", "secret_id", ""),
        aws_endpoint_url=read_str(aws, "aws", "endpoint_url", "") or None,
        slack_api_url=read_str(slack, "slack", "api_url", "") or None,
        home_tables=read_home_tables(table_of(raw, "home").get("tables", []), accounts),
        accounts=accounts,
        drills=read_drills(table_of(raw, "drills")),
    )
