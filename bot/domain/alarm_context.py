"""What an alarm's root message adds to the alarm itself: the table's changes from opsbot's
audit history just before the state change, and the owner named by the table's
`opsbot:owner` tag.

Both are decisions on data already read: the history items of the table (one state-table
Query) and the tag's value. Text here is plain and unescaped (names and summaries come from
CloudTrail callers); the renderer escapes it. Only a validated Slack id ever becomes an owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from bot.domain.records import frozen

if TYPE_CHECKING:  # the audit model loads only when a root lists the table's changes
    from bot.domain.audit import AuditEvent

OWNER_TAG: Final = "opsbot:owner"
MAX_CHANGES: Final = 5
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
# 'provisioned throughput read/write 5/25 → 5/10' as bot.domain.audit_changes writes it.
_THROUGHPUT = re.compile(r"provisioned throughput read/write (\S+)/(\S+) → (\S+)/(\S+)$")


@frozen
class PriorChange:
    """One change to the alarm's table (or cluster) shortly before the alarm's state change.

    ``slack_user`` is set when opsbot made the call for that Slack user; else ``who`` names
    the AWS caller. ``what`` is a short phrase ('lowered write capacity 25 → 10').
    """

    before: timedelta
    who: str
    what: str
    slack_user: str = ""


def _who(event: AuditEvent) -> tuple[str, str]:
    actor = event.actor
    if actor.slack_user:
        return actor.slack_user, actor.slack_user
    if actor.service:
        from bot.domain.audit_actors import service_name  # a change made by an AWS service

        return service_name(actor.service), ""
    return actor.name, ""


def _capacity(old: str, new: str, kind: str) -> str:
    if old == new or not (old.isdigit() and new.isdigit()):
        return ""
    verb = "lowered" if int(new) < int(old) else "raised"
    return f"{verb} {kind} capacity {old} → {new}"


def change_phrase(event: AuditEvent) -> str:
    """What one history event changed, briefly: 'lowered write capacity 25 → 10'."""
    summary = event.summary
    for prefix in (f"Table {event.table} updated: ", f"Table {event.table} "):
        if event.table and summary.startswith(prefix):
            summary = summary[len(prefix) :]
            break
    parts = []
    for part in summary.split("; "):
        match = _THROUGHPUT.search(part)
        if match:
            read_old, write_old, read_new, write_new = match.groups()
            found = [
                _capacity(write_old, write_new, "write"),
                _capacity(read_old, read_new, "read"),
            ]
            parts += [f for f in found if f] or [part]
        else:
            parts.append(part)
    text = "; ".join(parts)
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def changes_before(
    events: Iterable[AuditEvent],
    changed_at: datetime,
    window: timedelta,
    *,
    limit: int = MAX_CHANGES,
) -> tuple[PriorChange, ...]:
    """The changes made in ``window`` before ``changed_at``, newest first, at most ``limit``.

    Failed and refused calls changed nothing and are left out, as are read-only calls.
    """
    start = changed_at - window
    kept = sorted(
        (
            e
            for e in events
            if start <= e.time <= changed_at and not e.failed and not e.read_only and e.summary
        ),
        key=lambda e: e.time,
        reverse=True,
    )
    changes = []
    for event in kept[:limit]:
        who, slack_user = _who(event)
        changes.append(PriorChange(changed_at - event.time, who, change_phrase(event), slack_user))
    return tuple(changes)


# --- owners -------------------------------------------------------------------------------------


@frozen
class Owner:
    """Who owns a table: a Slack user or user group, by id, and how the tag named them."""

    slack_id: str
    named: str

    @property
    def is_group(self) -> bool:
        """True for a user group (S…)."""
        return self.slack_id.startswith("S")


def owner_of(tag_value: str | None, owners: Mapping[str, str]) -> Owner | None:
    """The owner an `opsbot:owner` tag names: a Slack user id (U…, W…), a user-group id (S…)
    or a name in ``[owners]``. None for anything else (the caller warns)."""
    value = (tag_value or "").strip()
    if not value:
        return None
    if _USER_ID.fullmatch(value) or _GROUP_ID.fullmatch(value):
        return Owner(value, value)
    mapped = owners.get(value)
    if mapped and (_USER_ID.fullmatch(mapped) or _GROUP_ID.fullmatch(mapped)):
        return Owner(mapped, value)
    return None
