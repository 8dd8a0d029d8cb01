"""CloudTrail DynamoDB and DAX management events, normalized into audit events.

Input is either an EventBridge ``AWS API Call via CloudTrail`` event (the record is its
``detail``) or a raw record from a CloudTrail log file. Real records vary: the table may be
named in the request, only in the response, only inside a backup/table/stream ARN, or only in
``resources``; any field may be missing or null. Everything here tolerates that.

All text produced here is plain and unescaped: names, user agents and error messages come from
the caller of the AWS API, so renderers must escape them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from bot.domain.errors import InvalidValue
from bot.domain.records import frozen
from bot.domain.regions import region_code
from bot.domain.times import format_utc, parse_aws_time

SEVERITIES: Final = ("critical", "security", "warning", "info")
SOURCES: Final = {"dynamodb.amazonaws.com": "dynamodb", "dax.amazonaws.com": "dax"}
ACCESS_DENIED_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Client.UnauthorizedOperation",
    }
)

# Item-level and stream calls: CloudTrail data events (they need a data-event selector).
DATA_ACTIONS: Final = frozenset(
    {
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "BatchGetItem",
        "BatchWriteItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
        "GetRecords",
        "GetShardIterator",
    }
)
_READ_ONLY_PREFIXES: Final = ("Describe", "List", "Get")

# What a change touched, recorded on the event so severity needs no second look at the record.
PITR_OFF: Final = "pitr_off"
DELETION_PROTECTION_OFF: Final = "deletion_protection_off"
CAPACITY: Final = "capacity"
BILLING_MODE: Final = "billing_mode"
TTL: Final = "ttl"
REPLICAS: Final = "replicas"

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

_DDB_ARN = re.compile(r"^arn:aws[\w-]*:dynamodb:[^:]*:[^:]*:(table|global-table)/([^/]+)")
_DAX_ARN = re.compile(r"^arn:aws[\w-]*:dax:[^:]*:[^:]*:cache/([^/]+)")
_BACKUP_ARN = re.compile(r":table/[^/]+/backup/([^/]+)$")


@frozen
class Actor:
    """Who made a call: an IAM user, a role session, the root user or an AWS service."""

    identity_type: str
    name: str  # IAM user name, role session name, "root", or the service principal
    role: str | None = None  # the session issuer (role) name for assumed roles
    arn: str | None = None
    account: str | None = None
    mfa: bool | None = None  # None when CloudTrail does not say
    via: str | None = None  # AWS service that made the call on the actor's behalf (invokedBy)
    slack_user: str | None = None  # set when the call was made by opsbot for a Slack user
    approved_by: str | None = None  # the second person, for actions `[approvals]` names

    @property
    def label(self) -> str:
        """Plain text: 'bob (DataAdmin)', '@U123 via opsbot', 'AWS service backup.amazonaws.com'."""
        if self.slack_user:
            approved = f" (approved by @{self.approved_by})" if self.approved_by else ""
            return f"@{self.slack_user}{approved} via opsbot"
        if self.identity_type == "AWSService":
            return f"AWS service {self.name}"
        if self.role and self.role != self.name:
            return f"{self.name} ({self.role})"
        return self.name


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


# --- reading records -----------------------------------------------------------------------


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text if text else None


def _path(record: Mapping[str, Any], *keys: str) -> Any:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def unwrap(event: Mapping[str, Any]) -> dict[str, Any]:
    """The CloudTrail record inside an EventBridge event or a LookupEvents entry, or the record."""
    if not isinstance(event, Mapping):
        raise InvalidValue("not a CloudTrail record: expected a JSON object")
    detail = event.get("detail")
    if isinstance(detail, dict) and "detail-type" in event:
        return detail
    embedded = event.get("CloudTrailEvent")  # LookupEvents gives the record as a JSON string
    if isinstance(embedded, str):
        try:
            record = json.loads(embedded)
        except ValueError:
            raise InvalidValue("LookupEvents entry whose CloudTrailEvent is not JSON") from None
        if isinstance(record, dict):
            return record
    return dict(event)


def iter_records(log_file: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The records of a CloudTrail log file (``{"Records": [...]}``)."""
    records = log_file.get("Records") if isinstance(log_file, Mapping) else None
    if not isinstance(records, list):
        raise InvalidValue("not a CloudTrail log file: expected an object with a Records list")
    for record in records:
        if isinstance(record, dict):
            yield record


