"""A table's live load for `/ddb status`: one GetMetricData call over the last hour (queries
and reading in bot.domain.table_load)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.errors import error_code
from bot.domain.table_load import LOAD_WINDOW, TableLoad, load_queries, read_load

log = logging.getLogger(__name__)


def table_load(
    cloudwatch: Any, table: str, indexes: Sequence[str], *, now: datetime
) -> TableLoad | str:
    """The table's load from one GetMetricData call, or why CloudWatch gave none (its error
    code): the status answers without the load rather than failing.

    Twelve 5-minute points per series stay far below one page (100,800 datapoints), so the
    first page is the whole answer.
    """
    try:
        response = cloudwatch.get_metric_data(
            MetricDataQueries=load_queries(table, indexes),
            StartTime=now - LOAD_WINDOW,
            EndTime=now,
            ScanBy="TimestampAscending",
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("GetMetricData for the load of %s failed: %s", table, exc)
        return (error_code(exc) or "error") if isinstance(exc, ClientError) else "no answer"
    return read_load(response.get("MetricDataResults") or [], table, indexes)
