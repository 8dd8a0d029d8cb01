"""Golden files for what an alarm carries besides itself: the table's changes just before it,
its owner, "I'm on it" and who pressed it, and the summary of an alarm storm."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.alarm_context import Owner, PriorChange
from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_set import AlarmSummary
from bot.domain.alarm_storms import Storm, StormMember
from bot.render.alarm_context import RootContext, ack_line, ack_value, owner_mention, with_ack
from bot.render.alarm_list import render_alarm_list
from bot.render.alarm_storms import render_storm_summary
from bot.render.alarms import render_alarm, render_resolved
from tests.domain.test_alarms import sns_event
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-write-throttle"
OPENED = datetime(2026, 11, 22, 9, 42, 10, tzinfo=UTC)
CONTEXT = RootContext(
    changes=(
        PriorChange(timedelta(minutes=13), "carol", "lowered write capacity 25 → 10"),
        PriorChange(
            timedelta(minutes=41), "U0DAVE001", "billing mode set to provisioned", "U0DAVE001"
        ),
    ),
    owner=Owner("S0ORDERS1", "orders-team"),
    ack_value=ack_value(ARN, OPENED),
)


def _root(extras: RootContext, mention: str | None = "<!here>") -> dict:
    event = sns_event("sns-alarm-write-throttle")
    return render_alarm(
        event,
        now=NOW,
        datapoints=(0.0, 4.0, 37.0),
        incident_opened_at=None,
        mention=mention,
        extras=extras,
    ).as_args()


def test_root_with_changes_owner_and_ack_button() -> None:
    args = _root(CONTEXT)
    assert args["text"].startswith("<!here> <!subteam^S0ORDERS1> :rotating_light: ALARM")
    assert_golden("alarms", "root_with_context", args)


def test_acknowledged_root_replaces_the_button_with_who_and_when() -> None:
    # The root as the incident stores it: nobody mentioned (an edit pings no one anyway).
    stored = _root(RootContext(changes=CONTEXT.changes, ack_value=CONTEXT.ack_value), None)
    line = ack_line("U0OPER001", OPENED + timedelta(minutes=3, seconds=20), OPENED)
    acked = with_ack(stored, line).as_args()
    assert "alarm_ack" not in json.dumps(acked)
    assert_golden("alarms", "root_acknowledged", acked)


def test_resolved_root_keeps_the_ack() -> None:
    fired = sns_event("sns-alarm-write-throttle")
    ok = replace(fired, state=AlarmState.OK, changed_at=OPENED + timedelta(minutes=13))
    line = ack_line("U0OPER001", OPENED + timedelta(minutes=3), OPENED)
    resolved = render_resolved(ok, opened_at=OPENED, now=NOW + timedelta(minutes=11), acked=line)
    assert_golden("alarms", "resolved_acknowledged", resolved.as_args())


def test_owner_mentions_only_validated_ids() -> None:
    assert owner_mention(Owner("U0OWNER01", "U0OWNER01")) == "<@U0OWNER01>"
    assert owner_mention(Owner("S0ORDERS1", "team")) == "<!subteam^S0ORDERS1>"
    assert owner_mention(Owner("<!channel>", "x")) is None
    assert owner_mention(None) is None


def test_storm_summary_lists_the_worst_first_and_counts_what_still_fires() -> None:
    start = datetime(2026, 11, 22, 9, 40, tzinfo=UTC).timestamp()
    members = [
        StormMember(
            f"arn{i}", f"orders-{i}-write-throttle", f"orders-{i}", metric, start + i, i != 3
        )
        for i, metric in enumerate(
            ["SystemErrors", "WriteThrottleEvents", "WriteThrottleEvents", "ReadThrottleEvents"]
            + ["SuccessfulRequestLatency"] * 16
        )
    ]
    storm = Storm(start, tuple(members))
    message = render_storm_summary(storm, now=NOW, mention="<!here>")
    assert message.text == "<!here> :rotating_light: Alarm storm: 19 of 20 alarms firing"
    assert_golden("alarms", "storm_summary", message.as_args())


def test_alarm_list_says_who_is_on_it() -> None:
    firing = AlarmSummary(
        "orders-write-throttle",
        "us-west-2",
        AlarmState.ALARM,
        "Threshold Crossed",
        OPENED,
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        "orders",
        arn=ARN,
        acked_by="U0OPER001",
        acked_after=timedelta(minutes=3),
    )
    message = render_alarm_list([firing], table=None, regions=["us-west-2"], now=NOW)
    assert_golden("alarms", "list_acknowledged", message.as_args())
