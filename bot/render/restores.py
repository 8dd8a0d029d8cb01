"""Restores and PITR before anything starts: the restore plan to confirm, a table's PITR
window, and turning PITR on and off.

bot/render/restore_jobs.py renders a started restore: its thread, Copy settings, the list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.restores import PITR_MIN_DURATION, RestorePlan, describe_window
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    account_region,
    code,
    context,
    fields_section,
    section,
)


def render_restore_confirmation(
    plan: RestorePlan,
    plan_id: str,
    requester: str,
    now: datetime,
    *,
    expires_in: timedelta,
    account_label: str | None = None,
) -> Message:
    """The plan to confirm: source, point in time, target, and how long it will take."""
    source = f"{code(plan.source_table)} in {account_region(plan.region, account_label)}"
    if plan.kind == "backup":
        point = f"backup {code(plan.backup_name or plan.backup_arn)}"
        if plan.backup_created:
            point += f" taken {format_utc(plan.backup_created)}"
        duration = "A restore from a backup usually takes minutes to hours, depending on size."
    else:
        if plan.latest and plan.window and plan.window.latest:
            point = f"the latest restorable time (now about {format_utc(plan.window.latest)})"
        elif plan.latest:
            point = "the latest restorable time"
        else:
            assert plan.at is not None
            point = f"{format_utc(plan.at)} ({format_relative(plan.at, now)})"
        duration = (
            f"A PITR restore takes at least ~{format_duration(PITR_MIN_DURATION)}, "
            "whatever the table's size; usually under an hour."
        )
    text = (
        f"Restore {plan.source_table} to new table {plan.target}? Confirm within "
        f"{format_duration(expires_in)}."
    )
    blocks: list[Block] = [
        section(f":rewind: <@{requester}> asked to restore a table. Please confirm."),
        fields_section(
            [
                f"*Source*\n{source}",
                f"*Point in time*\n{point}",
                f"*New table*\n{code(plan.target)}",
                "*Existing tables*\nnot touched",
            ]
        ),
    ]
    if plan.kind == "pitr" and plan.window:
        blocks.append(context(f"Restorable window: {describe_window(plan.window, now)}"))
    blocks += [
        section(f":stopwatch: {duration} I will follow it in this thread."),
        confirmation_actions(plan_id, requester, confirm_label="Start restore"),
        context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
    ]
    return Message(text=text, blocks=tuple(blocks))


def render_pitr_status(
    table: str,
    region: str,
    window: PitrWindow,
    now: datetime,
    *,
    account_label: str | None = None,
) -> Message:
    """`/ddb pitr <table>`: on or off, the restorable window and the recovery period."""
    name = code(table)
    where = account_region(region, account_label)
    if not window.enabled:
        text = f":warning: Point-in-time recovery is *off* for {name} in {where}."
        return Message(
            text=text,
            blocks=(
                section(text),
                context(f"{code(f'/ddb pitr {table} on')} turns it on (operator)."),
            ),
        )
    period = f"{window.recovery_days} days" if window.recovery_days else "35 days"
    text = f":white_check_mark: Point-in-time recovery is *on* for {name} in {where}."
    return Message(
        text=text,
        blocks=(
            section(text),
            fields_section(
                [
                    "*Earliest restorable*\n"
                    + (
                        f"{format_utc(window.earliest)} ({format_relative(window.earliest, now)})"
                        if window.earliest
                        else "unknown"
                    ),
                    "*Latest restorable*\n"
                    + (
                        f"{format_utc(window.latest)} ({format_relative(window.latest, now)})"
                        if window.latest
                        else "unknown"
                    ),
                    f"*Recovery period*\n{period}",
                ]
            ),
            context(f"{code(f'/ddb restore {table} --at TIME')} restores inside this window."),
        ),
    )


def render_pitr_changed(
    table: str,
    region: str,
    enabled: bool,
    user: str,
    *,
    approved_by: str = "",
    account_label: str | None = None,
) -> Message:
    """PITR turned on or off (by ``user``, approved by ``approved_by`` when it needed that)."""
    where = account_region(region, account_label)
    who = f"<@{user}>" + (f" (approved by <@{approved_by}>)" if approved_by else "")
    if enabled:
        text = (
            f":white_check_mark: {who} turned point-in-time recovery *on* for {code(table)} "
            f"in {where}. The restorable window starts now."
        )
    else:
        text = (
            f":warning: {who} turned point-in-time recovery *off* for {code(table)} in "
            f"{where}. Its restorable window is gone."
        )
    return Message(text=text, blocks=(section(text),))


def render_pitr_off_confirmation(
    table: str,
    region: str,
    window: PitrWindow,
    plan_id: str,
    requester: str,
    now: datetime,
    *,
    expires_in: timedelta,
    account_label: str | None = None,
) -> Message:
    """The confirmation for `/ddb pitr <table> off`, warning that the window is lost."""
    text = (
        f"Turn point-in-time recovery off for {table}? Confirm within "
        f"{format_duration(expires_in)}."
    )
    return Message(
        text=text,
        blocks=(
            section(
                f":warning: <@{requester}> asked to turn point-in-time recovery *off* for "
                f"{code(table)} in {account_region(region, account_label)}."
            ),
            section(
                f"The current window ({describe_window(window, now)}) is deleted at once. "
                "Turning PITR back on later starts a *new* window from that moment: the "
                "history in between can never be restored."
            ),
            confirmation_actions(plan_id, requester, confirm_label="Turn PITR off"),
            context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
        ),
    )
