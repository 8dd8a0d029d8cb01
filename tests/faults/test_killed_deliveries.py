"""A delivery killed by its Lambda's timeout after it claimed the work (a slow or rate-limited
Slack is enough): Lambda's retries, 1 and 3 min after the timeout, post it exactly once. A
delivery that meets an attempt still running fails, so the platform retries it later (and in
the end dead-letters it): never a "done" for work that was not done.

The kill is a BaseException raised while Slack is slow: like Lambda stopping the process, it
runs no ``except Exception`` clean-up, so the claim is left behind as a dead attempt's. The
runtime's clock and the process clock (time-machine) move together.
"""

from __future__ import annotations

import copy
import gzip
import json
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
import time_machine
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)

from bot.aws.idempotency import WAITS_S
from bot.aws.secrets import SlackCredentials
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.slack.notifier import Notifier
from functions import alarms, cloudtrail, sns_inbox
from tests.conftest import (
    BOT_TOKEN,
    REGION,
    SIGNING_SECRET,
    Clock,
    FakeLambdaContext,
    load_event,
)

# The functions' timeouts in deploy/functions/*.yml.
TIMEOUT_S = {alarms: 60, cloudtrail: 60, sns_inbox: 300}
BUCKET = "org-cloudtrail-logs"
ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"


class KilledAtTimeout(BaseException):
    """Lambda stopped the invocation at its timeout: nothing after this point runs."""


class Timeline:
    """The runtime's clock and the process clock (which Powertools reads), moved together."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._traveller: Any = None
        self._coordinates: Any = None

    def start(self, at: datetime) -> None:
        self.clock.current = at
        self._traveller = time_machine.travel(at, tick=False)
        self._coordinates = self._traveller.start()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self._coordinates.shift(timedelta(seconds=seconds))

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()


def waiting_with(monkeypatch: pytest.MonkeyPatch, sleep: Callable[[float], None]) -> None:
    """The waits for a live attempt call ``sleep`` instead of sleeping."""
    fake = types.SimpleNamespace(**{**vars(time), "sleep": sleep})
    monkeypatch.setattr("bot.aws.idempotency.time", fake)


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses taken waiting for a live attempt, recorded instead of slept."""
    recorded: list[float] = []
    waiting_with(monkeypatch, recorded.append)
    return recorded


@pytest.fixture
def timeline(clock: Clock) -> Iterator[Timeline]:
    moving = Timeline(clock)
    try:
        yield moving
    finally:
        moving.stop()


def plain_notice() -> dict[str, Any]:
    event = load_event("sns-aws-backup-job-completed.json")
    event["Records"][0]["Sns"].update(
        Message="Nightly load finished", Subject="etl", MessageId="plain-0001"
    )
    return event


def put_log_file(runtime: Runtime) -> None:
    """The log file the sample CloudTrail notice announces: PITR off and DeleteBackup."""
    notice = json.loads(
        load_event("sns-cloudtrail-log-delivery.json")["Records"][0]["Sns"]["Message"]
    )
    records = [
        load_event("eventbridge-cloudtrail-pitr-disabled.json")["detail"],
        load_event("eventbridge-cloudtrail-delete-backup.json")["detail"],
    ]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    body = gzip.compress(json.dumps({"Records": records}).encode())
    s3.put_object(Bucket=BUCKET, Key=notice["s3ObjectKey"][0], Body=body)


@dataclass(frozen=True)
class Door:
    """One way a notice reaches Slack: the function, its event, and when it is delivered."""

    function: ModuleType
    event: Callable[[], dict[str, Any]]
    at: datetime
    posts: int = 1
    setup: Callable[[Runtime], None] = field(default=lambda runtime: None)


DOORS = {
    "alarm-sns": Door(
        alarms,
        lambda: load_event("sns-alarm-write-throttle.json"),
        datetime(2026, 11, 22, 9, 45, tzinfo=UTC),  # 3 min after the ALARM
    ),
    "alarm-eventbridge": Door(
        alarms,
        lambda: load_event("eventbridge-alarm-replication-latency.json"),
        datetime(2026, 11, 22, 10, 5, tzinfo=UTC),
    ),
    "cloudtrail": Door(
        cloudtrail,
        lambda: load_event("eventbridge-cloudtrail-pitr-disabled.json"),
        datetime(2026, 11, 22, 9, 31, tzinfo=UTC),
    ),
    "inbox-alarm": Door(
        sns_inbox,
        lambda: load_event("sns-alarm-write-throttle.json"),
        datetime(2026, 11, 22, 9, 45, tzinfo=UTC),
    ),
    "inbox-backup-notice": Door(
        sns_inbox,
        lambda: load_event("sns-aws-backup-job-completed.json"),
        datetime(2026, 11, 22, 9, 45, tzinfo=UTC),
    ),
    "inbox-plain-notice": Door(sns_inbox, plain_notice, datetime(2026, 11, 22, 9, 45, tzinfo=UTC)),
    "inbox-trail-log-file": Door(
        sns_inbox,
        lambda: load_event("sns-cloudtrail-log-delivery.json"),
        datetime(2026, 11, 22, 9, 50, tzinfo=UTC),
        posts=2,
        setup=put_log_file,
    ),
}


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


