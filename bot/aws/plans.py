"""Stored confirmation plans in the state table (pk `PLAN#<id>`, sk `PLAN`).

A running plan whose executor can resume (a prune) is held by the attempt that runs it:
``run_by`` (the press's work item id) until ``lease_until`` (epoch seconds). A redelivery of
that press, or the requester's next press once the lease is over, takes it over and resumes
it; ``deleting`` (a string set of ``<size>|<name>|<arn>``) announces each backup before its
deletion, so the resumed run counts what the earlier attempt deleted, and deletes it not again.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import error_code
from bot.aws.state import StateStore, plan_pk, serialize
from bot.domain.backups import BackupInfo
from bot.domain.confirmations import (
    AWAITING_APPROVAL,
    Plan,
    check_press,
    status_after_confirm,
)
from bot.domain.errors import ConfirmationInvalid, OpsbotError

# Plans stay readable for a day after they expire, so a late press gets a clear answer.
_KEEP_S = 86400
# The payload is kept as compressed JSON (`payload_z`): a prune of many tables lists every
# backup it may delete (~90 bytes an ARN, ~12 compressed), and DynamoDB holds at most
# 400 KB per item. What is left of that is for the plan's other attributes.
PAYLOAD_LIMIT = 350_000


def _packed(payload: Mapping[str, Any]) -> bytes:
    packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
    if len(packed) > PAYLOAD_LIMIT:
        raise OpsbotError(
            f"This plan is too large to keep for confirmation ({len(packed) // 1024} KB "
            f"compressed; a plan holds {PAYLOAD_LIMIT // 1024} KB). Nothing was changed: "
            "plan less at once, for example one table at a time."
        )
    return packed


def _unpacked(item: Mapping[str, Any]) -> dict[str, Any]:
    packed = item.get("payload_z")
    if packed is None:  # stored before payloads were compressed
        return dict(item.get("payload", {}))
    raw = packed.value if hasattr(packed, "value") else bytes(packed)
    return dict(json.loads(zlib.decompress(raw)))


def create_plan(
    state: StateStore,
    *,
    kind: str,
    action: str,
    requester: str,
    channel: str,
    now: datetime,
    ttl_s: float,
    summary: str,
    payload: Mapping[str, Any],
) -> Plan:
    """Store a pending plan; its id is unguessable and is all a button carries."""
    packed = _packed(payload)
    plan = Plan(
        id=uuid.uuid4().hex,
        kind=kind,
        action=action,
        requester=requester,
        channel=channel,
        created_at=now,
        valid_until=datetime.fromtimestamp(now.timestamp() + ttl_s, tz=now.tzinfo),
        summary=summary,
        payload=dict(payload),
    )
    state.put(
        {
            "pk": plan_pk(plan.id),
            "sk": "PLAN",
            "kind": kind,
            "action": action,
            "requester": requester,
            "channel": channel,
            "created_at": now.isoformat(),
            "valid_until": plan.valid_until.isoformat(),
            "status": "pending",
            "summary": summary,
            "payload_z": packed,
            "expires_at": int(now.timestamp() + ttl_s + _KEEP_S),
        }
    )
    return plan


def load_plan(state: StateStore, plan_id: str) -> Plan | None:
    """A stored plan, or None."""
    item = state.get(plan_pk(plan_id), "PLAN")
    if item is None:
        return None
    return Plan(
        id=plan_id,
        kind=item["kind"],
        action=item["action"],
        requester=item["requester"],
        channel=item.get("channel", ""),
        created_at=datetime.fromisoformat(item["created_at"]),
        valid_until=datetime.fromisoformat(item["valid_until"]),
        status=item.get("status", "pending"),
        summary=item.get("summary", ""),
        payload=_unpacked(item),
        message_ts=item.get("message_ts", ""),
        confirmed_by=item.get("confirmed_by", ""),
        approved_by=item.get("approved_by", ""),
    )


def attach_message(state: StateStore, plan_id: str, ts: str) -> None:
    """Remember the message that shows the plan, to update it when it runs."""
    state.update(plan_pk(plan_id), "PLAN", {"message_ts": ts})


def claim_plan(
    state: StateStore,
    plan_id: str,
    presser: str,
    now: datetime,
    *,
    to: str,
    approvals: Collection[str] = (),
) -> Plan:
    """Check the press and move the plan from pending to ``to`` exactly once; a confirmed
    plan whose action ``approvals`` names goes to awaiting-approval instead of running."""
    verb = "cancel" if to == "cancelled" else "confirm"
    plan = check_press(load_plan(state, plan_id), presser, now, verb=verb)
    confirmed = to == "running"
    status = status_after_confirm(plan, approvals) if confirmed else to
    changes = {"status": status, "pressed_by": presser, "pressed_at": now.isoformat()}
    if confirmed:
        changes["confirmed_by"] = presser
    updated = state.update(
        plan_pk(plan_id),
        "PLAN",
        changes,
        condition="#s = :pending",
        values={":pending": "pending"},
        names={"#s": "status"},
    )
    if updated is None:
        raise ConfirmationInvalid("This confirmation was already used.")
    return replace(plan, status=status, confirmed_by=presser if confirmed else "")


def approve_plan(state: StateStore, plan: Plan, approver: str, now: datetime) -> Plan:
    """Move a plan checked by ``check_approval`` from awaiting-approval to running, once."""
    updated = state.update(
        plan_pk(plan.id),
        "PLAN",
        {"status": "running", "approved_by": approver, "approved_at": now.isoformat()},
        condition="#s = :awaiting",
        values={":awaiting": AWAITING_APPROVAL},
        names={"#s": "status"},
    )
    if updated is None:
        raise ConfirmationInvalid("This was already approved.")
    return replace(plan, status="running", approved_by=approver)


# At least the Slack worker's timeout (300 s): a live run is never taken over.
PLAN_LEASE_S = 330
RUNNING_PK = "PLANS#running"


def hold_run(
    state: StateStore, plan_id: str, attempt: str, *, now: float, lease_s: int = PLAN_LEASE_S
) -> bool:
    """Hold a running plan for ``attempt``: when nobody holds it, ``attempt`` held it already
    (a redelivery), or the holder's lease is over. False when another live attempt holds it."""
    held = state.update(
        plan_pk(plan_id),
        "PLAN",
        {"run_by": attempt, "lease_until": int(now) + lease_s},
        condition="#s = :running AND (attribute_not_exists(run_by) OR run_by = :me "
        "OR lease_until < :now)",
        values={":running": "running", ":me": attempt, ":now": int(now)},
        names={"#s": "status"},
    )
    if held is not None:
        # Listed while it runs, so the nightly sweep finds a run whose worker died.
        state.put({"pk": RUNNING_PK, "sk": plan_id, "expires_at": int(now) + _KEEP_S})
    return held is not None


