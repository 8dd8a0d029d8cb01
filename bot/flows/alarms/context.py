"""The context of an alarm's root message: the table's (or DAX cluster's) changes from opsbot's
audit history just before the state change (one state-table Query, no AWS call) and its owner
from the table's `opsbot:owner` tag (ListTagsOfResource, cached per table for a while).

Loaded only when a root is posted, so a cold start of the alarm function does not pay for the
audit model.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.aws.alarm_context import owner_tag, recent_changes
from bot.domain.accounts import AccountUnavailable, account_from_arn
from bot.domain.alarm_context import OWNER_TAG, Owner, PriorChange, changes_before, owner_of
from bot.domain.alarm_events import AlarmEvent
from bot.flows.places import account_clients
from bot.render.alarm_context import RootContext, ack_value
from bot.runtime import Runtime

log = logging.getLogger(__name__)

OWNER_CACHE_KEY = "alarm_owner_tags"
OWNER_TTL_S = 600.0  # a changed owner tag is seen within 10 minutes


def root_context(
    event: AlarmEvent, runtime: Runtime, *, opened_at: datetime, pages: bool
) -> RootContext:
    """What the root adds: the owner (only when the root pages) and the ack; the recent changes
    are read by :func:`prior_changes` once the message is known to be a root."""
    return RootContext(
        window=runtime.settings.alarm_changes_window,
        owner=table_owner(event, runtime) if pages else None,
        ack_value=ack_value(event.arn or event.name, opened_at),
    )


def _history_name(event: AlarmEvent) -> str | None:
    """The audit history's name for what the alarm concerns (a DAX cluster is 'dax:<id>')."""
    if event.subject.table:
        return event.subject.table
    if event.subject.dax_cluster:
        return f"dax:{event.subject.dax_cluster}"
    return None


def prior_changes(event: AlarmEvent, runtime: Runtime) -> tuple[PriorChange, ...]:
    """The changes to the alarm's table or cluster in the configured window before it fired."""
    name = _history_name(event)
    account = event.table_account or account_from_arn(event.arn or "")
    if not name or not event.region or not account:
        return ()
    window = runtime.settings.alarm_changes_window
    events = recent_changes(
        runtime.state,
        account=account,
        region=event.region,
        table=name,
        since=event.changed_at - window,
    )
    return changes_before(events, event.changed_at, window)


def table_owner(event: AlarmEvent, runtime: Runtime) -> Owner | None:
    """The owner the table's `opsbot:owner` tag names; unknown values are ignored (logged)."""
    table, region = event.subject.table, event.region
    account = event.table_account or account_from_arn(event.arn or "")
    if not table or not region or not account:
        return None
    key = f"{account}/{region}/{table}"
    cache: dict[str, tuple[float, str | None]] = runtime.extras.setdefault(OWNER_CACHE_KEY, {})
    cached = cache.get(key)
    if cached is not None and runtime.epoch() - cached[0] < OWNER_TTL_S:
        value = cached[1]
    else:
        value = _read_tag(runtime, account, region, table)
        cache[key] = (runtime.epoch(), value)
    if value is None:
        return None
    owner = owner_of(value, runtime.settings.owners)
    if owner is None:
        log.warning(
            "ignoring %s tag of table %s: %r is not a Slack user or group id, nor a name in "
            "[owners]",
            OWNER_TAG,
            table,
            value[:100],
        )
    return owner


def _read_tag(runtime: Runtime, account: str, region: str, table: str) -> str | None:
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    try:
        if runtime.settings.accounts and account:
            dynamodb = account_clients(runtime).client("dynamodb", region, account)
        else:
            dynamodb = runtime.client("dynamodb", region)
    except AccountUnavailable as exc:
        log.warning("owner of %s unavailable: %s", table, exc.message)
        return None
    return owner_tag(dynamodb, arn, OWNER_TAG)
