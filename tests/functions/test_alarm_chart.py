"""The chart in a firing alarm's thread (issue 21), end to end: an SNS alarm through
functions.alarms, CloudWatch answered by botocore's Stubber in AWS's shapes (moto has no
GetMetricWidgetImage), Slack by the local sink serving the three steps of files_upload_v2.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from slack_sdk.errors import SlackApiError

from bot.aws.alarm_charts import widget_image
from bot.aws.incidents import load_incident
from bot.local.metric_images import placeholder_png
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms
from tests.conftest import Clock, load_event
from tests.functions.test_alarms import ARN, CHANNEL, sns_alarm, two_routes_the_second_rate_limited

PNG = placeholder_png(4, 2)
UPLOAD = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


@pytest.fixture
def at_alarm_time(clock: Clock) -> Clock:
    clock.current = datetime(2026, 11, 22, 9, 45, tzinfo=UTC)
    return clock


@pytest.fixture
def cloudwatch(runtime: Runtime) -> Any:
    """The runtime's CloudWatch client in the alarm's region, with its calls recorded."""
    client = runtime.client("cloudwatch", "us-west-2")
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, params))

    client.meta.events.register("provide-client-params.cloudwatch.*", record)
    client.recorded = calls
    return client


def metric_data(values: list[float]) -> dict[str, Any]:
    """A GetMetricData answer as AWS documents it, one series, oldest first."""
    stamps = [datetime(2026, 11, 22, 9, 40 + i, tzinfo=UTC) for i in range(len(values))]
    return {
        "MetricDataResults": [
            {
                "Id": "m1",
                "Label": "WriteThrottleEvents",
                "Timestamps": stamps,
                "Values": values,
                "StatusCode": "Complete",
            }
        ],
        "Messages": [],
    }


def methods(slack: SlackSink) -> list[str]:
    return [c["method"] for c in slack.calls]


def assert_incident_open_and_posted(runtime: Runtime) -> None:
    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert record.incident.is_open
    assert record.posting == ""  # every root copy posted and saved


def test_firing_alarm_posts_its_chart_into_the_root_thread_in_two_aws_calls(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([0.0, 12.0, 37.0]))
        stub.add_response(
            "get_metric_widget_image",
            {"MetricWidgetImage": PNG},
            {"MetricWidget": ANY, "OutputFormat": "png"},
        )
        assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
        stub.assert_no_pending_responses()

    assert [name for name, _ in cloudwatch.recorded] == ["GetMetricData", "GetMetricWidgetImage"]
    widget = json.loads(cloudwatch.recorded[1][1]["MetricWidget"])
    assert widget["start"] == "-PT3H"
    assert widget["region"] == "us-west-2"
    assert widget["annotations"] == {"horizontal": [{"label": "threshold", "value": 1.0}]}
    assert widget["metrics"][0][:4] == [
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        "TableName",
        "orders",
    ]

    assert methods(slack) == ["chat.postMessage", *UPLOAD]
    root = slack.calls_to("chat.postMessage")[0]
    assert "▁" in json.dumps(root["blocks"], ensure_ascii=False)  # the sparkline stays
    record = load_incident(runtime.state, ARN)
    assert record is not None
    (reply,) = slack.thread(record.incident.channel, record.incident.ts)
    assert reply["files"][0]["title"] == "orders-write-throttle — last 3 hours"
    (uploaded,) = slack.files.values()
    assert uploaded["data"] == PNG
    assert uploaded["name"] == "orders-write-throttle.png"
    assert uploaded["alt_txt"].startswith("WriteThrottleEvents of orders")


def test_redelivery_uploads_nothing_twice(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    event = load_event("sns-alarm-write-throttle.json")
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([37.0]))
        stub.add_response("get_metric_widget_image", {"MetricWidgetImage": PNG})
        alarms.handle(event, runtime)
        assert alarms.handle(event, runtime) == ["duplicate"]
        # Lambda's retry of an attempt killed in the upload, its claim run out: the incident
        # already holds this change, so no root and no chart.
        runtime.state.client.delete_item(
            TableName=runtime.state.table_name,
            Key={"pk": {"S": "ONCE#alarm"}, "sk": {"S": _claim_sk(runtime)}},
        )
        assert runtime.state.query("ONCE#alarm")[0] == []
        assert alarms.handle(copy.deepcopy(event), runtime) == ["duplicate"]
        assert len(runtime.state.query("ONCE#alarm")[0]) == 1  # decided anew, not by the claim
        stub.assert_no_pending_responses()

    assert [name for name, _ in cloudwatch.recorded] == ["GetMetricData", "GetMetricWidgetImage"]
    assert methods(slack).count("files.completeUploadExternal") == 1


def _claim_sk(runtime: Runtime) -> str:
    """The sort key of the one delivery claim of the alarm scope."""
    items, _ = runtime.state.query("ONCE#alarm")
    (item,) = items
    return str(item["sk"])


def test_a_retry_after_a_half_done_root_post_charts_each_thread_once(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    two_routes_the_second_rate_limited(runtime, slack)
    event = load_event("sns-alarm-write-throttle.json")
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([37.0]))
        with pytest.raises(SlackApiError):
            alarms.handle(event, runtime)  # C0ORDERS1 posts, C0ONCALL1 gets a 429: no chart
        assert methods(slack).count("files.completeUploadExternal") == 0
        stub.add_response("get_metric_data", metric_data([37.0]))
        stub.add_response("get_metric_widget_image", {"MetricWidgetImage": PNG})
        assert alarms.handle(copy.deepcopy(event), runtime) == ["post_root"]
        assert alarms.handle(copy.deepcopy(event), runtime) == ["duplicate"]
        stub.assert_no_pending_responses()

    record = load_incident(runtime.state, ARN)
    assert record is not None
    assert [p.to for p in record.posts] == ["C0ORDERS1", "C0ONCALL1"]
    for copied in record.posts:
        (chart,) = slack.thread(copied.channel, copied.ts)
        assert chart["files"][0]["title"] == "orders-write-throttle — last 3 hours"
    assert methods(slack).count("files.completeUploadExternal") == 2


def test_image_failure_leaves_the_root_post_with_its_sparkline_and_no_file(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([0.0, 37.0]))
        stub.add_client_error(
            "get_metric_widget_image",
            service_error_code="InvalidParameterInput",
            service_message="The widget is not valid",
            http_status_code=400,
        )
        assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert methods(slack) == ["chat.postMessage"]
    assert "▁" in json.dumps(slack.calls_to("chat.postMessage")[0]["blocks"], ensure_ascii=False)
    assert_incident_open_and_posted(runtime)


def test_image_that_is_not_a_png_is_not_uploaded(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([37.0]))
        stub.add_response("get_metric_widget_image", {"MetricWidgetImage": b"<html>"})
        assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert methods(slack) == ["chat.postMessage"]


def test_upload_failure_breaks_nothing_else(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    def fail_the_upload(call: dict[str, Any]) -> None:
        if call["method"] == "files.getUploadURLExternal":
            slack.fail_next(1, status=500)  # the POST of the bytes that follows

    slack.on_call = fail_the_upload
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([37.0]))
        stub.add_response("get_metric_widget_image", {"MetricWidgetImage": PNG})
        assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert methods(slack) == ["chat.postMessage", "files.getUploadURLExternal"]
    assert [r["status"] for r in slack.requests if r["method"] == "upload"] == [500]
    assert_incident_open_and_posted(runtime)
    # The incident goes on as before: a repeat lands in its thread.
    repeat = sns_alarm(message_id="repeat-1", at="2026-11-22T09:50:10.000+0000")
    assert alarms.handle(repeat, runtime) == ["thread_repeat"]


def test_repeats_and_resolves_post_no_chart(
    runtime: Runtime, slack: SlackSink, cloudwatch: Any, at_alarm_time: Clock
) -> None:
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", metric_data([37.0]))
        stub.add_response("get_metric_widget_image", {"MetricWidgetImage": PNG})
        alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime)
        repeat = sns_alarm(message_id="repeat-1", at="2026-11-22T09:50:10.000+0000")
        ok = sns_alarm("OK", message_id="ok-1", at="2026-11-22T09:55:10.000+0000")
        assert alarms.handle(repeat, runtime) == ["thread_repeat"]
        assert alarms.handle(ok, runtime) == ["resolve"]
    assert methods(slack).count("files.completeUploadExternal") == 1
    assert len(cloudwatch.recorded) == 2


def test_moto_without_the_api_still_posts_the_alarm(
    runtime: Runtime, slack: SlackSink, at_alarm_time: Clock
) -> None:
    assert alarms.handle(load_event("sns-alarm-write-throttle.json"), runtime) == ["post_root"]
    assert methods(slack) == ["chat.postMessage"]
    assert slack.calls_to("chat.postMessage")[0]["channel"] == CHANNEL


def test_a_slow_image_is_abandoned_at_its_deadline() -> None:
    release = threading.Event()

    class SlowCloudWatch:
        def get_metric_widget_image(self, **_: Any) -> dict[str, Any]:
            release.wait(30)
            return {"MetricWidgetImage": PNG}

    try:
        assert widget_image(SlowCloudWatch(), {"metrics": []}, name="slow", timeout_s=0.05) is None
    finally:
        release.set()
