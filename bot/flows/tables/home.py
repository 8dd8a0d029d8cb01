"""App Home: refreshed each time a user opens it (the ack path queues a `home` work item)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.aws.replicas import describe_home, watched_tables
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.errors import OpsbotError
from bot.domain.refs import TableRef, parse_watched_table
from bot.domain.replicas import (
    HomeView,
    TableHealth,
    home_capacity,
    home_order,
)
from bot.flows.drills.views import home_drill_block
from bot.flows.places import clients_in, label_of, places
from bot.flows.registry import Request, home_renderer
from bot.flows.resolve import resolve_table
from bot.render.home import render_home, render_home_error
from bot.render.limits import MAX_HOME_BLOCKS
from bot.runtime import Runtime


@home_renderer
def publish_home(request: Request) -> None:
    """Describe the watched tables and publish the viewer's Home tab."""
    runtime, settings = request.runtime, request.runtime.settings
    configured = [parse_watched_table(t) for t in settings.home_tables]
    source = "configured in opsbot.toml" if configured else "tagged opsbot:watch"
    try:
        if settings.accounts:
            view = _organisation_home(runtime, configured, request.now)
        else:
            tables = watched_tables(runtime.client, configured, settings.regions)
            view = describe_home(
                runtime.client,
                tables,
                request.now,
                max_backup_age=settings.backup_max_age,
                capacity=home_capacity(),
            )
    except OpsbotError as exc:
        # The Home tab has no thread to answer in: show the problem where the user looks.
        runtime.notifier.publish_home(
            request.user, render_home_error(exc.message, request.now, source=source)
        )
        return
    drills = home_drill_block(runtime, request.now)
    blocks = render_home(
        view,
        request.now,
        source=source,
        max_backup_age=settings.backup_max_age,
        max_blocks=MAX_HOME_BLOCKS - (drills is not None),
    )
    if drills is not None:
        blocks.append(drills)
    runtime.notifier.publish_home(request.user, blocks)


def _organisation_home(runtime: Runtime, configured: list[TableRef], now: datetime) -> HomeView:
    """App Home across every configured account and region: one view per account, merged.

    Cards and open alarms name the place as `alias/region`, so the hint under each card
    (`/ddb status orders@payments-prod/us-west-2`) reaches the right table. An account whose
    role cannot be assumed shows one error card instead of hiding the others.
    """
    settings = runtime.settings
    wanted: dict[Account | None, list[TableRef]] = {}
    errors: list[TableHealth] = []
    for ref in configured:
        try:
            table = resolve_table(runtime, ref)
        except OpsbotError as exc:
            errors.append(TableHealth(ref.name, str(ref), error=exc.message))
            continue
        wanted.setdefault(table.account, []).append(TableRef(table.name, table.region))
    if not configured:
        for account, region in places(runtime):
            try:
                found = watched_tables(clients_in(runtime, account), [], [region])
            except OpsbotError as exc:
                where = _where(runtime, account, region)
                errors.append(TableHealth("tagged tables", where, error=exc.message))
                continue
            wanted.setdefault(account, []).extend(found)
    cards, hidden, incidents = list(errors), [], []
    for account, tables in wanted.items():
        try:
            view = describe_home(
                clients_in(runtime, account),
                tables,
                now,
                max_backup_age=settings.backup_max_age,
                capacity=home_capacity(),
            )
        except AccountUnavailable as exc:
            cards += [
                TableHealth(t.name, _where(runtime, account, t.region or ""), error=exc.message)
                for t in tables
            ]
            continue
        cards += [replace(c, region=_where(runtime, account, c.region)) for c in view.cards]
        hidden += [_typed(runtime, account, t) for t in view.hidden]
        incidents += [(_where(runtime, account, region), a) for region, a in view.incidents]
    oldest = datetime.fromtimestamp(0, UTC)
    incidents.sort(key=lambda p: (p[1].updated or oldest, p[1].name), reverse=True)
    return HomeView(tuple(home_order(cards)), tuple(hidden), tuple(incidents))


def _where(runtime: Runtime, account: Account | None, region: str) -> str:
    label = label_of(runtime, account)
    return f"{label}/{region}" if label else region


def _typed(runtime: Runtime, account: Account | None, table: TableRef) -> TableRef:
    label = label_of(runtime, account)
    return TableRef(table.name, table.region, label) if label else table
