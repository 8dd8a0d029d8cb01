"""The worker: runs what the ack path handed off, once, and always answers the user.

A redelivered item is skipped (idempotency record per item id). An item that waited longer
than `slack.late_after` is not run and the user is told. Expected errors become replies;
unexpected ones are retried by the platform a few times and then reported to the user.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.aws.work_queue import WorkItem
from bot.domain.authz import Role
from bot.domain.command_parser import parse_command
from bot.domain.commands import Help
from bot.domain.errors import NotAllowed, OpsbotError, UsageError
from bot.domain.locations import home_only
from bot.domain.typed import as_typed
from bot.flows import registry
from bot.flows.access import role_of
from bot.flows.catalog import AVAILABLE_COMMANDS
from bot.flows.confirmations import PRESSES, run_plan_press
from bot.flows.registry import Request
from bot.render.help import (
    render_denied,
    render_error,
    render_help,
    render_late,
    render_not_available,
    render_usage_error,
)
from bot.render.message import code
from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Slack errors that say the destination no longer exists or will not take our messages.
GONE = frozenset(
    {
        "channel_not_found",
        "thread_not_found",
        "message_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "account_inactive",
    }
)
_LEASE_S = 900
_KEEP_S = 7 * 86400


def parse_work_record(record: Mapping[str, Any]) -> tuple[WorkItem, int]:
    """The work item of an SQS record and its delivery attempt; ValueError/KeyError when the
    body is not a work item (it never will be)."""
    attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
    return WorkItem.from_json(record["body"]), attempt


def run_work_item(item: WorkItem, runtime: Runtime, *, attempt: int = 1) -> None:
    """Run one work item at most once; raises only to ask the platform for a retry."""
    registry.load_handlers()
    if not runtime.state.claim_once(
        "work", item.id, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S
    ):
        log.info("work item %s already handled; skipping the redelivery", item.id)
        return
    request = Request(runtime, item, Role.VIEWER)
    try:
        waited = runtime.epoch() - item.requested_at
        if (
            attempt == 1
            and item.requested_at
            and waited > runtime.settings.late_after.total_seconds()
        ):
            request.reply(render_late(_what(item), waited))
        else:
            request.role, request.unreadable_groups = role_of(runtime, item.user, item.channel)
            _dispatch(request)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in GONE and attempt < MAX_ATTEMPTS:
            runtime.state.release_once("work", item.id)
            raise
        # The reply's channel, thread or user is gone, or Slack kept refusing it: no retry
        # can deliver it, and there is nowhere left to say so.
        log.error("dropping work item %s: Slack refuses its reply (%s)", item.id, error)
    except OpsbotError as exc:
        if item.kind == "home":
            log.warning("App Home for %s not refreshed: %s", item.user, exc.message)
        else:
            _reply_error(request, exc)
    except Exception:
        if attempt < MAX_ATTEMPTS:
            runtime.state.release_once("work", item.id)
            raise
        log.exception("work item %s failed after %s attempts", item.id, attempt)
        if item.kind == "home":
            runtime.state.complete_once("work", item.id)
            return  # nobody asked: the next opening of the tab tries again
        request.reply(
            render_error(
                f"Something went wrong running {code(_what(item))} and I gave up after {attempt} "
                f"tries. Reference: `{item.id}`."
            )
        )
    runtime.state.complete_once("work", item.id)


def _what(item: WorkItem) -> str:
    return as_typed(item.text) if item.kind in ("command", "mention") else "that button"


def _reply_error(request: Request, exc: OpsbotError) -> None:
    if isinstance(exc, UsageError):
        request.reply(render_usage_error(exc))
    elif isinstance(exc, NotAllowed):
        request.reply(render_denied(exc.message))
    else:
        request.reply(render_error(exc.message))


def _dispatch(request: Request) -> None:
    item = request.item
    if item.kind in ("command", "mention"):
        _run_command(request)
    elif item.kind == "action":
        _run_action(request)
    elif item.kind == "home":
        for publish in registry.HOME:
            publish(request)
    else:
        log.warning("unknown work item kind %r dropped", item.kind)


def _run_command(request: Request) -> None:
    cmd = parse_command(request.item.text, request.now)
    if isinstance(cmd, Help):
        request.reply(render_help(cmd.topic, available=AVAILABLE_COMMANDS))
        return
    handler = registry.COMMANDS.get(type(cmd))
    if handler is None:
        request.reply(render_not_available(as_typed(request.item.text)))
        return
    request.action = cmd.action
    request.check(cmd.action, what=code(as_typed(request.item.text)))
    table = getattr(cmd, "table", None)
    if table is not None and type(cmd) not in registry.ACCOUNT_AWARE:
        home_table = home_only(table, request.runtime.settings.accounts)
        cmd = dataclasses.replace(cmd, table=home_table)  # type: ignore[arg-type]
    handler(cmd, request)


def _run_action(request: Request) -> None:
    item = request.item
    if item.action_id in PRESSES:
        run_plan_press(request)
        return
    spec = registry.ACTIONS.get(item.action_id)
    if spec is None:
        log.warning("no handler for button %r", item.action_id)
        request.reply(render_error("That button is not available in this version of opsbot."))
        return
    request.action = spec.permission
    request.check(spec.permission, what="That button")
    spec.handler(item.value, request)
