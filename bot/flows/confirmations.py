"""Confirm, Cancel and Approve presses on a stored plan.

The requester confirms (a conditional write: once). When `[approvals]` names the plan's
action, the plan then waits for someone else who holds the role it needs to press Approve
(again a conditional write, before the plan expires); both people's roles are checked again
then. Only then does the plan's executor run, and it re-validates against the current state.

The plan's message, which the channel saw, always ends showing what became of it: confirmed
(and approved), refused and why, not done, failed, cancelled or expired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.aws.plans import (
    approve_plan,
    attach_message,
    claim_plan,
    finish_plan,
    hold_run,
    let_go,
    load_plan,
)
from bot.domain.confirmations import (
    AWAITING_APPROVAL,
    Plan,
    check_approval,
    plan_id_to_approve,
    split_button_value,
)
from bot.domain.errors import (
    ConfirmationExpired,
    ConfirmationInvalid,
    Conflict,
    InvalidValue,
    NotAllowed,
    OpsbotError,
    TableNotFound,
    UsageError,
)
from bot.flows import registry
from bot.flows.access import role_of
from bot.flows.registry import Request
from bot.render.confirm import (
    render_awaiting_approval,
    render_cancelled,
    render_confirmed,
    render_expired,
    render_failed,
    render_refused,
)
from bot.render.message import Message

log = logging.getLogger(__name__)

PRESSES = frozenset({"confirm", "cancel", "approve"})
# What a press-time check answers when the state or the role no longer allows the plan: the
# channel is told "Refused" and why; any other OpsbotError means a step could not be taken.
REFUSALS = (Conflict, TableNotFound, NotAllowed, InvalidValue, UsageError, ConfirmationInvalid)
# Plans whose executor re-checks the current state and skips what is done, so a run that was
# interrupted (an exception, a killed worker) is resumed rather than failed.
RESUMABLE = frozenset({"prune"})


def post_for_confirmation(
    request: Request,
    *,
    kind: str,
    action: str,
    summary: str,
    payload: Mapping[str, Any],
    render: Callable[[str], Message],
) -> Plan:
    """Store a plan only the requester may confirm (`Request.create_plan`), post in the
    request's channel the message ``render`` makes for the plan's id, and bind the plan to that
    message, so that each press edits it to show what became of the plan."""
    stored = request.create_plan(kind=kind, action=action, summary=summary, payload=payload)
    posted = request.post(render(stored.id))
    attach_message(request.runtime.state, stored.id, posted.ts)
    return stored


def run_plan_press(request: Request) -> None:
    """Run one Confirm, Cancel or Approve press."""
    action_id = request.item.action_id
    try:
        if action_id == "approve":
            _approve(request)
        elif action_id == "cancel":
            _cancel(request)
        else:
            _confirm(request)
    except ConfirmationExpired as expired:
        request.replace_original(render_expired(expired.summary, expired.expired_at))


def _where(plan: Plan) -> dict[str, str]:
    return {"channel": plan.channel, "ts": plan.message_ts}


def _cancel(request: Request) -> None:
    plan_id, _ = split_button_value(request.item.value)
    plan = claim_plan(request.runtime.state, plan_id, request.user, request.now, to="cancelled")
    request.action = plan.action
    request.replace_original(render_cancelled(plan.summary, request.user), **_where(plan))


def _confirm(request: Request) -> None:
    runtime = request.runtime
    plan_id, _ = split_button_value(request.item.value)
    try:
        plan = claim_plan(
            runtime.state,
            plan_id,
            request.user,
            request.now,
            to="running",
            approvals=runtime.settings.approvals,
        )
    except ConfirmationInvalid:
        interrupted = _interrupted(request, plan_id)
        if interrupted is None:
            raise
        request.action = interrupted.action
        request.check(interrupted.action, what=f"Resuming {interrupted.summary}")
        _run(interrupted, request, render_confirmed(interrupted.summary, request.user))
        return
    request.action = plan.action
    try:
        request.check(plan.action, what=f"Confirming {plan.summary}")
    except NotAllowed as exc:
        finish_plan(runtime.state, plan.id, "failed", exc.message[:500])
        outcome = render_refused(plan.summary, request.user, exc.message)
        request.replace_original(outcome, **_where(plan))
        return
    if plan.status == AWAITING_APPROVAL:
        needed = runtime.settings.access.required_role(plan.action)
        waiting = render_awaiting_approval(plan, needed, request.now)
        request.replace_original(waiting, **_where(plan))
        return
    _run(plan, request, render_confirmed(plan.summary, request.user))


def _approve(request: Request) -> None:
    runtime, approver = request.runtime, request.user
    plan_id = plan_id_to_approve(request.item.value)
    plan = check_approval(load_plan(runtime.state, plan_id), approver, request.now)
    request.action = plan.action
    # A refused press changes nothing: the plan still waits for someone who may approve it.
    request.check(plan.action, what=f"Approving {plan.summary}")
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


def _interrupted(request: Request, plan_id: str) -> Plan | None:
    """The plan, when this press may resume it: a resumable plan still running, pressed by
    its requester, that no other live attempt holds (its runner stopped, or this is the
    redelivery of its own press)."""
    plan = load_plan(request.runtime.state, plan_id)
    if (
        plan is None
        or plan.kind not in RESUMABLE
        or plan.status != "running"
        or request.user != plan.requester
    ):
        return None
    return plan if _hold(plan, request) else None


def _hold(plan: Plan, request: Request) -> bool:
    return hold_run(request.runtime.state, plan.id, request.item.id, now=request.runtime.epoch())


def _run(plan: Plan, request: Request, confirmed: Message) -> None:
    """Show who confirmed (and approved) it, run its executor, and record how it ended; the
    plan's message shows a refusal or a failure in place of "Confirmed"."""
    state, who = request.runtime.state, plan.requester
    resumable = plan.kind in RESUMABLE
    if resumable and not _hold(plan, request):
        raise ConfirmationInvalid("This is running already; its message shows how far it got.")
    try:
        executor = registry.PLANS.get(plan.kind)
        if executor is None:
            raise OpsbotError(f"This version of opsbot cannot run `{plan.kind}` plans.")
        request.replace_original(confirmed, **_where(plan))
        executor(plan, request)
    except OpsbotError as exc:
        # The channel saw the plan, so it sees why nothing was done, instead of a
        # "Confirmed" that only the presser knows is wrong.
        finish_plan(state, plan.id, "failed", exc.message[:500])
        refused = isinstance(exc, REFUSALS)
        outcome = render_refused(plan.summary, who, exc.message, refused=refused)
        request.replace_original(outcome, **_where(plan))
        return
    except Exception as exc:
        if resumable:
            # Not failed: the redelivery of this press (or the next press) resumes it.
            let_go(state, plan.id, request.item.id)
            raise
        finish_plan(state, plan.id, "failed", str(exc)[:500])
        request.replace_original(render_failed(plan.summary, who, request.item.id), **_where(plan))
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
