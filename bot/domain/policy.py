"""Retention policies as configured and typed: `keep-daily=7,keep-within=30d,min-age=2d`. Pure.

The rules' meaning (restic's ``forget``) and the prune planner are in
:mod:`bot.domain.retention`; this module only reads, checks and prints policies, so that
configuration and the command grammar need not load the planner.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.domain.errors import InvalidValue
from bot.domain.records import frozen
from bot.domain.times import parse_duration
from bot.domain.typed import quoted

COUNT_KEYS = (
    "keep-last",
    "keep-hourly",
    "keep-daily",
    "keep-weekly",
    "keep-monthly",
    "keep-yearly",
)
DURATION_KEYS = ("keep-within", "min-age")
ACCEPTED_KEYS = COUNT_KEYS + DURATION_KEYS
POLICY_FORM = "comma-separated key=value pairs such as keep-daily=7,keep-within=30d"


@frozen
class RetentionPolicy:
    """Which backups to keep; unset rules (None) keep nothing by themselves."""

    keep_last: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None
    keep_within: timedelta | None = None
    min_age: timedelta | None = None

    def __post_init__(self) -> None:
        for key in COUNT_KEYS:
            count = getattr(self, _attr(key))
            if count is not None and (isinstance(count, bool) or count < 1):
                raise InvalidValue(f"`{key}` must be a whole number of at least 1, not {count!r}")
        for key in DURATION_KEYS:
            duration = getattr(self, _attr(key))
            if duration is not None and duration <= timedelta(0):
                raise InvalidValue(f"`{key}` must be a positive duration")

    @property
    def is_empty(self) -> bool:
        """True when no keep rule is set: such a policy deletes nothing."""
        return all(getattr(self, _attr(key)) is None for key in (*COUNT_KEYS, "keep-within"))

    def describe(self) -> str:
        """For people: 'keep-last 3, daily 7, weekly 4, within 30d, min-age 2d'."""
        parts = [f"{_short_rule(key)} {value}" for key, value in self._set_values()]
        if self.is_empty:
            parts.insert(0, "no keep rules (keeps everything)")
        return ", ".join(parts)

    def as_text(self) -> str:
        """The tag/config form that parse_policy reads back: 'keep-daily=7,keep-within=30d'."""
        return ",".join(f"{key}={value}" for key, value in self._set_values())

    def _set_values(self) -> list[tuple[str, str]]:
        values = []
        for key in ACCEPTED_KEYS:
            value = getattr(self, _attr(key))
            if value is not None:
                shown = short_duration(value) if isinstance(value, timedelta) else str(value)
                values.append((key, shown))
        return values


def parse_policy(text: str) -> RetentionPolicy:
    """'keep-daily=7,keep-weekly=4,keep-within=30d,min-age=2d' -> RetentionPolicy."""
    values: dict[str, str] = {}
    for part in text.replace(",", " ").split():
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("_", "-")
        if not sep or key not in ACCEPTED_KEYS or not value.strip():
            raise InvalidValue(
                f"{quoted(part, 80)} is not a retention rule; use {POLICY_FORM} "
                f"(accepted keys: {', '.join(ACCEPTED_KEYS)})"
            )
        if key in values:
            raise InvalidValue(f"`{key}` is given twice in {quoted(text, 200)}")
        values[key] = value.strip()
    converted: dict[str, Any] = {_attr(k): _convert(k, v) for k, v in values.items()}
    return RetentionPolicy(**converted)


def policy_from_mapping(table: Mapping[str, Any]) -> RetentionPolicy:
    """A policy from a TOML table: keep_last = 3, keep_daily = 7, keep_within = "30d", ..."""
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = str(raw_key).lower().replace("_", "-")
        if key not in ACCEPTED_KEYS:
            accepted = ", ".join(_attr(k) for k in ACCEPTED_KEYS)
            raise InvalidValue(f"`{raw_key}` is not a retention key; accepted keys: {accepted}")
        values[_attr(key)] = _convert(key, value)
    return RetentionPolicy(**values)


def _convert(key: str, value: object) -> int | timedelta:
    if key in DURATION_KEYS:
        if not isinstance(value, str):
            raise InvalidValue(f"`{key}` must be a duration such as 30d, not {value!r}")
        try:
            return parse_duration(value)
        except InvalidValue as e:
            raise InvalidValue(f"`{key}`: {e.message}") from None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidValue(f"`{key}` must be a whole number, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise InvalidValue(
            f"`{key}` must be a whole number, not {quoted(str(value), 40)}"
        ) from None


def _attr(key: str) -> str:
    return key.replace("-", "_")


def _short_rule(key: str) -> str:
    return key if key in ("keep-last", "min-age") else key.removeprefix("keep-")


def short_duration(delta: timedelta) -> str:
    """'30d', '12h', '90m', '45s': the form durations are typed in."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
