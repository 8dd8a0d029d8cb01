"""CloudTrail LookupEvents (the who-changed fallback) against botocore's Stubber."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bot.aws.cloudtrail_lookup import Pacer, lookup_events

END = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
START = END - timedelta(days=7)


def entry(n: int, *, read_only: bool = False) -> dict[str, Any]:
    """A LookupEvents entry in AWS's documented shape."""
    name = "DescribeTable" if read_only else "UpdateTable"
    record = {
        "eventID": f"evt-{n:04d}",
        "eventName": name,
        "eventSource": "dynamodb.amazonaws.com",
        "eventTime": (END - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "readOnly": read_only,
        "requestParameters": {"tableName": "orders"},
    }
    return {
        "EventId": record["eventID"],
        "EventName": name,
        "ReadOnly": str(read_only).lower(),
        "EventTime": END - timedelta(minutes=n),
        "EventSource": "dynamodb.amazonaws.com",
        "Resources": [{"ResourceType": "AWS::DynamoDB::Table", "ResourceName": "orders"}],
        "CloudTrailEvent": json.dumps(record),
    }


def params(token: str | None = None) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "orders"}],
        "StartTime": START,
        "EndTime": END,
        "MaxResults": 50,
    }
    if token:
        expected["NextToken"] = token
    return expected


class FakeTime:
    """A monotonic clock that only moves when the code sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    cloudtrail = boto3.client("cloudtrail", region_name="us-west-2")
    with Stubber(cloudtrail) as stubber:
        yield cloudtrail, stubber
        stubber.assert_no_pending_responses()


def keep_changes(record: Any) -> bool:
    return not record.get("readOnly")


def test_lookup_follows_next_token_across_pages_paced_to_two_calls_a_second(
    client: tuple[Any, Stubber],
) -> None:
    cloudtrail, stubber = client
    stubber.add_response(
        "lookup_events",
        {"Events": [entry(i) for i in range(50)], "NextToken": "page-2"},
        params(),
    )
    stubber.add_response(
        "lookup_events", {"Events": [entry(i) for i in range(50, 60)]}, params("page-2")
    )
    fake = FakeTime()
    page = lookup_events(
        cloudtrail,
        "orders",
        start=START,
        end=END,
        want=100,
        pacer=Pacer(clock=fake.clock, sleep=fake.sleep),
    )
    assert [r["eventID"] for r in page.records] == [f"evt-{i:04d}" for i in range(60)]
    assert (page.more, page.next_token, page.calls) == (False, None, 2)
    assert fake.sleeps == [0.5]  # the second call waited for the 2 calls/s limit


def test_lookup_retries_throttling_then_succeeds(client: tuple[Any, Stubber]) -> None:
    cloudtrail, stubber = client
    stubber.add_client_error(
        "lookup_events",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
        expected_params=params(),
    )
    stubber.add_response("lookup_events", {"Events": [entry(1)]}, params())
    fake = FakeTime()
    page = lookup_events(
        cloudtrail,
        "orders",
        start=START,
        end=END,
        want=20,
        pacer=Pacer(clock=fake.clock, sleep=fake.sleep),
    )
    assert [r["eventID"] for r in page.records] == ["evt-0001"]
    assert fake.sleeps
    assert sum(fake.sleeps) >= 0.5


def test_lookup_gives_up_on_errors_other_than_throttling(client: tuple[Any, Stubber]) -> None:
    cloudtrail, stubber = client
    stubber.add_client_error("lookup_events", service_error_code="AccessDeniedException")
    fake = FakeTime()
    with pytest.raises(ClientError):
        lookup_events(
            cloudtrail,
            "orders",
            start=START,
            end=END,
            want=20,
            pacer=Pacer(clock=fake.clock, sleep=fake.sleep),
        )


def test_lookup_stops_at_want_and_resumes_where_it_stopped(client: tuple[Any, Stubber]) -> None:
    cloudtrail, stubber = client
    first_page = {"Events": [entry(i, read_only=i % 2 == 1) for i in range(10)], "NextToken": "p2"}
    stubber.add_response("lookup_events", first_page, params())
    stubber.add_response("lookup_events", first_page, params())  # resumed: same page again
    stubber.add_response("lookup_events", {"Events": [entry(20)]}, params("p2"))
    fake = FakeTime()
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    page = lookup_events(
        cloudtrail, "orders", start=START, end=END, want=3, pacer=pacer, keep=keep_changes
    )
    assert [r["eventID"] for r in page.records] == ["evt-0000", "evt-0002", "evt-0004"]
    assert (page.more, page.next_token, page.skip) == (True, None, 3)
    rest = lookup_events(
        cloudtrail,
        "orders",
        start=START,
        end=END,
        want=10,
        next_token=page.next_token,
        skip=page.skip,
        pacer=pacer,
        keep=keep_changes,
    )
    assert [r["eventID"] for r in rest.records] == ["evt-0006", "evt-0008", "evt-0020"]
    assert rest.more is False


def test_lookup_stops_after_max_calls_and_hands_back_the_token(client: tuple[Any, Stubber]) -> None:
    cloudtrail, stubber = client
    for n, token in enumerate(["a", "b"]):
        stubber.add_response(
            "lookup_events",
            {"Events": [entry(n, read_only=True)], "NextToken": token},
            params(None if n == 0 else "a"),
        )
    fake = FakeTime()
    page = lookup_events(
        cloudtrail,
        "orders",
        start=START,
        end=END,
        want=5,
        max_calls=2,
        pacer=Pacer(clock=fake.clock, sleep=fake.sleep),
        keep=keep_changes,
    )
    assert page.records == ()
    assert (page.more, page.next_token, page.calls) == (True, "b", 2)
