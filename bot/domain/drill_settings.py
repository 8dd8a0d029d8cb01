"""`[drills]` settings as a value (read by bot/config_drills.py), apart from the drill
decisions in bot/domain/drills.py: every function loads the settings, few run drills. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.records import frozen

DEFAULT_PRICE_PER_GB = 0.15  # restore price, USD per GB restored (DESIGN.md section 11)
DEFAULT_SAMPLE = 20
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_AT_ONCE = 10  # far below AWS's 50 restores in progress per account
DRILL_TAG = "opsbot:drill"
CADENCES = ("weekly", "monthly")


@frozen
class DrillSettings:
    """`[drills]` in opsbot.toml."""

    price_per_gb: float = DEFAULT_PRICE_PER_GB
    sample: int = DEFAULT_SAMPLE
    # Scan pages (up to 1 MB each) spent counting the copy before the drill gives up.
    count_budget_pages: int = 20000
    # The scheduled drills: tables named here (weekly), and tables tagged opsbot:drill.
    tables: tuple[str, ...] = ()
    max_at_once: int = 3
    max_size_gb: float = 100.0
    day: str = "sunday"  # weekly drills run that day; monthly ones its first in the month
    hour: int = 3  # UTC

    def due(self, cadence: str, now: datetime) -> bool:
        """Whether a ``cadence`` drill is due in the scheduled hour that ``now`` falls in."""
        utc = now.astimezone(UTC)
        if utc.hour != self.hour or WEEKDAYS[utc.weekday()] != self.day:
            return False
        return cadence == "weekly" or utc.day <= 7
