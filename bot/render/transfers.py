"""Exports to S3 and imports from S3 as Slack shows them: the plan to confirm (size,
estimated cost, where the data goes), the replies in its thread (started, progress, done,
failed, not started) and `/ddb exports`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain.counts import counted
from bot.domain.exports import ExportPlan
from bot.domain.followed_jobs import COMPLETED, IN_PROGRESS, STARTING
from bot.domain.imports import ImportPlan
from bot.domain.restores import describe_window
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc
from bot.domain.transfer_jobs import IMPORT, TransferJob
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
from bot.render.restore_jobs import progress_reply, thread_url
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


def render_import_confirmation(
    plan: ImportPlan,
    plan_id: str,
    requester: str,
    *,
    expires_in: timedelta,
    price_per_gb: float,
) -> Message:
    """The import to confirm: the objects and their size, the new table and its key, cost."""
    key = f"{code(plan.key)} (partition)" + (f", {code(plan.sort)} (sort)" if plan.sort else "")
    if plan.like:
        key += f", as {code(plan.like)}"
    text = (
        f"Import {escape(plan.source.url)} ({human_bytes(plan.size_bytes)}) into new table "
        f"{escape(plan.table)}? Estimated cost {money(plan.cost)}. Confirm within "
        f"{format_duration(expires_in)}."
    )
    objects = f"{counted(plan.object_count, 'object')}, {human_bytes(plan.size_bytes)}"
    blocks: list[Block] = [
        section(
            f":inbox_tray: <@{requester}> asked to import S3 data into a new table. Please confirm."
        ),
        fields_section(
            [
                f"*Source*\n{code(plan.source.url)} ({format_name(plan.data_format)})",
                f"*Objects*\n{objects}, compression {escape(plan.compression)}",
                f"*New table*\n{code(plan.table)} in {escape(plan.region)}, on demand",
                f"*Key*\n{key}",
                f"*Estimated cost*\n~{money(plan.cost)} at {money(price_per_gb)}/GB",
                "*Existing tables*\nnot touched: an import always creates its table",
            ]
        ),
        section(
            ":stopwatch: Imports take minutes to hours; items that fail are counted and logged "
            "to CloudWatch Logs. I will follow it in this thread."
        ),
        confirmation_actions(plan_id, requester, confirm_label="Start import"),
        context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
    ]
    return Message(text=text, blocks=tuple(blocks))


def _what(job: TransferJob) -> str:
    if job.kind == IMPORT:
        return f"the import of {code(job.location)} into new table {code(job.table)}"
    return f"the export of {code(job.table)} to {code(job.location)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_transfer_started(job: TransferJob, *, account_label: str | None = None) -> Message:
    """The first thread reply: AWS accepted the export or import."""
    approved = f" (approved by <@{job.approved_by}>)" if job.approved_by else ""
    where = account_region(job.region, account_label)
    if job.kind == IMPORT:
        text = (
            f":arrow_forward: Import started by <@{job.requester}>{approved}: {code(job.location)} "
            f"({format_name(job.data_format)}) → new table {code(job.table)} in {where}."
        )
    else:
        text = (
            f":arrow_forward: Export started by <@{job.requester}>{approved}: {code(job.table)} "
            f"in {where} → {code(job.location)} ({format_name(job.data_format)})."
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
    verb = "importing into" if job.kind == IMPORT else "exporting"
    return progress_reply(f"Still {verb} {code(job.table)},", job.duration(now))


def render_transfer_completed(job: TransferJob, now: datetime) -> Message:
    """Done: items, billed size, duration, the manifest's S3 path (an import: imported and
    error counts, and the log group holding the errors)."""
    items = f"{job.item_count:,}" if job.item_count is not None else "unknown"
    duration = format_duration(job.duration(now))
    if job.kind == IMPORT:
        return _import_completed(job, items, duration)
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


def _import_completed(job: TransferJob, items: str, duration: str) -> Message:
    errors = job.error_count or 0
    mark = ":warning:" if errors else ":white_check_mark:"
    text = (
        f"{mark} Import done: {code(job.location)} → new table {code(job.table)} in {duration} "
        f"({items} items imported, {errors:,} errors)."
    )
    logs = code(job.log_group) if job.log_group else "none reported"
    fields = [
        f"*Imported*\n{items} items",
        f"*Errors*\n{errors:,}" + (" (items that could not be imported)" if errors else ""),
        f"*Processed*\n{human_bytes(job.billed_bytes)}",
        f"*Took*\n{duration}",
        f"*Error log group*\n{logs}",
    ]
    return Message(text=text, blocks=(section(text), fields_section(fields)))


def render_transfer_failed(job: TransferJob, now: datetime) -> Message:
    """Failed (or given up) with AWS's reason."""
    verb = "stopped following" if job.status != "failed" else "failed"
    text = (
        f":x: {_capital(_what(job))} {verb} after {format_duration(job.duration(now))}: "
        f"{escape_keeping_markup(job.reason)}"
    )
    return Message(
        text=text,
        blocks=(section(text), context("No existing table was changed; it can be run again.")),
    )


def render_transfer_not_started(
    job: TransferJob, reason: str, *, account_label: str | None = None
) -> Message:
    """The confirmed export did not start: what the check at start found, or AWS said."""
    text = (
        f":x: {_capital(_what(job))} in {account_region(job.region, account_label)} did not "
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
