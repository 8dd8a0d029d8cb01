"""The `/ddb` command grammar: text -> frozen dataclasses, or a UsageError that names the problem.

Text is split with shlex, each argument is converted by a function that returns the value or
raises a user-facing error, and the usage line in the error is the one `help` prints.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import InvalidValue, UsageError
from bot.domain.policy import RetentionPolicy
from bot.domain.records import frozen
from bot.domain.refs import TABLE_NAME, TableRef, parse_region, parse_table_ref
from bot.domain.times import TIME_FORM, parse_duration, parse_time

_BACKUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
BACKUP_TYPES = ("user", "system", "aws-backup", "all")
_NEEDS_SHLEX = re.compile(r"[\"'\\]")
_SHLEX_WHITESPACE = re.compile(r"[ \t\r\n]+")  # shlex.shlex.whitespace


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
    """`/ddb replicas <table>`."""

    table: TableRef
    action = "replicas"


Command = (
    Help | Status | Backups | Backup | Prune | Restore | Restores | Pitr | WhoChanged | Alarms
) | Replicas


@frozen
class CommandSpec:
    """One command's name, usage line and help text."""

    name: str
    usage: str
    summary: str
    details: str = ""


SPECS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec("help", "/ddb help [command]", "List the commands, or explain one of them."),
        CommandSpec(
            "status",
            "/ddb status <table> [--region R]",
            "Table status, billing, size, PITR window, newest backup, deletion protection, "
            "alarms firing.",
            "A table may carry its region: `orders@us-west-2`.",
        ),
        CommandSpec(
            "backups",
            "/ddb backups <table> [--since 30d] [--type user|system|aws-backup|all] [--region R]",
            "List the table's backups, newest first, with totals and monthly cost.",
        ),
        CommandSpec(
            "backup",
            "/ddb backup <table> [--name NAME]",
            "Take an on-demand backup (operator).",
            "The default name is `<table>-<UTC yyyymmdd-hhmm>`.",
        ),
        CommandSpec(
            "prune",
            "/ddb prune <table>|--all [--keep-last N] [--keep-hourly N] [--keep-daily N] "
            "[--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--keep-within 30d] [--apply]",
            "Show which backups a retention policy keeps and deletes; `--apply` deletes them "
            "after you confirm (operator).",
            "Without flags the table's configured policy applies. Only user backups are ever "
            "deleted, and never a table's newest backup.",
        ),
        CommandSpec(
            "restore",
            "/ddb restore <table> (--at TIME | --latest | --backup NAME|ARN) [--to NEW_TABLE]",
            "Restore to a new table from a point in time or a backup (operator, confirmed).",
            f"TIME is {TIME_FORM}. A restore never overwrites an existing table.",
        ),
        CommandSpec("restores", "/ddb restores", "Restores in progress and recent ones."),
        CommandSpec(
            "pitr",
            "/ddb pitr <table> [on|off]",
            "Point-in-time recovery status and window; `on` (operator), `off` (admin).",
        ),
        CommandSpec(
            "who-changed",
            "/ddb who-changed <table> [--since 7d] [--limit N]",
            "Who changed the table, newest first, from the audit history.",
        ),
        CommandSpec(
            "alarms",
            "/ddb alarms [table] | /ddb alarms recommend <table>",
            "Alarms firing (all, or for one table); `recommend` creates the recommended set "
            "(operator).",
        ),
        CommandSpec(
            "replicas",
            "/ddb replicas <table>",
            "Global table replicas with their status and replication lag.",
        ),
    )
}


def split_words(text: str) -> list[str]:
    """The words of a command line as `shlex.split` reads them (quotes group words).

    Text without quotes or backslashes (nearly every command) is split on shlex's own
    whitespace directly: the same words, without shlex's character-by-character lexer on
    the ack path. Raises ValueError for unbalanced quotes, as shlex does.
    """
    if _NEEDS_SHLEX.search(text):
        return shlex.split(text)
    return [word for word in _SHLEX_WHITESPACE.split(text) if word]


