"""`/ddb replicas`, the `/ddb status` risks line and App Home, end to end on moto and the sink."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest

from bot.aws.tables import describe_status
from bot.aws.work_queue import WorkItem
from bot.config_sections import ConfigError
from bot.flows.tables.replicas import status_health_risks
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from functions import slack_http
from tests.aws.replica_stubs import (
    expect_metric_data,
    metric_result,
    replica,
    stubbed,
    table_description,
)
from tests.conftest import (
    REGION,
    VIEWER,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
    table_alarm,
)


def create_table(name: str, region: str = REGION, tags: list[dict[str, str]] | None = None) -> None:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if tags:
        kwargs["Tags"] = tags
    boto3.client("dynamodb", region_name=region).create_table(**kwargs)


def run_command(runtime: Runtime, slack: SlackSink, text: str, reply_id: str) -> dict[str, Any]:
    body = slash_body(text, response_url=slack.response_url(reply_id))
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200
    assert drain_work(runtime) == 1
    (reply,) = slack.responses(reply_id)
    return reply


def open_home(runtime: Runtime, user: str = VIEWER) -> None:
    runtime.work_queue.submit(
        WorkItem(kind="home", user=user, channel="", requested_at=runtime.epoch())
    )
    assert drain_work(runtime) == 1


def test_replicas_of_the_sample_table_on_moto_says_not_global_and_what_was_not_checked(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("cloudacademy-courses")
    reply = run_command(runtime, slack, "replicas cloudacademy-courses", "rep1")
    assert reply["text"] == (
        "cloudacademy-courses in us-west-2 is not a global table (no replicas in other regions)"
    )
    text = json.dumps(reply)
    assert "--replica-updates" in text
    assert "us-east-1" in text  # the other configured region is the suggested replica
    assert "cannot describe legacy (2017.11.29) global tables" in text


def test_replicas_of_a_missing_table_names_the_region(runtime: Runtime, slack: SlackSink) -> None:
    reply = run_command(runtime, slack, "replicas nope-table@us-east-1", "rep2")
    assert "There is no table `nope-table` in us-east-1" in reply["text"]


def test_status_risks_line_names_a_missing_throttling_alarm(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders")
    reply = run_command(runtime, slack, "status orders", "st1")
    risks = [b for b in reply["blocks"] if "*Risks:*" in json.dumps(b)]
    assert len(risks) == 1
    assert "no alarm on throttling (ReadThrottleEvents, WriteThrottleEvents)" in json.dumps(risks)


def test_status_risks_line_drops_the_throttling_risk_once_an_alarm_exists(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders")
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    table_alarm(cloudwatch, "orders-throttled", "orders", "ThrottledRequests")
    reply = run_command(runtime, slack, "status orders", "st2")
    assert "throttling" not in json.dumps(reply)


def test_status_risks_of_a_global_table_name_the_lagging_replica(clock: Any) -> None:
    now = clock()
    with stubbed() as clients:
        west = clients.stub("dynamodb", "us-west-2")
        description = table_description(
            "orders",
            "us-west-2",
            replicas=[
                replica("us-east-1"),
                replica("eu-west-1", "INACCESSIBLE_ENCRYPTION_CREDENTIALS"),
            ],
        )
        west.add_response("describe_table", {"Table": description}, {"TableName": "orders"})
        west.add_response(
            "describe_continuous_backups",
            {"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED"}},
        )
        west.add_response("list_backups", {"BackupSummaries": []})
        cloudwatch = clients.stub("cloudwatch", "us-west-2")
        cloudwatch.add_response("describe_alarms", {"MetricAlarms": []})  # firing (status)
        cloudwatch.add_response("describe_alarms", {"MetricAlarms": []})  # coverage (risks)
        west.add_response("describe_table", {"Table": description}, {"TableName": "orders"})
        expect_metric_data(
            clients,
            "us-west-2",
            [metric_result("latency1", now, [180_000.0])],  # receivers: eu-west-1, us-east-1
            queries=4,
        )
        expect_metric_data(clients, "eu-west-1", [], queries=4)
        expect_metric_data(clients, "us-east-1", [], queries=4)
        status = describe_status(
            clients("dynamodb", "us-west-2"),
            clients("cloudwatch", "us-west-2"),
            "orders",
            "us-west-2",
        )
        risks = status_health_risks(clients, status, now)  # type: ignore[arg-type]
    assert risks == (
        "replica in eu-west-1 is INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "replica in us-east-1 lags 3 min (over 1 min)",
        "no alarm on throttling (ReadThrottleEvents, WriteThrottleEvents)",
    )


def test_home_with_more_configured_tables_than_fit_publishes_at_most_100_blocks(
    runtime: Runtime, slack: SlackSink
) -> None:
    names = [f"table-{i:03d}" for i in range(60)]
    for name in names:
        create_table(name)
    runtime.settings = replace(runtime.settings, home_tables=tuple(names))
    open_home(runtime)
    (call,) = slack.calls_to("views.publish")
    assert call["user_id"] == VIEWER
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    blocks = view["blocks"]
    assert len(blocks) <= 100
    summary = blocks[-1]["elements"][0]["text"]
    assert summary.startswith("… and 13 more tables: `/ddb status <table>`")
    assert "more blocks not shown" not in json.dumps(blocks)  # we summarised, not the notifier


def test_home_shows_tagged_tables_when_none_are_configured(
    runtime: Runtime, slack: SlackSink
) -> None:
    create_table("orders", tags=[{"Key": "opsbot:watch", "Value": "true"}])
    create_table("carts", "us-east-1", tags=[{"Key": "opsbot:watch", "Value": "yes"}])
    create_table("scratch")
    open_home(runtime)
    (call,) = slack.calls_to("views.publish")
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    text = json.dumps(view, ensure_ascii=False)
    assert "*orders* — us-west-2" in text
    assert "*carts* — us-east-1" in text
    assert "scratch" not in text
    assert "2 watched tables (tagged opsbot:watch)" in text


def test_app_home_opened_event_is_acked_and_the_worker_publishes_the_home(
    runtime: Runtime, slack: SlackSink
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "token": "unused",
            "team_id": "T0LOCAL",
            "api_app_id": "A0LOCAL",
            "event": {
                "type": "app_home_opened",
                "user": VIEWER,
                "channel": "D0HOME",
                "tab": "home",
            },
            "event_id": "Ev0HOME1",
            "event_time": 1,
        }
    )
    event = function_url_event(body, sign(body))
    event["headers"]["content-type"] = "application/json"
    assert slack_http.handler(event, lambda_context())["statusCode"] == 200
    assert drain_work(runtime) == 1
    (call,) = slack.calls_to("views.publish")
    assert call["user_id"] == VIEWER


def test_home_tables_config_names_the_key_when_a_table_is_malformed() -> None:
    assert parse_settings({"home": {"tables": ["orders@us-east-1", "carts"]}}).home_tables == (
        "orders@us-east-1",
        "carts",
    )
    with pytest.raises(ConfigError, match=r"`home.tables` must be a list of tables"):
        parse_settings({"home": {"tables": ["orders@mars"]}})
    with pytest.raises(ConfigError, match=r"`home.tables`"):
        parse_settings({"home": {"tables": "orders"}})
