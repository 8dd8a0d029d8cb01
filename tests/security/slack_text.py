"""What counts as unsafe in an outgoing Slack message: the checks of the injection suite.

Slack's mrkdwn turns `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<url|label>` into pings
and links. Escaped text (`&lt;`) cannot form any of them, so after removing the tokens we
build ourselves, no raw `<` may remain, and every `&` must start an entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.render.message import Message

# What an attacker would plant in any string an event or AWS hands us.
PAYLOADS = (
    "<!channel>",
    "<!here>",
    "<!subteam^S0EVIL01>",
    "<@U0EVIL01>",
    "<#C0EVIL01>",
    "<https://evil.example|click>",
    "<https://evil.example>",
    "&lt;!channel&gt;",
    "a & b",
    "x|<!channel>",
    "`<!here>`",
    "*<!here>*",
)
ALL_PAYLOADS = " ".join(PAYLOADS)

# Links we build: AWS console pages (region host or global) and Slack message permalinks.
_OUR_URL = re.compile(
    r"https://(?:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d\.)?console\.aws\.amazon\.com/[^\s<>|]*"
    r"|https://slack\.com/archives/[A-Z0-9]+/p\d+"
)
_TOKEN = re.compile(r"<([^<>]*)>")
# Tokens Slack acts on: special mentions, users, channels, and anything with a URL scheme.
# Our usage lines' `<table>` is shown as text.
_ACTIVE = re.compile(r"[!@#]|[A-Za-z][A-Za-z0-9+.-]*:")
# A `<` left over could open such a token with a later `>`.
_STRAY = re.compile(r"<(?:[!@#]|[A-Za-z][A-Za-z0-9+.-]*:)")
# An entity cut short at the very end is a truncation artefact (shown as text), not markup.
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;|(?:a|am|amp|l|lt|g|gt)?$)")


def message_texts(message: Message | list[dict[str, Any]]) -> Iterator[str]:
    """Every text Slack renders of a message or a list of blocks (fallback, blocks, urls)."""
    if isinstance(message, Message):
        yield message.text
        yield from _texts(list(message.blocks))
    else:
        yield from _texts(message)


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "url", "alt_text", "title") and isinstance(value, str):
                yield value
            elif key not in ("value", "action_id", "block_id"):
                yield from _texts(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _texts(item)


def unsafe_parts(text: str, *, trusted_users: frozenset[str] = frozenset()) -> list[str]:
    """The pieces of ``text`` that ping, link or spoof where we did not mean them to."""
    problems = []
    for match in _TOKEN.finditer(text):
        inner = match.group(1)
        if not _ACTIVE.match(inner):
            continue
        if inner.startswith("@") and inner[1:] in trusted_users:
            continue
        url, _, _label = inner.partition("|")
        if not _OUR_URL.fullmatch(url):
            problems.append(match.group(0))
    rest = _TOKEN.sub("", text)
    stray = _STRAY.search(rest)
    if stray:
        problems.append("stray `<`: " + rest[max(0, stray.start() - 20) : stray.start() + 30])
    if _ENTITY.search(text):
        at = _ENTITY.search(text).start()  # type: ignore[union-attr]
        problems.append("unescaped `&`: " + text[max(0, at - 20) : at + 20])
    return problems


def assert_safe(
    message: Message | list[dict[str, Any]], *, trusted_users: frozenset[str] = frozenset()
) -> None:
    """Fail naming every unsafe piece of every text of the message."""
    found = [
        (text[:200], part)
        for text in message_texts(message)
        for part in unsafe_parts(text, trusted_users=trusted_users)
    ]
    assert not found, found
