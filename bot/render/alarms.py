"""Alarm notifications: the incident's root message, firing and resolved (its thread replies
and silence notices: bot/render/alarm_replies.py).

Every text that comes from the alarm (name, description, reason, dimension values, metric
math expressions) is escaped, so an alarm description cannot ping ``@channel``, plant a link
or draw its own lines and formatting. Only the description keeps its line breaks, under our
bold first line of it. ``mention`` is the exception: it comes from our own configuration
(``<!subteam^S1>``). A state change delivered late (``late``: how long after the change) says
so, in the text a notification shows and in the message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.alarm_conditions import metric_unit, sparkline, value_summary
from bot.domain.alarm_events import UNKNOWN_TIME, AlarmEvent, AlarmState, console_links
from bot.domain.alarm_metrics import explain_event, explain_missing_data
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.message import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    escape,
    escape_lines,
    escape_plain,
    header,
    link,
    section,
)

if TYPE_CHECKING:  # loaded by the roots that carry them, not by every import
    from bot.render.alarm_context import RootContext

STATE_EMOJI = {
    AlarmState.ALARM: ":rotating_light:",
    AlarmState.OK: ":white_check_mark:",
    AlarmState.INSUFFICIENT_DATA: ":grey_question:",
}
SILENCE_CHOICES = (("Silence 1h", 3600), ("Silence 4h", 14400))
REASON_LIMIT = 600


def _key(event: AlarmEvent) -> str:
    return event.arn or event.name


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _concerns(event: AlarmEvent) -> str:
    """'table `orders` · index `by-date`' — what the alarm is about, escaped."""
    subject = event.subject
    parts = []
    if subject.table:
        parts.append(f"table {code(subject.table)}")
    if subject.index:
        parts.append(f"index {code(subject.index)}")
    if subject.receiving_region:
        parts.append(f"replica in {code(subject.receiving_region)}")
    if subject.dax_cluster:
        parts.append(f"DAX cluster {code(subject.dax_cluster)}")
    if subject.dax_node:
        parts.append(f"node {code(subject.dax_node)}")
    if subject.operation:
        parts.append(f"operation {code(subject.operation)}")
    if parts:
        return " · ".join(parts)
    if event.is_composite:
        return "other alarms (composite)"
    metric = event.primary_metric
    if metric is not None and metric.label and " per " in metric.label and metric.expression:
        group = metric.label.split(" per ", 1)[1]
        return (
            f"each {escape(group)} of {escape(metric.namespace or 'the query')} (Metrics Insights)"
        )
    if metric is not None and metric.namespace:
        return f"{escape(metric.namespace)} (whole region)"
    return "not stated in the alarm"


def _where(
    event: AlarmEvent, account_label: str | None = None, table_account_label: str | None = None
) -> str:
    region = escape(event.region) if event.region else "unknown region"
    account = account_label or event.account
    if event.cross_account:
        # CloudWatch cross-account observability: the alarm is here, what it watches is there.
        what = "table" if event.subject.table else "metric"
        there = escape(table_account_label or event.metric_account)
        alarm = f" · alarm in account {escape(account)}" if account else ""
        return f"{region}{alarm} · {what} in account {there}"
    return f"{region} · account {escape(account)}" if account else region


def _when(at: datetime, now: datetime) -> str:
    if at == UNKNOWN_TIME:
        return "unknown"
    return f"{format_utc(at)} ({format_relative(at, now)})"


def _unit(event: AlarmEvent) -> str:
    metric = event.primary_metric
    return metric_unit(metric.name) if metric is not None and metric.expression is None else ""


def _values_line(values: tuple[float, ...], unit: str) -> str:
    """'`▁█▆`  min 1 · max 3 · last 2' (no chart for a single value); '' without values."""
    summary = value_summary(values, unit)
    if not summary:
        return ""
    line = sparkline(values)
    return f"`{line}`  {summary}" if len(line) > 1 else summary


def _recent_values(event: AlarmEvent, values: tuple[float, ...] | None) -> str:
    shown = _values_line(values or (), _unit(event))
    return f"*Recent values*  {shown}" if shown else "*Recent values*  _unavailable_"


def _meaning(event: AlarmEvent) -> Block:
    if event.state is AlarmState.INSUFFICIENT_DATA:
        explanation = explain_missing_data(event)
    else:
        explanation = explain_event(event)
    # The explanation is ours, but it may quote the alarm's metric name.
    checks = "\n".join(f"• {escape(check)}" for check in explanation.first_checks)
    return section(f"*What it means*\n{escape(explanation.meaning)}\n*Look first*\n{checks}")


def _reason(event: AlarmEvent) -> Block | None:
    if not event.reason:
        return None
    return context(f"Reason: {escape(_clip(event.reason, REASON_LIMIT))}")


def _links(event: AlarmEvent, table_account_label: str | None = None) -> Block | None:
    urls = console_links(event)
    elsewhere = ""
    if event.cross_account:
        # The console opens in whichever account is signed in: say which one the table is in.
        elsewhere = f" (account {table_account_label or event.metric_account})"
    labels = {
        "alarm": "Alarm in CloudWatch",
        "table": f"Table {event.subject.table}{elsewhere}",
        "replica": f"Replica in {event.subject.receiving_region}{elsewhere}",
        "dax": f"DAX cluster {event.subject.dax_cluster}{elsewhere}",
    }
    found = [link(url, labels[key]) for key, url in urls.items() if key in labels]
    return context(" · ".join(found)) if found else None


def _table_status_button(
    event: AlarmEvent, account_label: str | None = None, table_account_label: str | None = None
) -> Block | None:
    if not (event.subject.table and event.region):
        return None
    # With accounts configured the button names the account, so status asks the right one;
    # a table in another account than the alarm's is always named by its own account.
    if event.cross_account:
        where = f"{table_account_label or event.metric_account}/{event.region}"
    else:
        where = f"{account_label}/{event.region}" if account_label else event.region
    return button("Table status", "alarm_table_status", f"{event.subject.table}@{where}")


def suppression_line(event: AlarmEvent) -> str:
    """':mute: Muted by ...' for a suppressed or muted alarm; '' when its actions ran."""
    if event.suppression is None:
        return ""
    from bot.render.alarm_suppression import suppression_line as line  # suppressed alarms only

    return line(event)


def _suppressed_suffix(event: AlarmEvent) -> str:
    if event.suppression is None:
        return ""
    from bot.render.alarm_suppression import suppressed_suffix  # suppressed alarms only

    return suppressed_suffix(event)


def _condition(event: AlarmEvent) -> str:
    return escape(event.condition) if event.condition else "not stated in the alarm"


def _description_lines(event: AlarmEvent) -> tuple[str, str]:
    """The description's first line and the rest (escaped, line breaks kept), or ('', '')."""
    first, _, rest = escape_lines(_clip(event.description.strip(), 300)).partition("\n")
    return first.strip(), rest


