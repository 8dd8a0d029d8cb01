"""AWS Backup restore testing: its notices, through the SNS inbox, land in the table's drill
history (once per restore job, with its final verdict) and so in status and the digest."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from bot.aws.drills import drills_since, table_history
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import sns_inbox
from tests.conftest import load_event


def restore_test(**detail: Any) -> dict[str, Any]:
    """The documented restore testing job event (tests/events), with detail fields changed."""
    event = copy.deepcopy(load_event("sns-aws-backup-restore-testing-job.json"))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["detail"].update(detail)
    sns["Message"] = json.dumps(message)
    sns["MessageId"] = f"{sns['MessageId']}-{len(json.dumps(detail))}-{sorted(detail)}"
    return event


def test_a_completed_restore_test_is_a_passed_drill_of_its_table(
    runtime: Runtime, slack: SlackSink
) -> None:
    sns_inbox.handle(load_event("sns-aws-backup-restore-testing-job.json"), runtime)
    (record,) = table_history(runtime.state, "", "us-west-2", "orders")
    assert (record.passed, record.by) == (True, "aws-backup")
    assert record.job_id == "aws-backup-AB123456-78C9-0123-456D-789012E34567"


def test_a_failed_validation_replaces_the_passed_record_of_the_same_test(
    runtime: Runtime, slack: SlackSink
) -> None:
    sns_inbox.handle(restore_test(), runtime)
    sns_inbox.handle(
        restore_test(validationStatus="FAILED", statusMessage="row count mismatch"), runtime
    )
    (record,) = table_history(runtime.state, "", "us-west-2", "orders")
    assert not record.passed
    assert record.reasons == ("AWS Backup restore test validation FAILED: row count mismatch",)
    since = datetime(2026, 11, 15, tzinfo=UTC)
    assert [r.passed for r in drills_since(runtime.state, since)] == [False]


def test_a_running_restore_test_is_not_a_verdict(runtime: Runtime, slack: SlackSink) -> None:
    sns_inbox.handle(restore_test(status="RUNNING"), runtime)
    assert table_history(runtime.state, "", "us-west-2", "orders") == []


def test_a_restore_test_in_a_region_opsbot_does_not_manage_is_not_recorded(
    runtime: Runtime, slack: SlackSink
) -> None:
    event = restore_test(sourceResourceArn="arn:aws:dynamodb:eu-west-1:123456789012:table/orders")
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["region"] = "eu-west-1"
    message["detail"]["recoveryPointArn"] = message["detail"]["recoveryPointArn"].replace(
        "us-west-2", "eu-west-1"
    )
    sns["Message"] = json.dumps(message)
    sns_inbox.handle(event, runtime)
    assert table_history(runtime.state, "", "eu-west-1", "orders") == []
