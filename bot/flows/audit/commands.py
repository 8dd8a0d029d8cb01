"""`/ddb who-changed <table> [--since 7d] [--limit N]` (with a "More" button): the audit
history that bot/flows/audit/ingest.py writes, or CloudTrail LookupEvents where the history
does not cover the window.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.audit import (
    Installed,
    attribute_all,
    history_name_places,
    installed,
    query_history,
)
from bot.aws.cloudtrail_lookup import Pacer, lookup_events
from bot.aws.errors import error_code
from bot.aws.state import audit_pk
from bot.aws.tables import find_table
from bot.domain.audit import AuditEvent
from bot.domain.commands import WhoChanged
from bot.domain.errors import InvalidValue, OpsbotError, TableNotFound
from bot.domain.locations import ResolvedTable, TableLocation, places_text, places_to_search
from bot.domain.records import frozen
from bot.domain.refs import TableRef
from bot.flows.audit.ingest import marker_cache, normalize_record
from bot.flows.places import clients_in, label_of
from bot.flows.registry import Request, action, command
from bot.flows.resolve import locate_table, resolve_table
from bot.render.audit import MORE_ACTION_ID, render_who_changed
from bot.runtime import Runtime

log = logging.getLogger(__name__)

_BUTTON_VALUE_LIMIT = 2000


# --- /ddb who-changed -------------------------------------------------------------------------


@frozen
class Cursor:
    """Where the next page of a who-changed answer starts (carried by the More button)."""

    table: str
    region: str
    since: int  # epoch seconds
    until: int  # epoch seconds: LookupEvents needs the same window on every page
    limit: int
    source: str  # history | cloudtrail
    accounts: dict[str, str | None] | None = None  # history: account -> sk to continue after
    token: str | None = None  # cloudtrail: NextToken of the page to resume
    skip: int = 0  # cloudtrail: kept records of that page already shown
    # The resolved account's id ('' the home account, id unknown); None: every account in
    # the history (no [[accounts]] configured, or a cursor from before accounts existed).
    account: str | None = None
    page: int = 2  # the page this cursor opens (buttons from before pages were counted: 2)
    shown: int | None = None  # changes on the pages before it; None: not counted (older button)

    def encode(self) -> str:
        """Compact JSON for a button value."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """The cursor of a button value; OpsbotError when it is not one."""
        try:
            data = json.loads(value)
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise OpsbotError(
                "That button is from an older message; run the command again."
            ) from exc


@frozen
class Answer:
    """One page of who-changed and where it came from."""

    events: tuple[AuditEvent, ...]
    source: str
    cursor: Cursor | None
    note: str | None = None


def _installed(runtime: Runtime) -> Installed | None:
    return installed(runtime.state, marker_cache(runtime))


def history_covers(marker: Installed | None, since: datetime, now: datetime, days: int) -> bool:
    """Whether opsbot's history holds every change since ``since`` (installed before it, and
    not yet expired by the TTL)."""
    return marker is not None and marker.at <= since and since >= now - timedelta(days=days)


def who_changed_page(runtime: Runtime, cursor: Cursor, *, first: bool) -> Answer:
    """One page of a table's changes: the history when it covers the window, else CloudTrail."""
    marker = _installed(runtime)
    since = datetime.fromtimestamp(cursor.since, UTC)
    if cursor.source == "history":
        return _from_history(runtime, cursor, marker, first=first)
    if first and history_covers(marker, since, runtime.now(), runtime.settings.history_days):
        return _from_history(runtime, replace_source(cursor, "history"), marker, first=True)
    try:
        return _from_cloudtrail(runtime, cursor)
    except (ClientError, BotoCoreError) as exc:
        if not first:
            raise
        code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        log.warning("LookupEvents failed (%s); answering from the history", code)
        since_text = (
            f"since it was installed ({marker.at:%Y-%m-%d %H:%M} UTC)" if marker else "(empty)"
        )
        note = (
            f"CloudTrail LookupEvents failed ({code}), so this covers only opsbot's history "
            f"{since_text}."
        )
        answer = _from_history(runtime, replace_source(cursor, "history"), marker, first=True)
        return Answer(answer.events, answer.source, answer.cursor, note)


