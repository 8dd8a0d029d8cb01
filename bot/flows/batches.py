"""The SQS batch of a Lambda event, record by record (ReportBatchItemFailures).

A record whose body can never run (it does not parse) is dropped, loudly: retrying it would
only move it to the DLQ later. A record whose run raises is reported back, so the queue
redelivers that record alone and, after maxReceiveCount, moves it to its DLQ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from bot.domain.errors import OpsbotError

T = TypeVar("T")

MALFORMED = (OpsbotError, KeyError, TypeError, ValueError)


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
            reason = exc.message if isinstance(exc, OpsbotError) else str(exc)
            log.error(f"dropping a malformed {what}", extra={"reason": reason})
            continue
        try:
            run(task)
        except Exception:
            log.exception(f"{what} failed; the queue will retry it", extra=log_fields(task))
            failures.append({"itemIdentifier": str(record["messageId"])})
    return {"batchItemFailures": failures}
