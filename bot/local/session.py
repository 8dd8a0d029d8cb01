"""One embedded opsbot session: moto + the local Slack + the real handlers, driven by lines.

`open_session` starts moto on 127.0.0.1 (or, with ``real_aws``, keeps only the bot's own
state and queues there), creates the bot's resources and the sample data, points the Slack
Web API at a :class:`~bot.local.slack_sink.SlackSink`, and builds the :class:`Runtime` the
handlers run on. The session then does what Slack and AWS would: signs `/ddb` requests and
button presses for functions/slack_http, and pumps the queues into the functions that
Lambda would invoke, in the event shapes AWS uses. Everything Slack would receive goes to an
:class:`Output`, as terminal renderings or as JSON lines.

Capability modules are imported by name when first needed; a missing one is reported as
"not available in this version" instead of failing the session.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import secrets
import shlex
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO
from urllib.parse import urlencode

from bot.aws.secrets import SlackCredentials
from bot.domain.authz import Grants, Role
from bot.domain.records import frozen
from bot.local.clock import ClockError, EmbeddedClock, event_time
from bot.local.console import render_for_terminal
from bot.local.slack_requests import (
    LOCAL_TEAM,
    function_url_event,
    signed_headers,
    slash_command_body,
)
from bot.local.sqs_pump import Kind, restore_round
from bot.runtime import Runtime, set_default_runtime
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

LOCAL_ADMIN = "U0LOCALADM"
LOCAL_CHANNEL = "C0OPSBOT1"
LOCAL_BOT_TOKEN = "xoxb-local-console"  # noqa: S105 - the local sink accepts any token
# The actions that change AWS (DESIGN.md section 5); refused under --aws without --allow-writes.
MUTATING_ACTIONS = frozenset(
    {"backup", "prune:apply", "restore", "pitr:on", "pitr:off", "alarms:recommend"}
)
# Web API methods that only look things up: not shown in the terminal rendering.
_LOOKUPS = frozenset(
    {"usergroups.users.list", "users.info", "auth.test", "conversations.info", "team.info"}
)
_HANDLER_ATTEMPTS = 3
_PUMP_ROUNDS = 25
_NOT_AVAILABLE = "not available in this version"

VERBS = """\
/ddb COMMAND              run a command as the local admin (try `/ddb help`)
as USER_ID /ddb COMMAND   run a command as another Slack user (unknown users get the default role)
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
run restore-watch         one round of the restore function (starts confirmed restores,
                          checks running ones)
home                      open the App Home tab (as USER_ID home: as another user)
help                      this list;  # starts a comment;  Ctrl-D quits"""


class LineError(Exception):
    """A line that could not be executed; the message says why."""


class UnknownEvent(LineError):
    """An event file whose shape no handler takes."""


# --- output ----------------------------------------------------------------------------------


