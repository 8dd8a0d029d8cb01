"""AWS calls of `/ddb status <table>` and `/ddb backups <table>` (DESIGN.md section 10), each
against its minimum, run as the Slack worker runs them (a work item through
functions.slack_worker) on moto, counted with a botocore event hook.

Only calls about the table count: the state table's reads and writes (the work item's
claim, group caches) and the queue are the bot's own bookkeeping, reported apart.

One managed region first, where a bare table name needs no lookup. Minimums:
- status: DescribeTable, DescribeContinuousBackups (PITR window), ListBackups (newest
  backup), DescribeAlarms (alarms in ALARM, and which throttling alarms exist) and
  GetMetricData (the last hour's load of the table and its GSIs, one call): 5;
- backups: DescribeContinuousBackups (PITR window) and ListBackups (one page for a table
  with a few dozen backups): 2.

Then two managed regions (`*_two_regions`), `orders` in the first: a bare name may mean
either, so finding it takes one DescribeTable per managed region (in the worker, never in
the ack). Minimums: status 6 (the description found is reused, so its own DescribeTable is
not repeated), backups 4 (the two lookups, then its own two calls).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import boto3
from moto import mock_aws

from bot.aws.secrets import SlackCredentials
from bot.aws.work_queue import WorkItem
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from functions import slack_worker
from tests.conftest import create_state_table, table_alarm

REGION = "us-west-2"
STATE_TABLE = "opsbot-state"
BOOKKEEPING = ("sqs.", "sts.", "secretsmanager.")
MINIMUM = {"status": 5, "backups": 2}
MINIMUM_TWO_REGIONS = {"status": 6, "backups": 4}


def _orders(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_continuous_backups(
        TableName="orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    for n in range(30):
        dynamodb.create_backup(TableName="orders", BackupName=f"orders-{n:02d}")


def measure() -> dict[str, float | int]:
    """AWS calls about the table per command, and their ratio to the minimum."""
    figures = _measure([REGION], MINIMUM, "")
    figures.update(_measure([REGION, "us-east-1"], MINIMUM_TWO_REGIONS, "_two_regions"))
    return figures


def _measure(regions: list[str], minimum: dict[str, int], suffix: str) -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    with mock_aws(), SlackSink() as sink:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_state_table(dynamodb)
        _orders(dynamodb)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        table_alarm(cloudwatch, "orders-read-throttle", "orders", "ReadThrottleEvents")
        settings = parse_settings(
            {
                "aws": {"regions": regions},
                "channels": {"default": "C0OPSBOT1"},
                "roles": {"default": "viewer"},
                "state": {"table": STATE_TABLE},
            }
        )
        runtime = Runtime(
            replace(settings, slack_api_url=sink.base_url),
            credentials_override=SlackCredentials("xoxb-bench", "bench-signing-secret"),
        )
        calls: Counter[str] = Counter()

        def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
            name = event_name.removeprefix("provide-client-params.")
            if name.startswith(BOOKKEEPING) or params.get("TableName") == STATE_TABLE:
                calls["bookkeeping"] += 1
            else:
                calls[name] += 1

        runtime.clients.on_event("provide-client-params.*.*", count)
        for command in minimum:
            calls.clear()
            item = WorkItem(
                kind="command",
                user="U0VIEWER1",
                channel="C0OPSBOT1",
                text=f"{command} orders",
                response_url=sink.response_url(command),
                requested_at=runtime.epoch(),
            )
            record = {"messageId": command, "body": item.to_json(), "attributes": {}}
            assert slack_worker.handle({"Records": [record]}, runtime) == {"batchItemFailures": []}
            (reply,) = sink.responses(command)
            assert "orders" in str(reply.get("text")), reply
            bookkeeping = calls.pop("bookkeeping", 0)
            total = sum(calls.values())
            key = f"aws_calls.{command}{suffix}"
            figures[key] = total
            figures[f"{key}_vs_minimum"] = total / minimum[command]
            figures[f"{key}_bookkeeping"] = bookkeeping
            for name, n in sorted(calls.items()):
                figures[f"{key}.{name.split('.')[-1]}"] = n
    return figures
