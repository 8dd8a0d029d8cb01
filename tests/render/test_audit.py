"""Audit notices and `/ddb who-changed` answers, checked against golden files."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.audit import AuditEvent, BotAction, attributed, normalize
from bot.render.audit import (
    MORE_ACTION_ID,
    cloudtrail_event_url,
    render_audit_notice,
    render_who_changed,
    table_console_url,
)
from bot.render.message import Message
from tests.golden import assert_golden

EVENTS = Path(__file__).parent.parent / "events"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def load_event(name: str) -> dict[str, Any]:
    """A payload from tests/events (``cloudtrail/...`` for the audit fixtures)."""
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def audit_event(name: str) -> AuditEvent:
    event = normalize(load_event(name))
    assert event is not None
    return event


def guide_events() -> dict[str, AuditEvent]:
    """The DynamoDB developer guide's log file examples, by action."""
    events = {}
    for record in load_event("cloudtrail/log-file-developer-guide")["Records"]:
        event = normalize(record, include_data_events=True)
        assert event is not None
        events[event.action] = event
    return events


def all_text(message: Message) -> str:
    """Every string a message would show, for checks that must hold everywhere."""
    return json.dumps(message.as_args(), ensure_ascii=False)


NOTICE_CASES = [
    "cloudtrail/update-table-settings",
    "cloudtrail/update-table-deletion-protection-off",
    "cloudtrail/update-table-replicas",
    "cloudtrail/create-table",
    "eventbridge-cloudtrail-pitr-disabled",
    "cloudtrail/pitr-enabled",
    "cloudtrail/create-backup-aws-backup",
    "eventbridge-cloudtrail-delete-backup",
    "cloudtrail/restore-from-backup",
    "cloudtrail/restore-point-in-time",
    "cloudtrail/restore-point-in-time-latest",
    "cloudtrail/export-table",
    "cloudtrail/import-table",
    "cloudtrail/ttl-enabled",
    "cloudtrail/tag-resource",
    "cloudtrail/untag-resource",
    "cloudtrail/put-resource-policy",
    "cloudtrail/delete-resource-policy",
    "cloudtrail/kinesis-streaming-enabled",
    "cloudtrail/kinesis-streaming-disabled",
    "cloudtrail/contributor-insights",
    "cloudtrail/create-global-table",
    "cloudtrail/update-global-table",
    "cloudtrail/replica-auto-scaling",
    "cloudtrail/dax-delete-cluster",
    "cloudtrail/dax-increase-replication",
    "cloudtrail/dax-decrease-replication",
    "cloudtrail/dax-update-cluster",
    "cloudtrail/access-denied-delete-table",
    "cloudtrail/injection-user-agent-session",
    "cloudtrail/null-fields",
    "cloudtrail/generic-update-kinesis",
]


def _case(name: str) -> str:
    return name.rsplit("/", 1)[-1].removeprefix("eventbridge-cloudtrail-").replace("-", "_")


@pytest.mark.parametrize("fixture", NOTICE_CASES, ids=[_case(n) for n in NOTICE_CASES])
def test_audit_notice_matches_golden(fixture: str) -> None:
    message = render_audit_notice(audit_event(fixture), now=NOW)
    assert_golden("audit", f"notice_{_case(fixture)}", message.as_args())


def test_a_spoofed_session_name_matches_golden() -> None:
    """The fake 'Approved change' line stays inside *Who*, on its line, unformatted."""
    event = load_event("eventbridge-cloudtrail-pitr-disabled")
    identity = event["detail"]["userIdentity"]
    identity["arn"] += "\n:white_check_mark: *Approved change* — no action needed"
    event["detail"]["userAgent"] = "aws-cli/2 `x` \u202eevil"
    found = normalize(event)
    assert found is not None
    assert_golden(
        "audit", "notice_pitr_disabled_spoofed_who", render_audit_notice(found, now=NOW).as_args()
    )


