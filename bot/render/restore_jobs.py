"""A started restore as Slack shows it: the replies in its thread (started, progress, slow,
done, failed), the Copy settings button and its reply, and the `/ddb restores` list.

bot/render/restores.py renders the plan to confirm before a restore starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.counts import counted
from bot.domain.restore_jobs import (
    COMPLETED,
    COPYABLE,
    FAILED,
    IN_PROGRESS,
    NOT_INHERITED,
    STARTING,
    RestoreJob,
)
from bot.domain.restores import PITR_MIN_DURATION
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.message import (
    Block,
    Message,
    account_region,
    actions,
    button,
    code,
    context,
    escape,
    escape_keeping_markup,
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


def render_restore_started(job: RestoreJob, *, account_label: str | None = None) -> Message:
    """The first thread reply: the restore call was accepted."""
    approved = f" (approved by <@{job.approved_by}>)" if job.approved_by else ""
    who = f"<@{job.requester}>{approved}"
    text = (
        f":arrow_forward: Restore started by {who}: {code(job.source_table)} "
        f"({escape(job.point)}) → new table {code(job.target)} in "
        f"{account_region(job.region, account_label)}."
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
            context(f"{note}I will post progress here. Job {code(job.id)}."),
        ),
    )


def progress_reply(doing: str, took: timedelta) -> Message:
    """The progress reply of a job opsbot follows (restore, drill, export, import, replica
    change): ':hourglass_flowing_sand: <doing> 23 min so far.', ``doing`` ending in its
    punctuation ('Still restoring `orders-copy`,')."""
    text = f":hourglass_flowing_sand: {doing} {format_duration(took)} so far."
    return Message(text=text, blocks=(section(text),))


def render_restore_progress(job: RestoreJob, now: datetime) -> Message:
    """'still restoring, 23 min'."""
    return progress_reply(f"Still restoring {code(job.target)},", job.elapsed(now))


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
                f"*New table*\n{code(job.target)} in {account_region(job.region, account_label)}",
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
    inside = f" in {account_region(job.region, account_label)}" if account_label else ""
    text = (
        f":x: The restore of {code(job.source_table)}{inside} to {code(job.target)} {verb} after "
        f"{format_duration(job.elapsed(now))}: {escape_keeping_markup(job.reason)}"
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(
                f"Nothing else was changed. {code(f'/ddb restore {job.source_table} ...')} can "
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
        f"{account_region(job.region, account_label)} did not start: "
        f"{escape_keeping_markup(reason)}"
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(
                f"Nothing was changed. {code(f'/ddb restore {job.source_table} ...')} can "
                "try again; existing tables are never touched."
            ),
        ),
    )


def render_settings_copied(
    job: RestoreJob,
    applied: Sequence[str],
    not_set: Sequence[str],
    user: str,
    *,
    own_tags_left: Sequence[str] = (),
) -> Message:
    """What the Copy settings button applied to the new table, and what it left out."""
    done = ", ".join(escape(a) for a in applied) if applied else "nothing (the source has none)"
    text = (
        f":clipboard: <@{user}> copied to {code(job.target)} from {code(job.source_table)}: {done}."
    )
    lines = [text]
    if not_set:
        lines.append(
            f"Not set on the source, so not copied: {', '.join(escape(n) for n in not_set)}."
        )
    if own_tags_left:
        keys = ", ".join(code(k) for k in own_tags_left)
        lines.append(
            f"Not copied: opsbot's own tags ({keys}), so {code(job.target)} stays off App Home "
            "and out of the nightly prune unless you tag it."
        )
    lines.append(
        "Still to set up by hand: auto scaling policies, IAM and resource-based policies, "
        "CloudWatch alarms, DynamoDB Streams."
    )
    return Message(text=text, blocks=(section("\n".join(lines)),))


def render_settings_already_copied(job: RestoreJob) -> Message:
    """A second press of Copy settings: it was done once, and nothing was done again."""
    who = f" by <@{job.settings_copied_by}>" if job.settings_copied_by else ""
    when = f" at {format_utc(job.settings_copied_at)}" if job.settings_copied_at else ""
    copied = (
        f" ({', '.join(escape(s) for s in job.settings_copied)})" if job.settings_copied else ""
    )
    text = (
        f":information_source: Settings were already copied to {code(job.target)}{who}{when}"
        f"{copied}. Nothing was done again."
    )
    return Message(text=text, blocks=(section(text),), ephemeral=True)


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
        return Message(text=text, blocks=(section(text),))
    blocks: list[Block] = [header("Restores")]
    for title, group in (("In progress", running), ("Recent", recent)):
        if not group:
            continue
        lines = [_job_line(job, now, account_labels) for job in group[:15]]
        blocks.append(section(f"*{title}* ({len(group)})\n" + "\n".join(lines)))
    text = f"{counted(len(running), 'restore')} in progress, {len(recent)} recent."
    blocks.append(context(f"as of {format_utc(now)} · AWS allows 50 restores in progress"))
    return Message(text=text, blocks=tuple(blocks))


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
        f"({account_region(job.region, (account_labels or {}).get(job.account))}) · "
        f"{state} · started {format_relative(job.started_at, now)} by <@{job.requester}>{thread}"
    )
