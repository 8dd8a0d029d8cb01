"""functions.cloudtrail on the newer shapes: a refused DeleteTable worded as an attempt, and
Application Auto Scaling's capacity changes kept in history with the service named, posted
only when configured."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.aws.audit import event_from_item
from bot.aws.state import audit_pk
from bot.local.slack_sink import SlackSink
from bot.render.audit import render_who_changed
from bot.runtime import Runtime
from functions import cloudtrail
from tests.conftest import load_event

ACCOUNT, REGION = "123456789012", "us-west-2"
AUTOSCALING = "eventbridge-cloudtrail-autoscaling-update-table.json"


def history(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    items, _ = runtime.state.query(audit_pk(ACCOUNT, REGION, table))
    return items


def test_refused_delete_table_is_posted_as_an_attempt(runtime: Runtime, slack: SlackSink) -> None:
    result = cloudtrail.handle(
        load_event("eventbridge-cloudtrail-delete-table-refused.json"), runtime
    )
    assert (result["stored"], result["notified"]) == (1, 1)
    (post,) = slack.calls_to("chat.postMessage")
    assert post["text"].startswith(
        ":closed_lock_with_key: Refused (AccessDenied): attempt to delete table payments"
    )
    assert "ci-deploy" in post["text"]
    assert "Table payments deleted" not in str(post)


def test_auto_scaling_change_is_kept_in_history_with_the_service_named_and_not_posted(
    runtime: Runtime, slack: SlackSink
) -> None:
    result = cloudtrail.handle(load_event(AUTOSCALING), runtime)
    assert (result["stored"], result["notified"]) == (1, 0)
    assert slack.calls_to("chat.postMessage") == []
    (item,) = history(runtime, "orders")
    assert item["severity"] == "info"
    event = event_from_item(item)
    answer = render_who_changed(
        "orders",
        [event],
        now=runtime.now(),
        source="history",
        since=runtime.now() - timedelta(days=7),
    )
    assert (
        "Application Auto Scaling (AWS service, role AWSServiceRoleForApplicationAutoScalingˍ"
        in (answer.blocks[1]["text"]["text"])
    )


def test_auto_scaling_changes_post_when_their_severity_is_set(
    runtime: Runtime, slack: SlackSink
) -> None:
    runtime.settings = replace(runtime.settings, audit_severity={"AWSService": "warning"})
    result = cloudtrail.handle(load_event(AUTOSCALING), runtime)
    assert result["notified"] == 1
    (post,) = slack.calls_to("chat.postMessage")
    assert post["text"].startswith(":warning: Table orders updated: provisioned throughput")
    assert "Application Auto Scaling (AWS service" in post["text"]
