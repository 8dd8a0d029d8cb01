"""AWS accounts opsbot manages: how configuration names them, how messages show them, and
every (account, region) opsbot works in. Pure.

Which account and region a typed table reference means is in :mod:`bot.domain.locations`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.errors import OpsbotError
from bot.domain.patterns import Lazy
from bot.domain.records import frozen

ACCOUNT_ID = Lazy(r"^\d{12}$")
ALIAS = Lazy(r"^[a-z0-9][a-z0-9-]{0,62}$")
ROLE_ARN = Lazy(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?P<name>[\w+=,.@/-]{1,512})$")
# At most this many candidates are listed; the rest are counted.
MAX_CHOICES = 10


@frozen
class Account:
    """One AWS account: its id, the alias users type and read, and how opsbot reaches it."""

    id: str
    alias: str
    regions: tuple[str, ...]
    role_arn: str | None = None  # None: the home account, where opsbot itself runs
    external_id: str | None = None

    @property
    def is_home(self) -> bool:
        """Whether this is the account opsbot runs in (no role to assume)."""
        return self.role_arn is None

    def label(self, *, with_id: bool = False) -> str:
        """The alias, or `alias (id)` when the id is asked for."""
        return f"{self.alias} ({self.id})" if with_id else self.alias


class AccountUnavailable(OpsbotError):
    """opsbot cannot act in an account: its role is missing, denied or not configured."""

    def __init__(self, message: str, *, account_id: str = "", role_arn: str = "") -> None:
        super().__init__(message)
        self.account_id = account_id
        self.role_arn = role_arn


def role_unavailable(account: Account, reason: str) -> AccountUnavailable:
    """The error for a role opsbot could not assume, naming the account and the role."""
    return AccountUnavailable(
        f"I cannot reach account {account.label(with_id=True)}: assuming "
        f"`{account.role_arn}` failed ({reason}). Check that the member-account stack is "
        "deployed there and that its ExternalId matches opsbot.toml.",
        account_id=account.id,
        role_arn=account.role_arn or "",
    )


def find_account(accounts: Iterable[Account], key: str) -> Account | None:
    """The account whose id or alias is ``key`` (None when none is)."""
    for account in accounts:
        if key in (account.id, account.alias):
            return account
    return None


def home_account(accounts: Iterable[Account]) -> Account | None:
    """The configured home account (None when the configuration names none)."""
    return next((account for account in accounts if account.is_home), None)


def account_label(account_id: str, accounts: Iterable[Account], *, with_id: bool = False) -> str:
    """How an account appears in messages: its alias (and id on demand); unknown ids as is."""
    found = find_account(accounts, account_id) if account_id else None
    if found is None:
        return account_id
    return found.label(with_id=with_id)


def account_from_arn(arn: str) -> str:
    """The account id inside an ARN ('' when the ARN has none)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and ACCOUNT_ID.fullmatch(parts[4]) else ""


def managed_places(
    accounts: Sequence[Account], default_regions: Sequence[str]
) -> list[tuple[Account | None, str]]:
    """Every (account, region) opsbot manages: the fan-out of prune and App Home."""
    if not accounts:
        return [(None, region) for region in default_regions]
    places: list[tuple[Account | None, str]] = []
    if home_account(accounts) is None:
        places.extend((None, region) for region in default_regions)
    for account in accounts:
        places.extend((account, region) for region in account.regions)
    return places