@pytest.mark.parametrize("action", ["UpdateTable", "DeleteTable", "CreateCluster"])
def test_audit_notice_of_developer_guide_records_matches_golden(action: str) -> None:
    event = guide_events()[action]
    message = render_audit_notice(event, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert_golden("audit", f"notice_guide_{action.lower()}", message.as_args())


def test_audit_notice_escapes_injected_user_agent_and_session_name() -> None:
    message = render_audit_notice(audit_event("cloudtrail/injection-user-agent-session"), now=NOW)
    text = all_text(message)
    assert "<!channel>" not in text
    assert "<http://evil" not in text
    assert "&lt;!channel&gt; &lt;http://evil|click&gt;" in text
    assert "@here &amp; friends ˋrm -rfˋ" in text  # backticks cannot close the code span


def test_audit_notice_links_the_table_and_the_cloudtrail_event() -> None:
    event = audit_event("eventbridge-cloudtrail-pitr-disabled")
    text = all_text(render_audit_notice(event, now=NOW))
    assert (
        "https://us-west-2.console.aws.amazon.com/cloudtrailv2/home?region=us-west-2"
        "#/events/3f1e9a4c-7b2d-4e8f-9c1a-0d2e3f4a5b6c"
    ) in text
    assert table_console_url("us-west-2", "orders") in text
    assert cloudtrail_event_url("us-west-2", event.event_id) in text


def test_audit_notice_starts_with_the_mention_when_routed_with_one() -> None:
    message = render_audit_notice(
        audit_event("eventbridge-cloudtrail-pitr-disabled"), now=NOW, mention="<!subteam^S0DBA>"
    )
    assert message.text.startswith("<!subteam^S0DBA> :rotating_light: Point-in-time recovery")
    assert message.blocks[0]["text"]["text"].startswith("<!subteam^S0DBA> :rotating_light:")


def test_audit_notice_shows_who_asked_opsbot_for_its_own_calls() -> None:
    event = audit_event("eventbridge-cloudtrail-pitr-disabled")
    mine = attributed(event, {event.request_id or "": BotAction("U024BE7LH")})
    message = render_audit_notice(mine, now=NOW)
    assert_golden("audit", "notice_attributed_to_slack_user", message.as_args())
    assert "<@U024BE7LH> via opsbot (role DataAdmin)" in all_text(message)


def test_audit_notice_escapes_a_slack_user_that_is_not_an_id() -> None:
    event = attributed(
        audit_event("cloudtrail/ttl-enabled"),
        {"REQ0012EXAMPLE0REQUESTIDAAAAAAAAAAAAAAAAAAAAAAAAA": BotAction("<!here>", "<!channel>")},
    )
    shown = all_text(render_audit_notice(event, now=NOW))
    assert "<!here>" not in shown
    assert "<!channel>" not in shown


def test_audit_notice_keeps_sections_within_slack_limits_for_a_huge_error_message() -> None:
    event = replace(
        audit_event("cloudtrail/access-denied-delete-table"), error_message="x" * 10_000
    )
    message = render_audit_notice(event, now=NOW)
    for block in message.blocks:
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000


# --- who-changed ---------------------------------------------------------------------------

HISTORY = [
    "eventbridge-cloudtrail-pitr-disabled",
    "eventbridge-cloudtrail-delete-backup",
    "cloudtrail/create-backup-aws-backup",
    "cloudtrail/update-table-settings",
    "cloudtrail/access-denied-delete-table",
]


def history_events() -> list[AuditEvent]:
    """Five changes to orders at distinct times, in no particular order."""
    events = []
    for minutes, name in zip([30, 35, 0, 20, 45], HISTORY, strict=True):
        event = audit_event(name)
        events.append(replace(event, time=datetime(2026, 11, 22, 9, minutes, tzinfo=UTC)))
    return events


def test_who_changed_from_history_matches_golden() -> None:
    message = render_who_changed(
        "orders",
        history_events(),
        now=NOW,
        source="history",
        since=NOW - timedelta(days=7),
        has_more=False,
        cursor=None,
    )
    assert_golden("audit", "who_changed_history", message.as_args())


def test_who_changed_from_cloudtrail_with_more_matches_golden() -> None:
    message = render_who_changed(
        "orders",
        history_events()[:2],
        now=NOW,
        source="cloudtrail",
        since=NOW - timedelta(days=90),
        has_more=True,
        cursor="eyJuZXh0VG9rZW4iOiAiYWJjIn0",
    )
    assert_golden("audit", "who_changed_cloudtrail_more", message.as_args())


def test_who_changed_with_nothing_found_says_so_and_names_the_window() -> None:
    message = render_who_changed(
        "orders",
        [],
        now=NOW,
        source="history",
        since=NOW - timedelta(days=7),
        has_more=False,
        cursor=None,
    )
    assert_golden("audit", "who_changed_empty", message.as_args())
    assert message.text == "No changes to `orders` recorded since 2026-11-15 10:00 UTC (last 7 d)."


def test_who_changed_lists_newest_first() -> None:
    message = render_who_changed(
        "orders", history_events(), now=NOW, source="history", since=NOW - timedelta(days=7)
    )
    lines = message.blocks[1]["text"]["text"].split("\n")
    assert [line.split("*")[1][11:16] for line in lines] == [
        "09:45",
        "09:35",
        "09:30",
        "09:20",
        "09:00",
    ]


def test_who_changed_more_button_carries_the_cursor() -> None:
    message = render_who_changed(
        "orders",
        history_events(),
        now=NOW,
        source="history",
        since=NOW - timedelta(days=7),
        has_more=True,
        cursor="c-123",
    )
    button = message.blocks[-1]["elements"][0]
    assert (button["action_id"], button["value"]) == (MORE_ACTION_ID, "c-123")
    no_more = render_who_changed(
        "orders", history_events(), now=NOW, source="history", since=NOW - timedelta(days=7)
    )
    assert all(block["type"] != "actions" for block in no_more.blocks)


def test_who_changed_escapes_the_table_and_every_event_text() -> None:
    injected = audit_event("cloudtrail/injection-user-agent-session")
    message = render_who_changed(
        "<!channel>", [injected], now=NOW, source="history", since=NOW - timedelta(days=7)
    )
    text = all_text(message)
    assert "<!channel>" not in text
    assert "<http" not in text


def test_who_changed_fits_many_events_in_slack_limits() -> None:
    base = audit_event("cloudtrail/update-table-settings")
    events = [
        replace(base, event_id=f"id-{i}", time=NOW - timedelta(minutes=i)) for i in range(1000)
    ]
    message = render_who_changed(
        "orders", events, now=NOW, source="history", since=NOW - timedelta(days=7)
    )
    assert len(message.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message.blocks)
    assert "left out" in all_text(message)
