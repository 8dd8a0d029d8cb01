"""The grammar of the commands that move data: `/ddb export` and `/ddb exports`.

Called by bot.domain.command_parser with its argument reader (positional words and
`--options`, consumed as asked); kept apart so that neither module grows past a screenful
of grammar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bot.domain.commands import Command, Export, Exports
from bot.domain.errors import InvalidValue
from bot.domain.exports import EXPORT_FORMATS, parse_s3_url
from bot.domain.refs import TableRef
from bot.domain.times import future_time_problem, parse_time
from bot.domain.typed import quoted


class Args(Protocol):
    """What the parsers read from a command line (bot.domain.command_parser._Args)."""

    options: dict[str, str | None]

    def fail(self, message: str) -> None: ...
    def flag(self, name: str) -> bool: ...
    def value(self, name: str, convert: Callable[[str], Any]) -> Any: ...
    def table(self, *, required: bool = True) -> TableRef | None: ...
    def done(self) -> None: ...


def _choice(option: str, choices: dict[str, str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text.lower() not in choices:
            raise InvalidValue(
                f"`--{option}` is one of {', '.join(choices)}, not {quoted(text, 20)}"
            )
        return choices[text.lower()]

    return convert


def _past_time(args: Args, option: str, now: datetime) -> datetime | None:
    typed = args.options.get(option)
    when: datetime | None = args.value(option, lambda text: parse_time(text, now))
    if when is not None and when > now:
        args.fail(future_time_problem(f"--{option}", str(typed), when, now))
    return when


def parse_export(args: Args, now: datetime) -> Command:
    """`/ddb export <table> --to s3://BUCKET/PREFIX [--at TIME] [--format dynamodb|ion]
    [--incremental --from TIME [--until TIME]]`."""
    incremental = args.flag("incremental")
    table = args.table()
    destination = args.value("to", parse_s3_url)
    export_format = args.value("format", _choice("format", dict(EXPORT_FORMATS)))
    at = _past_time(args, "at", now)
    start = _past_time(args, "from", now)
    end = _past_time(args, "until", now)
    args.done()
    assert table is not None
    if destination is None:
        args.fail("say where to export: `--to s3://BUCKET/PREFIX`")
    if incremental:
        if at is not None:
            args.fail("an incremental export takes `--from` (and `--until`), not `--at`")
        if start is None:
            args.fail("an incremental export needs `--from TIME`")
        if end is not None and start is not None and end <= start:
            args.fail("`--until` must come after `--from`")
    elif start is not None or end is not None:
        args.fail("`--from` and `--until` go with `--incremental`; a full export takes `--at`")
    return Export(
        table,
        destination.bucket,
        destination.prefix,
        at,
        export_format or "DYNAMODB_JSON",
        incremental,
        start,
        end,
    )


def parse_exports(args: Args, now: datetime) -> Command:
    """`/ddb exports [table]`."""
    table = args.table(required=False)
    args.done()
    return Exports(table)
