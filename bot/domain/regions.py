"""AWS region codes: the only region text that may reach a console URL host."""

from __future__ import annotations

from bot.domain.patterns import Lazy

_REGION_CODE = Lazy(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d")


def region_code(text: object) -> str | None:
    """``text`` when it is a region code such as ``us-west-2``, else None."""
    if isinstance(text, str) and _REGION_CODE.fullmatch(text):
        return text
    return None
