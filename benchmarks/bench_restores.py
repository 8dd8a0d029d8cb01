"""Restores: AWS calls to validate a restore and per watcher check (each against its minimum),
and Slack posts over an hour-long restore against the checks made (DESIGN.md section 10)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws

from bot.aws.restores import enqueue_check, save_job
from bot.aws.secrets import SlackCredentials
from bot.domain.restore_jobs import RestoreJob, TargetState, decide_check
from bot.domain.restores import RestoreRequest
from bot.flows.restores.watch import validate_restore, watch_restore
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import Settings

REGION = "us-west-2"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _table(dynamodb: Any, name: str, keys: list[str]) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": k, "KeyType": t}
            for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        BillingMode="PAY_PER_REQUEST",
    )


def _counter(runtime: Runtime) -> Callable[[Callable[[], object]], int]:
    """A function that runs something and returns how many AWS calls it made."""
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    runtime.clients.on_event("before-call.*.*", count)

    def measured(run: Callable[[], object]) -> int:
        before = sum(calls.values())
        run()
        return sum(calls.values()) - before

    return measured


def _slack_posts_over(minutes: int, poll: timedelta, slow_after: timedelta) -> tuple[int, int]:
    job = RestoreJob("j", "orders", REGION, "copy", "pitr", "U1", "C1", "1.0", NOW, latest=True)
    posts = checks = 0
    for minute in range(0, minutes + 1, int(poll.total_seconds() // 60)):
        target = TargetState("ACTIVE" if minute == minutes else "CREATING", minute < minutes)
        decision = decide_check(
            job, target, NOW + timedelta(minutes=minute), poll_every=poll, slow_after=slow_after
        )
        checks += 1
        posts += decision.post_progress or decision.post_slow_warning or decision.job.finished
        job = decision.job
    return posts, checks


def measure() -> dict[str, float | int]:
    """Calls per operation against their minimum, and thread posts per check."""
    with mock_aws(), SlackSink() as sink:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _table(dynamodb, "opsbot-state", ["pk", "sk"])
        _table(dynamodb, "orders", ["id"])
        dynamodb.update_continuous_backups(
            TableName="orders",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        dynamodb.create_backup(TableName="orders", BackupName="nightly")
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="watch")["QueueUrl"]
        settings = replace(
            Settings(regions=(REGION,)), restore_queue_url=queue, slack_api_url=sink.base_url
        )
        runtime = Runtime(
            settings, clock=lambda: NOW, credentials_override=SlackCredentials("x", "y")
        )
        runtime.state  # noqa: B018 - build the state client before counting
        aws_calls = _counter(runtime)

        pitr = RestoreRequest("orders", REGION, latest=True, to="orders-copy")
        backup = RestoreRequest("orders", REGION, backup="nightly", to="orders-copy")
        validate_pitr = aws_calls(lambda: validate_restore(runtime, pitr, NOW))
        validate_backup = aws_calls(lambda: validate_restore(runtime, backup, NOW))

        starting = RestoreJob(
            "j0", "orders", REGION, "orders-new", "pitr", "U1", "C1", "", NOW, latest=True
        )
        save_job(runtime.state, replace(starting, status="starting"), now=NOW.timestamp())
        start = aws_calls(lambda: watch_restore(starting.id, 0, runtime))

        dynamodb.restore_table_from_backup(
            TargetTableName="orders-copy",
            BackupArn=dynamodb.list_backups(TableName="orders")["BackupSummaries"][0]["BackupArn"],
        )
        job = RestoreJob("j1", "orders", REGION, "orders-copy", "backup", "U1", "C1", "", NOW)
        save_job(runtime.state, job, now=NOW.timestamp())
        enqueue_check(sqs, queue, job.id, 1, delay_s=0)
        check = aws_calls(lambda: watch_restore(job.id, 1, runtime))
        posts_before = len(sink.calls_to("chat.postMessage"))
        duplicate = aws_calls(lambda: watch_restore(job.id, 1, runtime))
        duplicate_posts = len(sink.calls_to("chat.postMessage")) - posts_before

    posts, checks = _slack_posts_over(60, timedelta(minutes=5), timedelta(minutes=90))
    return {
        # window + target absent + running-jobs query; minimum 2 (window, target)
        "restore_validate_pitr_aws_calls": validate_pitr,
        "restore_validate_pitr_vs_min_ratio": validate_pitr / 2,
        # ListBackups + target absent + running-jobs query; minimum 2
        "restore_validate_backup_aws_calls": validate_backup,
        "restore_validate_backup_vs_min_ratio": validate_backup / 2,
        # check 0: job read, claim, the validation above, the restore, job write, check 1
        # sent, claim done, and the audit record of its request id; minimum 2 (the restore
        # and the job write)
        "restore_start_aws_calls": start,
        "restore_start_vs_min_ratio": start / 2,
        # job read, claim, DescribeTable, job write, claim done; minimum 2 (describe, job write)
        "watch_check_final_aws_calls": check,
        "watch_check_final_vs_min_ratio": check / 2,
        "watch_check_duplicate_aws_calls": duplicate,
        "watch_check_duplicate_slack_posts": duplicate_posts,
        # an hour-long restore polled every 5 min: 3 progress replies + completion
        "watch_hour_slack_posts": posts,
        "watch_hour_posts_per_check_ratio": posts / checks,
    }
