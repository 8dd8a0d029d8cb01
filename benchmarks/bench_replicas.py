"""AWS calls of `/ddb replicas` on a 3-region global table vs. its minimum (DESIGN.md §10).

The minimum is 1 DescribeTable + 1 GetMetricData per replica region (each region is a
source of replication to the others). Calls are counted with a botocore `before-call` hook
on Stubber-backed clients shaped as AWS documents the responses (moto has no global tables).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from bot.aws.replicas import describe_replicas

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
REGIONS = ("us-west-2", "eu-west-1", "us-east-1")
TABLE = "orders"


class CountingClients:
    """A ``(service, region) -> client`` factory of stubbed clients that counts every call."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubbers: dict[tuple[str, str], Stubber] = {}
        self.calls: list[str] = []

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or REGIONS[0])
        if key not in self.clients:
            client = boto3.client(
                service,
                region_name=key[1],
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            client.meta.events.register(
                "before-call.*.*", lambda model, **_: self.calls.append(model.name)
            )
            stubber = Stubber(client)
            stubber.activate()
            self.clients[key], self.stubbers[key] = client, stubber
        return self.clients[key]

    def stub(self, service: str, region: str) -> Stubber:
        self(service, region)
        return self.stubbers[(service, region)]


def _queue_responses(clients: CountingClients) -> None:
    source, *others = REGIONS
    clients.stub("dynamodb", source).add_response(
        "describe_table",
        {
            "Table": {
                "TableName": TABLE,
                "TableStatus": "ACTIVE",
                "TableArn": f"arn:aws:dynamodb:{source}:123456789012:table/{TABLE}",
                "GlobalTableVersion": "2019.11.21",
                "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in others],
            }
        },
        {"TableName": TABLE},
    )
    for region in REGIONS:
        results = [
            {
                "Id": f"latency{i}",
                "Timestamps": [NOW - timedelta(minutes=m) for m in range(60)],
                "Values": [800.0 + m for m in range(60)],
                "StatusCode": "Complete",
            }
            for i in range(len(REGIONS) - 1)
        ]
        clients.stub("cloudwatch", region).add_response(
            "get_metric_data",
            {"MetricDataResults": results},
            {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
        )


def measure() -> dict[str, float | int]:
    """Calls for one `/ddb replicas` on a 3-region table, the minimum, and their ratio."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGIONS[0])
    clients = CountingClients()
    _queue_responses(clients)
    table = describe_replicas(clients, TABLE, REGIONS[0], NOW)
    assert len(table.replicas) == len(REGIONS)
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()
    minimum = 1 + len(REGIONS)
    return {
        "aws_calls.replicas_3_regions": len(clients.calls),
        "aws_calls.replicas_3_regions.describe_table": clients.calls.count("DescribeTable"),
        "aws_calls.replicas_3_regions.get_metric_data": clients.calls.count("GetMetricData"),
        "aws_calls.replicas_3_regions_vs_minimum": len(clients.calls) / minimum,
    }
