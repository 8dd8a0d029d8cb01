"""Replicas and replication lag of global tables, alarm scans, and the tables App Home watches.

DescribeTable (version 2019.11.21 replicas), DescribeGlobalTable (legacy 2017.11.29), one
GetMetricData call per replica region, DescribeAlarms, ListTables + ListTagsOfResource.
Every function takes its clients (or a ``(service, region) -> client`` factory) injected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code, translate
from bot.aws.tables import newest_backup, pitr_window
from bot.domain.errors import OpsbotError
from bot.domain.refs import TableRef
from bot.domain.replicas import (
    CURRENT_VERSION,
    LEGACY_VERSION,
    AlarmInfo,
    GlobalTable,
    HomeView,
    ReplicationLag,
    TableHealth,
    alarm_from_description,
    choose_for_home,
    home_incidents,
    home_order,
    lags_from_metric_data,
    latency_query_id,
    open_alarms,
    pending_query_id,
    replicas_from_legacy,
    replicas_from_table,
    table_health,
)
from bot.domain.tables import TableStatus

ClientFactory = Callable[[str, str], Any]
WATCH_TAG = "opsbot:watch"
LAG_WINDOW = timedelta(hours=1)
_PERIOD_S = 60
# What an endpoint answers for an API it does not implement: moto raises NotImplementedError
# in-process and its server answers an HTML 500 (code "500"); AWS itself says
# UnknownOperationException in regions without legacy global tables.
_NOT_IMPLEMENTED_CODES = frozenset({"UnknownOperationException", "NotImplemented", "500", "501"})


def is_not_implemented(exc: BaseException) -> bool:
    """Whether the endpoint does not offer the API at all (the embedded AWS, some regions)."""
    if isinstance(exc, NotImplementedError):
        return True
    return isinstance(exc, ClientError) and error_code(exc) in _NOT_IMPLEMENTED_CODES


def describe_replication(
    dynamodb: Any, table: str, region: str, *, check_legacy: bool = True
) -> GlobalTable:
    """The table's replicas: DescribeTable, then DescribeGlobalTable only if no replicas show."""
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    return replication_of(dynamodb, description, region, check_legacy=check_legacy)


def replication_of(
    dynamodb: Any, description: dict[str, Any], region: str, *, check_legacy: bool = True
) -> GlobalTable:
    """Replication from an already fetched DescribeTable ``Table`` (legacy looked up if asked)."""
    table = str(description.get("TableName", ""))
    replicas = replicas_from_table(description, region)
    if description.get("Replicas") or description.get("GlobalTableVersion") == CURRENT_VERSION:
        version = CURRENT_VERSION if len(replicas) > 1 else ""
        return GlobalTable(table, region, version, replicas)
    if not check_legacy:
        return GlobalTable(table, region, "", replicas, legacy_checked=False)
    try:
        legacy = dynamodb.describe_global_table(GlobalTableName=table)["GlobalTableDescription"]
    except NotImplementedError:
        return GlobalTable(table, region, "", replicas, legacy_checked=False)
    except ClientError as exc:
        if error_code(exc) == "GlobalTableNotFoundException":
            return GlobalTable(table, region, "", replicas)
        if is_not_implemented(exc):
            return GlobalTable(table, region, "", replicas, legacy_checked=False)
        raise translate(exc, table=table, region=region) from exc
    legacy_replicas = replicas_from_legacy(legacy, region)
    if len(legacy_replicas) < 2:
        return GlobalTable(table, region, "", replicas)
    return GlobalTable(table, region, LEGACY_VERSION, legacy_replicas)


def lag_queries(table: str, receivers: Sequence[str]) -> list[dict[str, Any]]:
    """GetMetricData queries for ReplicationLatency and PendingReplicationCount per receiver."""
    queries = []
    for index, receiver in enumerate(receivers):
        dimensions = [
            {"Name": "TableName", "Value": table},
            {"Name": "ReceivingRegion", "Value": receiver},
        ]
        for query_id, metric, stat in (
            (latency_query_id(index), "ReplicationLatency", "Maximum"),
            (pending_query_id(index), "PendingReplicationCount", "Sum"),
        ):
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/DynamoDB",
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": _PERIOD_S,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
            )
    return queries


