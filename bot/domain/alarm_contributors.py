"""Multi-time-series alarms: the contributor a state change is about, and the metric a
Metrics Insights query selects.

A Metrics Insights alarm (``SELECT AVG(ConsumedWriteCapacityUnits) FROM "AWS/DynamoDB" GROUP
BY TableName``) tracks one time series per group, each a contributor with its own state:
EventBridge's "CloudWatch Alarm Contributor State Change" names it in
``detail.alarmContributor`` (an id and the group's attributes, e.g. ``TableName``). Only
alarms with a query or a contributor load this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.domain.alarm_events import MetricRef
from bot.domain.records import frozen

_INSIGHTS = re.compile(
    r"^\s*SELECT\s+(\w+)\s*\(\s*\"?(\w+)\"?\s*\)\s+FROM\s+(?:SCHEMA\s*\(\s*)?\"?([\w/.:-]+)\"?"
    r"(?:.*?\bGROUP\s+BY\s+([\w\s,\"]+?)(?:\s+ORDER\b|\s+LIMIT\b|\s*$))?",
    re.IGNORECASE | re.DOTALL,
)


@frozen
class AlarmContributor:
    """One time series of a multi-time-series alarm (a Metrics Insights GROUP BY row)."""

    id: str
    attributes: tuple[tuple[str, str], ...] = ()


def read_contributor(detail: Mapping[str, Any]) -> AlarmContributor | None:
    """``detail.alarmContributor`` ({id, attributes}); None when the event has none."""
    found = detail.get("alarmContributor")
    if not isinstance(found, Mapping) or not found:
        return None
    raw = found.get("attributes")
    attributes = tuple(
        (str(k), str(v))
        for k, v in (raw.items() if isinstance(raw, Mapping) else ())
        if v is not None
    )
    ident = found.get("id")
    return AlarmContributor(id=ident if isinstance(ident, str) else "", attributes=attributes)


def insights_metric(metric: MetricRef) -> MetricRef:
    """A Metrics Insights query also names its metric: 'SELECT AVG(X) FROM "AWS/DynamoDB"
    GROUP BY TableName' -> metric X, stat avg, labelled 'AVG(X) per TableName'."""
    match = _INSIGHTS.match(metric.expression or "")
    if not match or metric.name:
        return metric
    function, name, namespace, group = match.groups()
    grouped = ", ".join(g.strip(' "') for g in (group or "").split(",") if g.strip(' "'))
    label = metric.label or f"{function.upper()}({name})" + (f" per {grouped}" if grouped else "")
    return replace(
        metric,
        namespace=namespace if "/" in namespace else metric.namespace,
        name=name,
        stat=function.lower(),
        label=label,
    )