def _delivered(late: timedelta) -> str:
    return f"delivered {format_duration(late)} after the change"


def _late_notice(late: timedelta | None) -> Block | None:
    if late is None:
        return None
    return context(
        f":hourglass_flowing_sand: *Late:* {_delivered(late)}, so no one was paged. "
        "It may have changed since: check its current state in CloudWatch."
    )


def render_alarm(
    event: AlarmEvent,
    *,
    now: datetime,
    datapoints: tuple[float, ...] | None,
    incident_opened_at: datetime | None,
    mention: str | None,
    account_label: str | None = None,
    late: timedelta | None = None,
    table_account_label: str | None = None,
    extras: RootContext | None = None,
) -> Message:
    """The root message of an incident: state, subject, condition, recent values, what to do.

    ``datapoints`` are the recent values to chart (fetched from CloudWatch, or the event's
    own); ``incident_opened_at`` shows how long the incident has been open when re-rendered;
    ``account_label`` (the alias, when accounts are configured) replaces the account id, and
    ``table_account_label`` the id of the metric's account when it is another one. An alarm
    whose actions were suppressed or muted says so and mentions nobody; ``late`` marks a change
    delivered that long after it happened. ``extras`` adds the table's recent changes, the
    owner to mention (with the route's mention, never for a suppressed alarm) and "I'm on it".
    """
    changes = ack = None
    if extras is not None:
        from bot.render.alarm_context import ack_button, changes_block, owner_mention

        owner = owner_mention(extras.owner)
        if owner:
            mention = f"{mention} {owner}" if mention else owner
        changes = changes_block(extras.changes, extras.window)
        ack = ack_button(extras.ack_value) if extras.ack_value else None
    if event.suppression is not None:
        mention = None
    emoji = STATE_EMOJI[event.state]
    name = escape(event.name)
    headline, more = _description_lines(event)
    if not headline and event.state is AlarmState.INSUFFICIENT_DATA:
        headline = "No data for this alarm's metric"
    elif not headline:
        headline = _condition(event)
    lead = f"{mention} *{headline}*" if mention else f"*{headline}*"
    if more:
        lead += f"\n{more}"  # the description's own lines, unformatted, under its first
    since = incident_opened_at or event.changed_at
    fields = [
        f"*Concerns*\n{_concerns(event)}",
        f"*Where*\n{_where(event, account_label, table_account_label)}",
        f"*Condition*\n{_condition(event)}",
        f"*{'Open since' if incident_opened_at else 'Since'}*\n{_when(since, now)}",
    ]
    suppressed = suppression_line(event)
    blocks: list[Block | None] = [
        header(f"{emoji} {event.state.value} · {escape_plain(event.name)}"),
        _late_notice(late),
        section(lead, fields=fields),
        section(suppressed) if suppressed else None,
        section(_recent_values(event, datapoints)),
        changes,
        _meaning(event),
        _reason(event),
        _links(event, table_account_label),
        actions(
            *[
                b
                for b in (
                    ack,
                    _table_status_button(event, account_label, table_account_label),
                    *(
                        button(label, "alarm_silence", f"{_key(event)}|{seconds}")
                        for label, seconds in SILENCE_CHOICES
                    ),
                )
                if b is not None
            ],
            block_id="alarm_actions",
        ),
    ]
    text = f"{emoji} {event.state.value}: {name} — {_condition(event)}{_suppressed_suffix(event)}"
    if late is not None:
        text += f" ({_delivered(late)})"
    return Message(
        text=f"{mention} {text}" if mention else text,
        blocks=tuple(b for b in blocks if b is not None),
        options={"unfurl_links": False, "unfurl_media": False},
    )


