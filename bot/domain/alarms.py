"""CloudWatch alarms on DynamoDB, global-table replicas and DAX, in the on-call engineer's words.

Pure: parses alarm messages (SNS JSON and EventBridge "CloudWatch Alarm State Change"
events) into one :class:`AlarmEvent`, explains what a metric means and what to check first,
and decides what an incident's Slack thread should do with each event (:func:`decide`).

Real payloads vary and any field may be missing or null. Parsing fills what it can with
neutral defaults (empty strings, ``None``, empty tuples) and raises
:class:`~bot.domain.errors.InvalidValue` only for something that is not an alarm at all
(no name or ARN, no state).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import quote

from bot.domain.errors import InvalidValue
from bot.domain.records import frozen
from bot.domain.regions import region_code
from bot.domain.times import parse_aws_time

# Used when a payload carries no usable time at all: deterministic, and obviously not "now".
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


class AlarmState(StrEnum):
    """The three states of a CloudWatch alarm."""

    ALARM = "ALARM"
    OK = "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@frozen
class MetricRef:
    """One metric an alarm watches, or (``expression`` set) a metric-math expression."""

    namespace: str
    name: str
    stat: str
    period: int | None
    dimensions: tuple[tuple[str, str], ...] = ()
    id: str = ""
    expression: str | None = None
    return_data: bool = True
    label: str | None = None

    def dimension(self, name: str) -> str | None:
        """The value of one dimension, or None."""
        return next((v for n, v in self.dimensions if n == name), None)


@frozen
class AlarmSubject:
    """What the alarm is about, taken from the metrics' dimensions."""

    table: str | None = None
    index: str | None = None
    receiving_region: str | None = None
    dax_cluster: str | None = None
    dax_node: str | None = None
    operation: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when no dimension told us what the alarm concerns."""
        return not any(
            (
                self.table,
                self.index,
                self.receiving_region,
                self.dax_cluster,
                self.dax_node,
                self.operation,
            )
        )


@frozen
class AlarmEvent:
    """One state change of one alarm, whichever way it was delivered."""

    name: str
    arn: str
    region: str
    account: str
    state: AlarmState
    previous_state: AlarmState | None
    reason: str
    changed_at: datetime
    description: str
    metrics: tuple[MetricRef, ...]
    subject: AlarmSubject
    condition: str
    composite_rule: str | None
    recent_datapoints: tuple[float, ...]
    source: Literal["sns", "eventbridge"]
    message_id: str

    @property
    def is_composite(self) -> bool:
        """True for a composite alarm (a rule over other alarms, no metric)."""
        return self.composite_rule is not None

    @property
    def primary_metric(self) -> MetricRef | None:
        """The metric the alarm is mainly about: the first real metric, returned ones first."""
        named = [m for m in self.metrics if m.expression is None and m.name]
        returned = [m for m in named if m.return_data]
        candidates = returned or named
        return candidates[0] if candidates else None


# --- small, forgiving readers -------------------------------------------------------------


def _str(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _int(value: object) -> int | None:
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


def _float(value: object) -> float | None:
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


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _state(value: object) -> AlarmState | None:
    text = _str(value)
    if text is None:
        return None
    try:
        return AlarmState(text.upper())
    except ValueError:
        return None


def _time(value: object) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        return parse_aws_time(text)
    except ValueError:
        return None


# --- ARNs and regions ------------------------------------------------------------------------

_ALARM_ARN = re.compile(r"^arn:aws[\w-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$")

# The SNS "Region" field is a display name; used only when the message carries no ARN.
_REGION_NAMES = {
    "us east n virginia": "us-east-1",
    "us east ohio": "us-east-2",
    "us west n california": "us-west-1",
    "us west oregon": "us-west-2",
    "canada central": "ca-central-1",
    "eu ireland": "eu-west-1",
    "eu london": "eu-west-2",
    "eu paris": "eu-west-3",
    "eu frankfurt": "eu-central-1",
    "eu stockholm": "eu-north-1",
    "eu milan": "eu-south-1",
    "asia pacific tokyo": "ap-northeast-1",
    "asia pacific seoul": "ap-northeast-2",
    "asia pacific osaka": "ap-northeast-3",
    "asia pacific singapore": "ap-southeast-1",
    "asia pacific sydney": "ap-southeast-2",
    "asia pacific mumbai": "ap-south-1",
    "south america sao paulo": "sa-east-1",
}


def _region_from_display_name(name: str | None) -> str:
    if not name:
        return ""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())
    return _REGION_NAMES.get(key, "")


def _split_arn(arn: str | None) -> tuple[str, str, str]:
    """(region, account, alarm name) from an alarm ARN; empty strings when it is not one."""
    match = _ALARM_ARN.match(arn or "")
    if not match:
        return "", "", ""
    return match.group(1), match.group(2), match.group(3)


# --- subject ---------------------------------------------------------------------------------

_SUBJECT_DIMENSIONS = {
    "TableName": "table",
    "GlobalSecondaryIndexName": "index",
    "ReceivingRegion": "receiving_region",
    "ClusterId": "dax_cluster",
    "NodeId": "dax_node",
    "Operation": "operation",
}


def _subject(metrics: Iterable[MetricRef]) -> AlarmSubject:
    found: dict[str, str] = {}
    for metric in metrics:
        for name, value in metric.dimensions:
            attribute = _SUBJECT_DIMENSIONS.get(name)
            if attribute and attribute not in found and value:
                found[attribute] = value
    return AlarmSubject(**found)


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


_RULE_TERM = re.compile(r"\b(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*\"?([^\")]+?)\"?\s*\)")
_RULE_STATE_WORDS = {"ALARM": "in alarm", "OK": "OK", "INSUFFICIENT_DATA": "without data"}


def describe_rule(rule: str) -> str:
    """A composite alarm rule in words: 'ALARM("a") OR ALARM("b")' -> 'a in alarm or b in alarm'."""

    def term(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        _, _, name = _split_arn(target)
        return f"{name or target} {_RULE_STATE_WORDS[match.group(1)]}"

    text = _RULE_TERM.sub(term, rule)
    text = re.sub(r"\b(AND|OR|NOT)\b", lambda m: m.group(1).lower(), text)
    return " ".join(text.split())


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
        value = _float(match.group(1))
        if value is None:
            continue
        day, month, year, hh, mm, ss = match.groups()[1:]
        points.append((f"{year}{month}{day}{hh}{mm}{ss}", value))
    points.sort(key=lambda point: point[0])
    return tuple(value for _, value in points)


def _datapoints_from_reason_data(reason_data: object) -> tuple[float, ...]:
    data: object = reason_data
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return ()
    data = _dict(data)
    recent = [_float(v) for v in _list(data.get("recentDatapoints"))]
    values = tuple(v for v in recent if v is not None)
    if values:
        return values
    evaluated = []
    for point in _list(data.get("evaluatedDatapoints")):
        point = _dict(point)
        value = _float(point.get("value"))
        if value is not None:
            evaluated.append((str(point.get("timestamp") or ""), value))
    evaluated.sort(key=lambda point: point[0])
    return tuple(value for _, value in evaluated)


def _reason_data(reason_data: object) -> Mapping[str, Any]:
    if isinstance(reason_data, str):
        try:
            return _dict(json.loads(reason_data))
        except ValueError:
            return {}
    return _dict(reason_data)


def _condition_from_reason(
    reason: str, metric: MetricRef | None, reason_data: Mapping[str, Any]
) -> str:
    """EventBridge configuration has no threshold or operator: read them back from the reason."""
    operator = next((op for words, op in _REASON_COMPARISONS if words in reason), None)
    threshold = _float(reason_data.get("threshold"))
    if threshold is None:
        found = _REASON_THRESHOLD.search(reason)
        threshold = _float(found.group(1)) if found else None
    counts = _REASON_COUNTS.search(reason)
    datapoints = int(counts.group(1)) if counts else None
    evaluation = int(counts.group(2)) if counts else None
    if metric is None:
        return describe_condition(
            metric="",
            stat=None,
            operator=operator,
            threshold=threshold,
            period=None,
            evaluation_periods=evaluation,
            datapoints_to_alarm=datapoints,
        )
    return describe_condition(
        metric=metric.label or metric.expression or metric.name,
        stat=None if metric.expression else metric.stat,
        operator=operator,
        threshold=threshold,
        period=metric.period or _int(reason_data.get("period")),
        evaluation_periods=evaluation,
        datapoints_to_alarm=datapoints,
    )


# --- SNS ------------------------------------------------------------------------------------


def _sns_dimensions(value: object) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in _list(value):
        item = _dict(item)
        name = _str(item.get("name") or item.get("Name"))
        dim_value = item.get("value", item.get("Value"))
        if name and dim_value is not None:
            pairs.append((name, str(dim_value)))
    return tuple(pairs)


def _sns_metrics(trigger: Mapping[str, Any]) -> tuple[MetricRef, ...]:
    entries = _list(trigger.get("Metrics"))
    if not entries:
        name = _str(trigger.get("MetricName"))
        if not name:
            return ()
        return (
            MetricRef(
                namespace=_str(trigger.get("Namespace")) or "",
                name=name,
                stat=_str(trigger.get("ExtendedStatistic")) or _str(trigger.get("Statistic")) or "",
                period=_int(trigger.get("Period")),
                dimensions=_sns_dimensions(trigger.get("Dimensions")),
            ),
        )
    metrics = []
    for entry in entries:
        entry = _dict(entry)
        stat = _dict(entry.get("MetricStat"))
        metric = _dict(stat.get("Metric"))
        expression = _str(entry.get("Expression"))
        if not expression and not _str(metric.get("MetricName")):
            continue
        metrics.append(
            MetricRef(
                namespace=_str(metric.get("Namespace")) or "",
                name=_str(metric.get("MetricName")) or "",
                stat=_str(stat.get("Stat")) or "",
                period=_int(stat.get("Period")) or _int(entry.get("Period")),
                dimensions=_sns_dimensions(metric.get("Dimensions")),
                id=_str(entry.get("Id")) or "",
                expression=expression,
                return_data=entry.get("ReturnData") is not False,
                label=_str(entry.get("Label")),
            )
        )
    return tuple(metrics)


def _evaluated(metrics: tuple[MetricRef, ...], band_id: str | None) -> MetricRef | None:
    """The series the alarm compares: the returned one that is not the anomaly band."""
    returned = [m for m in metrics if m.return_data and m.id != band_id]
    candidates = returned or [m for m in metrics if m.id != band_id]
    return candidates[0] if candidates else None


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


def _sns_condition(trigger: Mapping[str, Any], metrics: tuple[MetricRef, ...]) -> str:
    band_id = _str(trigger.get("ThresholdMetricId"))
    evaluated = _evaluated(metrics, band_id)
    band = next((m for m in metrics if band_id and m.id == band_id), None)
    text = describe_condition(
        metric=_metric_words(evaluated) if evaluated else "",
        stat=evaluated.stat if evaluated and evaluated.expression is None else None,
        operator=_str(trigger.get("ComparisonOperator")),
        threshold=_float(trigger.get("Threshold")),
        period=(evaluated.period if evaluated else None)
        or _int(trigger.get("Period"))
        or _math_period(metrics),
        evaluation_periods=_int(trigger.get("EvaluationPeriods")),
        datapoints_to_alarm=_int(trigger.get("DatapointsToAlarm")),
        treat_missing_data=_str(trigger.get("TreatMissingData")),
        band=_band_words(band) if band else None,
    )
    return text + (_math_legend(metrics, evaluated) if evaluated else "")


_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\s*\(\s*\w+\s*(?:,\s*([\d.]+)\s*)?\)\s*$", re.I)


def _band_words(band: MetricRef) -> str:
    """'ANOMALY_DETECTION_BAND(m1, 2)' -> 'width 2' (2 is CloudWatch's default width)."""
    match = _BAND.match(band.expression or "")
    if match:
        return f"width {match.group(1) or '2'}"
    return band.label or band.expression or band.id


def _math_period(metrics: tuple[MetricRef, ...]) -> int | None:
    return next((m.period for m in metrics if m.period), None)


def state_change_key(event: AlarmEvent) -> str | None:
    """One key per alarm state change, whichever way it arrived.

    CloudWatch announces a change on SNS and on EventBridge with different message ids but
    the same alarm, new state and change time; claiming this key (not the message id) lets
    the two copies arriving at the same moment post one root, not two. None when the event
    names no alarm or no change time: then only its message id can tell copies apart.
    """
    alarm = event.arn or event.name
    if not alarm or event.changed_at == UNKNOWN_TIME:
        return None
    return f"{alarm}|{event.state.value}|{event.changed_at.isoformat()}"


def parse_sns_alarm(
    message: Mapping[str, Any], *, message_id: str, received_at: datetime | None = None
) -> AlarmEvent:
    """An AlarmEvent from a decoded SNS alarm message.

    The region comes from the alarm ARN (the message's ``Region`` is a display name such as
    "US West (Oregon)", used only when there is no ARN). ``received_at`` (the SNS Timestamp)
    stands in when the message has no usable StateChangeTime. An EventBridge alarm event
    delivered through SNS is parsed as one.
    """
    if not isinstance(message, Mapping):
        raise InvalidValue("this SNS message is not a CloudWatch alarm (not a JSON object)")
    if message.get("detail-type") == "CloudWatch Alarm State Change":
        return parse_eventbridge_alarm(message)
    arn = _str(message.get("AlarmArn")) or ""
    arn_region, arn_account, arn_name = _split_arn(arn)
    name = _str(message.get("AlarmName")) or arn_name
    if not name:
        raise InvalidValue("this SNS message is not a CloudWatch alarm (no AlarmName or AlarmArn)")
    state = _state(message.get("NewStateValue"))
    if state is None:
        raise InvalidValue(f"alarm message for {name!r} has no valid NewStateValue")
    trigger = _dict(message.get("Trigger"))
    metrics = _sns_metrics(trigger)
    rule = _str(message.get("AlarmRule"))
    reason = _str(message.get("NewStateReason")) or ""
    if rule is not None:
        condition = describe_rule(rule)
    elif trigger:
        condition = _sns_condition(trigger, metrics)
    else:
        condition = ""
    return AlarmEvent(
        name=name,
        arn=arn,
        region=arn_region or _region_from_display_name(_str(message.get("Region"))),
        account=arn_account or str(message.get("AWSAccountId") or ""),
        state=state,
        previous_state=_state(message.get("OldStateValue")),
        reason=reason,
        changed_at=_time(message.get("StateChangeTime")) or received_at or UNKNOWN_TIME,
        description=_str(message.get("AlarmDescription")) or "",
        metrics=metrics,
        subject=_subject(metrics),
        condition=condition,
        composite_rule=rule,
        recent_datapoints=datapoints_from_reason(reason),
        source="sns",
        message_id=message_id,
    )


# --- EventBridge ------------------------------------------------------------------------------


def _eventbridge_metrics(configuration: Mapping[str, Any]) -> tuple[MetricRef, ...]:
    metrics = []
    for entry in _list(configuration.get("metrics")):
        entry = _dict(entry)
        stat = _dict(entry.get("metricStat"))
        metric = _dict(stat.get("metric"))
        expression = _str(entry.get("expression"))
        if not expression and not _str(metric.get("name")):
            continue
        dimensions = tuple(
            (str(k), str(v)) for k, v in _dict(metric.get("dimensions")).items() if v is not None
        )
        metrics.append(
            MetricRef(
                namespace=_str(metric.get("namespace")) or "",
                name=_str(metric.get("name")) or "",
                stat=_str(stat.get("stat")) or "",
                period=_int(stat.get("period")) or _int(entry.get("period")),
                dimensions=dimensions,
                id=_str(entry.get("id")) or "",
                expression=expression,
                return_data=entry.get("returnData") is not False,
                label=_str(entry.get("label")),
            )
        )
    return tuple(metrics)


def parse_eventbridge_alarm(event: Mapping[str, Any]) -> AlarmEvent:
    """An AlarmEvent from an EventBridge "CloudWatch Alarm State Change" event.

    EventBridge carries no threshold or comparison in its configuration, so the condition
    is read back from the state reason and reasonData; the recent values come from
    reasonData's ``recentDatapoints`` (or ``evaluatedDatapoints``).
    """
    if not isinstance(event, Mapping):
        raise InvalidValue("this event is not a CloudWatch alarm state change (not a JSON object)")
    detail = _dict(event.get("detail"))
    resources = [r for r in _list(event.get("resources")) if isinstance(r, str)]
    arn = next((r for r in resources if _ALARM_ARN.match(r)), "")
    arn_region, arn_account, arn_name = _split_arn(arn)
    name = _str(detail.get("alarmName")) or arn_name
    if not name:
        raise InvalidValue("this event is not a CloudWatch alarm state change (no alarm name)")
    state_info = _dict(detail.get("state"))
    state = _state(state_info.get("value"))
    if state is None:
        raise InvalidValue(f"alarm event for {name!r} has no valid state")
    # Without an ARN the envelope's region is all there is, and anyone who may publish to
    # the bot's SNS topic writes it: only a region code may reach a console URL host.
    region = arn_region or region_code(event.get("region")) or ""
    account = arn_account or _str(event.get("account")) or ""
    if not arn and region and account:
        arn = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
    configuration = _dict(detail.get("configuration"))
    metrics = _eventbridge_metrics(configuration)
    rule = _str(configuration.get("alarmRule"))
    reason = _str(state_info.get("reason")) or ""
    reason_data = _reason_data(state_info.get("reasonData"))
    if rule is not None:
        condition = describe_rule(rule)
    elif metrics:
        condition = _condition_from_reason(reason, _evaluated(metrics, None), reason_data)
    else:
        condition = ""
    datapoints = _datapoints_from_reason_data(reason_data) or datapoints_from_reason(reason)
    return AlarmEvent(
        name=name,
        arn=arn,
        region=region,
        account=account,
        state=state,
        previous_state=_state(_dict(detail.get("previousState")).get("value")),
        reason=reason,
        changed_at=_time(state_info.get("timestamp")) or _time(event.get("time")) or UNKNOWN_TIME,
        description=_str(configuration.get("description")) or "",
        metrics=metrics,
        subject=_subject(metrics),
        condition=condition,
        composite_rule=rule,
        recent_datapoints=datapoints,
        source="eventbridge",
        message_id=_str(event.get("id")) or "",
    )


# --- what a metric means, and what to check first -------------------------------------------


@frozen
class Explanation:
    """A metric in plain words, and the first things an on-call engineer should look at."""

    meaning: str
    first_checks: tuple[str, ...]


_DYNAMODB = "AWS/DynamoDB"
_DAX = "AWS/DAX"

_READ_THROTTLE = Explanation(
    "Reads are being rejected with ProvisionedThroughputExceeded: the table or an index "
    "has no read capacity left, or one partition is hot. Callers retry and see latency.",
    (
        "ConsumedReadCapacityUnits vs ProvisionedReadCapacityUnits on the table and each GSI",
        "Is one key hot? Open CloudWatch Contributor Insights for the most accessed keys",
        "Auto scaling: did it hit its maximum, or is it too slow for this spike?",
        "A new job or deploy doing scans or large queries",
    ),
)
_WRITE_THROTTLE = Explanation(
    "Writes are being rejected: the table or a GSI has no write capacity left, or one "
    "partition is hot. A throttled GSI throttles writes to its base table.",
    (
        "ConsumedWriteCapacityUnits vs ProvisionedWriteCapacityUnits on the table and each GSI",
        "Is one partition key taking most writes? Contributor Insights shows it",
        "Auto scaling maximum, or on-demand table above twice its previous peak",
        "A backfill, import or batch job that started recently",
    ),
)
_CAPACITY_READ = Explanation(
    "Read capacity used, compared with what the table is provisioned for. Near or above "
    "the provisioned level, reads start to throttle.",
    (
        "ReadThrottleEvents on the same table and its GSIs",
        "Auto scaling target and maximum for reads",
        "Which client started reading more (deploy, new job, scans)",
    ),
)
_CAPACITY_WRITE = Explanation(
    "Write capacity used, compared with what the table is provisioned for. Near or above "
    "the provisioned level, writes start to throttle.",
    (
        "WriteThrottleEvents on the same table and its GSIs",
        "Auto scaling target and maximum for writes",
        "Which client started writing more (backfill, import, batch job)",
    ),
)
_ACCOUNT_UTILIZATION = Explanation(
    "The account is using a large share of its regional provisioned-capacity quota. At "
    "100 %, new tables, GSIs and scale-ups are refused.",
    (
        "Which tables hold the most provisioned capacity (service quotas page)",
        "Auto scaling maximums that could push the account over the quota",
        "Request a quota increase before the next scale-up is needed",
    ),
)
_TABLE_UTILIZATION = Explanation(
    "The biggest table or GSI in the account is close to the per-table capacity quota. "
    "Above it, that table cannot scale up any further.",
    (
        "Which table is largest, and its auto scaling maximum",
        "Request a per-table quota increase if the growth is expected",
    ),
)
_INDEX_BUILD = Explanation(
    "A global secondary index is being built (backfilled) on this table. Backfill "
    "consumes write capacity on the new index and can be throttled.",
    (
        "OnlineIndexPercentageProgress: is it still advancing?",
        "The new index's provisioned write capacity: too low makes the backfill crawl",
        "OnlineIndexThrottleEvents: throttled backfill writes",
    ),
)

_EXPLANATIONS: dict[tuple[str, str], Explanation] = {
    (_DYNAMODB, "ReadThrottleEvents"): _READ_THROTTLE,
    (_DYNAMODB, "WriteThrottleEvents"): _WRITE_THROTTLE,
    (_DYNAMODB, "ThrottledRequests"): Explanation(
        "Requests (one per operation) were throttled for lack of capacity. One request can "
        "count several throttle events when it touches several items or indexes.",
        (
            "Which operation: the Operation dimension (GetItem, PutItem, Query, ...)",
            "ReadThrottleEvents / WriteThrottleEvents on the table and each GSI",
            "Hot keys in Contributor Insights; auto scaling maximums",
        ),
    ),
    (_DYNAMODB, "SystemErrors"): Explanation(
        "DynamoDB returned HTTP 500 errors: a problem on the AWS side, not in the request. "
        "SDKs retry these; a sustained rate is unusual.",
        (
            "AWS Health Dashboard for DynamoDB in this region",
            "Are callers' retries succeeding? Check the application's error rate",
            "Open an AWS support case if it lasts more than a few minutes",
        ),
    ),
    (_DYNAMODB, "UserErrors"): Explanation(
        "Requests in this account and region were rejected with HTTP 400 (validation, "
        "access denied, missing table...). It is a regional total, not per table.",
        (
            "Recent deploys: a changed request shape or IAM policy",
            "CloudTrail for AccessDeniedException and ValidationException",
            "Application logs for the exact error message",
        ),
    ),
    (_DYNAMODB, "ConditionalCheckFailedRequests"): Explanation(
        "Conditional writes failed their condition: optimistic locking conflicts or "
        "put-if-absent on items that already exist. Often expected; a jump means contention.",
        (
            "Did a deploy change the write conditions or add a concurrent writer?",
            "Several workers processing the same items (duplicate deliveries)",
        ),
    ),
    (_DYNAMODB, "SuccessfulRequestLatency"): Explanation(
        "Time DynamoDB took to serve successful requests, measured inside DynamoDB (not "
        "the network or client). High values point at large items, big queries or scans.",
        (
            "Which operation: the Operation dimension",
            "Item and result sizes: large Query/Scan pages take longer",
            "Throttling at the same time (retries add client-side latency, not this)",
        ),
    ),
    (_DYNAMODB, "ConsumedReadCapacityUnits"): _CAPACITY_READ,
    (_DYNAMODB, "ProvisionedReadCapacityUnits"): _CAPACITY_READ,
    (_DYNAMODB, "ConsumedWriteCapacityUnits"): _CAPACITY_WRITE,
    (_DYNAMODB, "ProvisionedWriteCapacityUnits"): _CAPACITY_WRITE,
    (_DYNAMODB, "AccountProvisionedReadCapacityUtilization"): _ACCOUNT_UTILIZATION,
    (_DYNAMODB, "AccountProvisionedWriteCapacityUtilization"): _ACCOUNT_UTILIZATION,
    (_DYNAMODB, "MaxProvisionedTableReadCapacityUtilization"): _TABLE_UTILIZATION,
    (_DYNAMODB, "MaxProvisionedTableWriteCapacityUtilization"): _TABLE_UTILIZATION,
    (_DYNAMODB, "ReplicationLatency"): Explanation(
        "Writes take long to reach this global-table replica. Readers in the receiving "
        "region see stale data; a failover now could lose recent writes.",
        (
            "Is the receiving replica throttling writes (WriteThrottleEvents there)?",
            "Replica write capacity or auto scaling in the receiving region",
            "AWS Health Dashboard for either region",
            "PendingReplicationCount: is the backlog still growing?",
        ),
    ),
    (_DYNAMODB, "PendingReplicationCount"): Explanation(
        "Item updates written in one replica but not yet in another: the replication "
        "backlog. A growing count means the receiving replica cannot keep up.",
        (
            "ReplicationLatency for the same receiving region",
            "Write capacity and throttling on the receiving replica",
        ),
    ),
    (_DYNAMODB, "TimeToLiveDeletedItemCount"): Explanation(
        "Items deleted by Time to Live. A sudden jump or drop means expiry values changed "
        "or TTL was switched on or off.",
        (
            "Recent changes to the TTL attribute or UpdateTimeToLive in CloudTrail",
            "A writer setting wrong expiry timestamps (seconds vs milliseconds)",
        ),
    ),
    (_DYNAMODB, "OnlineIndexPercentageProgress"): _INDEX_BUILD,
    (_DYNAMODB, "OnlineIndexConsumedWriteCapacity"): _INDEX_BUILD,
    (_DYNAMODB, "OnlineIndexThrottleEvents"): _INDEX_BUILD,
    (_DAX, "CPUUtilization"): Explanation(
        "CPU on DAX nodes is high. Above ~70-80 % DAX starts throttling requests and "
        "latency rises.",
        (
            "Which node: the NodeId dimension (one hot node means uneven keys)",
            "Request volume (TotalRequestCount) and cache misses: misses cost more CPU",
            "Scale out (more nodes for reads) or up (bigger node type)",
        ),
    ),
    (_DAX, "CacheMemoryUtilization"): Explanation(
        "DAX cache memory is nearly full. DAX then evicts items early, misses go up and "
        "more reads hit DynamoDB.",
        (
            "EvictedSize and ItemCacheMisses rising at the same time",
            "Item and query TTL in the parameter group: too long fills memory",
            "A larger node type",
        ),
    ),
    (_DAX, "EvictedSize"): Explanation(
        "DAX is evicting cached data to make room: the working set does not fit in the "
        "cache, so more reads go through to DynamoDB.",
        (
            "CacheMemoryUtilization on the nodes",
            "Cache miss counts and DynamoDB consumed read capacity",
            "A larger node type, or shorter item/query TTL",
        ),
    ),
    (_DAX, "ErrorRequestCount"): Explanation(
        "DAX requests returned user errors (bad requests, throttles, failed conditions) "
        "as the client sees them.",
        (
            "ThrottledRequestCount and FailedRequestCount to split the errors",
            "Recent client deploys or IAM changes for the DAX role",
        ),
    ),
    (_DAX, "FaultRequestCount"): Explanation(
        "DAX requests failed with internal errors (HTTP 500) in DAX or in DynamoDB behind it.",
        (
            "Node health and recent node replacements in the DAX events",
            "SystemErrors on the DynamoDB tables behind the cluster",
            "AWS Health Dashboard for DAX in this region",
        ),
    ),
    (_DAX, "FailedRequestCount"): Explanation(
        "Requests that failed in DAX, counting user errors and faults together.",
        (
            "ErrorRequestCount vs FaultRequestCount to see which kind",
            "Client logs for the exact error",
        ),
    ),
    (_DAX, "ThrottledRequestCount"): Explanation(
        "DAX throttled requests: a node is at capacity (CPU or network), or the DynamoDB "
        "table behind it throttled DAX.",
        (
            "CPUUtilization per node",
            "Read/WriteThrottleEvents on the DynamoDB tables behind the cluster",
            "Scale out (more nodes) for reads; writes go through to DynamoDB anyway",
        ),
    ),
    (_DAX, "ItemCacheMisses"): Explanation(
        "GetItem/BatchGetItem requests DAX could not serve from cache and sent to "
        "DynamoDB. More misses mean more DynamoDB reads and slower responses.",
        (
            "Evictions and CacheMemoryUtilization: is the cache too small?",
            "Item TTL in the parameter group: too short expires items early",
            "A new access pattern reading keys that were never cached",
        ),
    ),
    (_DAX, "QueryCacheMisses"): Explanation(
        "Query/Scan requests DAX could not serve from its query cache. Query results "
        "are cached by exact parameters, so varying parameters always miss.",
        (
            "Query TTL in the parameter group",
            "Evictions and CacheMemoryUtilization",
            "A client deploy that changed query parameters",
        ),
    ),
    (_DAX, "ClientConnections"): Explanation(
        "Number of client connections to DAX nodes. A jump usually means clients are "
        "created per request instead of reused; a drop means clients cannot connect.",
        (
            "Recent client deploys: is the DAX client created once and reused?",
            "Security groups and subnets if connections dropped to zero",
        ),
    ),
}

_GENERIC = Explanation(
    "The metric crossed the alarm's threshold.",
    (
        "The alarm's metric graph in CloudWatch around the time it fired",
        "Recent deploys or configuration changes to the resource",
    ),
)


def explain(metric_name: str | None, namespace: str | None = _DYNAMODB) -> Explanation:
    """What a DynamoDB/DAX metric means and what to look at first; a generic text otherwise."""
    known = _EXPLANATIONS.get((namespace or "", metric_name or ""))
    if known is not None:
        return known
    if namespace in (_DYNAMODB, _DAX) and metric_name:
        # Renamed or new metrics: same name in the other namespace is a better guess than nothing.
        other = _DAX if namespace == _DYNAMODB else _DYNAMODB
        if metric_name == "ItemCacheMissesCount":
            return _EXPLANATIONS[(_DAX, "ItemCacheMisses")]
        return _EXPLANATIONS.get((other, metric_name), _GENERIC)
    return _GENERIC


def explain_event(event: AlarmEvent) -> Explanation:
    """The explanation for an alarm: its main metric, or a composite alarm's rule."""
    if event.is_composite:
        return Explanation(
            "A composite alarm: it fires when its rule over other alarms is true.",
            (
                "Which of the alarms in the rule are in ALARM now",
                "Each of those alarms' own messages in this channel",
            ),
        )
    metric = event.primary_metric
    if metric is None:
        return _GENERIC
    return explain(metric.name, metric.namespace)


def explain_missing_data(event: AlarmEvent) -> Explanation:
    """Why an alarm can have INSUFFICIENT_DATA, and what to check: not the metric's meaning."""
    metric = event.primary_metric
    what = f"{metric.name} " if metric is not None else ""
    return Explanation(
        f"CloudWatch received no {what}data for this alarm's period. DynamoDB publishes "
        "throttle and error counts only when they happen, so no data often just means zero.",
        (
            "Does the table, index or DAX cluster in the alarm still exist (renamed, deleted)?",
            "Do the alarm's dimensions and statistic match the metric exactly?",
            "For event counts, set TreatMissingData to notBreaching to stop this notice",
        ),
    )


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


# --- console links ---------------------------------------------------------------------------


def console_links(event: AlarmEvent) -> dict[str, str]:
    """AWS console URLs for the alarm and what it concerns: keys alarm, table, replica, dax.

    Keys are present only when the region (and the table or cluster) is known.
    """
    region = region_code(event.region)
    if not region:
        return {}
    base = f"https://{region}.console.aws.amazon.com"
    links = {
        "alarm": f"{base}/cloudwatch/home?region={region}#alarmsV2:alarm/"
        + quote(event.name, safe="")
    }
    subject = event.subject
    if subject.table:
        links["table"] = table_url(subject.table, region)
        if replica := region_code(subject.receiving_region):
            links["replica"] = table_url(subject.table, replica)
    if subject.dax_cluster:
        links["dax"] = f"{base}/dynamodbv2/home?region={region}#dax-clusters:cluster=" + quote(
            subject.dax_cluster, safe=""
        )
    return links


def table_url(table: str, region: str) -> str:
    """The DynamoDB console page of a table."""
    return (
        f"https://{region}.console.aws.amazon.com/dynamodbv2/home?region={region}"
        f"#table?name={quote(table, safe='')}"
    )


# --- incident lifecycle -----------------------------------------------------------------------


@frozen
class Incident:
    """One open alarm thread in Slack: the root message and what was last done with it.

    ``channel``/``ts`` are empty until the root message is posted; ``repeats`` counts the
    repeat replies in the thread; ``last_event_id`` is the message id of the event last handled;
    ``closed_at`` is when the alarm was last seen back in OK (None while open or unknown), so
    a late copy of an older ALARM is not taken for a new incident.
    """

    alarm_arn: str
    opened_at: datetime
    channel: str
    ts: str
    state: AlarmState
    last_event_id: str
    repeats: int = 0
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """An incident stays open until an OK resolves it."""
        return self.state is not AlarmState.OK


DecisionKind = Literal[
    "post_root",
    "thread_repeat",
    "resolve",
    "post_info",
    "post_resolved",
    "suppress",
    "duplicate",
    "ignore",
]


@frozen
class Decision:
    """What to do with an alarm event, why, and the incident to store afterwards.

    ``incident`` is the incident as it should be saved once the action is done (None: delete
    or keep nothing). For ``post_root`` its channel and ts are empty: fill them from the
    posted message.
    """

    kind: DecisionKind
    reason: str
    incident: Incident | None


def _remember_ok(event: AlarmEvent, incident: Incident | None, ok_at: datetime) -> Incident:
    """The closed incident to keep after an OK with nothing open: when the alarm was OK."""
    if incident is None:
        return Incident(
            _key(event), ok_at, "", "", AlarmState.OK, event.message_id, closed_at=ok_at
        )
    latest = max(incident.closed_at or ok_at, ok_at)
    return replace(incident, state=AlarmState.OK, closed_at=latest)


def _key(event: AlarmEvent) -> str:
    return event.arn or event.name


def decide(
    event: AlarmEvent,
    incident: Incident | None,
    silenced_until: datetime | None,
    now: datetime,
) -> Decision:
    """What one alarm event does to its incident thread. The choices, in order:

    1. ``duplicate``: the event's message id is the one last handled (SNS and EventBridge
       deliver at least once). Nothing is posted; the incident is unchanged.
    2. ``ignore`` an event older than the open incident, or older than the OK that closed
       the last one (late, out-of-order delivery: SNS and EventBridge do not keep order);
       but ``post_resolved`` for an ALARM whose OK arrived first, when nothing was posted
       for it: one message that it fired and is already resolved, no open incident.
    3. ``resolve``: OK while an incident is open. Also while silenced: updating the root to
       resolved is quiet and leaving a red root behind is worse than a thread reply.
    4. ``ignore``: OK with nothing open ("nothing open"): alarms start in OK, and an OK
       after a restart of the state store says nothing new. Its time is kept (the decision's
       incident, state OK) so that an older ALARM arriving after it opens nothing.
    5. ``suppress``: silenced until a later time; posts nothing, the incident is unchanged
       (a repeat while silenced is not counted).
    6. ``thread_repeat``: ALARM or INSUFFICIENT_DATA while open; replies in the thread
       instead of posting a new root, so one incident is one message.
    7. ``post_root``: ALARM with nothing open opens an incident.
    8. ``post_info``: INSUFFICIENT_DATA with nothing open: worth one message (the metric
       stopped arriving: a deleted table, a broken agent) but not an incident.
    """
    is_open = incident is not None and incident.is_open
    timed = event.changed_at != UNKNOWN_TIME
    if incident is not None and event.message_id and event.message_id == incident.last_event_id:
        return Decision("duplicate", f"already handled message {event.message_id}", incident)
    if incident is not None and is_open and event.changed_at < incident.opened_at:
        return Decision("ignore", "older than the open incident", incident)
    closed_at = incident.closed_at if incident is not None and not is_open else None
    if closed_at is not None and timed and event.changed_at < closed_at:
        silenced = silenced_until is not None and now < silenced_until
        unposted = incident is not None and not incident.ts
        if event.state is AlarmState.ALARM and unposted and not silenced:
            # Its OK came first and nothing was posted: say it fired and is over already.
            assert incident is not None
            over = replace(incident, opened_at=event.changed_at, last_event_id=event.message_id)
            return Decision("post_resolved", "fired and resolved before it arrived", over)
        return Decision("ignore", "older than the last OK", incident)
    handled = (
        replace(incident, state=event.state, last_event_id=event.message_id)
        if incident is not None
        else None
    )
    if event.state is AlarmState.OK:
        ok_at = event.changed_at if timed else now
        if is_open and handled is not None:
            return Decision("resolve", "back to OK", replace(handled, closed_at=ok_at))
        return Decision("ignore", "nothing open", _remember_ok(event, incident, ok_at))
    if silenced_until is not None and now < silenced_until:
        return Decision("suppress", f"silenced until {silenced_until.isoformat()}", incident)
    if is_open and handled is not None:
        reason = "still in alarm" if event.state is AlarmState.ALARM else "no data while open"
        return Decision("thread_repeat", reason, replace(handled, repeats=handled.repeats + 1))
    if event.state is AlarmState.ALARM:
        opened = Incident(
            alarm_arn=_key(event),
            opened_at=event.changed_at if event.changed_at != UNKNOWN_TIME else now,
            channel="",
            ts="",
            state=AlarmState.ALARM,
            last_event_id=event.message_id,
        )
        return Decision("post_root", "new alarm", opened)
    return Decision("post_info", "no data, nothing open", None)
