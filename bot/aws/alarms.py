"""The `/ddb alarms` commands' AWS calls: the alarms that need attention (DescribeAlarms),
the replicas a recommended set covers, and creating that set (PutMetricAlarm). Incident and
silence records and recent values are in bot/aws/incidents.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.clients import utc
from bot.aws.errors import translate
from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_set import AlarmSpec, AlarmSummary, ExistingAlarm

log = logging.getLogger(__name__)


# --- alarms that need attention ------------------------------------------------------------------


def _dimensions(alarm: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    found = [(d["Name"], str(d["Value"])) for d in alarm.get("Dimensions") or []]
    for metric in alarm.get("Metrics") or []:
        inner = (metric.get("MetricStat") or {}).get("Metric") or {}
        found += [(d["Name"], str(d["Value"])) for d in inner.get("Dimensions") or []]
    return tuple(found)


def _first_metric(alarm: dict[str, Any]) -> tuple[str, str]:
    if alarm.get("MetricName"):
        return str(alarm.get("Namespace", "")), str(alarm["MetricName"])
    for metric in alarm.get("Metrics") or []:
        inner = (metric.get("MetricStat") or {}).get("Metric") or {}
        if inner.get("MetricName"):
            return str(inner.get("Namespace", "")), str(inner["MetricName"])
    return "", ""


def summarize(alarm: dict[str, Any], region: str, *, composite: bool = False) -> AlarmSummary:
    """A DescribeAlarms entry as an AlarmSummary."""
    namespace, metric = _first_metric(alarm)
    dims = dict(_dimensions(alarm))
    return AlarmSummary(
        name=str(alarm.get("AlarmName", "")),
        region=region,
        state=AlarmState(alarm.get("StateValue", "INSUFFICIENT_DATA")),
        reason=str(alarm.get("StateReason", "")),
        changed_at=utc(alarm.get("StateUpdatedTimestamp")),
        namespace=namespace,
        metric=metric,
        table=dims.get("TableName"),
        receiving_region=dims.get("ReceivingRegion"),
        dax_cluster=dims.get("ClusterId"),
        composite=composite,
        arn=str(alarm.get("AlarmArn", "")),
    )


def alarms_needing_attention(
    cloudwatch: Any, region: str, *, table: str | None = None
) -> list[AlarmSummary]:
    """DynamoDB/DAX metric alarms (and composite alarms) in ALARM or INSUFFICIENT_DATA.

    With ``table``, only metric alarms whose TableName dimension is that table.
    """
    found: list[AlarmSummary] = []
    paginator = cloudwatch.get_paginator("describe_alarms")
    try:
        for state in ("ALARM", "INSUFFICIENT_DATA"):
            types = ["MetricAlarm"] if table else ["MetricAlarm", "CompositeAlarm"]
            for page in paginator.paginate(StateValue=state, AlarmTypes=types):
                for alarm in page.get("MetricAlarms", []):
                    summary = summarize(alarm, region)
                    if summary.namespace not in ("AWS/DynamoDB", "AWS/DAX"):
                        continue
                    if table is None or summary.table == table:
                        found.append(summary)
                for alarm in page.get("CompositeAlarms", []):
                    found.append(summarize(alarm, region, composite=True))
    except ClientError as exc:
        raise translate(exc, region=region) from exc
    return found


# --- the recommended set --------------------------------------------------------------------------


def replica_regions(dynamodb: Any, table: str, region: str) -> tuple[str, ...]:
    """The regions of a global table's replicas (DescribeTable `Replicas`); () for a plain table."""
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc
    return tuple(
        str(r["RegionName"]) for r in description.get("Replicas") or [] if r.get("RegionName")
    )


def existing_alarms(cloudwatch: Any, region: str, names: Iterable[str]) -> list[ExistingAlarm]:
    """Metric alarms in the region: every one on AWS/DynamoDB, plus any with one of ``names``."""
    wanted = set(names)
    found: list[ExistingAlarm] = []
    try:
        for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        ):
            for alarm in page.get("MetricAlarms", []):
                namespace, metric = _first_metric(alarm)
                if namespace == "AWS/DynamoDB" or alarm.get("AlarmName") in wanted:
                    single = bool(alarm.get("MetricName"))
                    found.append(
                        ExistingAlarm(
                            name=str(alarm["AlarmName"]),
                            namespace=namespace if single else "",
                            metric=metric if single else "",
                            dimensions=_dimensions(alarm) if single else (),
                        )
                    )
            for alarm in page.get("CompositeAlarms", []):
                if alarm.get("AlarmName") in wanted:
                    found.append(ExistingAlarm(name=str(alarm["AlarmName"])))
    except ClientError as exc:
        raise translate(exc, region=region) from exc
    return found


def put_alarm(cloudwatch: Any, spec: AlarmSpec, *, topic_arn: str, region: str) -> str:
    """Create one metric alarm notifying ``topic_arn`` on ALARM and OK; returns the request id."""
    try:
        response = cloudwatch.put_metric_alarm(
            AlarmName=spec.name,
            AlarmDescription=spec.description,
            Namespace=spec.namespace,
            MetricName=spec.metric,
            Dimensions=[{"Name": n, "Value": v} for n, v in spec.dimensions],
            Statistic=spec.stat,
            Period=spec.period,
            EvaluationPeriods=spec.evaluation_periods,
            DatapointsToAlarm=spec.datapoints_to_alarm,
            Threshold=spec.threshold,
            ComparisonOperator=spec.operator,
            TreatMissingData=spec.treat_missing_data,
            AlarmActions=[topic_arn],
            OKActions=[topic_arn],
        )
    except ClientError as exc:
        raise translate(exc, region=region) from exc
    return str((response.get("ResponseMetadata") or {}).get("RequestId", ""))
