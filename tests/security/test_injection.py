"""mrkdwn and link injection: no event or AWS string can ping, link or spoof in Slack.

Two sweeps. (1) Every string leaf of every sample event in tests/events/ (including the JSON
inside SNS messages) is replaced by, and then suffixed with, every payload at once, and
the event goes through the same parse and render steps as its handler. (2) Every public
`render_*` function in bot/render/ is called with synthetic domain objects whose
free-text fields hold each hostile value in turn, and text hypothesis makes up. Either way,
the output may only hold the `<...>` tokens we build: console links, Slack permalinks and
the Slack-signed user who asked; and, compared with the same message rendered with a plain
word of the same shape, no field may add a line, a quote, a formatting marker outside code
or any control, bidi or zero-width character (tests.security.slack_text.assert_contained).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.render
from bot.domain.alarm_events import AlarmEvent
from bot.domain.alarm_messages import (
    ALARM_DETAIL_TYPES,
    parse_eventbridge_alarm,
    parse_sns_alarm,
)
from bot.domain.audit import AuditEvent, normalize, normalize_log_file
from bot.domain.backup_events import is_backup_event, parse_backup_event
from bot.domain.backup_notices import parse_backup_notice
from bot.domain.errors import InvalidValue, OpsbotError
from bot.domain.s3_notices import is_s3_notification, log_file_notices
from bot.domain.sns_inbox import (
    ALARM,
    BACKUP_JOB,
    S3_OBJECTS,
    classify_sns,
    decode_alarm,
    json_object,
    sns_messages,
)
from bot.render import alarm_replies, alarms, audit, notices
from bot.render.message import Message
from tests.security.renderer_cases import APPROVER, MULTILINE_CASES, NOW, RENDERERS, REQUESTER
from tests.security.slack_text import (
    ALL_PAYLOADS,
    HOSTILE,
    PAYLOADS,
    assert_contained,
    assert_safe,
    plain_word,
)

EVENTS = Path(__file__).parent.parent / "events"
TRUSTED = frozenset({REQUESTER, APPROVER})


# --- (1) every string of every sample event -------------------------------------------------


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of string leaves; a string holding a JSON object is walked into (SNS Message)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    elif isinstance(node, str):
        inner = _json_object(node)
        if inner is not None:
            yield from _leaves(inner, (*path, "<json>"))
        else:
            yield path


def _json_object(text: str) -> Any:
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _with(node: Any, path: tuple[Any, ...], change: Callable[[str], str]) -> Any:
    """A copy of ``node`` with the leaf at ``path`` changed."""
    if not path:
        return change(node)
    head, rest = path[0], path[1:]
    if head == "<json>":
        return json.dumps(_with(json.loads(node), rest, change))
    copied = copy.copy(node)
    copied[head] = _with(node[head], rest, change)
    return copied


def _alarm_messages(event: AlarmEvent) -> list[Message]:
    opened = NOW - timedelta(minutes=30)
    return [
        alarms.render_alarm(
            event,
            now=NOW,
            datapoints=event.recent_datapoints,
            incident_opened_at=opened,
            mention=None,
        ),
        alarms.render_resolved(event, opened_at=opened, now=NOW),
        alarm_replies.render_thread_repeat(event, NOW),
        alarm_replies.render_resolved_reply(event, opened, NOW),
        alarm_replies.render_late_reply(event, timedelta(hours=1)),
    ]


def _alarm_event_messages(event: AlarmEvent) -> list[Message]:
    """An alarm's messages, and a contributor's thread reply when it is one."""
    rendered = _alarm_messages(event)
    if event.contributor is not None:
        rendered.append(alarm_replies.render_contributor(event, NOW))
    return rendered


def _s3_messages(message: dict[str, Any]) -> list[Message]:
    """S3 names a bucket and keys, which reach Slack when the bucket cannot be read."""
    return [
        notices.render_trail_unreadable(notice.bucket, key, "AccessDenied", now=NOW)
        for notice in log_file_notices(message)
        for key in (*notice.keys, *notice.skipped)
    ]


def _audit_messages(events: list[AuditEvent]) -> list[Message]:
    rendered = [audit.render_audit_notice(e, now=NOW) for e in events]
    if events:
        rendered.append(
            audit.render_who_changed(
                "orders", events, now=NOW, source="history", since=NOW - timedelta(days=7)
            )
        )
    return rendered


def _is_sns(event: dict[str, Any]) -> bool:
    records = event["Records"]
    return isinstance(records, list) and any(isinstance(r, dict) and "Sns" in r for r in records)


def messages_for(event: Any) -> list[Message]:
    """What the event's handler would post, built by the same parse and render steps."""
    try:
        if isinstance(event, dict) and (
            event.get("detail-type") in ALARM_DETAIL_TYPES or "alarmData" in event
        ):
            return _alarm_event_messages(parse_eventbridge_alarm(event))
        if isinstance(event, dict) and is_s3_notification(event):
            return _s3_messages(event)
        if isinstance(event, dict) and "detail-type" in event:
            found = normalize(event, include_read_only=True, include_data_events=True)
            return _audit_messages([found] if found else [])
        if isinstance(event, dict) and "Records" in event and not _is_sns(event):
            return _audit_messages(
                normalize_log_file(event, include_read_only=True, include_data_events=True)
            )
        rendered: list[Message] = []
        for message in sns_messages(event):
            if isinstance(message, InvalidValue):
                continue
            kind = classify_sns(message.text, message.subject, message.attributes)
            if kind == ALARM:
                alarm = parse_sns_alarm(
                    decode_alarm(message.text),
                    message_id=message.message_id,
                    topic_arn=message.topic_arn,
                )
                rendered += _alarm_event_messages(alarm)
            elif kind == S3_OBJECTS:
                rendered += _s3_messages(decode_alarm(message.text))
            elif kind == BACKUP_JOB:
                decoded = json_object(message.text)
                if decoded is not None and is_backup_event(decoded):
                    notice = parse_backup_event(decoded, topic_arn=message.topic_arn)
                else:
                    notice = parse_backup_notice(
                        message.text,
                        message.attributes,
                        topic_arn=message.topic_arn,
                        timestamp=message.timestamp,
                    )
                rendered.append(notices.render_backup_notice(notice, now=NOW))
            else:
                rendered.append(
                    notices.render_plain_notice(
                        message.subject,
                        message.text,
                        topic_arn=message.topic_arn,
                        now=NOW,
                        sent_at=message.timestamp,
                    )
                )
        return rendered
    except OpsbotError:
        return []  # dropped with a reason by the handler: nothing reaches Slack


