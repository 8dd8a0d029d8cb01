"""Exports to S3 as Slack shows them: the plan to confirm (size, estimated cost, destination),
the replies in its thread (started, progress, done, failed, not started) and `/ddb exports`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.counts import counted
from bot.domain.exports import ExportPlan
from bot.domain.restores import describe_window
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc
from bot.domain.transfer_jobs import COMPLETED, IN_PROGRESS, STARTING, TransferJob
from bot.render.confirm import confirmation_actions
from bot.render.message import (
    Block,
    Message,
    account_region,
    code,
    context,
    escape,
    escape_keeping_markup,
    fields_section,
    header,
    link,
    section,
)
from bot.render.restore_jobs import thread_url
from bot.render.units import human_bytes, money

_FORMATS = {"DYNAMODB_JSON": "DynamoDB JSON", "ION": "Amazon Ion", "CSV": "CSV"}


def format_name(data_format: str) -> str:
    """'DynamoDB JSON' for DYNAMODB_JSON."""
    return _FORMATS.get(data_format) or escape(data_format)


def render_export_confirmation(
    plan: ExportPlan,
    plan_id: str,
    requester: str,
    now: datetime,
    *,
    expires_in: timedelta,
    price_per_gb: float,
    window: PitrWindow | None = None,
    account_label: str | None = None,
) -> Message:
    """The export to confirm: table and size, point in time, destination, estimated cost."""
    where = account_region(plan.region, account_label)
    cost = f"~{money(plan.cost)} at {money(price_per_gb)}/GB"
    if plan.incremental:
        cost = f"billed on the changed data, at most {cost} (the table's size)"
    text = (
        f"Export {escape(plan.table)} ({human_bytes(plan.size_bytes)}) to "
        f"{escape(plan.destination.url)}? "
        f"Estimated cost {money(plan.cost)}. Confirm within {format_duration(expires_in)}."
    )
    blocks: list[Block] = [
        section(f":outbox_tray: <@{requester}> asked to export a table to S3. Please confirm."),
        fields_section(
            [
                f"*Table*\n{code(plan.table)} in {where}",
                f"*Size*\n{human_bytes(plan.size_bytes)} (DescribeTable, updated ~6 hourly)",
                f"*Exports*\n{plan.point}",
                f"*Destination*\n{code(plan.destination.url)} ({format_name(plan.export_format)})",
                f"*Estimated cost*\n{cost}",
                "*Table*\nnot touched: exports read the PITR backup, not the table's capacity",
            ]
        ),
    ]
    if window is not None:
        blocks.append(context(f"Point-in-time window: {describe_window(window, now)}"))
    blocks += [
        section(":stopwatch: Exports take minutes to hours. I will follow it in this thread."),
        confirmation_actions(plan_id, requester, confirm_label="Start export"),
        context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
    ]
    return Message(text=text, blocks=tuple(blocks))


def _what(job: TransferJob) -> str:
    return f"the export of {code(job.table)} to {code(job.location)}"


def render_transfer_started(job: TransferJob, *, account_label: str | None = None) -> Message:
    """The first thread reply: AWS accepted the export."""
    approved = f" (approved by <@{job.approved_by}>)" if job.approved_by else ""
    text = (
        f":arrow_forward: Export started by <@{job.requester}>{approved}: {code(job.table)} in "
        f"{account_region(job.region, account_label)} → {code(job.location)} "
        f"({format_name(job.data_format)})."
    )
    return Message(
        text=text,
        blocks=(
            section(text),
            context(f"I will post progress here. Job {code(job.id)}, {code(job.arn)}."),
        ),
    )


def render_transfer_progress(job: TransferJob, now: datetime) -> Message:
    """'still exporting, 30 min so far'."""
    took = format_duration(job.duration(now))
    text = f":hourglass_flowing_sand: Still exporting {code(job.table)}, {took} so far."
    return Message(text=text, blocks=(section(text),))


def render_transfer_completed(job: TransferJob, now: datetime) -> Message:
    """Done: items, billed size, duration, the manifest's S3 path."""
    items = f"{job.item_count:,}" if job.item_count is not None else "unknown"
    duration = format_duration(job.duration(now))
    text = (
        f":white_check_mark: Export done: {code(job.table)} → {code(job.location)} in "
        f"{duration} ({items} items, {human_bytes(job.billed_bytes)} billed)."
    )
    fields = [
        f"*Items*\n{items}",
        f"*Billed size*\n{human_bytes(job.billed_bytes)}",
        f"*Took*\n{duration}",
        f"*Manifest*\n{code(job.manifest_url) if job.manifest_url else 'not reported'}",
    ]
    return Message(text=text, blocks=(section(text), fields_section(fields)))