def table_from_arn(arn: object) -> str | None:
    """'arn:aws:dynamodb:us-west-2:1234:table/orders/backup/0176...' -> 'orders'."""
    match = _DDB_ARN.match(arn) if isinstance(arn, str) else None
    return match.group(2) if match else None


def _table_ref(value: object) -> str | None:
    """A tableName parameter, which newer APIs also accept as a table ARN."""
    text = _str(value)
    if text is None:
        return None
    return table_from_arn(text) if text.startswith("arn:") else text


def find_tables(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Every table a record names, the one it changed first (restores: the target)."""
    record = unwrap(event)
    request = _dict(record.get("requestParameters"))
    response = _dict(record.get("responseElements"))
    candidates: list[object] = [
        _table_ref(request.get("targetTableName")),
        _table_ref(request.get("tableName")),
        _table_ref(request.get("globalTableName")),
        _table_ref(_path(request, "tableCreationParameters", "tableName")),
        _path(response, "tableDescription", "tableName"),
        _path(response, "tableAutoScalingDescription", "tableName"),
        _path(response, "globalTableDescription", "globalTableName"),
        _path(response, "backupDescription", "sourceTableDetails", "tableName"),
        _path(response, "importTableDescription", "tableCreationParameters", "tableName"),
        _table_ref(request.get("sourceTableName")),
    ]
    for key in ("tableArn", "sourceTableArn", "resourceArn", "backupArn", "streamArn"):
        candidates.append(table_from_arn(request.get(key)))
    for arn in (
        _path(response, "backupDescription", "backupDetails", "backupArn"),
        _path(response, "exportDescription", "tableArn"),
        _path(response, "importTableDescription", "tableArn"),
        _path(response, "tableDescription", "tableArn"),
    ):
        candidates.append(table_from_arn(arn))
    for resource in _list(record.get("resources")):
        resource = _dict(resource)
        candidates.append(table_from_arn(resource.get("ARN") or resource.get("arn")))
    seen: dict[str, None] = {}
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            seen.setdefault(candidate, None)
    return tuple(seen)


def find_table(event: Mapping[str, Any]) -> str | None:
    """The table a record changed, wherever the record names it (request, response, ARNs)."""
    tables = find_tables(event)
    return tables[0] if tables else None


def _backup_name(record: Mapping[str, Any]) -> str | None:
    request = _dict(record.get("requestParameters"))
    response = _dict(record.get("responseElements"))
    name = _str(request.get("backupName")) or _str(
        _path(response, "backupDescription", "backupDetails", "backupName")
    )
    if name:
        return name
    details = _path(response, "backupDetails", "backupName")  # CreateBackup's response shape
    if _str(details):
        return _str(details)
    for arn in (
        request.get("backupArn"),
        _path(response, "backupDescription", "backupDetails", "backupArn"),
    ):
        match = _BACKUP_ARN.search(arn) if isinstance(arn, str) else None
        if match:
            return match.group(1)
    return None


def _dax_cluster(record: Mapping[str, Any]) -> str | None:
    request = _dict(record.get("requestParameters"))
    name = _str(request.get("clusterName")) or _str(
        _path(record, "responseElements", "cluster", "clusterName")
    )
    if name:
        return name
    for arn in [_path(record, "responseElements", "cluster", "clusterArn")] + [
        _dict(r).get("ARN") for r in _list(record.get("resources"))
    ]:
        match = _DAX_ARN.match(arn) if isinstance(arn, str) else None
        if match:
            return match.group(1)
    return None


# --- who and how ---------------------------------------------------------------------------


def _arn_name(arn: str | None, parts: int) -> str | None:
    """The name after the first ``parts`` path elements of an ARN's resource."""
    if not arn or arn.count(":") < 5:
        return None
    resource = arn.split(":", 5)[5]
    pieces = resource.split("/", parts)
    return pieces[parts] if len(pieces) > parts and pieces[parts] else None


def actor_of(record: Mapping[str, Any]) -> Actor:
    """The identity that made the call, from ``userIdentity`` (tolerates it being absent)."""
    identity = _dict(record.get("userIdentity"))
    kind = _str(identity.get("type")) or "Unknown"
    arn = _str(identity.get("arn"))
    account = _str(identity.get("accountId"))
    via = _str(identity.get("invokedBy"))
    session = _dict(identity.get("sessionContext"))
    issuer = _dict(session.get("sessionIssuer"))
    mfa = _bool(_dict(session.get("attributes")).get("mfaAuthenticated"))
    role = _str(issuer.get("userName"))
    principal = _str(identity.get("principalId"))
    name: str | None
    if kind == "Root":
        name = "root"
    elif kind == "AWSService":
        name = via or _str(identity.get("principalId")) or "AWS service"
    elif kind in {"AssumedRole", "FederatedUser"}:
        # The session name follows the role in the ARN (assumed-role/<role>/<session>).
        name = _arn_name(arn, 2 if kind == "AssumedRole" else 1)
        if not name and principal and ":" in principal:
            name = principal.split(":", 1)[1]
    else:
        name = _str(identity.get("userName")) or _arn_name(arn, 1)
    if not name:
        name = _str(identity.get("userName")) or principal or account or "unknown"
    return Actor(
        identity_type=kind, name=name, role=role, arn=arn, account=account, mfa=mfa, via=via
    )


# Checked in order: the first matching marker names the client.
_CLIENT_MARKERS: Final = (
    ("terraform", "Terraform"),
    ("pulumi", "Pulumi"),
    ("cloudformation", "CloudFormation"),
    ("aws-cdk", "CloudFormation"),
    ("aws-cli/", "AWS CLI"),
    ("aws internal", "console"),
    ("console.aws.amazon.com", "console"),
    ("console.amazonaws.com", "console"),
    ("aws console", "console"),
    ("awsconsole", "console"),
    ("signin.amazonaws.com", "console"),
    ("boto3/", "SDK (boto3)"),
    ("botocore/", "SDK (boto3)"),
    ("aws-sdk-java", "SDK (Java)"),
    ("aws-sdk-go", "SDK (Go)"),
    ("aws-sdk-js", "SDK (JavaScript)"),
    ("aws-sdk-nodejs", "SDK (JavaScript)"),
    ("aws-sdk-dotnet", "SDK (.NET)"),
    ("aws-sdk-rust", "SDK (Rust)"),
    ("aws-sdk-ruby", "SDK (Ruby)"),
    ("aws-sdk-php", "SDK (PHP)"),
    ("mozilla/", "console"),
)
# The console's own service hosts (console.dynamodb.amazonaws.com, ...) are people, not services.
_CONSOLE_HOST = re.compile(r"^console\.[a-z0-9.-]*amazon(aws)?\.com$")


def describe_client(user_agent: str | None, invoked_by: str | None = None) -> str:
    """The kind of client from the user agent: 'console', 'AWS CLI', 'SDK (boto3)', ...

    A call made by an AWS service (``invokedBy``, or a service host as the user agent) is
    ``AWS service (<service>)``; CloudFormation is named as such.
    """
    agent = (user_agent or "").strip().lower()
    service = (invoked_by or "").strip().lower()
    if service == "cloudformation.amazonaws.com":
        return "CloudFormation"
    if service:
        return f"AWS service ({service})"
    if _CONSOLE_HOST.match(agent):
        return "console"
    for marker, kind in _CLIENT_MARKERS:
        if marker in agent:
            return kind
    if re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com", agent):
        return f"AWS service ({agent})"
    return "other"


# --- what changed --------------------------------------------------------------------------


def _throughput(value: object) -> str | None:
    spec = _dict(value)
    read, write = spec.get("readCapacityUnits"), spec.get("writeCapacityUnits")
    if read is None and write is None:
        return None
    return f"{read if read is not None else '?'}/{write if write is not None else '?'}"


def _region_list(items: Iterable[object], verb: str) -> list[str]:
    regions = [_str(_dict(_dict(item).get(verb)).get("regionName")) for item in items]
    return [r for r in regions if r]


def _update_table(record: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    request = _dict(record.get("requestParameters"))
    parts: list[str] = []
    changes: set[str] = set()
    new = _throughput(request.get("provisionedThroughput"))
    if new:
        old = _throughput(
            _path(record, "responseElements", "tableDescription", "provisionedThroughput")
        )
        if old and old != new:
            parts.append(f"provisioned throughput read/write {old} → {new}")
        else:
            parts.append(f"provisioned throughput set to {new} (read/write)")
        changes.add(CAPACITY)
    on_demand = _dict(request.get("onDemandThroughput"))
    if on_demand:
        read = on_demand.get("maxReadRequestUnits", "?")
        write = on_demand.get("maxWriteRequestUnits", "?")
        parts.append(f"on-demand maximum set to {read}/{write} (read/write request units)")
        changes.add(CAPACITY)
    billing = _str(request.get("billingMode"))
    if billing:
        label = {"PAY_PER_REQUEST": "on-demand", "PROVISIONED": "provisioned"}.get(billing, billing)
        parts.append(f"billing mode set to {label}")
        changes.add(BILLING_MODE)
    for update in _list(request.get("globalSecondaryIndexUpdates")):
        update = _dict(update)
        if "create" in update:
            parts.append(f"index {_str(_path(update, 'create', 'indexName')) or '?'} created")
        elif "delete" in update:
            parts.append(f"index {_str(_path(update, 'delete', 'indexName')) or '?'} deleted")
        elif "update" in update:
            index = _str(_path(update, "update", "indexName")) or "?"
            throughput = _throughput(_path(update, "update", "provisionedThroughput"))
            if throughput:
                parts.append(f"index {index} throughput set to {throughput} (read/write)")
                changes.add(CAPACITY)
            else:
                parts.append(f"index {index} updated")
    stream = _dict(request.get("streamSpecification"))
    if stream:
        enabled = _bool(stream.get("streamEnabled"))
        view = _str(stream.get("streamViewType"))
        if enabled is False:
            parts.append("stream turned off")
        else:
            parts.append("stream turned on" + (f" ({view})" if view else ""))
    table_class = _str(request.get("tableClass"))
    if table_class:
        parts.append(f"table class set to {table_class}")
    protection = _bool(request.get("deletionProtectionEnabled"))
    if protection is not None:
        parts.append(f"deletion protection turned {'on' if protection else 'off'}")
        if not protection:
            changes.add(DELETION_PROTECTION_OFF)
    sse = _dict(request.get("sSESpecification") or request.get("sseSpecification"))
    if sse:
        parts.append("encryption settings changed")
    replicas = _list(request.get("replicaUpdates"))
    added, removed = _region_list(replicas, "create"), _region_list(replicas, "delete")
    updated = _region_list(replicas, "update")
    if added:
        parts.append(f"replica added in {', '.join(added)}")
    if removed:
        parts.append(f"replica removed from {', '.join(removed)}")
    if updated:
        parts.append(f"replica settings changed in {', '.join(updated)}")
    if added or removed or updated:
        changes.add(REPLICAS)
    return parts, changes


def _when(value: object) -> str | None:
    """A time as CloudTrail logs it (ISO text, epoch seconds, or a display string)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_utc(datetime.fromtimestamp(value, tz=UTC))
    text = _str(value)
    if text is None:
        return None
    try:
        return format_utc(parse_aws_time(text))
    except ValueError:
        return text


def _tag_keys(items: object) -> list[str]:
    keys: list[str] = []
    for item in _list(items):
        key = _str(item.get("key") or item.get("Key")) if isinstance(item, dict) else _str(item)
        if key:
            keys.append(key)
    return keys


def _describe(record: Mapping[str, Any]) -> tuple[str, set[str]]:
    """The human summary of a record and the change tags it carries."""
    action = _str(record.get("eventName")) or "unknown call"
    request = _dict(record.get("requestParameters"))
    tables = find_tables(record)
    table = tables[0] if tables else None
    subject = table or "?"
    cluster = _dax_cluster(record) or "?"
    changes: set[str] = set()
    source = SOURCES.get(_str(record.get("eventSource")) or "", "")

    if source == "dax":
        if action == "CreateCluster":
            nodes = request.get("replicationFactor")
            node_type = _str(request.get("nodeType"))
            detail = ", ".join(
                p for p in (f"{nodes} nodes" if nodes is not None else "", node_type or "") if p
            )
            return f"DAX cluster {cluster} created" + (f" ({detail})" if detail else ""), changes
        if action == "DeleteCluster":
            return f"DAX cluster {cluster} deleted", changes
        if action in {"IncreaseReplicationFactor", "DecreaseReplicationFactor"}:
            factor = request.get("newReplicationFactor")
            verb = "increased" if action.startswith("Increase") else "decreased"
            changes.add(CAPACITY)
            return (
                f"DAX cluster {cluster} nodes {verb} to {factor if factor is not None else '?'}",
                changes,
            )
        if action == "UpdateCluster":
            keys = sorted(k for k in request if k != "clusterName")
            what = ", ".join(keys) if keys else "settings"
            return f"DAX cluster {cluster} updated: {what}", changes

    if action == "UpdateTable":
        parts, changes = _update_table(record)
        return f"Table {subject} updated: " + (
            "; ".join(parts) if parts else "no setting named"
        ), changes
    if action == "CreateTable":
        mode = _str(request.get("billingMode"))
        extra = []
        if mode == "PAY_PER_REQUEST":
            extra.append("on-demand")
        throughput = _throughput(request.get("provisionedThroughput"))
        if throughput:
            extra.append(f"provisioned {throughput} read/write")
        indexes = len(_list(request.get("globalSecondaryIndexes")))
        if indexes:
            extra.append(f"{indexes} global index{'es' if indexes > 1 else ''}")
        return f"Table {subject} created" + (f" ({', '.join(extra)})" if extra else ""), changes
    if action == "DeleteTable":
        return f"Table {subject} deleted", changes
    if action == "UpdateContinuousBackups":
        spec = _dict(request.get("pointInTimeRecoverySpecification"))
        enabled = _bool(spec.get("pointInTimeRecoveryEnabled"))
        days = spec.get("recoveryPeriodInDays")
        if enabled is False:
            changes.add(PITR_OFF)
            return f"Point-in-time recovery turned OFF on {subject}", changes
        text = f"Point-in-time recovery turned on for {subject}"
        if enabled is None:
            text = f"Point-in-time recovery settings changed on {subject}"
        if days is not None:
            text += f" (recovery period {days} days)"
        return text, changes
    if action in {"CreateBackup", "DeleteBackup"}:
        name = _backup_name(record) or "?"
        verb = "created" if action == "CreateBackup" else "deleted"
        return f"Backup {name} of {subject} {verb}", changes
    if action == "RestoreTableFromBackup":
        backup = _backup_name(record) or "?"
        source_table = tables[1] if len(tables) > 1 else "?"
        return f"Table {subject} restored from backup {backup} of {source_table}", changes
    if action == "RestoreTableToPointInTime":
        origin = _table_ref(request.get("sourceTableName")) or table_from_arn(
            request.get("sourceTableArn")
        )
        if _bool(request.get("useLatestRestorableTime")):
            point = "the latest restorable time"
        else:
            point = _when(request.get("restoreDateTime")) or "an unnamed time"
        return f"Table {subject} restored from {origin or '?'} as of {point}", changes
    if action == "ExportTableToPointInTime":
        bucket = _str(request.get("s3Bucket")) or "?"
        prefix = _str(request.get("s3Prefix"))
        export_time = _when(request.get("exportTime"))
        kind = "incremental" if request.get("exportType") == "INCREMENTAL_EXPORT" else "full"
        target = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        text = f"Table {subject} exported to {target} ({kind} export"
        return text + (f" as of {export_time})" if export_time else ")"), changes
    if action == "ImportTable":
        bucket = _str(_path(request, "s3BucketSource", "s3Bucket")) or "?"
        prefix = _str(_path(request, "s3BucketSource", "s3KeyPrefix"))
        fmt = _str(request.get("inputFormat"))
        origin = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        return f"Table {subject} imported from {origin}" + (f" ({fmt})" if fmt else ""), changes
    if action == "UpdateTimeToLive":
        spec = _dict(request.get("timeToLiveSpecification"))
        attribute = _str(spec.get("attributeName")) or "?"
        changes.add(TTL)
        enabled = _bool(spec.get("enabled"))
        if enabled is None:
            return f"Time to live changed on {subject}", changes
        state = "on" if enabled else "off"
        return f"Time to live turned {state} for {subject} (attribute {attribute})", changes
    if action in {"TagResource", "UntagResource"}:
        keys = _tag_keys(request.get("tags") if action == "TagResource" else request.get("tagKeys"))
        what = (
            f"Table {table}"
            if table
            else f"DAX cluster {cluster}"
            if source == "dax"
            else "Resource"
        )
        verb = "tagged" if action == "TagResource" else "untagged"
        return f"{what} {verb}: {', '.join(keys) or '?'}", changes
    if action == "PutResourcePolicy":
        scope = "stream of " if "/stream/" in (_str(request.get("resourceArn")) or "") else ""
        return f"Resource policy set on {scope}{subject}", changes
    if action == "DeleteResourcePolicy":
        scope = "stream of " if "/stream/" in (_str(request.get("resourceArn")) or "") else ""
        return f"Resource policy deleted from {scope}{subject}", changes
    if action in {"EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination"}:
        stream = _str(request.get("streamArn")) or "?"
        stream_name = stream.rsplit("/", 1)[-1]
        verb = "on" if action.startswith("Enable") else "off"
        return f"Kinesis streaming to {stream_name} turned {verb} for {subject}", changes
    if action == "UpdateContributorInsights":
        state = _str(request.get("contributorInsightsAction")) or "?"
        index = _str(request.get("indexName"))
        on = {"ENABLE": "on", "DISABLE": "off"}.get(state, state)
        where = f"index {index} of {subject}" if index else subject
        return f"Contributor Insights turned {on} for {where}", changes
    if action in {"CreateGlobalTable", "UpdateGlobalTable"}:
        if action == "CreateGlobalTable":
            added = [
                r
                for r in (
                    _str(_dict(g).get("regionName")) for g in _list(request.get("replicationGroup"))
                )
                if r
            ]
            removed: list[str] = []
        else:
            updates = _list(request.get("replicaUpdates"))
            added, removed = _region_list(updates, "create"), _region_list(updates, "delete")
        changes.add(REPLICAS)
        parts = []
        if added:
            parts.append(f"replicas added in {', '.join(added)}")
        if removed:
            parts.append(f"replicas removed from {', '.join(removed)}")
        verb = "created" if action == "CreateGlobalTable" else "updated"
        return f"Global table {subject} {verb}" + (
            f": {'; '.join(parts)}" if parts else ""
        ), changes
    if action == "UpdateTableReplicaAutoScaling":
        regions = [
            r
            for r in (
                _str(_dict(u).get("regionName")) for u in _list(request.get("replicaUpdates"))
            )
            if r
        ]
        changes.add(CAPACITY)
        where = f" in {', '.join(regions)}" if regions else ""
        return f"Replica auto scaling changed for {subject}{where}", changes

    named = table or (_dax_cluster(record) if source == "dax" else None)
    keys = sorted(k for k in request if k not in {"tableName", "clusterName"})
    text = f"{action} on {named}" if named else action
    if keys:
        text += f" ({', '.join(keys[:6])}{', ...' if len(keys) > 6 else ''})"
    return text, changes


def summarize(event: Mapping[str, Any]) -> str:
    """The change a record made, spelled out: 'Point-in-time recovery turned OFF on orders'.

    A refused or failed call says so first, since it changed nothing.
    """
    record = unwrap(event)
    text = _describe(record)[0]
    error = _str(record.get("errorCode"))
    if error:
        verb = "refused" if error in ACCESS_DENIED_CODES else "failed"
        return f"Attempt {verb} ({error}): {text}"
    return text


# --- severity ------------------------------------------------------------------------------


def _check_severity(value: str, key: str) -> str:
    if value not in SEVERITIES:
        raise InvalidValue(f"severity for `{key}` is `{value}`; use one of {', '.join(SEVERITIES)}")
    return value


def severity_for(event: AuditEvent, overrides: Mapping[str, str] | None = None) -> str:
    """critical / security / warning / info for an event; ``overrides`` map action -> severity.

    Keys are an eventName (``DeleteTable``) or ``source:eventName`` (``dax:TagResource``),
    the qualified key winning; ``AccessDenied`` overrides the severity of refused calls.
    """
    overrides = overrides or {}
    if event.access_denied:
        if "AccessDenied" in overrides:
            return _check_severity(overrides["AccessDenied"], "AccessDenied")
        return "security"
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


def is_data_event(record: Mapping[str, Any]) -> bool:
    """Item-level calls (CloudTrail data events)."""
    category = _str(record.get("eventCategory"))
    if category:
        return category == "Data"
    if record.get("managementEvent") is False:
        return True
    return record.get("eventName") in DATA_ACTIONS


def is_read_only(record: Mapping[str, Any]) -> bool:
    """Calls that change nothing (Describe*, List*, Get*, or ``readOnly: true``)."""
    flag = _bool(record.get("readOnly"))
    if flag is not None:
        return flag
    return str(record.get("eventName") or "").startswith(_READ_ONLY_PREFIXES)


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
    action = _str(record.get("eventName"))
    event_source = _str(record.get("eventSource"))
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

    event_id = _str(record.get("eventID")) or _str(envelope.get("id"))
    raw_time = _str(record.get("eventTime")) or _str(envelope.get("time"))
    if not event_id or not raw_time:
        raise InvalidValue("not a CloudTrail record: eventID and eventTime are required")
    try:
        when = parse_aws_time(raw_time)
    except ValueError:
        raise InvalidValue(f"CloudTrail eventTime `{raw_time}` is not a time") from None

    actor = actor_of(record)
    user_agent = _str(record.get("userAgent"))
    changes = _describe(record)[1]
    summary = summarize(record)
    tables = find_tables(record) if source == "dynamodb" else ()
    resource = _dax_cluster(record) if source == "dax" else _backup_name(record)
    normalized = AuditEvent(
        event_id=event_id,
        time=when,
        account=_str(record.get("recipientAccountId"))
        or _str(envelope.get("account"))
        or actor.account,
        # Region codes only: the region becomes a console URL host.
        region=region_code(record.get("awsRegion")) or region_code(envelope.get("region")),
        table=tables[0] if tables else None,
        resource=resource,
        action=action,
        source=source,
        actor=actor,
        client=describe_client(user_agent, actor.via),
        source_ip=_str(record.get("sourceIPAddress")),
        error_code=_str(record.get("errorCode")),
        error_message=_str(record.get("errorMessage")),
        request_id=_str(record.get("requestID")),
        read_only=read_only,
        category=_str(record.get("eventCategory"))
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
