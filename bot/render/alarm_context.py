"""What an alarm's root message says besides the alarm: the table's changes just before it
fired, its owner, and who acknowledged it ("I'm on it").

Change summaries and AWS callers' names come from CloudTrail and are escaped; the only
mentions written are Slack ids checked here again (a user ``<@U…>``, a group
``<!subteam^S…>``), never text from an event.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.domain.alarm_context import Owner, PriorChange
from bot.domain.records import frozen
from bot.domain.times import format_duration
from bot.render.message import Block, Message, button, context, escape, section, user_mention

ACK_ACTION = "alarm_ack"
ACK_LABEL = "I'm on it"
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


@frozen
class RootContext:
    """The extras of a root message: recent changes (and the window looked at), the owner to
    mention (None: nobody, e.g. a late or muted alarm) and the ack button's value."""

    changes: tuple[PriorChange, ...] = ()
    window: timedelta = timedelta(hours=2)
    owner: Owner | None = None
    ack_value: str = ""


def owner_mention(owner: Owner | None) -> str | None:
    """``<@U…>`` or ``<!subteam^S…>`` for a validated owner id; None otherwise."""
    if owner is None:
        return None
    if _GROUP_ID.fullmatch(owner.slack_id):
        return f"<!subteam^{owner.slack_id}>"
    return user_mention(owner.slack_id)


def _before(delta: timedelta) -> str:
    return "just before" if delta < timedelta(minutes=1) else f"{format_duration(delta)} before"


def _change_line(change: PriorChange) -> str:
    who = user_mention(change.slack_user) if change.slack_user else None
    return f"• {_before(change.before)}: {who or escape(change.who)} {escape(change.what)}"


def changes_block(changes: tuple[PriorChange, ...], window: timedelta) -> Block | None:
    """'*Changed just before*' with one line per change, newest first (None without any)."""
    if not changes:
        return None
    lines = "\n".join(_change_line(c) for c in changes)
    span = format_duration(window)
    return section(f"*Changed in the {span} before* (opsbot's audit history)\n{lines}")


def ack_button(value: str) -> Block:
    """The "I'm on it" button; its value names the alarm and the incident (when it opened)."""
    return button(ACK_LABEL, ACK_ACTION, value, style="primary")


def ack_value(alarm_arn: str, opened_at: datetime) -> str:
    """'<alarm arn>|<opened at>': which incident a press acknowledges."""
    return f"{alarm_arn}|{opened_at.isoformat()}"


def ack_line(by_user: str, at: datetime, opened_at: datetime) -> str:
    """':eyes: Acknowledged by @x 3 min after it fired'."""
    who = user_mention(by_user) or escape(by_user)
    return f":eyes: Acknowledged by {who} {format_duration(at - opened_at)} after it fired"


def with_ack(root: dict[str, Any], line: str) -> Message:
    """The stored root message with the ack line in place of the "I'm on it" button."""
    blocks: list[Block] = []
    for block in root.get("blocks") or []:
        if block.get("type") == "actions":
            kept = [e for e in block.get("elements", []) if e.get("action_id") != ACK_ACTION]
            blocks.append(context(line))
            if kept:
                blocks.append({**block, "elements": kept})
        else:
            blocks.append(block)
    options = {k: v for k, v in root.items() if k not in ("text", "blocks")}
    return Message(text=str(root.get("text", "")), blocks=tuple(blocks), options=options)
