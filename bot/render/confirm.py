"""Confirmation buttons and the messages around them."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.authz import Role
from bot.domain.confirmations import Plan, button_value
from bot.domain.counts import counted
from bot.domain.times import format_duration, format_utc
from bot.render.message import Block, Message, actions, button, context, section


def confirmation_actions(plan_id: str, requester: str, *, confirm_label: str = "Confirm") -> Block:
    """Confirm (danger) and Cancel buttons bound to a stored plan and its requester."""
    value = button_value(plan_id, requester)
    return actions(
        button(confirm_label, "confirm", value, style="danger"),
        button("Cancel", "cancel", value),
        block_id=f"plan:{plan_id}",
    )


def render_cancelled(summary: str, user: str) -> Message:
    """A plan cancelled by its requester."""
    text = f":no_entry_sign: Cancelled by <@{user}>: {summary}. Nothing was done."
    return Message(text=text, blocks=(section(text),))


def render_confirmed(summary: str, user: str, *, approved_by: str = "") -> Message:
    """A plan confirmed (and approved, when it needed a second person) and now running."""
    approved = f", approved by <@{approved_by}>" if approved_by else ""
    text = f":gear: Confirmed by <@{user}>{approved}: {summary}."
    return Message(text=text, blocks=(section(text),))


def render_awaiting_approval(plan: Plan, role: Role, now: datetime) -> Message:
    """A confirmed plan that waits for someone else with ``role`` to press Approve."""
    text = (
        f":hourglass_flowing_sand: Confirmed by <@{plan.requester}>: {plan.summary}. Before it "
        f"runs, someone else with the *{role.label}* role must approve it."
    )
    left = max(plan.valid_until - now, timedelta(0))
    return Message(
        text=text,
        blocks=(
            section(text),
            actions(
                button("Approve", "approve", plan.id, style="primary"),
                block_id=f"approve:{plan.id}",
            ),
            context(
                f"Anyone may press Approve; it runs the plan only for someone other than "
                f"<@{plan.requester}> who holds the *{role.label}* role. "
                f"Expires in {format_duration(left)}."
            ),
        ),
    )


def render_refused(summary: str, user: str, reason: str, *, refused: bool = True) -> Message:
    """A confirmed plan that was not carried out: ``refused`` by the press-time check (the
    state or the role no longer allows it), or not done because a step could not be taken.

    ``reason`` is opsbot's own message (anything from AWS in it is already escaped).
    """
    outcome = ":no_entry: Refused" if refused else ":x: Not done"
    text = f"{outcome}: {summary}, confirmed by <@{user}>.\n{reason}"
    return Message(text=text, blocks=(section(text),))


def render_failed(summary: str, user: str, reference: str) -> Message:
    """A confirmed plan that stopped on an unexpected error."""
    text = (
        f":x: Failed: {summary}, confirmed by <@{user}>. Something went wrong; check what "
        f"was done before running it again. Reference: `{reference}`."
    )
    return Message(text=text, blocks=(section(text),))


def render_interrupted(plan_id: str, summary: str, requester: str, announced: int) -> Message:
    """A confirmed plan whose run stopped part-way (its worker died) and was not resumed:
    what it is, and a Resume button only its requester can use."""
    text = (
        f":warning: Interrupted: {summary}, confirmed by <@{requester}>. Its run stopped "
        f"after setting out to delete {counted(announced, 'backup')} and nobody resumed it. "
        f"<@{requester}>, *Resume* finishes it: the plan is checked against the current "
        "backups again, and nothing is deleted twice."
    )
    resume = confirmation_actions(plan_id, requester, confirm_label="Resume")
    return Message(text=text, blocks=(section(text), resume))


def render_expired(summary: str, expired_at: datetime) -> Message:
    """A plan whose confirmation expired before anyone confirmed it."""
    text = (
        f":hourglass: Expired at {format_utc(expired_at)}: {summary}. Nothing was done; "
        "run the command again to get a new confirmation."
    )
    return Message(text=text, blocks=(section(text),))
