"""`/ddb alarms`: the alarms that need attention, and the recommended-alarms plan and result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.alarm_events import AlarmState, table_url
from bot.domain.alarm_set import AlarmSpec, AlarmSummary, Recommendation, alarm_url
from bot.domain.times import format_duration, format_relative
from bot.render.alarms import REASON_LIMIT, STATE_EMOJI
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    code,
    context,
    escape,
    escape_keeping_markup,
    header,
    link,
    section,
    user_mention,
)

MAX_LISTED = 40


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _concerns(alarm: AlarmSummary) -> str:
    if alarm.composite:
        return "composite alarm"
    parts = []
    if alarm.table:
        parts.append(f"table {link(table_url(alarm.table, alarm.region), alarm.table)}")
    if alarm.receiving_region:
        parts.append(f"replica in {code(alarm.receiving_region)}")
    if alarm.dax_cluster:
        parts.append(f"DAX cluster {code(alarm.dax_cluster)}")
    what = " · ".join(parts) or escape(alarm.namespace or "metric")
    return f"{what} · {escape(alarm.metric)}" if alarm.metric else what


def _line(alarm: AlarmSummary, now: datetime) -> str:
    since = f" · since {format_relative(alarm.changed_at, now)}" if alarm.changed_at else ""
    reason = f"\n{escape(_clip(alarm.reason, REASON_LIMIT // 2))}" if alarm.reason else ""
    where = escape(f"{alarm.account}/{alarm.region}" if alarm.account else alarm.region)
    acked = ""
    if alarm.acked_by and alarm.acked_after is not None:
        who = user_mention(alarm.acked_by) or escape(alarm.acked_by)
        acked = (
            f"\n:eyes: acknowledged by {who} {format_duration(alarm.acked_after)} after it fired"
        )
    return (
        f"{STATE_EMOJI[alarm.state]} *{link(alarm_url(alarm.name, alarm.region), alarm.name)}* "
        f"({where}){since}\n{_concerns(alarm)}{acked}{reason}"
    )


def render_alarm_list(
    alarms: Sequence[AlarmSummary],
    *,
    table: str | None,
    regions: Sequence[str],
    now: datetime,
    unreachable: Sequence[str] = (),
    missing: str = "",
) -> Message:
    """Alarms in ALARM or INSUFFICIENT_DATA, ALARM first, each with links; or 'all quiet'.

    ``regions`` are the places looked at (`alias/region` when accounts are configured);
    ``unreachable`` explains accounts that could not be asked (their role failed);
    ``missing`` says that the table named does not exist (its alarms outlived it).
    """
    where = ", ".join(escape(r) for r in regions)
    scope = f"{code(table)} in {where}" if table else f"DynamoDB and DAX in {where}"
    firing = sum(1 for a in alarms if a.state is AlarmState.ALARM)
    no_data = len(alarms) - firing
    if not alarms:
        text = f":white_check_mark: No alarms in ALARM or INSUFFICIENT_DATA for {scope}."
        quiet: list[Block] = [section(text)]
        if unreachable:
            quiet.append(context(" ".join(escape(u) for u in unreachable)))
        return Message(text=text, blocks=tuple(quiet))
    summary = f"{firing} in ALARM, {no_data} without data for {scope}"
    blocks: list[Block] = [header("Alarms needing attention"), section(summary)]
    blocks += [section(_line(alarm, now)) for alarm in alarms[:MAX_LISTED]]
    if len(alarms) > MAX_LISTED:
        blocks.append(context(f"…and {len(alarms) - MAX_LISTED} more; see CloudWatch."))
    if missing:
        blocks.append(context(f":grey_question: {escape_keeping_markup(missing)}"))
    if unreachable:
        blocks.append(context(" ".join(escape(u) for u in unreachable)))
    return Message(
        text=f"Alarms: {summary}",
        blocks=tuple(blocks),
        options={"unfurl_links": False},
    )


def _spec_line(spec: AlarmSpec) -> str:
    return f"• {code(spec.name)}: {escape(spec.condition)}"


def _covered_line(spec: AlarmSpec, found: str) -> str:
    if found == spec.name:
        return f"• {code(spec.name)} exists"
    return f"• {code(spec.name)}: covered by {code(found)} (same metric)"


def render_recommendation(
    recommendation: Recommendation, *, topic_arn: str, plan_id: str | None, requester: str
) -> Message:
    """The plan: alarms to create and ones that exist; Confirm/Cancel when there is work."""
    table = code(recommendation.table)
    region = escape(recommendation.region)
    lines = []
    if recommendation.create:
        lines.append(f"*Create* ({len(recommendation.create)}), notifying {code(topic_arn)}:")
        lines += [_spec_line(spec) for spec in recommendation.create]
    if recommendation.existing:
        lines.append(f"*Already covered* ({len(recommendation.existing)}), skipped:")
        lines += [_covered_line(spec, found) for spec, found in recommendation.existing]
    if recommendation.create and plan_id:
        count = len(recommendation.create)
        text = (
            f"Create {count} recommended alarm{'s' if count != 1 else ''} for {table} in {region}?"
        )
        actions: list[Block] = [
            confirmation_actions(plan_id, requester, confirm_label="Create alarms")
        ]
    else:
        text = f":white_check_mark: {table} in {region} already has every recommended alarm."
        actions = []
    blocks = [header("Recommended alarms"), section(text), section("\n".join(lines)), *actions]
    return Message(text=text, blocks=tuple(blocks))


def render_recommendation_done(
    table: str, region: str, created: Sequence[AlarmSpec], skipped: Sequence[tuple[AlarmSpec, str]]
) -> Message:
    """What the confirmed plan created, and what it skipped because it appeared meanwhile."""
    lines = [
        f":white_check_mark: Created {len(created)} alarm{'s' if len(created) != 1 else ''} "
        f"for {code(table)} in {escape(region)}."
    ]
    lines += [
        f"• {link(alarm_url(spec.name, region), spec.name)}: {escape(spec.condition)}"
        for spec in created
    ]
    if skipped:
        lines.append("Skipped, already covered:")
        lines += [_covered_line(spec, found) for spec, found in skipped]
    text = "\n".join(lines)
    return Message(text=lines[0], blocks=(section(text),), options={"unfurl_links": False})
