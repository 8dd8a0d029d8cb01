r"""The outgoing Slack message as plain data, and the small block builders renderers share.

Renderers return a :class:`Message`; only the notifier sends one. Every builder here takes
text that is already safe mrkdwn: pass untrusted text (anything from an event or from AWS)
through exactly one of :func:`escape` (one line of text), :func:`escape_lines` (text that
keeps its line breaks: an SNS body, an alarm description), :func:`code` / :func:`code_text`
(an identifier in a code span) first; in a plain-text header, :func:`escape_plain`. An
error message of ours shown inside a message (a usage error, why a restore or a prune
failed), which quotes untrusted words in code spans itself, goes through
:func:`escape_keeping_markup`.

Slack's mrkdwn has no escape for its formatting: only ``&``, ``<`` and ``>`` have entities.
So untrusted text is made inert by substitution, character for character:

- ``&`` ``<`` ``>`` become entities, so the text cannot ping ``@channel`` or plant a link.
- Line breaks (``\n``, ``\r``, ``\v``, ``\f``, U+001C-001E, U+0085, U+2028/2029) become a
  visible ``⏎`` in one-line text, so a field cannot draw its own line under ours; tabs become
  spaces; every other control, bidi override or isolate (U+202A-202E, U+2066-2069), zero-width
  or other invisible format character (Unicode category Cf: U+200B-200F, U+2060-2064, U+FEFF,
  U+00AD, tags, ...), lone surrogate and invisible filler (U+034F, U+115F, U+1160, U+17B4,
  U+17B5, U+3164, U+FFA0) becomes a visible ``�``, so a name cannot read backwards or hide
  that it differs from another (``adm``, U+200B, ``in`` shows as ``adm�in``, not ``admin``).
- Outside code, ``*`` ``_`` ``~`` and the backtick become look-alikes that Slack does not
  format (``∗`` U+2217, ``ˍ`` U+02CD, ``∼`` U+223C, ``ˋ`` U+02CB), and a ``>`` that starts a
  line becomes ``˃`` (U+02C3): Slack reads a line starting with ``>`` or ``&gt;`` as a quote.
  A field then cannot open or close bold, italic, strike or code with our markers, whatever
  Slack's pairing rules, and reads the same. Invisible separators would not do: they are
  what we remove, and Slack's rules for where a marker may pair are not documented. Nor
  would a code span around every field: all event text would read as code, and the
  backtick would still need replacing. The cost: text copied from a message has the
  look-alikes, so names meant to be copied (backups, commands, ARNs) are in code spans.
- Plain text (a header) is not formatted at all, so :func:`escape_plain` keeps the markers
  and only makes the text one visible line with its entities escaped.
- Inside a code span or block Slack formats nothing, so there only the backtick (which
  would close it) is replaced and the text is otherwise kept as it is: an identifier such
  as ``orders_v2`` can still be copied from its code span. An empty code span is written
  ``(empty)``: two lone backticks could pair with the next code span and undo it.
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
    # Only for what is never the channel's business (help, errors, denials); where an answer
    # goes is otherwise decided by bot.domain.visibility when it is sent.
    ephemeral: bool = False
    # Extra chat.postMessage arguments a renderer may need (unfurl_links, metadata, ...).
    options: dict[str, Any] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        """The arguments of chat.postMessage / chat.update / a response_url body."""
        args: dict[str, Any] = {"text": self.text, **self.options}
        if self.blocks:
            args["blocks"] = [dict(b) for b in self.blocks]
        return args


# See the module docstring for why each of these is replaced, and by what.
NEW_LINE_MARK = "⏎"
HIDDEN_MARK = "\ufffd"
# Translation tables rather than regular expressions: compiling the two character classes
# cost ~0.9 ms of every function's import, building these ~0.2 ms (python -m benchmarks
# bench_import).
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_ONE_LINE = str.maketrans(dict.fromkeys(_BREAKS, NEW_LINE_MARK) | {"\t": " "})
_KEEP_LINES = str.maketrans(dict.fromkeys(_BREAKS, "\n") | {"\t": " "})
_HIDDEN_RANGES = (
    (0x00, 0x08),
    (0x0E, 0x1B),
    (0x1F, 0x1F),
    (0x7F, 0x84),
    (0x86, 0x9F),  # controls (C0, DEL, C1)
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),  # format (Cf)
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xD800, 0xDFFF),  # lone surrogates (from JSON such as "\\ud800")
    (0x34F, 0x34F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x3164, 0x3164),
    (0xFFA0, 0xFFA0),
)  # and invisible fillers and joiners
_HIDDEN = dict.fromkeys(
    (c for first, last in _HIDDEN_RANGES for c in range(first, last + 1)), HIDDEN_MARK
)
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_QUOTE_START = re.compile(r"^(\s*)>", re.MULTILINE)


def _visible(text: object, *, line_break: str) -> str:
    """``text`` with line breaks as ``line_break``, tabs as spaces and hidden characters as �."""
    table = _ONE_LINE if line_break == NEW_LINE_MARK else _KEEP_LINES
    return str(text).replace("\r\n", "\n").translate(table).translate(_HIDDEN)


def _inert(text: str) -> str:
    """Visible text as mrkdwn that formats nothing: no quote, entity, marker or mention."""
    unquoted = _QUOTE_START.sub("\\1\u02c3", text)
    return unquoted.translate(_ENTITIES).translate(_LOOKALIKES)


def escape(text: object) -> str:
    """Untrusted text as one line of mrkdwn that cannot ping, link, quote or format."""
    return _inert(_visible(text, line_break=NEW_LINE_MARK))


def escape_lines(text: object) -> str:
    """Untrusted text as mrkdwn that keeps its line breaks; each line as :func:`escape`."""
    return _inert(_visible(text, line_break="\n"))


def escape_plain(text: object) -> str:
    """Untrusted text as one line of a plain-text object (a header), which Slack never formats."""
    return _visible(text, line_break=NEW_LINE_MARK).translate(_ENTITIES)


def escape_keeping_markup(text: object) -> str:
    """One line of our error message, which quotes untrusted words itself: its markup kept.

    The same substitution as :func:`escape_plain`, under its own name on purpose: that one is
    for untrusted text in a plain-text header, where Slack formats nothing; this one is for
    mrkdwn whose markers are ours, the untrusted words in it quoted already (see
    ``bot.domain.typed.quoted``). Raw untrusted text in mrkdwn takes :func:`escape`."""
    return escape_plain(text)


def code_text(text: object, *, lines: bool = False) -> str:
    """Untrusted text for inside a code span (or, with ``lines``, a code block) we open."""
    shown = _visible(text, line_break="\n" if lines else NEW_LINE_MARK)
    return shown.translate(_ENTITIES).replace("`", "\u02cb")


def code(text: object) -> str:
    """Untrusted text as an inline code span on one line (a backtick cannot close it)."""
    shown = code_text(text)
    return f"`{shown}`" if shown else "(empty)"


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