def parse_command(text: str, now: datetime) -> Command:
    """Parse the text after `/ddb` into a command, or raise UsageError naming the problem."""
    try:
        words = split_words(text)
    except ValueError as exc:
        raise UsageError(f"I could not read that: {exc}. Check your quotes.", "/ddb help") from None
    if not words:
        return Help()
    name, args = words[0].lower(), words[1:]
    parser = _PARSERS.get(name)
    if parser is None:
        raise UsageError(_unknown_command(name), "/ddb help")
    spec = SPECS[name]
    try:
        return parser(_Args(args, spec), now)
    except InvalidValue as exc:
        raise UsageError(exc.message, spec.usage) from None


def _unknown_command(name: str) -> str:
    import difflib  # only a mistyped command needs it: not loaded on every cold start

    close = difflib.get_close_matches(name, list(SPECS), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return f"`{name[:40]}` is not a command.{hint} Try `/ddb help`."


class _Args:
    """Positional words and `--options` of one command, consumed as the parser asks for them."""

    def __init__(self, words: list[str], spec: CommandSpec) -> None:
        self.spec = spec
        self.positional: list[str] = []
        self.options: dict[str, str | None] = {}
        index = 0
        while index < len(words):
            word = words[index]
            if word.startswith("--") and len(word) > 2:
                key, eq, value = word[2:].partition("=")
                if key in self.options:
                    self.fail(f"`--{key}` is given twice")
                if eq:
                    self.options[key] = value
                elif index + 1 < len(words) and not words[index + 1].startswith("--"):
                    self.options[key] = words[index + 1]
                    index += 1
                    # `--at 2h ago` typed without quotes: keep the relative time whole.
                    if index + 1 < len(words) and words[index + 1].lower() == "ago":
                        self.options[key] = f"{words[index]} ago"
                        index += 1
                else:
                    self.options[key] = None
            else:
                self.positional.append(word)
            index += 1

    def fail(self, message: str) -> None:
        raise UsageError(message, self.spec.usage)

    def flag(self, name: str) -> bool:
        """A `--name` switch that takes no value."""
        if name not in self.options:
            return False
        value = self.options.pop(name)
        if value is not None:
            # `--apply orders` reads as the flag followed by a positional word.
            self.positional.append(value)
        return True

    def value(self, name: str, convert: Callable[[str], Any]) -> Any:
        """The converted value of `--name VALUE`, or None when the option is absent."""
        if name not in self.options:
            return None
        raw = self.options.pop(name)
        if raw is None or raw == "":
            self.fail(f"`--{name}` needs a value")
        return convert(str(raw))

    def table(self, *, required: bool = True) -> TableRef | None:
        """The first positional word as a table reference, with `--region` applied."""
        region = self.value("region", parse_region)
        if not self.positional:
            if required:
                self.fail("name the table")
            return None
        ref = parse_table_ref(self.positional.pop(0))
        if region and ref.region and region != ref.region:
            self.fail(f"the table says `{ref.region}` but `--region` says `{region}`")
        return TableRef(ref.name, ref.region or region, ref.account)

    def done(self) -> None:
        """Fail on anything the command did not consume."""
        if self.options:
            unknown = sorted(self.options)[0]
            self.fail(f"`{self.spec.name}` has no option `--{unknown[:40]}`")
        if self.positional:
            self.fail(f"unexpected `{self.positional[0][:40]}`")


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise InvalidValue(f"`{text[:20]}` is not a positive whole number")
    return int(text)


def _duration(text: str) -> timedelta:
    return parse_duration(text)


def _new_table_name(text: str) -> str:
    if not TABLE_NAME.fullmatch(text):
        raise InvalidValue(
            f"`{text[:60]}` is not a valid table name (3-255 letters, digits, `_`, `-` or `.`)"
        )
    return text


def _backup_name(text: str) -> str:
    if not _BACKUP_NAME.fullmatch(text):
        raise InvalidValue(
            f"`{text[:60]}` is not a valid backup name (3-255 letters, digits, `_`, `-` or `.`)"
        )
    return text


def _backup_type(text: str) -> str:
    if text.lower() not in BACKUP_TYPES:
        raise InvalidValue(f"`--type` is one of {', '.join(BACKUP_TYPES)}")
    return text.lower()


def _parse_help(args: _Args, now: datetime) -> Command:
    topic = args.positional.pop(0).lower() if args.positional else None
    args.done()
    if topic is not None and topic not in SPECS:
        raise UsageError(_unknown_command(topic), SPECS["help"].usage)
    return Help(topic)


def _parse_status(args: _Args, now: datetime) -> Command:
    table = args.table()
    args.done()
    assert table is not None
    return Status(table)


def _parse_backups(args: _Args, now: datetime) -> Command:
    table = args.table()
    since = args.value("since", _duration)
    backup_type = args.value("type", _backup_type) or "all"
    args.done()
    assert table is not None
    return Backups(table, since, backup_type)


def _parse_backup(args: _Args, now: datetime) -> Command:
    table = args.table()
    name = args.value("name", _backup_name)
    args.done()
    assert table is not None
    return Backup(table, name)


def _parse_prune(args: _Args, now: datetime) -> Command:
    all_tables = args.flag("all")
    apply = args.flag("apply")
    flags = RetentionPolicy(
        keep_last=args.value("keep-last", _positive_int),
        keep_hourly=args.value("keep-hourly", _positive_int),
        keep_daily=args.value("keep-daily", _positive_int),
        keep_weekly=args.value("keep-weekly", _positive_int),
        keep_monthly=args.value("keep-monthly", _positive_int),
        keep_yearly=args.value("keep-yearly", _positive_int),
        keep_within=args.value("keep-within", _duration),
    )
    table = args.table(required=not all_tables)
    if all_tables and table is not None:
        args.fail("give a table or `--all`, not both")
    args.done()
    return Prune(table, all_tables, flags, apply)


def _parse_restore(args: _Args, now: datetime) -> Command:
    table = args.table()
    at = args.value("at", lambda text: parse_time(text, now))
    latest = args.flag("latest")
    backup = args.value("backup", str)
    to = args.value("to", _new_table_name)
    args.done()
    assert table is not None
    chosen = [given for given in (at, latest, backup) if given]
    if len(chosen) != 1:
        problem = "choose one of" if not chosen else "give only one of"
        args.fail(f"{problem} `--at TIME`, `--latest` or `--backup NAME|ARN`")
    if at is not None and at > now:
        args.fail(f"`--at` is in the future; use {TIME_FORM}")
    if to is not None and to == table.name:
        args.fail("a restore never overwrites a table: `--to` must name a new table")
    return Restore(table, at, latest, backup, to)


def _parse_restores(args: _Args, now: datetime) -> Command:
    args.done()
    return Restores()


def _parse_pitr(args: _Args, now: datetime) -> Command:
    table = args.table()
    change = args.positional.pop(0).lower() if args.positional else None
    if change is not None and change not in ("on", "off"):
        args.fail(f"`{change[:20]}`: say `on` or `off`, or nothing to see the status")
    args.done()
    assert table is not None
    return Pitr(table, change)


def _parse_who_changed(args: _Args, now: datetime) -> Command:
    table = args.table()
    since = args.value("since", _duration) or timedelta(days=7)
    limit = args.value("limit", _positive_int) or 20
    args.done()
    assert table is not None
    if limit > 200:
        args.fail("`--limit` is at most 200")
    return WhoChanged(table, since, limit)


def _parse_alarms(args: _Args, now: datetime) -> Command:
    recommend = bool(args.positional) and args.positional[0].lower() == "recommend"
    if recommend:
        args.positional.pop(0)
    table = args.table(required=recommend)
    args.done()
    return Alarms(table, recommend)


def _parse_replicas(args: _Args, now: datetime) -> Command:
    table = args.table()
    args.done()
    assert table is not None
    return Replicas(table)


_PARSERS: dict[str, Callable[[_Args, datetime], Command]] = {
    "help": _parse_help,
    "status": _parse_status,
    "backups": _parse_backups,
    "backup": _parse_backup,
    "prune": _parse_prune,
    "restore": _parse_restore,
    "restores": _parse_restores,
    "pitr": _parse_pitr,
    "who-changed": _parse_who_changed,
    "alarms": _parse_alarms,
    "replicas": _parse_replicas,
}


def describe(command: Command) -> str:
    """The command as a user would type it, for replies and logs."""
    table = getattr(command, "table", None)
    name = command_name(command)
    return f"/ddb {name} {table}" if table else f"/ddb {name}"


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
}


def command_name(command: Command) -> str:
    """The command's name as typed (`who-changed` for WhoChanged)."""
    return next(key for key, kind in COMMAND_TYPES.items() if kind is type(command))
