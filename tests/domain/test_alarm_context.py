"""The pure parts of an alarm's context: changes just before it, owners, storms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.alarm_context import PriorChange, change_phrase, changes_before, owner_of
from bot.domain.alarm_storms import (
    REFRESH_S,
    StormEntry,
    StormLog,
    members_since,
    opens_refresh_period,
    storm_of,
    trimmed,
)
from bot.domain.audit import AuditEvent
from bot.domain.audit_actors import Actor

FIRED = datetime(2026, 11, 22, 9, 42, tzinfo=UTC)
WINDOW = timedelta(hours=2)


def audit(minutes_before: float, summary: str, **changes: object) -> AuditEvent:
    event = AuditEvent(
        event_id=f"e{minutes_before}",
        time=FIRED - timedelta(minutes=minutes_before),
        account="123456789012",
        region="us-west-2",
        table="orders",
        resource=None,
        action="UpdateTable",
        source="dynamodb",
        actor=Actor(identity_type="IAMUser", name="carol"),
        client="aws-cli",
        source_ip=None,
        error_code=None,
        error_message=None,
        request_id=None,
        read_only=False,
        category="Management",
        summary=summary,
        severity="warning",
    )
    return replace(event, **changes)  # type: ignore[arg-type]


LOWERED = "Table orders updated: provisioned throughput read/write 5/25 → 5/10"


@pytest.mark.parametrize(
    ("summary", "phrase"),
    [
        (LOWERED, "lowered write capacity 25 → 10"),
        (
            "Table orders updated: provisioned throughput read/write 5/10 → 20/10",
            "raised read capacity 5 → 20",
        ),
        (
            "Table orders updated: provisioned throughput read/write 5/10 → 1/40; "
            "stream turned off",
            "raised write capacity 10 → 40; lowered read capacity 5 → 1; stream turned off",
        ),
        (
            "Point-in-time recovery turned OFF on orders",
            "point-in-time recovery turned OFF on orders",
        ),
        ("Table orders updated: billing mode set to on-demand", "billing mode set to on-demand"),
        ("Table orders deleted", "deleted"),
    ],
    ids=["write-down", "read-up", "both-and-more", "pitr", "billing", "deleted"],
)
def test_change_phrase_says_briefly_what_changed(summary: str, phrase: str) -> None:
    assert change_phrase(audit(5, summary)) == phrase


def test_changes_before_keep_the_window_newest_first_and_skip_failed_calls() -> None:
    events = [
        audit(150, LOWERED),  # before the window
        audit(90, LOWERED),
        audit(13.2, LOWERED),
        audit(5, LOWERED, error_code="AccessDeniedException"),
        audit(-3, LOWERED),  # after the alarm fired
    ]
    changes = changes_before(events, FIRED, WINDOW)
    assert [c.before for c in changes] == [timedelta(minutes=13.2), timedelta(minutes=90)]
    assert changes[0] == PriorChange(
        timedelta(minutes=13.2), "carol", "lowered write capacity 25 → 10"
    )


def test_changes_made_through_opsbot_name_the_slack_user_and_services_by_name() -> None:
    through_opsbot = audit(3, LOWERED)
    through_opsbot = replace(
        through_opsbot, actor=replace(through_opsbot.actor, slack_user="U0CAROL01")
    )
    scaling = audit(
        4,
        LOWERED,
        actor=Actor(
            identity_type="AssumedRole",
            name="AutoScaling-UpdateTable",
            via="dynamodb.application-autoscaling.amazonaws.com",
        ),
    )
    changes = changes_before([through_opsbot, scaling], FIRED, WINDOW)
    assert (changes[0].who, changes[0].slack_user) == ("U0CAROL01", "U0CAROL01")
    assert changes[1].slack_user == ""


def test_changes_before_are_capped() -> None:
    events = [audit(m, LOWERED) for m in range(1, 20)]
    assert len(changes_before(events, FIRED, WINDOW, limit=5)) == 5


@pytest.mark.parametrize(
    ("tag", "owners", "expected"),
    [
        ("U0OWNER01", {}, "U0OWNER01"),
        ("W0OWNER01", {}, "W0OWNER01"),
        ("S0ORDERS1", {}, "S0ORDERS1"),
        (" U0OWNER01 ", {}, "U0OWNER01"),
        ("carol", {"carol": "U0CAROL01"}, "U0CAROL01"),
        ("carol", {}, None),
        ("<!channel>", {}, None),
        ("<@U0OWNER01>", {}, None),
        ("C0CHANNEL1", {}, None),
        ("u0owner01", {}, None),
        ("", {}, None),
        (None, {}, None),
        ("evil", {"evil": "<!here>"}, None),
    ],
)
def test_only_validated_slack_ids_become_owners(
    tag: str | None, owners: dict[str, str], expected: str | None
) -> None:
    owner = owner_of(tag, owners)
    assert (owner.slack_id if owner else None) == expected


# --- storms --------------------------------------------------------------------------------


def opens(
    *ats: float, state: str = "ALARM", metric: str = "WriteThrottleEvents"
) -> list[StormEntry]:
    return [StormEntry(at, f"arn{i}", f"a{i}", f"t{i}", metric, state) for i, at in enumerate(ats)]


def test_a_storm_is_more_than_count_alarms_within_the_window() -> None:
    five = StormLog(tuple(opens(0, 10, 20, 30, 40)))
    assert storm_of(five, 40, count=5, window_s=300) is None
    six = StormLog(tuple(opens(0, 10, 20, 30, 40, 50)))
    storm = storm_of(six, 50, count=5, window_s=300)
    assert storm is not None
    assert (storm.since, len(storm.members), storm.firing) == (0, 6, 6)
    spread = StormLog(tuple(opens(0, 100, 200, 300, 400, 500)))
    assert storm_of(spread, 500, count=5, window_s=300) is None


def test_a_storm_with_a_summary_lasts_while_a_member_fires() -> None:
    entries = [*opens(0, 1, 2), StormEntry(400, "arn0", "a0", "t0", "m", "OK")]
    log = StormLog(tuple(entries), summary_since=0.0, summary_ts="1.1")
    storm = storm_of(log, 1000, count=2, window_s=300)
    assert storm is not None
    assert storm.firing == 2
    resolved = [*entries, *(StormEntry(500, f"arn{i}", "", "", "", "OK") for i in (1, 2))]
    over = StormLog(tuple(resolved), summary_since=0.0, summary_ts="1.1")
    assert storm_of(over, 1000, count=2, window_s=300) is None
    # An alarm opening now does not keep a finished storm going.
    late = StormLog((*resolved, StormEntry(1000, "new", "n", "", "", "ALARM")), 0.0, "C", "1.1")
    assert storm_of(late, 1000, count=2, window_s=300) is None


def test_members_are_worst_first_firing_before_resolved() -> None:
    entries = [
        StormEntry(1, "lat", "latency", "t", "SuccessfulRequestLatency", "ALARM"),
        StormEntry(2, "err", "errors", "t", "SystemErrors", "ALARM"),
        StormEntry(3, "thr", "throttle", "t", "WriteThrottleEvents", "ALARM"),
        StormEntry(4, "old", "gone", "t", "SystemErrors", "ALARM"),
        StormEntry(5, "old", "gone", "t", "SystemErrors", "OK"),
    ]
    assert [m.name for m in members_since(entries, 0)] == ["errors", "throttle", "latency", "gone"]


def test_a_long_log_is_trimmed_to_what_a_storm_still_needs() -> None:
    entries = tuple(opens(*range(0, 250)))
    assert trimmed(StormLog(entries[:100]), 300, 60) is None
    # Every one still fires: nothing to drop, so no write that would change nothing.
    assert trimmed(StormLog(entries), 300, 60) is None
    closed = entries + tuple(StormEntry(260, e.arn, "", "", "", "OK") for e in entries)
    kept = trimmed(StormLog(closed), 300, 60)
    assert kept is not None
    assert {e.at for e in kept} == {260, *range(240, 250)}  # the last window, and the OKs


def test_a_trim_that_would_free_little_waits() -> None:
    # 201 entries, of which only the 10 resolved before the window could go: not worth a write.
    old = tuple(StormEntry(t, f"old{t}", "", "", "", "OK") for t in range(10))
    firing = tuple(opens(*range(100, 291)))
    assert trimmed(StormLog(old + firing), 300, 60) is None
    # With 50 to free, it trims.
    old = tuple(StormEntry(t, f"old{t}", "", "", "", "OK") for t in range(50))
    kept = trimmed(StormLog(old + firing), 300, 60)
    assert kept == firing


def opened_periods(ats: list[float]) -> list[int]:
    """The periods whose summary edit each newest entry of a growing log makes."""
    entries = opens(*ats)
    return [
        int(entry.at // REFRESH_S)
        for i, entry in enumerate(entries)
        if opens_refresh_period(StormLog(tuple(entries[: i + 1])))
    ]


def test_the_first_entry_of_each_period_edits_the_summary() -> None:
    assert REFRESH_S == 15
    assert opened_periods([float(t) for t in range(1, 41)]) == [0, 1, 2]
    assert opens_refresh_period(StormLog()) is False


@given(st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), max_size=60))
def test_at_most_one_edit_per_period_however_clocks_disagree(ats: list[float]) -> None:
    opened = opened_periods(ats)
    assert len(opened) == len(set(opened))  # once per period at most
    assert opened == sorted(opened)  # a period never opens after a later one did
    if ats:  # the newest period reached is always edited
        assert opened[-1] == int(max(ats) // REFRESH_S)
