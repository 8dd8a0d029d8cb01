"""An alarm's incident: one Slack thread from ALARM to OK, and what each alarm event does to it.

:func:`decide` takes one event and the stored incident to the next action (post a root,
reply in the thread, resolve, stay quiet); :func:`state_change_key` gives the SNS and the
EventBridge copy of one state change the same key, so that together they post one root;
:func:`lateness` tells a state change delivered late (a DLQ redrive, a slow retry, a replay),
which never pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.alarm_events import UNKNOWN_TIME, AlarmEvent, AlarmState
from bot.domain.records import frozen


@frozen
class Incident:
    """One open alarm thread in Slack: the root message and what was last done with it.

    ``channel``/``ts`` are empty until the root message is posted; ``repeats`` counts the
    repeat replies in the thread; ``last_event_id`` is the message id of the event last handled;
    ``closed_at`` is when the alarm was last seen back in OK (None while open or unknown), so
    a late copy of an older ALARM is not taken for a new incident.
    """

    alarm_arn: str
    opened_at: datetime
    channel: str
    ts: str
    state: AlarmState
    last_event_id: str
    repeats: int = 0
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """An incident stays open until an OK resolves it."""
        return self.state is not AlarmState.OK


DecisionKind = Literal[
    "post_root",
    "thread_repeat",
    "resolve",
    "post_info",
    "post_resolved",
    "suppress",
    "duplicate",
    "ignore",
    "thread_late",
]

LATE_AFTER = timedelta(minutes=15)


@frozen
class Decision:
    """What to do with an alarm event, why, and the incident to store afterwards.

    ``incident`` is the incident as it should be saved once the action is done (None: delete
    or keep nothing). For ``post_root`` its channel and ts are empty: fill them from the
    posted message. ``late`` is how long after the change the event was delivered, when that
    is longer than allowed: what is posted then pings no one and says so.
    """

    kind: DecisionKind
    reason: str
    incident: Incident | None
    late: timedelta | None = None


def lateness(event: AlarmEvent, now: datetime, late_after: timedelta) -> timedelta | None:
    """How long after its change ``event`` is delivered, when longer than ``late_after``."""
    if event.changed_at == UNKNOWN_TIME:
        return None
    delay = now - event.changed_at
    return delay if delay > late_after else None


def _remember_ok(event: AlarmEvent, incident: Incident | None, ok_at: datetime) -> Incident:
    """The closed incident to keep after an OK with nothing open: when the alarm was OK."""
    if incident is None:
        return Incident(
            _key(event), ok_at, "", "", AlarmState.OK, event.message_id, closed_at=ok_at
        )
    latest = max(incident.closed_at or ok_at, ok_at)
    return replace(incident, state=AlarmState.OK, closed_at=latest)


def _key(event: AlarmEvent) -> str:
    return event.arn or event.name


def decide(
    event: AlarmEvent,
    incident: Incident | None,
    silenced_until: datetime | None,
    now: datetime,
    *,
    late_after: timedelta = LATE_AFTER,
) -> Decision:
    """What one alarm event does to its incident thread. The choices, in order:

    1. ``duplicate``: the event's message id is the one last handled (SNS and EventBridge
       deliver at least once). Nothing is posted; the incident is unchanged.
    2. ``ignore`` an event older than the open incident, or older than the OK that closed
       the last one (out-of-order delivery: SNS and EventBridge do not keep order);
       but ``post_resolved`` for an ALARM whose OK arrived first, when nothing was posted
       for it: one message that it fired and is already resolved, no open incident. Such an
       event delivered more than ``late_after`` after its change is ``thread_late`` when
       the incident has a thread (and is not silenced): a note there, never a new root.
    3. ``resolve``: OK while an incident is open. Also while silenced: updating the root to
       resolved is quiet and leaving a red root behind is worse than a thread reply.
    4. ``ignore``: OK with nothing open ("nothing open"): alarms start in OK, and an OK
       after a restart of the state store says nothing new. Its time is kept (the decision's
       incident, state OK) so that an older ALARM arriving after it opens nothing.
    5. ``suppress``: silenced until a later time; posts nothing, the incident is unchanged
       (a repeat while silenced is not counted).
    6. ``thread_repeat``: ALARM or INSUFFICIENT_DATA while open; replies in the thread
       instead of posting a new root, so one incident is one message.
    7. ``post_root``: ALARM with nothing open opens an incident.
    8. ``post_info``: INSUFFICIENT_DATA with nothing open: worth one message (the metric
       stopped arriving: a deleted table, a broken agent) but not an incident.

    Every decision on an event delivered more than ``late_after`` after its change carries
    ``late``: its messages ping no one and say how late they are.
    """
    late = lateness(event, now, late_after)
    decision = _decide(event, incident, silenced_until, now, late)
    return replace(decision, late=late) if late is not None else decision


def _moved_past(incident: Incident, late: timedelta | None, silenced: bool) -> bool:
    """Whether a change older than what the incident knows is a note for its thread."""
    return late is not None and bool(incident.ts) and not silenced


def _decide(
    event: AlarmEvent,
    incident: Incident | None,
    silenced_until: datetime | None,
    now: datetime,
    late: timedelta | None,
) -> Decision:
    """:func:`decide` without the ``late`` mark (``late`` picks the late-only choices)."""
    is_open = incident is not None and incident.is_open
    timed = event.changed_at != UNKNOWN_TIME
    silenced = silenced_until is not None and now < silenced_until
    if incident is not None and event.message_id and event.message_id == incident.last_event_id:
        return Decision("duplicate", f"already handled message {event.message_id}", incident)
    if incident is not None and is_open and event.changed_at < incident.opened_at:
        if _moved_past(incident, late, silenced):
            return Decision("thread_late", "delivered late; the alarm changed since", incident)
        return Decision("ignore", "older than the open incident", incident)
    closed_at = incident.closed_at if incident is not None and not is_open else None
    if closed_at is not None and timed and event.changed_at < closed_at:
        assert incident is not None
        if _moved_past(incident, late, silenced):
            return Decision("thread_late", "delivered late; the alarm changed since", incident)
        unposted = not incident.ts
        if event.state is AlarmState.ALARM and unposted and not silenced:
            # Its OK came first and nothing was posted: say it fired and is over already.
            over = replace(incident, opened_at=event.changed_at, last_event_id=event.message_id)
            return Decision("post_resolved", "fired and resolved before it arrived", over)
        return Decision("ignore", "older than the last OK", incident)
    handled = (
        replace(incident, state=event.state, last_event_id=event.message_id)
        if incident is not None
        else None
    )
    if event.state is AlarmState.OK:
        ok_at = event.changed_at if timed else now
        if is_open and handled is not None:
            return Decision("resolve", "back to OK", replace(handled, closed_at=ok_at))
        return Decision("ignore", "nothing open", _remember_ok(event, incident, ok_at))
    if silenced:
        assert silenced_until is not None
        return Decision("suppress", f"silenced until {silenced_until.isoformat()}", incident)
    if is_open and handled is not None:
        reason = "still in alarm" if event.state is AlarmState.ALARM else "no data while open"
        return Decision("thread_repeat", reason, replace(handled, repeats=handled.repeats + 1))
    if event.state is AlarmState.ALARM:
        opened = Incident(
            alarm_arn=_key(event),
            opened_at=event.changed_at if event.changed_at != UNKNOWN_TIME else now,
            channel="",
            ts="",
            state=AlarmState.ALARM,
            last_event_id=event.message_id,
        )
        return Decision("post_root", "new alarm", opened)
    return Decision("post_info", "no data, nothing open", None)


def state_change_key(event: AlarmEvent) -> str | None:
    """One key per alarm state change, whichever way it arrived.

    CloudWatch announces a change on SNS and on EventBridge with different message ids but
    the same alarm, new state and change time; claiming this key (not the message id) lets
    the two copies arriving at the same moment post one root, not two. None when the event
    names no alarm or no change time: then only its message id can tell copies apart.
    """
    alarm = event.arn or event.name
    if not alarm or event.changed_at == UNKNOWN_TIME:
        return None
    if event.contributor is not None:
        # A contributor changes state at the same moment as its alarm: its own key.
        row = event.contributor.id or ",".join(f"{k}={v}" for k, v in event.contributor.attributes)
        alarm = f"{alarm}|contributor:{row}"
    return f"{alarm}|{event.state.value}|{event.changed_at.isoformat()}"
