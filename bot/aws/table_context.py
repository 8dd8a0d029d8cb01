"""What an alarm's root says about its table, kept where the alarm path reads it in the same
BatchGetItem as the incident and its silence: the table's (or DAX cluster's) latest changes and
its `opsbot:owner` tag. One item per table (see the key table in bot.aws.state): pk
``TABLE#<account>#<region>#<name>``, sk ``CONTEXT``.

- ``chg_<hash of the event id>``: one attribute per change the audit history stored (not the
  failed or read-only calls), written by the CloudTrail ingest with the history item. A
  redelivered event rewrites its own attribute; the newest :data:`KEEP` are kept, and the
  item expires with the history (``history_days`` after its latest change).
- ``owner`` and ``owner_at``: the tag's value (absent: no such tag) and when it was read
  (ListTagsOfResource, by the alarm that found it unknown or older than
  :data:`OWNER_FRESH`). Ingesting a TagResource or UntagResource of the tag forgets it, so the
  next alarm reads the tag again.

Without this item a root cost a Query of the history and a ListTagsOfResource of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.aws.state import PK_LIMIT, StateStore, bounded, deserialize, serialize
from bot.domain.records import frozen

if TYPE_CHECKING:  # the audit model loads only where changes are stored or listed
    from bot.domain.alarm_events import AlarmEvent
    from bot.domain.audit import AuditEvent

CONTEXT_SK = "CONTEXT"
KEEP = 20  # a root lists at most a handful; 20 changes of ~1 KB keep the item small
OWNER_FRESH = timedelta(days=30)  # a tag event forgets it sooner; this covers missed ones
_CHANGE = "chg_"
_SETS_PER_CALL = 10  # an UpdateExpression stays far below DynamoDB's 4 KB


def context_pk(account: str, region: str, name: str) -> str:
    """Partition key of a table's context (a DAX cluster's name is 'dax:<id>')."""
    return bounded(f"TABLE#{account}#{region}#{name}", PK_LIMIT)


def alarm_context_pk(event: AlarmEvent) -> str | None:
    """The context item of what an alarm concerns (its table, or its DAX cluster as
    'dax:<id>'), in the table's account; None when the alarm names none of these."""
    from bot.domain.accounts import account_from_arn

    name = event.subject.table
    if not name and event.subject.dax_cluster:
        name = f"dax:{event.subject.dax_cluster}"
    account = event.table_account or account_from_arn(event.arn or "")
    if not name or not event.region or not account:
        return None
    return context_pk(account, event.region, name)


@frozen
class TableContext:
    """A table's context item as read: its latest changes (history item bodies, unordered)
    and its owner tag when known."""

    changes: tuple[Mapping[str, Any], ...] = ()
    owner: str | None = None
    owner_at: datetime | None = None

    def owner_known(self, now: datetime) -> bool:
        """Whether the stored owner (or its absence) is recent enough to use."""
        return self.owner_at is not None and now - self.owner_at < OWNER_FRESH

    def events(self) -> tuple[AuditEvent, ...]:
        """The changes as audit events."""
        from bot.aws.audit import event_from_item

        return tuple(event_from_item(body) for body in self.changes)


def context_from(item: Mapping[str, Any] | None) -> TableContext:
    """A context item as read from the state table (an empty context for no item)."""
    if not item:
        return TableContext()
    changes = tuple(
        value for key, value in item.items() if key.startswith(_CHANGE) and isinstance(value, dict)
    )
    owner, owner_at = item.get("owner"), item.get("owner_at")
    return TableContext(
        changes=changes,
        owner=str(owner) if owner else None,
        owner_at=datetime.fromisoformat(str(owner_at)) if owner_at else None,
    )


# --- written by the CloudTrail ingest -----------------------------------------------------------


def _counts(event: AuditEvent) -> bool:
    """Whether a root would list the event: a call that changed something."""
    return not event.failed and not event.read_only and bool(event.summary)


def _attribute(event: AuditEvent) -> str:
    return _CHANGE + hashlib.sha256(event.event_id.encode()).hexdigest()[:20]


