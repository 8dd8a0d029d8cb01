"""The context of an alarm's root message: the table's (or DAX cluster's) changes from opsbot's
audit history just before the state change and its owner from the table's `opsbot:owner` tag,
both from the table's context item that the alarm path read with its incident
(bot.aws.table_context): no state-table call of their own, and no AWS call while the owner is
known (ListTagsOfResource once when it is not, remembered for the next alarms).

Loaded only when a root is posted, so a cold start of the alarm function does not pay for the
audit model.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.aws.alarm_context import owner_tag
from bot.aws.table_context import TableContext, record_owner
from bot.domain.accounts import AccountUnavailable, account_from_arn
from bot.domain.alarm_context import OWNER_TAG, Owner, PriorChange, changes_before, owner_of
from bot.domain.alarm_events import AlarmEvent
from bot.flows.places import account_clients
from bot.render.alarm_context import RootContext, ack_value
from bot.runtime import Runtime

log = logging.getLogger(__name__)

_UNREADABLE = object()


def root_context(
    event: AlarmEvent, runtime: Runtime, context: TableContext, *, opened_at: datetime
) -> RootContext:
    """What the root adds: the changes and the ack. The owner is looked up by
    :func:`table_owner` only for a root that pages (not for one folded into a storm)."""
    return RootContext(
        window=runtime.settings.alarm_changes_window,
        ack_value=ack_value(event.arn or event.name, opened_at),
        changes=prior_changes(event, runtime, context),
    )


def prior_changes(
    event: AlarmEvent, runtime: Runtime, context: TableContext
) -> tuple[PriorChange, ...]:
    """The changes to the alarm's table or cluster in the configured window before it fired."""
    if not context.changes:
        return ()
    return changes_before(context.events(), event.changed_at, runtime.settings.alarm_changes_window)


def table_owner(event: AlarmEvent, runtime: Runtime, context: TableContext) -> Owner | None:
    """The owner the table's `opsbot:owner` tag names; unknown values are ignored (logged).

    Read from the context item; when that does not know it (or knew it long ago), from the
    tag itself, and remembered there.
    """
    table, region = event.subject.table, event.region
    account = event.table_account or account_from_arn(event.arn or "")
    if not table or not region or not account:
        return None
    now = runtime.now()
    if context.owner_known(now):
        value = context.owner
    else:
        read = _read_tag(runtime, account, region, table)
        if read is _UNREADABLE:
            return None
        value = read if isinstance(read, str) else None
        record_owner(runtime.state, account, region, table, value, now=now)
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


def _read_tag(runtime: Runtime, account: str, region: str, table: str) -> object:
    """The tag's value, None without the tag, or _UNREADABLE (logged)."""
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    try:
        if runtime.settings.accounts and account:
            dynamodb = account_clients(runtime).client("dynamodb", region, account)
        else:
            dynamodb = runtime.client("dynamodb", region)
    except AccountUnavailable as exc:
        log.warning("owner of %s unavailable: %s", table, exc.message)
        return _UNREADABLE
    found, value = owner_tag(dynamodb, arn, OWNER_TAG)
    return value if found else _UNREADABLE
