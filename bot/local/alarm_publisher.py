"""Make a moto alarm change state and notify SNS as CloudWatch would.

moto's set_alarm_state changes the state but publishes nothing, so the local runtime builds
the notification CloudWatch sends to an alarm's SNS actions (the JSON documented at
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html) from the
alarm moto holds, and publishes it itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import botocore.loaders

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")

# CloudWatch's notification names where they differ from botocore's region descriptions
# (CloudWatch still says "EU (Ireland)" where newer AWS text says "Europe (Ireland)").
_CLOUDWATCH_REGION_NAMES = {
    "eu-central-1": "EU (Frankfurt)",
    "eu-central-2": "EU (Zurich)",
    "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)",
    "eu-south-2": "EU (Spain)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
}

_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}

_STATISTICS = {"SampleCount": "SAMPLE_COUNT"}


@lru_cache(maxsize=1)
def _botocore_region_names() -> dict[str, str]:
    data = botocore.loaders.create_loader().load_data("endpoints")
    return {
        code: str(region.get("description", code))
        for partition in data["partitions"]
        for code, region in partition["regions"].items()
    }


def region_display_name(region: str) -> str:
    """The name CloudWatch puts in a notification's Region: us-west-2 -> 'US West (Oregon)'."""
    return _CLOUDWATCH_REGION_NAMES.get(region) or _botocore_region_names().get(region, region)


def cloudwatch_timestamp(moment: datetime) -> str:
    """CloudWatch's notification timestamp form: 2026-11-22T09:42:10.123+0000."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def publish_alarm_state(
    cloudwatch: Any,
    sns: Any,
    alarm_name: str,
    state: str,
    *,
    region: str,
    now: datetime,
    reason: str | None = None,
    datapoint: float | None = None,
    events: Any | None = None,
) -> str:
    """Set a moto alarm's state and publish CloudWatch's SNS notification; returns the JSON.

    With an EventBridge client in ``events`` it also puts the "CloudWatch Alarm State Change"
    event CloudWatch sends to the default bus (whatever the alarm's actions).
    """
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    alarms = cloudwatch.describe_alarms(AlarmNames=[alarm_name], AlarmTypes=["MetricAlarm"])
    if not alarms["MetricAlarms"]:
        raise LookupError(f"no metric alarm named {alarm_name!r} in {region}")
    alarm = alarms["MetricAlarms"][0]
    old_state = alarm["StateValue"]
    reason = reason or _default_reason(alarm, old_state, state, now, datapoint)
    cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue=state, StateReason=reason)

    notification = build_alarm_notification(
        alarm, old_state=old_state, new_state=state, reason=reason, region=region, now=now
    )
    message = json.dumps(notification)
    if alarm.get("ActionsEnabled", True):
        subject = f'{state}: "{alarm_name}" in {region_display_name(region)}'
        # SNS subjects are limited to 100 characters; CloudWatch truncates too.
        for action in _actions_for(alarm, state):
            if action.startswith("arn:aws:sns:"):
                sns.publish(TopicArn=action, Message=message, Subject=subject[:100])
    if events is not None:
        event = alarm_state_change_detail(
            alarm, old_state=old_state, new_state=state, reason=reason, now=now
        )
        events.put_events(
            Entries=[
                {
                    "Source": "aws.cloudwatch",
                    "DetailType": "CloudWatch Alarm State Change",
                    "Resources": [alarm["AlarmArn"]],
                    "Detail": json.dumps(event),
                    "Time": now,
                }
            ]
        )
    return message


def alarm_state_change_detail(
    alarm: dict[str, Any], *, old_state: str, new_state: str, reason: str, now: datetime
) -> dict[str, Any]:
    """The ``detail`` of CloudWatch's EventBridge "CloudWatch Alarm State Change" event."""
    metric = {
        "namespace": alarm.get("Namespace"),
        "name": alarm.get("MetricName"),
        "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
    }
    stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
    previous = alarm.get("StateUpdatedTimestamp") or now
    return {
        "alarmName": alarm["AlarmName"],
        "state": {
            "value": new_state,
            "reason": reason,
            "timestamp": cloudwatch_timestamp(now),
        },
        "previousState": {
            "value": old_state,
            "reason": alarm.get("StateReason", ""),
            "timestamp": cloudwatch_timestamp(previous),
        },
        "configuration": {
            "description": alarm.get("AlarmDescription"),
            "metrics": [
                {
                    "id": "m1",
                    "metricStat": {"metric": metric, "period": alarm.get("Period"), "stat": stat},
                    "returnData": True,
                }
            ],
        },
    }


def build_alarm_notification(
    alarm: dict[str, Any],
    *,
    old_state: str,
    new_state: str,
    reason: str,
    region: str,
    now: datetime,
) -> dict[str, Any]:
    """The notification dict CloudWatch sends over SNS, from a describe_alarms MetricAlarm."""
    arn = str(alarm["AlarmArn"])
    updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": arn.split(":")[4],
        "AlarmConfigurationUpdatedTimestamp": cloudwatch_timestamp(updated or now),
        "NewStateValue": new_state,
        "NewStateReason": reason,
        "StateChangeTime": cloudwatch_timestamp(now),
        "Region": region_display_name(region),
        "AlarmArn": arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.get("OKActions", [])),
        "AlarmActions": list(alarm.get("AlarmActions", [])),
        "InsufficientDataActions": list(alarm.get("InsufficientDataActions", [])),
        "Trigger": _trigger(alarm),
    }


