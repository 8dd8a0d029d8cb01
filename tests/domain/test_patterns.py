"""bot.domain.patterns.Lazy answers as the compiled pattern it stands for, compiled once."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.patterns import Lazy

SOURCES = [(r"^\s*(\d+)\s*(s|m|h)\s*$", re.IGNORECASE), (r"[a-z]{2}-[a-z]+-\d", 0), (r"\d+", 0)]


@given(st.sampled_from(SOURCES), st.text(alphabet="0123456789 smhSMHab-xyz", max_size=12))
def test_lazy_answers_as_the_compiled_pattern(source: tuple[str, int], text: str) -> None:
    lazy, compiled = Lazy(*source), re.compile(*source)
    for name in ("fullmatch", "match", "search"):
        got, want = getattr(lazy, name)(text), getattr(compiled, name)(text)
        assert (got and got.group(0)) == (want and want.group(0))
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.sub("#", text) == compiled.sub("#", text)
    assert lazy.pattern == compiled.pattern


def test_lazy_compiles_on_first_use_and_only_once() -> None:
    lazy = Lazy(r"\d{12}")
    assert lazy._compiled is None  # nothing compiled at import
    first = lazy.compiled
    assert lazy.fullmatch("123456789012")
    assert lazy.compiled is first
