"""Confirm, Cancel and Approve presses on a stored plan.

The requester confirms (a conditional write: once). When `[approvals]` names the plan's
action, the plan then waits for someone else who holds the role it needs to press Approve
(again a conditional write, before the plan expires); both people's roles are checked again
then. Only then does the plan's executor run, and it re-validates against the current state.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.aws.plans import approve_plan, claim_plan, finish_plan, load_plan
from bot.domain.confirmations import (
    AWAITING_APPROVAL,
    Plan,
    check_approval,
    plan_id_to_approve,
    split_button_value,
)
from bot.domain.errors import NotAllowed, OpsbotError
from bot.flows import registry
from bot.flows.access import role_of
from bot.flows.registry import Request
from bot.render.confirm import render_awaiting_approval, render_cancelled, render_confirmed
from bot.render.message import Message

log = logging.getLogger(__name__)

PRESSES = frozenset({"confirm", "cancel", "approve"})


def run_plan_press(request: Request) -> None:
    """Run one Confirm, Cancel or Approve press."""
    action_id = request.item.action_id
    if action_id == "approve":
        _approve(request)
    elif action_id == "cancel":
        _cancel(request)
    else:
        _confirm(request)


def _cancel(request: Request) -> None:
    plan_id, _ = split_button_value(request.item.value)
    plan = claim_plan(request.runtime.state, plan_id, request.user, request.now, to="cancelled")
    request.reply(render_cancelled(plan.summary, request.user), replace_original=True)


def _confirm(request: Request) -> None:
    runtime = request.runtime
    plan_id, _ = split_button_value(request.item.value)
    plan = claim_plan(
        runtime.state,
        plan_id,
        request.user,
        request.now,
        to="running",
        approvals=runtime.settings.approvals,
    )
    try:
        request.check(plan.action, what="Confirming this")
    except NotAllowed as exc:
        finish_plan(runtime.state, plan.id, "failed", exc.message[:500])
        raise
    if plan.status == AWAITING_APPROVAL:
        needed = runtime.settings.access.required_role(plan.action)
        waiting = render_awaiting_approval(plan, needed, request.now)
        request.reply(waiting, replace_original=True)
        return
    _run(plan, request, render_confirmed(plan.summary, request.user))


def _approve(request: Request) -> None:
    runtime, approver = request.runtime, request.user
    plan_id = plan_id_to_approve(request.item.value)
    plan = check_approval(load_plan(runtime.state, plan_id), approver, request.now)
    # A refused press changes nothing: the plan still waits for someone who may approve it.
    request.check(plan.action, what="Approving this")
    needed = runtime.settings.access.required_role(plan.action)
    requester_role, _ = role_of(runtime, plan.requester, plan.channel)
    if requester_role < needed:
        raise NotAllowed(
            f"<@{plan.requester}> no longer holds the *{needed.label}* role this needs, so it "
            "cannot run; nothing was done."
        )
    plan = approve_plan(runtime.state, plan, approver, request.now)
    request.approved_by = approver
    confirmed = render_confirmed(plan.summary, plan.requester, approved_by=approver)
    _record_in_thread(plan, request, confirmed)
    _run(plan, request, confirmed)


def _run(plan: Plan, request: Request, confirmed: Message) -> None:
    """Show who confirmed (and approved) it, run its executor, and record how it ended."""
    state = request.runtime.state
    try:
        executor = registry.PLANS.get(plan.kind)
        if executor is None:
            raise OpsbotError(f"This version of opsbot cannot run `{plan.kind}` plans.")
        request.reply(confirmed, replace_original=True)
        executor(plan, request)
    except Exception as exc:
        finish_plan(state, plan.id, "failed", str(exc)[:500])
        raise
    finish_plan(state, plan.id, "done")


def _record_in_thread(plan: Plan, request: Request, confirmed: Message) -> None:
    """Say in the plan's thread who confirmed and who approved it: the plan's message itself
    is replaced by its progress and result."""
    ts = plan.message_ts or request.item.message_ts
    channel = plan.channel or request.channel
    if not ts or not channel:
        return
    try:
        request.runtime.notifier.post(channel, confirmed, thread_ts=ts)
    except SlackApiError as exc:
        # The approval is stored already; a retry of this press would find it used.
        log.warning("could not note the approval in %s: %s", channel, exc.response.get("error"))
