"""The local Slack Web API: slack_sdk talks to it as to Slack, and it remembers everything."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.local.slack_sink import SlackSink, start_slack_sink
from bot.render.message import Message, header, section

TOKEN = "xoxb-local-test"
TS = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def sink() -> Iterator[SlackSink]:
    with start_slack_sink(
        start_ts=1763800000,
        usergroups={"S0OPS": ["U0ALICE", "U0BOB"]},
        users={"U0ALICE": {"name": "alice", "real_name": "Alice Ops", "tz": "Europe/Paris"}},
        channels={"C0ALARMS": "alarms"},
    ) as running:
        yield running


@pytest.fixture
def client(sink: SlackSink) -> WebClient:
    return WebClient(token=TOKEN, base_url=sink.base_url)


def _ts_value(ts: str) -> float:
    return float(ts)


def test_post_message_answers_like_slack_and_is_recorded(
    sink: SlackSink, client: WebClient
) -> None:
    message = Message(
        text="orders is throttled",
        blocks=(header("ALARM orders"), section("*WriteThrottleEvents* ≥ 1")),
    )

    response = client.chat_postMessage(channel="C0ALARMS", **message.as_args())

    assert response["ok"] is True
    assert response["channel"] == "C0ALARMS"
    assert TS.match(response["ts"])
    assert response["message"]["text"] == "orders is throttled"
    assert response["message"]["blocks"] == message.as_args()["blocks"]
    assert sink.calls == [
        {
            "method": "chat.postMessage",
            "args": {"channel": "C0ALARMS", **message.as_args()},
        }
    ]
    stored = sink.messages[("C0ALARMS", response["ts"])]
    assert stored["text"] == "orders is throttled"
    assert stored["edited"] is False


def test_ts_increase_from_the_start_value(sink: SlackSink, client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(3)]

    assert stamps == sorted(stamps, key=_ts_value)
    assert len(set(stamps)) == 3
    assert _ts_value(stamps[0]) >= 1763800000


def test_channel_name_resolves_to_its_id(sink: SlackSink, client: WebClient) -> None:
    response = client.chat_postMessage(channel="#alarms", text="hi")

    assert response["channel"] == "C0ALARMS"
    assert ("C0ALARMS", response["ts"]) in sink.messages


def test_update_applies_to_the_stored_message(sink: SlackSink, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="ALARM")["ts"]

    response = client.chat_update(channel="C1", ts=ts, text="OK", blocks=[section("resolved")])

    assert response["ok"] is True
    stored = sink.messages[("C1", ts)]
    assert (stored["text"], stored["edited"]) == ("OK", True)
    assert stored["blocks"] == [section("resolved")]
    with pytest.raises(SlackApiError) as error:
        client.chat_update(channel="C1", ts="1.000001", text="nope")
    assert error.value.response["error"] == "message_not_found"


def test_thread_replies_are_kept_under_their_parent(sink: SlackSink, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="ALARM")["ts"]
    first = client.chat_postMessage(channel="C1", text="still throttled", thread_ts=parent)["ts"]
    second = client.chat_postMessage(channel="C1", text="and again", thread_ts=parent)["ts"]

    replies = sink.thread("C1", parent)

    assert [(r["ts"], r["text"]) for r in replies] == [
        (first, "still throttled"),
        (second, "and again"),
    ]
    assert sink.messages[("C1", parent)]["reply_count"] == 2
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="orphan", thread_ts="1.000001")
    assert error.value.response["error"] == "thread_not_found"


def test_delete_removes_the_message(sink: SlackSink, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="oops")["ts"]

    client.chat_delete(channel="C1", ts=ts)

    assert ("C1", ts) not in sink.messages


def test_ephemeral_is_recorded_but_not_stored_as_a_channel_message(
    sink: SlackSink, client: WebClient
) -> None:
    response = client.chat_postEphemeral(channel="C1", user="U0ALICE", text="only you")

    assert TS.match(response["message_ts"])
    assert sink.messages == {}
    assert sink.calls_to("chat.postEphemeral") == [
        {"channel": "C1", "user": "U0ALICE", "text": "only you"}
    ]


def test_views_publish_keeps_the_home_tab(sink: SlackSink, client: WebClient) -> None:
    view = {"type": "home", "blocks": [section("Hello")]}

    response = client.views_publish(user_id="U0ALICE", view=view)

    assert response["view"]["type"] == "home"
    assert sink.home_views["U0ALICE"]["blocks"] == [section("Hello")]


def test_lookups_answer_from_configuration(sink: SlackSink, client: WebClient) -> None:
    assert client.usergroups_users_list(usergroup="S0OPS")["users"] == ["U0ALICE", "U0BOB"]
    user = client.users_info(user="U0ALICE")["user"]
    assert (user["name"], user["real_name"], user["tz"]) == ("alice", "Alice Ops", "Europe/Paris")
    assert client.conversations_info(channel="C0ALARMS")["channel"]["name"] == "alarms"
    assert client.auth_test()["user_id"] == "U0OPSBOT"
    with pytest.raises(SlackApiError) as missing_group:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert missing_group.value.response["error"] == "no_such_subteam"
    with pytest.raises(SlackApiError) as missing_user:
        client.users_info(user="U0NOBODY")
    assert missing_user.value.response["error"] == "user_not_found"


def test_form_encoded_blocks_are_decoded(sink: SlackSink, client: WebClient) -> None:
    blocks = [section("from a form")]

    client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)}
    )

    assert sink.calls_to("chat.postMessage")[0]["blocks"] == blocks


def test_unknown_method_is_an_error(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.api_call("chat.scheduleMessage", json={"channel": "C1", "text": "later"})

    assert error.value.response["error"] == "unknown_method"


def test_token_is_checked_when_configured() -> None:
    with start_slack_sink(token=TOKEN) as guarded:
        ok = WebClient(token=TOKEN, base_url=guarded.base_url).auth_test()
        with pytest.raises(SlackApiError) as error:
            WebClient(token="xoxb-wrong", base_url=guarded.base_url).auth_test()

    assert ok["ok"] is True
    assert error.value.response["error"] == "invalid_auth"
    assert [c["method"] for c in guarded.calls] == ["auth.test"]


def test_rate_limit_is_retried_after_retry_after(
    sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers.time, "sleep", slept.append)
    client = WebClient(
        token=TOKEN,
        base_url=sink.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    sink.fail_next(2, status=429, retry_after=7)

    response = client.chat_postMessage(channel="C1", text="eventually")

    assert response["ok"] is True
    assert [r["status"] for r in sink.requests] == [429, 429, 200]
    assert len(sink.calls) == 1
    assert len(slept) == 2
    assert all(7 <= s < 8 for s in slept)


def test_rate_limit_without_retry_handler_surfaces(sink: SlackSink, client: WebClient) -> None:
    sink.fail_next(1, status=429, retry_after=3)

    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="too fast")

    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "3"
    assert sink.calls == []
    assert sink.messages == {}


def test_server_error_is_retried_by_the_server_error_handler(
    sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtin_handlers.time, "sleep", lambda _: None)
    client = WebClient(
        token=TOKEN, base_url=sink.base_url, retry_handlers=[ServerErrorRetryHandler(1)]
    )
    sink.fail_next(1, status=500)

    client.chat_postMessage(channel="C1", text="after a 500")

    assert [r["status"] for r in sink.requests] == [500, 200]
    assert len(sink.messages) == 1


def test_response_url_records_replies_and_replaces_the_original(
    sink: SlackSink, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="Confirm prune?")["ts"]
    url = sink.response_url("r-1", channel="C1", ts=ts)

    reply = WebhookClient(url).send(text="Pruned 3 backups", replace_original=True)

    assert reply.status_code == 200
    assert sink.responses("r-1") == [{"text": "Pruned 3 backups", "replace_original": True}]
    assert sink.messages[("C1", ts)]["text"] == "Pruned 3 backups"
    assert sink.calls[-1]["method"] == "response_url"


def test_response_url_allows_five_uses(sink: SlackSink) -> None:
    webhook = WebhookClient(sink.response_url("r-2"))

    statuses = [webhook.send(text=str(n)).status_code for n in range(6)]

    assert statuses == [200, 200, 200, 200, 200, 404]
    assert len(sink.responses("r-2")) == 5


def test_on_call_hook_sees_each_call_with_its_result(client: WebClient) -> None:
    seen: list[dict[str, Any]] = []
    with start_slack_sink(on_call=seen.append) as hooked:
        hooked_client = WebClient(token=TOKEN, base_url=hooked.base_url)
        ts = hooked_client.chat_postMessage(channel="C1", text="hello")["ts"]
        hooked_client.chat_update(channel="C1", ts=ts, text="hello again")

    assert [c["method"] for c in seen] == ["chat.postMessage", "chat.update"]
    assert seen[0]["result"]["ts"] == ts
    assert seen[1]["args"]["text"] == "hello again"


def test_a_failing_hook_does_not_fail_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def explode(call: dict[str, Any]) -> None:
        raise RuntimeError("console broke")

    with start_slack_sink(on_call=explode) as hooked:
        response = WebClient(token=TOKEN, base_url=hooked.base_url).auth_test()

    assert response["ok"] is True
    assert "on_call hook failed" in caplog.text


def test_concurrent_posts_all_get_distinct_ts(sink: SlackSink) -> None:
    stamps: list[str] = []
    lock = threading.Lock()

    def post(n: int) -> None:
        ts = WebClient(token=TOKEN, base_url=sink.base_url).chat_postMessage(
            channel="C1", text=str(n)
        )["ts"]
        with lock:
            stamps.append(ts)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(stamps)) == 20
    assert len(sink.calls) == 20
    assert len(sink.messages) == 20


def test_stop_closes_the_port() -> None:
    stopped = start_slack_sink()
    port = stopped.port
    assert stopped.base_url == f"http://127.0.0.1:{port}/api/"

    stopped.stop()

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


# --- file uploads (files_upload_v2) ------------------------------------------------------------


def test_files_upload_v2_runs_its_three_steps_and_shares_the_file_in_the_thread(
    sink: SlackSink, client: WebClient
) -> None:
    root = client.chat_postMessage(channel="C0ALARMS", text="ALARM")
    png = b"\x89PNG\r\n\x1a\nchart"
    answer = client.files_upload_v2(
        channel="C0ALARMS",
        thread_ts=root["ts"],
        content=png,
        filename="chart.png",
        title="orders — last 3 hours",
        alt_txt="the chart",
    )
    assert answer["file"]["title"] == "orders — last 3 hours"
    assert [c["method"] for c in sink.calls][1:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    (stored,) = sink.files.values()
    assert stored["data"] == png
    assert stored["alt_txt"] == "the chart"
    (reply,) = sink.thread("C0ALARMS", root["ts"])
    assert reply["files"][0]["title"] == "orders — last 3 hours"


def test_completing_an_upload_whose_bytes_never_arrived_is_refused(
    sink: SlackSink, client: WebClient
) -> None:
    url = client.files_getUploadURLExternal(filename="chart.png", length=5)
    assert url["upload_url"].startswith(f"http://127.0.0.1:{sink.port}/upload/")
    files = [{"id": url["file_id"], "title": "chart"}]
    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(files=files, channel_id="C0ALARMS")
    assert refused.value.response["error"] == "file_not_found"
