"""What the alarm notification path keeps and reads: incident and silence records in the state
table (pk `ALARM#<arn>`, sk `INCIDENT` / `SILENCE`; the alarm path reads both, and its table's
context, in one BatchGetItem, :func:`load_alarm`) and recent metric values (GetMetricData,
bounded in time).
The `/ddb alarms` commands' AWS calls are in bot/aws/alarms.py; acknowledgements, storms and
the table's context in bot/aws/alarm_context.py.

An incident keeps its acknowledgement (who pressed "I'm on it", when) and the root message as
posted (without the route's mention), so that the ack can update the root without the alarm
event. Saving an incident never overwrites an acknowledgement made meanwhile: only a new
incident clears it.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.state import StateStore, alarm_pk, deserialize, serialize
from bot.domain.alarm_events import AlarmEvent, AlarmState, MetricRef, cloudwatch_stat
from bot.domain.incidents import Incident
from bot.domain.records import frozen

log = logging.getLogger(__name__)

# A closed incident is kept a while (late, out-of-order deliveries still find it); an open one
# is refreshed by each event and forgotten if nothing happens for a long time.
CLOSED_KEEP_S = 7 * 86400
OPEN_KEEP_S = 90 * 86400
RECENT_VALUES_TIMEOUT_S = 2.0
RECENT_POINTS = 30
MAX_SILENCE_S = 7 * 86400


# --- incidents -------------------------------------------------------------------------------


@frozen
class PostedCopy:
    """One posted root message of an incident: the destination asked for and where it landed.

    ``thread`` is set when the incident was folded into a storm summary: its message is then a
    reply in the summary's thread (``thread`` is the summary's ts), and so are its replies.
    """

    to: str
    channel: str
    ts: str
    thread: str = ""

    @property
    def thread_ts(self) -> str:
        """Where replies about this incident go."""
        return self.thread or self.ts


@frozen
class Ack:
    """Who pressed "I'm on it" on an incident, and when."""

    by: str
    at: datetime


@frozen
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
    ack: Ack | None = None
    # The root message as posted (chat arguments: text, blocks), for the ack's update.
    root: dict[str, Any] | None = None

    @property
    def copies(self) -> tuple[PostedCopy, ...]:
        """Every posted root message (records without a posts list: the incident's one)."""
        if self.posts:
            return self.posts
        incident = self.incident
        if not incident.ts:
            return ()
        return (PostedCopy(incident.channel, incident.channel, incident.ts),)


def load_alarm(
    state: StateStore, alarm_arn: str, *, context_pk: str | None = None
) -> tuple[IncidentRecord | None, datetime | None, dict[str, Any] | None]:
    """The alarm's incident, until when it is silenced and, for a ``context_pk``, its table's
    context item (bot.aws.table_context): one BatchGetItem."""
    keys = [(alarm_pk(alarm_arn), "INCIDENT"), (alarm_pk(alarm_arn), "SILENCE")]
    if context_pk:
        keys.append((context_pk, "CONTEXT"))
    wanted = [serialize({"pk": pk, "sk": sk}) for pk, sk in keys]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending: dict[str, Any] = {state.table_name: {"Keys": wanted, "ConsistentRead": True}}
    for attempt in range(8):
        response = state.client.batch_get_item(RequestItems=pending)
        for raw in response.get("Responses", {}).get(state.table_name, []):
            item = deserialize(raw)
            found[(str(item["pk"]), str(item["sk"]))] = item
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            break
        time.sleep(min(0.05 * 2**attempt, 2.0))
    else:
        raise RuntimeError("the state table kept the alarm's items unprocessed")
    incident = found.get(keys[0])
    until = (found.get(keys[1]) or {}).get("until")
    return (
        incident_from(alarm_arn, incident) if incident else None,
        datetime.fromisoformat(until) if until else None,
        found.get(keys[2]) if context_pk else None,
    )


def load_incident(state: StateStore, alarm_arn: str) -> IncidentRecord | None:
    """The stored incident of an alarm, or None."""
    item = state.get(alarm_pk(alarm_arn), "INCIDENT")
    return incident_from(alarm_arn, item) if item else None


def incident_from(alarm_arn: str, item: dict[str, Any]) -> IncidentRecord:
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
        PostedCopy(str(p.get("to", "")), str(p["channel"]), str(p["ts"]), str(p.get("thread", "")))
        for p in item.get("posts", [])
    )
    acked_by, acked_at = item.get("acked_by"), item.get("acked_at")
    ack = Ack(str(acked_by), datetime.fromisoformat(acked_at)) if acked_by and acked_at else None
    root = item.get("root")
    return IncidentRecord(
        incident,
        item.get("alarm_name", ""),
        posts,
        item.get("posting", ""),
        item.get("resolving", ""),
        tuple(str(to) for to in item.get("resolved", [])),
        ack,
        root if isinstance(root, dict) else None,
    )


