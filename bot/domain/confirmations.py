"""Confirmation plans: a stored plan, a button that carries only its id, and the press checks
(the requester's Confirm, and a second person's Approve when `[approvals]` names the action).

Pure: the adapter loads the plan and passes it here with the presser and `now`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from bot.domain.errors import ConfirmationExpired, ConfirmationInvalid
from bot.domain.records import frozen

# A confirmed plan whose action `[approvals]` names waits here for a second person.
AWAITING_APPROVAL = "awaiting-approval"
_PLAN_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as bot.aws.plans makes them


@frozen
class Plan:
    """What a confirmation will do, who may confirm it, and until when."""

    id: str
    kind: str  # which executor runs it: "prune", "restore", "pitr-off", ...
    action: str  # the permission it needs at press time: "prune:apply", ...
    requester: str
    channel: str
    created_at: datetime
    valid_until: datetime
    # pending -> [awaiting-approval ->] running -> done | failed; or cancelled
    status: str = "pending"
    summary: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    message_ts: str = ""
    confirmed_by: str = ""  # the requester, once they pressed Confirm
    approved_by: str = ""  # the second person, for actions `[approvals]` names


def button_value(plan_id: str, requester: str) -> str:
    """The value a confirmation button carries: the plan id and who may press it."""
    return f"{plan_id}|{requester}"


def split_button_value(value: str) -> tuple[str, str]:
    """(plan id, requester) from a button value; raises ConfirmationInvalid when malformed."""
    plan_id, sep, requester = value.partition("|")
    if not sep or not plan_id or not requester:
        raise ConfirmationInvalid("This button is not a valid confirmation.")
    return plan_id, requester


def plan_id_to_approve(value: str) -> str:
    """The plan id an Approve button carries (it carries nothing else: anyone may press it);
    ConfirmationInvalid when the value cannot be one."""
    if not _PLAN_ID.fullmatch(value):
        raise ConfirmationInvalid("This button is not a valid approval.")
    return value


def check_press(plan: Plan | None, presser: str, now: datetime, *, verb: str = "confirm") -> Plan:
    """The plan if ``presser`` may ``verb`` (confirm or cancel) it now; else
    ConfirmationInvalid saying why."""
    if plan is None:
        raise ConfirmationInvalid("This confirmation does not exist (or has been cleaned up).")
    if plan.status == "pending" and now > plan.valid_until:
        # Whoever pressed, the buttons are dead: the worker replaces them with this outcome.
        raise ConfirmationExpired(
            "This confirmation has expired; nothing was done. Run the command again.",
            summary=plan.summary,
            expired_at=plan.valid_until,
        )
    if presser != plan.requester:
        raise ConfirmationInvalid(
            f"Only <@{plan.requester}>, who asked for this, can {verb} it. "
            "Run the command yourself to get your own confirmation."
        )
    if plan.status != "pending":
        raise ConfirmationInvalid(f"This confirmation was already used ({plan.status}).")
    return plan


def status_after_confirm(plan: Plan, approvals: Collection[str]) -> str:
    """Where a confirmed plan goes: to wait for an approver when ``approvals`` names its
    action, else straight to running."""
    return AWAITING_APPROVAL if plan.action in approvals else "running"


def check_approval(plan: Plan | None, approver: str, now: datetime) -> Plan:
    """The plan if ``approver`` may approve it now (their role is the caller's to check);
    else ConfirmationInvalid saying why."""
    if plan is None:
        raise ConfirmationInvalid("This approval does not exist (or has been cleaned up).")
    if plan.status == "pending":
        raise ConfirmationInvalid(
            f"This has not been confirmed by <@{plan.requester}> yet; it can be approved once "
            "they have."
        )
    if plan.status != AWAITING_APPROVAL:
        raise ConfirmationInvalid(f"This was already approved or closed ({plan.status}).")
    if now > plan.valid_until:
        raise ConfirmationInvalid(
            "This plan has expired; nothing was done. Its requester can run the command again."
        )
    if approver == plan.requester:
        raise ConfirmationInvalid(
            "You asked for this, so you cannot approve it: someone else who holds the role it "
            "needs must."
        )
    return plan
