"""The `/ddb` command grammar: text -> a command (bot.domain.commands), or a UsageError that
names the problem.

Text is split with shlex, each argument is converted by a function that returns the value or
raises a user-facing error, and the usage line in the error is the one `help` prints
(bot.domain.command_usage).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.command_usage import SPECS, CommandSpec
from bot.domain.commands import (
    Alarms,
    Backup,
    Backups,
    Command,
    Drill,
    Help,
    Pitr,
    Prune,
    Replicas,
    Restore,
    Restores,
    Status,
    WhoChanged,
)
from bot.domain.data_command_parser import parse_export, parse_exports, parse_import
from bot.domain.errors import InvalidValue, UsageError
from bot.domain.policy import RetentionPolicy
from bot.domain.refs import TABLE_NAME, TableRef, parse_region, parse_table_ref
from bot.domain.times import (
    future_time_problem,
    parse_duration,
    parse_time,
    whole_number,
)
from bot.domain.typed import hidden_characters, quoted

_BACKUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
BACKUP_TYPES = ("user", "system", "aws-backup", "all")
_NEEDS_SHLEX = re.compile(r"[\"'\\]")
_OPTION = re.compile(r"--[a-z-]+")
_SHLEX_WHITESPACE = re.compile(r"[ \t\r\n]+")  # shlex.shlex.whitespace
MAX_LIMIT = 200  # `who-changed --limit`: one message of changes
MAX_KEEP = 100_000  # a typed keep rule: far more backups than any table keeps


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
    try:
        if parser is None:
            raise UsageError(_unknown_command(name), "/ddb help")
        spec = SPECS[name]
        try:
            return parser(_Args(args, spec), now)
        except InvalidValue as exc:
            raise UsageError(exc.message, spec.usage) from None
    except UsageError as exc:
        hidden = hidden_characters(text)
        if not hidden:
            raise
        end = "" if exc.message.endswith((".", "?")) else "."
        note = (
            f"{end} The command contains characters that cannot be seen or told apart: "
            f"{', '.join(hidden[:3])}. Retype it rather than pasting it."
        )
        raise UsageError(exc.message + note, exc.usage) from None


def did_you_mean(word: str, choices: list[str]) -> str:
    """` Did you mean `status`?` when ``word`` is close to one of ``choices``; else ''."""
    import difflib  # only a mistyped word needs it: not loaded on every cold start

    close = difflib.get_close_matches(word, choices, n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


def _unknown_command(name: str) -> str:
    hint = did_you_mean(name, list(SPECS))
    return f"{quoted(name)} is not a command.{hint} Try `/ddb help`."


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
                    self.fail(f"{quoted(f'--{key}', 42)} is given twice")
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
        """Raise a UsageError with the message and this command's usage line."""
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
            hint = did_you_mean(f"--{unknown}", _OPTION.findall(self.spec.usage))
            self.fail(f"`{self.spec.name}` has no option {quoted('--' + unknown)}.{hint}")
        if self.positional:
            self.fail(f"unexpected {quoted(self.positional[0])}")

    def subcommand(self, word: str, choices: tuple[str, ...]) -> None:
        """Fail on ``word``, typed where one of ``choices`` goes, naming the closest."""
        hint = did_you_mean(word.lower(), list(choices)) or " It has " + " and ".join(
            f"`{c}`" for c in choices
        )
        self.fail(f"{quoted(word)} is not a subcommand of `{self.spec.name}`.{hint}")


def _count(option: str, at_most: int) -> Callable[[str], int]:
    """A converter for `--option N`: a whole number from 1 to ``at_most``."""

    def convert(text: str) -> int:
        value = whole_number(text) if text.isascii() and text.isdigit() else 0
        if value == 0:
            raise InvalidValue(f"{quoted(text, 20)} is not a positive whole number")
        if value is None or value > at_most:
            raise InvalidValue(f"`--{option}` is at most {at_most}")
        return value

    return convert


def _duration(text: str) -> timedelta:
    return parse_duration(text)


