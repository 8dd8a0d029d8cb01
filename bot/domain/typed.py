"""What a user typed, shown back to them: a command line as typed (one line, shortened), and a
culprit quoted so that nothing in it hides (empty, invisible and control characters are spelt
as code points, like `U+200B`). Pure.

Messages quote the user's words in backticks; the renderers escape `&`, `<` and `>`.
"""

from __future__ import annotations

import re
import unicodedata

COMMAND_LIMIT = 80
# Characters that show nothing, or not what they are, where they are typed: control and
# format characters (a zero-width space, a BOM), spaces other than the plain one (a no-break
# space pasted from a document), line and paragraph separators, unassigned and private-use
# points, and dashes that look like `-` (a non-breaking hyphen, an en dash from autocorrect).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs", "Pd"})
_SEPARATORS = re.compile(r"[ \t\r\n]+")  # what the grammar splits words on


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in `…` when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def is_hidden(char: str) -> bool:
    """Whether ``char`` shows nothing (or not what it is) where it is typed."""
    return char not in " -" and unicodedata.category(char) in _HIDDEN_CATEGORIES


def hidden_characters(text: str) -> list[str]:
    """Each hidden character of ``text`` once, in order, as `U+200B ZERO WIDTH SPACE`."""
    found: list[str] = []
    for char in text:
        if is_hidden(char):
            named = f"U+{ord(char):04X}"
            name = unicodedata.name(char, "")
            described = f"{named} {name}" if name else named
            if described not in found:
                found.append(described)
    return found


def visible(text: str, limit: int = 40) -> str:
    """``text`` with each hidden character spelt `[U+200B]` and backticks made `ˋ` (so it
    cannot end a code span), shortened to about ``limit`` characters."""
    cut = shorten(text, limit)
    if cut.isascii() and cut.isprintable():  # nearly every command: nothing can hide in it
        return cut.replace("`", "\u02cb")
    out = []
    for char in cut:
        if is_hidden(char):
            out.append(f"[U+{ord(char):04X}]")
        else:
            out.append("\u02cb" if char == "`" else char)
    return "".join(out)


def quoted(text: str, limit: int = 40) -> str:
    """The culprit of a message in backticks, visibly; `an empty value` when it is empty."""
    return f"`{visible(text, limit)}`" if text else "an empty value"


def as_typed(text: str, limit: int = COMMAND_LIMIT) -> str:
    """`/ddb prune --all --apply` from the text after `/ddb`: one line, runs of whitespace as
    one space, hidden characters spelt out, shortened with `…` past ``limit``."""
    return visible(_SEPARATORS.sub(" ", f"/ddb {text}").strip(), limit)
