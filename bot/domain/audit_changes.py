"""What a DynamoDB/DAX management call changed, in words: the one-line summary of a CloudTrail
record ('Point-in-time recovery turned OFF on orders') and the change tags it carries
(PITR_OFF, CAPACITY, ...), from which the event's severity is decided.

All text produced here is plain and unescaped: names and error messages come from the caller
of the AWS API, so renderers must escape them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from bot.domain.alarm_context import OWNER_TAG
from bot.domain.cloudtrail_records import (
    ACCESS_DENIED_CODES,
    SOURCES,
    as_bool,
    as_dict,
    as_list,
    as_text,
    backup_name,
    dax_cluster,
    find_tables,
    nested,
    table_from_arn,
    table_ref,
    unwrap,
)
from bot.domain.times import format_utc, parse_aws_time

# What a change touched, recorded on the event so severity needs no second look at the record.
PITR_OFF: Final = "pitr_off"
DELETION_PROTECTION_OFF: Final = "deletion_protection_off"
CAPACITY: Final = "capacity"
BILLING_MODE: Final = "billing_mode"
TTL: Final = "ttl"
REPLICAS: Final = "replicas"
OWNER: Final = "owner"  # the `opsbot:owner` tag was set or removed


def _throughput(value: object) -> str | None:
    spec = as_dict(value)
    read, write = spec.get("readCapacityUnits"), spec.get("writeCapacityUnits")
    if read is None and write is None:
        return None
    return f"{read if read is not None else '?'}/{write if write is not None else '?'}"


def _region_list(items: Iterable[object], verb: str) -> list[str]:
    regions = [as_text(as_dict(as_dict(item).get(verb)).get("regionName")) for item in items]
    return [r for r in regions if r]


def _update_table(record: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    request = as_dict(record.get("requestParameters"))
    parts: list[str] = []
    changes: set[str] = set()
    new = _throughput(request.get("provisionedThroughput"))
    if new:
        old = _throughput(
            nested(record, "responseElements", "tableDescription", "provisionedThroughput")
        )
        if old and old != new:
            parts.append(f"provisioned throughput read/write {old} → {new}")
        else:
            parts.append(f"provisioned throughput set to {new} (read/write)")
        changes.add(CAPACITY)
    on_demand = as_dict(request.get("onDemandThroughput"))
    if on_demand:
        read = on_demand.get("maxReadRequestUnits", "?")
        write = on_demand.get("maxWriteRequestUnits", "?")
        parts.append(f"on-demand maximum set to {read}/{write} (read/write request units)")
        changes.add(CAPACITY)
    billing = as_text(request.get("billingMode"))
    if billing:
        label = {"PAY_PER_REQUEST": "on-demand", "PROVISIONED": "provisioned"}.get(billing, billing)
        parts.append(f"billing mode set to {label}")
        changes.add(BILLING_MODE)
    for update in as_list(request.get("globalSecondaryIndexUpdates")):
        update = as_dict(update)
        if "create" in update:
            parts.append(f"index {as_text(nested(update, 'create', 'indexName')) or '?'} created")
        elif "delete" in update:
            parts.append(f"index {as_text(nested(update, 'delete', 'indexName')) or '?'} deleted")
        elif "update" in update:
            index = as_text(nested(update, "update", "indexName")) or "?"
            throughput = _throughput(nested(update, "update", "provisionedThroughput"))
            if throughput:
                parts.append(f"index {index} throughput set to {throughput} (read/write)")
                changes.add(CAPACITY)
            else:
                parts.append(f"index {index} updated")
    stream = as_dict(request.get("streamSpecification"))
    if stream:
        enabled = as_bool(stream.get("streamEnabled"))
        view = as_text(stream.get("streamViewType"))
        if enabled is False:
            parts.append("stream turned off")
        else:
            parts.append("stream turned on" + (f" ({view})" if view else ""))
    table_class = as_text(request.get("tableClass"))
    if table_class:
        parts.append(f"table class set to {table_class}")
    protection = as_bool(request.get("deletionProtectionEnabled"))
    if protection is not None:
        parts.append(f"deletion protection turned {'on' if protection else 'off'}")
        if not protection:
            changes.add(DELETION_PROTECTION_OFF)
    sse = as_dict(request.get("sSESpecification") or request.get("sseSpecification"))
    if sse:
        parts.append("encryption settings changed")
    replicas = as_list(request.get("replicaUpdates"))
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
    text = as_text(value)
    if text is None:
        return None
    try:
        return format_utc(parse_aws_time(text))
    except ValueError:
        return text


def _tag_keys(items: object) -> list[str]:
    keys: list[str] = []
    for item in as_list(items):
        key = (
            as_text(item.get("key") or item.get("Key")) if isinstance(item, dict) else as_text(item)
        )
        if key:
            keys.append(key)
    return keys


def describe_change(record: Mapping[str, Any]) -> tuple[str, set[str]]:
    """The human summary of a record and the change tags it carries."""
    action = as_text(record.get("eventName")) or "unknown call"
    request = as_dict(record.get("requestParameters"))
    tables = find_tables(record)
    table = tables[0] if tables else None
    subject = table or "?"
    cluster = dax_cluster(record) or "?"
    changes: set[str] = set()
    source = SOURCES.get(as_text(record.get("eventSource")) or "", "")

    if source == "dax":
        if action == "CreateCluster":
            nodes = request.get("replicationFactor")
            node_type = as_text(request.get("nodeType"))
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
        mode = as_text(request.get("billingMode"))
        extra = []
        if mode == "PAY_PER_REQUEST":
            extra.append("on-demand")
        throughput = _throughput(request.get("provisionedThroughput"))
        if throughput:
            extra.append(f"provisioned {throughput} read/write")
        indexes = len(as_list(request.get("globalSecondaryIndexes")))
        if indexes:
            extra.append(f"{indexes} global index{'es' if indexes > 1 else ''}")
        return f"Table {subject} created" + (f" ({', '.join(extra)})" if extra else ""), changes
    if action == "DeleteTable":
        return f"Table {subject} deleted", changes
    if action == "UpdateContinuousBackups":
        spec = as_dict(request.get("pointInTimeRecoverySpecification"))
        enabled = as_bool(spec.get("pointInTimeRecoveryEnabled"))
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
        name = backup_name(record) or "?"
        verb = "created" if action == "CreateBackup" else "deleted"
        return f"Backup {name} of {subject} {verb}", changes
    if action == "RestoreTableFromBackup":
        backup = backup_name(record) or "?"
        source_table = tables[1] if len(tables) > 1 else "?"
        return f"Table {subject} restored from backup {backup} of {source_table}", changes
    if action == "RestoreTableToPointInTime":
        origin = table_ref(request.get("sourceTableName")) or table_from_arn(
            request.get("sourceTableArn")
        )
        if as_bool(request.get("useLatestRestorableTime")):
            point = "the latest restorable time"
        else:
            point = _when(request.get("restoreDateTime")) or "an unnamed time"
        return f"Table {subject} restored from {origin or '?'} as of {point}", changes
    if action == "ExportTableToPointInTime":
        bucket = as_text(request.get("s3Bucket")) or "?"
        prefix = as_text(request.get("s3Prefix"))
        export_time = _when(request.get("exportTime"))
        kind = "incremental" if request.get("exportType") == "INCREMENTAL_EXPORT" else "full"
        target = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        text = f"Table {subject} exported to {target} ({kind} export"
        return text + (f" as of {export_time})" if export_time else ")"), changes
    if action == "ImportTable":
        bucket = as_text(nested(request, "s3BucketSource", "s3Bucket")) or "?"
        prefix = as_text(nested(request, "s3BucketSource", "s3KeyPrefix"))
        fmt = as_text(request.get("inputFormat"))
        origin = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        return f"Table {subject} imported from {origin}" + (f" ({fmt})" if fmt else ""), changes
    if action == "UpdateTimeToLive":
        spec = as_dict(request.get("timeToLiveSpecification"))
        attribute = as_text(spec.get("attributeName")) or "?"
        changes.add(TTL)
        enabled = as_bool(spec.get("enabled"))
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
        if OWNER_TAG in keys:
            changes.add(OWNER)
        return f"{what} {verb}: {', '.join(keys) or '?'}", changes
    if action == "PutResourcePolicy":
        scope = "stream of " if "/stream/" in (as_text(request.get("resourceArn")) or "") else ""
        return f"Resource policy set on {scope}{subject}", changes
    if action == "DeleteResourcePolicy":
        scope = "stream of " if "/stream/" in (as_text(request.get("resourceArn")) or "") else ""
        return f"Resource policy deleted from {scope}{subject}", changes
    if action in {"EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination"}:
        stream = as_text(request.get("streamArn")) or "?"
        stream_name = stream.rsplit("/", 1)[-1]
        verb = "on" if action.startswith("Enable") else "off"
        return f"Kinesis streaming to {stream_name} turned {verb} for {subject}", changes
    if action == "UpdateContributorInsights":
        state = as_text(request.get("contributorInsightsAction")) or "?"
        index = as_text(request.get("indexName"))
        on = {"ENABLE": "on", "DISABLE": "off"}.get(state, state)
        where = f"index {index} of {subject}" if index else subject
        return f"Contributor Insights turned {on} for {where}", changes
    if action in {"CreateGlobalTable", "UpdateGlobalTable"}:
        if action == "CreateGlobalTable":
            added = [
                r
                for r in (
                    as_text(as_dict(g).get("regionName"))
                    for g in as_list(request.get("replicationGroup"))
                )
                if r
            ]
            removed: list[str] = []
        else:
            updates = as_list(request.get("replicaUpdates"))
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
                as_text(as_dict(u).get("regionName"))
                for u in as_list(request.get("replicaUpdates"))
            )
            if r
        ]
        changes.add(CAPACITY)
        where = f" in {', '.join(regions)}" if regions else ""
        return f"Replica auto scaling changed for {subject}{where}", changes

    named = table or (dax_cluster(record) if source == "dax" else None)
    keys = sorted(k for k in request if k not in {"tableName", "clusterName"})
    text = f"{action} on {named}" if named else action
    if keys:
        text += f" ({', '.join(keys[:6])}{', ...' if len(keys) > 6 else ''})"
    return text, changes


def summarize(event: Mapping[str, Any]) -> str:
    """The change a record made, spelled out: 'Point-in-time recovery turned OFF on orders'.

    A refused or failed call says so first and names what it attempted, since it changed
    nothing: 'Refused (AccessDenied): attempt to delete table orders'.
    """
    record = unwrap(event)
    error = as_text(record.get("errorCode"))
    if error:
        # What was attempted, not what would have changed: "Table orders deleted" must not
        # headline a refused DeleteTable.
        from bot.domain.audit_attempts import attempted  # failed calls only

        verb = "Refused" if error in ACCESS_DENIED_CODES else "Failed"
        return f"{verb} ({error}): attempt to {attempted(record)}"
    return describe_change(record)[0]
