"""`/ddb prune --all [--apply]` through the prune fan-out, at any number of tables.

The Slack worker posts one progress message and starts a report-mode run
(bot.flows.backups.prune_fanout): one task per table of every managed account and region,
each planned by a prune worker under the table's own policy (typed rules fill in only for
tables without one), its plan stored with the run. As tables finish the progress message is
updated; when the last one reports, one summary follows: the plan, table by table, with each
policy and where it comes from (a dry run says it is one), and with `--apply` the Confirm
button, bound to the requester and to the run's stored plans. With `--apply` both messages
are in the channel; a dry run answers only its requester, through the command's
response_url (5 uses in 30 minutes: the first message, one halfway, the last two), else
ephemeral.

At the press every table of the plan becomes a delete task of a new run: each worker lists
its table again, plans again under the same policy, and deletes only backups that are in
the stored plan AND still planned now; one digest follows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from bot.aws import prune_runs
from bot.aws.plans import attach_message, create_plan
from bot.domain.commands import Prune
from bot.domain.confirmations import Plan
from bot.domain.counts import counted
from bot.domain.policy import RetentionPolicy, parse_policy
from bot.domain.prune_jobs import PruneTask
from bot.domain.retention import PlannedTable
from bot.flows.backups.prune_fanout import fleet_tasks, start_run
from bot.flows.registry import Request
from bot.render.message import Message, section
from bot.render.prune_all import render_every_table_plan, render_prune_all_progress
from bot.runtime import Runtime

log = logging.getLogger(__name__)

TABLES_NAMED = 5  # tables named in a confirmation's one-line summary
PROGRESS_STEPS = 20  # the progress message moves at most this often (Slack: ~1 update/s)


def start(cmd: Prune, request: Request) -> None:
    """Post the progress message and fan out one report task per table."""
    runtime = request.runtime
    # One run per work item: a retried item re-sends into the same run, where each table's
    # claim keeps it from being planned twice.
    run_id = f"all-{hashlib.sha256(request.item.id.encode()).hexdigest()[:24]}"
    progress = render_prune_all_progress(0, None, apply=cmd.apply)
    progress_ts = response_url = ""
    if cmd.apply:
        progress_ts = request.post(progress).ts
    else:
        request.reply(progress)
        response_url = request.item.response_url or ""
    typed = "" if cmd.flags.is_empty else cmd.flags.as_text()
    tasks = fleet_tasks(runtime, run_id, mode="report", flags=typed, requester=request.user)
    start_run(
        runtime,
        run_id,
        tasks,
        mode="report",
        channel=request.channel,
        requester=request.user,
        progress_ts=progress_ts,
        every_table=True,
        confirm=cmd.apply,
        typed=typed,
        response_url=response_url,
    )


def show_progress(runtime: Runtime, run_id: str) -> None:
    """Update the run's progress message when the tables reported cross a step."""
    run = prune_runs.load_run(runtime.state, run_id)
    if run is None or run.get("expected") is None:
        return  # still being listed: the first message says so
    done, total = int(run.get("reported", 0)), int(run["expected"])
    # A channel message moves in PROGRESS_STEPS; a response_url only halfway.
    step = max(1, total // PROGRESS_STEPS) if run.get("progress_ts") else max(2, total // 2)
    if done % step or done >= total:
        return
    _update(runtime, run, render_prune_all_progress(done, total, apply=bool(run.get("confirm"))))


def post_plan(runtime: Runtime, run: Mapping[str, Any]) -> None:
    """The run's one summary: every table's plan, with Confirm when `--apply` asked for it."""
    state, settings, now = runtime.state, runtime.settings, runtime.now()
    run_id, requester, channel = str(run["run_id"]), str(run["requester"]), str(run["channel"])
    tables = sorted(
        (planned for _, planned in prune_runs.table_plans(state, run_id)),
        key=lambda t: (-t.to_delete, -t.bytes_freed, t.table),
    )
    left_alone, errors = [], []
    for outcome in prune_runs.run_outcomes(state, run_id):
        if outcome.error:
            errors.append((outcome.table, outcome.error))
        elif outcome.left_alone:
            left_alone.append((outcome.table, outcome.left_alone))
    plan = None
    deleting = [t for t in tables if t.to_delete]
    if run.get("confirm") and deleting:
        plan = create_plan(
            state,
            kind="prune",
            action="prune:apply",
            requester=requester,
            channel=channel,
            now=now,
            ttl_s=settings.confirm_ttl.total_seconds(),
            summary=_summary(deleting),
            payload={"all": True, "plan_run": run_id},
        )
    typed = str(run.get("typed") or "")
    message = render_every_table_plan(
        tables,
        now,
        settings.backup_price_per_gb_month,
        typed=parse_policy(typed) if typed else RetentionPolicy(),
        apply=bool(run.get("confirm")),
        left_alone=left_alone,
        errors=errors,
        plan_id=plan.id if plan else None,
        requester=requester,
    )
    total = int(run.get("expected") or 0)
    _update(runtime, run, render_prune_all_progress(total, total, apply=bool(run.get("confirm"))))
    if not run.get("confirm"):
        _answer_requester(runtime, run, replace(message, ephemeral=True))
        return
    posted = runtime.notifier.post(channel, message)
    if plan is not None:
        attach_message(state, plan.id, posted.ts)


def _summary(deleting: list[PlannedTable]) -> str:
    count = sum(t.to_delete for t in deleting)
    named = [f"`{t.table}`" for t in deleting[:TABLES_NAMED]]
    if len(deleting) > TABLES_NAMED:
        named.append(f"{len(deleting) - TABLES_NAMED} more")
    return (
        f"delete {counted(count, 'backup')} of {counted(len(deleting), 'table')} "
        f"({', '.join(named)})"
    )


def _update(runtime: Runtime, run: Mapping[str, Any], message: Message) -> None:
    """Update the progress message; a message Slack will not update is not worth a retry."""
    from slack_sdk.errors import SlackApiError

    notifier = runtime.notifier
    if run.get("response_url"):
        shown = replace(message, ephemeral=True)
        notifier.respond(str(run["response_url"]), shown, replace_original=True)
        return
    if not run.get("progress_ts"):
        return
    try:
        notifier.update(str(run["channel"]), str(run["progress_ts"]), message)
    except SlackApiError as exc:
        log.warning("could not update the prune progress: %s", exc.response.get("error"))


def _answer_requester(runtime: Runtime, run: Mapping[str, Any], message: Message) -> None:
    """A dry run's summary, only to its requester: through the response_url while Slack
    takes it, else as an ephemeral message in the channel."""
    url = str(run.get("response_url") or "")
    if url and runtime.notifier.respond(url, message):
        return
    runtime.notifier.ephemeral(str(run["channel"]), str(run["requester"]), message)


def execute(plan: Plan, request: Request) -> None:
    """Confirmed: one delete task per table the stored plans delete from, as a new run."""
    if "plan_run" not in plan.payload:
        # Stored by a version that planned `--all` in the Slack worker: nothing to bind to.
        text = "This plan was made by an earlier opsbot; run `/ddb prune --all --apply` again."
        request.reply(Message(text=text, blocks=(section(text),)))
        return
    run_id = f"manual-{plan.id}"
    sent = start_run(
        request.runtime,
        run_id,
        _delete_tasks(request.runtime, plan, run_id, request.approved_by),
        mode="delete",
        channel=plan.channel,
        requester=plan.requester,
    )
    text = (
        f"Pruning {counted(sent, 'table')} in the background; one summary will follow "
        "in this channel."
    )
    request.reply(Message(text=text, blocks=(section(text),)))


def _delete_tasks(
    runtime: Runtime, plan: Plan, run_id: str, approved_by: str
) -> Iterator[PruneTask]:
    plan_run = str(plan.payload["plan_run"])
    for place, planned in prune_runs.table_plans(runtime.state, plan_run):
        if not planned.to_delete:
            continue
        yield PruneTask(
            run_id,
            place["region"],
            place["name"],
            planned.resolved.text,
            source=planned.resolved.source,
            mode="delete",
            requester=plan.requester,
            approved_by=approved_by,
            account=place["account"],
            plan_run=plan_run,
        )
