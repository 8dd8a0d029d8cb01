"""Routing: which Slack channels get an event, by JMESPath routes over its normalized fields.

Every matching route gets the event (a channel once); with no match, the kind's channel
(alarms, audit, backups) or the default channel does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from bot.domain.records import frozen
from bot.settings import Settings


@frozen
class Destination:
    """A channel to post to, and the mention to put in the message (None, here, channel)."""

    channel: str
    mention: str | None = None

    @property
    def mention_text(self) -> str | None:
        """`<!here>` / `<!channel>` or None."""
        return f"<!{self.mention}>" if self.mention else None


@lru_cache(maxsize=256)
def _compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def route(settings: Settings, kind: str, fields: Mapping[str, Any]) -> tuple[Destination, ...]:
    """The destinations of an event of ``kind`` ('alarms', 'audit', 'backups')."""
    found: dict[str, Destination] = {}
    for rule in settings.routes:
        try:
            matched = _compiled(rule.when).search(dict(fields))
        except jmespath.exceptions.JMESPathError:
            matched = False  # a type error in a route for this event means: not this route
        if matched and rule.channel not in found:
            found[rule.channel] = Destination(rule.channel, rule.mention)
    if not found:
        channel = settings.channels.for_kind(kind)
        found[channel] = Destination(channel)
    return tuple(found.values())