class Output:
    """Where everything Slack would receive goes: terminal renderings or JSON lines."""

    def __init__(
        self,
        *,
        json_lines: bool = False,
        color: bool = False,
        width: int = 100,
        stream: TextIO | None = None,
    ) -> None:
        self.json_lines = json_lines
        self.color = color
        self.width = width
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        """The stream written to (stdout, looked up at write time, unless one was given)."""
        return self._stream or sys.stdout

    def slack(self, method: str, args: dict[str, Any]) -> None:
        """One thing Slack receives: a Web API call, an ack body or a response_url reply."""
        if self.json_lines:
            line = json.dumps({"method": method, "args": args}, ensure_ascii=False, default=str)
            print(line, file=self.stream, flush=True)
            return
        if method in _LOOKUPS or (method == "ack" and not args):
            return
        shown = "response_url" if method == "ack" else method
        text = render_for_terminal(args, method=shown, width=self.width, color=self.color)
        print(text + "\n", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A note from the local runtime itself (stderr with JSON lines: stdout stays clean)."""
        if self.json_lines:
            print(text, file=sys.stderr, flush=True)
        else:
            shown = text if "\n" in text else f"» {text}"  # a block (help) stays aligned
            print(shown, file=self.stream, flush=True)


# --- Slack requests as Slack signs them --------------------------------------------------------


def button_press_body(button: Button, *, user: str, response_url: str) -> str:
    """The form body Slack posts when ``button`` is pressed."""
    message: dict[str, Any] = {"ts": button.ts, "blocks": button.blocks}
    if button.thread_ts:
        message["thread_ts"] = button.thread_ts
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": LOCAL_TEAM},
        "channel": {"id": button.channel},
        "container": {
            "type": "message",
            "channel_id": button.channel,
            "message_ts": button.ts,
            "is_ephemeral": button.ephemeral,
        },
        "message": message,
        "response_url": response_url,
        "trigger_id": uuid.uuid4().hex,
        "actions": [
            {
                "action_id": button.action_id,
                "value": button.value,
                "block_id": button.block_id,
                "type": "button",
                **({"url": button.url} if button.url else {}),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


@frozen
class Button:
    """A button on a message the local Slack shows, and where that message is."""

    label: str
    action_id: str
    value: str
    block_id: str
    url: str
    channel: str
    ts: str
    thread_ts: str
    ephemeral: bool
    blocks: list[dict[str, Any]]


def buttons_in(blocks: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(label, button element, block id) of every button in a message's blocks."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                label = str((element.get("text") or {}).get("text", ""))
                yield label, element, str(block.get("block_id", ""))


# --- the session -------------------------------------------------------------------------------


@dataclass
class _Surface:
    """A message in the local Slack that a button can be pressed on (newest last)."""

    channel: str
    ts: str = ""
    ephemeral: bool = False
    blocks: list[dict[str, Any]] = field(default_factory=list)  # ephemeral ones only
    touched: int = 0


@dataclass
class LocalSession:
    """A running embedded opsbot; see the module doc. Close it (or use ``with``)."""

    runtime: Runtime
    output: Output
    sink: Any  # SlackSink, or None when a real workspace is served
    embedded: Any  # EmbeddedAws
    resources: Any  # LocalResources
    clock: EmbeddedClock = field(default_factory=EmbeddedClock)
    real_aws: bool = False
    allow_writes: bool = False
    last_user: str = LOCAL_ADMIN
    channel: str = LOCAL_CHANNEL
    problems: list[str] = field(default_factory=list)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)
    _cursor: int = 0
    _requests: int = 0
    _results: dict[int, dict[str, Any]] = field(default_factory=dict)
    _surfaces: dict[tuple[str, str, str], _Surface] = field(default_factory=dict)
    _touched: int = 0
    _originals: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _response_channels: dict[str, str] = field(default_factory=dict)
    _modules: dict[str, ModuleType | None] = field(default_factory=dict)
    _restore_checks: int = 0  # waiting on the restore queue when last told
    _closed: bool = False

    # --- lines -----------------------------------------------------------------------------

    def execute(self, line: str) -> None:
        """Run one script or console line; raises LineError when it cannot be executed."""
        text = line.strip()
        if not text or text.startswith("#"):
            return
        user = self.last_user
        if text.startswith("as "):
            _, _, rest = text.partition(" ")
            user, _, text = rest.strip().partition(" ")
            text = text.strip()
            if not user or not text:
                raise LineError("`as` needs a user id and a line: as U0123ABCD /ddb status orders")
            if not text.startswith(("/ddb", "press ")) and text != "home":
                raise LineError("`as USER` works with `/ddb ...`, `press LABEL` and `home` lines")
        elif text.startswith("/ddb"):
            user = LOCAL_ADMIN
        verb, _, rest = text.partition(" ")
        rest = rest.strip()
        if verb == "/ddb":
            self.command(rest, user=user)
        elif verb == "press":
            self.press(_unquote(rest), user=user)
        elif verb == "replay":
            at_event_time = rest.startswith("--at-event-time")
            rest = rest.removeprefix("--at-event-time").strip()
            if not rest:
                raise LineError("replay needs the path of an event file")
            self.replay(Path(_unquote(rest)), at_event_time=at_event_time)
        elif verb == "clock":
            self.set_clock(rest)
        elif verb == "alarm":
            parts = rest.split()
            if len(parts) != 2:
                raise LineError("alarm needs a name and a state: alarm orders-write-throttle ALARM")
            self.alarm(parts[0], parts[1])
        elif verb == "run":
            self.run_job(rest)
        elif verb == "home" and not rest:
            self.home(user=user)
        elif verb == "help":
            self.output.note(VERBS)
        else:
            raise LineError(f"unknown line {text!r}; say `help` for the line forms")

    def command(self, text: str, *, user: str = LOCAL_ADMIN) -> dict[str, Any]:
        """Send `/ddb <text>` as ``user`` through the signed request path; returns the ack body."""
        self._check_writes(text)
        self._requests += 1
        response_id = f"cmd-{self._requests}"
        response_url = self._sink().response_url(response_id)
        self._response_channels[response_id] = self.channel
        body = slash_command_body(text, user=user, channel=self.channel, response_url=response_url)
        ack = self._dispatch(body)
        self.last_user = user
        self.pump()
        return ack

    def press(self, label: str, *, user: str | None = None) -> None:
        """Press the button ``label`` on the newest message that has one."""
        if self.real_aws and not self.allow_writes:
            raise LineError("buttons can change AWS: with --aws they need --allow-writes")
        if not label:
            raise LineError("press needs the label of a button: press Confirm")
        self._flush()
        button, message = self._find_button(label)
        self._requests += 1
        response_id = f"btn-{self._requests}"
        sink = self._sink()
        if button.ephemeral:
            response_url = sink.response_url(response_id)
        else:
            response_url = sink.response_url(response_id, channel=button.channel, ts=button.ts)
        self._originals[response_id] = message
        self._response_channels[response_id] = button.channel
        presser = user or self.last_user
        self._dispatch(button_press_body(button, user=presser, response_url=response_url))
        self.pump()

    def home(self, *, user: str = LOCAL_ADMIN) -> None:
        """Open the App Home tab as ``user``: Slack's app_home_opened event, then its refresh."""
        body = json.dumps(
            {
                "type": "event_callback",
                "token": "unused",
                "team_id": LOCAL_TEAM,
                "api_app_id": "A0LOCAL",
                "event": {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": "D0LOCALHOME",
                    "tab": "home",
                    "event_ts": f"{time.time():.6f}",
                },
                "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
                "event_time": int(time.time()),
            }
        )
        self._dispatch(body, content_type="application/json")
        self.pump()

    def replay(self, path: Path, *, at_event_time: bool = False) -> None:
        """Deliver one event file to the handler for its source, then pump the queues; with
        ``at_event_time``, the clock first moves forward to the event's own time."""
        event = read_event(path)
        source, module = detect_source(event)
        if source is None:
            raise UnknownEvent(f"{path}: {module}")
        if at_event_time:
            self._move_clock_to_event(path, event)
        self.output.note(f"replay {path} -> functions.{module} ({source})")
        calls_before = len(self.sink.calls) if self.sink is not None else 0
        try:
            result = self._deliver(module, event)
        except _HandlerFailed:
            return  # recorded in self.problems
        self.pump()
        if self.sink is not None and len(self.sink.calls) == calls_before:
            # Handled, but nothing for Slack (an OK with no open incident, a duplicate, ...):
            # say what the handler answered, so a silent replay is not a mystery.
            answer = json.dumps(result, default=str) if result is not None else "nothing"
            self.output.note(
                f"replay {path}: nothing for Slack; functions.{module} answered {answer}"
            )

    def set_clock(self, text: str) -> None:
        """`clock`: say what time it is; `clock +20m` / `clock TIME`: move the clock forward."""
        if text:
            self._need_own_clock("clock")
            try:
                self.clock.set(text)
            except ClockError as exc:
                raise LineError(str(exc)) from None
        self.output.note(f"clock: {self.clock.now().strftime('%Y-%m-%d %H:%M:%S UTC')}")

    def _move_clock_to_event(self, path: Path, event: Any) -> None:
        self._need_own_clock("replay --at-event-time")
        when = event_time(event)
        if when is None:
            self.output.note(f"replay {path}: the event carries no time; the clock stays")
        elif not self.clock.advance_to(when) and self.clock.now() - when > timedelta(minutes=1):
            self.output.note(
                f"replay {path}: the event's time ({when:%Y-%m-%d %H:%M:%S} UTC) is not later "
                "than the embedded clock, which only moves forward; it is delivered now"
            )

    def _need_own_clock(self, verb: str) -> None:
        if self.real_aws:
            raise LineError(
                f"`{verb}` moves the clock, which --aws cannot: AWS refuses requests signed "
                "at another time"
            )

    def alarm(self, name: str, state: str) -> None:
        """Make a sample alarm change state; CloudWatch's SNS message goes through the pump."""
        self._need_embedded("alarm")
        from bot.local.alarm_publisher import STATES, publish_alarm_state

        state = state.upper()
        if state not in STATES:
            raise LineError(f"alarm state must be one of {', '.join(STATES)}, not {state!r}")
        region = self.resources.region
        try:
            publish_alarm_state(
                self.embedded.client("cloudwatch", region),
                self.embedded.client("sns", region),
                name,
                state,
                region=region,
                now=self.runtime.now(),
            )
        except LookupError as exc:
            raise LineError(str(exc).strip("'\"")) from None
        self.pump()

    def run_job(self, job: str) -> None:
        """`prune`: the scheduled prune now; `restore-watch`: one round of the restore function."""
        self._need_embedded(f"run {job}")
        if job == "prune":
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": self.resources.account_id,
                "time": self.runtime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.resources.region,
                "resources": [
                    f"arn:aws:events:{self.resources.region}:{self.resources.account_id}"
                    ":rule/opsbot-nightly-prune"
                ],
                "detail": {},
            }
            try:
                result = self._deliver("prune_scheduler", event)
            except _HandlerFailed:
                return  # recorded in self.problems
            if result is not None:
                self.output.note(f"prune scheduled: {json.dumps(result, default=str)}")
            self.pump()
        elif job == "restore-watch":
            watcher = self._module("restore_watcher")
            if watcher is None:
                self.output.note(f"the restore watcher is {_NOT_AVAILABLE}")
                return
            queue = self.resources.restore_watch_queue
            with self._failures_count("functions.restore_watcher"):
                checks = restore_round(self.runtime, queue_url=queue.url)
            self.output.note(f"restore watcher: {checks} check(s)")
            self._flush()
            self._restore_checks = 0  # what this round left waiting is news again
            self.pump()
        else:
            raise LineError(f"unknown job {job!r}: run prune or run restore-watch")

    # --- the pump ----------------------------------------------------------------------------

    def pump(self) -> int:
        """Deliver what arrived on the bot's queues to its functions until all are idle."""
        if self.resources is None:
            return 0
        total = 0
        for _ in range(_PUMP_ROUNDS):
            handled = sum(self._drain(*route) for route in self._routes())
            total += handled
            if not handled:
                break
        else:
            self.problems.append(f"the queues were still busy after {_PUMP_ROUNDS} rounds")
        self._flush()
        self._tell_restore_checks()
        return total

    def _tell_restore_checks(self) -> None:
        """Say when restore checks start waiting: unlike the other queues, the restore queue
        runs only on `run restore-watch` (its checks are minutes apart on AWS)."""
        sqs = self.embedded.client("sqs", self.resources.region)
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.resources.restore_watch_queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesDelayed", 0)
        )
        if waiting and waiting != self._restore_checks:
            self.output.note(
                f"the restore function has {waiting} check(s) waiting: "
                "`run restore-watch` runs them"
            )
        self._restore_checks = waiting

    def _routes(self) -> list[tuple[Any, Kind, str]]:
        r = self.resources
        return [
            (r.work_queue, "sqs", "slack_worker"),
            (r.alarms_queue, "sns", "alarms"),
            (r.events_queue, "eventbridge", ""),
            (r.inbox_queue, "sns", "sns_inbox"),
            (r.prune_queue, "sqs", "prune_worker"),
        ]

    def _drain(self, queue: Any, kind: Kind, module: str) -> int:
        from bot.local.sqs_pump import delete_messages, receive_lambda_events, release_messages

        sqs = self.embedded.client("sqs", self.resources.region)
        subscription = None
        if queue is self.resources.alarms_queue:
            subscription = self.resources.alarms_subscription_arn
        elif queue is self.resources.inbox_queue:
            subscription = self.resources.inbox_subscription_arn
        received = receive_lambda_events(sqs, queue.url, kind=kind, subscription_arn=subscription)
        for event, handles in received:
            target = module or _eventbridge_target(event)
            if target is None:
                log.warning("no handler for EventBridge %r; dropped", event.get("detail-type"))
                delete_messages(sqs, queue.url, handles)
                continue
            try:
                result = self._deliver(target, event)
            except _HandlerFailed:
                continue  # left invisible: the queue redelivers it later, as Lambda retries
            if kind == "sqs" and isinstance(result, dict):
                done, retry = _split_batch(event, handles, result)
                delete_messages(sqs, queue.url, done)
                if retry:
                    release_messages(sqs, queue.url, retry)
            else:
                delete_messages(sqs, queue.url, handles)
        return len(received)

    def _deliver(self, module_name: str, event: dict[str, Any]) -> Any:
        """Call functions.<module_name>.handle(event, runtime); None when it is not available."""
        module = self._module(module_name)
        if module is None:
            self.output.note(f"functions.{module_name} is {_NOT_AVAILABLE}; event dropped")
            return None
        with self._failures_count(f"functions.{module_name}"):
            try:
                result = module.handle(event, self.runtime)
            except Exception as exc:
                log.exception("functions.%s failed", module_name)
                self.problems.append(f"functions.{module_name} raised {type(exc).__name__}: {exc}")
                raise _HandlerFailed from exc
            finally:
                self._flush()
        return result

    @contextlib.contextmanager
    def _failures_count(self, where: str) -> Iterator[None]:
        # Handlers log and swallow some failures (then the platform retries): count those too.
        capture = _ErrorCapture()
        loggers = [logging.getLogger(), logging.getLogger("opsbot")]
        for logger in loggers:
            logger.addHandler(capture)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeHandler(capture)
            for message in capture.messages:
                self.problems.append(f"{where}: {message}")

    def _module(self, name: str) -> ModuleType | None:
        if name not in self._modules:
            self._modules[name] = import_function(name)
        return self._modules[name]

    # --- Slack ------------------------------------------------------------------------------

    def _dispatch(self, body: str, *, content_type: str | None = None) -> dict[str, Any]:
        slack_http = self._module("slack_http")
        if slack_http is None:
            raise LineError(f"functions.slack_http is {_NOT_AVAILABLE}")
        secret = self.runtime.credentials.signing_secret
        headers = signed_headers(body, secret)
        if content_type is not None:
            headers["content-type"] = content_type
        event = function_url_event(body, headers)
        with self._failures_count("functions.slack_http"):
            try:
                response = slack_http.handle(event, self.runtime)
            except Exception as exc:
                log.exception("functions.slack_http failed")
                raise LineError(f"functions.slack_http raised {type(exc).__name__}: {exc}") from exc
        self._flush()
        status = int(response.get("statusCode", 0))
        if status != 200:
            raise LineError(f"Slack's request was refused: HTTP {status} {response.get('body')}")
        ack = _ack_args(str(response.get("body") or ""))
        self.output.slack("ack", ack)
        return ack

    def _sink(self) -> Any:
        if self.sink is None:
            raise LineError("this session serves a real Slack workspace; type in Slack instead")
        return self.sink

    def _on_call(self, call: dict[str, Any]) -> None:
        # Runs on the sink's server thread: only remember what Slack answered (the ts).
        self._results[id(call["args"])] = call.get("result") or {}

    def _flush(self) -> None:
        """Show every Slack call made since the last flush, in the order Slack received them."""
        if self.sink is None:
            return
        calls = self.sink.calls[self._cursor :]
        self._cursor += len(calls)
        for call in calls:
            method, args = call["method"], call["args"]
            self._track(method, args)
            if method == "response_url":
                shown = {k: v for k, v in args.items() if k != "response_id"}
                self.output.slack("response_url", shown)
            else:
                self.output.slack(method, args)

    def _result_of(self, args: dict[str, Any]) -> dict[str, Any]:
        for _ in range(400):  # the sink answers before its hook runs: wait for the hook
            found = self._results.get(id(args))
            if found is not None:
                return found
            time.sleep(0.005)
        return {}

    def _track(self, method: str, args: dict[str, Any]) -> None:
        """Remember which messages show buttons, newest touch last (see :meth:`press`)."""
        key: tuple[str, str, str] | None = None
        if method in ("chat.postMessage", "chat.update"):
            result = self._result_of(args)
            key = ("msg", str(result.get("channel", "")), str(result.get("ts", "")))
            self._surfaces.setdefault(key, _Surface(channel=key[1], ts=key[2]))
        elif method == "chat.postEphemeral":
            result = self._result_of(args)
            key = ("eph", str(args.get("channel", "")), str(result.get("message_ts", "")))
            self._surfaces[key] = _Surface(
                channel=key[1], ts=key[2], ephemeral=True, blocks=list(args.get("blocks") or [])
            )
        elif method == "response_url":
            response_id = str(args.get("response_id", ""))
            original = self._originals.get(response_id)
            changes_original = bool(args.get("replace_original") or args.get("delete_original"))
            if original is not None and changes_original:
                key = original
                if args.get("delete_original"):
                    self._surfaces.pop(key, None)
                    return
                surface = self._surfaces.get(key)
                if surface is not None and surface.ephemeral:
                    surface.blocks = list(args.get("blocks") or [])
            else:
                channel = self._response_channels.get(response_id, self.channel)
                key = ("eph", channel, f"response-{response_id}-{len(self._surfaces)}")
                self._surfaces[key] = _Surface(
                    channel=channel, ephemeral=True, blocks=list(args.get("blocks") or [])
                )
                self._originals.setdefault(response_id, key)
        if key is not None and key in self._surfaces:
            self._touched += 1
            self._surfaces[key].touched = self._touched

    def _find_button(self, label: str) -> tuple[Button, tuple[str, str, str]]:
        """The button ``label`` on the newest message that still shows one, and its message."""
        wanted = label.casefold()
        messages = self._sink().messages
        newest_first = sorted(self._surfaces.items(), key=lambda kv: -kv[1].touched)
        for key, surface in newest_first:
            blocks, thread_ts = surface.blocks, ""
            if key[0] == "msg":
                current = messages.get((key[1], key[2]))
                if current is None:
                    continue  # deleted since
                blocks, thread_ts = (
                    list(current.get("blocks") or []),
                    str(current.get("thread_ts", "")),
                )
            for text, element, block_id in buttons_in(blocks):
                # The label as shown, or the button's action id ("press confirm" presses
                # "Delete 10 backups", whose action is `confirm`).
                if wanted in (text.casefold(), str(element.get("action_id", "")).casefold()):
                    button = Button(
                        label=text,
                        action_id=str(element.get("action_id", "")),
                        value=str(element.get("value", "")),
                        block_id=block_id,
                        url=str(element.get("url", "")),
                        channel=surface.channel,
                        ts=surface.ts,
                        thread_ts=thread_ts,
                        ephemeral=surface.ephemeral,
                        blocks=blocks,
                    )
                    return button, key
        raise LineError(f"no message shows a button labelled {label!r}")

    # --- safety -----------------------------------------------------------------------------

    def _check_writes(self, text: str) -> None:
        if not self.real_aws or self.allow_writes:
            return
        from bot.domain.command_parser import parse_command
        from bot.domain.errors import UsageError

        try:
            action = parse_command(text, self.runtime.now()).action
        except UsageError:
            return  # the bot answers with the usage error itself
        if action in MUTATING_ACTIONS:
            raise LineError(
                f"`/ddb {text}` changes AWS ({action}): with --aws it needs --allow-writes"
            )

    def _need_embedded(self, verb: str) -> None:
        if self.real_aws:
            raise LineError(f"`{verb}` simulates AWS and needs the embedded AWS (not --aws)")

    # --- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the sink and moto (forgetting what moto held), restore the environment."""
        if self._closed:
            return
        self._closed = True
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception:
                log.exception("cleaning up the local session failed")

    def __enter__(self) -> LocalSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _HandlerFailed(Exception):
    """A function raised: its message stays on the queue for a later delivery."""


