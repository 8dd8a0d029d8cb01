"""`/ddb status` live load: the one GetMetricData call's queries, and reading its answer (in
the shape the CloudWatch API reference documents for MetricDataResults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.table_load import (
    LATENCY_OPERATIONS,
    MAX_INDEXES,
    CapacityLoad,
    load_queries,
    read_load,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def result(query_id: str, values: list[float], *, newest_first: bool = False) -> dict[str, Any]:
    stamps = [T0 + timedelta(minutes=5 * i) for i in range(len(values))]
    pairs = list(zip(stamps, values, strict=True))
    if newest_first:
        pairs.reverse()
    return {
        "Id": query_id,
        "Label": query_id,
        "Timestamps": [s for s, _ in pairs],
        "Values": [v for _, v in pairs],
        "StatusCode": "Complete",
    }


def test_queries_cover_table_and_each_gsi_and_each_operations_latency() -> None:
    queries = load_queries("orders", ["by-customer"])
    assert len(queries) == 6 * 2 + len(LATENCY_OPERATIONS)
    by_id = {q["Id"]: q for q in queries}
    assert by_id["cr0"]["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/DynamoDB",
            "MetricName": "ConsumedReadCapacityUnits",
            "Dimensions": [{"Name": "TableName", "Value": "orders"}],
        },
        "Period": 300,
        "Stat": "Sum",
    }
    assert by_id["pw1"]["MetricStat"]["Metric"] == {
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ProvisionedWriteCapacityUnits",
        "Dimensions": [
            {"Name": "TableName", "Value": "orders"},
            {"Name": "GlobalSecondaryIndexName", "Value": "by-customer"},
        ],
    }
    assert by_id["pw1"]["MetricStat"]["Stat"] == "Average"
    assert {by_id[f"{k}1"]["MetricStat"]["Metric"]["MetricName"] for k in ("rt", "wt")} == {
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    }
    assert by_id["lat0"]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "TableName", "Value": "orders"},
        {"Name": "Operation", "Value": "GetItem"},
    ]
    assert by_id["lat0"]["MetricStat"]["Stat"] == "Average"
    # GetMetricData ids: a lowercase letter first, then letters, digits, underscores.
    assert all(q["Id"][0].islower() and q["Id"].isalnum() for q in queries)
    assert all(q["ReturnData"] for q in queries)


def test_many_gsis_stay_within_getmetricdatas_500_queries() -> None:
    indexes = [f"gsi-{n}" for n in range(MAX_INDEXES + 5)]
    queries = load_queries("orders", indexes)
    assert len(queries) <= 500
    load = read_load([], "orders", indexes)
    assert load.more_indexes == 5
    assert len(load.capacity) == 1 + MAX_INDEXES


def test_results_read_back_per_second_oldest_first_per_table_and_gsi() -> None:
    results = [
        result("cr0", [1500.0, 3000.0, 6150.0], newest_first=True),  # sums over 300 s
        result("pr0", [25.0, 25.0, 25.0]),
        result("cw0", [300.0]),
        result("rt0", [0.0, 4.0, 10.0]),
        result("wt0", [2.0]),
        result("cr1", [600.0, 900.0]),
        result("lat2", [12.5, 8.25]),  # Scan
        result("lat0", []),  # GetItem: no requests
    ]
    load = read_load(results, "orders", ["by-customer"])
    table, index = load.capacity
    assert table == CapacityLoad(
        name="orders",
        is_index=False,
        consumed_read=(5.0, 10.0, 20.5),
        consumed_write=(1.0,),
        provisioned_read=(25.0, 25.0, 25.0),
        read_throttles=(0.0, 4.0, 10.0),
        write_throttles=(2.0,),
    )
    assert table.throttled == 16.0
    assert table.throttle_series == (0.0, 4.0, 12.0)  # aligned on the newest point
    assert index.name == "by-customer"
    assert index.is_index
    assert index.consumed_read == (2.0, 3.0)
    assert index.provisioned_read == ()  # on demand: no provisioned series
    assert load.latency == (("Scan", (12.5, 8.25)),)
    assert not load.idle


def test_no_datapoints_at_all_reads_as_idle() -> None:
    load = read_load([result("cr0", []), result("lat0", [])], "orders", [])
    assert load.idle
    assert load.capacity == (CapacityLoad(name="orders", is_index=False),)
