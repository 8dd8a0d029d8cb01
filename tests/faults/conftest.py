"""Fixtures of the fault-injection suite: retry sleeps recorded instead of slept, AWS faults
injected through botocore's event hooks, tables with back-dated backups, and SQS deliveries
that keep what the handler asked to retry."""

from __future__ import annotations

import json
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from bot.aws.backups import BackupPace
from bot.runtime import Runtime
from tests.aws.test_backups import FakeTime
from tests.conftest import REGION, Clock

# keep-daily=3 keeps the newest backup of each of the three newest days; five are deleted.
AGES = {
    "orders-1h": timedelta(hours=1),
    "orders-5h": timedelta(hours=5),
    "orders-1d": timedelta(days=1),
    "orders-2d": timedelta(days=2),
    "orders-3d": timedelta(days=3),
    "orders-10d": timedelta(days=10),
    "orders-40d": timedelta(days=40),
    "orders-100d": timedelta(days=100),
}
PLANNED = frozenset({"orders-5h", "orders-3d", "orders-10d", "orders-40d", "orders-100d"})
KEPT = frozenset(AGES) - PLANNED


def _fake_time(sleeps: list[float]) -> types.SimpleNamespace:
    """The ``time`` module with ``sleep`` recording instead of sleeping."""
    names = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    return types.SimpleNamespace(**{**names, "sleep": sleeps.append})


@pytest.fixture(autouse=True)
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[float]]:
    """Slack's and botocore's retry back-offs, recorded (in seconds) instead of slept."""
    recorded: dict[str, list[float]] = {"slack": [], "aws": []}
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time", _fake_time(recorded["slack"]))
    monkeypatch.setattr("slack_sdk.http_retry.handler.time", _fake_time(recorded["slack"]))
    monkeypatch.setattr("botocore.endpoint.time", _fake_time(recorded["aws"]))
    return recorded


def backup_names(table: str = "orders") -> set[str]:
    """The names of a table's backups that still exist."""
    client = boto3.client("dynamodb", region_name=REGION)
    summaries = client.list_backups(TableName=table)["BackupSummaries"]
    return {s["BackupName"] for s in summaries if s["BackupStatus"] != "DELETED"}


def create_table(name: str, *, tag: str | None = None, region: str = REGION) -> Any:
    """A pay-per-request table, tagged with a retention policy when ``tag`` is given."""
    client = boto3.client("dynamodb", region_name=region)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "opsbot:retention", "Value": tag}] if tag else [],
    )
    return client


@pytest.fixture
def orders(runtime: Runtime, clock: Clock) -> Runtime:
    """The orders table (tag keep-daily=3) with eight back-dated backups; no real sleeping."""
    fake = FakeTime()
    runtime.extras["backup_pace"] = BackupPace.with_clock(fake.clock, fake.sleep)
    client = create_table("orders", tag="keep-daily=3")
    for name, age in sorted(AGES.items(), key=lambda item: item[1], reverse=True):
        with time_machine.travel(clock.current - age, tick=False):
            client.create_backup(TableName="orders", BackupName=name)
    return runtime


@pytest.fixture
def aws_calls(runtime: Runtime) -> Counter[str]:
    """Every AWS operation that succeeded, counted by name (after-call: what AWS did)."""
    calls: Counter[str] = Counter()

    def count(event_name: str, http_response: Any = None, **_: Any) -> None:
        if http_response is not None and http_response.status_code < 300:
            calls[event_name.rsplit(".", 1)[-1]] += 1

    runtime.clients.on_event("after-call.*.*", count)
    return calls


def client_error(operation: str, code: str, message: str = "injected") -> ClientError:
    """The ClientError botocore raises for an AWS error response."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "injected"},
        },
        operation,
    )


def fail_calls(runtime: Runtime, operation: str, errors: dict[int, str]) -> Callable[[], list[int]]:
    """Raise a ClientError on the numbered calls of ``operation`` (1-based) before they reach
    AWS: our own retry code sees it, botocore's retries do not. Returns a reader of the calls
    made so far."""
    seen: list[int] = []

    def maybe_fail(**_: Any) -> None:
        seen.append(len(seen) + 1)
        code = errors.get(len(seen))
        if code:
            raise client_error(operation, code)

    runtime.clients.on_event(f"before-call.dynamodb.{operation}", maybe_fail)
    return lambda: list(seen)


def throttle_on_the_wire(
    runtime: Runtime,
    service: str,
    operation: str,
    times: int = 1,
    *,
    code: str = "ThrottlingException",
) -> None:
    """Answer the first ``times`` sends of ``operation`` with HTTP 400 and an AWS error
    ``code``: botocore's retry policy sees it like the real thing.

    botocore still hands each send to moto (it emits ``before-send`` to every handler and
    takes the first answer), so moto does the work and only its answer is lost: use it for
    reads, or to stand for "AWS did it, the answer did not arrive". A refusal that does
    nothing is :func:`refuse_in_moto`.
    """
    left = {"n": times}

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        if left["n"] <= 0:
            return None
        left["n"] -= 1
        body = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
            "message": "Rate of requests exceeds the allowed throughput.",
        }
        response = AWSResponse(
            request.url,
            400,
            {"x-amzn-requestid": "throttled", "content-type": "application/x-amz-json-1.0"},
            None,
        )
        response._content = json.dumps(body).encode()
        return response

    client = runtime.client(service)
    # First in line: moto answers every send from a handler registered before ours.
    client.meta.events.register_first(f"before-send.{service}.{operation}", throttle)


def refuse_in_moto(
    monkeypatch: pytest.MonkeyPatch, method: str, code: str, times: int = 1
) -> list[int]:
    """moto's DynamoDB ``method`` refuses its first ``times`` calls with an AWS error ``code``
    (HTTP 400, nothing done), as a throttled AWS does; returns the calls seen (1-based)."""
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.models import DynamoDBBackend

    real = getattr(DynamoDBBackend, method)
    seen: list[int] = []

    def refusing(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(seen) + 1)
        if len(seen) <= times:
            raise DynamodbException(
                f"com.amazonaws.dynamodb.v20120810#{code}", "Too many requests; slow down."
            )
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, method, refusing)
    return seen


def sqs_records(runtime: Runtime, queue_url: str) -> Iterator[dict[str, Any]]:
    """Every message on a queue as Lambda SQS records (left on the queue, hidden 10 min)."""
    sqs = runtime.client("sqs")
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", [])
        if not messages:
            return
        for m in messages:
            yield {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"}
