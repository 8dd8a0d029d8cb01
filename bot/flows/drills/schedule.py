"""Scheduled drills: a run of the drills due (started by bot/flows/drills/trigger.py), and
the digest the last drill of a run posts.

Which tables: those named in `[drills] tables` (weekly) and those tagged `opsbot:drill =
"weekly"` or `"monthly"`, in every configured account and region (never elsewhere), no larger
than `[drills] max_size_gb`. Every due drill is stored and sent to the follow-up queue as
check 0 at once; check 0 of a scheduled drill waits while `[drills] max_at_once` drills are
underway (bot/flows/drills/follow.py), so at most that many restores run, far below AWS's 50.
The run posts one message in the backups channel; each drill reports in its thread, and the
last one to finish posts the digest there, also to the channel.

At-least-once: the trigger is claimed per hour, so a redelivered trigger starts nothing twice;
the digest is claimed per run.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from bot.aws.backups import list_tables, table_tag
from bot.aws.drills import drills_since, recent_drills
from bot.domain.accounts import Account, AccountUnavailable
from bot.domain.backups import GIB
from bot.domain.drill_jobs import DrillJob, new_drill, tally
from bot.domain.drill_settings import DRILL_TAG
from bot.domain.drills import is_scratch, restore_cost, scratch_name
from bot.domain.errors import OpsbotError
from bot.domain.records import frozen
from bot.domain.refs import parse_table_ref
from bot.domain.restore_jobs import job_id_for
from bot.flows.drills.planning import launch, plan_source
from bot.flows.drills.trigger import ScheduledDrills
from bot.flows.places import clients_in, places
from bot.flows.routing import route
from bot.render.drills import render_drill_digest, render_drill_run
from bot.runtime import Runtime

log = logging.getLogger(__name__)
DIGEST_SCOPE = "drill-digest"
_KEEP_S = 8 * 86400


@frozen
class Candidate:
    """A table due for a drill."""

    table: str
    region: str
    account: str  # a member account's id ('' : opsbot's own)


def start_run(runtime: Runtime, run: str, cadences: list[str], now: datetime) -> ScheduledDrills:
    """Plan a drill of each due table, post the run's message, and hand each drill over."""
    drills = runtime.settings.drills
    planned: list[tuple[Candidate, Any]] = []
    skipped: list[str] = []
    for candidate in _candidates(runtime, cadences, skipped):
        try:
            source = plan_source(runtime, candidate.table, candidate.region, candidate.account, now)
        except OpsbotError as exc:
            skipped.append(f"`{candidate.table}@{candidate.region}`: {exc.message}")
            continue
        if (source.size_bytes or 0) > drills.max_size_gb * GIB:
            skipped.append(
                f"`{candidate.table}@{candidate.region}`: larger than "
                f"`[drills] max_size_gb` ({drills.max_size_gb:g} GB)"
            )
            continue
        planned.append((candidate, source))
    if not planned and not skipped:
        return ScheduledDrills(run)  # no table is due: nothing to say
    channel = route(runtime.settings, "backups", {"kind": "drill"})[0].channel
    posted = runtime.notifier.post(
        channel,
        render_drill_run(
            [f"{c.table}@{c.region}" for c, _ in planned], skipped, drills.max_at_once
        ),
    )
    for candidate, source in planned:
        job = new_drill(
            job_id_for(now, uuid.uuid4().hex[:8]),
            table=candidate.table,
            region=candidate.region,
            account=candidate.account,
            scratch=scratch_name(candidate.table, now),
            source=source,
            requester="",
            channel=channel,
            thread_ts=posted.ts,
            now=now,
            cost=restore_cost(source.size_bytes, drills.price_per_gb),
            run=run,
        )
        launch(runtime, job)
    return ScheduledDrills(run, started=len(planned), skipped=tuple(skipped))


def _candidates(runtime: Runtime, cadences: list[str], skipped: list[str]) -> list[Candidate]:
    """The configured tables (weekly) and the tagged ones, once each."""
    settings = runtime.settings
    found: dict[Candidate, None] = {}
    managed = {(a.id if a is not None and not a.is_home else "", r) for a, r in places(runtime)}
    if "weekly" in cadences:
        for text in settings.drills.tables:
            ref = parse_table_ref(text)
            account = settings.account(ref.account) if ref.account else None
            member = account.id if account is not None and not account.is_home else ""
            region = ref.region or settings.default_region
            if (member, region) not in managed or (ref.account and account is None):
                # a drill never goes where opsbot is not configured to act
                skipped.append(f"`{text}`: not in a configured account and region")
                continue
            found[Candidate(ref.name, region, member)] = None
    for account, region in places(runtime):
        member = account.id if account is not None and not account.is_home else ""
        try:
            found.update(
                (Candidate(name, region, member), None)
                for name in _tagged(runtime, account, region, cadences)
            )
        except AccountUnavailable as exc:
            skipped.append(f"{region}: {exc.message}")
    return list(found)


def _tagged(
    runtime: Runtime, account: Account | None, region: str, cadences: list[str]
) -> list[str]:
    client = clients_in(runtime, account)
    dynamodb = client("dynamodb", region)
    tagged = []
    for name in list_tables(dynamodb):
        if is_scratch(name) or name == runtime.settings.state_table:
            continue
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        value = table_tag(dynamodb, arn, DRILL_TAG)
        if value is not None and value.strip().lower() in cadences:
            tagged.append(name)
    return tagged


def post_digest_when_run_ends(runtime: Runtime, job: DrillJob) -> bool:
    """After a scheduled drill ends: when it was its run's last, post the digest (once)."""
    if not job.run:
        return False
    siblings = [j for j in recent_drills(runtime.state, limit=500) if j.run == job.run]
    if any(not j.finished for j in siblings if j.id != job.id):
        return False
    if not runtime.state.claim_once(
        DIGEST_SCOPE, job.run, now=runtime.epoch(), lease_s=300, keep_s=_KEEP_S
    ):
        return False
    try:
        since = runtime.now() - timedelta(days=7)
        digest = render_drill_digest(tally(drills_since(runtime.state, since), since), "this week")
        runtime.notifier.post(
            job.restore.channel, digest, thread_ts=job.restore.thread_ts or None, broadcast=True
        )
    except Exception:
        runtime.state.release_once(DIGEST_SCOPE, job.run)
        raise
    runtime.state.complete_once(DIGEST_SCOPE, job.run)
    return True
