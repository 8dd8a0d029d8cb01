"""The SQS batch of a Lambda event, record by record (ReportBatchItemFailures).

A record whose body can never run (it does not parse, including JSON nested deeper than the
parser recurses) is dropped, loudly: retrying it would only move it to the DLQ later. A
record whose run raises is reported back, so the queue redelivers that record alone and,
after maxReceiveCount, moves it to its DLQ.

Why not Powertools' batch processing utility (BatchProcessor, process_partial_response): it
does the same partial-failure report, but importing it costs each SQS consumer 7-13 % more
import time (`python -m benchmarks bench_batch_utility`: prune_worker 1.134, restore_watcher
1.128, slack_worker 1.073, measured 2026-12-06), and the functions' import ratios must stay
at or under 1.10 (`bench_import`; prune_worker is at 1.097). It also offers no "malformed:
drop, do not retry" outcome: a record handler that raises is always retried, so parsing
would still need this wrapper's split between MALFORMED and the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from bot.domain.errors import OpsbotError

T = TypeVar("T")

# RecursionError: JSON nested deeper than the parser recurses, which is no ValueError.
MALFORMED = (OpsbotError, KeyError, TypeError, ValueError, RecursionError)


class BatchLog(Protocol):
    """What run_batch logs through: a logging.Logger or a Powertools Logger."""

    def error(self, msg: str, *, extra: dict[str, Any]) -> None: ...

    def exception(self, msg: str, *, extra: dict[str, Any]) -> None: ...


def run_batch(
    event: Mapping[str, Any],
    *,
    what: str,
    parse: Callable[[Mapping[str, Any]], T],
    run: Callable[[T], object],
    log_fields: Callable[[T], dict[str, Any]],
    log: BatchLog,
) -> dict[str, list[dict[str, str]]]:
    """Parse and run each record; the answer names the records the queue should retry.

    ``parse`` raises one of MALFORMED for a body that is not a ``what``; ``log`` is the
    function's logger (Powertools or logging), ``log_fields`` what it logs of a failed run.
    """
    failures = []
    for record in event.get("Records") or []:
        try:
            task = parse(record)
        except MALFORMED as exc:
            reason = _reason(exc)
            log.error(f"dropping a malformed {what}", extra={"reason": reason})
            continue
        try:
            run(task)
        except Exception:
            log.exception(f"{what} failed; the queue will retry it", extra=log_fields(task))
            failures.append({"itemIdentifier": str(record["messageId"])})
    return {"batchItemFailures": failures}


def _reason(exc: Exception) -> str:
    if isinstance(exc, OpsbotError):
        return exc.message
    if isinstance(exc, RecursionError):
        return "its JSON is nested too deeply to read"
    return str(exc)
