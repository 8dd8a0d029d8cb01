"""Audit trail: AWS calls of `/ddb who-changed` on 100 stored changes, and the ingest rate of a
5,000-record CloudTrail log file (one S3 read, batched writes, the tables' context items),
both against moto in-process."""

from __future__ import annotations

import copy
import gzip
import json
import os
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REGION = "us-west-2"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
BUCKET = "org-cloudtrail-logs"
KEY = "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/bench.json.gz"


def _runtime() -> Any:
    import boto3

    from bot.runtime import Runtime
    from bot.settings import parse_settings
    from tests.conftest import create_state_table

    create_state_table(boto3.client("dynamodb", region_name=REGION))
    settings = parse_settings({"aws": {"regions": [REGION]}, "state": {"table": "opsbot-state"}})
    return Runtime(settings, clock=lambda: NOW)


def _count(runtime: Any) -> Counter[str]:
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    runtime.clients.on_event("before-call.*.*", hook)
    return calls


def _record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))["detail"]
    return data


def _who_changed_100() -> dict[str, int]:
    from bot.aws.audit import mark_installed, store_events
    from bot.domain.audit import normalize
    from bot.flows.audit.commands import Cursor, who_changed_page

    runtime = _runtime()
    base = normalize(_record("eventbridge-cloudtrail-pitr-disabled.json"))
    assert base is not None
    events = [
        replace(base, event_id=f"evt-{i:04d}", time=NOW - timedelta(hours=1, minutes=i))
        for i in range(100)
    ]
    state = runtime.state
    mark_installed(state, {"123456789012"}, now=NOW - timedelta(days=30), cache=None)
    store_events(state, events, history_days=400)
    cursor = Cursor(
        table="orders",
        region=REGION,
        since=int((NOW - timedelta(days=7)).timestamp()),
        until=int(NOW.timestamp()),
        limit=100,
        source="cloudtrail",
    )
    calls = _count(runtime)
    cold = who_changed_page(runtime, cursor, first=True)  # a fresh process reads the marker
    cold_calls = sum(calls.values())
    calls.clear()
    warm = who_changed_page(runtime, cursor, first=True)
    assert len(cold.events) == len(warm.events) == 100
    assert warm.source == "history"
    return {
        "aws_calls.who_changed_100": sum(calls.values()),
        "aws_calls.who_changed_100_queries": calls["dynamodb:Query"],
        "aws_calls.who_changed_100_cold_process": cold_calls,
        "aws_calls.who_changed_100_minimum": 1,
    }


def _log_file(count: int) -> bytes:
    templates = [
        _record(name)
        for name in (
            "cloudtrail/tag-resource.json",
            "cloudtrail/untag-resource.json",
            "cloudtrail/create-table.json",
            "cloudtrail/export-table.json",
            "cloudtrail/contributor-insights.json",
        )
    ]
    records = []
    for i in range(count):
        record = copy.deepcopy(templates[i % len(templates)])
        record["eventID"] = f"bench-{i:06d}"
        record["requestID"] = f"REQ{i:06d}"
        record["eventTime"] = (NOW - timedelta(seconds=count - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(record)
    return gzip.compress(json.dumps({"Records": records}).encode())


NAME_ITEMS = {
    "FilterExpression": "begins_with(pk, :name)",
    "ExpressionAttributeValues": {":name": {"S": "NAME#"}},
}


def _ingest_log_file_5000() -> dict[str, float | int]:
    import boto3

    from bot.domain.sns_inbox import LogFileNotice
    from bot.flows.audit.ingest import ingest_log_files

    runtime = _runtime()
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=_log_file(5000))
    calls = _count(runtime)
    start = time.perf_counter()
    result = ingest_log_files(LogFileNotice(BUCKET, (KEY,)), runtime)
    elapsed = time.perf_counter() - start
    assert result.kept == result.stored == 5000, result
    pages = runtime.state.client.get_paginator("scan").paginate(
        TableName=runtime.settings.state_table, **NAME_ITEMS
    )
    names = sum(len(page["Items"]) for page in pages)
    return {
        "ingest_log_file_5000": 5000 / elapsed,
        "ingest_log_file_5000_s3_reads": calls["s3:GetObject"],
        "ingest_log_file_5000_batch_writes": calls["dynamodb:BatchWriteItem"],
        # 5,000 history items and one name-index item per table and place, 25 a call
        "ingest_log_file_5000_batch_writes_minimum": -(-(5000 + names) // 25),
        "ingest_log_file_5000_attribution_batch_gets": calls["dynamodb:BatchGetItem"],
        # The tables' context items (their latest changes, for alarms): ten changes a call,
        # at most the latest 20 per table, and a trim where a table had more.
        "ingest_log_file_5000_context_updates": calls["dynamodb:UpdateItem"],
    }


def measure() -> dict[str, float | int]:
    """who-changed AWS calls against their minimum; log-file ingest rate (records/s) and calls."""
    from moto import mock_aws

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    figures: dict[str, float | int] = {}
    with mock_aws():
        figures.update(_who_changed_100())
    with mock_aws():
        figures.update(_ingest_log_file_5000())
    return figures
