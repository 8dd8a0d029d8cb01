"""Restore drills: AWS calls of a whole drill against its minimum (moto), and a modeled 10 GB
drill: the real follower, check by check, with the scratch table restoring for 40 minutes and
10,240 one-megabyte Scan pages to count (botocore before-call hooks answer those calls as
AWS would, as Stubber does). Counts, not times: the same on any machine."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from bot.aws.drills import load_drill, save_drill
from bot.aws.secrets import SlackCredentials
from bot.domain.backups import GIB
from bot.domain.drill_jobs import new_drill
from bot.domain.drills import DrillSource, restore_cost, scratch_name
from bot.flows.drills.follow import follow_drill
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import Settings

REGION = "us-west-2"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MODEL_BYTES = 10 * GIB
MODEL_PAGES = MODEL_BYTES // 2**20  # Scan pages of 1 MB
MODEL_ITEMS = MODEL_BYTES // 1024  # 1 KB items
MODEL_RESTORE = timedelta(minutes=40)
# A drill's least AWS work: start the restore, see the copy ACTIVE, describe the source, one
# count page, one sample read, delete the copy, see it gone, write the result.
DRILL_MIN_CALLS = 8


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _runtime(sink: SlackSink, clock: _Clock, queue: str, **drills: Any) -> Runtime:
    settings = replace(
        Settings(regions=(REGION,)), restore_queue_url=queue, slack_api_url=sink.base_url
    )
    settings = replace(settings, drills=replace(settings.drills, **drills))
    runtime = Runtime(settings, clock=clock, credentials_override=SlackCredentials("x", "y"))
    runtime.state  # noqa: B018 - build the state client before counting
    return runtime


def _tables(dynamodb: Any) -> str:
    for name, key in (("opsbot-state", ["pk", "sk"]), ("orders", ["id"])):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": k, "KeyType": t}
                for k, t in zip(key, ("HASH", "RANGE"), strict=False)
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in key],
            BillingMode="PAY_PER_REQUEST",
        )
    for i in range(3):
        dynamodb.put_item(TableName="orders", Item={"id": {"S": str(i)}})
    backup = dynamodb.create_backup(TableName="orders", BackupName="nightly")
    return str(backup["BackupDetails"]["BackupArn"])


def _run(runtime: Runtime, job_id: str, delays: list[int], clock: _Clock) -> int:
    """Run the drill's checks in order, the clock moved by each delay asked; the checks run."""
    check = 0
    while True:
        delays.clear()
        follow_drill(job_id, check, runtime)
        job = load_drill(runtime.state, job_id)
        assert job is not None
        if job.finished:
            return check + 1
        (delay,) = delays
        clock.now += timedelta(seconds=delay)
        check += 1


def _start(runtime: Runtime, source: DrillSource, arn: str) -> str:
    job = new_drill(
        "20261122T030000Z-bench",
        table="orders",
        region=REGION,
        account="",
        scratch=scratch_name("orders", NOW),
        source=replace(source, backup_arn=arn),
        requester="U1",
        channel="C1",
        thread_ts="",
        now=NOW,
        cost=restore_cost(source.size_bytes, 0.15),
    )
    save_drill(runtime.state, job, now=NOW.timestamp())
    return job.id


def _hooks(runtime: Runtime, delays: list[int], calls: Counter[str]) -> None:
    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    def delay(params: dict[str, Any], **_: Any) -> None:
        delays.append(int(params.get("DelaySeconds", 0)))

    runtime.clients.on_event("before-call.*.*", count)
    runtime.clients.on_event("provide-client-params.sqs.SendMessage", delay)


