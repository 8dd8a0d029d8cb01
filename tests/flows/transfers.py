"""Set-up shared by the export and import tests (tests/flows/test_exports.py and
tests/flows/test_imports.py): the export bucket and follow-up queue, a `orders` table with
PITR on, moto's export threads, and the steps of a command that is refused or confirmed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from tests.conftest import ADMIN, OPERATOR, REGION, drain_work
from tests.functions.test_restore_watcher import (
    command,
    confirmation,
    make_table,
    press,
    restore_queue,
)

BUCKET = "acme-ddb-exports"


@pytest.fixture
def watch(runtime: Runtime) -> list[int]:
    """The follow-up queue, and the export bucket configured and created in the region."""
    runtime.settings = replace(runtime.settings, export_buckets=(BUCKET,))
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return restore_queue(runtime)


def pitr_table() -> Any:
    dynamodb = make_table()
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return dynamodb


def finish_moto_exports() -> None:
    """moto runs an export on a thread: wait for it, so a check sees it finished."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for export in dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].table_exports.values():
        export.join()


def answer_to(runtime: Runtime, slack: SlackSink, text: str) -> str:
    """The text of the one reply an operator's `/ddb <text>` gets."""
    command(text, user=OPERATOR, response_url=slack.response_url("answer"))
    drain_work(runtime)
    (reply,) = slack.responses("answer")
    return str(reply["text"])


def asked_to_confirm(slack: SlackSink) -> bool:
    """Whether any message posted so far has a Confirm button."""
    return any("confirm" in str(m.get("blocks")) for m in slack.messages.values())


def confirmed(runtime: Runtime, slack: SlackSink, text: str, *, user: str = ADMIN) -> str:
    """Send `/ddb <text>` and press Confirm on its plan, both as ``user``; the ts of the
    plan's message, whose thread the follow-up function answers in."""
    command(text, user=user)
    drain_work(runtime)
    value, ts = confirmation(slack)
    press("confirm", value, user=user, ts=ts)
    drain_work(runtime)
    return ts


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("dynamodb", region_name=REGION)
    return client, Stubber(client)
