"""Replicas of global tables, replication lag, throttling-alarm coverage and the risks they add.

Pure: parses the documented shapes of DescribeTable (`Replicas`, version 2019.11.21),
DescribeGlobalTable (`ReplicationGroup`, version 2017.11.29), GetMetricData results and
DescribeAlarms metric alarms, and decides which replica is lagging.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.records import frozen
from bot.domain.refs import TableRef
from bot.domain.tables import TableStatus, table_risks

CURRENT_VERSION = "2019.11.21"
LEGACY_VERSION = "2017.11.29"
# A replica further behind than this is "lagging". AWS reports a healthy global table's
# ReplicationLatency in the low seconds; a minute means writes are piling up somewhere.
DEFAULT_LAG_THRESHOLD_MS = 60_000.0
THROTTLE_METRICS = frozenset({"ReadThrottleEvents", "WriteThrottleEvents"})
# ThrottledRequests counts throttled requests of every kind: an alarm on it covers both.
_ANY_THROTTLE = "ThrottledRequests"


@frozen
class ReplicationLag:
    """Replication from one region to another: latest and 1-hour max latency, pending items."""

    source_region: str
    receiving_region: str
    latest_ms: float | None = None
    max_ms: float | None = None
    pending: int | None = None

    @property
    def has_data(self) -> bool:
        """Whether CloudWatch had any datapoint in the window."""
        return self.latest_ms is not None or self.pending is not None


@frozen
class ReplicaHealth:
    """One region of a global table as DescribeTable or DescribeGlobalTable reports it."""

    region: str
    status: str
    status_description: str = ""
    table_class: str | None = None
    indexes: tuple[str, ...] = ()
    is_source: bool = False


@frozen
class GlobalTable:
    """A table and its replicas; ``version`` is '' when the table is not global."""

    name: str
    source_region: str
    version: str
    replicas: tuple[ReplicaHealth, ...] = ()
    lags: tuple[ReplicationLag, ...] = ()
    metrics_available: bool = True
    legacy_checked: bool = True
    notes: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        """Whether the table has at least one replica in another region."""
        return any(not r.is_source for r in self.replicas)

    def lag_into(self, region: str) -> ReplicationLag | None:
        """The worst replication into ``region`` from any other region (None: nothing known)."""
        incoming = [lag for lag in self.lags if lag.receiving_region == region and lag.has_data]
        if not incoming:
            return None
        return max(incoming, key=lambda lag: (lag.latest_ms or 0.0, lag.max_ms or 0.0))


@frozen
class AlarmInfo:
    """A CloudWatch metric alarm, reduced to what table health needs."""

    name: str
    state: str
    table: str | None
    metrics: frozenset[str] = field(default_factory=frozenset)
    namespace: str = ""
    updated: datetime | None = None
    reason: str = ""


def replicas_from_table(description: Mapping[str, Any], region: str) -> tuple[ReplicaHealth, ...]:
    """The source region first, then each entry of DescribeTable's ``Replicas`` (2019.11.21)."""
    source = ReplicaHealth(
        region=region,
        status=str(description.get("TableStatus", "UNKNOWN")),
        table_class=_table_class(description.get("TableClassSummary")),
        indexes=tuple(
            str(i.get("IndexName", "")) for i in description.get("GlobalSecondaryIndexes") or []
        ),
        is_source=True,
    )
    others = [_replica(r, region) for r in description.get("Replicas") or [] if r.get("RegionName")]
    return (source, *sorted((r for r in others if not r.is_source), key=lambda r: r.region))


def replicas_from_legacy(
    global_description: Mapping[str, Any], region: str
) -> tuple[ReplicaHealth, ...]:
    """The regions of a 2017.11.29 global table (DescribeGlobalTable), the source first."""
    group_status = str(global_description.get("GlobalTableStatus", "UNKNOWN"))
    replicas = []
    for entry in global_description.get("ReplicationGroup") or []:
        if not entry.get("RegionName"):
            continue
        replica = _replica(entry, region)
        if not entry.get("ReplicaStatus"):
            # Older responses list only RegionName: the group's status is the best we know.
            replica = ReplicaHealth(replica.region, group_status, is_source=replica.is_source)
        replicas.append(replica)
    replicas.sort(key=lambda r: (not r.is_source, r.region))
    return tuple(replicas)


def _replica(entry: Mapping[str, Any], source_region: str) -> ReplicaHealth:
    region = str(entry["RegionName"])
    return ReplicaHealth(
        region=region,
        status=str(entry.get("ReplicaStatus") or "UNKNOWN"),
        status_description=str(entry.get("ReplicaStatusDescription") or ""),
        table_class=_table_class(entry.get("ReplicaTableClassSummary")),
        indexes=tuple(
            str(i.get("IndexName", "")) for i in entry.get("GlobalSecondaryIndexes") or []
        ),
        is_source=region == source_region,
    )