def kill_at_the_first_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack is slow on the first post: the invocation times out before Slack answers."""
    real = Notifier.post
    left = {"kills": 1}

    def post(self: Notifier, *args: Any, **kwargs: Any) -> Any:
        if left["kills"]:
            left["kills"] -= 1
            raise KilledAtTimeout("Task timed out")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Notifier, "post", post)


def another_instance(runtime: Runtime, clock: Clock) -> Runtime:
    """A second Lambda instance of the same stack (its own clients and caches)."""
    return Runtime(
        runtime.settings,
        clock=clock,
        credentials_override=SlackCredentials(BOT_TOKEN, SIGNING_SECRET),
    )


@pytest.mark.parametrize("retry_after_s", [60, 180], ids=["first-retry", "second-retry"])
@pytest.mark.parametrize("door_name", list(DOORS))
def test_a_retry_after_an_attempt_killed_by_its_timeout_posts_exactly_once(
    runtime: Runtime,
    slack: SlackSink,
    timeline: Timeline,
    monkeypatch: pytest.MonkeyPatch,
    door_name: str,
    retry_after_s: int,
) -> None:
    door = DOORS[door_name]
    door.setup(runtime)
    timeline.start(door.at)
    kill_at_the_first_post(monkeypatch)
    with pytest.raises(KilledAtTimeout):
        door.function.handle(door.event(), runtime)
    assert posts(slack) == []

    # Lambda retries 1 min after the failure (the timeout), and 2 min after that.
    timeline.advance(TIMEOUT_S[door.function] + retry_after_s)
    door.function.handle(door.event(), another_instance(runtime, timeline.clock))
    assert len(posts(slack)) == door.posts

    timeline.advance(60)  # a later copy of the same delivery: nothing more
    door.function.handle(door.event(), runtime)
    assert len(posts(slack)) == door.posts


@pytest.mark.parametrize("door_name", list(DOORS))
def test_a_delivery_that_meets_a_live_attempt_fails_so_the_platform_retries_it(
    runtime: Runtime,
    slack: SlackSink,
    timeline: Timeline,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
    door_name: str,
) -> None:
    door = DOORS[door_name]
    door.setup(runtime)
    timeline.start(door.at)
    second = another_instance(runtime, timeline.clock)
    met: list[BaseException | str] = []
    real = Notifier.post

    def slow_post(self: Notifier, *args: Any, **kwargs: Any) -> Any:
        if not met:  # 20 s into the first attempt's post, another copy arrives
            timeline.advance(20)
            try:
                met.append(repr(door.function.handle(door.event(), second)))
            except Exception as exc:
                met.append(exc)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Notifier, "post", slow_post)
    door.function.handle(door.event(), runtime)
    assert len(met) == 1
    assert isinstance(met[0], IdempotencyAlreadyInProgressError), met
    assert waits == list(WAITS_S)  # it gave the live attempt 10 s to finish first
    assert len(posts(slack)) == door.posts

    # The platform retries the failed copy later: the work is done by then, nothing more.
    timeline.advance(60)
    door.function.handle(door.event(), second)
    assert len(posts(slack)) == door.posts


class ContextOfAnInvocation(FakeLambdaContext):
    """Lambda's context for an invocation with ``left_s`` seconds left when it was created."""

    def __init__(self, timeline: Timeline, left_s: float) -> None:
        self.timeline = timeline
        self.deadline = timeline.clock.current + timedelta(seconds=left_s)

    def get_remaining_time_in_millis(self) -> int:
        left = self.deadline - self.timeline.clock.current
        return max(0, int(left.total_seconds() * 1000))


def test_a_claim_made_in_lambda_lasts_only_what_is_left_of_the_invocation(
    runtime: Runtime, slack: SlackSink, timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attempt claims with 10 s left (it spent 50 s of its 60 s elsewhere), then dies.
    timeline.start(datetime(2026, 11, 22, 9, 45, tzinfo=UTC))
    kill_at_the_first_post(monkeypatch)
    event = load_event("sns-alarm-write-throttle.json")
    with pytest.raises(KilledAtTimeout):
        alarms.handler(copy.deepcopy(event), ContextOfAnInvocation(timeline, left_s=10))
    timeline.advance(11)
    assert alarms.handler(copy.deepcopy(event), ContextOfAnInvocation(timeline, 60)) == [
        "post_root"
    ]
    assert len(posts(slack)) == 1


def test_a_copy_that_meets_an_attempt_finishing_within_seconds_is_a_duplicate(
    runtime: Runtime, slack: SlackSink, timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SNS and the EventBridge copy of one state change arrive together: the second waits
    # while the first posts, and answers "duplicate" once the root is posted, not before.
    timeline.start(datetime(2026, 11, 22, 9, 45, tzinfo=UTC))
    posting, finish = threading.Event(), threading.Event()
    real = Notifier.post

    def slow_post(self: Notifier, *args: Any, **kwargs: Any) -> Any:
        posting.set()
        finish.wait(timeout=30)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Notifier, "post", slow_post)
    first: list[list[str]] = []
    attempt = threading.Thread(
        target=lambda: first.append(
            alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
        )
    )
    attempt.start()
    assert posting.wait(timeout=30)

    def first_attempt_finishes(pause: float) -> None:
        finish.set()
        attempt.join(timeout=30)

    waiting_with(monkeypatch, first_attempt_finishes)
    bridge = load_event("eventbridge-alarm-replication-latency.json")
    bridge.update(resources=[ARN], id="eb-copy-0001")
    bridge["detail"].update(
        alarmName="orders-write-throttle",
        state={"value": "ALARM", "timestamp": "2026-11-22T09:42:10.123+0000", "reason": "x"},
    )
    assert alarms.handle(bridge, another_instance(runtime, timeline.clock)) == ["duplicate"]
    assert first == [["post_root"]]
    assert len(posts(slack)) == 1
