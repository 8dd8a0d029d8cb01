"""What counts as unsafe in an outgoing Slack message: the checks of the injection suite.

Slack's mrkdwn turns `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<url|label>` into pings
and links. Escaped text (`&lt;`) cannot form any of them, so after removing the tokens we
build ourselves, no raw `<` may remain, and every `&` must start an entity.

Spoofing through formatting is checked by comparison: a message rendered with hostile text
in a field must have the same lines, quote lines, backticks and `*` `_` `~` (outside code
spans) as the same message rendered with a plain word of the same shape in that field, and
no control, bidi or zero-width character at all. Whatever differs came from the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
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

# What an attacker would write to draw their own lines and formatting into a notice.
FORMATTING_PAYLOADS = {
    "quote-line": "> quoted\n&gt; quoted too\n>>> everything after is quoted",
    "fake-line": "alice\n:white_check_mark: *Approved change* — no action needed",
    "line-breaks": "a\r\nb\rc\u2028d\u2029e\x85f\x0bg\x0ch\x1ci",
    "bold-italic-strike": "*bold* _italic_ ~strike~ ** __ ~~ * _ ~",
    "backticks": "`code` ``two`` ```block``` `",
    "bidi": "\u202eevil\u202c \u202a\u202b\u202d \u2066iso\u2067\u2068\u2069 \u200e\u200f\u061c",
    "zero-width": "ad\u200bmin\u200c\u200d\ufeff\u2060\u00ad\u180e",
    "controls": "tab\there\x00\x1b[31m\x07\x7f\x9b",
    "here": "<!here>",
    "link": "<https://evil.example|click>",
}
HOSTILE = {**FORMATTING_PAYLOADS, "all": " ".join((*FORMATTING_PAYLOADS.values(), ALL_PAYLOADS))}

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
    for _kind, text in typed_texts(message):
        yield text


def typed_texts(message: Message | list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(kind, text) of every text Slack renders: fallback, mrkdwn, plain_text or url."""
    if isinstance(message, Message):
        yield "fallback", message.text
        yield from _texts(list(message.blocks))
    else:
        yield from _texts(message)


def _texts(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "url", "alt_text", "title") and isinstance(value, str):
                kind = "url" if key == "url" else str(node.get("type", "plain_text"))
                yield (kind if kind in ("mrkdwn", "url") else "plain_text"), value
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


# Characters no field may bring into a message: controls (but our own line breaks), bidi
# overrides and isolates, zero-width and other invisible format characters, line and
# paragraph separators, lone surrogates.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_QUOTE_LINE = re.compile(r"^[ \t]*(?:>|&gt;)", re.MULTILINE)
_CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
_LINK_URL = re.compile(r"<[^<>|]*\|?")


def plain_word(text: str) -> str:
    """``text`` made harmless with its shape kept: the same length, words and validity.

    Whitespace becomes a space (Python's `str.split` and `strip` read it so), `_` (valid in
    names) an `x`, and every other character this suite looks for an `!` (as invalid in a
    table name or an ARN as what it replaces).
    """
    return "".join(_plain(c) for c in text)


def _plain(c: str) -> str:
    if c.isspace():
        return " "
    if c == "_":
        return "x"
    if c in "*~`<>&" or unicodedata.category(c) in _INVISIBLE_CATEGORIES:
        return "!"
    return c


def _outside_code(text: str) -> str:
    """The mrkdwn Slack formats: without code spans, code blocks and our links' URLs."""
    return _CODE.sub("", _LINK_URL.sub("", text))


def formatting_problems(
    hostile: Message | list[dict[str, Any]],
    plain: Message | list[dict[str, Any]],
    *,
    multiline: bool = False,
) -> list[str]:
    """How ``hostile`` (rendered with hostile text) draws more than ``plain`` (a plain word).

    ``multiline``: the field is one that keeps its line breaks (an SNS body, an alarm
    description), so only the fallback text and plain-text headers must keep their lines.
    """
    shown = _merged(typed_texts(hostile))
    expected = _merged(typed_texts(plain))
    if [k for k, _ in shown] != [k for k, _ in expected]:
        return [f"the hostile text changed the message's shape: {shown} vs {expected}"]
    problems = []
    for (kind, text), (_, base) in zip(shown, expected, strict=True):
        where = f"{kind} {text[:120]!r}"
        bad = sorted(
            {
                f"U+{ord(c):04X}"
                for c in text
                if c != "\n" and unicodedata.category(c) in _INVISIBLE_CATEGORIES
            }
        )
        if bad:
            problems.append(f"{where}: invisible or control characters {bad}")
        if kind == "url":
            continue
        if (not multiline or kind != "mrkdwn") and text.count("\n") != base.count("\n"):
            problems.append(f"{where}: {text.count(chr(10)) - base.count(chr(10))} extra lines")
        if kind == "plain_text":
            continue  # Slack formats nothing in plain text
        if len(_QUOTE_LINE.findall(text)) != len(_QUOTE_LINE.findall(base)):
            problems.append(f"{where}: a line starts a quote")
        if text.count("`") != base.count("`"):
            problems.append(f"{where}: {text.count('`') - base.count('`')} extra backticks")
        formatted, base_formatted = _outside_code(text), _outside_code(base)
        for marker in "*_~":
            extra = formatted.count(marker) - base_formatted.count(marker)
            if extra:
                problems.append(f"{where}: {extra} extra `{marker}` outside code")
    return problems


def _merged(texts: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Adjacent mrkdwn texts as one, joined by a line break: renderers pack lines into as
    many sections as their length needs, so a longer (escaped) field may split them
    differently without drawing anything."""
    merged: list[tuple[str, str]] = []
    for kind, text in texts:
        if merged and kind == "mrkdwn" and merged[-1][0] == "mrkdwn":
            merged[-1] = (kind, merged[-1][1] + "\n" + text)
        else:
            merged.append((kind, text))
    return merged


def assert_contained(
    hostile: Message | list[dict[str, Any]],
    plain: Message | list[dict[str, Any]],
    *,
    multiline: bool = False,
) -> None:
    """Fail naming every line, quote, formatting marker or invisible character the field added."""
    found = formatting_problems(hostile, plain, multiline=multiline)
    assert not found, found
