"""The `opsbot` command: the embedded runtime (`local`), event replay and a config check.

opsbot local [--script FILE] [--json] [--now TIME] [--aws [--allow-writes]]
opsbot replay [--at-event-time] EVENT.json [EVENT2.json ...]  (also CloudTrail log files, .json.gz)
opsbot check-config [PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.config_sections import ConfigError
from bot.domain.counts import counted
from bot.settings import load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNKNOWN_EVENT = 2
PROMPT = "opsbot> "


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `opsbot`."""
    parser = argparse.ArgumentParser(
        prog="opsbot", description="A DynamoDB operations bot for Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    local = commands.add_parser(
        "local",
        help="run opsbot on this machine against an embedded AWS and a console Slack",
        description="Run opsbot in one process: moto for AWS, the terminal for Slack. "
        "With SLACK_BOT_TOKEN and SLACK_APP_TOKEN set (and no --script), serve that Slack "
        "workspace over Socket Mode instead of the console.",
    )
    local.add_argument("--script", type=Path, metavar="FILE", help="run the lines of FILE, exit")
    local.add_argument(
        "--json", action="store_true", help="print what Slack would receive as JSON lines"
    )
    local.add_argument(
        "--aws",
        action="store_true",
        help="use the real AWS credentials of the environment instead of moto",
    )
    local.add_argument(
        "--allow-writes",
        action="store_true",
        help="with --aws: allow commands and buttons that change AWS",
    )
    local.add_argument(
        "--now",
        metavar="TIME",
        help="start the embedded clock at TIME (ISO 8601 with a zone) instead of the real time; "
        "a script whose first line is `clock TIME` does the same",
    )
    local.add_argument("-v", "--verbose", action="store_true", help="log handler details")

    replay = commands.add_parser(
        "replay",
        help="run event files through their handlers; print what Slack would receive",
        description="Runs each event, in order, through the handler for its source in one "
        "embedded session and prints what Slack would receive as JSON lines. Exit code 2 "
        "when an event's shape is not recognised.",
    )
    replay.add_argument(
        "--at-event-time",
        action="store_true",
        help="run the embedded clock from each event's own time, so a post reads as it did "
        "when the event arrived (default: now, so an old event is a late delivery)",
    )
    replay.add_argument("events", nargs="+", type=Path, metavar="EVENT.json")
    replay.add_argument("-v", "--verbose", action="store_true", help="log handler details")

    check = commands.add_parser("check-config", help="load opsbot.toml and say what is wrong")
    check.add_argument("path", nargs="?", type=Path, help="the file (default: OPSBOT_CONFIG)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `opsbot` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "check-config":
        return check_config(args.path)
    _configure_logging(args.verbose)
    if args.command == "replay":
        return replay(args.events, at_event_time=args.at_event_time)
    if args.allow_writes and not args.aws:
        print("opsbot: --allow-writes only applies with --aws", file=sys.stderr)
        return EXIT_FAILED
    return local(args)


def check_config(path: Path | None) -> int:
    """Print OK or the configuration error; exit 1 on an error."""
    try:
        load_settings(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    print("OK")
    return EXIT_OK


def local(args: argparse.Namespace) -> int:
    """`opsbot local`: script, Socket Mode or the interactive console."""
    from bot.local.clock import ClockError, parse_clock, start_of_script
    from bot.local.output import Output
    from bot.local.socket_mode import serve_socket_mode
    from bot.local.startup import open_session

    tokens = _slack_tokens()
    serve = tokens is not None and args.script is None
    script_lines: list[str] | None = None
    start: datetime | None = None
    try:
        if args.now:
            start = parse_clock(args.now, datetime.now().astimezone())
        if args.script is not None:
            script_lines = args.script.read_text(encoding="utf-8").splitlines()
            start = start_of_script(script_lines) or start
    except OSError as exc:
        print(f"opsbot: cannot read {args.script}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except ClockError as exc:
        print(f"opsbot: --now: {exc}" if args.now else f"opsbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    output = Output(
        json_lines=args.json, color=_wants_color(args), width=_terminal_width(args.json)
    )
    try:
        session = open_session(
            output,
            real_aws=args.aws,
            allow_writes=args.allow_writes,
            slack_tokens=tokens if serve else None,
            verbose=args.verbose,
            start=start,
        )
    except (ConfigError, ClockError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    with session:
        if serve:
            assert tokens is not None
            serve_socket_mode(session, tokens[1])
            return EXIT_OK
        if script_lines is not None:
            return run_script(session, script_lines, name=str(args.script))
        return console(session)


def run_script(session: object, lines: Iterable[str], *, name: str) -> int:
    """Run every line (up to a `quit` or `exit`); a line that fails is named on stderr and the
    exit code is 1. A leading `clock TIME` line started the session (open_session) and is not
    run again."""
    from bot.local.session import LocalSession
    from bot.local.verbs import LineError, is_quit

    assert isinstance(session, LocalSession)
    failed = 0
    leading = True
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if is_quit(text):
            break
        if leading and text and not text.startswith("#"):
            leading = False
            if text.startswith("clock ") and not text[6:].strip().startswith("+"):
                continue
        session.problems.clear()
        try:
            session.execute(line)
        except LineError as exc:
            print(f"{name}:{number}: {line.strip()}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if session.problems:
            reasons = "; ".join(session.problems)
            print(f"{name}:{number}: {line.strip()}: {reasons}", file=sys.stderr)
            failed += 1
    if failed:
        print(f"{name}: {counted(failed, 'line')} could not be executed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def console(session: object, stdin: TextIO | None = None) -> int:
    """The interactive console: read lines until `quit`, `exit` or end of input (Ctrl-D)."""
    from bot.local.session import LocalSession
    from bot.local.verbs import LineError, is_quit

    assert isinstance(session, LocalSession)
    source = stdin or sys.stdin
    interactive = source.isatty()
    if interactive:
        _enable_line_editing()
    session.output.note(
        "opsbot local: embedded AWS with the sample tables orders and cloudacademy-courses. "
        "Type `/ddb help`, or `help` for the other verbs; `quit` (or Ctrl-D) ends it."
    )
    while True:
        try:
            line = input(PROMPT) if interactive else _read(source)
        except EOFError:
            break
        except KeyboardInterrupt:
            print(file=sys.stderr)
            continue
        if line is None or is_quit(line):
            break
        session.problems.clear()
        try:
            session.execute(line)
        except LineError as exc:
            print(f"opsbot: {exc}", file=sys.stderr)
        for problem in session.problems:
            print(f"opsbot: {problem}", file=sys.stderr)
    if interactive:
        print(file=sys.stderr)
    return EXIT_OK


def replay(paths: Sequence[Path], *, at_event_time: bool = False) -> int:
    """`opsbot replay`: every event through its handler in one session, JSON lines out; with
    ``at_event_time`` the session starts at the earliest event's time and the clock moves to
    each event's time before it is delivered."""
    from bot.local.clock import event_time
    from bot.local.event_files import UnknownEvent, read_event
    from bot.local.output import Output
    from bot.local.replay import stage_objects
    from bot.local.startup import open_session
    from bot.local.verbs import LineError

    start: datetime | None = None
    if at_event_time:
        times = []
        for path in paths:
            with contextlib.suppress(LineError):
                times.append(event_time(read_event(path)))
        earliest = min((t for t in times if t is not None), default=None)
        # A minute early: setting up the session takes seconds, and the first event should
        # still move the clock to its own time.
        start = earliest - timedelta(minutes=1) if earliest is not None else None
    try:
        session = open_session(Output(json_lines=True), sample_data=True, start=start)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    code = EXIT_OK
    with session:
        stage_objects(session, paths)
        for path in paths:
            session.problems.clear()
            try:
                session.replay(path, at_event_time=at_event_time)
            except UnknownEvent as exc:
                print(f"opsbot replay: {exc}", file=sys.stderr)
                code = EXIT_UNKNOWN_EVENT
                continue
            except LineError as exc:
                print(f"opsbot replay: {exc}", file=sys.stderr)
                code = max(code, EXIT_FAILED)
                continue
            for problem in session.problems:
                print(f"opsbot replay: {path}: {problem}", file=sys.stderr)
                code = max(code, EXIT_FAILED)
    return code


def _read(source: TextIO) -> str | None:
    line = source.readline()
    return None if line == "" else line


def _slack_tokens() -> tuple[str, str] | None:
    bot_token, app_token = os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_APP_TOKEN")
    return (bot_token, app_token) if bot_token and app_token else None


def _wants_color(args: argparse.Namespace) -> bool:
    return not args.json and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _terminal_width(json_lines: bool) -> int:
    if json_lines or not sys.stdout.isatty():
        return 100
    try:
        return max(60, min(os.get_terminal_size().columns, 120))
    except OSError:
        return 100


def _configure_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO if verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
    for noisy in ("botocore", "boto3", "urllib3", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _enable_line_editing() -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - importing it gives input() history and editing


if __name__ == "__main__":
    raise SystemExit(main())
