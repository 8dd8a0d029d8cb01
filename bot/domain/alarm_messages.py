"""Reading CloudWatch alarm messages: SNS JSON and EventBridge "CloudWatch Alarm State
Change" events, each into one :class:`~bot.domain.alarm_events.AlarmEvent`.

Real payloads vary and any field may be missing or null. Parsing fills what it can with
neutral defaults (empty strings, ``None``, empty tuples) and raises
:class:`~bot.domain.errors.InvalidValue` only for something that is not an alarm at all
(no name or ARN, no state).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.alarm_conditions import (
    describe_condition,
    describe_metrics_condition,
    describe_rule,
    evaluated_metric,
)
from bot.domain.alarm_events import (
    ALARM_ARN,
    UNKNOWN_TIME,
    AlarmEvent,
    AlarmState,
    MetricRef,
    region_from_display_name,
    split_alarm_arn,
    subject_of,
)
from bot.domain.errors import InvalidValue
from bot.domain.regions import region_code
from bot.domain.times import parse_aws_time

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


def _sns_condition(trigger: Mapping[str, Any], metrics: tuple[MetricRef, ...]) -> str:
    return describe_metrics_condition(
        metrics,
        band_id=_str(trigger.get("ThresholdMetricId")),
        operator=_str(trigger.get("ComparisonOperator")),
        threshold=_float(trigger.get("Threshold")),
        period=_int(trigger.get("Period")),
        evaluation_periods=_int(trigger.get("EvaluationPeriods")),
        datapoints_to_alarm=_int(trigger.get("DatapointsToAlarm")),
        treat_missing_data=_str(trigger.get("TreatMissingData")),
    )


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
    arn_region, arn_account, arn_name = split_alarm_arn(arn)
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
        region=arn_region or region_from_display_name(_str(message.get("Region"))),
        account=arn_account or str(message.get("AWSAccountId") or ""),
        state=state,
        previous_state=_state(message.get("OldStateValue")),
        reason=reason,
        changed_at=_time(message.get("StateChangeTime")) or received_at or UNKNOWN_TIME,
        description=_str(message.get("AlarmDescription")) or "",
        metrics=metrics,
        subject=subject_of(metrics),
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
    arn = next((r for r in resources if ALARM_ARN.match(r)), "")
    arn_region, arn_account, arn_name = split_alarm_arn(arn)
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
        condition = _condition_from_reason(reason, evaluated_metric(metrics, None), reason_data)
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
        subject=subject_of(metrics),
        condition=condition,
        composite_rule=rule,
        recent_datapoints=datapoints,
        source="eventbridge",
        message_id=_str(event.get("id")) or "",
    )
