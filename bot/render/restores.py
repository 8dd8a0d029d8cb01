"""Restores and PITR: confirmations, the thread that follows a restore, and the lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.restores import (
    COMPLETED,
    COPYABLE,
    FAILED,
    IN_PROGRESS,
    NOT_INHERITED,
    PITR_MIN_DURATION,
    STARTING,
    RestoreJob,
    RestorePlan,
    describe_window,
)
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    escape,
    fields_section,
    header,
    link,
    section,
)
from bot.render.units import human_bytes

COPY_SETTINGS_ACTION = "restore_copy_settings"
_STATUS_EMOJI = {
    STARTING: ":hourglass_flowing_sand:",
    IN_PROGRESS: ":hourglass_flowing_sand:",
    COMPLETED: ":white_check_mark:",
    FAILED: ":x:",
}


def thread_url(channel: str, ts: str) -> str:
    """A link to a Slack message (Slack redirects it to the workspace)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _where(region: str, account_label: str | None) -> str:
    """`us-west-2`, or `payments-prod/us-west-2` when an account is named (escaped)."""
    return escape(f"{account_label}/{region}" if account_label else region)


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
    source = f"{code(plan.source_table)} in {_where(plan.region, account_label)}"
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


def render_restore_started(job: RestoreJob, *, account_label: str | None = None) -> Message:
    """The first thread reply: the restore call was accepted."""
    text = (
        f":arrow_forward: Restore started by <@{job.requester}>: {code(job.source_table)} "
        f"({escape(job.point)}) → new table {code(job.target)} in "
        f"{_where(job.region, account_label)}."
    )
    note = (
        f"A PITR restore takes at least ~{format_duration(PITR_MIN_DURATION)}. "
        if job.kind == "pitr"
        else ""
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(f"{note}I will post progress here. Job `{escape(job.id)}`."),
        ),
    )


def render_restore_progress(job: RestoreJob, now: datetime) -> Message:
    """'still restoring, 23 min'."""
    text = (
        f":hourglass_flowing_sand: Still restoring {code(job.target)}, "
        f"{format_duration(job.elapsed(now))} so far."
    )
    return Message(text=text, blocks=(section(text),))


def render_restore_slow(job: RestoreJob, now: datetime, *, slow_after: timedelta) -> Message:
    """The one warning that a restore is taking longer than the configured limit."""
    text = (
        f":warning: The restore of {code(job.target)} has taken "
        f"{format_duration(job.elapsed(now))}, longer than the {format_duration(slow_after)} "
        "I expect. It is still running; large tables can take hours. I keep watching."
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context("AWS Support can tell whether a restore is stuck; quote the job id."),
        ),
    )


def not_inherited_blocks(job: RestoreJob) -> list[Block]:
    """What the new table does not inherit, and the button that copies what can be copied."""
    missing = ", ".join(NOT_INHERITED)
    return [
        section(
            f"*{code(job.target)} does not inherit* from {code(job.source_table)}: {missing}. "
            f"*Copy settings* copies {', '.join(COPYABLE)} from the source; the rest is yours "
            "to set up."
        ),
        actions(
            button("Copy settings", COPY_SETTINGS_ACTION, job.id, style="primary"),
            block_id=f"restore-copy:{job.id}",
        ),
    ]


def render_restore_completed(job: RestoreJob, *, account_label: str | None = None) -> Message:
    """Completion: duration, item count and size, then what is not inherited."""
    assert job.finished_at is not None
    duration = format_duration(job.finished_at - job.started_at)
    items = f"{job.item_count:,}" if job.item_count is not None else "unknown"
    text = (
        f":white_check_mark: Restore done: {code(job.target)} is ACTIVE after {duration} "
        f"({items} items, {human_bytes(job.size_bytes)})."
    )
    restored = (
        f"data as of {format_utc(job.restored_to)}"
        if job.restored_to and job.kind == "pitr"
        else escape(job.point)
    )
    blocks: list[Block] = [
        section(text),
        fields_section(
            [
                f"*Source*\n{code(job.source_table)} ({restored})",
                f"*New table*\n{code(job.target)} in {_where(job.region, account_label)}",
                f"*Took*\n{duration}",
                f"*Items / size*\n{items} / {human_bytes(job.size_bytes)}",
            ]
        ),
        *not_inherited_blocks(job),
    ]
    return Message(text=text, blocks=tuple(blocks))


def render_restore_failed(
    job: RestoreJob, now: datetime, *, account_label: str | None = None
) -> Message:
    """Failure (or giving up) with the reason."""
    verb = "stopped following" if job.status != FAILED else "failed"
    inside = f" in {_where(job.region, account_label)}" if account_label else ""
    text = (
        f":x: The restore of {code(job.source_table)}{inside} to {code(job.target)} {verb} after "
        f"{format_duration(job.elapsed(now))}: {escape(job.reason)}"
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(
                f"Nothing else was changed. `/ddb restore {escape(job.source_table)} ...` can "
                "try again; existing tables are never touched."
            ),
        ),
    )


