"""Which account and region a typed table reference means. Pure.

The configured accounts come in as data, so `orders@payments-prod/us-west-2`,
`orders@210987654321/eu-west-1` and a bare `orders` resolve the same way in commands,
App Home and tests. A bare name found in several accounts or regions is never guessed:
it resolves to :class:`Ambiguous`, which lists the fully qualified names to pick from.
Where a name may be is :func:`places_to_search`; the flow looks each place up (one
DescribeTable each, in the worker) and :func:`choose_place` decides.
Only the handlers that take a table from a user need this; the accounts themselves are in
:mod:`bot.domain.accounts`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.accounts import (
    MAX_CHOICES,
    Account,
    account_label,
    find_account,
    home_account,
    managed_places,
)
from bot.domain.errors import InvalidValue, OpsbotError, TableNotFound
from bot.domain.records import frozen
from bot.domain.refs import TableRef


@frozen
class TableLocation:
    """Where a table lives: account id ('' for the home account when its id is unknown)."""

    name: str
    account_id: str
    region: str

    def typed(self, accounts: Sequence[Account]) -> str:
        """The reference a user types to mean exactly this table."""
        if not accounts:
            return f"{self.name}@{self.region}"
        who = account_label(self.account_id, accounts) or self.account_id
        return f"{self.name}@{who}/{self.region}" if who else f"{self.name}@{self.region}"


@frozen
class ResolvedTable:
    """A table reference made definite: the account (None: home, unconfigured) and region."""

    name: str
    region: str
    account: Account | None = None

    @property
    def account_id(self) -> str:
        """The account id ('' for an unconfigured home account)."""
        return self.account.id if self.account else ""

    @property
    def location(self) -> TableLocation:
        """The same table as a location (for history and alarm keys)."""
        return TableLocation(self.name, self.account_id, self.region)

    def as_ref(self) -> TableRef:
        """The TableRef a user would type; the account is named only when it is not home."""
        if self.account is None or self.account.is_home:
            return TableRef(self.name, self.region)
        return TableRef(self.name, self.region, self.account.alias)


class AmbiguousTable(OpsbotError):
    """A table name that exists in several accounts or regions: the message lists them."""

    def __init__(self, message: str, choices: tuple[str, ...]) -> None:
        super().__init__(message)
        self.choices = choices


@frozen
class Ambiguous:
    """The same table name in several accounts/regions; the user picks one."""

    name: str
    candidates: tuple[TableLocation, ...]

    def choices(self, accounts: Sequence[Account]) -> tuple[str, ...]:
        """What to type for each candidate, in a stable order."""
        return tuple(c.typed(accounts) for c in self.candidates)

    def as_error(self, accounts: Sequence[Account]) -> AmbiguousTable:
        """An error whose message is the short pick list (the worker replies with it)."""
        choices = self.choices(accounts)
        shown = [f"• `{choice}`" for choice in choices[:MAX_CHOICES]]
        if len(choices) > MAX_CHOICES:
            shown.append(f"• … and {len(choices) - MAX_CHOICES} more")
        message = (
            f"`{self.name}` exists in {len(choices)} places. Which one did you mean?\n"
            + "\n".join(shown)
        )
        return AmbiguousTable(message, choices)


def resolve_table_ref(
    name: str,
    account_hint: str | None,
    region_hint: str | None,
    accounts: Sequence[Account],
    default_region: str,
    known_tables: Collection[TableLocation] | None = None,
    managed: Sequence[str] | None = None,
) -> ResolvedTable | Ambiguous:
    """Which account and region a typed table means, or the candidates when it is ambiguous.

    - `table@alias/region`, `table@id/region`: that account (must be configured), that region
      (must be one of the account's regions).
    - `table@region` or `table`: the home account unless ``known_tables`` (where tables of
      that name were seen) places the name elsewhere; one place resolves there, several are
      Ambiguous, none falls back to home so the command reports "no such table".
    - a region outside ``managed`` (the regions opsbot manages, when given) is refused.
    """
    home = home_account(accounts)
    if account_hint is not None:
        account = _configured(account_hint, accounts)
        region = region_hint or account.regions[0]
        if region not in account.regions:
            raise InvalidValue(
                f"opsbot manages {account.label()} only in {', '.join(account.regions)}, "
                f"not `{region}`"
            )
        return ResolvedTable(name, region, account)
    if region_hint is not None and managed is not None and region_hint not in managed:
        raise InvalidValue(not_managed(region_hint, managed))
    fallback = ResolvedTable(name, region_hint or default_region, home)
    if not known_tables:
        return fallback
    found = sorted(
        {
            place
            for place in known_tables
            if place.name == name and (region_hint is None or place.region == region_hint)
        },
        key=lambda place: (_order(place.account_id, accounts), place.region),
    )
    if not found:
        return fallback
    if len(found) > 1:
        return Ambiguous(name, tuple(found))
    (place,) = found
    owner = find_account(accounts, place.account_id) if place.account_id else home
    return ResolvedTable(name, place.region, owner)


def resolve_ref(
    ref: TableRef,
    accounts: Sequence[Account],
    default_region: str,
    known_tables: Collection[TableLocation] | None = None,
    managed: Sequence[str] | None = None,
) -> ResolvedTable | Ambiguous:
    """:func:`resolve_table_ref` for a parsed TableRef."""
    return resolve_table_ref(
        ref.name, ref.account, ref.region, accounts, default_region, known_tables, managed
    )


def resolve_or_raise(
    ref: TableRef,
    accounts: Sequence[Account],
    default_region: str,
    known_tables: Collection[TableLocation] | None = None,
    managed: Sequence[str] | None = None,
) -> ResolvedTable:
    """The resolved table; an ambiguous name raises AmbiguousTable with the pick list."""
    result = resolve_ref(ref, accounts, default_region, known_tables, managed)
    if isinstance(result, Ambiguous):
        raise result.as_error(accounts)
    return result


def managed_regions(accounts: Sequence[Account], regions: Sequence[str]) -> tuple[str, ...]:
    """Every region opsbot manages in some account, in configuration order."""
    return tuple(dict.fromkeys(region for _, region in managed_places(accounts, regions)))


def not_managed(region: str, managed: Sequence[str]) -> str:
    """Why a region is refused, naming the ones opsbot manages."""
    return f"opsbot does not manage {region} (managed: {', '.join(managed)})"


def places_to_search(
    ref: TableRef, accounts: Sequence[Account], regions: Sequence[str]
) -> tuple[TableLocation, ...]:
    """Every managed place a typed table may be in: none to search when it names its account
    (that place is definite), else each managed (account, region), in the named region only
    when it names one. An unmanaged region raises InvalidValue naming the managed ones."""
    if ref.account is not None:
        return ()
    managed = managed_regions(accounts, regions)
    if ref.region is not None and ref.region not in managed:
        raise InvalidValue(not_managed(ref.region, managed))
    return tuple(
        TableLocation(ref.name, account.id if account else "", region)
        for account, region in managed_places(accounts, regions)
        if ref.region in (None, region)
    )


def choose_place(
    ref: TableRef,
    found: Collection[TableLocation],
    searched: Sequence[TableLocation],
    accounts: Sequence[Account],
    default_region: str,
) -> ResolvedTable:
    """The one place of ``searched`` a table was ``found`` in; several raise the pick list
    (AmbiguousTable), none raises TableNotFound naming where opsbot looked."""
    if not found:
        raise TableNotFound(no_table_anywhere(ref.name, searched, accounts))
    return resolve_or_raise(ref, accounts, default_region, found)


def no_table_anywhere(
    name: str, searched: Sequence[TableLocation], accounts: Sequence[Account]
) -> str:
    """`There is no table `orders` in us-west-2 or us-east-1. Check the name.`"""
    return f"There is no table `{name}` in {places_text(searched, accounts)}. Check the name."


def places_text(searched: Sequence[TableLocation], accounts: Sequence[Account]) -> str:
    """Where opsbot looked, for a sentence: `us-west-2 or us-east-1`, `payments-prod/us-west-2`."""
    wheres = [
        f"{account_label(p.account_id, accounts) or p.account_id}/{p.region}"
        if accounts and p.account_id
        else p.region
        for p in searched
    ]
    if len(wheres) > MAX_CHOICES:
        wheres = [*wheres[: MAX_CHOICES - 1], f"{len(wheres) - MAX_CHOICES + 1} more places"]
    return wheres[0] if len(wheres) == 1 else f"{', '.join(wheres[:-1])} or {wheres[-1]}"


def home_only(ref: TableRef, accounts: Sequence[Account]) -> TableRef:
    """The reference without its account when that is the home account; else InvalidValue.

    For code that is not account-aware yet: it must refuse a member account rather than
    silently act on the home account's table of the same name.
    """
    if ref.account is None:
        return ref
    account = _configured(ref.account, accounts)
    if not account.is_home:
        raise InvalidValue(
            f"`{ref}`: this command works only in {_home_name(accounts)} so far, "
            f"not in {account.label(with_id=True)}"
        )
    return TableRef(ref.name, ref.region)


def _configured(hint: str, accounts: Sequence[Account]) -> Account:
    account = find_account(accounts, hint)
    if account is not None:
        return account
    if not accounts:
        raise InvalidValue(
            f"`{hint[:40]}`: no accounts are configured; use `table@region` "
            "or add [[accounts]] to opsbot.toml"
        )
    known = ", ".join(f"`{a.alias}`" for a in accounts)
    raise InvalidValue(f"`{hint[:40]}` is not a configured account; known accounts: {known}")


def _home_name(accounts: Sequence[Account]) -> str:
    home = home_account(accounts)
    return home.label(with_id=True) if home else "opsbot's own account"


def _order(account_id: str, accounts: Sequence[Account]) -> int:
    for index, account in enumerate(accounts):
        if account.id == account_id:
            return index
    return -1 if not account_id else len(accounts)
