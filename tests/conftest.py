"""Shared fixtures: moto in-process for AWS, a local Slack Web API, signed Slack requests.

No test reaches the internet: AWS calls go to moto, Slack calls to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import hypothesis
import pytest
from moto import mock_aws

from bot.aws.secrets import SlackCredentials, clear_cache
from bot.local.slack_requests import (
    function_url_event as function_url_event,  # re-exported for the tests
)
from bot.local.slack_requests import signed_headers, slash_command_body
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime, set_default_runtime
from bot.settings import Settings, parse_settings

EVENTS = Path(__file__).parent / "events"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
REGION = "us-west-2"
ADMIN = "U0ADMIN01"
OPERATOR = "U0OPER001"
VIEWER = "U0VIEW001"


# CI (`.ci/run` sets CI=1) runs a fixed set of generated examples, so whether a submission
# lands does not depend on luck; elsewhere hypothesis keeps exploring new ones, and a
# failure prints the example to pin as a case.
hypothesis.settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


def load_event(name: str) -> dict[str, Any]:
    """An event payload from tests/events/."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override, so nothing can reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "OPSBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "opsbot-test")
    clear_cache()
    set_default_runtime(None)


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process for the length of one test."""
    with mock_aws():
        yield


@pytest.fixture
def slack() -> Iterator[SlackSink]:
    """Slack's Web API on 127.0.0.1, recording every call."""
    sink = SlackSink(usergroups={"S0DBAOPS1": [OPERATOR]})
    try:
        yield sink
    finally:
        sink.stop()


def base_settings(**overrides: Any) -> Settings:
    """Settings for tests: one admin, an operator group, everyone else a viewer."""
    raw = {
        "aws": {"regions": [REGION, "us-east-1"]},
        "channels": {"default": "C0OPSBOT1"},
        "roles": {
            "default": "viewer",
            "admin": {"users": [ADMIN]},
            "operator": {"groups": ["S0DBAOPS1"]},
        },
        "state": {"table": "opsbot-state"},
    }
    return replace(parse_settings(raw), **overrides)


def table_alarm(
    cloudwatch: Any,
    name: str,
    table: str,
    metric: str,
    *,
    threshold: float = 1,
    comparison: str = "GreaterThanOrEqualToThreshold",
    state: str = "",
    reason: str = "test",
) -> None:
    """A CloudWatch alarm on one metric of a DynamoDB table (Sum over 60 s), put in ``state``
    when one is given."""
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/DynamoDB",
        MetricName=metric,
        Dimensions=[{"Name": "TableName", "Value": table}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=threshold,
        ComparisonOperator=comparison,
    )
    if state:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def create_state_table(client: Any, name: str = "opsbot-state") -> None:
    """The state table as serverless.yml creates it."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


class Clock:
    """A settable clock for the runtime."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    """Now is 2026-11-22 10:00 UTC unless a test moves it."""
    return Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))


@pytest.fixture
def at_alarm_time(clock: Clock) -> Clock:
    """The clock three minutes after the sample ALARM (tests/events/sns-alarm-*.json) fired."""
    clock.current = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
    return clock


@pytest.fixture
def runtime(aws: None, slack: SlackSink, clock: Clock) -> Runtime:
    """A runtime on moto and the local Slack, with the state table and the work queue."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_state_table(dynamodb)
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="opsbot-work")[
        "QueueUrl"
    ]
    settings = base_settings(work_queue_url=queue_url, slack_api_url=slack.base_url)
    rt = Runtime(
        settings,
        clock=clock,
        credentials_override=SlackCredentials(BOT_TOKEN, SIGNING_SECRET),
    )
    set_default_runtime(rt)
    return rt


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Slack's request signature headers for ``body``."""
    return signed_headers(body, secret, timestamp=timestamp)


def slash_body(
    text: str, *, user: str = ADMIN, channel: str = "C0OPSBOT1", response_url: str = ""
) -> str:
    """The form body Slack posts for `/ddb <text>`."""
    return slash_command_body(text, user=user, channel=channel, response_url=response_url)


def block_action_body(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str = "C0OPSBOT1",
    response_url: str = "",
    ts: str = "",
) -> str:
    """The form body Slack posts when a button is pressed."""
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0LOCAL"},
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "message_ts": ts},
        "message": {"ts": ts},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action_id, "value": value, "block_id": "b", "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def drain_work(runtime: Runtime, *, attempts: int = 1) -> int:
    """Deliver every queued work item to functions.slack_worker like Lambda's SQS trigger."""
    from functions import slack_worker

    sqs = runtime.client("sqs")
    handled = 0
    while True:
        response = sqs.receive_message(
            QueueUrl=runtime.settings.work_queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return handled
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": str(attempts)},
                "eventSource": "aws:sqs",
            }
            for m in messages
        ]
        result = slack_worker.handle({"Records": records}, runtime)
        assert result == {"batchItemFailures": []}
        for m in messages:
            sqs.delete_message(
                QueueUrl=runtime.settings.work_queue_url, ReceiptHandle=m["ReceiptHandle"]
            )
        handled += len(messages)


class FakeLambdaContext:
    """The attributes of Lambda's context object that powertools reads."""

    function_name = "opsbot-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-west-2:123456789012:function:opsbot-test"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/opsbot-test"
    log_stream_name = "2026/11/22/[$LATEST]0"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def lambda_context() -> FakeLambdaContext:
    """A Lambda context for handler calls."""
    return FakeLambdaContext()
