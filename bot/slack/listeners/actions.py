"""The ack path of buttons: acknowledge at once, hand the press to the worker.

The worker checks who pressed, the plan behind a confirmation, expiry and role, and
answers; block actions cannot carry an answer in their ack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.aws.work_queue import SubmitFailed, WorkItem
from bot.render.help import render_not_started
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def handle_action(body: dict[str, Any], runtime: Runtime) -> None:
    """Submit one button press as a work item (after the ack)."""
    actions = body.get("actions") or []
    if not actions:
        return
    pressed = actions[0]
    if pressed.get("url"):
        return  # a link button: Slack opens the URL, nothing for us to do
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    message = body.get("message") or {}
    item = WorkItem(
        kind="action",
        user=str((body.get("user") or {}).get("id", "")),
        channel=str(channel or ""),
        response_url=str(body.get("response_url", "")),
        action_id=str(pressed.get("action_id", "")),
        value=str(pressed.get("value", "")),
        message_ts=str(message.get("ts", "")),
        thread_ts=str(message.get("thread_ts") or message.get("ts") or ""),
        requested_at=runtime.epoch(),
        checked_role=False,
    )
    try:
        runtime.work_queue.submit(item)
    except SubmitFailed:
        log.exception("could not hand off button %s", item.action_id)
        if item.response_url:
            runtime.notifier.respond(item.response_url, render_not_started("that button"))


def handle_home_opened(event: dict[str, Any], runtime: Runtime) -> None:
    """Refresh the App Home tab when a user opens it."""
    if event.get("tab", "home") != "home":
        return
    item = WorkItem(
        kind="home", user=str(event.get("user", "")), channel="", requested_at=runtime.epoch()
    )
    runtime.work_queue.submit(item)


def register(app: App, runtime: Callable[[], Runtime]) -> None:
    """Attach the button and App Home listeners."""

    @app.action(re.compile(r".*"))
    def on_action(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        handle_action(body, runtime())

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        handle_home_opened(event, runtime())
