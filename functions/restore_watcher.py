"""The restore function: one check of a restore job per SQS message.

Each message is `{"job": id, "check": n}`. Check 0, sent by the Slack worker when a restore
is confirmed, checks the plan once more and starts the restore; every later check looks at
the new table. A check that is not finished sends check n+1 with DelaySeconds, so the loop
lives in the queue and survives restarts. Checks are idempotent per (job, n): a message
delivered twice starts or posts once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from bot.batches import run_batch
from bot.runtime import Runtime, default_runtime
from bot.slack.restore_watch import watch_restore

logger = Logger(service="opsbot")


def _parse(record: Mapping[str, Any]) -> tuple[str, int]:
    body = json.loads(record["body"])
    job_id, check = body["job"], body["check"]
    if not isinstance(job_id, str) or not job_id or type(check) is not int or check < 0:
        raise ValueError(f"job {job_id!r} and check {check!r} do not name a check")
    return job_id, check


def _check(job_id: str, check: int, runtime: Runtime) -> None:
    outcome = watch_restore(job_id, check, runtime)
    logger.info("restore check", extra={"job": job_id, "check": check, "outcome": outcome})


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """Run the check of every record; return the ones the platform should retry."""
    return run_batch(
        event,
        what="restore check",
        parse=_parse,
        run=lambda parsed: _check(*parsed, runtime),
        log_fields=lambda parsed: {"job": parsed[0]},
        log=logger,
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())


def run_round(runtime: Runtime, *, queue_url: str | None = None) -> int:
    """One local round: one check per job from what is visible now; returns how many ran.

    A check this round schedules is left for the next round even when the queue shows it at
    once (a local queue may ignore DelaySeconds), so a round always ends.
    """
    sqs = runtime.client("sqs")
    url = queue_url or runtime.settings.restore_queue_url
    handled, jobs_seen, later = 0, set(), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            job = _job_of(message["Body"])
            if job in jobs_seen:
                later.append(message["ReceiptHandle"])
                continue
            jobs_seen.add(job)
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "eventSource": "aws:sqs",
            }
            if not handle({"Records": [record]}, runtime)["batchItemFailures"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
    for receipt in later:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return handled


def _job_of(body: str) -> str:
    try:
        return str(json.loads(body)["job"])
    except (KeyError, TypeError, ValueError):
        return ""
