"""bot.aws.replicas against AWS-documented shapes (Stubber: moto has no global tables) and moto."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY

from bot.aws.replicas import (
    describe_home,
    describe_replicas,
    lag_queries,
    scan_alarms,
    watched_tables,
)
from bot.domain.errors import NotAllowed, TableNotFound
from bot.domain.refs import TableRef
from bot.domain.replicas import CURRENT_VERSION, LEGACY_VERSION, is_lagging
from tests.aws.replica_stubs import (
    expect_metric_data,
    legacy_description,
    metric_result,
    replica,
    stubbed,
    table_description,
)
from tests.conftest import table_alarm

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def queue_three_region_lagging(clients, name: str = "orders") -> None:  # type: ignore[no-untyped-def]
    """orders in us-west-2 with replicas in eu-west-1 and us-east-1; eu-west-1 is behind."""
    clients.stub("dynamodb", "us-west-2").add_response(
        "describe_table",
        {
            "Table": table_description(
                name,
                "us-west-2",
                replicas=[
                    replica("us-east-1", ReplicaTableClassSummary={"TableClass": "STANDARD"}),
                    replica("eu-west-1"),
                ],
            )
        },
        {"TableName": name},
    )
    # Receivers are the other regions in order: the source first, then sorted.
    expect_metric_data(
        clients,
        "us-west-2",
        [
            metric_result("latency0", NOW, [95_000.0, 120_000.0, 60_000.0]),  # -> eu-west-1
            metric_result("pending0", NOW, []),
            metric_result("latency1", NOW, [850.0, 1400.0]),  # -> us-east-1
            metric_result("pending1", NOW, []),
        ],
        queries=4,
    )
    expect_metric_data(
        clients,
        "eu-west-1",
        [metric_result("latency0", NOW, [400.0]), metric_result("latency1", NOW, [])],
        queries=4,
    )
    expect_metric_data(clients, "us-east-1", [], queries=4)


def test_three_region_global_table_finds_the_lagging_replica() -> None:
    with stubbed() as clients:
        queue_three_region_lagging(clients)
        table = describe_replicas(clients, "orders", "us-west-2", NOW)
    assert table.version == CURRENT_VERSION
    assert [(r.region, r.status, r.is_source) for r in table.replicas] == [
        ("us-west-2", "ACTIVE", True),
        ("eu-west-1", "ACTIVE", False),
        ("us-east-1", "ACTIVE", False),
    ]
    eu = table.lag_into("eu-west-1")
    assert eu is not None
    assert (eu.source_region, eu.latest_ms, eu.max_ms) == ("us-west-2", 95_000.0, 120_000.0)
    assert is_lagging(eu)
    us_east = table.lag_into("us-east-1")
    assert us_east is not None
    assert (us_east.latest_ms, us_east.max_ms) == (850.0, 1400.0)
    assert not is_lagging(us_east)
    source = table.lag_into("us-west-2")
    assert source is not None
    assert (source.source_region, source.latest_ms) == ("eu-west-1", 400.0)


def test_three_regions_cost_one_describe_table_and_one_get_metric_data_per_region() -> None:
    with stubbed() as clients:
        queue_three_region_lagging(clients)
        describe_replicas(clients, "orders", "us-west-2", NOW)
    assert sorted(clients.calls) == [
        ("eu-west-1", "GetMetricData"),
        ("us-east-1", "GetMetricData"),
        ("us-west-2", "DescribeTable"),
        ("us-west-2", "GetMetricData"),
    ]


def test_lag_queries_ask_latency_and_pending_per_receiving_region() -> None:
    queries = lag_queries("orders", ["eu-west-1", "us-east-1"])
    assert [(q["Id"], q["MetricStat"]["Metric"]["MetricName"]) for q in queries] == [
        ("latency0", "ReplicationLatency"),
        ("pending0", "PendingReplicationCount"),
        ("latency1", "ReplicationLatency"),
        ("pending1", "PendingReplicationCount"),
    ]
    assert queries[2]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "TableName", "Value": "orders"},
        {"Name": "ReceivingRegion", "Value": "us-east-1"},
    ]
    assert {q["MetricStat"]["Metric"]["Namespace"] for q in queries} == {"AWS/DynamoDB"}


def test_legacy_global_table_is_read_from_describe_global_table() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-east-1").add_response(
            "describe_table",
            {"Table": table_description("carts", "us-east-1")},
            {"TableName": "carts"},
        )
        clients.stub("dynamodb", "us-east-1").add_response(
            "describe_global_table",
            legacy_description("carts", ["us-east-1", "eu-west-1"]),
            {"GlobalTableName": "carts"},
        )
        expect_metric_data(
            clients,
            "us-east-1",
            [metric_result("latency0", NOW, [1200.0]), metric_result("pending0", NOW, [7.0, 3.0])],
            queries=2,
        )
        expect_metric_data(clients, "eu-west-1", [], queries=2)
        table = describe_replicas(clients, "carts", "us-east-1", NOW)
    assert table.version == LEGACY_VERSION
    assert [(r.region, r.status, r.is_source) for r in table.replicas] == [
        ("us-east-1", "ACTIVE", True),
        ("eu-west-1", "ACTIVE", False),
    ]
    lag = table.lag_into("eu-west-1")
    assert lag is not None
    assert (lag.latest_ms, lag.pending) == (1200.0, 7)


def test_table_without_replicas_is_not_global_after_checking_both_versions() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_response(
            "describe_table",
            {"Table": table_description("audit", "us-west-2")},
            {"TableName": "audit"},
        )
        clients.stub("dynamodb", "us-west-2").add_client_error(
            "describe_global_table",
            service_error_code="GlobalTableNotFoundException",
            service_message="Global table not found",
            http_status_code=400,
        )
        table = describe_replicas(clients, "audit", "us-west-2", NOW)
    assert not table.is_global
    assert table.version == ""
    assert table.legacy_checked
    assert [c for _, c in clients.calls] == ["DescribeTable", "DescribeGlobalTable"]


def test_get_metric_data_not_served_marks_metrics_unavailable() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_response(
            "describe_table",
            {"Table": table_description("orders", "us-west-2", replicas=[replica("us-east-1")])},
            {"TableName": "orders"},
        )
        clients.stub("cloudwatch", "us-west-2").add_client_error(
            "get_metric_data", service_error_code="500", http_status_code=500
        )
        table = describe_replicas(clients, "orders", "us-west-2", NOW)
    assert table.is_global
    assert not table.metrics_available
    assert table.lags == ()


def test_metrics_denied_in_one_region_is_a_note_not_a_failure() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_response(
            "describe_table",
            {"Table": table_description("orders", "us-west-2", replicas=[replica("us-east-1")])},
            {"TableName": "orders"},
        )
        expect_metric_data(
            clients, "us-west-2", [metric_result("latency0", NOW, [500.0])], queries=2
        )
        clients.stub("cloudwatch", "us-east-1").add_client_error(
            "get_metric_data", service_error_code="AccessDenied", http_status_code=403
        )
        table = describe_replicas(clients, "orders", "us-west-2", NOW)
    assert table.notes == ("lag from us-east-1 unavailable: opsbot may not read its metrics",)
    assert table.lag_into("us-east-1") is not None


def test_get_metric_data_pages_are_followed() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_response(
            "describe_table",
            {"Table": table_description("orders", "us-west-2", replicas=[replica("us-east-1")])},
            {"TableName": "orders"},
        )
        stub = clients.stub("cloudwatch", "us-west-2")
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [metric_result("latency0", NOW, [900.0])], "NextToken": "t1"},
            {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
        )
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [metric_result("latency0", NOW.replace(hour=9), [5000.0])]},
            {
                "MetricDataQueries": ANY,
                "StartTime": ANY,
                "EndTime": ANY,
                "ScanBy": ANY,
                "NextToken": "t1",
            },
        )
        expect_metric_data(clients, "us-east-1", [], queries=2)
        table = describe_replicas(clients, "orders", "us-west-2", NOW)
    lag = table.lag_into("us-east-1")
    assert lag is not None
    assert (lag.latest_ms, lag.max_ms) == (900.0, 5000.0)


def test_a_missing_table_is_table_not_found() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_client_error(
            "describe_table", service_error_code="ResourceNotFoundException", http_status_code=400
        )
        with pytest.raises(TableNotFound, match="us-west-2"):
            describe_replicas(clients, "nope-table", "us-west-2", NOW)


def test_describe_global_table_denied_is_not_allowed() -> None:
    with stubbed() as clients:
        clients.stub("dynamodb", "us-west-2").add_response(
            "describe_table",
            {"Table": table_description("audit", "us-west-2")},
            {"TableName": "audit"},
        )
        clients.stub("dynamodb", "us-west-2").add_client_error(
            "describe_global_table",
            service_error_code="AccessDeniedException",
            http_status_code=400,
        )
        with pytest.raises(NotAllowed):
            describe_replicas(clients, "audit", "us-west-2", NOW)


# --- moto: what the embedded AWS can do --------------------------------------------------------


def _create(dynamodb, name: str, tags: list[dict[str, str]] | None = None) -> None:  # type: ignore[no-untyped-def]
    kwargs = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if tags:
        kwargs["Tags"] = tags
    dynamodb.create_table(**kwargs)


def _moto_clients(service: str, region: str | None = None):  # type: ignore[no-untyped-def]
    return boto3.client(service, region_name=region or "us-west-2")


def test_moto_table_is_not_global_and_says_legacy_was_not_checked(aws: None) -> None:
    _create(_moto_clients("dynamodb"), "cloudacademy-courses")
    table = describe_replicas(_moto_clients, "cloudacademy-courses", "us-west-2", NOW)
    assert not table.is_global
    assert not table.legacy_checked  # moto does not implement DescribeGlobalTable


def test_tagged_tables_are_watched_when_none_are_configured(aws: None) -> None:
    west, east = _moto_clients("dynamodb", "us-west-2"), _moto_clients("dynamodb", "us-east-1")
    _create(west, "orders", [{"Key": "opsbot:watch", "Value": "true"}])
    _create(west, "scratch")
    _create(east, "carts", [{"Key": "opsbot:watch", "Value": ""}])
    _create(east, "muted", [{"Key": "opsbot:watch", "Value": "false"}])
    found = watched_tables(_moto_clients, [], ["us-west-2", "us-east-1"])
    assert found == (TableRef("orders", "us-west-2"), TableRef("carts", "us-east-1"))


def test_configured_tables_win_over_tags_and_get_the_default_region(aws: None) -> None:
    configured = [TableRef("orders"), TableRef("carts", "eu-west-1")]
    found = watched_tables(_moto_clients, configured, ["us-west-2", "us-east-1"])
    assert found == (TableRef("orders", "us-west-2"), TableRef("carts", "eu-west-1"))


def test_scan_alarms_reads_every_state_and_the_table_dimension(aws: None) -> None:
    cloudwatch = _moto_clients("cloudwatch")
    for name, metric in (("orders-read", "ReadThrottleEvents"), ("orders-errors", "SystemErrors")):
        table_alarm(cloudwatch, name, "orders", metric)
    cloudwatch.set_alarm_state(AlarmName="orders-errors", StateValue="ALARM", StateReason="x")
    alarms = {a.name: a for a in scan_alarms(cloudwatch)}
    assert alarms["orders-read"].metrics == frozenset({"ReadThrottleEvents"})
    assert alarms["orders-read"].table == "orders"
    assert alarms["orders-errors"].state == "ALARM"


def test_home_view_on_moto_describes_tables_and_reports_missing_ones(aws: None) -> None:
    _create(_moto_clients("dynamodb"), "orders")
    view = describe_home(
        _moto_clients,
        [TableRef("orders", "us-west-2"), TableRef("gone-table", "us-west-2")],
        NOW,
        max_backup_age=NOW - NOW.replace(day=20),
        capacity=10,
    )
    cards = {c.name: c for c in view.cards}
    assert cards["orders"].status is not None
    assert "PITR is off" in cards["orders"].risks
    assert any("no alarm on throttling" in r for r in cards["orders"].risks)
    assert "There is no table `gone-table` in us-west-2" in cards["gone-table"].error
    assert view.hidden == ()


def test_replicas_benchmark_reports_the_minimum_calls() -> None:
    from benchmarks import bench_replicas

    figures = bench_replicas.measure()
    assert figures["aws_calls.replicas_3_regions"] == 4
    assert figures["aws_calls.replicas_3_regions_vs_minimum"] == 1.0
