"""The console's verbs: the lines a script or the console says, and what each one does.

`execute_line` reads one line and runs it on a :class:`~bot.local.session.LocalSession`:
`/ddb`, `press`, `home` and `replay` go to the session's own methods (Slack's requests, an
event file's delivery); `clock`, `alarm` and `run` are here, as what the embedded AWS and
its clock would do.
"""

from __future__ import annotations

import json
import shlex
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain.counts import counted
from bot.local.clock import ClockError, event_time
from bot.local.function_calls import NOT_AVAILABLE, HandlerFailed
from bot.local.sqs_pump import restore_round

if TYPE_CHECKING:
    from bot.local.session import LocalSession

# The Slack user the console's `/ddb` and `@opsbot` lines run as; it has the admin role.
LOCAL_ADMIN = "U0LOCALADM"
MENTION = "@opsbot"

VERBS = """\
/ddb COMMAND              run a command as the local admin (try `/ddb help`)
@opsbot COMMAND           mention the bot in the channel (Slack's app_mention event); it
                          answers in the mention's thread
as USER_ID /ddb COMMAND   run a command (or a mention) as another Slack user (unknown users
                          get the default role)
as USER_ID press LABEL    press a button as another user
press LABEL               press the button LABEL (its text or action id, e.g. Confirm) on the
                          newest message that has one, as the user of the last command
replay PATH               deliver an event file (SNS, EventBridge or SQS) to its handler, now
replay --at-event-time PATH  the same, with the clock first moved to the event's own time
                          (so it reads as it did when it arrived)
clock [TIME|+DURATION]    show the embedded clock, or move it forward (+20m, or an ISO time);
                          as a script's first line, `clock TIME` starts the session at TIME
alarm NAME STATE          make alarm NAME go to OK, ALARM or INSUFFICIENT_DATA (through SNS)
run prune                 the nightly prune, now
run drills                the scheduled restore drills, now (then `run watch` follows them)
run watch                 one round of the follow-up function: every pending check of
                          restores (starts confirmed ones) and other long-running jobs
                          (`run restore-watch` is the same)
home                      open the App Home tab (as USER_ID home: as another user)
help                      this list;  # starts a comment
quit, exit                end the console (so does Ctrl-D)"""

QUIT_WORDS = frozenset({"quit", "exit"})


class LineError(Exception):
    """A line that could not be executed; the message says why."""


def is_quit(line: str) -> bool:
    """Whether ``line`` asks to end the console (or a script) here."""
    return line.strip().lower() in QUIT_WORDS


def execute_line(session: LocalSession, line: str) -> None:
    """Run one script or console line; raises LineError when it cannot be executed."""
    text = line.strip()
    if not text or text.startswith("#"):
        return
    user = session.last_user
    if text.startswith("as "):
        _, _, rest = text.partition(" ")
        user, _, text = rest.strip().partition(" ")
        text = text.strip()
        if not user or not text:
            raise LineError("`as` needs a user id and a line: as U0123ABCD /ddb status orders")
        if not text.startswith(("/ddb", "press ", MENTION)) and text != "home":
            raise LineError(
                "`as USER` works with `/ddb ...`, `@opsbot ...`, `press LABEL` and `home` lines"
            )
    elif text.startswith(("/ddb", MENTION)):
        user = LOCAL_ADMIN
    verb, _, rest = text.partition(" ")
    rest = rest.strip()
    if verb == "/ddb":
        session.command(rest, user=user)
    elif verb == MENTION:
        if not rest:
            raise LineError("say what to ask: @opsbot status orders")
        session.mention(rest, user=user)
    elif verb == "press":
        session.press(_unquote(rest), user=user)
    elif verb == "replay":
        at_event_time = rest.startswith("--at-event-time")
        rest = rest.removeprefix("--at-event-time").strip()
        if not rest:
            raise LineError("replay needs the path of an event file")
        session.replay(Path(_unquote(rest)), at_event_time=at_event_time)
    elif verb == "clock":
        set_clock(session, rest)
    elif verb == "alarm":
        parts = rest.split()
        if len(parts) != 2:
            raise LineError("alarm needs a name and a state: alarm orders-write-throttle ALARM")
        alarm(session, parts[0], parts[1])
    elif verb == "run":
        run_job(session, rest)
    elif verb == "home" and not rest:
        session.home(user=user)
    elif verb == "help":
        session.output.note(VERBS)
    else:
        raise LineError(f"unknown line {text!r}; say `help` for the line forms")


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text.strip()
    return " ".join(parts)


