"""Confirmation plans: a stored plan, a button that carries only its id, and the press check.

Pure: the adapter loads the plan and passes it here with the presser and `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from bot.domain.errors import ConfirmationInvalid
from bot.domain.records import frozen


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
    status: str = "pending"  # pending -> running -> done | failed; or cancelled
    summary: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    message_ts: str = ""


def button_value(plan_id: str, requester: str) -> str:
    """The value a confirmation button carries: the plan id and who may press it."""
    return f"{plan_id}|{requester}"


def split_button_value(value: str) -> tuple[str, str]:
    """(plan id, requester) from a button value; raises ConfirmationInvalid when malformed."""
    plan_id, sep, requester = value.partition("|")
    if not sep or not plan_id or not requester:
        raise ConfirmationInvalid("This button is not a valid confirmation.")
    return plan_id, requester


def check_press(plan: Plan | None, presser: str, now: datetime) -> Plan:
    """The plan if ``presser`` may confirm it now; else ConfirmationInvalid saying why."""
    if plan is None:
        raise ConfirmationInvalid("This confirmation does not exist (or has been cleaned up).")
    if presser != plan.requester:
        raise ConfirmationInvalid(
            f"Only <@{plan.requester}>, who asked for this, can confirm it. "
            "Run the command yourself to get your own confirmation."
        )
    if plan.status != "pending":
        raise ConfirmationInvalid(f"This confirmation was already used ({plan.status}).")
    if now > plan.valid_until:
        raise ConfirmationInvalid(
            "This confirmation has expired; nothing was done. Run the command again."
        )
    return plan