EVENT_FILES = sorted(EVENTS.rglob("*.json"))


def _sns(subject: str | None, message: str) -> dict[str, Any]:
    """An SNS delivery of a plain-text message, as any publisher to the inbox may send it."""
    sns = {
        "Type": "Notification",
        "MessageId": "00000000-0000-4000-8000-0000000000bb",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:deploys",
        "Subject": subject,
        "Message": message,
        "Timestamp": "2026-11-22T09:42:10.456Z",
        "MessageAttributes": {},
    }
    return {"Records": [{"EventSource": "aws:sns", "Sns": sns}]}


# The sample events hold no plain-text SNS message (the inbox's catch-all): two made here.
SAMPLE_EVENTS: dict[str, Any] = {
    **{p.stem: p for p in EVENT_FILES},
    "sns-plain-text": _sns("Deploy finished", "Release 2026.11.22 is live.\nNothing to do."),
    "sns-plain-json": _sns(None, json.dumps({"status": "ok", "note": "all good"})),
}
# Leaves whose text keeps its line breaks: SNS bodies and alarm descriptions.
MULTILINE_LEAVES = {"Message", "AlarmDescription", "description"}


def _sample(name: str) -> Any:
    found = SAMPLE_EVENTS[name]
    return json.loads(found.read_text(encoding="utf-8")) if isinstance(found, Path) else found


def _replaced_by(text: str) -> Callable[[str], str]:
    return lambda _: text


def _suffixed_with(text: str) -> Callable[[str], str]:
    return lambda leaf: leaf + text


@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_no_string_of_a_sample_event_can_draw_lines_or_formatting(name: str) -> None:
    """Every hostile value at once (HOSTILE["all"]); the renderer sweep takes them one by one."""
    original = _sample(name)
    if name not in QUIET_EVENTS:
        assert messages_for(original), "the untouched event must render something"
    hostile, plain = HOSTILE["all"], plain_word(HOSTILE["all"])
    for leaf in _leaves(original):
        if leaf[-1] in AWS_AUTHORED:
            continue
        for change in (_replaced_by, _suffixed_with):
            shown = messages_for(_with(original, leaf, change(hostile)))
            expected = messages_for(_with(original, leaf, change(plain)))
            assert len(shown) == len(expected), leaf
            for message, like in zip(shown, expected, strict=True):
                assert_safe(message)
                assert_contained(message, like, multiline=leaf[-1] in MULTILINE_LEAVES)


