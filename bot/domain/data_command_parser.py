"""The grammar of the commands that move data: `/ddb export`, `/ddb exports`, `/ddb import`.

Called by bot.domain.command_parser with its argument reader (positional words and
`--options`, consumed as asked); kept apart so that neither module grows past a screenful
of grammar. The export and import modules are imported only when such a command is typed:
the ack path of every other command does not load them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.domain.commands import Command, Export, Exports, Import
from bot.domain.errors import InvalidValue
from bot.domain.refs import TableRef, parse_table_ref
from bot.domain.times import future_time_problem, parse_time
from bot.domain.typed import quoted

if TYPE_CHECKING:  # a Protocol class costs the ack path time at import; mypy needs it only
    from typing import Protocol

    class Args(Protocol):
        """What the parsers read from a command line (bot.domain.command_parser._Args)."""

        options: dict[str, str | None]
        positional: list[str]

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
    from bot.domain.exports import EXPORT_FORMATS, parse_s3_url

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


def parse_import(args: Args, now: datetime) -> Command:
    """`/ddb import s3://BUCKET/PREFIX --to NEW_TABLE (--like TABLE | --key NAME[:S|N|B]
    [--sort NAME[:S|N|B]]) [--format dynamodb|ion|csv]`."""
    from bot.domain.exports import parse_s3_url
    from bot.domain.imports import IMPORT_FORMATS, parse_key

    target = args.value("to", parse_table_ref)
    like = args.value("like", parse_table_ref)
    key = args.value("key", parse_key)
    sort = args.value("sort", parse_key)
    data_format = args.value("format", _choice("format", dict(IMPORT_FORMATS)))
    if not args.positional:
        args.fail("say where the data is: `s3://BUCKET/PREFIX`")
    source = parse_s3_url(args.positional.pop(0))
    args.done()
    if target is None:
        args.fail(
            "name the new table: `--to NEW_TABLE` (an import never writes into an existing one)"
        )
    if (like is None) == (key is None):
        args.fail("give the new table's key: `--like TABLE` or `--key NAME[:S|N|B]`, one of them")
    if sort is not None and key is None:
        args.fail("`--sort` goes with `--key`; `--like` copies the sort key too")
    assert target is not None
    if like is not None and like.name == target.name:
        args.fail("`--to` must name a new table, not the one `--like` copies the key of")
    return Import(
        source.bucket,
        source.prefix,
        target,
        like,
        str(key) if key else None,
        str(sort) if sort else None,
        data_format or "DYNAMODB_JSON",
    )
