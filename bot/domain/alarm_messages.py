"""Reading CloudWatch alarm messages into one :class:`~bot.domain.alarm_events.AlarmEvent`:
SNS JSON, EventBridge "CloudWatch Alarm State Change" and "CloudWatch Alarm Contributor State
Change" events, and the payload an alarm's Lambda action receives (``alarmData``).

Real payloads vary and any field may be missing or null. Parsing fills what it can with
neutral defaults (empty strings, ``None``, empty tuples) and raises
:class:`~bot.domain.errors.InvalidValue` only for something that is not an alarm at all
(no name or ARN, no state).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from bot.domain.alarm_conditions import describe_metrics_condition, describe_rule
from bot.domain.alarm_events import (
    ALARM_ARN,
    UNKNOWN_TIME,
    AlarmEvent,
    MetricRef,
    split_alarm_arn,
    subject_of,
)
from bot.domain.alarm_reasons import (
    band_metric,
    condition_from_reason,
    datapoints_from_reason,
    datapoints_from_reason_data,
    dict_of,
    float_of,
    int_of,
    list_of,
    reason_data,
    state_of,
    text_of,
    threshold_from_reason,
    time_of,
)
from bot.domain.errors import InvalidValue
from bot.domain.regions import region_code

if TYPE_CHECKING:
    from bot.domain.alarm_contributors import AlarmContributor
    from bot.domain.alarm_suppression import Suppression

STATE_CHANGE: Final = "CloudWatch Alarm State Change"
CONTRIBUTOR_CHANGE: Final = "CloudWatch Alarm Contributor State Change"
ALARM_DETAIL_TYPES: Final = (STATE_CHANGE, CONTRIBUTOR_CHANGE)  # a tuple: detail-type may be a list


def _account(value: object) -> str:
    text = text_of(value)
    return text if text is not None and len(text) == 12 and text.isdigit() else ""


def _arn_region(arn: object) -> str:
    """The region of any ARN ('arn:aws:sns:us-west-2:123:topic' -> 'us-west-2'), or ''."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return (region_code(parts[3]) or "") if len(parts) > 4 and parts[0] == "arn" else ""


def _insights(metric: MetricRef) -> MetricRef:
    """A Metrics Insights query names its metric (read by bot.domain.alarm_contributors)."""
    if (metric.expression or "").lstrip()[:6].upper() != "SELECT":
        return metric
    from bot.domain.alarm_contributors import insights_metric  # query alarms only

    return insights_metric(metric)


def metric_account(metrics: tuple[MetricRef, ...], alarm_account: str) -> str:
    """The account the alarm's metrics live in when it is not the alarm's own ('' if it is)."""
    returned = [m for m in metrics if m.return_data and m.account_id]
    candidates = returned or [m for m in metrics if m.account_id]
    account = candidates[0].account_id if candidates else ""
    return account if account and account != alarm_account else ""


# --- SNS ------------------------------------------------------------------------------------


def _sns_dimensions(value: object) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in list_of(value):
        item = dict_of(item)
        name = text_of(item.get("name") or item.get("Name"))
        dim_value = item.get("value", item.get("Value"))
        if name and dim_value is not None:
            pairs.append((name, str(dim_value)))
    return tuple(pairs)


def _sns_metrics(trigger: Mapping[str, Any]) -> tuple[MetricRef, ...]:
    entries = list_of(trigger.get("Metrics"))
    if not entries:
        name = text_of(trigger.get("MetricName"))
        if not name:
            return ()
        statistic = text_of(trigger.get("ExtendedStatistic")) or text_of(trigger.get("Statistic"))
        return (
            MetricRef(
                namespace=text_of(trigger.get("Namespace")) or "",
                name=name,
                stat=statistic or "",
                period=int_of(trigger.get("Period")),
                dimensions=_sns_dimensions(trigger.get("Dimensions")),
                account_id=_account(trigger.get("AccountId")),
            ),
        )
    metrics = []
    for entry in entries:
        entry = dict_of(entry)
        stat = dict_of(entry.get("MetricStat"))
        metric = dict_of(stat.get("Metric"))
        expression = text_of(entry.get("Expression"))
        if not expression and not text_of(metric.get("MetricName")):
            continue
        ref = MetricRef(
            namespace=text_of(metric.get("Namespace")) or "",
            name=text_of(metric.get("MetricName")) or "",
            stat=text_of(stat.get("Stat")) or "",
            period=int_of(stat.get("Period")) or int_of(entry.get("Period")),
            dimensions=_sns_dimensions(metric.get("Dimensions")),
            id=text_of(entry.get("Id")) or "",
            expression=expression,
            return_data=entry.get("ReturnData") is not False,
            label=text_of(entry.get("Label")),
            account_id=_account(entry.get("AccountId")),
        )
        metrics.append(_insights(ref))
    return tuple(metrics)