def _body(event: AuditEvent) -> dict[str, Any]:
    """The history item's body without what a root never shows (the item stays small)."""
    from bot.aws.audit import event_body

    body = event_body(event)
    for unshown in ("user_agent", "source_ip", "error_message", "request_id"):
        body.pop(unshown, None)
    return body


def change_updates(
    state: StateStore, events: Iterable[AuditEvent], *, history_days: int
) -> list[dict[str, Any]]:
    """The UpdateItem requests that record ``events`` on their tables' context items: at most
    :data:`_SETS_PER_CALL` changes each; a tag event on `opsbot:owner` also forgets the owner."""
    from bot.aws.audit import UNKNOWN, history_names
    from bot.domain.audit_changes import OWNER

    grouped: dict[str, list[AuditEvent]] = {}
    for event in events:
        if not _counts(event):
            continue
        account, region = event.account or UNKNOWN, event.region or UNKNOWN
        for name in history_names(event):
            grouped.setdefault(context_pk(account, region, name), []).append(event)
    requests = []
    for pk, found in grouped.items():
        found = sorted({_attribute(e): e for e in found}.values(), key=lambda e: e.time)[-KEEP:]
        for start in range(0, len(found), _SETS_PER_CALL):
            part = found[start : start + _SETS_PER_CALL]
            names = {f"#c{i}": _attribute(e) for i, e in enumerate(part)}
            values: dict[str, Any] = {f":c{i}": _body(e) for i, e in enumerate(part)}
            latest = max(e.time for e in part)
            values[":exp"] = int((latest + timedelta(days=history_days)).timestamp())
            sets = [f"#c{i} = :c{i}" for i in range(len(part))]
            expression = "SET " + ", ".join(sets) + ", expires_at = :exp"
            if any(OWNER in e.changes for e in part):
                expression += " REMOVE #owner, owner_at"
                names["#owner"] = "owner"
            requests.append(
                {
                    "TableName": state.table_name,
                    "Key": serialize({"pk": pk, "sk": CONTEXT_SK}),
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": serialize(values),
                    "ReturnValues": "ALL_NEW",
                }
            )
    return requests


def _trim(state: StateStore, key: dict[str, Any], item: Mapping[str, Any]) -> bool:
    """Remove all but the newest :data:`KEEP` changes from an item; whether it had more."""
    changes = sorted(
        ((str(v.get("time", "")), k) for k, v in item.items() if k.startswith(_CHANGE)),
        reverse=True,
    )
    old = [k for _, k in changes[KEEP:]]
    if not old:
        return False
    names = {f"#o{i}": k for i, k in enumerate(old)}
    state.client.update_item(
        TableName=state.table_name,
        Key=key,
        UpdateExpression="REMOVE " + ", ".join(names),
        ExpressionAttributeNames=names,
    )
    return True


def record_changes(state: StateStore, events: Iterable[AuditEvent], *, history_days: int) -> int:
    """Record the changes among ``events`` on their tables' context items; the calls made (one
    per table and ten changes, and one more for a table left with over :data:`KEEP`)."""
    calls = 0
    latest: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for request in change_updates(state, events, history_days=history_days):
        response = state.client.update_item(**request)
        calls += 1
        item = deserialize(response.get("Attributes", {}))
        latest[request["Key"]["pk"]["S"]] = (request["Key"], item)
    for key, item in latest.values():
        calls += _trim(state, key, item)
    return calls


# --- written by the alarm path ------------------------------------------------------------------


def record_owner(
    state: StateStore, account: str, region: str, table: str, owner: str | None, *, now: datetime
) -> None:
    """Remember the table's owner tag (None: it has none) as read at ``now``."""
    values: dict[str, Any] = {
        ":at": now.astimezone(UTC).isoformat(),
        ":exp": int((now + 2 * OWNER_FRESH).timestamp()),
    }
    expression = "SET owner_at = :at, expires_at = if_not_exists(expires_at, :exp)"
    if owner is not None:
        values[":owner"] = owner
        expression += ", #owner = :owner"
    else:
        expression += " REMOVE #owner"
    state.client.update_item(
        TableName=state.table_name,
        Key=serialize({"pk": context_pk(account, region, table), "sk": CONTEXT_SK}),
        UpdateExpression=expression,
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues=serialize(values),
    )