def save_incident(
    state: StateStore, record: IncidentRecord, *, now: datetime, new: bool = False
) -> None:
    """Write an incident record (open ones kept long, closed ones a week).

    The acknowledgement stored is kept (an ack pressed while this delivery ran is not lost),
    except for a ``new`` incident, which starts without one.
    """
    state.client.update_item(**incident_update(state, record, now=now, new=new))


def incident_update(
    state: StateStore, record: IncidentRecord, *, now: datetime, new: bool = False
) -> dict[str, Any]:
    """The UpdateItem request that writes ``record`` (see :func:`save_incident`)."""
    incident = record.incident
    keep = OPEN_KEEP_S if incident.is_open else CLOSED_KEEP_S
    fields: dict[str, Any] = {
        "alarm_name": record.alarm_name,
        "opened_at": incident.opened_at.isoformat(),
        "channel": incident.channel,
        "ts": incident.ts,
        "state": incident.state.value,
        "last_event_id": incident.last_event_id,
        "repeats": incident.repeats,
        "posts": [
            {"to": p.to, "channel": p.channel, "ts": p.ts, "thread": p.thread or None}
            for p in record.posts
        ],
        "posting": record.posting,
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "resolving": record.resolving or None,
        "resolved": list(record.resolved) or None,
        "root": record.root,
        "expires_at": int(now.timestamp()) + keep,
    }
    if record.ack is not None:
        fields["acked_by"], fields["acked_at"] = record.ack.by, record.ack.at.isoformat()
    elif new:
        fields["acked_by"] = fields["acked_at"] = None
    return _update(state, alarm_pk(incident.alarm_arn), "INCIDENT", fields)


def _update(state: StateStore, pk: str, sk: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An UpdateItem that SETs the fields with a value and REMOVEs the ones that are None."""
    names, values, sets, removes = {}, {}, [], []
    for index, (key, value) in enumerate(fields.items()):
        names[f"#f{index}"] = key
        if value is None:
            removes.append(f"#f{index}")
        else:
            values[f":f{index}"] = serialize({"v": value})["v"]
            sets.append(f"#f{index} = :f{index}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "TableName": state.table_name,
        "Key": serialize({"pk": pk, "sk": sk}),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


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
            query = {
                "Id": query_id,
                "Expression": metric.expression,
                "ReturnData": metric.return_data,
            }
            if metric.period:  # a Metrics Insights query needs its period
                query["Period"] = metric.period
            if metric.account_id:
                query["AccountId"] = metric.account_id
            queries.append(query)
    returned = [q for q in queries if q["ReturnData"]]
    if not returned:
        return []
    # One series to chart: the first one the alarm returns.
    for query in queries:
        query["ReturnData"] = query is returned[0]
    return queries


def _stat_query(metric: MetricRef, query_id: str, returned: bool) -> dict[str, Any]:
    # A metric of another account (cross-account observability) is read from the alarm's
    # monitoring account by naming its account.
    account = {"AccountId": metric.account_id} if metric.account_id else {}
    return {
        **account,
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": metric.namespace,
                "MetricName": metric.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in metric.dimensions],
            },
            "Period": metric.period or 60,
            "Stat": cloudwatch_stat(metric.stat),
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
