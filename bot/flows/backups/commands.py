"""`/ddb backups` (with its "Show more" button) and `/ddb backup`: the worker side.

`/ddb prune` and its executor are in bot/flows/backups/prune.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from bot.aws.backups import create_backup, list_backups
from bot.aws.errors import translate
from bot.aws.tables import pitr_window
from bot.domain.backups import check_backup_name, default_backup_name
from bot.domain.command_parser import parse_command
from bot.domain.commands import Backup, Backups
from bot.domain.errors import OpsbotError
from bot.domain.policy import short_duration
from bot.flows.backups.prune_runs import pace_for
from bot.flows.backups.tables import located, shown_name
from bot.flows.registry import Request, action, command
from bot.render.backups import render_backup_created, render_backup_list
from bot.render.message import Message

PAGE_SIZE = 20


# --- /ddb backups ----------------------------------------------------------------------


@command(Backups, account_aware=True)
def backups(cmd: Backups, request: Request) -> None:
    """List a table's backups (all pages), newest first, with totals and the PITR window."""
    request.reply(_backup_page(cmd, request, page=0))


@action("backups_more", permission="backups")
def backups_more(value: str, request: Request) -> None:
    """The "Show more" button: the next page of the same listing (same table and filters,
    `--since` counted from the first page's time, no backup made since)."""
    # Older buttons carry no time, or no count of the first page.
    args, page, at, total = [*value.split("|"), "", "", ""][:4]
    try:
        cmd = parse_command(f"backups {args}", request.now)
        number = int(page)
        listed_at = datetime.fromtimestamp(float(at), UTC) if at else None
        listed_total = int(total) if total else None
    except (OpsbotError, ValueError, OverflowError, OSError):
        raise OpsbotError("This button is not valid any more; run `/ddb backups` again.") from None
    if not isinstance(cmd, Backups) or number < 0:
        raise OpsbotError("This button is not valid any more; run `/ddb backups` again.")
    page_message = _backup_page(
        cmd, request, page=number, listed_at=listed_at, listed_total=listed_total
    )
    request.reply(page_message, replace_original=True)


def _backup_page(
    cmd: Backups,
    request: Request,
    *,
    page: int,
    listed_at: datetime | None = None,
    listed_total: int | None = None,
) -> Message:
    runtime = request.runtime
    ref, client = located(cmd.table, runtime)
    assert ref.region is not None
    try:
        continuous = client.describe_continuous_backups(TableName=ref.name)
    except ClientError as exc:
        raise translate(exc, table=ref.name, region=ref.region) from exc
    found = list_backups(
        client,
        ref.name,
        region=ref.region,
        backup_type=cmd.backup_type,
        since=cmd.since,
        now=listed_at or request.now,
        until=listed_at,
        pace=pace_for(runtime),
    )
    pitr = pitr_window(continuous)
    return render_backup_list(
        shown_name(ref, runtime),
        found,
        request.now,
        pitr_enabled=pitr.enabled,
        pitr_earliest=pitr.earliest,
        pitr_latest=pitr.latest,
        price_per_gb_month=runtime.settings.backup_price_per_gb_month,
        page=page,
        page_size=PAGE_SIZE,
        filters=_filters(cmd),
        listed_at=listed_at,
        listed_total=listed_total,
    )


def _filters(cmd: Backups) -> str:
    """The options of a backups command as typed, so "Show more" can repeat them."""
    parts = [] if cmd.backup_type == "all" else [f"--type {cmd.backup_type}"]
    if cmd.since is not None:
        parts.append(f"--since {short_duration(cmd.since)}")
    return " ".join(parts)


# --- /ddb backup -----------------------------------------------------------------------


@command(Backup, account_aware=True)
def backup(cmd: Backup, request: Request) -> None:
    """Start an on-demand backup, attributed to the requester."""
    runtime = request.runtime
    ref, client = located(cmd.table, runtime)
    assert ref.region is not None
    name = check_backup_name(cmd.name) if cmd.name else default_backup_name(ref.name, request.now)
    created = create_backup(client, ref.name, name, region=ref.region)
    request.record_action(created.request_id, f"/ddb backup {ref} --name {name}")
    request.reply(
        render_backup_created(
            shown_name(ref, runtime), created.backup.name, created.backup.arn, request.user
        )
    )