def _modeled(runtime: Runtime, clock: _Clock) -> None:
    """Answer the scratch table's DescribeTable as restoring for MODEL_RESTORE, and its count
    Scan as MODEL_PAGES pages, as AWS documents those responses."""
    started: list[datetime] = []

    def restored(**_: Any) -> None:
        started.append(clock.now)

    def describe(params: dict[str, Any], **_: Any) -> Any:
        body = json.loads(params["body"])
        restoring = bool(started) and clock.now - started[0] < MODEL_RESTORE
        if body["TableName"].startswith("opsbot-drill-") and restoring:
            table = {"TableName": body["TableName"], "TableStatus": "CREATING"}
            table["RestoreSummary"] = {"RestoreInProgress": True}
            return AWSResponse(None, 200, {}, None), {"Table": table}
        return None

    def scan(params: dict[str, Any], **_: Any) -> Any:
        body = json.loads(params["body"])
        if body.get("Select") != "COUNT":
            return None
        page = int((body.get("ExclusiveStartKey") or {}).get("id", {}).get("S", "0"))
        parsed: dict[str, Any] = {"Count": MODEL_ITEMS // MODEL_PAGES, "ScannedCount": 1}
        if page + 1 < MODEL_PAGES:
            parsed["LastEvaluatedKey"] = {"id": {"S": str(page + 1)}}
        return AWSResponse(None, 200, {}, None), parsed

    runtime.clients.on_event("after-call.dynamodb.RestoreTableFromBackup", restored)
    runtime.clients.on_event("before-call.dynamodb.DescribeTable", describe)
    runtime.clients.on_event("before-call.dynamodb.Scan", scan)


def measure() -> dict[str, float | int]:
    """A moto drill's calls against the minimum; a modeled 10 GB drill's calls and posts."""
    figures: dict[str, float | int] = {}
    with mock_aws(), SlackSink() as sink:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        arn = _tables(dynamodb)
        queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="q")["QueueUrl"]
        clock, delays, calls = _Clock(), [], Counter[str]()
        runtime = _runtime(sink, clock, queue)
        _hooks(runtime, delays, calls)
        source = DrillSource(kind="backup", backup_name="nightly", size_bytes=1024)
        checks = _run(runtime, _start(runtime, source, arn), delays, clock)
        total = sum(calls.values())
        # besides the minimum: per check the record read, claim and its completion, the
        # record writes; check 0's re-validation (target absent, backup, restores running) and
        # its look for leftover scratch tables; the source's count (DescribeBackup); the
        # history and the digest's log (two writes)
        figures["aws_calls.drill"] = total
        figures["aws_calls.drill_vs_min_ratio"] = total / DRILL_MIN_CALLS
        figures["drill_checks"] = checks
        figures["drill_slack_posts"] = len(sink.calls_to("chat.postMessage"))

    with mock_aws(), SlackSink() as sink:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        arn = _tables(dynamodb)
        queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="q")["QueueUrl"]
        clock, delays, calls = _Clock(), [], Counter[str]()
        runtime = _runtime(sink, clock, queue, sample=3)
        _hooks(runtime, delays, calls)
        _modeled(runtime, clock)
        source = DrillSource(
            kind="backup", backup_name="nightly", size_bytes=MODEL_BYTES, source_count=None
        )
        job_id = _start(runtime, source, arn)
        # the source's count at the backup: what DescribeBackup would say of a 10 GB table
        described = {
            "BackupDetails": {
                "BackupArn": arn,
                "BackupName": "nightly",
                "BackupSizeBytes": MODEL_BYTES,
                "BackupStatus": "AVAILABLE",
                "BackupType": "USER",
                "BackupCreationDateTime": NOW - timedelta(hours=3),
            },
            "SourceTableDetails": {"TableName": "orders", "ItemCount": MODEL_ITEMS},
        }
        runtime.clients.on_event(
            "before-call.dynamodb.DescribeBackup",
            lambda **_: (AWSResponse(None, 200, {}, None), {"BackupDescription": described}),
        )
        checks = _run(runtime, job_id, delays, clock)
        job = load_drill(runtime.state, job_id)
        assert job is not None
        assert job.passed, job.reasons
        figures["drill_10gb_checks"] = checks
        figures["drill_10gb_aws_calls"] = sum(calls.values())
        figures["drill_10gb_scan_pages"] = calls["dynamodb.Scan"] - 1  # less the sample read
        figures["drill_10gb_slack_posts"] = len(sink.calls_to("chat.postMessage"))
        figures["drill_10gb_modeled_minutes"] = round((clock.now - NOW).total_seconds() / 60)
        figures["drill_10gb_cost_usd"] = round(job.cost, 2)
    return figures
