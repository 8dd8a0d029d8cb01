"""`/ddb status <table>`: one message with what an on-call engineer checks first."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from bot.domain.regions import region_code
from bot.domain.table_load import TableLoad
from bot.domain.tables import TableStatus, table_risks
from bot.domain.times import format_relative, format_utc
from bot.render.message import (
    Message,
    code,
    context,
    escape,
    escape_plain,
    fields_section,
    header,
    link,
    section,
)
from bot.render.table_load import load_section

_STATUS_EMOJI = {"ACTIVE": ":large_green_circle:", "CREATING": ":large_blue_circle:"}


def human_bytes(size: int) -> str:
    """'734.0 MiB' style sizes (binary units, one decimal)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def table_console_url(table: str, region: str) -> str:
    """The DynamoDB console page of a table."""
    # Only a region code may name the host; anything else opens the global console.
    host = f"{valid}.console" if (valid := region_code(region)) else "console"
    return (
        f"https://{host}.aws.amazon.com/dynamodbv2/home?region={quote(region, safe='')}"
        f"#table?name={quote(table, safe='')}"
    )


def _plain_where(region: str, account_label: str | None) -> str:
    return escape_plain(f"{account_label}/{region}" if account_label else region)


def render_status(
    status: TableStatus,
    now: datetime,
    *,
    max_backup_age: timedelta,
    extra_risks: tuple[str, ...] = (),
    account_label: str | None = None,
    load: TableLoad | str | None = None,
) -> Message:
    """The table's status, billing, size, PITR window, newest backup, protection and alarms.

    ``account_label`` (the account's alias, when accounts are configured) names the account
    in the header and the text; without it the context shows the bare account id. ``load``
    is the last hour's load (bot.render.table_load), or why CloudWatch gave none.
    """
    name = escape(status.name)
    where = escape(status.region)
    if account_label:
        where = f"{escape(account_label)}/{where}"
    emoji = _STATUS_EMOJI.get(status.status, ":large_orange_circle:")
    capacity = (
        f"{status.read_capacity} RCU / {status.write_capacity} WCU"
        if status.billing_mode == "PROVISIONED"
        else "on demand"
    )
    if status.pitr.enabled and status.pitr.earliest and status.pitr.latest:
        pitr = (
            f":white_check_mark: on — restorable {format_utc(status.pitr.earliest)} → "
            f"{format_utc(status.pitr.latest)}"
        )
    elif status.pitr.enabled:
        pitr = ":white_check_mark: on"
    else:
        pitr = ":warning: off"
    if status.newest_backup is None:
        backup = ":warning: none"
    else:
        age = format_relative(status.newest_backup.created, now)
        stale = now - status.newest_backup.created > max_backup_age
        backup = f"{':warning: ' if stale else ''}{escape(status.newest_backup.name)} ({age})"
    protection = ":white_check_mark: on" if status.deletion_protection else ":warning: off"
    alarms = (
        ", ".join(code(a) for a in status.alarms_firing) if status.alarms_firing else "none firing"
    )
    fields = [
        f"*Status*\n{emoji} {escape(status.status)}",
        f"*Billing*\n{capacity}",
        f"*Items*\n{status.item_count:,}",
        f"*Size*\n{human_bytes(status.size_bytes)}",
        f"*PITR*\n{pitr}",
        f"*Newest backup*\n{backup}",
        f"*Deletion protection*\n{protection}",
        f"*Alarms*\n{':rotating_light: ' if status.alarms_firing else ''}{alarms}",
    ]
    if status.replica_regions:
        fields.append("*Replicas*\n" + ", ".join(escape(r) for r in status.replica_regions))
    # extra_risks: replicas and throttling alarms (bot.domain.replicas.health_risks).
    risks = table_risks(status, now, max_backup_age=max_backup_age) + extra_risks
    blocks = [
        header(f"{escape_plain(status.name)} — {_plain_where(status.region, account_label)}"),
        fields_section(fields[:10]),
    ]
    if risks:
        blocks.append(section(":warning: *Risks:* " + "; ".join(escape(r) for r in risks)))
    if load is not None:
        blocks.append(load_section(load))
    blocks.append(
        context(
            link(table_console_url(status.name, status.region), "Open in the console"),
            f"account {escape(account_label or status.account)}"
            if account_label or status.account
            else "",
            f"as of {format_utc(now)}",
        )
    )
    text = (
        f"{name} in {where}: {escape(status.status)}, PITR {'on' if status.pitr.enabled else 'off'}"
    )
    return Message(text=text, blocks=tuple(blocks))
