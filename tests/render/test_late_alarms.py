"""Alarm messages for a state change delivered late: golden files, and the lateness shown in
the text a notification displays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.render.alarm_replies import render_late_reply, render_thread_repeat
from bot.render.alarms import render_alarm
from tests.domain.test_alarms import sns_event
from tests.golden import assert_golden

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 13 days after the sample ALARM


def test_a_late_root_says_how_late_and_pings_no_one() -> None:
    event = sns_event("sns-alarm-write-throttle")
    late = NOW - event.changed_at
    message = render_alarm(
        event, now=NOW, datapoints=None, incident_opened_at=None, mention=None, late=late
    )
    assert_golden("alarms", "root_late", message.as_args())
    assert message.text.endswith("(delivered 13 d after the change)")


def test_a_late_note_in_a_thread_and_a_late_repeat_match_golden() -> None:
    event = sns_event("sns-alarm-write-throttle")
    late = timedelta(hours=1, minutes=5)
    assert_golden("alarms", "thread_late", render_late_reply(event, late).as_args())
    repeat = render_thread_repeat(event, NOW, late)
    assert_golden("alarms", "thread_repeat_late", repeat.as_args())
    assert repeat.text.endswith("· delivered 1 h 5 min after the change")
