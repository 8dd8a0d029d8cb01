"""AWS calls of one prune (DESIGN.md section 10): 250 backups, 200 to delete.

AWS pages ListBackups (about 1 MB a page; pages of 100 here, as moto does not page at all),
so the target is 3 ListBackups + 200 DeleteBackup and nothing else. The calls are the ones
a confirmed `/ddb prune --apply` and the nightly worker make against the table's region:
bot.aws.backups.list_backups, plan_prune, bot.aws.backups.delete_backups. Calls are
counted with a botocore event hook on a Stubber-backed client (no network, no sleeping:
the rate limiters run on a fake clock).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from bot.aws.backups import BackupPace, delete_backups, list_backups
from bot.domain.policy import parse_policy
from bot.domain.retention import plan_prune

REGION = "us-west-2"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:123456789012:table/orders"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BACKUPS, PAGE, KEEP = 250, 100, 50


def _arn(n: int) -> str:
    return f"{TABLE_ARN}/backup/{n:014d}-{n:08x}"


def _summary(n: int) -> dict[str, Any]:
    return {
        "TableName": "orders",
        "TableArn": TABLE_ARN,
        "BackupArn": _arn(n),
        "BackupName": f"orders-{n:04d}",
        "BackupCreationDateTime": NOW - timedelta(hours=n),
        "BackupStatus": "AVAILABLE",
        "BackupType": "USER",
        "BackupSizeBytes": 2**20,
    }


class _FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def measure() -> dict[str, int]:
    """AWS calls of a 250-backup prune that deletes 200, by operation."""
    client = boto3.client(
        "dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    calls: Counter[str] = Counter()
    client.meta.events.register(
        "before-parameter-build.dynamodb.*",
        lambda event_name, **_: calls.update([event_name.rsplit(".", 1)[1]]),
    )
    time = _FakeTime()
    pace = BackupPace.with_clock(time.clock, time.sleep)
    with Stubber(client) as stub:
        for start in range(1, BACKUPS + 1, PAGE):
            page: dict[str, Any] = {
                "BackupSummaries": [
                    _summary(n) for n in range(start, min(start + PAGE, BACKUPS + 1))
                ]
            }
            if start + PAGE <= BACKUPS:
                page["LastEvaluatedBackupArn"] = _arn(start + PAGE - 1)
            stub.add_response("list_backups", page)
        for _ in range(BACKUPS - KEEP):
            stub.add_response(
                "delete_backup",
                {"BackupDescription": {}, "ResponseMetadata": {"RequestId": "r"}},
                {"BackupArn": ANY},
            )
        backups = list_backups(client, "orders", region=REGION, pace=pace)
        plan = plan_prune(backups, parse_policy(f"keep-last={KEEP}"), NOW)
        result = delete_backups(client, plan.to_delete, pace=pace)
        stub.assert_no_pending_responses()
    assert len(result.deleted) == BACKUPS - KEEP, result.failed
    other = sum(n for op, n in calls.items() if op not in ("ListBackups", "DeleteBackup"))
    return {
        "aws_calls.prune_250": sum(calls.values()),
        "aws_calls.prune_250_list_backups": calls["ListBackups"],
        "aws_calls.prune_250_delete_backup": calls["DeleteBackup"],
        "aws_calls.prune_250_other": other,
        "aws_calls.prune_250_minimum": 3 + (BACKUPS - KEEP),
    }
