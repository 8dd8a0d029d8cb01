"""The audit history on the state table: storing events as history items and reading a
table's history back a page at a time, the bot-action lookups that attribute opsbot's own
calls, and the install marker (since when the history is complete).

History items (see the key table in bot.aws.state): pk ``AUDIT#<account>#<region>#<table>``,
sk ``<time>#<eventID>`` (bot.domain.audit.history_sort_key), each bounded to DynamoDB's key
limits (bot.aws.state.bounded), so a redelivered event rewrites the same item and a Query
with ScanIndexForward=false reads newest first. An event that involves two tables (a
restore: target and source) is stored under both.

The name index (pk ``NAME#<table>``, sk ``<account>#<region>``) says where the history has
seen a table name, so `/ddb who-changed <bare name>` finds it with one Query whatever the
number of accounts and regions. Each stored event rewrites its tables' index items, which
expire ``history_days`` after the later of the event and its storing: never before the
history they point at.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.aws.state import (
    SK_LIMIT,
    StateStore,
    audit_pk,
    bounded,
    deserialize,
    name_pk,
    name_sk,
    request_pk,
    serialize,
)
from bot.domain.audit import AuditEvent, BotAction, attributed, history_sort_key
from bot.domain.audit_actors import Actor
from bot.domain.records import frozen

META_PK = "META"
INSTALLED_SK = "INSTALLED"
UNKNOWN = "unknown"  # account or region when a record names none
_TEXT_LIMIT = 1000  # caller-controlled text kept per item (user agents, error messages)


# --- items ------------------------------------------------------------------------------------


def history_names(event: AuditEvent) -> list[str]:
    """The names an event is stored under: every table it involved (or its DAX cluster)."""
    names = list(event.tables) or ([event.table] if event.table else [])
    if not names and event.source == "dax" and event.resource:
        names = [f"dax:{event.resource}"]
    return list(dict.fromkeys(names))


def history_keys(event: AuditEvent) -> list[tuple[str, str]]:
    """Every (pk, sk) the event is stored under: one per table it involved."""
    sk = bounded(history_sort_key(event), SK_LIMIT)
    account, region = event.account or UNKNOWN, event.region or UNKNOWN
    return [(audit_pk(account, region, name), sk) for name in history_names(event)]


def name_items(
    events: Iterable[AuditEvent], *, history_days: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The name-index items of ``events``: one per (table, account, region), each expiring
    ``history_days`` after the later of its newest event and ``now``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        account, region = event.account or UNKNOWN, event.region or UNKNOWN
        latest = max(event.time, now) if now is not None else event.time
        expires_at = int((latest + timedelta(days=history_days)).timestamp())
        for name in history_names(event):
            key = (name_pk(name), name_sk(account, region))
            kept = found.get(key)
            if kept is None or kept["expires_at"] < expires_at:
                found[key] = {
                    "pk": key[0],
                    "sk": key[1],
                    "kind": "audit-name",
                    "account": account,
                    "region": region,
                    "expires_at": expires_at,
                }
    return list(found.values())


def history_items(event: AuditEvent, *, history_days: int) -> list[dict[str, Any]]:
    """The state-table items of one event, each expiring ``history_days`` after the event."""
    body = event_body(event)
    expires_at = int((event.time + timedelta(days=history_days)).timestamp())
    return [
        {"pk": pk, "sk": sk, "kind": "audit", **body, "expires_at": expires_at}
        for pk, sk in history_keys(event)
    ]


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def event_body(event: AuditEvent) -> dict[str, Any]:
    actor = event.actor
    return {
        "event_id": event.event_id,
        "time": event.time.astimezone(UTC).isoformat(),
        "account": event.account,
        "region": event.region,
        "table": event.table,
        "resource": event.resource,
        "action": event.action,
        "source": event.source,
        "actor": {
            "identity_type": actor.identity_type,
            "name": actor.name,
            "role": actor.role,
            "arn": actor.arn,
            "account": actor.account,
            "mfa": actor.mfa,
            "via": actor.via,
            "slack_user": actor.slack_user,
            "approved_by": actor.approved_by,
        },
        "client": event.client,
        "source_ip": event.source_ip,
        "error_code": event.error_code,
        "error_message": _clip(event.error_message),
        "request_id": event.request_id,
        "read_only": event.read_only,
        "category": event.category,
        "summary": _clip(event.summary),
        "severity": event.severity,
        "user_agent": _clip(event.user_agent),
        "tables": list(event.tables),
        "changes": sorted(event.changes),
    }


def event_from_item(item: Mapping[str, Any]) -> AuditEvent:
    """The AuditEvent a history item holds."""
    actor: Mapping[str, Any] = item.get("actor") or {}
    return AuditEvent(
        event_id=str(item["event_id"]),
        time=datetime.fromisoformat(str(item["time"])).astimezone(UTC),
        account=item.get("account"),
        region=item.get("region"),
        table=item.get("table"),
        resource=item.get("resource"),
        action=str(item.get("action", "")),
        source=str(item.get("source", "dynamodb")),
        actor=Actor(
            identity_type=str(actor.get("identity_type", "Unknown")),
            name=str(actor.get("name", "unknown")),
            role=actor.get("role"),
            arn=actor.get("arn"),
            account=actor.get("account"),
            mfa=actor.get("mfa"),
            via=actor.get("via"),
            slack_user=actor.get("slack_user"),
            approved_by=actor.get("approved_by"),
        ),
        client=str(item.get("client", "other")),
        source_ip=item.get("source_ip"),
        error_code=item.get("error_code"),
        error_message=item.get("error_message"),
        request_id=item.get("request_id"),
        read_only=bool(item.get("read_only", False)),
        category=str(item.get("category", "Management")),
        summary=str(item.get("summary", "")),
        severity=str(item.get("severity", "info")),
        user_agent=item.get("user_agent"),
        tables=tuple(item.get("tables") or ()),
        changes=frozenset(item.get("changes") or ()),
    )


# --- storing ----------------------------------------------------------------------------------


def store_event(
    state: StateStore, event: AuditEvent, *, history_days: int, now: datetime | None = None
) -> bool:
    """Store one event (conditional puts) and its name-index items; False when every
    history item of it was already stored."""
    new = False
    for item in history_items(event, history_days=history_days):
        new = state.put_new(item) or new
    for item in name_items([event], history_days=history_days, now=now):
        state.put(item)
    return new


def store_events(
    state: StateStore,
    events: Iterable[AuditEvent],
    *,
    history_days: int,
    now: datetime | None = None,
) -> int:
    """Store many events and their name-index items with batched writes (25 items a call); a
    redelivery rewrites the same items. Returns the number of history items written."""
    events = list(events)
    names = name_items(events, history_days=history_days, now=now)
    items = [i for e in events for i in history_items(e, history_days=history_days)]
    return state.put_many([*items, *names]) - len(names)


def bot_actions(state: StateStore, request_ids: Iterable[str | None]) -> dict[str, BotAction]:
    """The Slack user (and approver) behind each AWS request id that opsbot made
    (BatchGetItem, 100 a call)."""
    wanted = {request_pk(r): r for r in request_ids if r}  # a long id's key is not the id
    pks = list(wanted)
    found: dict[str, BotAction] = {}
    for start in range(0, len(pks), 100):
        keys = [serialize({"pk": pk, "sk": "REQ"}) for pk in pks[start : start + 100]]
        pending: dict[str, Any] = {state.table_name: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(8):
            response = state.client.batch_get_item(RequestItems=pending)
            for raw in response.get("Responses", {}).get(state.table_name, []):
                item = deserialize(raw)
                user, approver = item.get("slack_user"), item.get("approved_by")
                if isinstance(user, str) and user and item.get("pk") in wanted:
                    found[wanted[item["pk"]]] = BotAction(
                        user, approver if isinstance(approver, str) and approver else None
                    )
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 2.0))
    return found


def attribute_all(state: StateStore, events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """The events with opsbot's own calls shown as the Slack user who asked for them."""
    users = bot_actions(state, (e.request_id for e in events if not e.read_only))
    return [attributed(e, users) for e in events] if users else list(events)


