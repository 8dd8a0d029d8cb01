"""`/ddb status` with its live load, end to end: a signed slash command through slack_http,
the worker on moto (DynamoDB) and CloudWatch answered by botocore's Stubber in AWS's shapes
(DescribeAlarms, then the one GetMetricData call)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
from botocore.stub import Stubber

from bot.domain.table_load import load_queries
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.conftest import REGION, Clock
from tests.flows.test_replicas_and_home import run_command


def create_provisioned_table_with_a_gsi() -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
        ],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 25, "WriteCapacityUnits": 10},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-customer",
                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
    )


def series(query_id: str, clock: Clock, values: list[float]) -> dict[str, Any]:
    """One MetricDataResults entry, newest first as CloudWatch answers by default."""
    stamps = [clock() - timedelta(minutes=5 * (i + 1)) for i in range(len(values))]
    return {
        "Id": query_id,
        "Label": query_id,
        "Timestamps": stamps,
        "Values": list(reversed(values)),
        "StatusCode": "Complete",
    }


def test_status_shows_the_last_hours_load_from_one_getmetricdata_call(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    create_provisioned_table_with_a_gsi()
    cloudwatch = runtime.client("cloudwatch", REGION)
    calls: list[str] = []
    cloudwatch.meta.events.register(
        "before-parameter-build.cloudwatch.*", lambda model, **_: calls.append(model.name)
    )
    answer = {
        "MetricDataResults": [
            series("cr0", clock, [1500.0, 3000.0, 6000.0]),
            series("pr0", clock, [25.0, 25.0, 25.0]),
            series("cw0", clock, [300.0, 600.0]),
            series("pw0", clock, [10.0, 10.0]),
            series("rt0", clock, [0.0, 0.0, 7.0]),
            series("cr1", clock, [900.0]),
            series("pr1", clock, [5.0]),
            series("lat0", clock, [3.0, 4.5]),
        ],
        "Messages": [],
    }
    expected = {
        "MetricDataQueries": load_queries("orders", ["by-customer"]),
        "StartTime": clock() - timedelta(hours=1),
        "EndTime": clock(),
        "ScanBy": "TimestampAscending",
    }
    with Stubber(cloudwatch) as stub:
        stub.add_response("describe_alarms", {"MetricAlarms": [], "CompositeAlarms": []})
        stub.add_response("get_metric_data", answer, expected)
        reply = run_command(runtime, slack, "status orders", "load1")
        stub.assert_no_pending_responses()

    assert calls == ["DescribeAlarms", "GetMetricData"]
    (load,) = [b for b in reply["blocks"] if "*Load*" in json.dumps(b)]
    assert load["text"]["text"].split("\n") == [
        "*Load* · last hour, 5-minute points",
        "`orders`: reads 20/25 RCU/s, peak 20 ▁▃█ · writes 2/10 WCU/s, peak 2 ▁█"
        " · :warning: 7 throttle events ▁▁█",
        "GSI `by-customer`: reads 3/5 RCU/s · writes 0 WCU/s · no throttle events",
        "Latency (average): GetItem 4.5 ms ▁█",
    ]


def test_status_answers_without_the_load_when_cloudwatch_refuses_it(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_provisioned_table_with_a_gsi()
    cloudwatch = runtime.client("cloudwatch", REGION)
    with Stubber(cloudwatch) as stub:
        stub.add_response("describe_alarms", {"MetricAlarms": [], "CompositeAlarms": []})
        stub.add_client_error(
            "get_metric_data",
            service_error_code="AccessDenied",
            service_message="not authorized to perform: cloudwatch:GetMetricData",
            http_status_code=403,
        )
        reply = run_command(runtime, slack, "status orders", "load2")
    text = json.dumps(reply, ensure_ascii=False)
    assert "*Status*" in text
    assert (
        "*Load* · last hour, 5-minute points: unavailable (CloudWatch answered `AccessDenied`)"
        in text
    )


def test_status_on_moto_reads_an_idle_table(runtime: Runtime, slack: SlackSink) -> None:
    create_provisioned_table_with_a_gsi()
    reply = run_command(runtime, slack, "status orders", "load3")
    assert "No consumed capacity, throttle events or requests in the last hour." in json.dumps(
        reply, ensure_ascii=False
    )
