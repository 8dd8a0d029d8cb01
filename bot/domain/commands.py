"""The `/ddb` commands as values: one frozen dataclass per command (its docstring is its
usage), the Command union, COMMAND_TYPES (each command's name as typed -> its type), and how a
command reads back as typed.

The text -> command grammar is bot.domain.command_parser; the usage lines and help texts are
bot.domain.command_usage.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime, timedelta

from bot.domain.policy import RetentionPolicy
from bot.domain.records import frozen
from bot.domain.refs import TableRef


@frozen
class Help:
    """`/ddb help [command]`."""

    topic: str | None = None
    action = "help"


@frozen
class Status:
    """`/ddb status <table> [--region R]`."""

    table: TableRef
    action = "status"


@frozen
class Backups:
    """`/ddb backups <table> [--since D] [--type user|system|aws-backup|all] [--region R]`."""

    table: TableRef
    since: timedelta | None = None
    backup_type: str = "all"
    action = "backups"


@frozen
class Backup:
    """`/ddb backup <table> [--name NAME]`."""

    table: TableRef
    name: str | None = None
    action = "backup"


@frozen
class Prune:
    """`/ddb prune <table>|--all [policy flags] [--apply]`."""

    table: TableRef | None
    all_tables: bool = False
    # The keep rules typed on the command line; empty means "use the configured policy".
    flags: RetentionPolicy = field(default_factory=RetentionPolicy)
    apply: bool = False

    @property
    def action(self) -> str:
        """'prune' for a dry run, 'prune:apply' when it would delete."""
        return "prune:apply" if self.apply else "prune"


@frozen
class Restore:
    """`/ddb restore <table> (--at TIME | --latest | --backup NAME|ARN) [--to NEW_TABLE]`."""

    table: TableRef
    at: datetime | None = None
    latest: bool = False
    backup: str | None = None
    to: str | None = None
    action = "restore"


@frozen
class Restores:
    """`/ddb restores`."""

    action = "restores"


@frozen
class Pitr:
    """`/ddb pitr <table> [on|off]`."""

    table: TableRef
    change: str | None = None  # None (show), "on" or "off"

    @property
    def action(self) -> str:
        """'pitr' to look, 'pitr:on' / 'pitr:off' to change."""
        return f"pitr:{self.change}" if self.change else "pitr"


@frozen
class WhoChanged:
    """`/ddb who-changed <table> [--since 7d] [--limit N]`."""

    table: TableRef
    since: timedelta = timedelta(days=7)
    limit: int = 20
    action = "who-changed"


@frozen
class Alarms:
    """`/ddb alarms [table]` and `/ddb alarms recommend <table>`."""

    table: TableRef | None = None
    recommend: bool = False

    @property
    def action(self) -> str:
        """'alarms' to look, 'alarms:recommend' to create alarms."""
        return "alarms:recommend" if self.recommend else "alarms"


@frozen
class Replicas:
    """`/ddb replicas <table>` and `/ddb replicas add|remove <table> <region>`."""

    table: TableRef
    change: str | None = None  # None (show), "add" or "remove"
    region: str | None = None  # the replica's region, with a change

    @property
    def action(self) -> str:
        """'replicas' to look, 'replicas:add' / 'replicas:remove' to change."""
        return f"replicas:{self.change}" if self.change else "replicas"


@frozen
class Export:
    """`/ddb export <table> --to s3://BUCKET/PREFIX [--at TIME] [--format dynamodb|ion]
    [--incremental --from TIME [--until TIME]]`."""

    table: TableRef
    bucket: str
    prefix: str = ""
    at: datetime | None = None
    export_format: str = "DYNAMODB_JSON"
    incremental: bool = False
    start: datetime | None = None
    end: datetime | None = None
    action = "export"


@frozen
class Import:
    """`/ddb import s3://BUCKET/PREFIX --to NEW_TABLE (--like TABLE | --key NAME[:S|N|B]
    [--sort NAME[:S|N|B]]) [--format dynamodb|ion|csv]`; ``table`` is the new table."""

    bucket: str
    prefix: str
    table: TableRef
    like: TableRef | None = None
    key: str | None = None  # NAME:TYPE
    sort: str | None = None
    data_format: str = "DYNAMODB_JSON"
    action = "import"


@frozen
class Exports:
    """`/ddb exports [table]`."""

    table: TableRef | None = None
    action = "exports"


@frozen
class Drill:
    """`/ddb drill <table> [--backup NAME|ARN | --latest-backup | --pitr [--at TIME]]`."""

    table: TableRef
    backup: str | None = None
    latest_backup: bool = False
    pitr: bool = False
    at: datetime | None = None
    action = "drill"


Command = (
    Help | Status | Backups | Backup | Prune | Restore | Restores | Pitr | WhoChanged | Alarms
) | (Replicas | Export | Exports | Import | Drill)


COMMAND_TYPES: dict[str, type] = {
    "help": Help,
    "status": Status,
    "backups": Backups,
    "backup": Backup,
    "prune": Prune,
    "restore": Restore,
    "restores": Restores,
    "pitr": Pitr,
    "who-changed": WhoChanged,
    "alarms": Alarms,
    "replicas": Replicas,
    "export": Export,
    "exports": Exports,
    "import": Import,
    "drill": Drill,
}


def describe(command: Command) -> str:
    """The command as a user would type it, for replies and logs."""
    table = getattr(command, "table", None)
    name = command_name(command)
    return f"/ddb {name} {table}" if table else f"/ddb {name}"


def command_name(command: Command) -> str:
    """The command's name as typed (`who-changed` for WhoChanged)."""
    return next(key for key, kind in COMMAND_TYPES.items() if kind is type(command))
