"""Work handed from the ack path to the worker through a durable queue (SQS).

The ack path builds a WorkItem from the request alone and submits it; if the submit fails,
the ack itself tells the user nothing was done. The worker refuses items that waited too
long and tells the user, so no command is ever lost silently.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, field
from typing import Any

from bot.domain.records import frozen

KINDS = frozenset({"command", "action", "mention", "home"})
_TYPES: dict[str, tuple[type, ...]] = {"requested_at": (int, float), "checked_role": (bool,)}


@frozen
class WorkItem:
    """A command or a button press to run after the ack."""

    kind: str  # "command" or "action"
    user: str
    channel: str
    text: str = ""  # the command text after /ddb
    response_url: str = ""
    action_id: str = ""
    value: str = ""
    message_ts: str = ""
    thread_ts: str = ""
    requested_at: float = 0.0
    checked_role: bool = True  # False: the ack path could not tell the role; the worker decides
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> str:
        """The queue message body."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: Any) -> WorkItem:
        """Parse a queue message body; ValueError when it is not a work item (it never will be).

        Unknown keys are ignored and missing ones default, so items queued by an older or
        newer version still run.
        """
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        item = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        for name in cls.__dataclass_fields__:
            value = getattr(item, name)
            wanted = _TYPES.get(name, (str,))
            if not isinstance(value, wanted) or (name == "requested_at" and value is True):
                raise ValueError(f"{name} is {type(value).__name__}")
        if item.kind not in KINDS or not item.user or not item.id:
            raise ValueError(f"not a work item: kind {item.kind!r}, user {item.user!r}")
        return item


class SubmitFailed(Exception):
    """The work could not be handed off; nothing will run."""


class WorkQueue:
    """Submits work items to the SQS work queue."""

    def __init__(self, sqs_client_factory: Any, queue_url: str) -> None:
        self._factory = sqs_client_factory
        self.queue_url = queue_url

    def submit(self, item: WorkItem) -> None:
        """Send one item; raises SubmitFailed when it cannot be sent."""
        if not self.queue_url:
            raise SubmitFailed("no work queue is configured (OPSBOT_WORK_QUEUE_URL)")
        try:
            self._factory().send_message(QueueUrl=self.queue_url, MessageBody=item.to_json())
        except Exception as exc:
            raise SubmitFailed(str(exc)) from exc
