"""Alarms in AWS and in the state table: incident and silence records (pk `ALARM#<arn>`,
sk `INCIDENT` / `SILENCE`), recent metric values (GetMetricData, bounded in time), the
alarms that need attention (DescribeAlarms) and creating the recommended set (PutMetricAlarm).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.errors import translate
from bot.aws.state import StateStore, alarm_pk
from bot.domain.alarm_set import AlarmSpec, AlarmSummary, ExistingAlarm
from bot.domain.alarms import AlarmEvent, AlarmState, Incident, MetricRef

log = logging.getLogger(__name__)

# A closed incident is kept a while (late, out-of-order deliveries still find it); an open one
# is refreshed by each event and forgotten if nothing happens for a long time.
CLOSED_KEEP_S = 7 * 86400
OPEN_KEEP_S = 90 * 86400
RECENT_VALUES_TIMEOUT_S = 2.0
RECENT_POINTS = 30
MAX_SILENCE_S = 7 * 86400


# --- incidents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostedCopy:
    """One posted root message of an incident: the destination asked for and where it landed."""

    to: str
    channel: str
    ts: str


@dataclass(frozen=True)
class IncidentRecord:
    """An incident as stored: the domain incident, every posted copy, and a root post in progress.

    ``posting`` holds the message id of an event whose root messages are not all posted yet,
    so a retry posts only the missing copies.
    """

    incident: Incident
    alarm_name: str
    posts: tuple[PostedCopy, ...] = ()
    posting: str = ""
    # A resolve in progress: the OK's message id and the copies (``to``) already resolved,
    # so a retry after a failure part-way updates and replies only where it has not yet.
    resolving: str = ""
    resolved: tuple[str, ...] = ()

    @property
    def copies(self) -> tuple[PostedCopy, ...]:
        """Every posted root message (records without a posts list: the incident's one)."""
        if self.posts:
            return self.posts
        incident = self.incident
        if not incident.ts:
            return ()
        return (PostedCopy(incident.channel, incident.channel, incident.ts),)


def load_incident(state: StateStore, alarm_arn: str) -> IncidentRecord | None:
    """The stored incident of an alarm, or None."""
    item = state.get(alarm_pk(alarm_arn), "INCIDENT")
    if item is None:
        return None
    incident = Incident(
        alarm_arn=alarm_arn,
        opened_at=datetime.fromisoformat(item["opened_at"]),
        channel=item.get("channel", ""),
        ts=item.get("ts", ""),
        state=AlarmState(item.get("state", "ALARM")),
        last_event_id=item.get("last_event_id", ""),
        repeats=int(item.get("repeats", 0)),
        closed_at=datetime.fromisoformat(item["closed_at"]) if item.get("closed_at") else None,
    )
    posts = tuple(
        PostedCopy(str(p.get("to", "")), str(p["channel"]), str(p["ts"]))
        for p in item.get("posts", [])
    )
    return IncidentRecord(
        incident,
        item.get("alarm_name", ""),
        posts,
        item.get("posting", ""),
        item.get("resolving", ""),
        tuple(str(to) for to in item.get("resolved", [])),
    )


def save_incident(state: StateStore, record: IncidentRecord, *, now: datetime) -> None:
    """Write an incident record (open ones kept long, closed ones a week)."""
    incident = record.incident
    keep = OPEN_KEEP_S if incident.is_open else CLOSED_KEEP_S
    state.put(
        {
            "pk": alarm_pk(incident.alarm_arn),
            "sk": "INCIDENT",
            "alarm_name": record.alarm_name,
            "opened_at": incident.opened_at.isoformat(),
            "channel": incident.channel,
            "ts": incident.ts,
            "state": incident.state.value,
            "last_event_id": incident.last_event_id,
            "repeats": incident.repeats,
            "posts": [{"to": p.to, "channel": p.channel, "ts": p.ts} for p in record.posts],
            "posting": record.posting,
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
            "resolving": record.resolving or None,
            "resolved": list(record.resolved) or None,
            "expires_at": int(now.timestamp()) + keep,
        }
    )


# --- silences --------------------------------------------------------------------------------


def load_silence(state: StateStore, alarm_arn: str) -> datetime | None:
    """Until when an alarm is silenced, or None (TTL deletes lazily: the caller compares)."""
    item = state.get(alarm_pk(alarm_arn), "SILENCE")
    if item is None or not item.get("until"):
        return None
    return datetime.fromisoformat(item["until"])


def save_silence(
    state: StateStore, alarm_arn: str, *, until: datetime, by_user: str, now: datetime
) -> None:
    """Silence an alarm until ``until``; DynamoDB TTL removes the record afterwards."""
    state.put(
        {
            "pk": alarm_pk(alarm_arn),
            "sk": "SILENCE",
            "until": until.isoformat(),
            "by": by_user,
            "at": now.isoformat(),
            "expires_at": int(until.timestamp()),
        }
    )


# --- recent values ---------------------------------------------------------------------------

_STATS = {
    "SUM": "Sum",
    "AVERAGE": "Average",
    "MAXIMUM": "Maximum",
    "MINIMUM": "Minimum",
    "SAMPLE_COUNT": "SampleCount",
    "SAMPLECOUNT": "SampleCount",
}


def _stat(stat: str) -> str:
    return _STATS.get(stat.upper(), stat) if stat else "Average"


def metric_queries(event: AlarmEvent) -> list[dict[str, Any]]:
    """GetMetricData queries for the series the alarm evaluates ([] for composite alarms)."""
    if event.is_composite or not event.metrics:
        return []
    plain = [m for m in event.metrics if m.expression is None]
    if len(event.metrics) == 1 and plain:
        return [_stat_query(plain[0], "m1", True)]
    queries = []
    for index, metric in enumerate(event.metrics):
        query_id = metric.id or f"q{index}"
        if metric.expression is None:
            queries.append(_stat_query(metric, query_id, metric.return_data))
        elif "ANOMALY_DETECTION_BAND" not in metric.expression.upper():
            queries.append(
                {"Id": query_id, "Expression": metric.expression, "ReturnData": metric.return_data}
            )
    returned = [q for q in queries if q["ReturnData"]]
    if not returned:
        return []
    # One series to chart: the first one the alarm returns.
    for query in queries:
        query["ReturnData"] = query is returned[0]
    return queries


def _stat_query(metric: MetricRef, query_id: str, returned: bool) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": metric.namespace,
                "MetricName": metric.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in metric.dimensions],
            },
            "Period": metric.period or 60,
            "Stat": _stat(metric.stat),
        },
        "ReturnData": returned,
    }


