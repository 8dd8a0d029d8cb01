"""Follow-up jobs: long AWS operations followed to the end, one check per queue message.

A restore, an export, an import, a replica change or a drill is started once and then
looked at again every few minutes until it completes or fails. All of them share one queue
and one function (functions/restore_watcher.py, the `restoreWatcher` Lambda): each message
is `{"job": id, "check": n, "kind": kind}`; a check that is not finished sends check n+1
with DelaySeconds (`bot.aws.restores.enqueue_check`), so the loop lives in the queue and
survives restarts. Messages without a kind are restores (the shape before there were
other kinds).

A kind's follower is `follower(job_id, check, runtime) -> outcome` (a short text for the
logs). FOLLOWERS maps each kind to the module that holds it, imported on first use, so a
function that follows only restores does not import the others at cold start. A follower
is idempotent per (job, check): a message delivered twice acts once.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime import Runtime

RESTORE = "restore"

# kind -> "module:function"
FOLLOWERS: dict[str, str] = {
    RESTORE: "bot.flows.restores.watch:watch_restore",
    "export": "bot.flows.exports.watch:watch_export",
    "import": "bot.flows.exports.watch:watch_import",
    "replica": "bot.flows.replicas.watch:watch_replica",
    "drill": "bot.flows.drills.follow:follow_drill",
}

Follower = Callable[[str, int, "Runtime"], str]


def parse_follow_record(record: Mapping[str, Any]) -> tuple[str, str, int]:
    """(kind, job id, check number) of an SQS record; ValueError/KeyError/TypeError when it
    names no check of a kind opsbot follows."""
    body = json.loads(record["body"])
    if not isinstance(body, dict):
        raise ValueError("the message is not a JSON object")
    kind, job_id, check = body.get("kind", RESTORE), body["job"], body["check"]
    if not isinstance(job_id, str) or not job_id or type(check) is not int or check < 0:
        raise ValueError(f"job {job_id!r} and check {check!r} do not name a check")
    if kind not in FOLLOWERS:
        known = ", ".join(sorted(FOLLOWERS))
        raise ValueError(f"opsbot follows no jobs of kind {kind!r} (it follows {known})")
    return kind, job_id, check


def follower(kind: str) -> Follower:
    """The function that runs one check of a ``kind`` job (imported on first use)."""
    module, _, name = FOLLOWERS[kind].partition(":")
    found: Follower = getattr(importlib.import_module(module), name)
    return found


def follow(kind: str, job_id: str, check: int, runtime: Runtime) -> str:
    """Run check number ``check`` of the ``kind`` job ``job_id`` once; what happened, for logs."""
    return follower(kind)(job_id, check, runtime)
