"""Regular expressions compiled on first use.

Each `re.compile` at import costs 0.05-0.2 ms, paid by every function that imports the
module, although most functions never use most patterns (a prune worker never reads an
`[owners]` table or a `10:42` clock time). `Lazy(...)` compiles when first matched; `re`'s
own cache is not used, so a pattern is compiled once per process whatever else runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class Lazy:
    """A pattern with the `re.Pattern` methods opsbot uses, compiled on first use."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern."""
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    @property
    def pattern(self) -> str:
        """The source, as `re.Pattern.pattern`."""
        return self._source

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """As `re.Pattern.fullmatch`."""
        return self.compiled.fullmatch(text)

    def match(self, text: str) -> re.Match[str] | None:
        """As `re.Pattern.match`."""
        return self.compiled.match(text)

    def search(self, text: str) -> re.Match[str] | None:
        """As `re.Pattern.search`."""
        return self.compiled.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """As `re.Pattern.finditer`."""
        return self.compiled.finditer(text)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        """As `re.Pattern.sub`."""
        return self.compiled.sub(replacement, text)
