"""What a refused or failed CloudTrail call attempted, in words: 'delete table orders'.

A failed call changed nothing, so its summary names the attempt, never the outcome the call
would have had ("Table orders deleted" under "refused" contradicts itself). Only failed
calls load this module. The text is plain and unescaped: renderers escape it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.domain.cloudtrail_records import (
    SOURCES,
    as_bool,
    as_dict,
    as_text,
    backup_name,
    dax_cluster,
    find_tables,
)

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def _words(action: str) -> str:
    """'UpdateKinesisStreamingDestination' -> 'update kinesis streaming destination'."""
    parts = _WORDS.findall(action)
    return " ".join(p if p.isupper() and len(p) > 1 else p.lower() for p in parts) or action


def attempted(record: Mapping[str, Any]) -> str:
    """The call a record attempted: 'delete table orders', 'turn point-in-time recovery OFF
    on orders', 'delete backup nightly of orders', 'update kinesis streaming destination on
    orders'."""
    action = as_text(record.get("eventName")) or "an unknown call"
    request = as_dict(record.get("requestParameters"))
    source = SOURCES.get(as_text(record.get("eventSource")) or "", "")
    tables = find_tables(record) if source != "dax" else ()
    table = tables[0] if tables else None
    subject = table or "?"
    if source == "dax":
        cluster = dax_cluster(record)
        noun = f"DAX cluster {cluster}" if cluster else "a DAX cluster"
        if action in {"CreateCluster", "DeleteCluster", "UpdateCluster"}:
            return f"{action.removesuffix('Cluster').lower()} {noun}"
        return f"{_words(action)} on {noun}" if cluster else _words(action)
    if action in {"CreateTable", "DeleteTable", "UpdateTable"}:
        return f"{action.removesuffix('Table').lower()} table {subject}"
    if action == "UpdateContinuousBackups":
        spec = as_dict(request.get("pointInTimeRecoverySpecification"))
        enabled = as_bool(spec.get("pointInTimeRecoveryEnabled"))
        if enabled is None:
            return f"change point-in-time recovery on {subject}"
        return f"turn point-in-time recovery {'on' if enabled else 'OFF'} on {subject}"
    if action in {"CreateBackup", "DeleteBackup"}:
        name = backup_name(record)
        backup = f"backup {name}" if name else "a backup"
        return f"{action.removesuffix('Backup').lower()} {backup} of {subject}"
    if action == "UpdateTimeToLive":
        enabled = as_bool(as_dict(request.get("timeToLiveSpecification")).get("enabled"))
        if enabled is None:
            return f"change time to live on {subject}"
        return f"turn time to live {'on' if enabled else 'off'} for {subject}"
    if action in {"RestoreTableFromBackup", "RestoreTableToPointInTime"}:
        return f"restore table {subject}"
    if action in {"PutResourcePolicy", "DeleteResourcePolicy"}:
        verb = "set" if action.startswith("Put") else "delete"
        return f"{verb} the resource policy of {subject}"
    return f"{_words(action)} on {table}" if table else _words(action)