def replace_source(cursor: Cursor, source: str) -> Cursor:
    """The same cursor reading from another source."""
    return Cursor(**{**asdict(cursor), "source": source})


def history_accounts(runtime: Runtime, marker: Installed | None, account: str | None) -> list[str]:
    """The accounts whose history a who-changed reads: one resolved account, or all (legacy)."""
    known = sorted(marker.accounts) if marker else []
    if account is None:
        return known
    if account:
        return [account] if account in known else []
    members = {a.id for a in runtime.settings.accounts if not a.is_home}
    return [a for a in known if a not in members]


def history_places(
    runtime: Runtime, table: str, region: str | None, marker: Installed | None
) -> list[TableLocation]:
    """Where a table name appears in the history: one Query of its name index, whatever the
    number of accounts and regions.

    Accounts that are not configured count as opsbot's own (''): they cannot be typed.
    """
    if marker is None:
        return []
    settings = runtime.settings
    configured = {a.id for a in settings.accounts}
    regions = (
        {region}
        if region
        else {*settings.regions, *(r for a in settings.accounts for r in a.regions)}
    )
    found: list[TableLocation] = []
    for account_id, where in history_name_places(runtime.state, table):
        if where not in regions or account_id not in marker.accounts:
            continue
        owner = account_id if account_id in configured else ""
        found.append(TableLocation(table, owner, where))
    return found


def _from_history(
    runtime: Runtime, cursor: Cursor, marker: Installed | None, *, first: bool
) -> Answer:
    accounts = history_accounts(runtime, marker, cursor.account)
    if not accounts and first:
        return Answer((), "history", None)
    page = query_history(
        runtime.state,
        accounts=accounts,
        region=cursor.region,
        table=cursor.table,
        since=datetime.fromtimestamp(cursor.since, UTC),
        limit=cursor.limit,
        cursor=None if first else (cursor.accounts or {}),
    )
    following = (
        Cursor(**{**asdict(cursor), "source": "history", "accounts": page.cursor})
        if page.cursor
        else None
    )
    return Answer(page.events, "history", following)


def _from_cloudtrail(runtime: Runtime, cursor: Cursor) -> Answer:
    def keep(record: Mapping[str, Any]) -> bool:
        try:
            return normalize_record(record, runtime) is not None
        except InvalidValue:
            return False

    pacer = runtime.extras.get("lookup_pacer")
    if not isinstance(pacer, Pacer):
        pacer = runtime.extras["lookup_pacer"] = Pacer()
    page = lookup_events(
        clients_in(runtime, cursor.account or None)("cloudtrail", cursor.region),
        cursor.table,
        start=datetime.fromtimestamp(cursor.since, UTC),
        end=datetime.fromtimestamp(cursor.until, UTC),
        want=cursor.limit,
        next_token=cursor.token,
        skip=cursor.skip,
        pacer=pacer,
        keep=keep,
    )
    events = [e for e in (normalize_record(r, runtime) for r in page.records) if e is not None]
    events = attribute_all(runtime.state, events)
    following = None
    if page.more:
        following = Cursor(
            **{
                **asdict(cursor),
                "source": "cloudtrail",
                "token": page.next_token,
                "skip": page.skip,
            }
        )
    return Answer(tuple(events), "cloudtrail", following)


def _reply(
    request: Request, cursor: Cursor, answer: Answer, missing: Missing | None = None
) -> None:
    following = answer.cursor
    if following is not None:
        counted = None if cursor.shown is None else cursor.shown + len(answer.events)
        following = dataclasses.replace(following, page=cursor.page + 1, shown=counted)
    value = following.encode() if following else None
    note = answer.note
    if value and len(value) > _BUTTON_VALUE_LIMIT:
        value = None
        note = (note + " " if note else "") + "There is more; narrow --since to see it."
    request.reply(
        render_who_changed(
            cursor.table,
            answer.events,
            now=request.now,
            source=answer.source,
            since=datetime.fromtimestamp(cursor.since, UTC),
            has_more=answer.cursor is not None,
            cursor=value,
            note=note,
            until=datetime.fromtimestamp(cursor.until, UTC),
            page=cursor.page,
            shown_before=cursor.shown,
            account_label=label_of(request.runtime, cursor.account or None)
            if cursor.account is not None
            else None,
            missing=missing.message if missing else None,
            never_seen=missing.never_seen if missing else False,
        )
    )


