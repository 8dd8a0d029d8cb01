"""CloudTrail LookupEvents: a table's records straight from CloudTrail, the fallback of
`/ddb who-changed` for times the audit history does not cover. Paced to LookupEvents' 2 calls
per second, with throttling retried.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code, is_throttling
from bot.domain.records import frozen

log = logging.getLogger(__name__)

LOOKUP_PAGE_SIZE = 50  # LookupEvents' maximum MaxResults
LOOKUP_MIN_INTERVAL_S = 0.5  # LookupEvents allows 2 calls per second per account and region
LOOKUP_ATTEMPTS = 5


@frozen
class LookupPage:
    """CloudTrail records found for a table, and where the next page starts."""

    records: tuple[dict[str, Any], ...]
    more: bool  # whether CloudTrail has more records in the window
    next_token: str | None  # the page to resume (None: the first page)
    skip: int  # kept records of that page already returned
    calls: int


class Pacer:
    """Keeps calls at most one per ``interval`` seconds (LookupEvents: 2 calls/s)."""

    def __init__(
        self,
        interval: float = LOOKUP_MIN_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next call is allowed."""
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            self._sleep(self.interval - (now - self._last))
            now = self._clock()
        self._last = now

    def backoff(self, seconds: float) -> None:
        """Wait ``seconds`` more (after AWS said to slow down)."""
        self._sleep(seconds)
        self._last = self._clock()


def lookup_events(
    cloudtrail: Any,
    table: str,
    *,
    start: datetime,
    end: datetime,
    want: int,
    next_token: str | None = None,
    skip: int = 0,
    max_calls: int = 10,
    pacer: Pacer | None = None,
    keep: Callable[[Mapping[str, Any]], bool] = lambda _record: True,
) -> LookupPage:
    """Up to ``want`` of CloudTrail's records of ``table`` (ResourceName) in [start, end].

    Newest first, 50 a call, paced to 2 calls/s with throttling retried; stops after
    ``max_calls`` calls. Records that ``keep`` refuses are passed over. To resume, call again
    with the returned ``next_token`` and ``skip`` (and the same window).
    """
    pacer = pacer or Pacer()
    records: list[dict[str, Any]] = []
    calls = 0
    token, to_skip = next_token, skip
    while True:
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": table}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": LOOKUP_PAGE_SIZE,
        }
        if token:
            kwargs["NextToken"] = token
        response = _call_with_retry(cloudtrail, kwargs, pacer)
        calls += 1
        kept = 0
        for entry in response.get("Events", []):
            record = _record_of(entry)
            if record is None or not keep(record):
                continue
            kept += 1
            if kept <= to_skip:
                continue  # shown on an earlier page
            if len(records) == want:
                return LookupPage(tuple(records), True, token, kept - 1, calls)
            records.append(record)
        following = response.get("NextToken") or None
        if following is None:
            return LookupPage(tuple(records), False, None, 0, calls)
        token, to_skip = following, 0
        if len(records) >= want or calls >= max_calls:
            return LookupPage(tuple(records), True, token, 0, calls)


def _call_with_retry(cloudtrail: Any, kwargs: dict[str, Any], pacer: Pacer) -> dict[str, Any]:
    for attempt in range(LOOKUP_ATTEMPTS):
        pacer.wait()
        try:
            response: dict[str, Any] = cloudtrail.lookup_events(**kwargs)
            return response
        except ClientError as exc:
            if not is_throttling(exc) or attempt == LOOKUP_ATTEMPTS - 1:
                raise
            log.info("LookupEvents throttled (%s); retrying", error_code(exc))
            pacer.backoff(min(0.5 * 2**attempt, 8.0))
    raise AssertionError("unreachable")


def _record_of(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    embedded = entry.get("CloudTrailEvent")
    if not isinstance(embedded, str):
        return None
    try:
        record = json.loads(embedded)
    except (ValueError, RecursionError):
        log.warning("LookupEvents entry %s has no JSON record; skipped", entry.get("EventId"))
        return None
    return record if isinstance(record, dict) else None