def _actions_for(alarm: dict[str, Any], state: str) -> list[str]:
    key = {"OK": "OKActions", "ALARM": "AlarmActions"}.get(state, "InsufficientDataActions")
    return list(alarm.get(key, []))


def _dimensions(dimensions: list[dict[str, str]]) -> list[dict[str, str]]:
    # CloudWatch writes dimensions lower-case, value first.
    return [{"value": d["Value"], "name": d["Name"]} for d in dimensions]


def _trigger(alarm: dict[str, Any]) -> dict[str, Any]:
    trigger: dict[str, Any] = {}
    if alarm.get("MetricName"):
        trigger["MetricName"] = alarm["MetricName"]
        trigger["Namespace"] = alarm.get("Namespace")
        if alarm.get("ExtendedStatistic"):
            trigger["StatisticType"] = "ExtendedStatistic"
            trigger["ExtendedStatistic"] = alarm["ExtendedStatistic"]
        else:
            statistic = str(alarm.get("Statistic", ""))
            trigger["StatisticType"] = "Statistic"
            trigger["Statistic"] = _STATISTICS.get(statistic, statistic.upper())
        trigger["Unit"] = alarm.get("Unit")
        trigger["Dimensions"] = _dimensions(alarm.get("Dimensions", []))
        trigger["Period"] = alarm.get("Period")
    trigger["EvaluationPeriods"] = alarm.get("EvaluationPeriods")
    if alarm.get("DatapointsToAlarm") is not None:
        trigger["DatapointsToAlarm"] = alarm["DatapointsToAlarm"]
    trigger["ComparisonOperator"] = alarm.get("ComparisonOperator")
    trigger["Threshold"] = alarm.get("Threshold")
    trigger["TreatMissingData"] = alarm.get("TreatMissingData", "")
    trigger["EvaluateLowSampleCountPercentile"] = alarm.get("EvaluateLowSampleCountPercentile", "")
    if alarm.get("Metrics"):
        trigger["Metrics"] = [_metric_query(q) for q in alarm["Metrics"]]
    return trigger


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": query["Id"]}
    if "Expression" in query:
        out["Expression"] = query["Expression"]
    if "Label" in query:
        out["Label"] = query["Label"]
    if "MetricStat" in query:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        out["MetricStat"] = {
            "Metric": {
                "Dimensions": _dimensions(metric.get("Dimensions", [])),
                "MetricName": metric.get("MetricName"),
                "Namespace": metric.get("Namespace"),
            },
            "Period": stat.get("Period"),
            "Stat": stat.get("Stat"),
        }
    out["ReturnData"] = query.get("ReturnData", True)
    return out


def _default_reason(
    alarm: dict[str, Any], old_state: str, new_state: str, now: datetime, datapoint: float | None
) -> str:
    if new_state == "INSUFFICIENT_DATA":
        return "Insufficient Data: 1 datapoint was unknown."
    threshold = float(alarm.get("Threshold", 0.0))
    operator = str(alarm.get("ComparisonOperator", "GreaterThanOrEqualToThreshold"))
    greater = operator.startswith("Greater")
    breaching = new_state == "ALARM"
    if datapoint is None:
        above = threshold + max(abs(threshold) * 9, 1.0)
        below = threshold - max(abs(threshold) / 2, 1.0)
        datapoint = above if greater == breaching else below
    period = int(alarm.get("Period") or 60)
    at = now.astimezone(UTC) - timedelta(seconds=period)
    at = at - timedelta(seconds=at.second % min(period, 60), microseconds=at.microsecond)
    phrase = _COMPARISONS.get(operator, operator)
    verb = "was" if breaching else "was not"
    evaluation = int(alarm.get("EvaluationPeriods") or 1)
    needed = int(alarm.get("DatapointsToAlarm") or evaluation)
    plural = "" if needed == 1 else "s"
    return (
        f"Threshold Crossed: 1 out of the last {evaluation} datapoints "
        f"[{datapoint:.1f} ({at:%d/%m/%y %H:%M:%S})] {verb} {phrase} the threshold "
        f"({threshold:.1f}) (minimum {needed} datapoint{plural} for {old_state} -> {new_state} "
        "transition)."
    )