def _period(event: AlarmEvent) -> int:
    return next((m.period for m in event.metrics if m.period), 60)


def fetch_recent_values(cloudwatch: Any, event: AlarmEvent, *, now: datetime) -> tuple[float, ...]:
    """The last values of the alarm's series, oldest first (one GetMetricData call)."""
    queries = metric_queries(event)
    if not queries:
        return ()
    period = _period(event)
    start = now - timedelta(seconds=min(period * RECENT_POINTS, 86400))
    response = cloudwatch.get_metric_data(
        MetricDataQueries=queries,
        StartTime=start,
        EndTime=now,
        ScanBy="TimestampAscending",
        MaxDatapoints=RECENT_POINTS * 2,
    )
    for result in response.get("MetricDataResults", []):
        points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
        return tuple(float(value) for _, value in points[-RECENT_POINTS:])
    return ()


def recent_values(
    cloudwatch: Any,
    event: AlarmEvent,
    *,
    now: datetime,
    timeout_s: float = RECENT_VALUES_TIMEOUT_S,
) -> tuple[float, ...] | None:
    """Recent values within ``timeout_s``, or None when CloudWatch fails or is slow.

    The notification must not wait on a chart: the call runs in a worker thread and is
    abandoned (not cancelled; botocore cannot) when the deadline passes.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metric-data")
    try:
        future = pool.submit(fetch_recent_values, cloudwatch, event, now=now)
        values = future.result(timeout=timeout_s)
    except FutureTimeout:
        log.warning(
            "GetMetricData slower than %ss for %s; posting without it", timeout_s, event.name
        )
        return None
    except (ClientError, BotoCoreError) as exc:
        log.warning("GetMetricData failed for %s (%s); posting without it", event.name, exc)
        return None
    finally:
        pool.shutdown(wait=False)
    return values or None


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


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def summarize(alarm: dict[str, Any], region: str, *, composite: bool = False) -> AlarmSummary:
    """A DescribeAlarms entry as an AlarmSummary."""
    namespace, metric = _first_metric(alarm)
    dims = dict(_dimensions(alarm))
    return AlarmSummary(
        name=str(alarm.get("AlarmName", "")),
        region=region,
        state=AlarmState(alarm.get("StateValue", "INSUFFICIENT_DATA")),
        reason=str(alarm.get("StateReason", "")),
        changed_at=_aware(alarm.get("StateUpdatedTimestamp")),
        namespace=namespace,
        metric=metric,
        table=dims.get("TableName"),
        receiving_region=dims.get("ReceivingRegion"),
        dax_cluster=dims.get("ClusterId"),
        composite=composite,
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