# --- the install marker -----------------------------------------------------------------------


@frozen
class Installed:
    """Since when the history is complete, and the accounts it holds events of."""

    at: datetime
    accounts: frozenset[str]


_CACHE_KEY = "audit_installed"


def installed(state: StateStore, cache: dict[str, Any] | None = None) -> Installed | None:
    """The install marker (cached in ``cache``: it changes only when a new account appears)."""
    if cache is not None and isinstance(cache.get(_CACHE_KEY), Installed):
        found: Installed = cache[_CACHE_KEY]
        return found
    item = state.get(META_PK, INSTALLED_SK)
    if not item:
        return None
    marker = Installed(
        at=datetime.fromtimestamp(float(item.get("installed_at", 0)), UTC),
        accounts=frozenset(item.get("accounts") or ()),
    )
    if cache is not None:
        cache[_CACHE_KEY] = marker
    return marker


def mark_installed(
    state: StateStore, accounts: Iterable[str], *, now: datetime, cache: dict[str, Any] | None
) -> Installed:
    """Write the marker on first ingest and add new accounts to it; no call when nothing is new."""
    wanted = frozenset(a for a in accounts if a)
    known = installed(state, cache)
    if known is not None and wanted <= known.accounts:
        return known
    values: dict[str, Any] = {":now": {"N": str(int(now.timestamp()))}}
    expression = "SET installed_at = if_not_exists(installed_at, :now)"
    if wanted:
        expression += " ADD accounts :accounts"
        values[":accounts"] = {"SS": sorted(wanted)}
    response = state.client.update_item(
        TableName=state.table_name,
        Key=serialize({"pk": META_PK, "sk": INSTALLED_SK}),
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    item = deserialize(response.get("Attributes", {}))
    marker = Installed(
        at=datetime.fromtimestamp(float(item.get("installed_at", now.timestamp())), UTC),
        accounts=frozenset(item.get("accounts") or ()),
    )
    if cache is not None:
        cache[_CACHE_KEY] = marker
    return marker


# --- reading the history ----------------------------------------------------------------------


@frozen
class HistoryPage:
    """One page of a table's history, newest first, and where the next page starts."""

    events: tuple[AuditEvent, ...]
    cursor: dict[str, str | None] | None  # account -> sk to continue after (None: from the top)


def history_name_places(state: StateStore, table: str) -> list[tuple[str, str]]:
    """(account, region) of every place the history has seen ``table``: one Query of its
    name index (a partition holds one small item per account and region)."""
    places: list[tuple[str, str]] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = state.query(name_pk(table), newest_first=False, start=start)
        places += [(str(i["account"]), str(i["region"])) for i in items]
        if not start:
            return sorted(places)


def since_key(since: datetime) -> str:
    """The smallest sort key of an event at or after ``since``."""
    return f"{since.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"


def query_history(
    state: StateStore,
    *,
    accounts: Iterable[str],
    region: str,
    table: str,
    since: datetime,
    limit: int,
    cursor: Mapping[str, str | None] | None = None,
) -> HistoryPage:
    """One page of a table's changes since ``since``: one Query per account (usually one)."""
    starts: dict[str, str | None] = (
        dict(cursor) if cursor is not None else dict.fromkeys(sorted(set(accounts)))
    )
    lowest = since_key(since)
    found: list[tuple[str, AuditEvent, str]] = []
    more: dict[str, bool] = {}
    for account, after in starts.items():
        pk = audit_pk(account, region, table)
        # One item more than a page: a page that ends exactly at the last change says so,
        # rather than offering a "More" that finds nothing.
        items, last = state.query(
            pk,
            sk_from=lowest,
            newest_first=True,
            limit=limit + 1,
            start={"pk": pk, "sk": after} if after else None,
        )
        more[account] = last is not None
        found += [(account, event_from_item(i), str(i["sk"])) for i in items]
    found.sort(key=lambda f: f[2], reverse=True)
    page = found[:limit]
    left_over = {account for account, _, _ in found[limit:]}
    next_cursor: dict[str, str | None] = {}
    for account, after in starts.items():
        taken = [sk for a, _, sk in page if a == account]
        if account in left_over or more[account]:
            next_cursor[account] = taken[-1] if taken else after
    return HistoryPage(
        events=tuple(e for _, e, _ in page), cursor=next_cursor if next_cursor else None
    )
