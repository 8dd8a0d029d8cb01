"""An alarm's condition and its recent values in words.

Numbers with their units, periods, comparisons, metric-math expressions and anomaly bands,
composite alarm rules, and the recent values as a sparkline and a summary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from bot.domain.alarm_events import MetricRef, split_alarm_arn
from bot.domain.patterns import Lazy

# --- conditions in words ----------------------------------------------------------------------

_OPERATORS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the expected band",
    "GreaterThanUpperThreshold": "above the expected band",
    "LessThanLowerThreshold": "below the expected band",
}
_BAND_OPERATORS = {k for k, v in _OPERATORS.items() if "band" in v}

_PERIOD_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def format_number(value: float) -> str:
    """2000.0 -> '2000', 0.25 -> '0.25', 1234567.0 -> '1234567' (no exponent for integers)."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def period_words(seconds: int) -> str:
    """60 -> '1 minute', 300 -> '5 minutes', 3600 -> '1 hour', 10 -> '10 seconds'."""
    for size, unit in _PERIOD_UNITS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


_UNITS = {
    "SuccessfulRequestLatency": "ms",
    "ReplicationLatency": "ms",
    "AccountProvisionedReadCapacityUtilization": "%",
    "AccountProvisionedWriteCapacityUtilization": "%",
    "MaxProvisionedTableReadCapacityUtilization": "%",
    "MaxProvisionedTableWriteCapacityUtilization": "%",
    "OnlineIndexPercentageProgress": "%",
    "CPUUtilization": "%",
    "CacheMemoryUtilization": "%",
    "EvictedSize": "bytes",
}


def metric_unit(metric_name: str | None) -> str:
    """The unit a DynamoDB/DAX metric is reported in, when it helps reading a number ('ms', '%')."""
    return _UNITS.get(metric_name or "", "")


def with_unit(value: float, unit: str) -> str:
    """'2000 ms', '70%', '12' (no unit)."""
    number = format_number(value)
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def _stat_words(stat: str | None) -> str:
    if not stat:
        return ""
    # SNS writes "SUM"/"AVERAGE"; percentiles ("p99", "tm90") keep their own spelling.
    return stat.lower() if stat.isalpha() else stat


def describe_condition(
    *,
    metric: str,
    stat: str | None,
    operator: str | None,
    threshold: float | None,
    period: int | None,
    evaluation_periods: int | None,
    datapoints_to_alarm: int | None,
    treat_missing_data: str | None = None,
    band: str | None = None,
) -> str:
    """The alarm condition in words: 'WriteThrottleEvents sum >= 1 in 1 of 1 minute'.

    A one-unit period reads as '3 of 5 minutes'; any other period as
    '3 of 5 periods of 5 minutes'. Anomaly-band operators read 'outside the expected band'
    (``band`` names the band expression). Unknown parts are left out rather than guessed.
    """
    words = [metric or "the metric"]
    stat_text = _stat_words(stat)
    if stat_text:
        words.append(stat_text)
    if operator in _BAND_OPERATORS:
        words.append(_OPERATORS[operator] + (f" ({band})" if band else ""))
    elif operator in _OPERATORS and threshold is not None:
        words.append(f"{_OPERATORS[operator]} {with_unit(threshold, metric_unit(metric))}")
    elif threshold is not None:
        words.append(f"crosses {with_unit(threshold, metric_unit(metric))}")
    text = " ".join(words)
    if evaluation_periods or period:
        total = evaluation_periods or 1
        count = datapoints_to_alarm or total
        if period and period in (size for size, _ in _PERIOD_UNITS if size > 1):
            unit = period_words(period).split(" ", 1)[1]
            text += f" in {count} of {total} {unit}{'' if total == 1 else 's'}"
        elif period:
            plural = "period" if total == 1 else "periods"
            text += f" in {count} of {total} {plural} of {period_words(period)}"
        else:
            text += f" in {count} of {total} periods"
    if treat_missing_data == "breaching":
        text += "; missing data counts as breaching"
    return text


_RULE_TERM = Lazy(r"\b(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*\"?([^\")]+?)\"?\s*\)")
_RULE_STATE_WORDS = {"ALARM": "in alarm", "OK": "OK", "INSUFFICIENT_DATA": "without data"}


