"""functions.cloudtrail end to end: EventBridge CloudTrail events -> history items + notices."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.aws.state import audit_pk, record_bot_action
from bot.config_sections import Route
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail
from tests.conftest import ADMIN, load_event

ACCOUNT, REGION = "123456789012", "us-west-2"
ORDERS = audit_pk(ACCOUNT, REGION, "orders")


def history(runtime: Runtime, table: str = "orders") -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, table))
    return items


def posts(slack: SlackSink) -> list[dict[str, Any]]:
    return slack.calls_to("chat.postMessage")


def as_eventbridge(record: dict[str, Any]) -> dict[str, Any]:
    """A CloudTrail record wrapped the way EventBridge delivers it (fixtures already are)."""
    if "detail-type" in record:
        return record
    return {
        "version": "0",
        "id": "0d4e7c8a-0000-4000-8000-000000000001",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.dynamodb",
        "account": ACCOUNT,
        "time": record.get("eventTime"),
        "region": REGION,
        "resources": [],
        "detail": record,
    }


def test_pitr_off_is_stored_under_the_table_and_posted_as_critical(
    runtime: Runtime, slack: SlackSink
) -> None:
    result = cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    assert result["stored"] == 1
    assert result["notified"] == 1
    [item] = history(runtime)
    assert item["sk"] == "2026-11-22T09:30:05.000000Z#3f1e9a4c-7b2d-4e8f-9c1a-0d2e3f4a5b6c"
    assert item["summary"] == "Point-in-time recovery turned OFF on orders"
    assert item["actor"]["name"] == "alice"
    assert item["actor"]["mfa"] is True
    [post] = posts(slack)
    assert post["channel"] == "C0OPSBOT1"
    assert "Point-in-time recovery turned OFF on orders" in post["text"]


def test_history_item_expires_history_days_after_the_event(runtime: Runtime) -> None:
    cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    [item] = history(runtime)
    event_time = 1795339805  # 2026-11-22T09:30:05Z
    assert item["expires_at"] == event_time + 400 * 86400


def test_redelivered_event_stores_nothing_new_and_posts_once(
    runtime: Runtime, slack: SlackSink
) -> None:
    event = load_event("eventbridge-cloudtrail-delete-backup.json")
    first = cloudtrail.handle(event, runtime)
    second = cloudtrail.handle(copy.deepcopy(event), runtime)
    assert (first["stored"], second["stored"]) == (1, 0)
    assert (first["notified"], second["notified"]) == (1, 0)
    assert len(history(runtime)) == 1
    assert len(posts(slack)) == 1


def test_info_change_is_recorded_without_a_notice(runtime: Runtime, slack: SlackSink) -> None:
    result = cloudtrail.handle(as_eventbridge(load_event("cloudtrail/tag-resource.json")), runtime)
    assert result["stored"] == 1
    assert result["notified"] == 0
    assert history(runtime)[0]["action"] == "TagResource"
    assert posts(slack) == []


def test_read_only_and_data_events_are_not_recorded(runtime: Runtime, slack: SlackSink) -> None:
    describe = load_event("cloudtrail/describe-table-read-only.json")
    put_item = load_event("cloudtrail/tag-resource.json")
    put_item["detail"].update(eventName="PutItem", eventCategory="Data", eventID="data-1")
    for record in (describe, put_item):
        result = cloudtrail.handle(as_eventbridge(record), runtime)
        assert result["kept"] == 0
    assert history(runtime) == []
    assert posts(slack) == []


def test_read_only_calls_are_recorded_when_configured(runtime: Runtime) -> None:
    runtime.settings = replace(runtime.settings, audit_include_read_only=True)
    describe = load_event("cloudtrail/describe-table-read-only.json")
    assert cloudtrail.handle(as_eventbridge(describe), runtime)["stored"] == 1


def test_malformed_event_is_dropped_with_a_reason(runtime: Runtime, slack: SlackSink) -> None:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    del event["detail"]["eventName"]
    result = cloudtrail.handle(event, runtime)
    assert result["dropped"] == ["not a CloudTrail record: eventName and eventSource are required"]
    assert history(runtime) == []
    assert posts(slack) == []


def test_change_opsbot_made_is_shown_as_the_slack_user(runtime: Runtime, slack: SlackSink) -> None:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    record_bot_action(
        runtime.state,
        request_id=event["detail"]["requestID"],
        slack_user=ADMIN,
        command="pitr orders off",
        now=runtime.epoch(),
    )
    cloudtrail.handle(event, runtime)
    assert history(runtime)[0]["actor"]["slack_user"] == ADMIN
    assert f"<@{ADMIN}> via opsbot" in posts(slack)[0]["text"]


def test_restore_is_stored_under_the_target_and_the_source_table(runtime: Runtime) -> None:
    record = load_event("cloudtrail/restore-from-backup.json")
    cloudtrail.handle(as_eventbridge(record), runtime)
    [target] = history(runtime, "orders-restored")
    [source] = history(runtime, "orders")
    assert target["sk"] == source["sk"]
    assert target["summary"].startswith("Table orders-restored restored from backup")


def test_severity_override_from_settings_silences_a_notice(
    runtime: Runtime, slack: SlackSink
) -> None:
    runtime.settings = replace(runtime.settings, audit_severity={"DeleteBackup": "info"})
    result = cloudtrail.handle(load_event("eventbridge-cloudtrail-delete-backup.json"), runtime)
    assert result["stored"] == 1
    assert result["notified"] == 0
    assert history(runtime)[0]["severity"] == "info"
    assert posts(slack) == []


def test_routes_pick_the_channel_and_ping_for_critical_changes(
    runtime: Runtime, slack: SlackSink
) -> None:
    routes = (
        Route(
            when="severity == 'critical' && table == 'orders'", channel="C0CRIT001", mention="here"
        ),
        Route(when="severity == 'warning'", channel="C0WARN001"),
    )
    runtime.settings = replace(runtime.settings, routes=routes)
    cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    [post] = posts(slack)
    assert post["channel"] == "C0CRIT001"  # the first route only: it is not a warning
    assert post["text"].startswith("<!here> ")


def test_access_denied_is_posted_as_security(runtime: Runtime, slack: SlackSink) -> None:
    record = load_event("cloudtrail/access-denied-delete-table.json")
    cloudtrail.handle(as_eventbridge(record), runtime)
    assert history(runtime)[0]["severity"] == "security"
    assert ":closed_lock_with_key:" in posts(slack)[0]["text"]


def test_injected_text_is_escaped_in_the_notice(runtime: Runtime, slack: SlackSink) -> None:
    record = load_event("cloudtrail/injection-user-agent-session.json")
    cloudtrail.handle(as_eventbridge(record), runtime)
    posted = json.dumps(posts(slack)[0])
    assert "<!channel>" not in posted
    assert "<!here>" not in posted


def test_first_ingest_writes_the_install_marker(runtime: Runtime) -> None:
    assert runtime.state.get("META", "INSTALLED") is None
    cloudtrail.handle(load_event("eventbridge-cloudtrail-pitr-disabled.json"), runtime)
    marker = runtime.state.get("META", "INSTALLED")
    assert marker is not None
    assert marker["installed_at"] == int(runtime.epoch())
    assert marker["accounts"] == {ACCOUNT}


def test_a_failed_post_releases_the_notice_so_the_retry_posts_it(
    runtime: Runtime, slack: SlackSink
) -> None:
    event = load_event("eventbridge-cloudtrail-pitr-disabled.json")
    slack.fail_next(4, status=500)  # the first try and its three retries
    # A Slack outage must fail the invocation, so that EventBridge retries it.
    with pytest.raises(SlackApiError):
        cloudtrail.handle(event, runtime)
    assert cloudtrail.handle(event, runtime)["notified"] == 1
    assert len(posts(slack)) == 1
