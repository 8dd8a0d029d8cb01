"""Confirmed plans whose run stopped part-way and was never resumed, reported nightly.

A resumable plan (a prune) is resumed by the redelivery of its press, or by its requester's
next press once the run's lease is over (bot/flows/confirmations.py). When neither comes (the
queue gave up, the requester never pressed again), the nightly prune's scheduler finds the
plan still "running" past its lease and says so in the plan's thread, shown in the channel,
with a Resume button only the requester can use: once per interruption.
"""

from __future__ import annotations

import logging

from bot.aws.plans import interrupted_plans, note_interruption_reported
from bot.render.confirm import render_interrupted
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def report_interrupted_plans(runtime: Runtime) -> int:
    """Report each interrupted plan not reported yet; how many were reported."""
    reported = 0
    for plan, announced in interrupted_plans(runtime.state, now=runtime.epoch()):
        if not plan.channel:
            continue
        message = render_interrupted(plan.id, plan.summary, plan.requester, announced)
        thread = plan.message_ts or None
        runtime.notifier.post(plan.channel, message, thread_ts=thread, broadcast=bool(thread))
        note_interruption_reported(runtime.state, plan.id)
        log.warning(
            "plan %s (%s) was interrupted; reported in %s", plan.id, plan.kind, plan.channel
        )
        reported += 1
    return reported
