"""A table's live load for `/ddb status`: consumed against provisioned read and write capacity
of the table and each GSI, throttle events, and average SuccessfulRequestLatency per
operation, over the last hour at a 5-minute period, all from one GetMetricData call.

:func:`load_queries` builds that call's MetricDataQueries; :func:`read_load` reads its
MetricDataResults back. Pure: the call itself is bot.aws.metrics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.domain.records import frozen

LOAD_PERIOD_S = 300
LOAD_WINDOW = timedelta(hours=1)
# GetMetricData takes at most 500 queries; 6 per table or index plus the latencies.
MAX_INDEXES = 60
# SuccessfulRequestLatency has no table-wide series: it is published per operation.
LATENCY_OPERATIONS = (
    "GetItem",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
)
_NAMESPACE = "AWS/DynamoDB"
# Query id prefix -> (metric, statistic).
_CAPACITY = {
    "cr": ("ConsumedReadCapacityUnits", "Sum"),
    "cw": ("ConsumedWriteCapacityUnits", "Sum"),
    "pr": ("ProvisionedReadCapacityUnits", "Average"),
    "pw": ("ProvisionedWriteCapacityUnits", "Average"),
    "rt": ("ReadThrottleEvents", "Sum"),
    "wt": ("WriteThrottleEvents", "Sum"),
}


@frozen
class CapacityLoad:
    """One table or GSI over the window, oldest first: consumed capacity per second (the
    5-minute sums over 300 s), provisioned capacity (empty when on demand), throttle events
    per 5 minutes."""

    name: str
    is_index: bool
    consumed_read: tuple[float, ...] = ()
    consumed_write: tuple[float, ...] = ()
    provisioned_read: tuple[float, ...] = ()
    provisioned_write: tuple[float, ...] = ()
    read_throttles: tuple[float, ...] = ()
    write_throttles: tuple[float, ...] = ()

    @property
    def throttled(self) -> float:
        """Throttle events over the window, reads and writes."""
        return sum(self.read_throttles) + sum(self.write_throttles)

    @property
    def throttle_series(self) -> tuple[float, ...]:
        """Read and write throttle events per period, added up (the longer series' length)."""
        reads, writes = self.read_throttles, self.write_throttles
        size = max(len(reads), len(writes))
        reads = (0.0,) * (size - len(reads)) + reads
        writes = (0.0,) * (size - len(writes)) + writes
        return tuple(r + w for r, w in zip(reads, writes, strict=True))


@frozen
class TableLoad:
    """The table's load: its own capacity first, then each GSI's; average latency (ms) per
    operation that had requests; ``more_indexes`` GSIs were left out (over MAX_INDEXES)."""

    capacity: tuple[CapacityLoad, ...]
    latency: tuple[tuple[str, tuple[float, ...]], ...] = ()
    more_indexes: int = 0

    @property
    def idle(self) -> bool:
        """True when CloudWatch reported no consumed capacity and no requests at all."""
        return not self.latency and not any(
            c.consumed_read or c.consumed_write or c.throttled for c in self.capacity
        )


def _dimensions(table: str, index: str | None) -> list[dict[str, str]]:
    dims = [{"Name": "TableName", "Value": table}]
    if index is not None:
        dims.append({"Name": "GlobalSecondaryIndexName", "Value": index})
    return dims


def _query(query_id: str, metric: str, stat: str, dims: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": _NAMESPACE, "MetricName": metric, "Dimensions": dims},
            "Period": LOAD_PERIOD_S,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def load_queries(table: str, indexes: Sequence[str]) -> list[dict[str, Any]]:
    """GetMetricData queries for the table (ids ``<kind>0``), each GSI (``<kind><n>``, n from
    1, at most MAX_INDEXES) and the latency of each operation (``lat<n>``)."""
    targets: list[str | None] = [None, *indexes[:MAX_INDEXES]]
    queries = []
    for number, index in enumerate(targets):
        dims = _dimensions(table, index)
        for kind, (metric, stat) in _CAPACITY.items():
            queries.append(_query(f"{kind}{number}", metric, stat, dims))
    for number, operation in enumerate(LATENCY_OPERATIONS):
        dims = [{"Name": "TableName", "Value": table}, {"Name": "Operation", "Value": operation}]
        queries.append(_query(f"lat{number}", "SuccessfulRequestLatency", "Average", dims))
    return queries


def _series(result: Mapping[str, Any]) -> tuple[float, ...]:
    """A result's finite values, oldest first, whatever order CloudWatch answered in."""
    pairs = zip(result.get("Timestamps") or [], result.get("Values") or [], strict=False)
    points = sorted(pairs, key=lambda pair: pair[0])
    return tuple(float(v) for _, v in points if isinstance(v, int | float) and math.isfinite(v))


def read_load(
    results: Iterable[Mapping[str, Any]], table: str, indexes: Sequence[str]
) -> TableLoad:
    """The TableLoad in GetMetricData's MetricDataResults for :func:`load_queries`."""
    by_id = {str(r.get("Id", "")): _series(r) for r in results}
    shown = list(indexes[:MAX_INDEXES])
    capacity = []
    for number, name in enumerate([table, *shown]):

        def series(kind: str, number: int = number) -> tuple[float, ...]:
            return by_id.get(f"{kind}{number}", ())

        capacity.append(
            CapacityLoad(
                name=name,
                is_index=number > 0,
                consumed_read=tuple(v / LOAD_PERIOD_S for v in series("cr")),
                consumed_write=tuple(v / LOAD_PERIOD_S for v in series("cw")),
                provisioned_read=series("pr"),
                provisioned_write=series("pw"),
                read_throttles=series("rt"),
                write_throttles=series("wt"),
            )
        )
    latency = tuple(
        (operation, values)
        for number, operation in enumerate(LATENCY_OPERATIONS)
        if (values := by_id.get(f"lat{number}", ()))
    )
    return TableLoad(
        capacity=tuple(capacity),
        latency=latency,
        more_indexes=max(0, len(indexes) - MAX_INDEXES),
    )