def render_transfer_failed(job: TransferJob, now: datetime) -> Message:
    """Failed (or given up) with AWS's reason."""
    verb = "stopped following" if job.status != "failed" else "failed"
    text = (
        f":x: {_what(job).capitalize()} {verb} after {format_duration(job.duration(now))}: "
        f"{escape_keeping_markup(job.reason)}"
    )
    return Message(
        text=text,
        blocks=(section(text), context("The table was not changed; the export can be run again.")),
    )


def render_transfer_not_started(
    job: TransferJob, reason: str, *, account_label: str | None = None
) -> Message:
    """The confirmed export did not start: what the check at start found, or AWS said."""
    text = (
        f":x: {_what(job).capitalize()} in {account_region(job.region, account_label)} did not "
        f"start: {escape_keeping_markup(reason)}"
    )
    return Message(text=text, blocks=(section(text), context("Nothing was started.")))


def render_exports_list(
    jobs: Sequence[TransferJob],
    now: datetime,
    *,
    table: str | None = None,
    account_labels: Mapping[str, str] | None = None,
) -> Message:
    """`/ddb exports [table]`: running first, then recent, each linking to its thread."""
    shown = [j for j in jobs if table is None or j.table == table]
    of = f" of {code(table)}" if table else ""
    if not shown:
        text = f"No exports{of} started by opsbot in the last 30 days."
        return Message(text=text, blocks=(section(text),))
    running = [j for j in shown if j.running(now)]
    recent = [j for j in shown if not j.running(now)]
    blocks: list[Block] = [header("Exports")]
    for title, group in (("In progress", running), ("Recent", recent)):
        if group:
            lines = [_job_line(job, now, account_labels or {}) for job in group[:15]]
            blocks.append(section(f"*{title}* ({len(group)})\n" + "\n".join(lines)))
    blocks.append(context(f"Exports opsbot started, kept 30 days · as of {format_utc(now)}"))
    text = f"{counted(len(running), 'export')}{of} in progress, {len(recent)} recent."
    return Message(text=text, blocks=tuple(blocks))


def _job_line(job: TransferJob, now: datetime, account_labels: Mapping[str, str]) -> str:
    if job.status == STARTING:
        state = ":hourglass_flowing_sand: starting" if job.running(now) else ":warning: not started"
    elif job.status == IN_PROGRESS:
        state = f":hourglass_flowing_sand: running {format_duration(job.duration(now))}"
    elif job.status == COMPLETED:
        items = f", {job.item_count:,} items" if job.item_count is not None else ""
        state = f":white_check_mark: done in {format_duration(job.duration(now))}{items}"
    else:
        state = f":x: {escape(job.status)}"
    thread = (
        " · " + link(thread_url(job.channel, job.thread_ts), "thread")
        if job.channel and job.thread_ts
        else ""
    )
    where = account_region(job.region, account_labels.get(job.account))
    return (
        f"{code(job.table)} ({where}) → {code(job.location)} · {state} · "
        f"{format_relative(job.created_at, now)} by <@{job.requester}>{thread}"
    )
