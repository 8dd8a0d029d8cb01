"""Which table a command means: a typed reference resolved against the configured accounts.

Only the handlers that take a table from a user need this (notification paths know their
account from the event), so it is kept apart from bot/flows/places.py.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.locations import ResolvedTable, TableLocation, resolve_or_raise
from bot.domain.refs import TableRef
from bot.runtime import Runtime


def resolve_table(
    runtime: Runtime, ref: TableRef, known_tables: Collection[TableLocation] | None = None
) -> ResolvedTable:
    """The account and region a typed table means; an ambiguous name raises the pick list."""
    settings = runtime.settings
    return resolve_or_raise(ref, settings.accounts, settings.default_region, known_tables)
