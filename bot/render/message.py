"""The outgoing Slack message as plain data, and the small block builders renderers share.

Renderers return a :class:`Message`; only the notifier sends one. Every builder here takes
text that is already safe mrkdwn: escape untrusted text with :func:`escape` first.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from bot.domain.records import frozen

Block = dict[str, Any]


@frozen
class Message:
    """A Slack message: a plain-text fallback (notifications, screen readers) and blocks."""

    text: str
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False
    # Extra chat.postMessage arguments a renderer may need (unfurl_links, metadata, ...).
    options: dict[str, Any] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        """The arguments of chat.postMessage / chat.update / a response_url body."""
        args: dict[str, Any] = {"text": self.text, **self.options}
        if self.blocks:
            args["blocks"] = [dict(b) for b in self.blocks]
        return args


def escape(text: object) -> str:
    """Escape untrusted text for mrkdwn, so it cannot ping @channel or plant links."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: object) -> str:
    """Inline code of untrusted text (escaped; backticks cannot break out)."""
    return "`" + escape(text).replace("`", "'") + "`"


def link(url: str, label: str) -> str:
    """A mrkdwn link to a URL we built ourselves; the label is escaped."""
    safe_label = escape(label).replace("|", "¦")
    return f"<{url}|{safe_label}>"


def account_region(region: str, account_label: str | None) -> str:
    """`us-west-2`, or `payments-prod/us-west-2` when an account is named (escaped)."""
    return escape(f"{account_label}/{region}" if account_label else region)


def header(text: str) -> Block:
    """A header block (plain text, at most 150 characters)."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _cut(text, 150), "emoji": True},
    }


def _cut(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters without splitting an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    partial = _PARTIAL_ENTITY.search(cut)
    if partial and text[partial.start() :].startswith(("&amp;", "&lt;", "&gt;")):
        cut = cut[: partial.start()]
    return cut


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def user_mention(user: str) -> str | None:
    """`<@U0123>` when ``user`` is a Slack user id; None for anything else (a name from AWS
    or an event), which callers escape instead of letting it become a mention."""
    return f"<@{user}>" if _SLACK_USER_ID.match(user) else None


def section(text: str, *, fields: list[str] | None = None, accessory: Block | None = None) -> Block:
    """A section with mrkdwn text and optional mrkdwn fields (at most 10)."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": f} for f in fields[:10]]
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields_section(fields: list[str]) -> Block:
    """A section made only of mrkdwn fields (at most 10)."""
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields[:10]]}


def context(*texts: str) -> Block:
    """A context block: small grey mrkdwn lines (at most 10 elements; empty ones dropped)."""
    elements = [{"type": "mrkdwn", "text": t} for t in texts if t]
    return {"type": "context", "elements": elements[:10]}


def divider() -> Block:
    """A divider line."""
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None
) -> Block:
    """A button element; ``style`` is ``primary`` or ``danger``."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "action_id": action_id,
    }
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block holding buttons (at most 25)."""
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block