# --- the clock -----------------------------------------------------------------------------


def set_clock(session: LocalSession, text: str) -> None:
    """`clock`: say what time it is; `clock +20m` / `clock TIME`: move the clock forward."""
    if text:
        _need_own_clock(session, "clock")
        try:
            session.clock.set(text)
        except ClockError as exc:
            raise LineError(str(exc)) from None
    session.output.note(f"clock: {session.clock.now().strftime('%Y-%m-%d %H:%M:%S UTC')}")


def move_clock_to_event(session: LocalSession, path: Path, event: Any) -> None:
    """`replay --at-event-time`: move the clock forward to the event's own time, if it can."""
    _need_own_clock(session, "replay --at-event-time")
    when = event_time(event)
    if when is None:
        session.output.note(f"replay {path}: the event carries no time; the clock stays")
    elif not session.clock.advance_to(when) and session.clock.now() - when > timedelta(minutes=1):
        session.output.note(
            f"replay {path}: the event's time ({when:%Y-%m-%d %H:%M:%S} UTC) is not later "
            "than the embedded clock, which only moves forward; it is delivered now"
        )


def _need_own_clock(session: LocalSession, verb: str) -> None:
    if session.real_aws:
        raise LineError(
            f"`{verb}` moves the clock, which --aws cannot: AWS refuses requests signed "
            "at another time"
        )


# --- the embedded AWS ----------------------------------------------------------------------


def alarm(session: LocalSession, name: str, state: str) -> None:
    """Make a sample alarm change state; CloudWatch's SNS message goes through the pump."""
    _need_embedded(session, "alarm")
    from bot.local.alarm_publisher import STATES, publish_alarm_state

    state = state.upper()
    if state not in STATES:
        raise LineError(f"alarm state must be one of {', '.join(STATES)}, not {state!r}")
    region = session.resources.region
    try:
        publish_alarm_state(
            session.embedded.client("cloudwatch", region),
            session.embedded.client("sns", region),
            name,
            state,
            region=region,
            now=session.runtime.now(),
        )
    except LookupError as exc:
        raise LineError(str(exc).strip("'\"")) from None
    session.pump()


def run_job(session: LocalSession, job: str) -> None:
    """`prune`: the scheduled prune now; `drills`: the scheduled drills now; `watch` (or
    `restore-watch`): one round of the follow-up function."""
    _need_embedded(session, f"run {job}")
    resources = session.resources
    if job == "prune":
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": resources.account_id,
            "time": session.runtime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": resources.region,
            "resources": [
                f"arn:aws:events:{resources.region}:{resources.account_id}"
                ":rule/opsbot-nightly-prune"
            ],
            "detail": {},
        }
        try:
            result = session.deliver("prune_scheduler", event)
        except HandlerFailed:
            return  # recorded in session.problems
        if result is not None:
            session.output.note(f"prune scheduled: {json.dumps(result, default=str)}")
        session.pump()
    elif job == "drills":
        try:
            result = session.deliver(
                "drill_scheduler", {"opsbot": "run-now", "id": str(uuid.uuid4())}
            )
        except HandlerFailed:
            return  # recorded in session.problems
        if result is not None:
            session.output.note(f"drills scheduled: {json.dumps(result, default=str)}")
        session.pump()
    elif job in ("watch", "restore-watch"):
        watcher = session.function_module("restore_watcher")
        if watcher is None:
            session.output.note(f"the follow-up function is {NOT_AVAILABLE}")
            return
        queue = resources.restore_watch_queue
        with session.counting_failures("functions.restore_watcher"):
            checks = restore_round(session.runtime, queue_url=queue.url)
        session.output.note(f"follow-up: {counted(checks, 'check')}")
        session.flush()
        session.restore_checks_told = 0  # what this round left waiting is news again
        session.pump()
    else:
        raise LineError(f"unknown job {job!r}: run prune, run drills or run watch")


def _need_embedded(session: LocalSession, verb: str) -> None:
    if session.real_aws:
        raise LineError(f"`{verb}` simulates AWS and needs the embedded AWS (not --aws)")