def _table_class(summary: Any) -> str | None:
    if isinstance(summary, Mapping) and summary.get("TableClass"):
        return str(summary["TableClass"])
    return None


def latency_query_id(index: int) -> str:
    """The GetMetricData query id of ReplicationLatency towards the ``index``-th receiver."""
    return f"latency{index}"


def pending_query_id(index: int) -> str:
    """The GetMetricData query id of PendingReplicationCount towards the ``index``-th receiver."""
    return f"pending{index}"


def lags_from_metric_data(
    source_region: str, receivers: Sequence[str], results: Iterable[Mapping[str, Any]]
) -> tuple[ReplicationLag, ...]:
    """One ReplicationLag per receiver from GetMetricData results (ids from *_query_id)."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    for result in results:
        points = list(zip(result.get("Timestamps") or [], result.get("Values") or [], strict=False))
        series.setdefault(str(result.get("Id", "")), []).extend(
            (_aware(ts), float(v)) for ts, v in points
        )
    lags = []
    for index, receiver in enumerate(receivers):
        latency = sorted(series.get(latency_query_id(index), []))
        pending = sorted(series.get(pending_query_id(index), []))
        lags.append(
            ReplicationLag(
                source_region=source_region,
                receiving_region=receiver,
                latest_ms=latency[-1][1] if latency else None,
                max_ms=max(v for _, v in latency) if latency else None,
                pending=int(pending[-1][1]) if pending else None,
            )
        )
    return tuple(lags)


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(0, UTC)


def is_lagging(lag: ReplicationLag | None, threshold_ms: float = DEFAULT_LAG_THRESHOLD_MS) -> bool:
    """Whether the latest replication latency is beyond the threshold."""
    return lag is not None and lag.latest_ms is not None and lag.latest_ms > threshold_ms


def alarm_from_description(alarm: Mapping[str, Any]) -> AlarmInfo:
    """An AlarmInfo from one DescribeAlarms ``MetricAlarms`` entry (plain or metric math)."""
    dimensions = list(alarm.get("Dimensions") or [])
    metrics = {str(alarm["MetricName"])} if alarm.get("MetricName") else set()
    namespace = str(alarm.get("Namespace") or "")
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        dimensions += metric.get("Dimensions") or []
        if metric.get("MetricName"):
            metrics.add(str(metric["MetricName"]))
        namespace = namespace or str(metric.get("Namespace") or "")
    table = next((str(d.get("Value")) for d in dimensions if d.get("Name") == "TableName"), None)
    updated = alarm.get("StateUpdatedTimestamp")
    return AlarmInfo(
        name=str(alarm.get("AlarmName", "")),
        state=str(alarm.get("StateValue", "")),
        table=table,
        metrics=frozenset(metrics),
        namespace=namespace,
        updated=_aware(updated) if updated is not None else None,
        reason=str(alarm.get("StateReason") or ""),
    )


def firing_on(alarms: Iterable[AlarmInfo], table: str) -> tuple[str, ...]:
    """Names of the alarms in ALARM on ``table``, sorted."""
    return tuple(sorted(a.name for a in alarms if a.state == "ALARM" and a.table == table))


def throttle_alarm_gaps(alarms: Iterable[AlarmInfo], table: str) -> frozenset[str]:
    """The throttling metrics of ``table`` that no alarm watches (empty when covered)."""
    covered: set[str] = set()
    for alarm in alarms:
        if alarm.table != table or (alarm.namespace and alarm.namespace != "AWS/DynamoDB"):
            continue
        if _ANY_THROTTLE in alarm.metrics:
            return frozenset()
        covered |= alarm.metrics & THROTTLE_METRICS
    return frozenset(THROTTLE_METRICS - covered)


def open_alarms(alarms: Iterable[AlarmInfo], tables: Iterable[str]) -> tuple[AlarmInfo, ...]:
    """Alarms in ALARM on any of ``tables``, newest state change first."""
    wanted = set(tables)
    firing = [a for a in alarms if a.state == "ALARM" and a.table in wanted]
    oldest = datetime.fromtimestamp(0, UTC)
    return tuple(sorted(firing, key=lambda a: (a.updated or oldest, a.name), reverse=True))


def health_risks(
    table: GlobalTable | None,
    *,
    throttle_gaps: frozenset[str] | None = None,
    lag_threshold_ms: float = DEFAULT_LAG_THRESHOLD_MS,
) -> tuple[str, ...]:
    """Risks beyond `table_risks`: replicas not ACTIVE, lagging replicas, no throttling alarm."""
    risks = []
    if table is not None:
        for replica in table.replicas:
            if replica.status != "ACTIVE":
                risks.append(f"replica in {replica.region} is {replica.status}")
        for replica in table.replicas:
            lag = table.lag_into(replica.region)
            if lag is not None and lag.latest_ms is not None and is_lagging(lag, lag_threshold_ms):
                risks.append(
                    f"replica in {replica.region} lags {format_lag(lag.latest_ms)} "
                    f"(over {format_lag(lag_threshold_ms)})"
                )
    if throttle_gaps:
        if throttle_gaps == THROTTLE_METRICS:
            risks.append("no alarm on throttling (ReadThrottleEvents, WriteThrottleEvents)")
        else:
            risks.append(f"no alarm on {', '.join(sorted(throttle_gaps))}")
    return tuple(risks)


def format_lag(ms: float) -> str:
    """'850 ms', '1.2 s', '4 min 05 s', '2 min' — replication latency as people read it."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


