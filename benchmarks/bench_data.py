"""Data out, back and across regions: AWS calls of an export, an import and a replica add,
from the validation of the command through check 0 (the start) to the check that sees it
done, each against its minimum (DESIGN.md section 10). Counted with a botocore
`before-call` hook on moto; the replica calls moto lacks are answered by Stubber in AWS's
documented shapes (benchmarks/bench_replicas.py's counting clients).

The minimums: an export must read the table (DescribeTable: ARN and size; its PITR window:
DescribeContinuousBackups), start (ExportTableToPointInTime) and store the job, then once
look (DescribeExport) and store the end: 6. An import must list its objects
(ListObjectsV2), see that the new table is free (DescribeTable) and read the `--like`
table's key (DescribeTable), start (ImportTable) and store the job, then look
(DescribeImport) and store the end: 7. What opsbot adds: the re-check at start, the bucket's
region, the once-per-check claims, the next check's message and the audit record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import ANY
from moto import mock_aws

from benchmarks.bench_replicas import CountingClients
from bot.aws.replica_changes import save_job as save_replica_job
from bot.aws.secrets import SlackCredentials
from bot.aws.transfers import save_job
from bot.domain.exports import ExportRequest, S3Location
from bot.domain.imports import ImportRequest
from bot.domain.replica_changes import ADD, ReplicaJob
from bot.domain.transfer_jobs import EXPORT, IMPORT, TransferJob
from bot.flows.exports.watch import validate_export, validate_import, watch_export, watch_import
from bot.flows.places import EXTRAS_KEY
from bot.flows.replicas.watch import validate_change, watch_replica
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import Settings

REGION = "us-west-2"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
BUCKET = "bench-ddb-exports"
EXPORT_MINIMUM = 6
IMPORT_MINIMUM = 7
REPLICA_ADD_MINIMUM = 6
EAST = "us-east-1"


def _counter(runtime: Runtime) -> Callable[[Callable[[], object]], int]:
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name] += 1

    runtime.clients.on_event("before-call.*.*", count)

    def measured(run: Callable[[], object]) -> int:
        before = sum(calls.values())
        run()
        return sum(calls.values()) - before

    return measured


def _join_moto_threads() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    for job in [*backend.table_exports.values(), *backend.table_imports.values()]:
        job.join()


def _job(kind: str, job_id: str, plan: dict[str, Any], table: str, prefix: str) -> TransferJob:
    return TransferJob(
        job_id,
        kind,
        table,
        REGION,
        BUCKET,
        prefix,
        "DYNAMODB_JSON",
        "U1",
        "C1",
        "",
        NOW,
        plan=plan,
    )


def _setup() -> Settings:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
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
    for i in range(20):
        dynamodb.put_item(TableName="orders", Item={"id": {"S": f"order-{i}"}})
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="follow")["QueueUrl"]
    return Settings(regions=(REGION, EAST), restore_queue_url=queue, export_buckets=(BUCKET,))


class AccountStubs(CountingClients):
    """Counting stubbed clients in the shape of the runtime's account-aware factory."""

    def client(self, service: str, region: str | None = None, account: Any = None) -> Any:
        return self(service, region)


