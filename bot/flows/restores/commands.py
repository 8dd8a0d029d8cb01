"""`/ddb restore`, `/ddb restores`, `/ddb pitr`, their confirmations and the Copy settings
button; bot/flows/restores/watch.py follows a started restore to its end."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.aws.restores import (
    claim_settings_copy,
    copy_settings,
    enqueue_check,
    load_job,
    read_pitr,
    recent_jobs,
    release_settings_copy,
    save_job,
    set_pitr,
    update_job,
)
from bot.domain.accounts import Account
from bot.domain.commands import Pitr, Restore, Restores
from bot.domain.confirmations import Plan
from bot.domain.errors import Conflict, OpsbotError, TableNotFound
from bot.domain.restore_jobs import COMPLETED, FAILED, STARTING, RestoreJob, job_id_for
from bot.domain.restores import RestorePlan, RestoreRequest
from bot.domain.tables import PitrWindow
from bot.flows.confirmations import post_for_confirmation
from bot.flows.places import clients_in
from bot.flows.registry import Request, action, command, plan_executor
from bot.flows.resolve import locate_table
from bot.flows.restores.watch import job_account_label, validate_restore
from bot.render.restore_jobs import (
    COPY_SETTINGS_ACTION,
    render_restores_list,
    render_settings_already_copied,
    render_settings_copied,
)
from bot.render.restores import (
    render_pitr_changed,
    render_pitr_off_confirmation,
    render_pitr_status,
    render_restore_confirmation,
)

log = logging.getLogger(__name__)


# ---- /ddb restore ---------------------------------------------------------------------------


def _member_id(account: Account | None) -> str:
    """The id stored with a plan or job: a member account's, '' for opsbot's own."""
    return account.id if account is not None and not account.is_home else ""


@command(Restore, account_aware=True)
def restore(cmd: Restore, request: Request) -> None:
    """Validate the restore against the current state and post it for confirmation."""
    runtime = request.runtime
    ref = locate_table(runtime, cmd.table).table
    account = _member_id(ref.account)
    wanted = RestoreRequest(ref.name, ref.region, cmd.at, cmd.latest, cmd.backup, cmd.to)
    plan = validate_restore(runtime, wanted, request.now, account=account)
    post_for_confirmation(
        request,
        kind="restore",
        action="restore",
        summary=plan.summary,
        payload={**plan.to_payload(), "account": account},
        render=lambda plan_id: render_restore_confirmation(
            plan,
            plan_id,
            request.user,
            request.now,
            expires_in=runtime.settings.confirm_ttl,
            account_label=job_account_label(runtime, account),
        ),
    )


@plan_executor("restore")
def run_restore(plan: Plan, request: Request) -> None:
    """Re-validate at press time, then hand the job to the restore function, whose check 0
    validates once more and starts it (see bot/flows/restores/watch.py)."""
    runtime, now = request.runtime, request.now
    confirmed = RestorePlan.from_payload(plan.payload)
    account = str(plan.payload.get("account") or "")
    checked = validate_restore(runtime, confirmed.as_request(), now, account=account)
    if not runtime.settings.restore_queue_url:
        raise OpsbotError(
            "opsbot has no restore queue configured (`OPSBOT_RESTORE_QUEUE_URL`), so it cannot "
            "start restores. Nothing was started."
        )
    job = RestoreJob(
        id=job_id_for(now, plan.id[:8]),
        source_table=checked.source_table,
        region=checked.region,
        target=checked.target,
        kind=checked.kind,
        requester=plan.requester,
        approved_by=request.approved_by,
        channel=plan.channel or request.channel,
        thread_ts=plan.message_ts or request.item.message_ts,
        started_at=now,
        at=checked.at,
        latest=checked.latest,
        backup_arn=checked.backup_arn,
        backup_name=checked.backup_name,
        account=account,
        status=STARTING,
    )
    save_job(runtime.state, job, now=runtime.epoch())
    try:
        enqueue_check(
            runtime.client("sqs"), runtime.settings.restore_queue_url, job.id, 0, delay_s=0
        )
    except Exception as exc:
        log.exception("could not hand restore job %s to the restore function", job.id)
        reason = "the restore function could not be reached; nothing was started"
        update_job(runtime.state, replace(job, status=FAILED, finished_at=now, reason=reason))
        raise OpsbotError(
            f"Could not start the restore: {reason}. Run `/ddb restore` again to retry."
        ) from exc


# ---- /ddb restores --------------------------------------------------------------------------


@command(Restores)
def restores(cmd: Restores, request: Request) -> None:
    """List restores in progress and recent ones, with links to their threads."""
    accounts = request.runtime.settings.accounts
    labels = {a.id: a.alias for a in accounts if not a.is_home} if accounts else None
    request.reply(
        render_restores_list(
            recent_jobs(request.runtime.state, limit=50), request.now, account_labels=labels
        )
    )


# ---- /ddb pitr ------------------------------------------------------------------------------


@command(Pitr, account_aware=True)
def pitr(cmd: Pitr, request: Request) -> None:
    """Show the PITR window; turn it on; or post `off` for confirmation."""
    runtime = request.runtime
    resolved = locate_table(runtime, cmd.table).table
    account = _member_id(resolved.account)
    label = job_account_label(runtime, account)
    ref = resolved.as_ref()
    assert ref.region is not None
    dynamodb = clients_in(runtime, account or None)("dynamodb", ref.region)
    window = _existing_window(dynamodb, ref.name, ref.region)
    if cmd.change is None:
        request.reply(
            render_pitr_status(ref.name, ref.region, window, request.now, account_label=label)
        )
        return
    if cmd.change == "on":
        if window.enabled:
            request.reply(
                render_pitr_status(ref.name, ref.region, window, request.now, account_label=label)
            )
            return
        request_id, _ = set_pitr(dynamodb, ref.name, ref.region, enabled=True)
        request.record_action(request_id, f"/ddb pitr {ref} on")
        request.reply(
            render_pitr_changed(ref.name, ref.region, True, request.user, account_label=label)
        )
        return
    if not window.enabled:
        request.reply(
            render_pitr_status(ref.name, ref.region, window, request.now, account_label=label)
        )
        return
    region = ref.region  # a str, narrowed above; the lambda below cannot see the narrowing
    post_for_confirmation(
        request,
        kind="pitr-off",
        action="pitr:off",
        summary=f"turn point-in-time recovery off for `{ref.name}` in "
        f"{f'{label}/' if label else ''}{region}",
        payload={"table": ref.name, "region": region, "account": account},
        render=lambda plan_id: render_pitr_off_confirmation(
            ref.name,
            region,
            window,
            plan_id,
            request.user,
            request.now,
            expires_in=runtime.settings.confirm_ttl,
            account_label=label,
        ),
    )


@plan_executor("pitr-off")
def run_pitr_off(plan: Plan, request: Request) -> None:
    """Re-check that PITR is still on, then turn it off."""
    runtime = request.runtime
    table, region = str(plan.payload["table"]), str(plan.payload["region"])
    account = str(plan.payload.get("account") or "")
    dynamodb = clients_in(runtime, account or None)("dynamodb", region)
    window = _existing_window(dynamodb, table, region)
    if not window.enabled:
        raise Conflict(f"Point-in-time recovery is already off for `{table}`; nothing was done.")
    request_id, _ = set_pitr(dynamodb, table, region, enabled=False)
    request.record_action(request_id, f"/ddb pitr {table}@{region} off", user=plan.requester)
    runtime.notifier.post(
        plan.channel or request.channel,
        render_pitr_changed(
            table,
            region,
            False,
            plan.requester,
            approved_by=request.approved_by,
            account_label=job_account_label(runtime, account),
        ),
        thread_ts=plan.message_ts or None,
    )


def _existing_window(dynamodb: object, table: str, region: str) -> PitrWindow:
    window = read_pitr(dynamodb, table, region)
    if window is None:
        raise TableNotFound(
            f"There is no table `{table}` in {region}. Check the name, or add `@region`."
        )
    return window


# ---- Copy settings --------------------------------------------------------------------------


@action(COPY_SETTINGS_ACTION, permission="restore:copy-settings")
def copy_restore_settings(value: str, request: Request) -> None:
    """Copy TTL, tags (not opsbot's own), PITR and deletion protection from the source to the
    restored table, once: a second press says it was already done and changes nothing."""
    runtime = request.runtime
    job = load_job(runtime.state, value)
    if job is None:
        raise OpsbotError("I no longer know this restore (job records are kept 30 days).")
    if job.status != COMPLETED:
        raise Conflict(f"The restore to `{job.target}` has not completed; nothing to copy yet.")
    if (
        job.settings_copied_by
        or job.settings_copied
        or not claim_settings_copy(runtime.state, job, request.user, request.now)
    ):
        request.reply(render_settings_already_copied(load_job(runtime.state, value) or job))
        return
    try:
        copied = copy_settings(
            clients_in(runtime, job.account or None)("dynamodb", job.region),
            job.source_table,
            job.target,
            job.region,
        )
    except Exception:
        release_settings_copy(runtime.state, job)
        raise
    for request_id in copied.request_ids:
        request.record_action(request_id, f"copy settings {job.source_table} -> {job.target}")
    done = replace(
        job,
        settings_copied=copied.applied,
        settings_copied_by=request.user,
        settings_copied_at=request.now,
    )
    update_job(runtime.state, done)
    runtime.notifier.post(
        job.channel or request.channel,
        render_settings_copied(
            job,
            copied.applied,
            copied.not_set_on_source,
            request.user,
            own_tags_left=copied.own_tags_left,
        ),
        thread_ts=job.thread_ts or None,
    )
