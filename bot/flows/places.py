"""Where opsbot acts: the clients of an account, how an account is shown, and every
(account, region) opsbot manages.

The adoption pattern of account-aware handlers: ``table = locate_table(runtime, cmd.table).table``
(bot/flows/resolve.py) then ``clients_in(runtime, table.account)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.aws.accounts import AccountClients
from bot.domain.accounts import Account, account_label, managed_places
from bot.runtime import Runtime

ClientFactory = Callable[..., Any]
EXTRAS_KEY = "account_clients"


def account_clients(runtime: Runtime) -> AccountClients:
    """The runtime's account-aware client factory (built once, kept in runtime.extras)."""
    found = runtime.extras.get(EXTRAS_KEY)
    if found is None:
        found = AccountClients(runtime.clients, runtime.settings.accounts, clock=runtime.clock)
        runtime.extras[EXTRAS_KEY] = found
    return found


def clients_in(runtime: Runtime, account: Account | str | None) -> ClientFactory:
    """A ``(service, region) -> client`` factory for one account (None: opsbot's own)."""
    factory = account_clients(runtime)

    def client(service: str, region: str | None = None) -> Any:
        return factory.client(service, region, account)

    return client


def label_of(runtime: Runtime, account: Account | str | None) -> str | None:
    """The account's alias for messages; None when no accounts are configured (no change)."""
    accounts = runtime.settings.accounts
    if not accounts:
        return None
    if account is None:
        home = next((a for a in accounts if a.is_home), None)
        return home.alias if home else None
    account_id = account.id if isinstance(account, Account) else account
    return account_label(account_id, accounts) or None


def places(runtime: Runtime) -> list[tuple[Account | None, str]]:
    """Every (account, region) opsbot manages."""
    settings = runtime.settings
    return managed_places(settings.accounts, settings.regions)