@frozen
class Missing:
    """Why an empty who-changed answer is about a table that does not exist now."""

    message: str
    never_seen: bool  # no change to a table of that name where opsbot looked


@frozen
class Asked:
    """The table a who-changed means, and what finding it learned on the way."""

    table: ResolvedTable
    exists: bool | None = None  # None: not looked up
    searched: tuple[TableLocation, ...] = ()  # where it was looked for, when it exists nowhere


def _asked(runtime: Runtime, ref: TableRef, marker: Installed | None) -> Asked:
    """The table a typed name means: where the history has seen it (a table may be gone, and
    who deleted it is the question), else where it exists now, else the first region."""
    settings = runtime.settings
    searched = places_to_search(ref, settings.accounts, settings.regions)
    if len(searched) <= 1:
        return Asked(resolve_table(runtime, ref))
    known = history_places(runtime, ref.name, ref.region, marker)
    if known:
        return Asked(resolve_table(runtime, ref, known))
    try:
        located = locate_table(runtime, ref)
    except TableNotFound:
        return Asked(resolve_table(runtime, ref), exists=False, searched=searched)
    return Asked(located.table, exists=True if located.description is not None else None)


def _missing(
    runtime: Runtime, asked: Asked, cursor: Cursor, answer: Answer, marker: Installed | None
) -> Missing | None:
    """For an empty answer: whether the table does not exist now, and whether the history
    has older changes to it (one DescribeTable and a Query per account, when not known)."""
    table = asked.table
    exists = asked.exists
    if exists is None:
        client = clients_in(runtime, table.account)("dynamodb", table.region)
        exists = find_table(client, table.name, table.region) is not None
    if exists:
        return None
    where = places_text(asked.searched or (table.location,), runtime.settings.accounts)
    if answer.source == "history" and _in_history(runtime, cursor, marker):
        return Missing(
            f"`{table.name}` does not exist in {where} now; opsbot's history has older "
            "changes to it: try a longer `--since`.",
            never_seen=False,
        )
    if answer.source == "history":
        said = "opsbot's history has no change to a table of that name"
    else:
        said = "CloudTrail shows no change to a table of that name in this window"
    return Missing(
        f"There is no table `{table.name}` in {where}, and {said}. Check the name.",
        never_seen=True,
    )


def _in_history(runtime: Runtime, cursor: Cursor, marker: Installed | None) -> bool:
    """Whether the history holds any change to the cursor's table, at any time."""
    for account_id in history_accounts(runtime, marker, cursor.account):
        items, _ = runtime.state.query(audit_pk(account_id, cursor.region, cursor.table), limit=1)
        if items:
            return True
    return False


@command(WhoChanged, account_aware=True)
def who_changed(cmd: WhoChanged, request: Request) -> None:
    """List a table's changes, newest first, from the history (or CloudTrail before install).

    With [[accounts]] configured only the resolved account's history is read. A bare name is
    looked for where the history has seen it, then where it exists now; found in several
    accounts or regions it is answered with the pick list. An empty answer about a table
    that does not exist says so.
    """
    runtime = request.runtime
    marker = _installed(runtime)
    asked = _asked(runtime, cmd.table, marker)
    table, now = asked.table, request.now
    cursor = Cursor(
        table=table.name,
        region=table.region,
        since=int((now - cmd.since).timestamp()),
        until=int(now.timestamp()),
        limit=cmd.limit,
        source="cloudtrail",
        account=table.account_id if runtime.settings.accounts else None,
        page=1,
        shown=0,
    )
    answer = who_changed_page(runtime, cursor, first=True)
    missing = None if answer.events else _missing(runtime, asked, cursor, answer, marker)
    _reply(request, cursor, answer, missing)


@action(MORE_ACTION_ID, permission="who-changed")
def who_changed_more(value: str, request: Request) -> None:
    """The next page of a who-changed answer, from the cursor the button carries."""
    cursor = Cursor.decode(value)
    _reply(request, cursor, who_changed_page(request.runtime, cursor, first=False))
