"""The registry of what the worker can run: command handlers, button handlers, plan executors.

Each capability's flow module registers its handlers with the decorators here;
`load_handlers()` imports every module listed in `bot.flows.catalog.CAPABILITIES`. A command
without a handler is answered in the ack as "not available in this version".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.aws.plans import create_plan
from bot.aws.state import record_bot_action
from bot.aws.work_queue import WorkItem
from bot.domain.authz import CONFIRMED_ACTIONS, Role
from bot.domain.confirmations import Plan
from bot.domain.records import frozen
from bot.domain.visibility import in_channel
from bot.render.message import Message
from bot.runtime import Runtime
from bot.slack.notifier import Posted


@dataclass
class Request:
    """One unit of work in the worker: who asked, where, with what role, and how to answer."""

    runtime: Runtime
    item: WorkItem
    role: Role
    # Role-granting user groups Slack would not list (group id -> Slack's error).
    unreadable_groups: Mapping[str, str] = field(default_factory=dict)
    approved_by: str = ""  # while an approved plan runs: who approved it
    # The action being answered (bot.domain.authz): a command's, a button's permission, a
    # confirmed plan's. It decides who sees the answer; '' (nothing yet) answers privately.
    action: str = ""

    @property
    def user(self) -> str:
        """The Slack user who asked (or pressed)."""
        return self.item.user

    @property
    def channel(self) -> str:
        """The channel the request came from."""
        return self.item.channel

    @property
    def now(self) -> datetime:
        """The runtime's current time."""
        return self.runtime.now()

    def check(self, action: str, *, what: str) -> None:
        """Raise NotAllowed unless this request's user holds the role ``action`` needs."""
        self.runtime.settings.access.check(
            action, self.role, what=what, unreadable=self.unreadable_groups
        )

    def reply(self, message: Message, *, replace_original: bool = False) -> None:
        """Answer the user: in the channel or only to them as bot.domain.visibility says for
        this request's action (errors and help are always only to them); through the
        response_url, else ephemeral, else a DM; in the thread for mentions."""
        if not message.ephemeral and not in_channel(self.action):
            message = replace(message, ephemeral=True)
        if self.item.kind == "mention":
            notifier, thread = self.runtime.notifier, self.item.thread_ts
            if message.ephemeral:
                notifier.ephemeral(self.channel, self.user, message, thread_ts=thread)
            else:
                notifier.post(self.channel, message, thread_ts=thread)
            return
        self.runtime.notifier.reply(
            message,
            response_url=self.item.response_url or None,
            channel=self.channel,
            user=self.user,
            replace_original=replace_original,
        )

    def replace_original(self, message: Message, *, channel: str = "", ts: str = "") -> None:
        """Show ``message`` in place of the message whose button was pressed (or of the
        message ``channel``/``ts``), where everyone in the channel sees it."""
        shown = replace(message, ephemeral=False)
        url = self.item.response_url
        if url and self.runtime.notifier.respond(url, shown, replace_original=True):
            return
        channel, ts = channel or self.channel, ts or self.item.message_ts
        if channel and ts:
            self.runtime.notifier.update(channel, ts, shown)
            return
        self.post(shown)

    def record_action(self, request_id: str, command: str, *, user: str | None = None) -> None:
        """Remember that AWS request ``request_id`` was made for this request's user (or
        ``user``), so the audit trail shows it as "@user via opsbot" (with "(approved by
        @approver)" while an approved plan runs)."""
        record_bot_action(
            self.runtime.state,
            request_id=request_id,
            slack_user=user or self.user,
            command=command,
            now=self.runtime.epoch(),
            approved_by=self.approved_by,
        )

    def create_plan(
        self, *, kind: str, action: str, summary: str, payload: Mapping[str, Any]
    ) -> Plan:
        """Store a plan only this request's user may confirm, in this channel, valid for the
        configured `confirm.ttl`; its executor is the one registered for ``kind``."""
        if action not in CONFIRMED_ACTIONS:
            # `[approvals]` accepts only CONFIRMED_ACTIONS: a plan outside it could not be
            # made to wait for a second person.
            raise ValueError(f"add {action!r} to bot.domain.authz.CONFIRMED_ACTIONS")
        return create_plan(
            self.runtime.state,
            kind=kind,
            action=action,
            requester=self.user,
            channel=self.channel,
            now=self.now,
            ttl_s=self.runtime.settings.confirm_ttl.total_seconds(),
            summary=summary,
            payload=payload,
        )

    def post(self, message: Message, *, thread_ts: str | None = None) -> Posted:
        """Post in the request's channel (visible to all), e.g. a plan to confirm."""
        return self.runtime.notifier.post(self.channel, message, thread_ts=thread_ts)


CommandHandler = Callable[[Any, Request], None]
ActionHandler = Callable[[str, Request], None]
PlanExecutor = Callable[[Plan, Request], None]


@frozen
class ActionSpec:
    """A button handler and the permission it needs."""

    handler: ActionHandler
    permission: str


COMMANDS: dict[type, CommandHandler] = {}
# Command types whose handler resolves `table@account/region` itself; the others only get
# home-account tables (a member account is refused rather than silently mixed up).
ACCOUNT_AWARE: set[type] = set()
ACTIONS: dict[str, ActionSpec] = {}
PLANS: dict[str, PlanExecutor] = {}
HOME: list[Callable[[Request], None]] = []


def command(
    kind: type, *, account_aware: bool = False
) -> Callable[[CommandHandler], CommandHandler]:
    """Register the worker-side handler of one command type."""

    def register(handler: CommandHandler) -> CommandHandler:
        COMMANDS[kind] = handler
        if account_aware:
            ACCOUNT_AWARE.add(kind)
        return handler

    return register


def action(action_id: str, *, permission: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register a button handler; ``permission`` is checked against the presser's role."""

    def register(handler: ActionHandler) -> ActionHandler:
        ACTIONS[action_id] = ActionSpec(handler, permission)
        return handler

    return register


def plan_executor(kind: str) -> Callable[[PlanExecutor], PlanExecutor]:
    """Register what runs when a plan of ``kind`` is confirmed (it re-validates first)."""

    def register(executor: PlanExecutor) -> PlanExecutor:
        PLANS[kind] = executor
        return executor

    return register


def home_renderer(handler: Callable[[Request], None]) -> Callable[[Request], None]:
    """Register the App Home publisher."""
    HOME[:] = [handler]
    return handler


_LOADED = False


def load_handlers() -> None:
    """Import every capability module once so they register."""
    global _LOADED
    if _LOADED:
        return
    from bot.flows.catalog import CAPABILITIES

    for name in CAPABILITIES:
        importlib.import_module(name)
    _LOADED = True
