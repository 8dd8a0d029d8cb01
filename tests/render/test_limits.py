"""Slack's message limits: cut with a visible marker, never refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.render.limits import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    TRUNCATED,
    cut,
    fit_to_limits,
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_sixty_blocks_become_fifty_with_a_marker_counting_the_hidden_ones() -> None:
    blocks = [section(f"row {i}") for i in range(60)]
    fitted = fit_to_limits({"text": "t", "blocks": blocks})
    assert len(fitted["blocks"]) == MAX_BLOCKS
    assert fitted["blocks"][:49] == blocks[:49]
    marker = fitted["blocks"][-1]
    assert marker["type"] == "context"
    assert marker["elements"][0]["text"] == "… 11 more blocks not shown"


@pytest.mark.parametrize("count", [0, 1, 50], ids=["none", "one", "exactly-fifty"])
def test_blocks_within_the_limit_are_untouched(count: int) -> None:
    blocks = [section(f"row {i}") for i in range(count)]
    args = {"text": "t", "blocks": blocks, "channel": "C1"}
    assert fit_to_limits(args) == args


def test_app_home_allows_one_hundred_blocks() -> None:
    blocks = [section(f"row {i}") for i in range(120)]
    fitted = fit_to_limits({"text": "", "blocks": blocks}, max_blocks=100)
    assert len(fitted["blocks"]) == 100
    assert "21 more blocks not shown" in fitted["blocks"][-1]["elements"][0]["text"]


def test_a_long_section_is_cut_to_3000_characters_with_the_marker() -> None:
    fitted = fit_to_limits({"text": "t", "blocks": [section("x" * 5000)]})
    text = fitted["blocks"][0]["text"]["text"]
    assert len(text) == MAX_SECTION_TEXT
    assert text.endswith(TRUNCATED)
    assert fitted["blocks"][0]["text"]["type"] == "mrkdwn"


def test_section_fields_are_cut_to_ten() -> None:
    block = {"type": "section", "fields": [{"type": "mrkdwn", "text": f"f{i}"} for i in range(14)]}
    fitted = fit_to_limits({"text": "t", "blocks": [block]})
    assert [f["text"] for f in fitted["blocks"][0]["fields"]] == [f"f{i}" for i in range(10)]


def test_a_long_field_is_cut_to_2000_with_the_marker() -> None:
    block = {"type": "section", "fields": [{"type": "mrkdwn", "text": "y" * 2500}]}
    field = fit_to_limits({"text": "t", "blocks": [block]})["blocks"][0]["fields"][0]["text"]
    assert len(field) == 2000
    assert field.endswith(TRUNCATED)


def test_header_is_cut_to_150_with_the_marker() -> None:
    block = {"type": "header", "text": {"type": "plain_text", "text": "h" * 400, "emoji": True}}
    header = fit_to_limits({"text": "t", "blocks": [block]})["blocks"][0]["text"]
    assert len(header["text"]) == 150
    assert header["text"].endswith(TRUNCATED)
    assert header["type"] == "plain_text"


def test_context_is_cut_to_ten_elements() -> None:
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": str(i)} for i in range(12)]}
    fitted = fit_to_limits({"text": "t", "blocks": [block]})
    assert len(fitted["blocks"][0]["elements"]) == 10


def test_fallback_text_is_cut_to_40000() -> None:
    fitted = fit_to_limits({"text": "z" * 50_000})
    assert len(fitted["text"]) == MAX_TEXT
    assert fitted["text"].endswith(TRUNCATED)


def test_fitting_does_not_change_the_callers_arguments() -> None:
    blocks = [section("x" * 5000)] * 60
    args = {"text": "t", "blocks": blocks}
    fit_to_limits(args)
    assert len(args["blocks"]) == 60
    assert len(args["blocks"][0]["text"]["text"]) == 5000


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("word " * 20, 10 + len(TRUNCATED), "word word" + TRUNCATED),
    ],
    ids=["shorter", "exact", "cut-strips-trailing-space-before-marker"],
)
def test_cut(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit
