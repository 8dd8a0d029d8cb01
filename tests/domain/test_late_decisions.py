"""decide() on state changes delivered late: every decision says how late, and one for an
alarm whose incident changed since is a note in that incident's thread, never a new root."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.alarm_events import UNKNOWN_TIME, AlarmEvent
from bot.domain.incidents import LATE_AFTER, Incident, decide, lateness
from tests.domain.test_alarms import ALARM_EVENT, CLOSED, OK_EVENT, OPEN

CHANGED = ALARM_EVENT.changed_at  # 09:42:10


@pytest.mark.parametrize(
    ("delay", "late"),
    [
        (timedelta(minutes=3), None),
        (LATE_AFTER, None),
        (LATE_AFTER + timedelta(seconds=1), LATE_AFTER + timedelta(seconds=1)),
        (timedelta(days=13), timedelta(days=13)),
    ],
    ids=["on-time", "exactly-late-after", "a-second-over", "13-days"],
)
def test_a_change_is_late_once_delivered_more_than_late_after_after_it(
    delay: timedelta, late: timedelta | None
) -> None:
    assert lateness(ALARM_EVENT, CHANGED + delay, LATE_AFTER) == late
    decision = decide(ALARM_EVENT, None, None, CHANGED + delay)
    assert (decision.kind, decision.late) == ("post_root", late)


def test_a_change_of_unknown_time_is_never_late() -> None:
    unknown = replace(ALARM_EVENT, changed_at=UNKNOWN_TIME)
    assert decide(unknown, None, None, CHANGED + timedelta(days=30)).late is None


def test_how_late_is_late_is_the_callers_to_say() -> None:
    decision = decide(
        ALARM_EVENT, None, None, CHANGED + timedelta(minutes=40), late_after=(timedelta(hours=1))
    )
    assert decision.late is None


def test_a_late_repeat_and_a_late_resolve_keep_their_kind_and_say_how_late() -> None:
    now = CHANGED + timedelta(hours=2)
    repeat = decide(
        replace(ALARM_EVENT, changed_at=CHANGED + timedelta(minutes=5)), OPEN, None, now
    )
    assert (repeat.kind, repeat.late) == ("thread_repeat", timedelta(hours=1, minutes=55))
    resolve = decide(OK_EVENT, OPEN, None, now)
    assert resolve.kind == "resolve"
    assert resolve.late == now - OK_EVENT.changed_at


@pytest.mark.parametrize(
    ("incident", "event"),
    [
        (OPEN, replace(OK_EVENT, changed_at=OPEN.opened_at - timedelta(minutes=5))),
        (
            replace(CLOSED, closed_at=CHANGED + timedelta(minutes=13)),
            replace(ALARM_EVENT, changed_at=CHANGED + timedelta(minutes=8)),
        ),
    ],
    ids=["older-than-the-open-incident", "older-than-the-last-ok"],
)
def test_a_late_change_the_incident_has_moved_past_goes_into_its_thread(
    incident: Incident, event: AlarmEvent
) -> None:
    late = decide(event, incident, None, event.changed_at + timedelta(hours=1))
    assert (late.kind, late.incident) == ("thread_late", incident)
    on_time = decide(event, incident, None, event.changed_at + timedelta(minutes=14))
    assert on_time.kind == "ignore"


def test_a_late_alarm_whose_ok_came_first_is_one_resolved_root_marked_late() -> None:
    # No thread to note it in: one message that it fired and is over (it pings no one), as
    # on time, so a redriven alarm nobody saw is not swallowed.
    ok_first = decide(OK_EVENT, None, None, OK_EVENT.changed_at).incident
    assert ok_first is not None
    late = decide(ALARM_EVENT, ok_first, None, OK_EVENT.changed_at + timedelta(hours=1))
    assert late.kind == "post_resolved"
    assert late.late == OK_EVENT.changed_at + timedelta(hours=1) - ALARM_EVENT.changed_at


def test_a_late_change_for_a_silenced_alarm_posts_nothing() -> None:
    now = CHANGED + timedelta(hours=1)
    stale = replace(OK_EVENT, changed_at=OPEN.opened_at - timedelta(minutes=5))
    decision = decide(stale, OPEN, now + timedelta(hours=1), now)
    assert decision.kind == "ignore"
