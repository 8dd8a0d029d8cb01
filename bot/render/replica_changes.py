"""Replica changes as Slack shows them: the change to confirm (with the cost note), and the
replies in its thread until the replica is ACTIVE (with its ReplicationLatency) or gone."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.replica_changes import ADD, ReplicaChangePlan, ReplicaJob
from bot.domain.replicas import DEFAULT_LAG_THRESHOLD_MS, ReplicationLag
from bot.domain.times import format_duration
from bot.render.confirm import confirmation_actions
from bot.render.message import Block, Message, code, context, escape, escape_keeping_markup, section
from bot.render.replicas import lag_summary
from bot.render.restore_jobs import progress_reply
from bot.render.units import human_bytes

COST_NOTE = (
    "Replicated writes are billed in every region: each write to the table is also a "
    "replicated write in each replica region, and the replica stores its own copy (plus data "
    "transfer between regions)."
)


def render_replica_confirmation(
    plan: ReplicaChangePlan, plan_id: str, requester: str, *, expires_in: timedelta
) -> Message:
    """The replica change to confirm: what it does, how long, and what it costs."""
    table, target = code(plan.table), escape(plan.target_region)
    within = f"Confirm within {format_duration(expires_in)}."
    if plan.change == ADD:
        text = f"Add a replica of {escape(plan.table)} in {target}? {within}"
        lines = [
            f":globe_with_meridians: <@{requester}> asked to add a replica of {table} "
            f"({escape(plan.region)}, {human_bytes(plan.size_bytes)}) in *{target}*. "
            "Please confirm.",
            f":moneybag: {COST_NOTE}",
            "Creating it copies the whole table into the new region: minutes for a small table, "
            "hours for a large one. I will follow it in this thread.",
        ]
        label = "Add replica"
    else:
        text = f"Remove the replica of {escape(plan.table)} in {target}? {within}"
        lines = [
            f":warning: <@{requester}> asked to *remove* the replica of {table} in *{target}*. "
            "Please confirm.",
            f"The replica table in {target} and its data there are deleted; {table} in "
            f"{escape(plan.region)} and the other replicas stay. Writes stop being billed there.",
        ]
        label = "Remove replica"
    blocks: list[Block] = [
        section("\n".join(lines)),
        confirmation_actions(plan_id, requester, confirm_label=label),
        context(f"Only <@{requester}> can confirm. Expires in {format_duration(expires_in)}."),
    ]
    return Message(text=text, blocks=tuple(blocks))


def _what(job: ReplicaJob) -> str:
    verb = "Adding a replica" if job.change == ADD else "Removing the replica"
    return f"{verb} of {code(job.table)} in {escape(job.target_region)}"


def render_replica_started(job: ReplicaJob) -> Message:
    """The first thread reply: AWS accepted the change."""
    approved = f" (approved by <@{job.approved_by}>)" if job.approved_by else ""
    text = f":arrow_forward: {_what(job)}: started by <@{job.requester}>{approved}."
    return Message(text=text, blocks=(section(text), context(f"Job {code(job.id)}.")))


def render_replica_progress(job: ReplicaJob, now: datetime) -> Message:
    """'still creating, 45 min so far'."""
    return progress_reply(f"{_what(job)}:", job.elapsed(now))


def render_replica_done(job: ReplicaJob, now: datetime, lag: ReplicationLag | None) -> Message:
    """ACTIVE (with the ReplicationLatency into it) or gone."""
    took = format_duration(job.elapsed(now))
    if job.change == ADD:
        text = (
            f":white_check_mark: The replica of {code(job.table)} in "
            f"{escape(job.target_region)} is ACTIVE after {took}."
        )
        lines = [text, f"ReplicationLatency: {lag_summary(lag, DEFAULT_LAG_THRESHOLD_MS)}"]
    else:
        text = (
            f":white_check_mark: The replica of {code(job.table)} in "
            f"{escape(job.target_region)} is gone after {took}."
        )
        lines = [text]
    return Message(text=text, blocks=(section("\n".join(lines)),))


def render_replica_failed(job: ReplicaJob, now: datetime) -> Message:
    """Failed or given up, with the reason."""
    text = (
        f":x: {_what(job)} failed after {format_duration(job.elapsed(now))}: "
        f"{escape_keeping_markup(job.reason)}"
    )
    return Message(text=text, blocks=(section(text),))


def render_replica_not_started(job: ReplicaJob, reason: str) -> Message:
    """The confirmed change did not start: what the check at start found, or AWS said."""
    text = f":x: {_what(job)} did not start: {escape_keeping_markup(reason)}"
    return Message(text=text, blocks=(section(text), context("Nothing was changed.")))
