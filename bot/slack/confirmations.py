"""Stored confirmation plans in the state table (pk `PLAN#<id>`, sk `PLAN`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.aws.state import StateStore, plan_pk
from bot.domain.confirmations import Plan, check_press
from bot.domain.errors import ConfirmationInvalid

# Plans stay readable for a day after they expire, so a late press gets a clear answer.
_KEEP_S = 86400


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
            "payload": dict(payload),
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
        payload=item.get("payload", {}),
        message_ts=item.get("message_ts", ""),
    )


def attach_message(state: StateStore, plan_id: str, ts: str) -> None:
    """Remember the message that shows the plan, to update it when it runs."""
    state.update(plan_pk(plan_id), "PLAN", {"message_ts": ts})


def claim_plan(state: StateStore, plan_id: str, presser: str, now: datetime, *, to: str) -> Plan:
    """Check the press and move the plan from pending to ``to`` exactly once."""
    plan = check_press(load_plan(state, plan_id), presser, now)
    updated = state.update(
        plan_pk(plan_id),
        "PLAN",
        {"status": to, "pressed_by": presser, "pressed_at": now.isoformat()},
        condition="#s = :pending",
        values={":pending": "pending"},
        names={"#s": "status"},
    )
    if updated is None:
        raise ConfirmationInvalid("This confirmation was already used.")
    return plan


def finish_plan(state: StateStore, plan_id: str, status: str, detail: str = "") -> None:
    """Record how a confirmed plan ended (done or failed)."""
    state.update(plan_pk(plan_id), "PLAN", {"status": status, "detail": detail})
