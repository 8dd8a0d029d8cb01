"""One state change of one CloudWatch alarm, whichever way it was delivered.

:class:`AlarmEvent` and its parts (the alarm's state, the metrics it watches, what it is
about), the alarm ARN and region names that locate it, and its pages in the AWS console.
Reading the SNS and EventBridge shapes into an event is :mod:`bot.domain.alarm_messages`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from bot.domain.records import frozen
from bot.domain.regions import region_code

if TYPE_CHECKING:  # loaded only by alarms that are suppressed, muted or have contributors
    from bot.domain.alarm_contributors import AlarmContributor
    from bot.domain.alarm_suppression import Suppression

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
    account_id: str = ""  # the account the metric lives in (cross-account observability)

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
    """One state change of one alarm, whichever way it was delivered.

    ``metric_account`` is set when the alarm watches a metric of another account (CloudWatch
    cross-account observability): the table lives there, not in ``account``.
    """

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
    metric_account: str = ""
    suppression: Suppression | None = None
    contributor: AlarmContributor | None = None
    threshold: float | None = None  # a static threshold, when the message states one

    @property
    def table_account(self) -> str:
        """The account of what the alarm watches: the metric's account, else the alarm's."""
        return self.metric_account or self.account

    @property
    def cross_account(self) -> bool:
        """True when the metric lives in another account than the alarm."""
        return bool(self.metric_account) and self.metric_account != self.account

    @property
    def is_composite(self) -> bool:
        """True for a composite alarm (a rule over other alarms, no metric)."""
        return self.composite_rule is not None

    @property
    def primary_metric(self) -> MetricRef | None:
        """The metric the alarm is mainly about: the first named metric (a real one, or the one
        a Metrics Insights query selects), returned ones first."""
        named = [m for m in self.metrics if m.name]
        returned = [m for m in named if m.return_data]
        candidates = returned or named
        return candidates[0] if candidates else None


# SNS writes statistics in capitals ("SUM"); CloudWatch's APIs and widgets want "Sum".
_STATISTICS = {
    "SUM": "Sum",
    "AVERAGE": "Average",
    "MAXIMUM": "Maximum",
    "MINIMUM": "Minimum",
    "SAMPLE_COUNT": "SampleCount",
    "SAMPLECOUNT": "SampleCount",
}


def cloudwatch_stat(stat: str) -> str:
    """'SUM' -> 'Sum', '' -> 'Average'; percentiles ('p99') and others keep their spelling."""
    return _STATISTICS.get(stat.upper(), stat) if stat else "Average"


# --- ARNs and regions ------------------------------------------------------------------------

# An alarm's ARN: its region, account and name.
ALARM_ARN = re.compile(r"^arn:aws[\w-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$")


def split_alarm_arn(arn: str | None) -> tuple[str, str, str]:
    """(region, account, alarm name) from an alarm ARN; empty strings when it is not one."""
    match = ALARM_ARN.match(arn or "")
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


def subject_of(metrics: Iterable[MetricRef]) -> AlarmSubject:
    """What the metrics' dimensions say the alarm is about (the first value of each wins)."""
    found: dict[str, str] = {}
    for metric in metrics:
        for name, value in metric.dimensions:
            attribute = _SUBJECT_DIMENSIONS.get(name)
            if attribute and attribute not in found and value:
                found[attribute] = value
    return AlarmSubject(**found)


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
