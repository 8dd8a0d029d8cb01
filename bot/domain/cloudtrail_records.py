"""CloudTrail records as they arrive, read tolerantly: what a record names and what kind of call
it is.

Input is either an EventBridge ``AWS API Call via CloudTrail`` event (the record is its
``detail``), a LookupEvents entry, or a raw record from a CloudTrail log file. Real records
vary: the table may be named in the request, only in the response, only inside a
backup/table/stream ARN, or only in ``resources``; any field may be missing or null.
Everything here tolerates that: the field readers give None (or an empty dict or list) for a
field that is absent or of another type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from bot.domain.errors import InvalidValue

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

_DDB_ARN = re.compile(r"^arn:aws[\w-]*:dynamodb:[^:]*:[^:]*:(table|global-table)/([^/]+)")
_DAX_ARN = re.compile(r"^arn:aws[\w-]*:dax:[^:]*:[^:]*:cache/([^/]+)")
_BACKUP_ARN = re.compile(r":table/[^/]+/backup/([^/]+)$")


# --- reading fields and records ------------------------------------------------------------


def as_dict(value: object) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """The value when it is a JSON list, else an empty list."""
    return value if isinstance(value, list) else []


def as_text(value: object) -> str | None:
    """The value as text; None when it is absent, empty, an object or a list."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text if text else None


def nested(record: Mapping[str, Any], *keys: str) -> Any:
    """The value at ``record[k1][k2]...``; None when any step is missing or not an object."""
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_bool(value: object) -> bool | None:
    """A JSON boolean, or the text 'true'/'false' in any case; None for anything else."""
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
        except (ValueError, RecursionError):
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


# --- what a record names -------------------------------------------------------------------


def table_from_arn(arn: object) -> str | None:
    """'arn:aws:dynamodb:us-west-2:1234:table/orders/backup/0176...' -> 'orders'."""
    match = _DDB_ARN.match(arn) if isinstance(arn, str) else None
    return match.group(2) if match else None


def table_ref(value: object) -> str | None:
    """A tableName parameter, which newer APIs also accept as a table ARN."""
    text = as_text(value)
    if text is None:
        return None
    return table_from_arn(text) if text.startswith("arn:") else text


def find_tables(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Every table a record names, the one it changed first (restores: the target)."""
    record = unwrap(event)
    request = as_dict(record.get("requestParameters"))
    response = as_dict(record.get("responseElements"))
    candidates: list[object] = [
        table_ref(request.get("targetTableName")),
        table_ref(request.get("tableName")),
        table_ref(request.get("globalTableName")),
        table_ref(nested(request, "tableCreationParameters", "tableName")),
        nested(response, "tableDescription", "tableName"),
        nested(response, "tableAutoScalingDescription", "tableName"),
        nested(response, "globalTableDescription", "globalTableName"),
        nested(response, "backupDescription", "sourceTableDetails", "tableName"),
        nested(response, "importTableDescription", "tableCreationParameters", "tableName"),
        table_ref(request.get("sourceTableName")),
    ]
    for key in ("tableArn", "sourceTableArn", "resourceArn", "backupArn", "streamArn"):
        candidates.append(table_from_arn(request.get(key)))
    for arn in (
        nested(response, "backupDescription", "backupDetails", "backupArn"),
        nested(response, "exportDescription", "tableArn"),
        nested(response, "importTableDescription", "tableArn"),
        nested(response, "tableDescription", "tableArn"),
    ):
        candidates.append(table_from_arn(arn))
    for resource in as_list(record.get("resources")):
        resource = as_dict(resource)
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


def backup_name(record: Mapping[str, Any]) -> str | None:
    """The backup a record names (request, response, or a backup ARN), if any."""
    request = as_dict(record.get("requestParameters"))
    response = as_dict(record.get("responseElements"))
    name = as_text(request.get("backupName")) or as_text(
        nested(response, "backupDescription", "backupDetails", "backupName")
    )
    if name:
        return name
    details = nested(response, "backupDetails", "backupName")  # CreateBackup's response shape
    if as_text(details):
        return as_text(details)
    for arn in (
        request.get("backupArn"),
        nested(response, "backupDescription", "backupDetails", "backupArn"),
    ):
        match = _BACKUP_ARN.search(arn) if isinstance(arn, str) else None
        if match:
            return match.group(1)
    return None


def dax_cluster(record: Mapping[str, Any]) -> str | None:
    """The DAX cluster a record names (request, response, or a cluster ARN), if any."""
    request = as_dict(record.get("requestParameters"))
    name = as_text(request.get("clusterName")) or as_text(
        nested(record, "responseElements", "cluster", "clusterName")
    )
    if name:
        return name
    for arn in [nested(record, "responseElements", "cluster", "clusterArn")] + [
        as_dict(r).get("ARN") for r in as_list(record.get("resources"))
    ]:
        match = _DAX_ARN.match(arn) if isinstance(arn, str) else None
        if match:
            return match.group(1)
    return None


# --- what kind of call ---------------------------------------------------------------------


def is_data_event(record: Mapping[str, Any]) -> bool:
    """Item-level calls (CloudTrail data events)."""
    category = as_text(record.get("eventCategory"))
    if category:
        return category == "Data"
    if record.get("managementEvent") is False:
        return True
    return record.get("eventName") in DATA_ACTIONS


def is_read_only(record: Mapping[str, Any]) -> bool:
    """Calls that change nothing (Describe*, List*, Get*, or ``readOnly: true``)."""
    flag = as_bool(record.get("readOnly"))
    if flag is not None:
        return flag
    return str(record.get("eventName") or "").startswith(_READ_ONLY_PREFIXES)
