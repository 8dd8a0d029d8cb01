"""Trimming to Slack's limits never splits a token (issue 16, finding 10).

A message longer than a limit is cut with a visible marker. Cut at a plain character count,
the cut could fall inside a ``<https://…|label>`` link or a ``<@U…>`` mention and leave a
stray ``<https://…`` that Slack shows as text (or, with the marker after it, as a link to
somewhere else), or inside an entity (``&am``). Whatever the length and wherever the limit
falls, what is kept holds only whole tokens and whole entities, and still fits.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.audit import _chunk
from bot.render.backups import SECTION_LIMIT, packed_sections
from bot.render.limits import (
    MAX_FIELD_TEXT,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    fit_to_limits,
)
from bot.render.message import escape, link, section

# What escaped mrkdwn is made of: escaped words (with entities), our links and mentions.
PIECES = st.one_of(
    st.text(alphabet="ab <>&|*_~`\n", min_size=1, max_size=12).map(escape),
    st.integers(0, 10**6).map(lambda n: link(f"https://example.com/runs/{n}", f"run {n} & <x>")),
    st.sampled_from(["<@U0ADMIN01>", "<#C0OPSBOT1>", "<!date^1700000000^{date}|today>"]),
)
TOKEN = re.compile(r"<[^<>]*>")
ENTITY = re.compile(r"&(amp|lt|gt);")


def whole(text: str) -> bool:
    """Only whole tokens: no `<` or `>` outside a `<…>` token, no `&` outside an entity."""
    rest = TOKEN.sub("", text)
    return "<" not in rest and ">" not in rest and "&" not in ENTITY.sub("", rest)


def long_text(pieces: list[str], limit: int) -> str:
    text = " ".join(pieces)
    while len(text) <= limit:
        text += " " + text
    return text


@settings(max_examples=150, deadline=None, derandomize=True)
@given(pieces=st.lists(PIECES, min_size=1, max_size=30), shift=st.integers(0, 80))
def test_fitting_a_message_keeps_links_mentions_and_entities_whole(
    pieces: list[str], shift: int
) -> None:
    body = "x" * shift + long_text(pieces, MAX_TEXT)  # the shift moves every limit's spot
    fitted = fit_to_limits(
        {
            "text": body,
            "blocks": [
                section(body[: MAX_SECTION_TEXT + 500], fields=[body[: MAX_FIELD_TEXT + 300]]),
                {"type": "context", "elements": [{"type": "mrkdwn", "text": body[:2500]}]},
            ],
        }
    )
    shown = [
        fitted["text"],
        fitted["blocks"][0]["text"]["text"],
        fitted["blocks"][0]["fields"][0]["text"],
        fitted["blocks"][1]["elements"][0]["text"],
    ]
    limits = [MAX_TEXT, MAX_SECTION_TEXT, MAX_FIELD_TEXT, MAX_FIELD_TEXT]
    assert all(len(text) <= limit for text, limit in zip(shown, limits, strict=True))
    for text in shown:
        assert whole(text), text[-120:]


URL = "https://us-west-2.console.aws.amazon.com/dynamodbv2/home?region=us-west-2#table?name=orders"


@pytest.mark.parametrize("offset", range(0, 120, 3))
def test_a_cut_that_falls_inside_a_link_drops_the_whole_link(offset: int) -> None:
    # The link starts `offset` characters before the point where the section is cut.
    marker_room = 40
    before = "x" * (MAX_SECTION_TEXT - marker_room - offset)
    text = before + link(URL, "orders in the console") + " and more" * 50
    fitted = fit_to_limits({"text": "", "blocks": [section(text)]})["blocks"][0]["text"]["text"]
    assert len(fitted) <= MAX_SECTION_TEXT
    assert whole(fitted), fitted[-160:]
    assert "<https://" not in fitted or fitted.count("<") == fitted.count(">")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pieces=st.lists(PIECES, min_size=1, max_size=20))
def test_packing_lines_into_sections_keeps_tokens_whole(pieces: list[str]) -> None:
    line = long_text(pieces, SECTION_LIMIT + 200)
    for block in packed_sections([line, "short", line]):
        assert len(block["text"]["text"]) <= SECTION_LIMIT
        assert whole(block["text"]["text"])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pieces=st.lists(PIECES, min_size=1, max_size=20))
def test_chunking_audit_lines_keeps_tokens_whole(pieces: list[str]) -> None:
    line = long_text(pieces, 3200)
    for chunk in _chunk([line, "short", line]):
        assert len(chunk) <= 3000
        assert whole(chunk)
