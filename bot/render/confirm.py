"""Confirmation buttons and the messages around them."""

from __future__ import annotations

from bot.domain.confirmations import button_value
from bot.render.message import Block, Message, actions, button, section


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


def render_confirmed(summary: str, user: str) -> Message:
    """A plan confirmed and now running."""
    text = f":gear: Confirmed by <@{user}>: {summary}."
    return Message(text=text, blocks=(section(text),))
