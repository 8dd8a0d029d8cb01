"""Which table a command means: a typed reference resolved against the configured accounts
and regions, and looked up where it may be.

Only the handlers that take a table from a user need this (notification paths know their
account from the event), so it is kept apart from bot/flows/places.py.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.aws.tables import find_table
from bot.domain.accounts import AccountUnavailable
from bot.domain.locations import (
    ResolvedTable,
    TableLocation,
    choose_place,
    managed_regions,
    places_to_search,
    resolve_or_raise,
)
from bot.domain.records import frozen
from bot.domain.refs import TableRef
from bot.flows.places import clients_in
from bot.runtime import Runtime


def resolve_table(
    runtime: Runtime, ref: TableRef, known_tables: Collection[TableLocation] | None = None
) -> ResolvedTable:
    """The account and region a typed table means, without looking it up; an ambiguous name
    raises the pick list, a region opsbot does not manage is refused."""
    settings = runtime.settings
    return resolve_or_raise(
        ref,
        settings.accounts,
        settings.default_region,
        known_tables,
        managed=managed_regions(settings.accounts, settings.regions),
    )


@frozen
class Located:
    """A table found where a typed reference says, and its description when finding it
    took a DescribeTable (the caller need not describe it again)."""

    table: ResolvedTable
    description: Mapping[str, Any] | None = None


def locate_table(runtime: Runtime, ref: TableRef) -> Located:
    """The one table a typed reference means, looked up in every managed place it may be in.

    A reference that leaves only one place (one managed region, or `@account/region`) costs
    no call here: the command's own calls find out whether the table exists. Otherwise one
    DescribeTable per place (accounts x regions, or the accounts of the region named), in
    the worker: found in one place it is answered there, in several the user picks, in none
    the reply names where opsbot looked. An account that cannot be reached is left out of
    the search; if the table is found nowhere else, its error is the answer.
    """
    settings = runtime.settings
    searched = places_to_search(ref, settings.accounts, settings.regions)
    if len(searched) <= 1:
        return Located(resolve_table(runtime, ref))
    found: dict[TableLocation, Mapping[str, Any]] = {}
    unreachable: dict[str, AccountUnavailable] = {}
    for place in searched:
        if place.account_id in unreachable:
            continue
        try:
            client = clients_in(runtime, place.account_id or None)("dynamodb", place.region)
            description = find_table(client, ref.name, place.region)
        except AccountUnavailable as exc:
            unreachable[place.account_id] = exc
            continue
        if description is not None:
            found[place] = description
    if not found and unreachable:
        raise next(iter(unreachable.values()))
    table = choose_place(ref, found, searched, settings.accounts, settings.default_region)
    return Located(table, found.get(table.location))
