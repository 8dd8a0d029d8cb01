"""The hourly trigger of the scheduled drills (functions/drill_scheduler.py): most hours no
drill is due and it returns at once, so the planning, AWS adapters and renderers of a run
(bot/flows/drills/schedule.py) are loaded only when one is.

Which tables, how many at once, and the digest: see bot/flows/drills/schedule.py. The
trigger is claimed per hour, so a redelivered trigger starts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from bot.domain.records import frozen
from bot.domain.restore_jobs import job_id_for
from bot.runtime import Runtime

SCOPE = "drill-schedule"
_LEASE_S = 900
_KEEP_S = 8 * 86400


@frozen
class ScheduledDrills:
    """What one trigger did."""

    run: str
    started: int = 0
    skipped: tuple[str, ...] = ()
    duplicate: bool = False


def schedule_drills(runtime: Runtime, event: Mapping[str, Any]) -> ScheduledDrills:
    """Start the drills due now (all of them when the event says `run-now`: `run drills`)."""
    now = runtime.now()
    force = event.get("opsbot") == "run-now"
    drills = runtime.settings.drills
    cadences = [c for c in ("weekly", "monthly") if force or drills.due(c, now)]
    run = job_id_for(now, "run")
    if not cadences:
        return ScheduledDrills(run)
    hour = now.astimezone(UTC).strftime("%Y%m%dT%H")
    key = f"{hour}#{event.get('id', '')}" if force else hour
    state = runtime.state
    if not state.claim_once(SCOPE, key, now=runtime.epoch(), lease_s=_LEASE_S, keep_s=_KEEP_S):
        return ScheduledDrills(run, duplicate=True)
    from bot.flows.drills.schedule import start_run  # only when drills are due

    try:
        result = start_run(runtime, run, cadences, now)
    except Exception:
        state.release_once(SCOPE, key)
        raise
    state.complete_once(SCOPE, key)
    return result
