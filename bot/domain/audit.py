"""CloudTrail DynamoDB and DAX management events, normalized into audit events.

An AuditEvent is one management call: ``normalize`` builds it from an EventBridge ``AWS API
Call via CloudTrail`` event or a raw record (``normalize_log_file`` from a whole CloudTrail log
file), with who made the call (bot.domain.audit_actors), what it changed
(bot.domain.audit_changes) and how severe that is (``severity_for``). Reading the record itself
is bot.domain.cloudtrail_records.

All text produced here is plain and unescaped: names, user agents and error messages come from
the caller of the AWS API, so renderers must escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from bot.domain.audit_actors import Actor, actor_of, describe_client
from bot.domain.audit_changes import (
    BILLING_MODE,
    CAPACITY,
    DELETION_PROTECTION_OFF,
    PITR_OFF,
    REPLICAS,
    TTL,
    describe_change,
    summarize,
)
from bot.domain.cloudtrail_records import (
    ACCESS_DENIED_CODES,
    SOURCES,
    as_text,
    backup_name,
    dax_cluster,
    find_tables,
    is_data_event,
    is_read_only,
    iter_records,
    unwrap,
)
from bot.domain.errors import InvalidValue
from bot.domain.records import frozen
from bot.domain.regions import region_code
from bot.domain.times import parse_aws_time

SEVERITIES: Final = ("critical", "security", "warning", "info")
_CRITICAL_ACTIONS: Final = frozenset(
    {
        "dynamodb:DeleteTable",
        "dynamodb:DeleteBackup",
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
        "dax:DeleteCluster",
    }
)
_WARNING_CHANGES: Final = frozenset({CAPACITY, BILLING_MODE, TTL, REPLICAS})
_CRITICAL_CHANGES: Final = frozenset({PITR_OFF, DELETION_PROTECTION_OFF})


@frozen
class AuditEvent:
    """One DynamoDB/DAX management call, normalized for history, notices and who-changed."""

    event_id: str
    time: datetime  # aware, UTC
    account: str | None
    region: str | None
    table: str | None  # the table the call changed (None for DAX and account-wide calls)
    resource: str | None  # DAX cluster, backup name, export, ... when there is one
    action: str  # eventName
    source: str  # "dynamodb" | "dax"
    actor: Actor
    client: str  # see describe_client
    source_ip: str | None
    error_code: str | None
    error_message: str | None
    request_id: str | None
    read_only: bool
    category: str  # "Management" | "Data"
    summary: str
    severity: str
    user_agent: str | None = None
    tables: tuple[str, ...] = ()  # every table the call involved, primary first
    changes: frozenset[str] = frozenset()  # PITR_OFF, CAPACITY, ...

    @property
    def failed(self) -> bool:
        """True when AWS refused or failed the call (nothing changed)."""
        return bool(self.error_code)

    @property
    def access_denied(self) -> bool:
        """True when the call was refused for lack of permission."""
        return (self.error_code or "") in ACCESS_DENIED_CODES


# --- severity ------------------------------------------------------------------------------


def _check_severity(value: str, key: str) -> str:
    if value not in SEVERITIES:
        raise InvalidValue(f"severity for `{key}` is `{value}`; use one of {', '.join(SEVERITIES)}")
    return value


def severity_for(event: AuditEvent, overrides: Mapping[str, str] | None = None) -> str:
    """critical / security / warning / info for an event; ``overrides`` map action -> severity.

    Keys are an eventName (``DeleteTable``) or ``source:eventName`` (``dax:TagResource``),
    the qualified key winning; ``AccessDenied`` overrides the severity of refused calls, and
    ``AWSService`` (or ``AWSService:<service host>``) that of calls AWS services make on their
    own, which are "info" (recorded, not posted) unless set.
    """
    overrides = overrides or {}
    if event.access_denied:
        if "AccessDenied" in overrides:
            return _check_severity(overrides["AccessDenied"], "AccessDenied")
        return "security"
    service = event.actor.service
    if service is not None:
        # AWS services at work (Application Auto Scaling resizing a table, AWS Backup
        # expiring a backup) are history, not news: "AWSService" (or "AWSService:<service>")
        # sets a severity for them.
        for key in (f"AWSService:{service}", "AWSService"):
            if key in overrides:
                return _check_severity(overrides[key], key)
        return "info"
    qualified = f"{event.source}:{event.action}"
    for key in (qualified, event.action):
        if key in overrides:
            return _check_severity(overrides[key], key)
    if qualified in _CRITICAL_ACTIONS or event.changes & _CRITICAL_CHANGES:
        severity = "critical"
    elif event.changes & _WARNING_CHANGES:
        severity = "warning"
    else:
        severity = "info"
    # A refused or failed call changed nothing: an attempt at something critical is a warning.
    if event.failed and severity == "critical":
        return "warning"
    return severity


# --- normalize -----------------------------------------------------------------------------


def normalize(
    event: Mapping[str, Any],
    *,
    include_data_events: bool = False,
    include_read_only: bool = False,
    severity_overrides: Mapping[str, str] | None = None,
) -> AuditEvent | None:
    """An AuditEvent from an EventBridge CloudTrail event or a raw record; None when ignored.

    Ignored (None): other services, data events and read-only calls unless included.
    Raises InvalidValue only when the input is not a CloudTrail record at all.
    """
    record = unwrap(event)
    envelope = event if isinstance(event.get("detail"), dict) and "detail-type" in event else {}
    action = as_text(record.get("eventName"))
    event_source = as_text(record.get("eventSource"))
    if not action or not event_source:
        raise InvalidValue("not a CloudTrail record: eventName and eventSource are required")
    source = SOURCES.get(event_source)
    if source is None:
        return None
    if is_data_event(record) and not include_data_events:
        return None
    read_only = is_read_only(record)
    if read_only and not include_read_only:
        return None

    event_id = as_text(record.get("eventID")) or as_text(envelope.get("id"))
    raw_time = as_text(record.get("eventTime")) or as_text(envelope.get("time"))
    if not event_id or not raw_time:
        raise InvalidValue("not a CloudTrail record: eventID and eventTime are required")
    try:
        when = parse_aws_time(raw_time)
    except ValueError:
        raise InvalidValue(f"CloudTrail eventTime `{raw_time}` is not a time") from None

    actor = actor_of(record)
    user_agent = as_text(record.get("userAgent"))
    changes = describe_change(record)[1]
    summary = summarize(record)
    tables = find_tables(record) if source == "dynamodb" else ()
    resource = dax_cluster(record) if source == "dax" else backup_name(record)
    normalized = AuditEvent(
        event_id=event_id,
        time=when,
        account=as_text(record.get("recipientAccountId"))
        or as_text(envelope.get("account"))
        or actor.account,
        # Region codes only: the region becomes a console URL host.
        region=region_code(record.get("awsRegion")) or region_code(envelope.get("region")),
        table=tables[0] if tables else None,
        resource=resource,
        action=action,
        source=source,
        actor=actor,
        client=describe_client(user_agent, actor.via),
        source_ip=as_text(record.get("sourceIPAddress")),
        error_code=as_text(record.get("errorCode")),
        error_message=as_text(record.get("errorMessage")),
        request_id=as_text(record.get("requestID")),
        read_only=read_only,
        category=as_text(record.get("eventCategory"))
        or ("Data" if is_data_event(record) else "Management"),
        summary=summary,
        severity="info",
        user_agent=user_agent,
        tables=tables,
        changes=frozenset(changes),
    )
    return replace(normalized, severity=severity_for(normalized, severity_overrides))


def normalize_log_file(
    log_file: Mapping[str, Any],
    *,
    include_data_events: bool = False,
    include_read_only: bool = False,
    severity_overrides: Mapping[str, str] | None = None,
) -> list[AuditEvent]:
    """The DynamoDB/DAX events of a CloudTrail log file; records that are not ours are skipped."""
    events = []
    for record in iter_records(log_file):
        try:
            normalized = normalize(
                record,
                include_data_events=include_data_events,
                include_read_only=include_read_only,
                severity_overrides=severity_overrides,
            )
        except InvalidValue:
            continue  # a malformed record must not hide the rest of the file
        if normalized is not None:
            events.append(normalized)
    return events


# --- history -------------------------------------------------------------------------------


def history_sort_key(event: AuditEvent) -> str:
    """'2026-11-22T09:30:05.000000Z#<event id>': sorts by time lexicographically (newest last)."""
    return f"{event.time.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}#{event.event_id}"


@frozen
class BotAction:
    """Who an AWS call opsbot made was for: the Slack user who asked, and who approved it."""

    slack_user: str
    approved_by: str | None = None


def attributed(event: AuditEvent, bot_actions: Mapping[str, BotAction]) -> AuditEvent:
    """The event with its actor shown as the Slack user (and approver), when opsbot made the
    call for them."""
    action = bot_actions.get(event.request_id) if event.request_id else None
    if action is None or not action.slack_user:
        return event
    actor = replace(event.actor, slack_user=action.slack_user, approved_by=action.approved_by)
    return replace(event, actor=actor)