def render_restore_not_started(
    job: RestoreJob, reason: str, *, account_label: str | None = None
) -> Message:
    """The confirmed restore was not started: what the check at start found, or AWS said."""
    text = (
        f":x: The restore of {code(job.source_table)} to {code(job.target)} in "
        f"{_where(job.region, account_label)} did not start: {escape(reason)}"
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(
                f"Nothing was changed. `/ddb restore {escape(job.source_table)} ...` can "
                "try again; existing tables are never touched."
            ),
        ),
    )


def render_settings_copied(
    job: RestoreJob, applied: Sequence[str], not_set: Sequence[str], user: str
) -> Message:
    """What the Copy settings button applied to the new table."""
    done = ", ".join(escape(a) for a in applied) if applied else "nothing (the source has none)"
    text = (
        f":clipboard: <@{user}> copied to {code(job.target)} from {code(job.source_table)}: {done}."
    )
    lines = [text]
    if not_set:
        lines.append(
            f"Not set on the source, so not copied: {', '.join(escape(n) for n in not_set)}."
        )
    lines.append(
        "Still to set up by hand: auto scaling policies, IAM and resource-based policies, "
        "CloudWatch alarms, DynamoDB Streams."
    )
    return Message(text=text, blocks=(section("\n".join(lines)),))


def render_restores_list(
    jobs: Sequence[RestoreJob], now: datetime, *, account_labels: Mapping[str, str] | None = None
) -> Message:
    """`/ddb restores`: in progress first, then recent ones, each linking to its thread.

    ``account_labels`` (account id -> alias, when accounts are configured) names each job's
    account next to its region.
    """
    running = [j for j in jobs if j.running(now)]
    recent = [j for j in jobs if not j.running(now)]
    if not jobs:
        text = "No restores started by opsbot in the last 30 days."
        return Message(text=text, blocks=(section(text),), ephemeral=True)
    blocks: list[Block] = [header("Restores")]
    for title, group in (("In progress", running), ("Recent", recent)):
        if not group:
            continue
        lines = [_job_line(job, now, account_labels) for job in group[:15]]
        blocks.append(section(f"*{title}* ({len(group)})\n" + "\n".join(lines)))
    text = f"{len(running)} restore(s) in progress, {len(recent)} recent."
    blocks.append(context(f"as of {format_utc(now)} · AWS allows 50 restores in progress"))
    return Message(text=text, blocks=tuple(blocks), ephemeral=True)


def _job_line(
    job: RestoreJob, now: datetime, account_labels: Mapping[str, str] | None = None
) -> str:
    emoji = _STATUS_EMOJI.get(job.status, ":grey_question:")
    if job.status == STARTING and job.running(now):
        state = "starting"
    elif job.status == STARTING:
        state = (
            ":warning: not started: the restore function failed to start it (its logs say "
            "why; the restore queue's DLQ holds the start)"
        )
    elif job.status == IN_PROGRESS:
        state = f"running {format_duration(job.elapsed(now))}"
    elif job.status == COMPLETED:
        state = f"done in {format_duration(job.elapsed(now))}"
    else:
        state = escape(job.status)
    thread = (
        " · " + link(thread_url(job.channel, job.thread_ts), "thread")
        if job.channel and job.thread_ts
        else ""
    )
    return (
        f"{emoji} {code(job.source_table)} → {code(job.target)} "
        f"({_where(job.region, (account_labels or {}).get(job.account))}) · "
        f"{state} · started {format_relative(job.started_at, now)} by <@{job.requester}>{thread}"
    )


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
    where = _where(region, account_label)
    if not window.enabled:
        text = f":warning: Point-in-time recovery is *off* for {name} in {where}."
        return Message(
            text=text,
            blocks=(
                section(text),
                context(f"`/ddb pitr {escape(table)} on` turns it on (operator)."),
            ),
            ephemeral=True,
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
            context(f"`/ddb restore {escape(table)} --at TIME` restores inside this window."),
        ),
        ephemeral=True,
    )


def render_pitr_changed(
    table: str, region: str, enabled: bool, user: str, *, account_label: str | None = None
) -> Message:
    """PITR turned on or off."""
    where = _where(region, account_label)
    if enabled:
        text = (
            f":white_check_mark: <@{user}> turned point-in-time recovery *on* for {code(table)} "
            f"in {where}. The restorable window starts now."
        )
    else:
        text = (
            f":warning: <@{user}> turned point-in-time recovery *off* for {code(table)} in "
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
                f"{code(table)} in {_where(region, account_label)}."
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