def _sns_condition(trigger: Mapping[str, Any], metrics: tuple[MetricRef, ...]) -> str:
    return describe_metrics_condition(
        metrics,
        band_id=text_of(trigger.get("ThresholdMetricId")),
        operator=text_of(trigger.get("ComparisonOperator")),
        threshold=float_of(trigger.get("Threshold")),
        period=int_of(trigger.get("Period")),
        evaluation_periods=int_of(trigger.get("EvaluationPeriods")),
        datapoints_to_alarm=int_of(trigger.get("DatapointsToAlarm")),
        treat_missing_data=text_of(trigger.get("TreatMissingData")),
    )


def _sns_region(arn_region: str, message: Mapping[str, Any], hints: tuple[str | None, ...]) -> str:
    """The ARN's region, else the display name's, else the SNS record's (topic, subscription)."""
    if arn_region:
        return arn_region
    from bot.domain.region_names import region_from_display_name  # only without an ARN

    named = region_from_display_name(message.get("Region"))
    if named:
        return named
    return next((r for r in map(_arn_region, hints) if r), "")


def parse_sns_alarm(
    message: Mapping[str, Any],
    *,
    message_id: str,
    received_at: datetime | None = None,
    topic_arn: str | None = None,
    subscription_arn: str | None = None,
) -> AlarmEvent:
    """An AlarmEvent from a decoded SNS alarm message.

    The region comes from the alarm ARN, else from the message's ``Region`` display name
    ("US West (Oregon)", or an older "US - N. Virginia"), else from the SNS record's topic or
    subscription ARN. ``received_at`` (the SNS Timestamp) stands in when the message has no
    usable StateChangeTime. An EventBridge alarm event delivered through SNS is parsed as one.
    """
    if not isinstance(message, Mapping):
        raise InvalidValue("this SNS message is not a CloudWatch alarm (not a JSON object)")
    if message.get("detail-type") in ALARM_DETAIL_TYPES or "alarmData" in message:
        return parse_eventbridge_alarm(message)
    arn = text_of(message.get("AlarmArn")) or ""
    arn_region, arn_account, arn_name = split_alarm_arn(arn)
    name = text_of(message.get("AlarmName")) or arn_name
    if not name:
        raise InvalidValue("this SNS message is not a CloudWatch alarm (no AlarmName or AlarmArn)")
    state = state_of(message.get("NewStateValue"))
    if state is None:
        raise InvalidValue(f"alarm message for {name!r} has no valid NewStateValue")
    trigger = dict_of(message.get("Trigger"))
    metrics = _sns_metrics(trigger)
    rule = text_of(message.get("AlarmRule"))
    reason = text_of(message.get("NewStateReason")) or ""
    if rule is not None:
        condition = describe_rule(rule)
    elif trigger:
        condition = _sns_condition(trigger, metrics)
    else:
        condition = ""
    account = (
        arn_account
        or _account(message.get("AWSAccountId"))
        or str(message.get("AWSAccountId") or "")
    )
    return AlarmEvent(
        name=name,
        arn=arn,
        region=_sns_region(arn_region, message, (topic_arn, subscription_arn)),
        account=account,
        state=state,
        previous_state=state_of(message.get("OldStateValue")),
        reason=reason,
        changed_at=time_of(message.get("StateChangeTime")) or received_at or UNKNOWN_TIME,
        description=text_of(message.get("AlarmDescription")) or "",
        metrics=metrics,
        subject=subject_of(metrics),
        condition=condition,
        composite_rule=rule,
        recent_datapoints=datapoints_from_reason(reason),
        source="sns",
        message_id=message_id,
        metric_account=metric_account(metrics, account),
        suppression=_suppression(message, message, message),
        threshold=float_of(trigger.get("Threshold")),
    )


# --- EventBridge (and the alarm's Lambda action) --------------------------------------------


def _eventbridge_metrics(configuration: Mapping[str, Any]) -> tuple[MetricRef, ...]:
    metrics = []
    for entry in list_of(configuration.get("metrics")):
        entry = dict_of(entry)
        stat = dict_of(entry.get("metricStat"))
        metric = dict_of(stat.get("metric"))
        expression = text_of(entry.get("expression"))
        if not expression and not text_of(metric.get("name")):
            continue
        dimensions = tuple(
            (str(k), str(v)) for k, v in dict_of(metric.get("dimensions")).items() if v is not None
        )
        ref = MetricRef(
            namespace=text_of(metric.get("namespace")) or "",
            name=text_of(metric.get("name")) or "",
            stat=text_of(stat.get("stat")) or "",
            period=int_of(stat.get("period")) or int_of(entry.get("period")),
            dimensions=dimensions,
            id=text_of(entry.get("id")) or "",
            expression=expression,
            return_data=entry.get("returnData") is not False,
            label=text_of(entry.get("label")),
            account_id=_account(entry.get("accountId") or entry.get("AccountId")),
        )
        metrics.append(_insights(ref))
    return tuple(metrics)


