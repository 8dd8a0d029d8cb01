"""Showing back what a user typed: as typed on one line, and culprits made visible."""

from __future__ import annotations

import pytest

from bot.domain.typed import as_typed, hidden_characters, quoted


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("orders", "`orders`"),
        ("", "an empty value"),
        ("orders\u200b", "`orders[U+200B]`"),
        ("a\u00a0b", "`a[U+00A0]b`"),
        ("x`y", "`xˋy`"),
        ("\u2028", "`[U+2028]`"),
    ],
    ids=["plain", "empty", "zero-width-space", "no-break-space", "backtick", "line-separator"],
)
def test_a_culprit_is_quoted_visibly(text: str, shown: str) -> None:
    assert quoted(text) == shown


def test_hidden_characters_are_named_once_each() -> None:
    assert hidden_characters("a\u200bb\u200b\u00a0") == [
        "U+200B ZERO WIDTH SPACE",
        "U+00A0 NO-BREAK SPACE",
    ]


def test_a_command_as_typed_is_one_line_and_shortened() -> None:
    assert as_typed("prune  --all\n--apply") == "/ddb prune --all --apply"
    long = as_typed("status " + "t" * 200)
    assert len(long) == 80
    assert long.endswith("…")
