"""The "I'm on it" button on a firing alarm: records who acknowledged the incident and when,
once per incident, and updates its root messages to say so."""

from __future__ import annotations

from datetime import datetime

from bot.aws.alarm_context import save_ack
from bot.aws.incidents import load_incident
from bot.domain.errors import UsageError
from bot.flows.registry import Request, action
from bot.render.alarm_context import ACK_ACTION, ack_line, with_ack
from bot.render.message import Message, section, user_mention

PERMISSION = "alarms:ack"


def _incident_of(value: str) -> tuple[str, datetime]:
    arn, _, opened_text = value.rpartition("|")
    try:
        opened = datetime.fromisoformat(opened_text)
    except ValueError:
        opened = None
    if not arn or opened is None or opened.tzinfo is None:
        raise UsageError("This acknowledge button is not valid.")
    return arn, opened


def _private(text: str) -> Message:
    return Message(text=text, blocks=(section(text),), ephemeral=True)


@action(ACK_ACTION, permission=PERMISSION)
def acknowledge(value: str, request: Request) -> None:
    """Record the ack (a conditional write: the first press wins) and update every root."""
    runtime = request.runtime
    arn, opened = _incident_of(value)
    record = save_ack(runtime.state, arn, opened_at=opened, by_user=request.user, now=request.now)
    if record is None:
        current = load_incident(runtime.state, arn)
        same = current is not None and current.incident.opened_at == opened
        if same and current is not None and current.incident.is_open and current.ack:
            who = user_mention(current.ack.by) or current.ack.by
            request.reply(_private(f":eyes: {who} is already on it."))
        else:
            request.reply(_private("This alarm is no longer firing: nothing to acknowledge."))
        return
    assert record.ack is not None
    line = ack_line(record.ack.by, record.ack.at, record.incident.opened_at)
    if record.root is None:
        request.reply(_private(line))
        return
    message = with_ack(record.root, line)
    for copy in record.copies:
        runtime.notifier.update(copy.channel, copy.ts, message)