def _contributor(detail: Mapping[str, Any]) -> AlarmContributor | None:
    if not detail.get("alarmContributor"):
        return None
    from bot.domain.alarm_contributors import read_contributor  # contributor events only

    return read_contributor(detail)


def _suppression(
    holder: Mapping[str, Any], state: Mapping[str, Any], configuration: Mapping[str, Any]
) -> Suppression | None:
    """A suppressor's or mute rule's hold on the alarm's actions (None when they ran)."""
    fields = ("muteDetail", "MuteDetail", "actionsSuppressedBy", "ActionsSuppressedBy")
    if not any(holder.get(f) or state.get(f) for f in fields):
        return None
    from bot.domain.alarm_suppression import read_suppression  # suppressed or muted only

    return read_suppression(holder, state, configuration)


def _unwrap_lambda_action(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An alarm Lambda action's payload ({alarmArn, accountId, alarmData}) as an EventBridge
    event, so one reader serves both."""
    data = dict_of(event.get("alarmData"))
    kind = CONTRIBUTOR_CHANGE if data.get("alarmContributor") else STATE_CHANGE
    arn = text_of(event.get("alarmArn"))
    return {
        "detail-type": kind,
        "id": text_of(event.get("id")) or "",
        "account": event.get("accountId"),
        "region": event.get("region"),
        "time": event.get("time"),
        "resources": [arn] if arn else [],
        "detail": data,
    }


def parse_eventbridge_alarm(event: Mapping[str, Any]) -> AlarmEvent:
    """An AlarmEvent from an EventBridge alarm state change (or contributor state change).

    EventBridge carries no threshold or comparison in its configuration, so the condition
    is read back from the state reason and reasonData; the recent values come from
    reasonData's ``recentDatapoints`` (or ``evaluatedDatapoints``), else from the reason.
    """
    if not isinstance(event, Mapping):
        raise InvalidValue("this event is not a CloudWatch alarm state change (not a JSON object)")
    if "alarmData" in event and "detail" not in event:
        event = _unwrap_lambda_action(event)
    detail = dict_of(event.get("detail"))
    resources = [r for r in list_of(event.get("resources")) if isinstance(r, str)]
    arn = next((r for r in resources if ALARM_ARN.match(r)), "")
    arn_region, arn_account, arn_name = split_alarm_arn(arn)
    name = text_of(detail.get("alarmName")) or arn_name
    if not name:
        raise InvalidValue("this event is not a CloudWatch alarm state change (no alarm name)")
    state_info = dict_of(detail.get("state"))
    state = state_of(state_info.get("value"))
    if state is None:
        raise InvalidValue(f"alarm event for {name!r} has no valid state")
    # Without an ARN the envelope's region is all there is, and anyone who may publish to
    # the bot's SNS topic writes it: only a region code may reach a console URL host.
    region = arn_region or region_code(event.get("region")) or ""
    account = arn_account or _account(event.get("account")) or text_of(event.get("account")) or ""
    if not arn and region and account:
        arn = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
    configuration = dict_of(detail.get("configuration"))
    metrics = _eventbridge_metrics(configuration)
    rule = text_of(configuration.get("alarmRule"))
    reason = text_of(state_info.get("reason")) or ""
    data = reason_data(state_info.get("reasonData"))
    if rule is not None:
        condition = describe_rule(rule)
    elif metrics:
        condition = condition_from_reason(reason, metrics, data)
    else:
        condition = ""
    contributor = _contributor(detail)
    subject_metrics = metrics
    if contributor is not None:
        row = MetricRef("", "", "", None, dimensions=contributor.attributes)
        subject_metrics = (row, *metrics)
    return AlarmEvent(
        name=name,
        arn=arn,
        region=region,
        account=account,
        state=state,
        previous_state=state_of(dict_of(detail.get("previousState")).get("value")),
        reason=reason,
        changed_at=time_of(state_info.get("timestamp"))
        or time_of(event.get("time"))
        or UNKNOWN_TIME,
        description=text_of(configuration.get("description")) or "",
        metrics=metrics,
        subject=subject_of(subject_metrics),
        condition=condition,
        composite_rule=rule,
        recent_datapoints=datapoints_from_reason_data(data) or datapoints_from_reason(reason),
        source="eventbridge",
        message_id=text_of(event.get("id")) or "",
        metric_account=metric_account(metrics, account),
        suppression=_suppression(detail, state_info, configuration),
        contributor=contributor,
        threshold=None if band_metric(metrics) else threshold_from_reason(reason, data),
    )
