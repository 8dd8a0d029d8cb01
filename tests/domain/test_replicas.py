"""Pure decisions about replicas, lag, throttling alarms and the App Home selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.refs import TableRef, parse_watched_table
from bot.domain.replicas import (
    AlarmInfo,
    GlobalTable,
    ReplicaHealth,
    ReplicationLag,
    TableHealth,
    alarm_from_description,
    choose_for_home,
    format_lag,
    health_risks,
    home_capacity,
    home_order,
    is_lagging,
    lags_from_metric_data,
    replicas_from_legacy,
    replicas_from_table,
    throttle_alarm_gaps,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_describe_table_replicas_put_the_asked_region_first() -> None:
    description = {
        "TableName": "orders",
        "TableStatus": "ACTIVE",
        "GlobalSecondaryIndexes": [{"IndexName": "by-customer"}],
        "Replicas": [
            {"RegionName": "us-east-1", "ReplicaStatus": "CREATING"},
            {
                "RegionName": "eu-west-1",
                "ReplicaStatus": "ACTIVE",
                "ReplicaStatusDescription": "ok",
                "ReplicaTableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"},
                "GlobalSecondaryIndexes": [{"IndexName": "by-customer"}],
            },
        ],
    }
    replicas = replicas_from_table(description, "us-west-2")
    assert [(r.region, r.status, r.is_source) for r in replicas] == [
        ("us-west-2", "ACTIVE", True),
        ("eu-west-1", "ACTIVE", False),
        ("us-east-1", "CREATING", False),
    ]
    assert replicas[1].table_class == "STANDARD_INFREQUENT_ACCESS"
    assert replicas[1].indexes == ("by-customer",)


def test_legacy_replication_group_without_replica_status_takes_the_group_status() -> None:
    replicas = replicas_from_legacy(
        {
            "GlobalTableStatus": "UPDATING",
            "ReplicationGroup": [{"RegionName": "eu-west-1"}, {"RegionName": "us-east-1"}],
        },
        "us-east-1",
    )
    assert [(r.region, r.status, r.is_source) for r in replicas] == [
        ("us-east-1", "UPDATING", True),
        ("eu-west-1", "UPDATING", False),
    ]


def test_metric_data_gives_latest_and_hour_max_whatever_the_order() -> None:
    results = [
        {
            "Id": "latency0",
            "Timestamps": [NOW - timedelta(minutes=2), NOW, NOW - timedelta(minutes=1)],
            "Values": [9000.0, 300.0, 700.0],
        },
        {"Id": "pending0", "Timestamps": [NOW], "Values": [4.0]},
        {"Id": "latency1", "Timestamps": [], "Values": []},
    ]
    lags = lags_from_metric_data("us-west-2", ["eu-west-1", "us-east-1"], results)
    assert lags[0] == ReplicationLag("us-west-2", "eu-west-1", 300.0, 9000.0, 4)
    assert lags[1] == ReplicationLag("us-west-2", "us-east-1")
    assert not lags[1].has_data


@pytest.mark.parametrize(
    ("latest", "threshold", "lagging"),
    [
        (None, 60_000, False),
        (59_999.0, 60_000, False),
        (60_001.0, 60_000, True),
        (500.0, 100, True),
    ],
    ids=["no-data", "just-under", "just-over", "custom-threshold"],
)
def test_lagging_is_the_latest_latency_over_the_threshold(
    latest: float | None, threshold: float, lagging: bool
) -> None:
    lag = ReplicationLag("a", "b", latest, 1_000_000.0)
    assert is_lagging(lag, threshold) is lagging


def test_a_past_spike_alone_is_not_lagging() -> None:
    assert not is_lagging(ReplicationLag("a", "b", 800.0, 500_000.0))


def test_lag_into_a_region_is_the_worst_sender() -> None:
    table = GlobalTable(
        "orders",
        "us-west-2",
        "2019.11.21",
        (
            ReplicaHealth("us-west-2", "ACTIVE", is_source=True),
            ReplicaHealth("eu-west-1", "ACTIVE"),
        ),
        (
            ReplicationLag("us-west-2", "eu-west-1", 500.0, 900.0),
            ReplicationLag("us-east-1", "eu-west-1", 2500.0, 2600.0),
            ReplicationLag("ap-south-1", "eu-west-1"),
        ),
    )
    worst = table.lag_into("eu-west-1")
    assert worst is not None
    assert worst.source_region == "us-east-1"
    assert table.lag_into("us-west-2") is None


def test_health_risks_name_replicas_not_active_lagging_and_missing_throttle_alarms() -> None:
    table = GlobalTable(
        "orders",
        "us-west-2",
        "2019.11.21",
        (
            ReplicaHealth("us-west-2", "ACTIVE", is_source=True),
            ReplicaHealth("eu-west-1", "ACTIVE"),
            ReplicaHealth("ap-south-1", "REGION_DISABLED"),
        ),
        (ReplicationLag("us-west-2", "eu-west-1", 125_000.0, 130_000.0),),
    )
    risks = health_risks(table, throttle_gaps=frozenset({"WriteThrottleEvents"}))
    assert risks == (
        "replica in ap-south-1 is REGION_DISABLED",
        "replica in eu-west-1 lags 2 min 05 s (over 1 min)",
        "no alarm on WriteThrottleEvents",
    )


def test_no_table_and_full_coverage_mean_no_health_risk() -> None:
    assert health_risks(None, throttle_gaps=frozenset()) == ()


def _alarm(name: str, metric: str, table: str = "orders", **kw: object) -> AlarmInfo:
    return AlarmInfo(name, str(kw.get("state", "OK")), table, frozenset({metric}), "AWS/DynamoDB")


@pytest.mark.parametrize(
    ("alarms", "gaps"),
    [
        ([], {"ReadThrottleEvents", "WriteThrottleEvents"}),
        ([_alarm("r", "ReadThrottleEvents")], {"WriteThrottleEvents"}),
        ([_alarm("r", "ReadThrottleEvents"), _alarm("w", "WriteThrottleEvents")], set()),
        ([_alarm("t", "ThrottledRequests")], set()),
        (
            [_alarm("other", "ThrottledRequests", table="carts")],
            {"ReadThrottleEvents", "WriteThrottleEvents"},
        ),
        ([_alarm("e", "SystemErrors")], {"ReadThrottleEvents", "WriteThrottleEvents"}),
    ],
    ids=["none", "read-only", "both", "throttled-requests", "other-table", "unrelated-metric"],
)
def test_throttle_alarm_gaps(alarms: list[AlarmInfo], gaps: set[str]) -> None:
    assert throttle_alarm_gaps(alarms, "orders") == frozenset(gaps)


def test_metric_math_alarm_is_read_from_its_metric_stats() -> None:
    alarm = alarm_from_description(
        {
            "AlarmName": "orders-throttles",
            "StateValue": "ALARM",
            "StateUpdatedTimestamp": datetime(2026, 11, 22, 9, 0),
            "Metrics": [
                {
                    "Id": "r",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/DynamoDB",
                            "MetricName": "ReadThrottleEvents",
                            "Dimensions": [{"Name": "TableName", "Value": "orders"}],
                        }
                    },
                },
                {"Id": "e", "Expression": "r * 2"},
            ],
        }
    )
    assert (alarm.table, alarm.metrics, alarm.namespace) == (
        "orders",
        frozenset({"ReadThrottleEvents"}),
        "AWS/DynamoDB",
    )
    assert alarm.updated == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (850, "850 ms"),
        (1234, "1.2 s"),
        (95_000, "1 min 35 s"),
        (120_000, "2 min"),
        (7_500_000, "2 h 05 min"),
    ],
)
def test_format_lag(ms: float, shown: str) -> None:
    assert format_lag(ms) == shown


def test_watched_table_accepts_a_region_and_refuses_junk() -> None:
    assert parse_watched_table("orders@us-west-2") == TableRef("orders", "us-west-2")
    assert parse_watched_table("orders") == TableRef("orders")
    for bad in ("a", "orders@moon", "bad name"):
        with pytest.raises(InvalidValue):
            parse_watched_table(bad)


def test_home_shows_tables_with_open_alarms_first_even_beyond_capacity() -> None:
    tables = [TableRef(f"t{i:03d}", "us-west-2") for i in range(60)]
    alarms = {
        "us-west-2": [
            AlarmInfo("old", "ALARM", "t059", updated=NOW - timedelta(hours=2)),
            AlarmInfo("new", "ALARM", "t058", updated=NOW - timedelta(minutes=5)),
            AlarmInfo("ok", "OK", "t057", updated=NOW),
        ]
    }
    shown, hidden = choose_for_home(tables, alarms, capacity=home_capacity())
    assert [t.name for t in shown[:3]] == ["t058", "t059", "t000"]
    assert len(shown) == home_capacity()
    assert len(shown) + len(hidden) == 60
    assert TableRef("t057", "us-west-2") in hidden


def test_home_order_puts_alarms_then_failures_then_risks_then_the_rest() -> None:
    alarm = AlarmInfo("a", "ALARM", "d", updated=NOW)
    cards = [
        TableHealth("a", "r"),
        TableHealth("b", "r", risks=("PITR is off",)),
        TableHealth("c", "r", error="gone"),
        TableHealth("d", "r", open_alarms=(alarm,)),
    ]
    assert [c.name for c in home_order(cards)] == ["d", "c", "b", "a"]


def test_home_capacity_leaves_room_for_the_fixed_blocks() -> None:
    assert home_capacity() * 2 + 5 <= 100
    assert home_capacity(10) == 2