class _ErrorCapture(logging.Handler):
    """Collects logged exceptions (ERROR with a traceback) while a handler runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []
        self._thread = threading.get_ident()  # not moto's or the sink's server threads

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.messages.append(f"{record.getMessage()} ({type(exc).__name__}: {exc})")


def import_function(name: str) -> ModuleType | None:
    """functions.<name>, or None when this version has no such module."""
    qualified = f"functions.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name in (qualified, "functions"):
            return None
        raise


def read_event(path: Path) -> Any:
    """The JSON of an event file; LineError/UnknownEvent when it cannot be read as JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LineError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnknownEvent(f"{path}: not a JSON event ({exc})") from None


def _unquote(text: str) -> str:
    try:
        parts = shlex.split(text)
    except ValueError:
        return text.strip()
    return " ".join(parts)


def _ack_args(body: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        decoded = json.loads(body)
    except ValueError:
        return {"text": body}
    return decoded if isinstance(decoded, dict) else {"text": body}


def _split_batch(
    event: dict[str, Any], handles: list[str], result: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Receipt handles to delete and to release, from a ReportBatchItemFailures answer."""
    failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
    done, retry = [], []
    for record, handle in zip(event.get("Records", []), handles, strict=False):
        if record.get("messageId") not in failed:
            done.append(handle)
            continue
        attempts = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        if attempts < _HANDLER_ATTEMPTS:
            retry.append(handle)  # visible again at once; the handler counts the attempts
    return done, retry


def _eventbridge_target(event: dict[str, Any]) -> str | None:
    detail_type = event.get("detail-type")
    if detail_type == "CloudWatch Alarm State Change":
        return "alarms"
    if detail_type == "AWS API Call via CloudTrail":
        return "cloudtrail"
    return None


# --- what an event file is -----------------------------------------------------------------------


def detect_source(event: Any) -> tuple[str | None, str]:
    """(source, functions module) for an event; (None, reason) when no handler takes it."""
    if not isinstance(event, dict):
        return None, f"an event is a JSON object, not {type(event).__name__}"
    if "detail-type" in event and "source" in event:
        detail_type = str(event["detail-type"])
        target = _eventbridge_target(event)
        if target == "alarms":
            return "EventBridge alarm", "alarms"
        if target == "cloudtrail":
            return "EventBridge CloudTrail", "cloudtrail"
        if detail_type == "Scheduled Event":
            return "EventBridge schedule", "prune_scheduler"
        return None, f"no handler takes EventBridge events of detail-type {detail_type!r}"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        if isinstance(first.get("Sns"), dict):
            return _sns_source(first["Sns"])
        if first.get("eventSource") == "aws:sqs":
            return _sqs_source(first)
        if "eventName" in first and "eventVersion" in first:
            return None, (
                "a CloudTrail log file, not an event: opsbot reads those from S3 when SNS "
                "announces them (replay the SNS notice instead)"
            )
        source = first.get("eventSource") or first.get("EventSource")
        return None, f"no handler takes records from {source or 'an unknown source'}"
    keys = ", ".join(sorted(str(k) for k in event)[:6]) or "none"
    return None, (
        "not an SNS, EventBridge or SQS event (expected Records or detail-type; "
        f"top-level keys: {keys})"
    )


def _sns_source(sns: dict[str, Any]) -> tuple[str | None, str]:
    try:
        message = json.loads(str(sns.get("Message", "")))
    except ValueError:
        message = None
    if isinstance(message, dict):
        if "AlarmName" in message and "NewStateValue" in message:
            return "SNS alarm", "alarms"
        if "s3Bucket" in message and "s3ObjectKey" in message:
            return "SNS CloudTrail log notice", "sns_inbox"
    return "SNS", "sns_inbox"


def _sqs_source(record: dict[str, Any]) -> tuple[str | None, str]:
    queue = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
    by_queue = {
        "opsbot-work": "slack_worker",
        "opsbot-prune": "prune_worker",
        "opsbot-restore-watch": "restore_watcher",
    }
    if queue in by_queue:
        return f"SQS {queue}", by_queue[queue]
    try:
        body = json.loads(str(record.get("body", "")))
    except ValueError:
        body = None
    if isinstance(body, dict):
        if "kind" in body and "user" in body:
            return "SQS work item", "slack_worker"
        if {"run_id", "region", "table"} <= body.keys():
            return "SQS prune task", "prune_worker"
        if {"job", "check"} <= body.keys():
            return "SQS restore check", "restore_watcher"
    return None, "an SQS event whose body is neither a work item, a prune task nor a restore check"


# --- building a session --------------------------------------------------------------------------


def local_settings(base: Settings, *, admin: str = LOCAL_ADMIN) -> Settings:
    """``base`` with ``admin`` granted the admin role."""
    access = base.access
    grants = dict(access.grants)
    current = grants.get(Role.ADMIN, Grants())
    grants[Role.ADMIN] = replace(current, users=current.users | {admin})
    return replace(base, access=replace(access, grants=grants))


def open_session(
    output: Output,
    *,
    real_aws: bool = False,
    allow_writes: bool = False,
    slack_tokens: tuple[str, str] | None = None,
    settings: Settings | None = None,
    sample_data: bool = True,
    verbose: bool = False,
    start: datetime | None = None,
) -> LocalSession:
    """Start moto, the local Slack (unless ``slack_tokens``), resources and the runtime; with
    ``start``, the process's clock starts at that time (the sample data is made relative to it).
    """
    import boto3
    from botocore.config import Config

    from bot.aws.clients import RETRY_CONFIG, AwsClients

    moto_retries = Config(retries={"mode": "standard", "max_attempts": 2})
    from bot.local.moto_server import start_moto
    from bot.local.sample_data import SAMPLE_REGION, create_bot_resources, create_sample_data
    from bot.local.slack_sink import SlackSink

    base = local_settings(settings or load_settings())
    cleanups: list[Callable[[], None]] = []
    if start is not None and real_aws:
        raise ClockError(
            "--now moves the clock, which --aws cannot: AWS refuses requests signed at another time"
        )
    clock = EmbeddedClock(start)
    cleanups.append(clock.stop)
    try:
        embedded = start_moto(region=SAMPLE_REGION)
        cleanups.append(embedded.stop)
        cleanups.append(_quiet_logs())
        if not real_aws:
            cleanups.append(_export_env(embedded))
        resources = create_bot_resources(
            embedded.client_factory, region=SAMPLE_REGION, state_table=base.state_table
        )
        if sample_data and not real_aws:
            from bot.local.sample_data import create_trail_log

            create_sample_data(
                embedded.client_factory,
                now=clock.now(),
                alarms_topic_arn=resources.alarms_topic_arn,
            )
            create_trail_log(
                embedded.client_factory, now=clock.now(), account_id=resources.account_id
            )
        sink = None
        if slack_tokens is None:
            sink = SlackSink(
                usergroups={group: [] for group in base.access.group_ids},
                channels=_channel_names(base),
            )
            cleanups.append(sink.stop)
            credentials = SlackCredentials(LOCAL_BOT_TOKEN, secrets.token_hex(16))
        else:
            signing = os.environ.get("SLACK_SIGNING_SECRET") or secrets.token_hex(16)
            credentials = SlackCredentials(slack_tokens[0], signing)
        runtime_settings = replace(
            base,
            aws_endpoint_url=None if real_aws else embedded.endpoint_url,
            slack_api_url=sink.base_url if sink is not None else None,
            work_queue_url=resources.work_queue.url,
            prune_queue_url=resources.prune_queue.url,
            restore_queue_url=resources.restore_watch_queue.url,
            alarm_topic_arn=resources.alarms_topic_arn,
        )
        # One boto3 session for all the runtime's clients: each new session re-reads
        # botocore's endpoint data, which costs more than the calls of a typical command.
        aws = AwsClients(
            default_region=runtime_settings.default_region,
            endpoint_url=runtime_settings.aws_endpoint_url,
            session=boto3.session.Session(),
            # moto answers HTTP 500 for the APIs it does not implement (LookupEvents,
            # DescribeGlobalTable): retrying those five times only slows the console down.
            config=RETRY_CONFIG if real_aws else RETRY_CONFIG.merge(moto_retries),
        )
        runtime = Runtime(runtime_settings, aws=aws, credentials_override=credentials)
        if real_aws:
            _keep_bot_state_local(runtime, embedded, resources)
        elif sample_data:
            _seed_audit_history(runtime, resources.account_id)
        session = LocalSession(
            runtime=runtime,
            output=output,
            sink=sink,
            embedded=embedded,
            resources=resources,
            clock=clock,
            real_aws=real_aws,
            allow_writes=allow_writes,
        )
        if sink is not None:
            sink.on_call = session._on_call
        for name in ("slack_http", "slack_worker", "alarms", "cloudtrail", "sns_inbox"):
            session._module(name)  # import now, so their loggers exist before the redirect
        cleanups.append(_logs_to_stderr(verbose))
        set_default_runtime(runtime)
        cleanups.append(lambda: _forget_runtime(runtime))
    except BaseException:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        raise
    session._cleanups = cleanups
    return session


# The sample opsbot was installed this long ago: `/ddb who-changed` answers from its history
# (moto has no CloudTrail LookupEvents to fall back on).
AUDIT_HISTORY_AGE = timedelta(days=90)


def _seed_audit_history(runtime: Runtime, account_id: str) -> None:
    """Back-date the audit history's install marker, as if opsbot had been recording a while."""
    from bot.aws.audit import mark_installed

    since = runtime.now() - AUDIT_HISTORY_AGE
    mark_installed(runtime.state, [account_id], now=since, cache=None)


def _channel_names(settings: Settings) -> dict[str, str]:
    # The default channel gets the console's channel id, so its messages and the commands
    # typed at the console are in one conversation.
    default = settings.channels.default
    if default.startswith("#"):
        return {LOCAL_CHANNEL: default.removeprefix("#")}
    return {}


def _export_env(embedded: Any) -> Callable[[], None]:
    """Point this process's boto3 at moto; returns the function that puts the env back."""
    from bot.local.moto_server import CREDENTIAL_VARS

    names = set(CREDENTIAL_VARS) | set(embedded.env())
    saved = {name: os.environ.get(name) for name in names}
    embedded.export()

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore


def _keep_bot_state_local(runtime: Runtime, embedded: Any, resources: Any) -> None:
    """With real AWS, keep the bot's own state table and work queue in moto."""
    from bot.aws.state import StateStore
    from bot.aws.work_queue import WorkQueue

    # cached_property values live in the instance dict: setting them replaces the lazy build.
    region = resources.region
    runtime.__dict__["state"] = StateStore(
        embedded.client("dynamodb", region), resources.state_table
    )
    runtime.__dict__["work_queue"] = WorkQueue(
        lambda: embedded.client("sqs", region), resources.work_queue.url
    )


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time (it is replaced under test capture)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _logs_to_stderr(verbose: bool) -> Callable[[], None]:
    """Send the functions' powertools logs (stdout by default) to stderr; returns the undo."""
    logger = logging.getLogger("opsbot")
    saved: list[tuple[logging.StreamHandler[Any], Any, int]] = []
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            saved.append((handler, handler.stream, handler.level))
            # Assigned, not setStream(): that flushes the old stream, which may be closed.
            handler.stream = _CurrentStderr()
            handler.setLevel(logging.INFO if verbose else logging.WARNING)

    def restore() -> None:
        for handler, stream, level in saved:
            handler.stream = stream
            handler.setLevel(level)

    return restore


class _DropMessage(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


def _quiet_logs() -> Callable[[], None]:
    """Silence what is noise locally; returns the undo."""
    # moto's server logs a traceback for every API it does not implement (LookupEvents,
    # DescribeGlobalTable, ...): the bot handles those answers and says so itself.
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.CRITICAL)
    # bolt warns that the client's token is ignored because authorize is given: that is
    # build_app's design (the same token either way), not something to act on.
    app_logger = logging.getLogger("bot.slack.app")
    token_note = _DropMessage("will be ignored")
    app_logger.addFilter(token_note)

    def restore() -> None:
        werkzeug.setLevel(level)
        app_logger.removeFilter(token_note)

    return restore


def _forget_runtime(runtime: Runtime) -> None:
    set_default_runtime(None)
    runtime.extras.pop("bolt_app", None)


# --- a real workspace over Socket Mode ---------------------------------------------------


def socket_mode_handler(app: Any, app_token: str) -> Any:
    """slack_bolt's Socket Mode handler for ``app`` (built, not yet connected)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


# How many pump rounds serve_socket_mode runs by default: None is until Ctrl-C (tests set it).
SOCKET_MODE_ROUNDS: int | None = None


def serve_socket_mode(
    session: LocalSession,
    app_token: str,
    *,
    poll_s: float = 0.5,
    max_rounds: int | None = None,
) -> None:
    """Serve a real Slack workspace: bolt over Socket Mode, the queues pumped in this thread."""
    from bot.slack.app import build_app

    max_rounds = SOCKET_MODE_ROUNDS if max_rounds is None else max_rounds
    app = build_app(session.runtime)
    handler = socket_mode_handler(app, app_token)
    handler.connect()
    session.output.note("serving your Slack workspace over Socket Mode; Ctrl-C stops")
    rounds = 0
    try:
        while max_rounds is None or rounds < max_rounds:
            session.pump()
            rounds += 1
            time.sleep(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
