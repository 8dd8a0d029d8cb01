"""Alarms as a set: the ones that need attention (`/ddb alarms`) and the recommended set for a
table (`/ddb alarms recommend`), decided without AWS.

Pure: the adapter turns DescribeAlarms / DescribeTable answers into the values here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from bot.domain.alarm_conditions import describe_condition
from bot.domain.alarm_events import AlarmState
from bot.domain.records import frozen

DYNAMODB = "AWS/DynamoDB"
DAX = "AWS/DAX"


@frozen
class AlarmSummary:
    """One alarm as `/ddb alarms` lists it."""

    name: str
    region: str
    state: AlarmState
    reason: str
    changed_at: datetime | None
    namespace: str = ""
    metric: str = ""
    table: str | None = None
    receiving_region: str | None = None
    dax_cluster: str | None = None
    composite: bool = False
    account: str = ""  # how the alarm's account is named in messages ('' : not shown)
    arn: str = ""
    acked_by: str = ""  # who pressed "I'm on it" on its open incident, and how long after
    acked_after: timedelta | None = None


def alarm_url(name: str, region: str) -> str:
    """The CloudWatch console page of an alarm."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(name, safe='')}"
    )


def needs_attention(alarms: Iterable[AlarmSummary]) -> list[AlarmSummary]:
    """Alarms in ALARM first, then INSUFFICIENT_DATA; each group newest change first."""
    order = {AlarmState.ALARM: 0, AlarmState.INSUFFICIENT_DATA: 1}
    found = [a for a in alarms if a.state in order]

    def newest_first(alarm: AlarmSummary) -> float:
        return -(alarm.changed_at.timestamp() if alarm.changed_at else 0.0)

    return sorted(found, key=lambda a: (order[a.state], newest_first(a), a.region, a.name))


# --- the recommended set -------------------------------------------------------------------

# Throttle and error counts are only published when they happen: missing data is "zero".
_MISSING_IS_FINE = "notBreaching"
REPLICATION_LATENCY_MS = 60_000.0


@frozen
class AlarmSpec:
    """A metric alarm opsbot would create: enough to call PutMetricAlarm."""

    name: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    operator: str
    description: str
    namespace: str = DYNAMODB
    treat_missing_data: str = _MISSING_IS_FINE

    @property
    def condition(self) -> str:
        """The condition in words, as alarm messages show it."""
        return describe_condition(
            metric=self.metric,
            stat=self.stat,
            operator=self.operator,
            threshold=self.threshold,
            period=self.period,
            evaluation_periods=self.evaluation_periods,
            datapoints_to_alarm=self.datapoints_to_alarm,
        )

    @property
    def watches(self) -> tuple[str, str, frozenset[tuple[str, str]]]:
        """What the alarm watches: another alarm on the same series counts as the same alarm."""
        return (self.namespace, self.metric, frozenset(self.dimensions))

    def as_payload(self) -> dict[str, Any]:
        """A JSON-able form for a stored plan."""
        return {
            "name": self.name,
            "metric": self.metric,
            "dimensions": [list(d) for d in self.dimensions],
            "stat": self.stat,
            "period": self.period,
            "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints_to_alarm,
            "threshold": self.threshold,
            "operator": self.operator,
            "description": self.description,
            "namespace": self.namespace,
            "treat_missing_data": self.treat_missing_data,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> AlarmSpec:
        """The inverse of :meth:`as_payload`."""
        return cls(
            name=str(data["name"]),
            metric=str(data["metric"]),
            dimensions=tuple((str(n), str(v)) for n, v in data["dimensions"]),
            stat=str(data["stat"]),
            period=int(data["period"]),
            evaluation_periods=int(data["evaluation_periods"]),
            datapoints_to_alarm=int(data["datapoints_to_alarm"]),
            threshold=float(data["threshold"]),
            operator=str(data["operator"]),
            description=str(data["description"]),
            namespace=str(data.get("namespace", DYNAMODB)),
            treat_missing_data=str(data.get("treat_missing_data", _MISSING_IS_FINE)),
        )


def recommended_alarms(
    table: str, region: str, replica_regions: Iterable[str] = ()
) -> tuple[AlarmSpec, ...]:
    """Read/write throttles, system errors, and replication latency per other replica region."""
    dims = (("TableName", table),)

    def count_alarm(suffix: str, metric: str, what: str) -> AlarmSpec:
        return AlarmSpec(
            name=f"{table}-{suffix}",
            metric=metric,
            dimensions=dims,
            stat="Sum",
            period=60,
            evaluation_periods=5,
            datapoints_to_alarm=2,
            threshold=1.0,
            operator="GreaterThanOrEqualToThreshold",
            description=f"{what} on {table} ({region}); created by opsbot",
        )

    specs = [
        count_alarm("read-throttles", "ReadThrottleEvents", "Reads throttled"),
        count_alarm("write-throttles", "WriteThrottleEvents", "Writes throttled"),
        count_alarm("system-errors", "SystemErrors", "DynamoDB internal errors (HTTP 500)"),
    ]
    for receiving in sorted(set(replica_regions) - {region}):
        specs.append(
            AlarmSpec(
                name=f"{table}-replication-latency-{receiving}",
                metric="ReplicationLatency",
                dimensions=(("TableName", table), ("ReceivingRegion", receiving)),
                stat="Average",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                threshold=REPLICATION_LATENCY_MS,
                operator="GreaterThanOrEqualToThreshold",
                description=(
                    f"Replication of {table} from {region} to {receiving} is slower than "
                    "60 s; created by opsbot"
                ),
            )
        )
    return tuple(specs)


@frozen
class ExistingAlarm:
    """An alarm already in the region: its name and what it watches (single-metric alarms)."""

    name: str
    namespace: str = ""
    metric: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def watches(self) -> tuple[str, str, frozenset[tuple[str, str]]]:
        """What the alarm watches, comparable with :attr:`AlarmSpec.watches`."""
        return (self.namespace, self.metric, frozenset(self.dimensions))


@frozen
class Recommendation:
    """Recommended alarms to create, and the ones already covered (with the covering alarm)."""

    table: str
    region: str
    create: tuple[AlarmSpec, ...]
    existing: tuple[tuple[AlarmSpec, str], ...]


def plan_recommendation(
    table: str, region: str, specs: Iterable[AlarmSpec], existing: Iterable[ExistingAlarm]
) -> Recommendation:
    """Skip every spec whose name is taken or whose metric series already has an alarm."""
    known = list(existing)
    by_name = {a.name: a.name for a in known}
    by_series = {a.watches: a.name for a in known if a.metric}
    create, covered = [], []
    for spec in specs:
        found = by_name.get(spec.name) or by_series.get(spec.watches)
        if found:
            covered.append((spec, found))
        else:
            create.append(spec)
    return Recommendation(table, region, tuple(create), tuple(covered))
