"""Sizes and money as people read them in a message."""

from __future__ import annotations

_BYTE_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(size: int | None) -> str:
    """'512 B', '1.5 KiB', '12.3 GiB'; 'size unknown' when AWS has not reported it yet."""
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in _BYTE_UNITS:
        value /= 1024
        if value < 1024 or unit == _BYTE_UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def money(amount: float) -> str:
    """'$1.25', '$1,234.00'; 'under $0.01' for amounts that would round to zero."""
    if 0 < amount < 0.005:
        return "under $0.01"  # words, not a raw `<`: the text goes into mrkdwn
    return f"${amount:,.2f}"


def monthly(amount: float) -> str:
    """'~$1.25/month' (an estimate), 'under $0.01/month', '$0.00/month'."""
    if amount <= 0:
        return "$0.00/month"
    shown = money(amount)
    return f"{shown}/month" if shown.startswith("under") else f"~{shown}/month"
