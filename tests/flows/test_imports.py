"""`/ddb import` through the signed Slack entry: an export of `orders` imported back into a
new table on moto (confirmation with the source's size and cost, check 0, the checks after
it); what moto fakes (ErrorCount with its log group, refusals) with Stubber and AWS's
documented ImportTableDescription."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.aws.transfers import describe_import, recent_jobs, start_import
from bot.domain.errors import Conflict, LimitReached
from bot.domain.followed_jobs import COMPLETED
from bot.domain.imports import ImportPlan, KeyAttribute
from bot.domain.transfer_jobs import IMPORT
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.conftest import OPERATOR, REGION, drain_work
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
from tests.functions.test_restore_watcher import CHANNEL, command, confirmation, press

__all__ = ["watch"]  # the fixture, from tests/flows/transfers.py

IMPORT_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders-copy/import/01764590000000-a1b2"


def exported_orders() -> Any:
    """`orders` (3 items) exported by moto to s3://acme-ddb-exports/nightly."""
    dynamodb = pitr_table()
    arn = dynamodb.describe_table(TableName="orders")["Table"]["TableArn"]
    dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="nightly")
    finish_moto_exports()
    return dynamodb


def finish_moto_imports() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for job in dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].table_imports.values():
        job.join()


def test_an_export_is_imported_back_into_a_new_table_and_followed_to_completion(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb = exported_orders()
    command("import s3://acme-ddb-exports/nightly --to orders-copy --like orders", user=OPERATOR)
    assert drain_work(runtime) == 1
    value, ts = confirmation(slack)
    asked = slack.messages[(CHANNEL, ts)]
    assert asked["text"].startswith("Import s3://acme-ddb-exports/nightly/AWSDynamoDB/")
    assert "into new table orders-copy? Estimated cost" in asked["text"]
    body = str(asked["blocks"])
    assert "*Objects*\\n1 object, " in body
    assert "compression GZIP" in body
    assert "`id:S` (partition), as `orders`" in body
    assert "at $0.15/GB" in body
    assert "orders-copy" not in dynamodb.list_tables()["TableNames"]

    press("confirm", value, user=OPERATOR, ts=ts)
    assert drain_work(runtime) == 1
    assert restore_round(runtime) == 1  # check 0 checks again and starts it
    (started,) = slack.thread(CHANNEL, ts)
    assert started["text"].startswith(":arrow_forward: Import started by <@U0OPER001>")
    finish_moto_imports()
    assert restore_round(runtime) == 1
    _, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(":white_check_mark: Import done:")
    assert "(3 items imported, 0 errors)" in done["text"]
    assert dynamodb.scan(TableName="orders-copy")["Count"] == 3
    (job,) = recent_jobs(runtime.state, IMPORT)
    assert (job.status, job.item_count, job.error_count) == (COMPLETED, 3, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "import s3://acme-ddb-exports/nightly --to orders --key id",
            "A table named `orders` already exists in us-west-2. An import always creates",
        ),
        ("import s3://someone-elses-bucket/x --to orders-copy --key id", "not an export bucket"),
        (
            "import s3://acme-ddb-exports/empty --to orders-copy --key id",
            "There is nothing under `s3://acme-ddb-exports/empty` to import.",
        ),
        (
            "import s3://acme-ddb-exports/nightly --to orders-copy --like missing",
            "There is no table `missing` in us-west-2 to copy the key of.",
        ),
    ],
    ids=["existing-table", "bucket-not-configured", "nothing-there", "like-table-missing"],
)
def test_bad_imports_get_a_clear_answer_and_nothing_is_asked(
    runtime: Runtime, slack: SlackSink, watch: list[int], text: str, expected: str
) -> None:
    exported_orders()
    assert expected in answer_to(runtime, slack, text)
    assert not asked_to_confirm(slack)


def test_check_zero_refuses_a_table_created_since_the_confirmation(
    runtime: Runtime, slack: SlackSink, watch: list[int]
) -> None:
    dynamodb = exported_orders()
    text = "import s3://acme-ddb-exports/nightly --to orders-copy --key id"
    ts = confirmed(runtime, slack, text, user=OPERATOR)
    dynamodb.create_table(
        TableName="orders-copy",
        KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert restore_round(runtime) == 1
    (refused,) = slack.thread(CHANNEL, ts)
    assert "did not start: A table named `orders-copy` already exists" in refused["text"]
    assert dynamodb.scan(TableName="orders-copy")["Count"] == 0


# ---- what moto fakes: AWS's documented shapes through Stubber ------------------------------

PLAN = ImportPlan(
    "orders-copy", REGION, BUCKET, "nightly/", "CSV", "NONE", KeyAttribute("id"), None, 2, 10, 0.0
)


def test_describe_import_reads_errors_and_their_log_group_as_aws_documents() -> None:
    client, stub = stubbed()
    stub.add_response(
        "describe_import",
        {
            "ImportTableDescription": {
                "ImportArn": IMPORT_ARN,
                "ImportStatus": "COMPLETED",
                "TableArn": "arn:aws:dynamodb:us-west-2:123456789012:table/orders-copy",
                "S3BucketSource": {"S3Bucket": BUCKET, "S3KeyPrefix": "nightly/"},
                "ErrorCount": 2,
                "CloudWatchLogGroupArn": (
                    "arn:aws:logs:us-west-2:123456789012:log-group:/aws-dynamodb/imports:*"
                ),
                "InputFormat": "CSV",
                "InputCompressionType": "NONE",
                "StartTime": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
                "EndTime": datetime(2026, 11, 22, 10, 9, tzinfo=UTC),
                "ProcessedSizeBytes": 10_240,
                "ProcessedItemCount": 100,
                "ImportedItemCount": 98,
            }
        },
        {"ImportArn": IMPORT_ARN},
    )
    with stub:
        state = describe_import(client, IMPORT_ARN)
    assert (state.status, state.item_count, state.error_count) == ("COMPLETED", 98, 2)
    assert state.log_group.endswith("log-group:/aws-dynamodb/imports:*")


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ("ResourceInUseException", Conflict, "never writes into an existing table"),
        ("LimitExceededException", LimitReached, "AWS allows no more imports"),
        ("ImportConflictException", Conflict, "already running"),
    ],
    ids=["table-exists-or-busy", "limit", "conflict"],
)
def test_start_import_turns_aws_refusals_into_clear_answers(
    code: str, error: type[Exception], expected: str
) -> None:
    client, stub = stubbed()
    stub.add_client_error("import_table", service_error_code=code, service_message="<b>no</b>")
    with stub, pytest.raises(error) as raised:
        start_import(client, PLAN, client_token="20261122T100000Z-ab12cd34")
    assert expected in str(raised.value)
    assert "<b>" not in str(raised.value)
