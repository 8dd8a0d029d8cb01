"""The audit trail: ingest CloudTrail events into the history, post the risky ones, and answer
`/ddb who-changed <table> [--since 7d] [--limit N]` (with a "More" button).

Ingest is at-least-once safe: history items have deterministic keys (a redelivery rewrites
the same item) and each notice is claimed once per CloudTrail eventID, so an event that comes
both from EventBridge and from a log file is posted once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.audit import (
    Installed,
    Pacer,
    attribute_all,
    installed,
    lookup_events,
    mark_installed,
    query_history,
    read_log_file,
    store_event,
    store_events,
)
from bot.aws.errors import error_code
from bot.aws.state import audit_pk
from bot.domain.accounts import TableLocation
from bot.domain.audit import AuditEvent, normalize, normalize_log_file
from bot.domain.commands import WhoChanged
from bot.domain.errors import InvalidValue, OpsbotError
from bot.domain.sns_inbox import LogFileNotice
from bot.render.audit import MORE_ACTION_ID, render_audit_notice, render_who_changed
from bot.runtime import Runtime
from bot.slack.capabilities import Request, action, command
from bot.slack.places import clients_in, label_of, resolve_table
from bot.slack.routing import route

log = logging.getLogger(__name__)

NOTIFY_SEVERITIES = frozenset({"critical", "security", "warning"})
MENTION_SEVERITIES = frozenset({"critical", "security"})
_NOTICE_SCOPE = "audit-notice"
_OBJECT_SCOPE = "trail-object"
_LEASE_S = 300
_KEEP_S = 7 * 86400  # a log file arrives within minutes of the EventBridge copy of an event
_MARKER_TTL_S = 600.0
_BUTTON_VALUE_LIMIT = 2000


@dataclass
class IngestResult:
    """What one delivery did, for logs and tests."""

    received: int = 0
    kept: int = 0
    stored: int = 0
    notified: int = 0
    dropped: list[str] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Fold another result into this one."""
        self.received += other.received
        self.kept += other.kept
        self.stored += other.stored
        self.notified += other.notified
        self.dropped += other.dropped

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (the Lambda's return value)."""
        return asdict(self)


# --- ingest -----------------------------------------------------------------------------------


def _normalize(record: Mapping[str, Any], runtime: Runtime) -> AuditEvent | None:
    settings = runtime.settings
    return normalize(
        record,
        include_data_events=settings.audit_include_data_events,
        include_read_only=settings.audit_include_read_only,
        severity_overrides=settings.audit_severity,
    )


def _marker_cache(runtime: Runtime) -> dict[str, Any]:
    """A per-process cache of the install marker, refreshed every few minutes."""
    cache: dict[str, Any] = runtime.extras.setdefault("audit", {})
    if time.monotonic() - cache.get("fetched", 0.0) > _MARKER_TTL_S:
        cache.clear()
        cache["fetched"] = time.monotonic()
    return cache


def record_events(events: list[AuditEvent], runtime: Runtime, *, batched: bool) -> IngestResult:
    """Attribute, store and notify normalized events; batched writes for log files."""
    result = IngestResult(kept=len(events))
    if not events:
        return result
    state, settings = runtime.state, runtime.settings
    events = attribute_all(state, events)
    mark_installed(
        state,
        {e.account for e in events if e.account},
        now=runtime.now(),
        cache=_marker_cache(runtime),
    )
    if batched:
        result.stored = store_events(state, events, history_days=settings.history_days)
    else:
        for event in events:
            if store_event(state, event, history_days=settings.history_days):
                result.stored += 1
            else:
                log.info("audit event %s already stored (redelivery)", event.event_id)
    for event in events:
        if notify(event, runtime):
            result.notified += 1
    return result


def ingest_event(event: Mapping[str, Any], runtime: Runtime) -> IngestResult:
    """One EventBridge CloudTrail event (or raw record): store it, post it if it is risky."""
    result = IngestResult(received=1)
    try:
        normalized = _normalize(event, runtime)
    except InvalidValue as exc:
        log.warning("dropping a CloudTrail event: %s", exc.message)
        result.dropped.append(exc.message)
        return result
    if normalized is None:
        return result  # another service, a data event or a read-only call: not recorded
    result.add(record_events([normalized], runtime, batched=False))
    return result


def ingest_log_files(notice: LogFileNotice, runtime: Runtime) -> IngestResult:
    """Read each announced log file from S3 once and record its DynamoDB/DAX events."""
    result = IngestResult()
    for key in notice.skipped:
        log.info("skipping s3://%s/%s: not a log file of API calls", notice.bucket, key)
    for key in notice.keys:
        scope_key = f"{notice.bucket}/{key}"
        if not runtime.state.claim_once(
            _OBJECT_SCOPE, scope_key, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S
        ):
            log.info("log file s3://%s already read; skipping", scope_key)
            continue
        try:
            result.add(_ingest_log_file(notice.bucket, key, runtime))
        except Exception:
            runtime.state.release_once(_OBJECT_SCOPE, scope_key)
            raise
        runtime.state.complete_once(_OBJECT_SCOPE, scope_key)
    return result


def _ingest_log_file(bucket: str, key: str, runtime: Runtime) -> IngestResult:
    result = IngestResult()
    try:
        # One client for every bucket: botocore follows S3's redirect to the bucket's region.
        document = read_log_file(runtime.client("s3"), bucket, key)
    except InvalidValue as exc:
        log.warning("dropping a log file: %s", exc.message)
        result.dropped.append(exc.message)
        return result
    except ClientError as exc:
        if error_code(exc) not in ("NoSuchKey", "NoSuchBucket"):
            raise
        reason = f"s3://{bucket}/{key} is gone ({error_code(exc)})"
        log.warning("dropping a log file: %s", reason)
        result.dropped.append(reason)
        return result
    records = document.get("Records")
    result.received = len(records) if isinstance(records, list) else 0
    settings = runtime.settings
    try:
        events = normalize_log_file(
            document,
            include_data_events=settings.audit_include_data_events,
            include_read_only=settings.audit_include_read_only,
            severity_overrides=settings.audit_severity,
        )
    except InvalidValue as exc:
        log.warning("dropping s3://%s/%s: %s", bucket, key, exc.message)
        result.dropped.append(exc.message)
        return result
    result.add(record_events(events, runtime, batched=True))
    return result


def notice_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields audit routes match on (JMESPath)."""
    return {
        "kind": "audit",
        "table": event.table,
        "region": event.region,
        "account": event.account,
        "action": event.action,
        "source": event.source,
        "severity": event.severity,
        "actor": event.actor.label,
        "resource": event.resource,
        "error_code": event.error_code,
    }


def notify(event: AuditEvent, runtime: Runtime) -> bool:
    """Post a critical, security or warning event to its channels, once per eventID."""
    if event.severity not in NOTIFY_SEVERITIES:
        return False
    state = runtime.state
    if not state.claim_once(
        _NOTICE_SCOPE, event.event_id, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S
    ):
        log.info("audit notice for %s already posted", event.event_id)
        return False
    try:
        for destination in route(runtime.settings, "audit", notice_fields(event)):
            mention = destination.mention_text if event.severity in MENTION_SEVERITIES else None
            message = render_audit_notice(
                event,
                now=runtime.now(),
                mention=mention,
                account_label=label_of(runtime, event.account) if event.account else None,
            )
            runtime.notifier.post(destination.channel, message)
    except Exception:
        state.release_once(_NOTICE_SCOPE, event.event_id)
        raise
    state.complete_once(_NOTICE_SCOPE, event.event_id)
    return True


# --- /ddb who-changed -------------------------------------------------------------------------


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Answer:
    """One page of who-changed and where it came from."""

    events: tuple[AuditEvent, ...]
    source: str
    cursor: Cursor | None
    note: str | None = None


def _installed(runtime: Runtime) -> Installed | None:
    return installed(runtime.state, _marker_cache(runtime))


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
    """Where a table name appears in the history: one Query (Limit 1) per account x region.

    Accounts that are not configured count as opsbot's own (''): they cannot be typed.
    """
    if marker is None:
        return []
    settings = runtime.settings
    configured = {a.id for a in settings.accounts}
    regions = (
        [region]
        if region
        else list(
            dict.fromkeys([*settings.regions, *(r for a in settings.accounts for r in a.regions)])
        )
    )
    found: list[TableLocation] = []
    for account_id in sorted(marker.accounts):
        for where in regions:
            items, _ = runtime.state.query(audit_pk(account_id, where, table), limit=1)
            if items:
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
            return _normalize(record, runtime) is not None
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
    events = [e for e in (_normalize(r, runtime) for r in page.records) if e is not None]
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


def _reply(request: Request, cursor: Cursor, answer: Answer) -> None:
    value = answer.cursor.encode() if answer.cursor else None
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
            account_label=label_of(request.runtime, cursor.account or None)
            if cursor.account is not None
            else None,
        )
    )


@command(WhoChanged, account_aware=True)
def who_changed(cmd: WhoChanged, request: Request) -> None:
    """List a table's changes, newest first, from the history (or CloudTrail before install).

    With [[accounts]] configured only the resolved account's history is read; a bare name
    found in several accounts' or regions' history is answered with the pick list.
    """
    runtime = request.runtime
    account: str | None = None
    if runtime.settings.accounts:
        known = None
        if cmd.table.account is None:
            known = history_places(runtime, cmd.table.name, cmd.table.region, _installed(runtime))
        table = resolve_table(runtime, cmd.table, known)
        account = table.account_id
        name, region = table.name, table.region
    else:
        ref = cmd.table.in_region(runtime.settings.default_region)
        assert ref.region is not None
        name, region = ref.name, ref.region
    now = request.now
    cursor = Cursor(
        table=name,
        region=region,
        since=int((now - cmd.since).timestamp()),
        until=int(now.timestamp()),
        limit=cmd.limit,
        source="cloudtrail",
        account=account,
    )
    _reply(request, cursor, who_changed_page(request.runtime, cursor, first=True))


@action(MORE_ACTION_ID, permission="who-changed")
def who_changed_more(value: str, request: Request) -> None:
    """The next page of a who-changed answer, from the cursor the button carries."""
    cursor = Cursor.decode(value)
    _reply(request, cursor, who_changed_page(request.runtime, cursor, first=False))