# Written by the AWS service itself, not by the caller: CloudTrail's awsRegion and the
# EventBridge envelope's region. The domain accepts only region codes there; the two
# tests below forge them.
AWS_AUTHORED = {"awsRegion", "region"}
# Handled without a word to Slack: S3's test message is ignored quietly.
QUIET_EVENTS = {"sns-s3-test-event"}


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.stem for p in EVENT_FILES])
def test_no_string_of_a_sample_event_can_ping_or_link(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    if path.stem not in QUIET_EVENTS:
        assert messages_for(original), "the untouched event must render something"
    for leaf in _leaves(original):
        if leaf[-1] in AWS_AUTHORED:
            continue
        for change in (lambda _: ALL_PAYLOADS, lambda s: s + ALL_PAYLOADS):
            for message in messages_for(_with(original, leaf, change)):
                assert_safe(message)


def _forged_alarm(region: str) -> dict[str, Any]:
    """An EventBridge-shaped alarm without an alarm ARN, as anyone may publish it to SNS."""
    event = json.loads((EVENTS / "eventbridge-alarm-replication-latency.json").read_text())
    event["resources"] = []
    event["region"] = region
    return dict(event)


@pytest.mark.parametrize("payload", ["x|<!channel>", "<!here>"], ids=["pipe-channel", "here"])
def test_an_alarm_published_to_sns_with_a_forged_region_cannot_ping(payload: str) -> None:
    sns = {
        "Records": [
            {
                "Sns": {
                    "MessageId": "00000000-0000-4000-8000-0000000000aa",
                    "TopicArn": "arn:aws:sns:us-west-2:123456789012:opsbot-inbox",
                    "Message": json.dumps(_forged_alarm(f"us-west-2{payload}")),
                }
            }
        ]
    }
    rendered = messages_for(sns)
    assert rendered
    for message in rendered:
        assert_safe(message)


def test_a_cloudtrail_record_with_a_forged_region_cannot_ping() -> None:
    event = json.loads((EVENTS / "eventbridge-cloudtrail-pitr-disabled.json").read_text())
    event["detail"]["awsRegion"] = "x|<!channel>"
    for message in messages_for(event):
        assert_safe(message)


# --- (2) every renderer, with hostile text in every free-text field --------------------------
# The cases are in tests/security/renderer_cases.py: one function of the text per renderer.

hostile = st.one_of(
    st.sampled_from((*PAYLOADS, ALL_PAYLOADS)),
    st.text(alphabet=st.sampled_from("<>&|!@#^*_~`:/ abcUC0123.-"), min_size=1, max_size=40),
)


def _public_renderers() -> set[str]:
    found = set()
    for module in pkgutil.iter_modules(bot.render.__path__):
        loaded = importlib.import_module(f"bot.render.{module.name}")
        for name, fn in inspect.getmembers(loaded, inspect.isfunction):
            if name.startswith("render_") and fn.__module__ == loaded.__name__:
                found.add(f"{module.name}.{name}")
    return found


def test_every_public_renderer_is_in_the_injection_sweep() -> None:
    named = {name.partition("(")[0] for name in RENDERERS}
    missing = _public_renderers() - named
    assert not missing, f"add a case to RENDERERS for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(RENDERERS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile)
def test_no_renderer_lets_hostile_text_ping_or_link(name: str, text: str) -> None:
    assert_safe(RENDERERS[name](text), trusted_users=TRUSTED)


@pytest.mark.parametrize("payload", sorted(HOSTILE))
@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_renderer_lets_a_field_draw_lines_or_formatting(name: str, payload: str) -> None:
    text = HOSTILE[payload]
    shown = RENDERERS[name](text)
    assert_safe(shown, trusted_users=TRUSTED)
    assert_contained(shown, RENDERERS[name](plain_word(text)), multiline=name in MULTILINE_CASES)


spoofing = st.text(
    alphabet=st.sampled_from(
        "<>&|!@*_~`:/ abc0.-\n\r\t\x00\x1b\x85\u2028\u2029\u202e\u2066\u200b\u200d\ufeff"
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("name", sorted(RENDERERS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=spoofing)
def test_no_renderer_lets_made_up_text_draw_lines_or_formatting(name: str, text: str) -> None:
    shown = RENDERERS[name](text)
    assert_contained(shown, RENDERERS[name](plain_word(text)), multiline=name in MULTILINE_CASES)
