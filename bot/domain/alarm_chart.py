"""The chart posted into a firing alarm's thread: the alarm's metric over the last 3 hours with
its threshold, as the MetricWidget JSON that CloudWatch's GetMetricWidgetImage renders to a PNG.

CloudWatch draws the graph, so the bundle carries no plotting library; this module only says
what to draw. Names and labels come from the alarm (untrusted), but they end up inside an
image and in a Slack file's plain-text title, never in mrkdwn.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain.alarm_events import AlarmEvent, MetricRef, cloudwatch_stat
from bot.domain.records import frozen
from bot.domain.regions import region_code

CHART_START = "-PT3H"  # the last 3 hours, relative to when CloudWatch renders it
CHART_WIDTH = 800
CHART_HEIGHT = 400
_TITLE_LIMIT = 200
_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@frozen
class AlarmChart:
    """What to ask CloudWatch for (``widget``) and how to name the image in Slack."""

    widget: dict[str, Any]
    title: str
    filename: str
    alt_text: str


def alarm_chart(event: AlarmEvent) -> AlarmChart | None:
    """The chart of a metric alarm's series, or None when there is nothing to draw (a composite
    or contributor alarm, no metric, no region code)."""
    region = region_code(event.region)
    if event.is_composite or event.contributor is not None or not event.metrics or not region:
        return None
    metrics = [_widget_metric(m, single=len(event.metrics) == 1) for m in event.metrics]
    period = next((m.period for m in event.metrics if m.period), 60)
    title = f"{event.name} — last 3 hours"[:_TITLE_LIMIT]
    widget: dict[str, Any] = {
        "metrics": metrics,
        "view": "timeSeries",
        "stacked": False,
        "region": region,
        "period": period,
        "start": CHART_START,
        "end": "P0D",
        "timezone": "+0000",
        "title": title,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "legend": {"position": "bottom"},
    }
    if event.threshold is not None:
        widget["annotations"] = {"horizontal": [{"label": "threshold", "value": event.threshold}]}
    return AlarmChart(
        widget=widget,
        title=title,
        filename=f"{_FILENAME.sub('-', event.name).strip('.-')[:80] or 'alarm'}.png",
        alt_text=_alt_text(event),
    )


def _widget_metric(metric: MetricRef, *, single: bool) -> list[Any]:
    """One entry of the widget's metrics array: [namespace, name, dim, value, ..., options]."""
    options: dict[str, Any] = {}
    if metric.id and not single:
        options["id"] = metric.id
    if metric.label:
        options["label"] = metric.label
    if not metric.return_data:
        options["visible"] = False  # an input of the expression the alarm evaluates
    if metric.account_id:
        options["accountId"] = metric.account_id
    if metric.expression is not None:
        return [{"expression": metric.expression, **options}]
    options["stat"] = cloudwatch_stat(metric.stat)
    if metric.period:
        options["period"] = metric.period
    dimensions = [part for pair in metric.dimensions for part in pair]
    return [metric.namespace, metric.name, *dimensions, options]


def _alt_text(event: AlarmEvent) -> str:
    metric = event.primary_metric
    what = metric.name if metric is not None and metric.name else "The alarm's metric"
    subject = event.subject.table or event.subject.dax_cluster
    text = f"{what}{f' of {subject}' if subject else ''} over the last 3 hours"
    if event.threshold is not None:
        text += f", with the threshold at {event.threshold:g}"
    return text[:_TITLE_LIMIT]
