"""AWS-documented response shapes for global tables, which moto does not implement.

Shapes follow the DynamoDB API reference (DescribeTable `Replicas`, DescribeGlobalTable
`GlobalTableDescription`) and CloudWatch GetMetricData `MetricDataResults`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

ACCOUNT = "123456789012"


class StubbedClients:
    """A ``(service, region) -> client`` factory whose clients answer from Stubbers."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubbers: dict[tuple[str, str], Stubber] = {}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or "us-west-2")
        if key not in self.clients:
            client = boto3.client(service, region_name=key[1])
            client.meta.events.register(
                "before-call.*.*",
                lambda model, _key=key, **_: self.calls.append((_key[1], model.name)),
            )
            self.clients[key] = client
            self.stubbers[key] = Stubber(client)
            self.stubbers[key].activate()
        return self.clients[key]

    def client(self, service: str, region: str | None = None) -> Any:
        """Runtime.client's signature, for code that takes a runtime."""
        return self(service, region)

    def stub(self, service: str, region: str) -> Stubber:
        """The Stubber of one client (created on first use)."""
        self(service, region)
        return self.stubbers[(service, region)]

    def assert_no_pending(self) -> None:
        """Every queued response was used."""
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@contextmanager
def stubbed() -> Iterator[StubbedClients]:
    """Stubbed clients; fails the test if a queued response was not asked for."""
    clients = StubbedClients()
    yield clients
    clients.assert_no_pending()


def table_description(
    name: str,
    region: str,
    *,
    replicas: list[dict[str, Any]] | None = None,
    status: str = "ACTIVE",
    version: str | None = None,
) -> dict[str, Any]:
    """A DescribeTable `Table` as AWS documents it (a 2019.11.21 global table with replicas)."""
    table: dict[str, Any] = {
        "TableName": name,
        "TableStatus": status,
        "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "ItemCount": 1200,
        "TableSizeBytes": 48_000,
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
        "DeletionProtectionEnabled": True,
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    if replicas is not None:
        table["Replicas"] = replicas
        table["GlobalTableVersion"] = version or "2019.11.21"
    return table


def replica(region: str, status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    """One DescribeTable `Replicas` entry."""
    return {"RegionName": region, "ReplicaStatus": status, **extra}


def legacy_description(name: str, regions: list[str], status: str = "ACTIVE") -> dict[str, Any]:
    """A DescribeGlobalTable response for a 2017.11.29 global table."""
    return {
        "GlobalTableDescription": {
            "ReplicationGroup": [{"RegionName": r} for r in regions],
            "GlobalTableArn": f"arn:aws:dynamodb::{ACCOUNT}:global-table/{name}",
            "CreationDateTime": datetime(2019, 3, 1),
            "GlobalTableStatus": status,
            "GlobalTableName": name,
        }
    }


def metric_result(
    query_id: str, now: datetime, values: list[float], label: str = ""
) -> dict[str, Any]:
    """One MetricDataResults entry, newest value first (ScanBy TimestampDescending)."""
    return {
        "Id": query_id,
        "Label": label or query_id,
        "Timestamps": [now - timedelta(minutes=i) for i in range(len(values))],
        "Values": values,
        "StatusCode": "Complete",
    }


def expect_metric_data(
    clients: StubbedClients, region: str, results: list[dict[str, Any]], queries: int
) -> None:
    """Queue one GetMetricData answer in ``region`` and check it asks ``queries`` queries."""

    class _Count:
        def __eq__(self, other: object) -> bool:
            return isinstance(other, list) and len(other) == queries

    clients.stub("cloudwatch", region).add_response(
        "get_metric_data",
        {"MetricDataResults": results, "Messages": []},
        {
            "MetricDataQueries": _Count(),
            "StartTime": ANY,
            "EndTime": ANY,
            "ScanBy": "TimestampDescending",
        },
    )