def replication_lag(
    cloudwatch: Any, table: str, source: str, receivers: Sequence[str], now: datetime
) -> tuple[ReplicationLag, ...]:
    """Lag from ``source`` to every receiver over the last hour: one GetMetricData call."""
    kwargs: dict[str, Any] = {
        "MetricDataQueries": lag_queries(table, receivers),
        "StartTime": now - LAG_WINDOW,
        "EndTime": now,
        "ScanBy": "TimestampDescending",
    }
    results: list[dict[str, Any]] = []
    while True:
        page = cloudwatch.get_metric_data(**kwargs)
        results += page.get("MetricDataResults", [])
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return lags_from_metric_data(source, receivers, results)


def with_lag(clients: ClientFactory, replication: GlobalTable, now: datetime) -> GlobalTable:
    """The replication with lag from every replica region (one GetMetricData per region)."""
    if not replication.is_global:
        return replication
    regions = [r.region for r in replication.replicas]
    lags: list[ReplicationLag] = []
    notes: list[str] = []
    for source in regions:
        receivers = [r for r in regions if r != source]
        try:
            lags += replication_lag(
                clients("cloudwatch", source), replication.name, source, receivers, now
            )
        except NotImplementedError:
            return replace(replication, metrics_available=False)
        except ClientError as exc:
            if is_not_implemented(exc):
                return replace(replication, metrics_available=False)
            if error_code(exc) in ("AccessDenied", "AccessDeniedException"):
                notes.append(f"lag from {source} unavailable: opsbot may not read its metrics")
                continue
            raise translate(exc, region=source) from exc
    return replace(replication, lags=tuple(lags), notes=tuple(notes))


def describe_replicas(
    clients: ClientFactory, table: str, region: str, now: datetime, *, check_legacy: bool = True
) -> GlobalTable:
    """`/ddb replicas`: replicas with their status and lag (1 DescribeTable + 1 GetMetricData
    per region; 1 DescribeGlobalTable more only for a table without current-version replicas)."""
    replication = describe_replication(
        clients("dynamodb", region), table, region, check_legacy=check_legacy
    )
    return with_lag(clients, replication, now)


def scan_alarms(cloudwatch: Any) -> tuple[AlarmInfo, ...]:
    """Every metric alarm of the region, in any state (DescribeAlarms, all pages)."""
    found = []
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(AlarmTypes=["MetricAlarm"]):
        found += [alarm_from_description(a) for a in page.get("MetricAlarms", [])]
    return tuple(found)


def watched_tables(
    clients: ClientFactory, configured: Sequence[TableRef], regions: Sequence[str]
) -> tuple[TableRef, ...]:
    """The configured tables (default region filled in), else those tagged `opsbot:watch`."""
    if configured:
        return tuple(t.in_region(regions[0]) for t in configured)
    found = []
    for region in regions:
        dynamodb = clients("dynamodb", region)
        names = _table_names(dynamodb)
        if not names:
            continue
        prefix = _arn_prefix(dynamodb, names[0], region)
        for name in names:
            if _is_watched(dynamodb, f"{prefix}/{name}", name, region):
                found.append(TableRef(name, region))
    return tuple(found)


def _table_names(dynamodb: Any) -> list[str]:
    names: list[str] = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        names += page.get("TableNames", [])
    return names


