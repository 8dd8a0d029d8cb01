"""App Home: open alarms newest first, then a compact card per watched table, in 100 blocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.replicas import (
    DEFAULT_LAG_THRESHOLD_MS,
    MAX_HOME_BLOCKS,
    HomeView,
    TableHealth,
    format_lag,
    home_capacity,
    is_lagging,
)
from bot.domain.times import format_relative, format_utc
from bot.render.message import (
    Block,
    code,
    context,
    divider,
    escape,
    escape_keeping_markup,
    header,
    section,
)
from bot.render.replicas import replica_emoji

_STATUS_EMOJI = {"ACTIVE": ":large_green_circle:", "CREATING": ":large_blue_circle:"}
_MAX_INCIDENT_LINES = 10


def render_home(
    view: HomeView,
    now: datetime,
    *,
    source: str,
    max_backup_age: timedelta,
    lag_threshold_ms: float = DEFAULT_LAG_THRESHOLD_MS,
    max_blocks: int = MAX_HOME_BLOCKS,
) -> list[Block]:
    """The Home tab's blocks; ``source`` says where the table list came from."""
    cards = list(view.cards)
    hidden = [str(t) for t in view.hidden]
    capacity = home_capacity(max_blocks)
    if len(cards) > capacity:
        hidden = [f"{c.name}@{c.region}" for c in cards[capacity:]] + hidden
        cards = cards[:capacity]
    total = len(cards) + len(hidden)
    blocks: list[Block] = [
        header("DynamoDB table health"),
        context(
            f"{total} watched table{'s' if total != 1 else ''} ({escape(source)})",
            f"refreshed {format_utc(now)}",
            "`/ddb status <table>` · `/ddb replicas <table>`",
        ),
    ]
    if view.incidents:
        lines = [
            f":rotating_light: {code(alarm.name)} on *{escape(alarm.table or '')}* "
            f"({escape(region)})"
            + (f" — since {format_relative(alarm.updated, now)}" if alarm.updated else "")
            for region, alarm in view.incidents[:_MAX_INCIDENT_LINES]
        ]
        more = len(view.incidents) - _MAX_INCIDENT_LINES
        if more > 0:
            lines.append(f"… and {more} more open alarms: `/ddb alarms`")
        blocks += [section("*Open alarms*, newest first\n" + "\n".join(lines)), divider()]
    if total == 0:
        blocks.append(
            section(
                "No tables are watched yet. List them in `opsbot.toml` "
                '(`[home] tables = ["orders@us-west-2"]`) or tag a table `opsbot:watch = true`.'
            )
        )
    for card in cards:
        blocks += _card(card, now, max_backup_age=max_backup_age, threshold_ms=lag_threshold_ms)
    if hidden:
        blocks.append(
            context(
                f"… and {len(hidden)} more table{'s' if len(hidden) != 1 else ''}: "
                "`/ddb status <table>` — "
                + ", ".join(escape(h) for h in hidden[:20])
                + (" …" if len(hidden) > 20 else "")
            )
        )
    return blocks


def _card(
    card: TableHealth, now: datetime, *, max_backup_age: timedelta, threshold_ms: float
) -> list[Block]:
    title = f"*{escape(card.name)}* — {escape(card.region)}"
    if card.status is None:
        error = escape_keeping_markup(card.error) or "could not be described"
        return [
            section(f":x: {title}\n{error}"),
            context(code(f"/ddb status {card.name}@{card.region}")),
        ]
    status = card.status
    # An open alarm outranks a healthy table status: green would say all is well.
    emoji = (
        ":red_circle:"
        if card.open_alarms
        else _STATUS_EMOJI.get(status.status, ":large_orange_circle:")
    )
    pitr = ":white_check_mark: PITR on" if status.pitr.enabled else ":warning: PITR off"
    if status.newest_backup is None:
        backup = ":warning: no backup"
    else:
        stale = now - status.newest_backup.created > max_backup_age
        age = format_relative(status.newest_backup.created, now)
        backup = f"{':warning: ' if stale else ''}backup {age}"
    alarms = (
        f":rotating_light: {len(card.open_alarms)} alarm{'s' if len(card.open_alarms) != 1 else ''}"
        " open"
        if card.open_alarms
        else "no alarm open"
    )
    lines = [
        f"{emoji} {title} — {escape(status.status)}",
        " · ".join((pitr, backup, alarms)),
    ]
    replication = card.replication
    if replication is not None and replication.is_global:
        parts = []
        for replica in replication.replicas:
            text = f"{replica_emoji(replica)} {escape(replica.region)}"
            lag = replication.lag_into(replica.region)
            if lag is not None and lag.latest_ms is not None:
                warn = ":warning: " if is_lagging(lag, threshold_ms) else ""
                text += f" {warn}{format_lag(lag.latest_ms)}"
            parts.append(text)
        if not replication.metrics_available:
            parts.append("_lag unavailable here_")
        lines.append("Replicas: " + ", ".join(parts))
    risks = (
        ":warning: " + "; ".join(escape(r) for r in card.risks)
        if card.risks
        else ":white_check_mark: no risks found"
    )
    return [section("\n".join(lines)), context(risks)]


def render_home_error(message: str, now: datetime, *, source: str) -> list[Block]:
    """The Home tab when the watched tables cannot be listed (AWS refused, for example)."""
    return [
        header("DynamoDB table health"),
        context(f"watched tables {escape(source)}", f"refreshed {format_utc(now)}"),
        section(f":x: Could not list the watched tables: {escape(message)}"),
    ]
