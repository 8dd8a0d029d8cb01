"""`[drills]` in opsbot.toml: price, validation budget and the scheduled drills."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config_sections import ConfigError, read_choice, read_float, read_int
from bot.domain.drill_settings import MAX_AT_ONCE, WEEKDAYS, DrillSettings
from bot.domain.errors import InvalidValue
from bot.domain.refs import parse_table_ref

KEYS = frozenset(
    {
        "price_per_gb",
        "sample",
        "count_budget_pages",
        "tables",
        "max_at_once",
        "max_size_gb",
        "day",
        "hour",
    }
)


def read_drills(section: Mapping[str, Any]) -> DrillSettings:
    """``[drills]`` as DrillSettings, or ConfigError naming the key."""
    tables = section.get("tables", [])
    expected = 'a list of tables like ["orders", "orders@us-west-2"]'
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise ConfigError("drills.tables", expected, tables)
    for text in tables:
        try:
            parse_table_ref(text)
        except InvalidValue:
            raise ConfigError("drills.tables", expected, text) from None
    at_once = read_int(section, "drills", "max_at_once", 3, minimum=1)
    if at_once > MAX_AT_ONCE:
        raise ConfigError("drills.max_at_once", f"a whole number from 1 to {MAX_AT_ONCE}", at_once)
    hour = read_int(section, "drills", "hour", 3, minimum=0)
    if hour > 23:
        raise ConfigError("drills.hour", "an hour of the day, 0 to 23 (UTC)", hour)
    return DrillSettings(
        price_per_gb=read_float(section, "drills", "price_per_gb", 0.15),
        sample=read_int(section, "drills", "sample", 20, minimum=0),
        count_budget_pages=read_int(section, "drills", "count_budget_pages", 20000, minimum=1),
        tables=tuple(tables),
        max_at_once=at_once,
        max_size_gb=read_float(section, "drills", "max_size_gb", 100.0),
        day=read_choice(section, "drills", "day", WEEKDAYS, "sunday"),
        hour=hour,
    )