def _is_watched(dynamodb: Any, arn: str, table: str, region: str) -> bool:
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    while True:
        try:
            page = dynamodb.list_tags_of_resource(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return False  # deleted between ListTables and now
            raise translate(exc, table=table, region=region) from exc
        for tag in page.get("Tags", []):
            if tag.get("Key") == WATCH_TAG and str(tag.get("Value", "")).lower() not in (
                "false",
                "no",
                "0",
                "off",
            ):
                return True
        token = page.get("NextToken")
        if not token:
            return False
        kwargs["NextToken"] = token


def _arn_prefix(dynamodb: Any, table: str, region: str) -> str:
    """'arn:aws:dynamodb:us-west-2:123456789012:table' from one table's ARN.

    ListTagsOfResource wants ARNs; one DescribeTable tells the partition and account id
    for every table of the region without asking STS (one more permission).
    """
    try:
        arn = str(dynamodb.describe_table(TableName=table)["Table"]["TableArn"])
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    return arn.rsplit("/", 1)[0]


def status_from_description(
    dynamodb: Any, description: dict[str, Any], region: str, firing: Sequence[str]
) -> TableStatus:
    """A TableStatus from a fetched DescribeTable ``Table``, its PITR and its newest backup."""
    table = str(description.get("TableName", ""))
    try:
        continuous = dynamodb.describe_continuous_backups(TableName=table)
        newest = newest_backup(dynamodb, table)
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    throughput = description.get("ProvisionedThroughput") or {}
    billing = (description.get("BillingModeSummary") or {}).get("BillingMode") or (
        "PROVISIONED" if throughput.get("ReadCapacityUnits") else "PAY_PER_REQUEST"
    )
    provisioned = billing == "PROVISIONED"
    arn = str(description.get("TableArn", "")).split(":")
    return TableStatus(
        name=table,
        region=region,
        account=arn[4] if len(arn) > 4 else "",
        status=str(description.get("TableStatus", "UNKNOWN")),
        billing_mode=billing,
        item_count=int(description.get("ItemCount", 0)),
        size_bytes=int(description.get("TableSizeBytes", 0)),
        read_capacity=throughput.get("ReadCapacityUnits") if provisioned else None,
        write_capacity=throughput.get("WriteCapacityUnits") if provisioned else None,
        deletion_protection=bool(description.get("DeletionProtectionEnabled", False)),
        pitr=pitr_window(continuous),
        newest_backup=newest,
        alarms_firing=tuple(sorted(firing)),
        replica_regions=tuple(r.get("RegionName", "") for r in description.get("Replicas") or []),
        table_class=(description.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
    )


def describe_table_health(
    clients: ClientFactory,
    table: TableRef,
    alarms: Sequence[AlarmInfo],
    now: datetime,
    *,
    max_backup_age: timedelta,
) -> TableHealth:
    """One App Home card; an expected failure (missing table, denied) becomes the card's error."""
    assert table.region is not None
    dynamodb = clients("dynamodb", table.region)
    try:
        try:
            description = dynamodb.describe_table(TableName=table.name)["Table"]
        except ClientError as exc:
            raise translate(exc, table=table.name, region=table.region) from exc
        firing = [a.name for a in open_alarms(alarms, [table.name])]
        status = status_from_description(dynamodb, description, table.region, firing)
        replication = with_lag(clients, replication_of(dynamodb, description, table.region), now)
    except OpsbotError as exc:
        return TableHealth(table.name, table.region, error=exc.message)
    return table_health(status, replication, alarms, now, max_backup_age=max_backup_age)


def describe_home(
    clients: ClientFactory,
    tables: Sequence[TableRef],
    now: datetime,
    *,
    max_backup_age: timedelta,
    capacity: int,
    max_workers: int = 8,
) -> HomeView:
    """App Home: one alarm scan per region, then the tables that fit, described in parallel."""
    regions = sorted({t.region for t in tables if t.region})
    workers = max(1, min(max_workers, len(tables)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        scans = dict(
            zip(
                regions,
                pool.map(lambda r: scan_alarms(clients("cloudwatch", r)), regions),
                strict=True,
            )
        )
        shown, hidden = choose_for_home(tables, scans, capacity)
        cards = list(
            pool.map(
                lambda t: describe_table_health(
                    clients, t, scans[t.region or ""], now, max_backup_age=max_backup_age
                ),
                shown,
            )
        )
    return HomeView(
        cards=tuple(home_order(cards)),
        hidden=hidden,
        incidents=home_incidents(tables, scans),
    )
