"""Ingest CloudTrail events into the audit history and post the risky ones.

At-least-once safe: history items have deterministic keys (a redelivery rewrites the same
item) and each notice is claimed once per CloudTrail eventID, so an event that comes both
from EventBridge and from a log file is posted once. `/ddb who-changed` reads what this
writes (bot/flows/audit/commands.py); the ingest functions do not load the command side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from bot.aws.audit import attribute_all, mark_installed, store_event, store_events
from bot.aws.cloudtrail_logs import read_log_file
from bot.aws.errors import error_code
from bot.aws.idempotency import Duplicate
from bot.aws.table_context import record_changes
from bot.domain.audit import AuditEvent, normalize, normalize_log_file
from bot.domain.errors import InvalidValue
from bot.flows.places import label_of
from bot.flows.routing import route
from bot.render.audit import render_audit_notice
from bot.runtime import Runtime

if TYPE_CHECKING:  # the SNS inbox parses notices; the EventBridge path never sees one
    from bot.domain.sns_inbox import LogFileNotice

log = logging.getLogger(__name__)

NOTIFY_SEVERITIES = frozenset({"critical", "security", "warning"})
MENTION_SEVERITIES = frozenset({"critical", "security"})
_NOTICE_SCOPE = "audit-notice"
_OBJECT_SCOPE = "trail-object"
_KEEP_S = 7 * 86400  # a log file arrives within minutes of the EventBridge copy of an event
_MARKER_TTL_S = 600.0
# S3 errors that mean the trail bucket itself cannot be read (said in the bot's channel).
UNREADABLE_BUCKET = frozenset({"NoSuchBucket", "AccessDenied", "AllAccessDisabled"})


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


def normalize_record(record: Mapping[str, Any], runtime: Runtime) -> AuditEvent | None:
    """A CloudTrail record as an AuditEvent under the configured filters (None: not kept)."""
    settings = runtime.settings
    return normalize(
        record,
        include_data_events=settings.audit_include_data_events,
        include_read_only=settings.audit_include_read_only,
        severity_overrides=settings.audit_severity,
    )


def marker_cache(runtime: Runtime) -> dict[str, Any]:
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
        cache=marker_cache(runtime),
    )
    new = events
    if batched:
        result.stored = store_events(
            state, events, history_days=settings.history_days, now=runtime.now()
        )
    else:
        new = []
        for event in events:
            if store_event(state, event, history_days=settings.history_days, now=runtime.now()):
                new.append(event)
            else:
                log.info("audit event %s already stored (redelivery)", event.event_id)
        result.stored = len(new)
    # The changes an alarm's root lists, where the alarm path reads them with its incident.
    record_changes(state, new, history_days=settings.history_days)
    for event in events:
        if notify(event, runtime):
            result.notified += 1
    return result


def ingest_event(event: Mapping[str, Any], runtime: Runtime) -> IngestResult:
    """One EventBridge CloudTrail event (or raw record): store it, post it if it is risky."""
    result = IngestResult(received=1)
    try:
        normalized = normalize_record(event, runtime)
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
        read = partial(_ingest_log_file, notice.bucket, key, runtime)
        done = runtime.once(_OBJECT_SCOPE, scope_key, read, keep_s=_KEEP_S)
        if isinstance(done, Duplicate):
            log.info("log file s3://%s already read; skipping", scope_key)
            continue
        result.add(done)
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
        code = error_code(exc)
        if code in UNREADABLE_BUCKET:
            # The whole bucket is out of reach: retrying cannot help, a person must act.
            from bot.flows.audit.trail_bucket import report_unreadable_bucket  # error path only

            reason = f"s3://{bucket}/{key} cannot be read ({code})"
            log.warning("dropping a log file: %s", reason)
            report_unreadable_bucket(bucket, key, code, runtime)
            result.dropped.append(reason)
            return result
        if code != "NoSuchKey":
            raise
        reason = f"s3://{bucket}/{key} is gone ({code})"
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
    posted = runtime.once(
        _NOTICE_SCOPE, event.event_id, lambda: _post_notice(event, runtime), keep_s=_KEEP_S
    )
    if isinstance(posted, Duplicate):
        log.info("audit notice for %s already posted", event.event_id)
        return False
    return True


def _post_notice(event: AuditEvent, runtime: Runtime) -> int:
    """Post the notice to every routed channel; the number of posts made."""
    destinations = route(runtime.settings, "audit", notice_fields(event))
    for destination in destinations:
        mention = destination.mention_text if event.severity in MENTION_SEVERITIES else None
        message = render_audit_notice(
            event,
            now=runtime.now(),
            mention=mention,
            account_label=label_of(runtime, event.account) if event.account else None,
        )
        runtime.notifier.post(destination.channel, message)
    return len(destinations)
