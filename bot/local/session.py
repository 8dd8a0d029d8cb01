"""One embedded opsbot session: moto + the local Slack + the real handlers, driven by lines.

A :class:`LocalSession` (opened by :func:`bot.local.startup.open_session`) does what Slack
and AWS would: it signs `/ddb` requests and button presses for functions/slack_http, and
pumps the queues into the functions that Lambda would invoke, in the event shapes AWS uses.
Everything Slack would receive goes to an :class:`~bot.local.output.Output`, as terminal
renderings or as JSON lines. The lines it runs are read in :mod:`bot.local.verbs`; with a
real workspace, :func:`bot.local.socket_mode.serve_socket_mode` serves it over Socket Mode
instead.

Capability modules are imported by name when first needed; a missing one is reported as
"not available in this version" instead of failing the session.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.domain.counts import counted
from bot.local.buttons import Button, ButtonTracker, MessageKey
from bot.local.clock import EmbeddedClock
from bot.local.event_files import eventbridge_target
from bot.local.function_calls import NOT_AVAILABLE, HandlerFailed, import_function, logged_errors
from bot.local.output import Output
from bot.local.slack_requests import (
    app_home_opened_body,
    app_mention_body,
    button_press_body,
    function_url_event,
    signed_headers,
    slash_command_body,
)
from bot.local.sqs_pump import Kind, split_batch
from bot.local.verbs import LOCAL_ADMIN, LineError, execute_line
from bot.runtime import Runtime

log = logging.getLogger(__name__)

LOCAL_CHANNEL = "C0OPSBOT1"
# The actions that change AWS (DESIGN.md section 5); refused under --aws without --allow-writes.
MUTATING_ACTIONS = frozenset(
    {"backup", "prune:apply", "restore", "pitr:on", "pitr:off", "alarms:recommend"}
)
_PUMP_ROUNDS = 25


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
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # close() runs them
    restore_checks_told: int = 0  # waiting on the restore queue when last told
    staged: dict[Path, tuple[str, str]] = field(default_factory=dict)  # log files put in S3
    _cursor: int = 0
    _requests: int = 0
    _buttons: ButtonTracker = field(default_factory=ButtonTracker)
    _modules: dict[str, ModuleType | None] = field(default_factory=dict)
    _closed: bool = False

    # --- lines and Slack's requests ----------------------------------------------------------

    def execute(self, line: str) -> None:
        """Run one script or console line; raises LineError when it cannot be executed."""
        execute_line(self, line)

    def command(self, text: str, *, user: str = LOCAL_ADMIN) -> dict[str, Any]:
        """Send `/ddb <text>` as ``user`` through the signed request path; returns the ack body."""
        self._check_writes(text)
        self._requests += 1
        response_id = f"cmd-{self._requests}"
        response_url = self._sink().response_url(response_id)
        self._buttons.expect_response(response_id, channel=self.channel)
        body = slash_command_body(text, user=user, channel=self.channel, response_url=response_url)
        ack = self._dispatch(body)
        self.last_user = user
        self.pump()
        return ack

    def mention(self, text: str, *, user: str = LOCAL_ADMIN) -> None:
        """Say `@opsbot <text>` in the channel as ``user``: Slack's app_mention event through
        the signed Events API request path; the answer comes in the mention's thread."""
        self._check_writes(text)
        ts = self._sink().say(self.channel, user, f"@opsbot {text}")
        body = app_mention_body(text, user=user, channel=self.channel, ts=ts)
        self._dispatch(body, content_type="application/json")
        self.last_user = user
        self.pump()

    def press(self, label: str, *, user: str | None = None) -> None:
        """Press the button ``label`` on the newest message that has one."""
        if self.real_aws and not self.allow_writes:
            raise LineError("buttons can change AWS: with --aws they need --allow-writes")
        if not label:
            raise LineError("press needs the label of a button: press Confirm")
        self.flush()
        button, message = self._find_button(label)
        self._requests += 1
        response_id = f"btn-{self._requests}"
        sink = self._sink()
        if button.ephemeral:
            response_url = sink.response_url(response_id)
        else:
            response_url = sink.response_url(response_id, channel=button.channel, ts=button.ts)
        self._buttons.expect_response(response_id, channel=button.channel, original=message)
        presser = user or self.last_user
        self._dispatch(button_press_body(button, user=presser, response_url=response_url))
        self.pump()

    def home(self, *, user: str = LOCAL_ADMIN) -> None:
        """Open the App Home tab as ``user``: Slack's app_home_opened event, then its refresh."""
        self._dispatch(app_home_opened_body(user), content_type="application/json")
        self.pump()

    def replay(self, path: Path, *, at_event_time: bool = False) -> None:
        """Deliver one event file to the handler for its source, then pump the queues; with
        ``at_event_time``, the clock first moves forward to the event's own time."""
        from bot.local.replay import replay_file

        replay_file(self, path, at_event_time=at_event_time)

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
        self.flush()
        self._tell_restore_checks()
        return total

    def _tell_restore_checks(self) -> None:
        """Say when restore checks start waiting: unlike the other queues, the restore queue
        runs only on `run watch` (its checks are minutes apart on AWS)."""
        sqs = self.embedded.client("sqs", self.resources.region)
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.resources.restore_watch_queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesDelayed", 0)
        )
        if waiting and waiting != self.restore_checks_told:
            self.output.note(
                f"the restore function has {counted(waiting, 'check')} waiting: "
                "`run watch` runs them"
            )
        self.restore_checks_told = waiting

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
            target = module or eventbridge_target(event)
            if target is None:
                log.warning("no handler for EventBridge %r; dropped", event.get("detail-type"))
                delete_messages(sqs, queue.url, handles)
                continue
            try:
                result = self.deliver(target, event)
            except HandlerFailed:
                continue  # left invisible: the queue redelivers it later, as Lambda retries
            if kind == "sqs" and isinstance(result, dict):
                done, retry = split_batch(event, handles, result)
                delete_messages(sqs, queue.url, done)
                if retry:
                    release_messages(sqs, queue.url, retry)
            else:
                delete_messages(sqs, queue.url, handles)
        return len(received)

    def deliver(self, module_name: str, event: dict[str, Any]) -> Any:
        """Call functions.<module_name>.handle(event, runtime); None when it is not available;
        HandlerFailed (the failure recorded in ``problems``) when it raised."""
        module = self.function_module(module_name)
        if module is None:
            self.output.note(f"functions.{module_name} is {NOT_AVAILABLE}; event dropped")
            return None
        with self.counting_failures(f"functions.{module_name}"):
            try:
                result = module.handle(event, self.runtime)
            except Exception as exc:
                log.exception("functions.%s failed", module_name)
                self.problems.append(f"functions.{module_name} raised {type(exc).__name__}: {exc}")
                raise HandlerFailed from exc
            finally:
                self.flush()
        return result

    @contextlib.contextmanager
    def counting_failures(self, where: str) -> Iterator[None]:
        """Record in ``problems`` the failures logged while the block runs, named ``where``."""
        # Handlers log and swallow some failures (then the platform retries): count those too.
        messages: list[str] = []
        try:
            with logged_errors() as messages:
                yield
        finally:
            for message in messages:
                self.problems.append(f"{where}: {message}")

    def function_module(self, name: str) -> ModuleType | None:
        """functions.<name>, imported once; None when this version has no such module."""
        if name not in self._modules:
            self._modules[name] = import_function(name)
        return self._modules[name]

    # --- Slack ------------------------------------------------------------------------------

    def _dispatch(self, body: str, *, content_type: str | None = None) -> dict[str, Any]:
        slack_http = self.function_module("slack_http")
        if slack_http is None:
            raise LineError(f"functions.slack_http is {NOT_AVAILABLE}")
        secret = self.runtime.credentials.signing_secret
        headers = signed_headers(body, secret)
        if content_type is not None:
            headers["content-type"] = content_type
        event = function_url_event(body, headers)
        with self.counting_failures("functions.slack_http"):
            try:
                response = slack_http.handle(event, self.runtime)
            except Exception as exc:
                log.exception("functions.slack_http failed")
                raise LineError(f"functions.slack_http raised {type(exc).__name__}: {exc}") from exc
        self.flush()
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

    def on_slack_call(self, call: dict[str, Any]) -> None:
        """The sink's hook: runs on its server thread, only remembers what Slack answered."""
        self._buttons.answered(call)

    def flush(self) -> None:
        """Show every Slack call made since the last flush, in the order Slack received them."""
        if self.sink is None:
            return
        calls = self.sink.calls[self._cursor :]
        self._cursor += len(calls)
        for call in calls:
            method, args = call["method"], call["args"]
            self._buttons.track(method, args, channel=self.channel)
            if method == "response_url":
                shown = {k: v for k, v in args.items() if k != "response_id"}
                self.output.slack("response_url", shown)
            else:
                self.output.slack(method, args)

    def _find_button(self, label: str) -> tuple[Button, MessageKey]:
        """The button ``label`` on the newest message that still shows one, and its message."""
        found = self._buttons.find(label, self._sink().messages)
        if found is None:
            raise LineError(f"no message shows a button labelled {label!r}")
        return found

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

    # --- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the sink and moto (forgetting what moto held), restore the environment."""
        if self._closed:
            return
        self._closed = True
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception:
                log.exception("cleaning up the local session failed")

    def __enter__(self) -> LocalSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ack_args(body: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        decoded = json.loads(body)
    except ValueError:
        return {"text": body}
    return decoded if isinstance(decoded, dict) else {"text": body}