@frozen
class TableHealth:
    """One App Home card: the table's status, replication, open alarms and risks."""

    name: str
    region: str
    status: TableStatus | None = None
    replication: GlobalTable | None = None
    open_alarms: tuple[AlarmInfo, ...] = ()
    risks: tuple[str, ...] = ()
    error: str = ""


def table_health(
    status: TableStatus,
    replication: GlobalTable | None,
    alarms: Sequence[AlarmInfo],
    now: datetime,
    *,
    max_backup_age: timedelta,
    lag_threshold_ms: float = DEFAULT_LAG_THRESHOLD_MS,
) -> TableHealth:
    """A card for one table: `table_risks` plus `health_risks`, and its open alarms."""
    risks = table_risks(status, now, max_backup_age=max_backup_age) + health_risks(
        replication,
        throttle_gaps=throttle_alarm_gaps(alarms, status.name),
        lag_threshold_ms=lag_threshold_ms,
    )
    return TableHealth(
        name=status.name,
        region=status.region,
        status=status,
        replication=replication,
        open_alarms=open_alarms(alarms, [status.name]),
        risks=risks,
    )


def home_order(cards: Iterable[TableHealth]) -> list[TableHealth]:
    """Tables with open alarms first (newest first), then failures, risks, the rest by name."""
    oldest = datetime.fromtimestamp(0, UTC)

    def key(card: TableHealth) -> tuple[int, float, str, str]:
        if card.open_alarms:
            newest = max(a.updated or oldest for a in card.open_alarms)
            return (0, -newest.timestamp(), card.name, card.region)
        rank = 1 if card.error else 2 if card.risks else 3
        return (rank, 0.0, card.name, card.region)

    return sorted(cards, key=key)


# App Home: a header and a context line always; an incidents section and a divider when any
# alarm is open; a summary line when tables are left out. Each card is a section + a context.
MAX_HOME_BLOCKS = 100
HOME_FIXED_BLOCKS = 5
BLOCKS_PER_CARD = 2


def home_capacity(max_blocks: int = MAX_HOME_BLOCKS) -> int:
    """How many table cards fit on App Home beside the fixed blocks."""
    return max(0, (max_blocks - HOME_FIXED_BLOCKS) // BLOCKS_PER_CARD)


def choose_for_home(
    tables: Sequence[TableRef], alarms_by_region: Mapping[str, Sequence[AlarmInfo]], capacity: int
) -> tuple[tuple[TableRef, ...], tuple[TableRef, ...]]:
    """(shown, left out): tables with open alarms first (newest first), then in watch order."""
    oldest = datetime.fromtimestamp(0, UTC)

    def newest_alarm(table: TableRef) -> datetime | None:
        firing = open_alarms(alarms_by_region.get(table.region or "", ()), [table.name])
        return max((a.updated or oldest for a in firing), default=None)

    alarmed = [(t, newest_alarm(t)) for t in tables]
    first = sorted(
        ((t, when) for t, when in alarmed if when is not None), key=lambda p: p[1], reverse=True
    )
    ordered = [t for t, _ in first] + [t for t, when in alarmed if when is None]
    return tuple(ordered[:capacity]), tuple(ordered[capacity:])


def home_incidents(
    tables: Sequence[TableRef], alarms_by_region: Mapping[str, Sequence[AlarmInfo]]
) -> tuple[tuple[str, AlarmInfo], ...]:
    """(region, alarm) for every open alarm on a watched table, newest first."""
    found = []
    for region in sorted({t.region for t in tables if t.region}):
        names = [t.name for t in tables if t.region == region]
        found += [(region, a) for a in open_alarms(alarms_by_region.get(region, ()), names)]
    oldest = datetime.fromtimestamp(0, UTC)
    return tuple(sorted(found, key=lambda p: (p[1].updated or oldest, p[1].name), reverse=True))


@frozen
class HomeView:
    """What App Home shows: cards that fit, the tables left out, open alarms newest first."""

    cards: tuple[TableHealth, ...]
    hidden: tuple[TableRef, ...] = ()
    incidents: tuple[tuple[str, AlarmInfo], ...] = ()
