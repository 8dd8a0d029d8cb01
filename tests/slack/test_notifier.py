"""The notifier against a local Slack: retries, limits, response_url fallbacks, group cache."""

from __future__ import annotations

import pytest

from bot.local.slack_sink import SlackSink
from bot.render.limits import MAX_BLOCKS, TRUNCATED
from bot.render.message import Message, section
from bot.slack.notifier import Notifier, build_web_client
from tests.conftest import BOT_TOKEN, OPERATOR, VIEWER

GROUPS = frozenset({"S0DBAOPS1"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def notifier(slack: SlackSink) -> Notifier:
    return Notifier(build_web_client(BOT_TOKEN, base_url=slack.base_url))


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, 1), (500, 0), (503, 0)],
    ids=["rate-limited-with-retry-after", "server-error", "unavailable"],
)
def test_a_failed_post_is_retried_and_delivered_exactly_once(
    slack: SlackSink, notifier: Notifier, status: int, retry_after: int
) -> None:
    slack.fail_next(1, status=status, retry_after=retry_after)
    posted = notifier.post("C0OPSBOT1", Message(text="hello", blocks=(section("hello"),)))
    assert [r["status"] for r in slack.requests] == [status, 200]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.messages[("C0OPSBOT1", posted.ts)]["text"] == "hello"


def test_an_oversize_message_is_cut_not_refused(slack: SlackSink, notifier: Notifier) -> None:
    blocks = tuple(section("x" * 5000) for _ in range(70))
    posted = notifier.post("C0OPSBOT1", Message(text="big", blocks=blocks))
    stored = slack.messages[("C0OPSBOT1", posted.ts)]["blocks"]
    assert len(stored) == MAX_BLOCKS
    assert stored[0]["text"]["text"].endswith(TRUNCATED)
    assert "21 more blocks not shown" in stored[-1]["elements"][0]["text"]


def test_post_in_a_thread_with_broadcast(slack: SlackSink, notifier: Notifier) -> None:
    parent = notifier.post("C0OPSBOT1", Message(text="parent"))
    notifier.post("C0OPSBOT1", Message(text="reply"), thread_ts=parent.ts, broadcast=True)
    (args,) = slack.calls_to("chat.postMessage")[1:]
    assert args["thread_ts"] == parent.ts
    assert args["reply_broadcast"] in (True, "true", "1", "True")
    assert [m["text"] for m in slack.thread("C0OPSBOT1", parent.ts)] == ["reply"]


@pytest.mark.parametrize(
    ("ephemeral", "replace", "expected_type"),
    [(True, False, "ephemeral"), (False, True, "in_channel")],
    ids=["ephemeral", "in-channel-replacing"],
)
def test_respond_posts_to_the_response_url(
    slack: SlackSink, notifier: Notifier, ephemeral: bool, replace: bool, expected_type: str
) -> None:
    url = slack.response_url("r1")
    assert notifier.respond(
        url, Message(text="done", ephemeral=ephemeral), replace_original=replace
    )
    (body,) = slack.responses("r1")
    assert body["text"] == "done"
    assert body["response_type"] == expected_type
    assert body.get("replace_original", False) is replace


def test_reply_uses_the_response_url_while_it_works(slack: SlackSink, notifier: Notifier) -> None:
    url = slack.response_url("r2")
    notifier.reply(Message(text="hi", ephemeral=True), response_url=url, channel="C1", user=VIEWER)
    assert len(slack.responses("r2")) == 1
    assert slack.calls_to("chat.postEphemeral") == []


def test_reply_falls_back_to_ephemeral_when_the_response_url_is_refused(
    slack: SlackSink, notifier: Notifier
) -> None:
    url = slack.response_url("used-up")
    for _ in range(slack.response_url_max_uses):
        assert notifier.respond(url, Message(text="filler"))
    assert not notifier.respond(url, Message(text="one too many"))
    notifier.reply(
        Message(text="fallback", ephemeral=True), response_url=url, channel="C0OPSBOT1", user=VIEWER
    )
    (args,) = slack.calls_to("chat.postEphemeral")
    assert (args["channel"], args["user"], args["text"]) == ("C0OPSBOT1", VIEWER, "fallback")


def test_reply_without_response_url_posts_a_visible_message_in_channel(
    slack: SlackSink, notifier: Notifier
) -> None:
    notifier.reply(Message(text="public"), response_url=None, channel="C0OPSBOT1", user=VIEWER)
    (args,) = slack.calls_to("chat.postMessage")
    assert args["channel"] == "C0OPSBOT1"


def test_groups_of_caches_until_the_ttl_passes(slack: SlackSink) -> None:
    clock = FakeClock()
    notifier = Notifier(
        build_web_client(BOT_TOKEN, base_url=slack.base_url), group_ttl_s=600, clock=clock
    )
    assert notifier.groups_of(OPERATOR, GROUPS) == GROUPS
    assert len(slack.calls_to("usergroups.users.list")) == 1
    assert notifier.groups_of(VIEWER, GROUPS) == frozenset()
    clock.now += 599
    assert notifier.groups_of(OPERATOR, GROUPS) == GROUPS
    assert len(slack.calls_to("usergroups.users.list")) == 1
    assert notifier.cached_groups(OPERATOR, GROUPS) == GROUPS
    clock.now += 2
    assert notifier.cached_groups(OPERATOR, GROUPS) is None
    assert notifier.groups_of(OPERATOR, GROUPS) == GROUPS
    assert len(slack.calls_to("usergroups.users.list")) == 2
