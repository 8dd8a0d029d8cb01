"""The local runtime as an on-call engineer uses it by hand: `quit`, a mention line, a PITR
window that is real, backup names that stay put, and a Copy settings that copies what it
should, once."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cli import console
from bot.local.session import LocalSession
from bot.local.startup import open_session
from tests.local.test_session import Recorder

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def output() -> Recorder:
    return Recorder()


@pytest.fixture
def session(output: Recorder) -> Iterator[LocalSession]:
    with open_session(output, start=START) as running:
        yield running


@pytest.mark.parametrize("word", ["quit", "exit", "  QUIT  "])
def test_quit_and_exit_end_the_console(session: LocalSession, output: Recorder, word: str) -> None:
    assert console(session, stdin=io.StringIO(f"{word}\n/ddb status orders\n")) == 0
    assert output.sent("ack") == []


def test_a_mention_line_goes_through_the_events_api_and_answers_in_its_thread(
    session: LocalSession, output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack_http = session.function_module("slack_http")
    assert slack_http is not None
    delivered: list[dict[str, Any]] = []
    handle = slack_http.handle

    def spy(event: dict[str, Any], runtime: Any) -> Any:
        delivered.append(event)
        return handle(event, runtime)

    monkeypatch.setattr(slack_http, "handle", spy)
    session.execute("@opsbot status orders")
    (event,) = delivered
    assert event["headers"]["x-slack-signature"].startswith("v0=")
    body = json.loads(event["body"])
    assert body["type"] == "event_callback"
    assert body["event"]["type"] == "app_mention"
    assert body["event"]["text"].endswith("status orders")
    (answer,) = output.sent("chat.postMessage")
    assert answer["thread_ts"] == body["event"]["ts"]
    assert answer["text"].startswith("orders in us-west-2: ACTIVE")


def test_a_mention_line_can_be_said_as_another_user(
    session: LocalSession, output: Recorder
) -> None:
    session.execute("as U0VIEWER9 @opsbot backup orders")
    (denied,) = output.sent("chat.postEphemeral")
    assert denied["user"] == "U0VIEWER9"
    assert "needs the *operator* role" in denied["text"]


def window(session: LocalSession) -> dict[str, Any]:
    dynamodb = session.runtime.client("dynamodb", "us-west-2")
    answer = dynamodb.describe_continuous_backups(TableName="orders")
    return dict(answer["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"])


def test_the_sample_pitr_window_is_days_long_and_moves_with_the_clock(
    session: LocalSession,
) -> None:
    first = window(session)
    now = session.clock.now()
    assert first["PointInTimeRecoveryStatus"] == "ENABLED"
    assert now - first["EarliestRestorableDateTime"] >= timedelta(days=34)
    assert abs(now - timedelta(minutes=5) - first["LatestRestorableDateTime"]) < timedelta(
        minutes=1
    )
    session.execute("clock +2h")
    later = window(session)
    moved = later["LatestRestorableDateTime"] - first["LatestRestorableDateTime"]
    assert timedelta(hours=2) - timedelta(minutes=1) < moved < timedelta(hours=2, minutes=1)
    assert later["EarliestRestorableDateTime"] > first["EarliestRestorableDateTime"]


def test_restoring_to_two_hours_ago_is_planned_not_refused(
    session: LocalSession, output: Recorder
) -> None:
    session.execute("clock +1h")
    session.execute('/ddb restore orders --at "2h ago"')
    shown = json.dumps(output.received, ensure_ascii=False)
    assert "outside the restorable window" not in shown
    (plan,) = [m for m in output.sent("chat.postMessage") if "Start restore" in json.dumps(m)]
    asked = "2026-11-22 08:00 UTC"
    assert f"{asked} (2 h ago)" in json.dumps(plan, ensure_ascii=False)
    for line in ("press Confirm", "run restore-watch", "run restore-watch"):
        session.execute(line)
    (done,) = [m for m in output.sent("chat.postMessage") if "Restore done" in m["text"]]
    assert f"(data as of {asked})" in json.dumps(done, ensure_ascii=False)


def backup_names(session: LocalSession) -> set[str]:
    dynamodb = session.runtime.client("dynamodb", "us-west-2")
    return {b["BackupName"] for b in dynamodb.list_backups(TableName="orders")["BackupSummaries"]}


def test_sample_backup_names_are_the_same_whatever_day_the_session_starts() -> None:
    seen = []
    for start in (START, datetime(2027, 3, 5, 17, 30, tzinfo=UTC)):
        with open_session(Recorder(), start=start) as running:
            seen.append(backup_names(running))
    assert seen[0] == seen[1]
    assert "orders-nightly-d003" in seen[0]


def aws_calls(session: LocalSession) -> Counter[str]:
    calls: Counter[str] = Counter()
    session.runtime.clients.on_event(
        "before-call.*.*", lambda event_name, **_: calls.update([event_name.rsplit(".", 1)[-1]])
    )
    return calls


def test_copy_settings_leaves_opsbots_own_tags_and_runs_once(
    session: LocalSession, output: Recorder
) -> None:
    for line in (
        "/ddb restore orders --latest --to orders-copy",
        "press Confirm",
        "run restore-watch",
        "run restore-watch",
    ):
        session.execute(line)
    calls = aws_calls(session)
    session.execute("press Copy settings")
    dynamodb = session.runtime.client("dynamodb", "us-west-2")
    arn = dynamodb.describe_table(TableName="orders-copy")["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "payments"}
    (copied,) = [m for m in output.sent("chat.postMessage") if ":clipboard:" in m["text"]]
    assert "1 tag" in copied["text"]
    assert "opsbot:" in json.dumps(copied)  # says which tags it left, and why
    writes = calls["TagResource"] + calls["UpdateContinuousBackups"] + calls["UpdateTable"]
    assert writes >= 1

    output.clear()
    calls.clear()
    session.execute("press Copy settings")
    assert calls["TagResource"] + calls["UpdateContinuousBackups"] + calls["UpdateTable"] == 0
    shown = json.dumps(output.received, ensure_ascii=False)
    assert "already copied" in shown
    assert ":clipboard:" not in shown
