"""The ack path of `/ddb` and `@opsbot` mentions: parse, authorize from configuration and
cached data, answer. Slow work is handed to the worker through the work queue."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from slack_bolt import Ack, App

from bot.aws.work_queue import SubmitFailed, WorkItem
from bot.domain.command_parser import parse_command
from bot.domain.commands import Help, command_name
from bot.domain.errors import NotAllowed, UsageError
from bot.domain.typed import as_typed
from bot.flows.catalog import AVAILABLE_COMMANDS
from bot.render.help import (
    render_denied,
    render_help,
    render_not_available,
    render_not_started,
    render_usage_error,
    render_working,
)
from bot.render.message import Message, code
from bot.runtime import Runtime

log = logging.getLogger(__name__)
_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def ack_body(message: Message) -> dict[str, Any]:
    """The body of an ack that answers a slash command."""
    body = message.as_args()
    body["response_type"] = "ephemeral" if message.ephemeral else "in_channel"
    return body


@lru_cache(maxsize=32)
def _help_ack(topic: str | None, available: frozenset[str]) -> str:
    # Help is the same for everyone: render and serialize it once per process.
    return json.dumps(ack_body(render_help(topic, available=available)))


def handle_command(body: dict[str, Any], runtime: Runtime) -> dict[str, Any] | str:
    """Decide the ack of one slash command; submits slow work. No network but the submit.

    The answer is an ack body, or (for help) that body already serialized as JSON.
    """
    text = str(body.get("text") or "")
    user, channel = str(body.get("user_id", "")), str(body.get("channel_id", ""))
    try:
        cmd = parse_command(text, runtime.now())
    except UsageError as exc:
        return ack_body(render_usage_error(exc))
    if isinstance(cmd, Help):
        return _help_ack(cmd.topic, AVAILABLE_COMMANDS)
    access = runtime.settings.access
    groups = runtime.cached_groups(user) if access.group_ids else frozenset()
    role = access.role_of(user, channel, groups or frozenset())
    checked = True
    typed = as_typed(text)
    try:
        access.check(cmd.action, role, what=code(typed))
    except NotAllowed as exc:
        if groups is not None:
            return ack_body(render_denied(exc.message))
        checked = False  # group members unknown here: the worker looks them up and decides
    if command_name(cmd) not in AVAILABLE_COMMANDS:
        return ack_body(render_not_available(typed))
    item = WorkItem(
        kind="command",
        user=user,
        channel=channel,
        text=text,
        response_url=str(body.get("response_url", "")),
        requested_at=runtime.epoch(),
        checked_role=checked,
    )
    try:
        runtime.work_queue.submit(item)
    except SubmitFailed:
        log.exception("could not hand off %s", command_name(cmd))
        return ack_body(render_not_started(typed))
    return ack_body(render_working(typed, checking_role=not checked))


def handle_mention(event: dict[str, Any], runtime: Runtime, event_id: str) -> None:
    """Hand a mention to the worker, which answers in its thread (events have no ack body)."""
    text = _MENTION.sub("", str(event.get("text", "")))
    item = WorkItem(
        kind="mention",
        user=str(event.get("user", "")),
        channel=str(event.get("channel", "")),
        text=text,
        thread_ts=str(event.get("thread_ts") or event.get("ts") or ""),
        requested_at=runtime.epoch(),
        # Slack retries events it thinks were lost: the event id makes them one work item.
        id=event_id or uuid.uuid4().hex,
    )
    runtime.work_queue.submit(item)


def register(app: App, runtime: Callable[[], Runtime]) -> None:
    """Attach the `/ddb` command and mention listeners."""

    @app.command("/ddb")
    def on_command(ack: Ack, body: dict[str, Any]) -> None:
        answer = handle_command(body, runtime())
        # bolt sends a lone text that starts with "{" as is, as application/json
        ack(answer) if isinstance(answer, str) else ack(**answer)

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        handle_mention(event, runtime(), str(body.get("event_id", "")))