def interrupted_plans(state: StateStore, *, now: float) -> list[tuple[Plan, int]]:
    """Each resumable plan still running whose runner's lease is over (it stopped and nobody
    resumed it) and whose interruption was not reported yet, with how many backups its runs
    set out to delete."""
    found, start = [], None
    while True:
        items, start = state.query(RUNNING_PK, newest_first=False, start=start)
        for entry in items:
            item = state.get(plan_pk(str(entry["sk"])), "PLAN")
            if item is None or item.get("status") != "running":
                state.delete(RUNNING_PK, str(entry["sk"]))  # finished: the entry is stale
                continue
            lease = int(item.get("lease_until", 0))
            if lease < now and int(item.get("reported_lease", -1)) != lease:
                plan = load_plan(state, str(entry["sk"]))
                if plan is not None:
                    found.append((plan, len(item.get("deleting") or ())))
        if start is None:
            return found


def note_interruption_reported(state: StateStore, plan_id: str) -> bool:
    """Remember that the current interruption of a plan was reported; False when it was
    already (one report per interruption: a resumed run that stops again is a new one)."""
    try:
        state.client.update_item(
            TableName=state.table_name,
            Key=serialize({"pk": plan_pk(plan_id), "sk": "PLAN"}),
            UpdateExpression="SET reported_lease = lease_until",
            ConditionExpression="attribute_not_exists(reported_lease) "
            "OR reported_lease <> lease_until",
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def let_go(state: StateStore, plan_id: str, attempt: str) -> None:
    """End ``attempt``'s hold after it failed: its redelivery, or the next press, resumes."""
    state.update(
        plan_pk(plan_id),
        "PLAN",
        {"lease_until": 0},
        condition="run_by = :me",
        values={":me": attempt},
    )


def announce_deleting(state: StateStore, plan_id: str, backup: BackupInfo) -> None:
    """Note, before deleting it, that the plan deletes ``backup`` (idempotent)."""
    state.client.update_item(
        TableName=state.table_name,
        Key=serialize({"pk": plan_pk(plan_id), "sk": "PLAN"}),
        UpdateExpression="ADD deleting :b",
        ExpressionAttributeValues={
            ":b": {"SS": [f"{backup.size_bytes or 0}|{backup.name}|{backup.arn}"]}
        },
    )


def announced(state: StateStore, plan_id: str) -> dict[str, tuple[str, int]]:
    """The backups the plan's runs set out to delete: ARN -> (name, size in bytes)."""
    item = state.get(plan_pk(plan_id), "PLAN") or {}
    found = {}
    for entry in item.get("deleting") or ():
        size, name, arn = str(entry).split("|", 2)
        found[arn] = (name, int(size))
    return found


def finish_plan(state: StateStore, plan_id: str, status: str, detail: str = "") -> None:
    """Record how a confirmed plan ended (done or failed)."""
    state.update(plan_pk(plan_id), "PLAN", {"status": status, "detail": detail})
    state.delete(RUNNING_PK, plan_id)