def describe_rule(rule: str) -> str:
    """A composite alarm rule in words: 'ALARM("a") OR ALARM("b")' -> 'a in alarm or b in alarm'."""

    def term(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        _, _, name = split_alarm_arn(target)
        return f"{name or target} {_RULE_STATE_WORDS[match.group(1)]}"

    text = _RULE_TERM.sub(term, rule)
    text = re.sub(r"\b(AND|OR|NOT)\b", lambda m: m.group(1).lower(), text)
    return " ".join(text.split())


# --- metrics and metric math --------------------------------------------------------------


def evaluated_metric(metrics: tuple[MetricRef, ...], band_id: str | None) -> MetricRef | None:
    """The series the alarm compares: the returned one that is not the anomaly band."""
    returned = [m for m in metrics if m.return_data and m.id != band_id]
    candidates = returned or [m for m in metrics if m.id != band_id]
    return candidates[0] if candidates else None


def describe_metrics_condition(
    metrics: tuple[MetricRef, ...],
    *,
    band_id: str | None,
    operator: str | None,
    threshold: float | None,
    period: int | None,
    evaluation_periods: int | None,
    datapoints_to_alarm: int | None,
    treat_missing_data: str | None,
) -> str:
    """The condition of an alarm on ``metrics``, naming a math expression's ids and its band.

    ``band_id`` is the id of the anomaly band among the metrics (None without one); the
    evaluated series' own period wins over ``period``, and the first metric's over neither.
    """
    evaluated = evaluated_metric(metrics, band_id)
    band = next((m for m in metrics if band_id and m.id == band_id), None)
    text = describe_condition(
        metric=_metric_words(evaluated) if evaluated else "",
        stat=evaluated.stat if evaluated and evaluated.expression is None else None,
        operator=operator,
        threshold=threshold,
        period=(evaluated.period if evaluated else None) or period or _math_period(metrics),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
        band=_band_words(band) if band else None,
    )
    return text + (_math_legend(metrics, evaluated) if evaluated else "")


def _metric_words(metric: MetricRef) -> str:
    if metric.expression is None:
        return metric.name
    return metric.label or metric.expression


def _math_legend(metrics: tuple[MetricRef, ...], evaluated: MetricRef) -> str:
    """'m1 = ConsumedWriteCapacityUnits sum, m2 = ...' for the ids an expression uses."""
    if evaluated.expression is None:
        return ""
    used = [
        m
        for m in metrics
        if m.expression is None
        and m.id
        and re.search(rf"\b{re.escape(m.id)}\b", evaluated.expression)
    ]
    parts = [f"{m.id} = {m.name} {_stat_words(m.stat)}".rstrip() for m in used]
    return f" (where {', '.join(parts)})" if parts else ""


_BAND = Lazy(r"^\s*ANOMALY_DETECTION_BAND\s*\(\s*\w+\s*(?:,\s*([\d.]+)\s*)?\)\s*$", re.I)


def _band_words(band: MetricRef) -> str:
    """'ANOMALY_DETECTION_BAND(m1, 2)' -> 'width 2' (2 is CloudWatch's default width)."""
    match = _BAND.match(band.expression or "")
    if match:
        return f"width {match.group(1) or '2'}"
    return band.label or band.expression or band.id


def _math_period(metrics: tuple[MetricRef, ...]) -> int | None:
    return next((m.period for m in metrics if m.period), None)


# --- recent values --------------------------------------------------------------------------

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float]) -> str:
    """A one-line chart of values with ▁▂▃▄▅▆▇█; non-finite values are skipped."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    if high == low:
        return (_BARS[0] if high == 0 else _BARS[3]) * len(finite)
    scale = (len(_BARS) - 1) / (high - low)
    return "".join(_BARS[round((v - low) * scale)] for v in finite)


def value_summary(values: Iterable[float], unit: str = "") -> str:
    """'min 0 · max 37 · last 37' for the finite values; 'last 37' for one; '' for none."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    last = f"last {with_unit(finite[-1], unit)}"
    if len(finite) == 1:
        return last
    return f"min {with_unit(min(finite), unit)} · max {with_unit(max(finite), unit)} · {last}"
