"""`/ddb export` and `/ddb exports` through the signed Slack entry: the confirmation, the
follow-up function's check 0 (re-check, bucket region, start) and the checks after it, on
moto; what moto fakes (ExportManifest, StartTime/EndTime, failures, limits) with Stubber and
AWS's documented ExportDescription."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import boto3
import pytest

from bot.aws.transfers import describe_export, recent_jobs, start_export
from bot.domain.errors import Conflict, LimitReached, UsageError
from bot.domain.exports import ExportPlan
from bot.domain.followed_jobs import COMPLETED, FAILED
from bot.domain.transfer_jobs import EXPORT
from bot.flows.exports.watch import watch_export
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.conftest import OPERATOR, REGION, VIEWER, drain_work
from tests.flows.transfers import (
    BUCKET,
    answer_to,
    asked_to_confirm,
    confirmed,
    finish_moto_exports,
    pitr_table,
    stubbed,
    watch,
)
from tests.functions.test_restore_watcher import CHANNEL, command, confirmation, make_table, press

__all__ = ["watch"]  # the fixture, from tests/flows/transfers.py

ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"
EXPORT_ARN = f"{ARN}/export/01764590000000-a1b2c3d4"


def exported_keys() -> list[str]:
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_export_is_confirmed_with_size_cost_and_destination_then_followed_to_completion(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    pitr_table()
    command("export orders --to s3://acme-ddb-exports/nightly", user=OPERATOR)
    assert drain_work(runtime) == 1
    value, ts = confirmation(slack)
    asked = slack.messages[(CHANNEL, ts)]
    assert asked["text"].startswith("Export orders (")
    assert "to s3://acme-ddb-exports/nightly? Estimated cost" in asked["text"]
    body = str(asked["blocks"])
    assert "`s3://acme-ddb-exports/nightly` (DynamoDB JSON)" in body
    assert "at $0.10/GB" in body
    assert exported_keys() == []  # nothing before the press

    press("confirm", value, user=OPERATOR, ts=ts)
    assert drain_work(runtime) == 1
    assert slack.thread(CHANNEL, ts) == []  # the worker only handed it over
    assert watch == [0]

    assert restore_round(runtime) == 1  # check 0 re-checks and starts it
    (started,) = slack.thread(CHANNEL, ts)
    assert started["text"].startswith(":arrow_forward: Export started by <@U0OPER001>")
    finish_moto_exports()
    assert restore_round(runtime) == 1  # check 1 sees it COMPLETED
    _, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(":white_check_mark: Export done: `orders` →")
    assert "(3 items" in done["text"]
    assert restore_round(runtime) == 0  # done: no further check
    (job,) = recent_jobs(runtime.state, EXPORT)
    assert (job.status, job.item_count) == (COMPLETED, 3)
    (key,) = exported_keys()
    assert key.startswith("nightly/AWSDynamoDB/")

    command("exports orders", user=VIEWER, response_url=slack.response_url("list"))
    drain_work(runtime)
    (listing,) = slack.responses("list")
    assert "`orders` (us-west-2) → `s3://acme-ddb-exports/nightly`" in str(listing["blocks"])
    assert f"https://slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}|thread" in str(
        listing["blocks"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "export orders --to s3://someone-elses-bucket/x",
            "`someone-elses-bucket` is not an export bucket",
        ),
        ("export orders --to s3://acme-ddb-exports --at 40d ago", "is outside the point-in-time"),
        ("export missing --to s3://acme-ddb-exports", "There is no table `missing`"),
    ],
    ids=["bucket-not-configured", "time-outside-window", "no-such-table"],
)
def test_bad_exports_get_a_clear_answer_and_nothing_is_asked(
    runtime: Runtime, slack: SlackSink, watch: list[int], text: str, expected: str
) -> None:
    pitr_table()
    assert expected in answer_to(runtime, slack, text)
    assert not asked_to_confirm(slack)


def test_export_of_a_table_without_pitr_says_how_to_turn_it_on(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    make_table()
    command("export orders --to s3://acme-ddb-exports", response_url=slack.response_url("off"))
    drain_work(runtime)
    (reply,) = slack.responses("off")
    assert "Point-in-time recovery is off for `orders`" in reply["text"]
    assert "`/ddb pitr orders on`" in reply["text"]


def test_a_viewer_may_list_exports_but_not_export(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    pitr_table()
    command(
        "export orders --to s3://acme-ddb-exports",
        user=VIEWER,
        response_url=slack.response_url("v"),
    )
    drain_work(runtime)
    assert "needs the *operator* role" in slack.responses("v")[-1]["text"]
    command("exports", user=VIEWER, response_url=slack.response_url("l"))
    drain_work(runtime)
    assert "No exports started by opsbot" in slack.responses("l")[-1]["text"]


def test_check_zero_refuses_a_bucket_in_another_region_and_starts_nothing(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    pitr_table()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="acme-exports-east")  # us-east-1: no LocationConstraint
    runtime.settings = replace(runtime.settings, export_buckets=(BUCKET, "acme-exports-east"))
    ts = confirmed(runtime, slack, "export orders --to s3://acme-exports-east/x")
    assert restore_round(runtime) == 1
    (refused,) = slack.thread(CHANNEL, ts)
    assert "did not start: The bucket `acme-exports-east` is in us-east-1" in refused["text"]
    assert (
        boto3.client("dynamodb", region_name=REGION).list_exports(TableArn=ARN)["ExportSummaries"]
        == []
    )
    (job,) = recent_jobs(runtime.state, EXPORT)
    assert job.status == FAILED
    assert restore_round(runtime) == 0


def test_a_check_delivered_twice_acts_once(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    pitr_table()
    # A prefix: moto 5.2.5 fails ExportTableToPointInTime without S3Prefix (AWS does not).
    ts = confirmed(runtime, slack, "export orders --to s3://acme-ddb-exports/x")
    (job,) = recent_jobs(runtime.state, EXPORT)
    assert watch_export(job.id, 0, runtime) == "started"
    assert watch_export(job.id, 0, runtime) == "already started"
    finish_moto_exports()
    assert watch_export(job.id, 1, runtime) == "completed"
    assert watch_export(job.id, 1, runtime) == "already checked"
    assert len(slack.thread(CHANNEL, ts)) == 2
    (key,) = exported_keys()  # one export, not two
    assert key


# ---- what moto fakes: AWS's documented shapes through Stubber ------------------------------

PLAN = ExportPlan("orders", REGION, ARN, BUCKET, "nightly", "DYNAMODB_JSON", 2**30, 0.10)


def test_describe_export_reads_the_manifest_size_and_times_aws_documents() -> None:
    client, stub = stubbed()
    stub.add_response(
        "describe_export",
        {
            "ExportDescription": {
                "ExportArn": EXPORT_ARN,
                "ExportStatus": "COMPLETED",
                "StartTime": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
                "EndTime": datetime(2026, 11, 22, 10, 17, tzinfo=UTC),
                "ExportManifest": (
                    "nightly/AWSDynamoDB/01764590000000-a1b2c3d4/manifest-summary.json"
                ),
                "TableArn": ARN,
                "ExportTime": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
                "S3Bucket": BUCKET,
                "S3Prefix": "nightly",
                "ExportFormat": "DYNAMODB_JSON",
                "BilledSizeBytes": 5_368_709_120,
                "ItemCount": 1_250_000,
                "ExportType": "FULL_EXPORT",
            }
        },
        {"ExportArn": EXPORT_ARN},
    )
    with stub:
        state = describe_export(client, EXPORT_ARN)
    assert state.status == "COMPLETED"
    assert (state.item_count, state.billed_bytes) == (1_250_000, 5_368_709_120)
    assert state.manifest.endswith("/manifest-summary.json")
    assert state.ended_at is not None
    assert state.started_at is not None
    assert state.ended_at - state.started_at == datetime(2026, 1, 1, 0, 17) - datetime(2026, 1, 1)


def test_a_failed_export_keeps_aws_failure_code_and_message() -> None:
    client, stub = stubbed()
    stub.add_response(
        "describe_export",
        {
            "ExportDescription": {
                "ExportArn": EXPORT_ARN,
                "ExportStatus": "FAILED",
                "FailureCode": "S3AccessDenied",
                "FailureMessage": "Access Denied <@here>",
            }
        },
        {"ExportArn": EXPORT_ARN},
    )
    with stub:
        state = describe_export(client, EXPORT_ARN)
    assert (state.status, state.failure_code) == ("FAILED", "S3AccessDenied")
    assert state.failure_message == "Access Denied <@here>"  # escaped when rendered


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ("LimitExceededException", LimitReached, "AWS allows no more exports of `orders`"),
        ("ResourceInUseException", Conflict, "`orders` is busy"),
        ("PointInTimeRecoveryUnavailableException", Conflict, "Point-in-time recovery is off"),
        ("InvalidExportTimeException", UsageError, "AWS refused the export time"),
        ("ExportConflictException", Conflict, "already running"),
    ],
    ids=["limit", "table-being-updated", "pitr-off", "bad-time", "conflict"],
)
def test_start_export_turns_aws_refusals_into_clear_answers(
    code: str, error: type[Exception], expected: str
) -> None:
    client, stub = stubbed()
    stub.add_client_error(
        "export_table_to_point_in_time", service_error_code=code, service_message="<b>nope</b>"
    )
    with stub, pytest.raises(error) as raised:
        start_export(client, PLAN, client_token="20261122T100000Z-ab12cd34")
    assert expected in str(raised.value)
    assert "<b>" not in str(raised.value)


def test_start_export_asks_aws_once_per_job_with_its_client_token() -> None:
    client, stub = stubbed()
    stub.add_response(
        "export_table_to_point_in_time",
        {"ExportDescription": {"ExportArn": EXPORT_ARN, "ExportStatus": "IN_PROGRESS"}},
        {
            "TableArn": ARN,
            "S3Bucket": BUCKET,
            "S3Prefix": "nightly",
            "ExportFormat": "DYNAMODB_JSON",
            "ExportType": "INCREMENTAL_EXPORT",
            "ClientToken": "20261122T100000Z-ab12cd34",
            "IncrementalExportSpecification": {
                "ExportFromTime": datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
                "ExportViewType": "NEW_AND_OLD_IMAGES",
            },
        },
    )
    incremental = replace(PLAN, incremental=True, start=datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    with stub:
        arn, _ = start_export(client, incremental, client_token="20261122T100000Z-ab12cd34")
    assert arn == EXPORT_ARN