def _table(replicas: list[dict[str, str]] | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {
        "TableName": "orders",
        "TableStatus": "ACTIVE",
        "TableArn": f"arn:aws:dynamodb:{REGION}:123456789012:table/orders",
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "TableSizeBytes": 48_000,
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    if replicas is not None:
        table["GlobalTableVersion"] = "2019.11.21"
        table["Replicas"] = replicas
    return table


def _replica_add(runtime: Runtime, aws_calls: Callable[[Callable[[], object]], int]) -> int:
    """Calls of one replica add: validation, check 0, the check that sees it ACTIVE."""
    stubs = AccountStubs()
    runtime.extras[EXTRAS_KEY] = stubs
    dynamodb = stubs.stub("dynamodb", REGION)

    def described(table: dict[str, Any], *, legacy: bool = False) -> None:
        dynamodb.add_response("describe_table", {"Table": table}, {"TableName": "orders"})
        if legacy:
            dynamodb.add_client_error(
                "describe_global_table", service_error_code="GlobalTableNotFoundException"
            )

    described(_table(), legacy=True)
    moto_calls = aws_calls(lambda: validate_change(runtime, "orders", REGION, ADD, EAST))
    job = ReplicaJob("r1", "orders", REGION, EAST, ADD, "U1", "C1", "", NOW)
    save_replica_job(runtime.state, job, now=NOW.timestamp())
    described(_table())
    described(_table(), legacy=True)
    dynamodb.add_response(
        "update_table",
        {"TableDescription": _table()},
        {"TableName": "orders", "ReplicaUpdates": ANY},
    )
    moto_calls += aws_calls(lambda: watch_replica(job.id, 0, runtime))
    active = _table([{"RegionName": EAST, "ReplicaStatus": "ACTIVE"}])
    described(active)
    described(active)
    for region in (REGION, EAST):
        stubs.stub("cloudwatch", region).add_response(
            "get_metric_data",
            {"MetricDataResults": []},
            {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
        )
    moto_calls += aws_calls(lambda: watch_replica(job.id, 1, runtime))
    for stubber in stubs.stubbers.values():
        stubber.assert_no_pending_responses()
    return moto_calls + len(stubs.calls)


def measure() -> dict[str, float | int]:
    """Calls of one export and one import, stage by stage and in all, against the minimums."""
    with mock_aws(), SlackSink() as sink:
        settings = _setup()
        runtime = Runtime(
            replace(settings, slack_api_url=sink.base_url),
            clock=lambda: NOW,
            credentials_override=SlackCredentials("x", "y"),
        )
        runtime.state  # noqa: B018 - build the state client before counting
        aws_calls = _counter(runtime)

        wanted = ExportRequest("orders", REGION, S3Location(BUCKET, "bench"))
        plans: list[Any] = []
        export_validate = aws_calls(lambda: plans.append(validate_export(runtime, wanted, NOW)))
        job = _job(EXPORT, "e1", plans[-1].to_payload(), "orders", "bench")
        save_job(runtime.state, job, now=NOW.timestamp())
        export_start = aws_calls(lambda: watch_export(job.id, 0, runtime))
        _join_moto_threads()
        export_final = aws_calls(lambda: watch_export(job.id, 1, runtime))

        source = ImportRequest(S3Location(BUCKET, "bench"), "orders-copy", REGION, like="orders")
        import_validate = aws_calls(lambda: plans.append(validate_import(runtime, source)))
        plan = plans[-1]
        job = _job(IMPORT, "i1", plan.to_payload(), "orders-copy", plan.prefix)
        save_job(runtime.state, job, now=NOW.timestamp())
        import_start = aws_calls(lambda: watch_import(job.id, 0, runtime))
        _join_moto_threads()
        import_final = aws_calls(lambda: watch_import(job.id, 1, runtime))
        replica_add = _replica_add(runtime, aws_calls)

    export_total = export_validate + export_start + export_final
    import_total = import_validate + import_start + import_final
    return {
        # DescribeTable + DescribeContinuousBackups; minimum 2
        "aws_calls.export_validate": export_validate,
        # job read, claim, the validation again, GetBucketLocation, the export, job write,
        # check 1 sent, audit record, claim done; minimum 2 (the export, the job write)
        "aws_calls.export_start": export_start,
        # job read, claim, DescribeExport, job write, claim done; minimum 2
        "aws_calls.export_final_check": export_final,
        "aws_calls.export": export_total,
        "aws_calls.export.min": EXPORT_MINIMUM,
        "aws_calls.export_vs_min_ratio": export_total / EXPORT_MINIMUM,
        # ListObjectsV2 + DescribeTable (new name free) + DescribeTable (--like); minimum 3
        "aws_calls.import_validate": import_validate,
        "aws_calls.import_start": import_start,
        "aws_calls.import_final_check": import_final,
        "aws_calls.import": import_total,
        "aws_calls.import.min": IMPORT_MINIMUM,
        "aws_calls.import_vs_min_ratio": import_total / IMPORT_MINIMUM,
        # validation (DescribeTable, DescribeGlobalTable); check 0 (job read, claim, a
        # change of ours already under way?, the validation again, UpdateTable, job write,
        # check 1 sent, audit record, claim done); the final check (job read, claim,
        # DescribeTable, then the lag: DescribeTable + GetMetricData per region, job write,
        # claim done)
        "aws_calls.replica_add": replica_add,
        "aws_calls.replica_add.min": REPLICA_ADD_MINIMUM,
        "aws_calls.replica_add_vs_min_ratio": replica_add / REPLICA_ADD_MINIMUM,
    }
