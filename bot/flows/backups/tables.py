"""The table a backups command acts on: found where the typed reference says, its DynamoDB
client, and how messages and buttons name it. Shared by `/ddb backups`, `backup` and
`prune` (bot/flows/backups/commands.py, bot/flows/backups/prune.py)."""

from __future__ import annotations

from typing import Any

from bot.domain.refs import TableRef
from bot.flows.places import clients_in
from bot.flows.resolve import locate_table
from bot.runtime import Runtime


def shown_name(ref: TableRef, runtime: Runtime) -> str:
    """How a table is named in messages and buttons: `orders`, `orders@eu-west-1`, or
    `orders@payments-prod/us-west-2` in a member account."""
    if ref.region == runtime.settings.default_region and not ref.account:
        return ref.name
    return str(ref)


def located(ref: TableRef, runtime: Runtime) -> tuple[TableRef, Any]:
    """The table in its account and region (the alias named for a member account), and its
    DynamoDB client there."""
    table = locate_table(runtime, ref).table
    return table.as_ref(), clients_in(runtime, table.account)("dynamodb", table.region)


def account_id_of(ref: TableRef, runtime: Runtime) -> str:
    """The id of the member account a located ref names ('' : opsbot's own account)."""
    account = runtime.settings.account(ref.account) if ref.account else None
    return account.id if account is not None else ""


def member_ref(name: str, region: str, account_id: str, runtime: Runtime) -> TableRef:
    """A TableRef for a stored (account id, region, table), naming a member by its alias."""
    account = runtime.settings.account(account_id) if account_id else None
    if account is None or account.is_home:
        return TableRef(name, region)
    return TableRef(name, region, account.alias)
