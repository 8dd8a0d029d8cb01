"""The nightly digest, exactly once whatever the crash point (issue 16, finding 10).

The last table's worker posts the digest, then records that it did. A worker that dies in
between (stopped by an exception, killed by its timeout, or unable to record) used to leave
the digest unrecorded: the queue's redelivery posted it a second time. The digest now
carries Slack message metadata naming its run, and a retry after an unrecorded attempt looks
for it in the channel's history (conversations.history on the local Slack) first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.aws.state import StateStore
from bot.flows.backups.prune_digest import DIGEST_EVENT, DIGEST_LEASE_S
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.slack.notifier import Notifier
from functions import prune_scheduler
from tests.conftest import Clock
from tests.faults.conftest import KEPT, backup_names, sqs_records
from tests.faults.test_aws_faults import DIGEST_CHANNEL, SCHEDULE_EVENT, digests
from tests.faults.test_crash_resume import LambdaStopped, deliver, nightly  # noqa: F401


class KilledAtTimeout(BaseException):
    """Lambda stopped the invocation: no ``except Exception`` clean-up runs after this."""


def stop_once(
    monkeypatch: pytest.MonkeyPatch, cls: type, name: str, error: BaseException, *, after: bool
) -> list[int]:
    """Make ``cls.name`` raise ``error`` the first time it is called for the digest (before
    or after the real call); the list counts the digest calls."""
    real = getattr(cls, name)
    calls: list[int] = []

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        is_digest = DIGEST_CHANNEL in args or "prune-digest" in args
        if not is_digest:
            return real(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 1 and not after:
            raise error
        result = real(self, *args, **kwargs)
        if len(calls) == 1:
            raise error
        return result

    monkeypatch.setattr(cls, name, wrapped)
    return calls


CRASHES: dict[str, Callable[[pytest.MonkeyPatch], list[int]]] = {
    # The worker stopped right after Slack took the digest, before anything was recorded.
    "stopped-after-the-post": lambda mp: stop_once(
        mp, Notifier, "post", LambdaStopped("stopped after the post"), after=True
    ),
    # Lambda's timeout killed it there: not even the claim is released.
    "killed-after-the-post": lambda mp: stop_once(
        mp, Notifier, "post", KilledAtTimeout(), after=True
    ),
    # Posted, but recording the claim as done failed (DynamoDB unreachable).
    "completing-the-claim-failed": lambda mp: stop_once(
        mp, StateStore, "complete_once", LambdaStopped("UpdateItem failed"), after=False
    ),
    # Stopped before posting: the retry must still post (once).
    "stopped-before-the-post": lambda mp: stop_once(
        mp, Notifier, "post", LambdaStopped("stopped before the post"), after=False
    ),
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_the_digest_is_posted_exactly_once_whatever_the_crash_point(
    nightly: Runtime,  # noqa: F811
    slack: SlackSink,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    crash: str,
) -> None:
    prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = list(sqs_records(nightly, nightly.settings.prune_queue_url))
    calls = CRASHES[crash](monkeypatch)
    try:
        first = deliver(nightly, records, attempt=1)
    except KilledAtTimeout:
        first = None
    assert calls, "the crash point was never reached"
    assert first is None or first["batchItemFailures"], "the first attempt should have failed"
    # The queue redelivers after its visibility timeout, when the dead attempt's lease is over.
    clock.advance(DIGEST_LEASE_S + 1)
    assert deliver(nightly, records, attempt=2) == {"batchItemFailures": []}
    assert deliver(nightly, records, attempt=3) == {"batchItemFailures": []}  # late duplicate
    assert backup_names() == KEPT
    (digest,) = digests(slack)
    assert digest["text"] == "Backup prune: 1 table, 5 backups deleted, 0 failures"


def test_the_digest_names_its_run_in_its_metadata(
    nightly: Runtime,  # noqa: F811
    slack: SlackSink,
) -> None:
    run = prune_scheduler.handle(SCHEDULE_EVENT, nightly)
    records = list(sqs_records(nightly, nightly.settings.prune_queue_url))
    assert deliver(nightly, records, attempt=1) == {"batchItemFailures": []}
    (digest,) = digests(slack)
    assert digest["metadata"] == {
        "event_type": DIGEST_EVENT,
        "event_payload": {"run_id": run["run_id"]},
    }
    # A run that went through without a crash reads no history.
    assert not slack.calls_to("conversations.history")
