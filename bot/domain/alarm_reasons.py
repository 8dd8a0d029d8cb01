"""Reading an alarm's state reason: forgiving field readers, the recent values a reason lists,
and the condition an EventBridge alarm leaves out of its configuration.

CloudWatch writes the threshold, the comparison and the datapoints into the reason text
("Threshold Crossed: 3 out of the last 3 datapoints [...] were greater than the threshold
(2000.0)", or "... was less than the lower thresholds [...] or greater than the upper
thresholds [...]" for an anomaly band); EventBridge's configuration carries none of them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.alarm_conditions import describe_condition, describe_metrics_condition
from bot.domain.alarm_events import AlarmState, MetricRef
from bot.domain.patterns import Lazy
from bot.domain.times import aws_time_or_none

# --- small, forgiving readers -------------------------------------------------------------


def text_of(value: object) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def int_of(value: object) -> int | None:
    """A whole number from a number or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def float_of(value: object) -> float | None:
    """A finite number from a number or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def dict_of(value: object) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def list_of(value: object) -> list[Any]:
    """The value when it is a JSON list, else an empty one."""
    return value if isinstance(value, list) else []


def state_of(value: object) -> AlarmState | None:
    """ALARM / OK / INSUFFICIENT_DATA in any case; None for anything else."""
    text = text_of(value)
    if text is None:
        return None
    try:
        return AlarmState(text.upper())
    except ValueError:
        return None


def time_of(value: object) -> datetime | None:
    """A time as CloudWatch writes it; None when absent or unreadable."""
    return aws_time_or_none(value)


# --- reasons and recent datapoints ----------------------------------------------------------

_REASON_POINT = re.compile(
    r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*\((\d{2})/(\d{2})/(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\)"
)
_REASON_LIST = re.compile(r"\[([^\[\]]*\(\d{2}/\d{2}/\d{2}[^\[\]]*)\]")
_REASON_COUNTS = re.compile(r"(\d+) out of the last (\d+) datapoints?")
_REASON_THRESHOLD = re.compile(r"threshold \((-?[\d.]+(?:[eE][-+]?\d+)?)\)")
_REASON_COMPARISONS = (
    ("greater than or equal to", "GreaterThanOrEqualToThreshold"),
    ("less than or equal to", "LessThanOrEqualToThreshold"),
    ("greater than", "GreaterThanThreshold"),
    ("less than", "LessThanThreshold"),
)
_BAND = Lazy(r"^\s*ANOMALY_DETECTION_BAND\s*\(", re.IGNORECASE)


def datapoints_from_reason(reason: str) -> tuple[float, ...]:
    """Values listed in an SNS reason, oldest first: '[37.0 (22/11/26 09:41:00)]' -> (37.0,).

    CloudWatch writes them as dd/mm/yy and not always in time order, so they are sorted by
    their timestamps.
    """
    listed = _REASON_LIST.search(reason)
    if not listed:
        return ()
    points: list[tuple[str, float]] = []
    for match in _REASON_POINT.finditer(listed.group(1)):
        value = float_of(match.group(1))
        if value is None:
            continue
        day, month, year, hh, mm, ss = match.groups()[1:]
        points.append((f"{year}{month}{day}{hh}{mm}{ss}", value))
    points.sort(key=lambda point: point[0])
    return tuple(value for _, value in points)


def datapoints_from_reason_data(data: Mapping[str, Any]) -> tuple[float, ...]:
    """reasonData's ``recentDatapoints``, else its ``evaluatedDatapoints`` by timestamp."""
    recent = [float_of(v) for v in list_of(data.get("recentDatapoints"))]
    values = tuple(v for v in recent if v is not None)
    if values:
        return values
    evaluated = []
    for point in list_of(data.get("evaluatedDatapoints")):
        point = dict_of(point)
        value = float_of(point.get("value"))
        if value is not None:
            evaluated.append((str(point.get("timestamp") or ""), value))
    evaluated.sort(key=lambda point: point[0])
    return tuple(value for _, value in evaluated)


def reason_data(value: object) -> Mapping[str, Any]:
    """reasonData as an object, whether it arrived as JSON text or as an object."""
    if isinstance(value, str):
        try:
            return dict_of(json.loads(value))
        except (ValueError, RecursionError):
            return {}
    return dict_of(value)


def band_operator(reason: str, data: Mapping[str, Any]) -> str | None:
    """The anomaly-band comparison a reason states ('lower thresholds ... or ... upper')."""
    lowered = reason.lower()
    lower = "lower threshold" in lowered or bool(list_of(data.get("recentLowerThresholds")))
    upper = "upper threshold" in lowered or bool(list_of(data.get("recentUpperThresholds")))
    said_lower, said_upper = "lower threshold" in lowered, "upper threshold" in lowered
    if said_lower and not said_upper:
        return "LessThanLowerThreshold"
    if said_upper and not said_lower:
        return "GreaterThanUpperThreshold"
    if lower or upper:
        return "LessThanLowerOrGreaterThanUpperThreshold"
    return None


def band_metric(metrics: tuple[MetricRef, ...]) -> MetricRef | None:
    """The ANOMALY_DETECTION_BAND expression among an alarm's metrics, if any."""
    return next((m for m in metrics if m.expression and _BAND.match(m.expression)), None)


def threshold_from_reason(reason: str, data: Mapping[str, Any]) -> float | None:
    """The static threshold reasonData or the reason states ('... the threshold (2000.0)')."""
    threshold = float_of(data.get("threshold"))
    if threshold is None:
        found = _REASON_THRESHOLD.search(reason)
        threshold = float_of(found.group(1)) if found else None
    return threshold


def condition_from_reason(
    reason: str, metrics: tuple[MetricRef, ...], data: Mapping[str, Any]
) -> str:
    """EventBridge configuration has no threshold or operator: read them back from the reason.

    An anomaly-detection alarm reads as its SNS form does: 'outside the expected band (width N)'.
    """
    counts = _REASON_COUNTS.search(reason)
    datapoints = int(counts.group(1)) if counts else None
    evaluation = int(counts.group(2)) if counts else None
    band = band_metric(metrics)
    operator = band_operator(reason, data) if band is not None else None
    if band is not None and operator is not None:
        return describe_metrics_condition(
            metrics,
            band_id=band.id,
            operator=operator,
            threshold=None,
            period=int_of(data.get("period")),
            evaluation_periods=evaluation,
            datapoints_to_alarm=datapoints,
            treat_missing_data=None,
        )
    operator = next((op for words, op in _REASON_COMPARISONS if words in reason), None)
    threshold = threshold_from_reason(reason, data)
    metric = _evaluated(metrics)
    return describe_condition(
        metric=(metric.label or metric.expression or metric.name) if metric else "",
        stat=None if metric is None or metric.expression else metric.stat,
        operator=operator,
        threshold=threshold,
        period=(metric.period or int_of(data.get("period"))) if metric else None,
        evaluation_periods=evaluation,
        datapoints_to_alarm=datapoints,
    )


def _evaluated(metrics: tuple[MetricRef, ...]) -> MetricRef | None:
    returned = [m for m in metrics if m.return_data]
    candidates = returned or list(metrics)
    return candidates[0] if candidates else None
