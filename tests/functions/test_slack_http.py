"""The Slack entry point end to end: signed requests in, acks out, work through the queue."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import (
    ADMIN,
    OPERATOR,
    REGION,
    VIEWER,
    Clock,
    drain_work,
    function_url_event,
    lambda_context,
    sign,
    slash_body,
)


def post_command(text: str, *, user: str = ADMIN, response_url: str = "") -> dict[str, Any]:
    body = slash_body(text, user=user, response_url=response_url)
    return slack_http.handler(function_url_event(body, sign(body)), lambda_context())


def ack_json(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response
    return json.loads(response["body"])


def queued(runtime: Runtime) -> int:
    attrs = runtime.client("sqs").get_queue_attributes(
        QueueUrl=runtime.settings.work_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def test_signed_help_returns_the_command_list(runtime: Runtime) -> None:
    response = post_command("help")
    # Slack shows a body that is not declared JSON as plain text
    assert response["headers"]["content-type"].startswith("application/json")
    ack = ack_json(response)
    assert ack["response_type"] == "ephemeral"
    for usage in ("/ddb status <table>", "/ddb backups <table>", "/ddb restore <table>"):
        assert usage in ack["text"]
    assert queued(runtime) == 0  # help is answered in the ack, nothing is handed off


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"x-slack-signature": "v0=" + "0" * 64}, "forged"),
        ({}, "unsigned"),
        ("stale", "older than five minutes"),
        ("other-secret", "signed with another secret"),
    ],
    ids=["forged", "unsigned", "stale", "wrong-secret"],
)
def test_bad_signature_gets_401_and_runs_nothing(
    runtime: Runtime, slack: SlackSink, headers: Any, why: str
) -> None:
    body = slash_body("status orders")
    if headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 6 * 60)
    elif headers == "other-secret":
        headers = sign(body, secret="not-the-secret")
    elif "x-slack-signature" in headers:
        headers = {**headers, "x-slack-request-timestamp": str(int(time.time()))}
    response = slack_http.handler(function_url_event(body, headers), lambda_context())
    assert response["statusCode"] == 401, why
    assert queued(runtime) == 0
    assert slack.calls == []


def test_unknown_subcommand_gets_a_usage_error(runtime: Runtime) -> None:
    ack = ack_json(post_command("stauts orders"))
    assert "`stauts` is not a command" in ack["text"]
    assert "Did you mean `status`?" in ack["text"]
    assert queued(runtime) == 0


def test_bad_option_names_the_problem_and_shows_usage(runtime: Runtime) -> None:
    ack = ack_json(post_command("backups orders --since yesterday"))
    assert "`yesterday` is not a duration" in ack["text"]
    assert "Usage: `/ddb backups <table>" in ack["text"]


def test_viewer_running_an_operator_command_is_denied_with_the_role_needed(
    runtime: Runtime, slack: SlackSink
) -> None:
    # Prime the group cache as the worker would after any earlier command.
    runtime.notifier.groups_of(VIEWER, runtime.settings.access.group_ids)
    calls_before = len(slack.calls)
    ack = ack_json(post_command("backup orders", user=VIEWER))
    assert "needs the *operator* role; you have *viewer*" in ack["text"]
    assert queued(runtime) == 0
    assert len(slack.calls) == calls_before  # the ack path made no Slack call


def test_ack_path_makes_no_slack_call_and_worker_answers_status(
    runtime: Runtime, slack: SlackSink
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    response_url = slack.response_url("cmd1")
    ack = ack_json(post_command("status orders", response_url=response_url))
    assert "Working on `/ddb status orders`" in ack["text"]
    assert slack.calls == []
    assert drain_work(runtime) == 1
    replies = slack.responses("cmd1")
    assert len(replies) == 1
    assert replies[0]["text"] == "orders in us-west-2: ACTIVE, PITR off"


def test_when_the_work_queue_is_down_the_ack_says_nothing_was_done(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.work_queue, "queue_url", runtime.settings.work_queue_url + "-gone")
    ack = ack_json(post_command("status orders"))
    assert "could not start `/ddb status orders`" in ack["text"]
    assert "Nothing was done" in ack["text"]


def test_work_that_starts_late_is_not_run_and_the_user_is_told(
    runtime: Runtime, slack: SlackSink, clock: Clock
) -> None:
    response_url = slack.response_url("late")
    ack_json(post_command("status orders", response_url=response_url))
    clock.advance(6 * 60)  # the worker starts six minutes after the ack
    drain_work(runtime)
    (reply,) = slack.responses("late")
    assert "waited 6 min before it could start" in reply["text"]
    assert "nothing was done" in reply["text"]


def test_a_work_item_delivered_twice_runs_once(runtime: Runtime, slack: SlackSink) -> None:
    response_url = slack.response_url("twice")
    ack_json(post_command("status missing-table", response_url=response_url))
    sqs = runtime.client("sqs")
    message = sqs.receive_message(QueueUrl=runtime.settings.work_queue_url)["Messages"][0]
    sqs.send_message(QueueUrl=runtime.settings.work_queue_url, MessageBody=message["Body"])
    sqs.change_message_visibility(
        QueueUrl=runtime.settings.work_queue_url,
        ReceiptHandle=message["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    assert drain_work(runtime) == 2
    (reply,) = slack.responses("twice")
    assert "There is no table `missing-table` in us-west-2" in reply["text"]


def test_operator_by_group_is_decided_by_the_worker_when_the_cache_is_cold(
    runtime: Runtime, slack: SlackSink
) -> None:
    # OPERATOR gets the role only through the S0DBAOPS1 group; the ack cannot know that.
    response_url = slack.response_url("grp")
    ack = ack_json(post_command("status orders", user=OPERATOR, response_url=response_url))
    assert "Working on" in ack["text"]
    drain_work(runtime)
    assert [c["method"] for c in slack.calls][:1] == ["usergroups.users.list"]


def test_get_requests_are_refused(runtime: Runtime) -> None:
    event = function_url_event("", {})
    event["requestContext"]["http"]["method"] = "GET"
    assert slack_http.handler(event, lambda_context())["statusCode"] == 405
