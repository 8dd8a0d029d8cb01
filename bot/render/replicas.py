"""`/ddb replicas <table>`: a row per region with status, replication lag and pending items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.replicas import (
    CURRENT_VERSION,
    DEFAULT_LAG_THRESHOLD_MS,
    LEGACY_VERSION,
    GlobalTable,
    ReplicaHealth,
    ReplicationLag,
    format_lag,
    is_lagging,
)
from bot.domain.times import format_utc
from bot.render.message import (
    Message,
    code,
    code_text,
    context,
    escape,
    escape_plain,
    header,
    link,
    section,
)
from bot.render.status import table_console_url

_STATUS_EMOJI = {
    "ACTIVE": ":large_green_circle:",
    "CREATING": ":large_blue_circle:",
    "UPDATING": ":large_blue_circle:",
}
METRICS_UNAVAILABLE = (
    "Replica metrics unavailable here: this AWS endpoint does not serve CloudWatch "
    "GetMetricData, so replication lag cannot be shown."
)
LEGACY_UNCHECKED = (
    "This AWS endpoint cannot describe legacy (2017.11.29) global tables, so only the "
    "current version (2019.11.21) was checked."
)


def replica_emoji(replica: ReplicaHealth) -> str:
    """A coloured dot for a replica status (orange for anything unusual)."""
    return _STATUS_EMOJI.get(replica.status, ":red_circle:")


def lag_summary(lag: ReplicationLag | None, threshold_ms: float) -> str:
    """'lag 1.2 s now, 3.4 s max in 1 h, 12 pending (from us-east-1)', or no replication."""
    if lag is None:
        return "no replication into it in the last hour"
    parts = []
    if lag.latest_ms is not None:
        marker = ":warning: " if is_lagging(lag, threshold_ms) else ""
        parts.append(f"{marker}lag {format_lag(lag.latest_ms)} now")
    if lag.max_ms is not None:
        parts.append(f"{format_lag(lag.max_ms)} max in 1 h")
    if lag.pending is not None:
        parts.append(f"{lag.pending:,} pending")
    return ", ".join(parts) + f" (from {escape(lag.source_region)})"


def render_replicas(
    table: GlobalTable,
    now: datetime,
    *,
    lag_threshold_ms: float = DEFAULT_LAG_THRESHOLD_MS,
    other_regions: Sequence[str] = (),
    account_label: str | None = None,
) -> Message:
    """Each replica region with its status and lag, or how to make the table global.

    ``account_label`` (the account's alias, when accounts are configured) names the account
    in the header, as `/ddb status` does.
    """
    if not table.is_global:
        return render_not_global(
            table, now, other_regions=other_regions, account_label=account_label
        )
    name = escape(table.name)
    blocks = [
        header(
            f"{_titled(table.name, account_label)} — global table ({escape_plain(table.version)})"
        ),
        section(
            f"{len(table.replicas)} regions. Lag is how far behind each replica is: the worst "
            f"ReplicationLatency into it from another region over the last hour. Lagging "
            f"means over {format_lag(lag_threshold_ms)}."
        ),
    ]
    lagging = []
    for replica in table.replicas:
        lag = table.lag_into(replica.region) if table.metrics_available else None
        is_late = is_lagging(lag, lag_threshold_ms)
        if is_late:
            lagging.append(escape(replica.region))
        title = f"{replica_emoji(replica)} *{escape(replica.region)}*"
        if replica.is_source:
            title += " (asked here)"
        title += f" — {escape(replica.status)}"
        if is_late:
            title += " — :rotating_light: *lagging*"
        lines = [title]
        if replica.status_description:
            lines.append(f"_{escape(replica.status_description)}_")
        if table.metrics_available:
            lines.append(lag_summary(lag, lag_threshold_ms))
        details = []
        if replica.table_class:
            details.append(escape(replica.table_class))
        if replica.indexes:
            details.append(f"{len(replica.indexes)} GSI")
        if details:
            lines.append(" · ".join(details))
        blocks.append(section("\n".join(lines)))
    notes = [escape(n) for n in table.notes]
    if not table.metrics_available:
        notes.append(METRICS_UNAVAILABLE)
    elif table.version == CURRENT_VERSION:
        notes.append("PendingReplicationCount is published only for 2017.11.29 global tables.")
    blocks.append(
        context(
            *notes,
            link(table_console_url(table.name, table.source_region), "Open in the console"),
            f"as of {format_utc(now)}",
        )
    )
    if not table.metrics_available:
        headline = "replica metrics unavailable here"
    elif lagging:
        headline = f"lagging: {', '.join(lagging)}"
    else:
        headline = "no replica lagging"
    not_active = [escape(r.region) for r in table.replicas if r.status != "ACTIVE"]
    if not_active:
        headline += f"; not ACTIVE: {', '.join(not_active)}"
    return Message(
        text=(
            f"{name}: global table ({escape(table.version)}) in {len(table.replicas)} regions, "
            f"{headline}"
        ),
        blocks=tuple(blocks),
    )


def _titled(table: str, account_label: str | None) -> str:
    shown = escape_plain(table)
    return f"{shown} — {escape_plain(account_label)}" if account_label else shown


def render_not_global(
    table: GlobalTable,
    now: datetime,
    *,
    other_regions: Sequence[str] = (),
    account_label: str | None = None,
) -> Message:
    """'Not a global table', and how to make one (UpdateTable ReplicaUpdates or the console)."""
    name = escape(table.name)
    region = escape(table.source_region)
    target = next((r for r in other_regions if r != table.source_region), None) or (
        "us-east-1" if table.source_region != "us-east-1" else "us-west-2"
    )
    # Names as they are in the code block (one line each), so the command can be copied.
    command = (
        f"aws dynamodb update-table --region {code_text(table.source_region)} "
        f"--table-name {code_text(table.name)} "
        f'--replica-updates \'[{{"Create": {{"RegionName": "{code_text(target)}"}}}}]\''
    )
    lines = [
        f"{code(table.name)} in {region} is *not a global table*: it has no replica in "
        "another region, so a regional outage takes it down with the region.",
        f"To make it one, add a replica (version {CURRENT_VERSION}) with UpdateTable "
        f"`ReplicaUpdates`:\n```{command}```",
        "or in the console: the table → *Global tables* → *Create replica*. The table needs "
        "streams with new and old images (the console turns them on) and, when provisioned, "
        "write auto scaling or on-demand capacity.",
    ]
    notes = [LEGACY_UNCHECKED] if not table.legacy_checked else []
    if table.version == "" and table.legacy_checked:
        notes.append(f"Checked for {CURRENT_VERSION} replicas and {LEGACY_VERSION} global tables.")
    blocks = (
        header(f"{_titled(table.name, account_label)} — not a global table"),
        section("\n".join(lines)),
        context(
            *notes,
            link(table_console_url(table.name, table.source_region), "Open in the console"),
            f"as of {format_utc(now)}",
        ),
    )
    return Message(
        text=f"{name} in {region} is not a global table (no replicas in other regions)",
        blocks=blocks,
    )