def _new_table_name(text: str) -> str:
    if not TABLE_NAME.fullmatch(text):
        raise InvalidValue(
            f"{quoted(text, 60)} is not a valid table name (3-255 letters, digits, `_`, `-` or `.`)"
        )
    return text


def _backup_name(text: str) -> str:
    if not _BACKUP_NAME.fullmatch(text):
        raise InvalidValue(
            f"{quoted(text, 60)} is not a valid backup name "
            "(3-255 letters, digits, `_`, `-` or `.`)"
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
        keep_last=args.value("keep-last", _count("keep-last", MAX_KEEP)),
        keep_hourly=args.value("keep-hourly", _count("keep-hourly", MAX_KEEP)),
        keep_daily=args.value("keep-daily", _count("keep-daily", MAX_KEEP)),
        keep_weekly=args.value("keep-weekly", _count("keep-weekly", MAX_KEEP)),
        keep_monthly=args.value("keep-monthly", _count("keep-monthly", MAX_KEEP)),
        keep_yearly=args.value("keep-yearly", _count("keep-yearly", MAX_KEEP)),
        keep_within=args.value("keep-within", _duration),
    )
    table = args.table(required=not all_tables)
    if all_tables and table is not None:
        args.fail("give a table or `--all`, not both")
    args.done()
    return Prune(table, all_tables, flags, apply)


def _parse_restore(args: _Args, now: datetime) -> Command:
    table = args.table()
    typed_at = args.options.get("at")
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
        args.fail(future_time_problem("--at", str(typed_at), at, now))
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
        hint = did_you_mean(change, ["on", "off"])
        args.fail(f"{quoted(change, 20)}: say `on` or `off`, or nothing to see the status.{hint}")
    args.done()
    assert table is not None
    return Pitr(table, change)


def _parse_who_changed(args: _Args, now: datetime) -> Command:
    table = args.table()
    since = args.value("since", _duration) or timedelta(days=7)
    limit = args.value("limit", _count("limit", MAX_LIMIT)) or 20
    args.done()
    assert table is not None
    return WhoChanged(table, since, limit)


def _parse_alarms(args: _Args, now: datetime) -> Command:
    recommend = bool(args.positional) and args.positional[0].lower() == "recommend"
    if recommend:
        args.positional.pop(0)
    elif len(args.positional) > 1:
        # `alarms recomend orders`: two words where a table goes are a mistyped subcommand.
        args.subcommand(args.positional[0], ("recommend",))
    table = args.table(required=recommend)
    args.done()
    return Alarms(table, recommend)


def _parse_replicas(args: _Args, now: datetime) -> Command:
    first = args.positional[0].lower() if args.positional else ""
    change = first if first in ("add", "remove") else None
    if change:
        args.positional.pop(0)
    elif len(args.positional) > 1:
        args.subcommand(args.positional[0], ("add", "remove"))
    table = args.table()
    region = parse_region(args.positional.pop(0)) if change and args.positional else None
    if change and region is None:
        args.fail(f"name the region: `/ddb replicas {change} <table> <region>`")
    args.done()
    assert table is not None
    return Replicas(table, change, region)


def _parse_drill(args: _Args, now: datetime) -> Command:
    table = args.table()
    typed_at = args.options.get("at")
    at = args.value("at", lambda text: parse_time(text, now))
    latest_backup = args.flag("latest-backup")
    pitr = args.flag("pitr")
    backup = args.value("backup", str)
    args.done()
    assert table is not None
    if sum(1 for given in (backup, latest_backup, pitr) if given) > 1:
        args.fail("give only one of `--backup NAME|ARN`, `--latest-backup` or `--pitr`")
    if at is not None and not pitr:
        args.fail("`--at TIME` goes with `--pitr`")
    if at is not None and at > now:
        args.fail(future_time_problem("--at", str(typed_at), at, now))
    return Drill(table, backup, latest_backup, pitr, at)


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
    "export": parse_export,
    "exports": parse_exports,
    "import": parse_import,
    "drill": _parse_drill,
}
