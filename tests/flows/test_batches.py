"""run_batch: malformed records are dropped and logged, failed runs are reported for retry."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from bot.domain.errors import InvalidValue
from bot.flows.batches import run_batch


def _parse(record: Mapping[str, Any]) -> int:
    value = json.loads(record["body"])["n"]
    if value < 0:
        raise InvalidValue(f"n must not be negative, not {value}")
    return int(value)


def _run(n: int) -> None:
    if n == 13:
        raise RuntimeError("unlucky")
    ran.append(n)


ran: list[int] = []


def test_only_records_whose_run_failed_are_returned_for_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran.clear()
    bodies = ['{"n": 1}', "not json", '{"n": -2}', '{"n": 13}', '{"x": 3}', '{"n": 4}']
    event = {"Records": [{"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}
    with caplog.at_level(logging.INFO):
        answer = run_batch(
            event,
            what="number",
            parse=_parse,
            run=_run,
            log_fields=lambda n: {"n": n},
            log=logging.getLogger("test"),
        )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    assert ran == [1, 4]
    dropped = [r for r in caplog.records if r.getMessage() == "dropping a malformed number"]
    assert [r.reason for r in dropped][1] == "n must not be negative, not -2"  # type: ignore[attr-defined]
    assert len(dropped) == 3
    (failed,) = [r for r in caplog.records if "the queue will retry it" in r.getMessage()]
    assert failed.n == 13  # type: ignore[attr-defined]


def test_an_event_without_records_runs_nothing() -> None:
    answer = run_batch(
        {},
        what="number",
        parse=_parse,
        run=_run,
        log_fields=lambda n: {},
        log=logging.getLogger("t"),
    )
    assert answer == {"batchItemFailures": []}
