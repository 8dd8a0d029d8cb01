"""The chart in a firing alarm's thread: its metric over the last 3 hours with the threshold.

Called once the root messages are posted (bot.flows.alarms.incidents.post_root). CloudWatch
renders the PNG (GetMetricWidgetImage, one call whatever the number of channels) and the
notifier uploads it into each root message's thread. Each thread gets its chart once, with
no record of its own: the chart runs only after the incident is saved with every root posted
and the delivery's message id, and from then on no delivery of that state change reaches a
root post again (a redelivery is a duplicate, bot.domain.incidents.decide). A retry of a root
post that failed half-way comes back here, but the attempt that failed never got this far, so
none of its threads has a chart yet. The chart never delays or fails the root post: it runs
after it, and any failure is logged and leaves the message with its sparkline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.aws.alarm_charts import widget_image
from bot.aws.incidents import PostedCopy
from bot.domain.accounts import account_from_arn
from bot.domain.alarm_chart import alarm_chart
from bot.domain.alarm_events import AlarmEvent, AlarmState
from bot.flows.places import account_clients
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def post_chart(event: AlarmEvent, runtime: Runtime, posts: Sequence[PostedCopy]) -> int:
    """Upload the alarm's chart into each posted root message's thread that has none yet;
    how many threads got it. A firing metric alarm only; never raises. An alarm folded into
    a storm's summary gets none: its message is already a reply in the summary's thread, and
    a chart per alarm of a storm would bury that thread (and cost a call each)."""
    try:
        return _post_chart(event, runtime, posts)
    except Exception:  # the root post is done; the chart is a bonus
        log.exception("the chart of %s could not be posted; the sparkline stays", event.name)
        return 0


def _post_chart(event: AlarmEvent, runtime: Runtime, posts: Sequence[PostedCopy]) -> int:
    posts = [p for p in posts if not p.thread]
    if event.state is not AlarmState.ALARM or not posts:
        return 0
    chart = alarm_chart(event)
    if chart is None:
        return 0
    image = widget_image(_cloudwatch(event, runtime), chart.widget, name=event.name)
    if image is None:
        return 0
    done = 0
    for thread in posts:
        try:
            runtime.notifier.upload_image(
                thread.channel,
                image,
                filename=chart.filename,
                title=chart.title,
                alt_text=chart.alt_text,
                thread_ts=thread.ts,
            )
            done += 1
        except Exception as exc:  # Slack refused or is down: this thread keeps its sparkline
            log.warning("chart upload to %s failed for %s: %r", thread.channel, event.name, exc)
    return done


def _cloudwatch(event: AlarmEvent, runtime: Runtime) -> Any:
    """CloudWatch in the alarm's own account (from its ARN), where its metric is graphed."""
    account_id = account_from_arn(event.arn or "") or event.account or ""
    if not runtime.settings.accounts or not account_id:
        return runtime.client("cloudwatch", event.region)
    return account_clients(runtime).client("cloudwatch", event.region, account_id)
