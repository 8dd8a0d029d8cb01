"""Slack's message limits, enforced by truncating with a visible marker instead of failing.

What is cut here is mrkdwn that renderers already escaped: every ``<`` in it opens one of our
tokens (a link ``<https://…|label>``, a mention ``<@U…>``) and every ``&`` an entity. A cut
never splits either: a stray ``<https://…`` would show as text, or with the marker after it
as a link to somewhere else, and ``&am`` as garbage.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 40000
TRUNCATED = "… (cut to fit Slack's limits)"


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, ending with a visible marker when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def cut_markup(text: str, limit: int, marker: str = TRUNCATED) -> str:
    """Escaped mrkdwn ``text`` in at most ``limit`` characters, ending with ``marker`` when
    cut; a ``<…>`` token or an entity the cut would split is left out whole."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(marker)]
    opened = kept.rfind("<")
    if opened > kept.rfind(">"):  # the cut holds the start of a token, not its end
        kept = kept[:opened]
    amp = kept.rfind("&")
    if amp >= 0 and ";" not in kept[amp:]:  # the start of an entity (`&amp;` is the longest)
        kept = kept[:amp]
    return kept.rstrip() + marker


def fit_to_limits(args: dict[str, Any], *, max_blocks: int = MAX_BLOCKS) -> dict[str, Any]:
    """A copy of chat.postMessage-style arguments that Slack will accept."""
    fitted = dict(args)
    fitted["text"] = cut_markup(str(args.get("text", "")), MAX_TEXT)
    blocks = [_fit_block(b) for b in args.get("blocks") or []]
    if len(blocks) > max_blocks:
        hidden = len(blocks) - (max_blocks - 1)
        blocks = blocks[: max_blocks - 1]
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"… {hidden} more blocks not shown"}],
            }
        )
    if blocks:
        fitted["blocks"] = blocks
    return fitted


def _fit_block(block: dict[str, Any]) -> dict[str, Any]:
    fitted = dict(block)
    kind = block.get("type")
    if kind == "section":
        if isinstance(block.get("text"), dict):
            text = block["text"]["text"]
            fitted["text"] = {**block["text"], "text": cut_markup(text, MAX_SECTION_TEXT)}
        if block.get("fields"):
            fitted["fields"] = [
                {**f, "text": cut_markup(f["text"], MAX_FIELD_TEXT)}
                for f in block["fields"][:MAX_FIELDS]
            ]
    elif kind == "context":
        fitted["elements"] = [
            {**e, "text": cut_markup(e["text"], MAX_FIELD_TEXT)} if "text" in e else e
            for e in block.get("elements", [])[:MAX_CONTEXT_ELEMENTS]
        ]
    elif kind == "header":
        fitted["text"] = {**block["text"], "text": cut(block["text"]["text"], 150)}
    return fitted