def _duration(opened_at: datetime, event: AlarmEvent, now: datetime) -> str:
    end = now if event.changed_at == UNKNOWN_TIME else event.changed_at
    return format_duration(end - opened_at)


def render_resolved(
    event: AlarmEvent,
    *,
    opened_at: datetime,
    now: datetime,
    account_label: str | None = None,
    late: timedelta | None = None,
    table_account_label: str | None = None,
    acked: str = "",
) -> Message:
    """The root message updated when the incident resolves: how long it lasted, no silencing.

    ``late`` marks a root posted already resolved for an ALARM delivered that late; ``acked``
    is the line saying who acknowledged it.
    """
    emoji = STATE_EMOJI[AlarmState.OK]
    name = escape(event.name)
    lasted = _duration(opened_at, event, now)
    end = now if event.changed_at == UNKNOWN_TIME else event.changed_at
    first, more = _description_lines(event)
    headline = (first + (" …" if more else "")) if first else _condition(event)
    fields = [
        f"*Concerns*\n{_concerns(event)}",
        f"*Where*\n{_where(event, account_label, table_account_label)}",
        f"*Condition*\n{_condition(event)}",
        f"*In alarm for*\n{lasted} ({format_utc(opened_at)} → {format_utc(end)})",
    ]
    status_button = _table_status_button(event, account_label, table_account_label)
    blocks: list[Block | None] = [
        header(f"{emoji} RESOLVED · {escape_plain(event.name)}"),
        _late_notice(late),
        section(f"~{headline}~ resolved after {lasted}", fields=fields),
        context(acked) if acked else None,
        _reason(event),
        _links(event, table_account_label),
        actions(status_button, block_id="alarm_actions") if status_button else None,
    ]
    late_text = f" ({_delivered(late)})" if late is not None else ""
    return Message(
        text=f"{emoji} RESOLVED: {name} after {lasted}{late_text}",
        blocks=tuple(b for b in blocks if b is not None),
        options={"unfurl_links": False, "unfurl_media": False},
    )
