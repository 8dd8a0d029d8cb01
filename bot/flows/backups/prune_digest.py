"""The nightly prune's one digest per run, posted exactly once whatever the crash point.

The last table to report posts it (bot/flows/backups/prune_runs.py). The claim keeps two
workers from posting at the same time; each attempt is recorded on the run record before it
posts, and each channel once the digest is in it. An attempt that finds an earlier attempt
recorded (stopped between its post and its record: a timeout, a crash, a lost answer) looks
for the digest in the channel's history, by the message's metadata, before posting again.
"""

from __future__ import annotations

import logging

from bot.aws import prune_runs
from bot.flows.routing import route
from bot.render.backups import render_prune_digest
from bot.render.message import Message
from bot.runtime import Runtime

log = logging.getLogger(__name__)

DIGEST_LEASE_S = 300
_KEEP_S = 7 * 86400
DIGEST_EVENT = "opsbot_prune_digest"  # the digest's Slack message metadata event_type


def post_digest_when_complete(runtime: Runtime, run_id: str) -> bool:
    """Post the run's one digest once every table has reported; True when this call posted."""
    state, settings = runtime.state, runtime.settings
    run = prune_runs.load_run(state, run_id)
    if run is None or run.get("expected") is None:  # still being scheduled
        return False
    if int(run.get("reported", 0)) < int(run["expected"]):
        return False
    if not state.claim_once(
        "prune-digest", run_id, now=runtime.epoch(), lease_s=DIGEST_LEASE_S, keep_s=_KEEP_S
    ):
        return False
    if run.get("every_table"):
        from bot.flows.backups import prune_all  # only `/ddb prune --all` runs load it

        try:
            prune_all.post_plan(runtime, run)
        except Exception:
            state.release_once("prune-digest", run_id)
            raise
        state.complete_once("prune-digest", run_id)
        return True
    try:
        mode = str(run.get("mode", settings.prune_mode))
        message = render_prune_digest(
            prune_runs.run_outcomes(state, run_id),
            runtime.now(),
            mode,
            price_per_gb_month=settings.backup_price_per_gb_month,
        )
        if run.get("channel"):
            channels = [str(run["channel"])]
        else:
            fields = {"kind": "prune-digest", "run_id": run_id, "mode": mode}
            channels = [d.channel for d in route(settings, "backups", fields)]
        _post_digest(runtime, run_id, channels, message)
    except Exception:
        state.release_once("prune-digest", run_id)
        raise
    state.complete_once("prune-digest", run_id)
    return True


def _post_digest(runtime: Runtime, run_id: str, channels: list[str], message: Message) -> None:
    """Post the digest in each channel it is not known to be in yet."""
    state = runtime.state
    retried = prune_runs.note_digest_attempt(state, run_id, now=runtime.epoch())
    done = (
        prune_runs.digest_channels(prune_runs.load_run(state, run_id) or {}) if retried else set()
    )
    marker = {"event_type": DIGEST_EVENT, "event_payload": {"run_id": run_id}}
    for channel in channels:
        if channel in done:
            continue
        if not (retried and _found_in_history(runtime, channel, run_id)):
            runtime.notifier.post(channel, message, metadata=marker)
        prune_runs.note_digest_posted(state, run_id, channel)


def _found_in_history(runtime: Runtime, channel: str, run_id: str) -> bool:
    """Whether an earlier attempt's digest is in the channel (it may have posted, then stopped)."""
    from slack_sdk.errors import SlackApiError  # the notifier has loaded slack_sdk by now

    try:
        found = runtime.notifier.find_posted(channel, DIGEST_EVENT, {"run_id": run_id})
    except SlackApiError as exc:
        # Without the history (a scope missing, a channel the bot is not in) the digest may be
        # posted twice: better than not at all.
        log.warning(
            "cannot read %s's history to find run %s's digest: %s",
            channel,
            run_id,
            exc.response.get("error"),
        )
        return False
    if found:
        log.info(
            "run %s's digest is in %s already (ts %s); not posting it again", run_id, channel, found
        )
    return found is not None
