"""The embedded session: signed commands, button presses, alarms through SNS, replays, scripts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.local.event_files import detect_source
from bot.local.output import Output
from bot.local.session import LocalSession
from bot.local.startup import open_session
from bot.local.verbs import LOCAL_ADMIN, LineError
from tests.test_readme import code_blocks

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
VIEWER = "U0VIEWER9"


class Recorder(Output):
    """An Output that keeps what Slack would receive, and the session's notes."""

    def __init__(self) -> None:
        super().__init__(json_lines=True)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.notes: list[str] = []

    def slack(self, method: str, args: dict[str, Any]) -> None:
        self.received.append((method, args))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [args for m, args in self.received if m == method]

    def clear(self) -> None:
        self.received.clear()
        self.notes.clear()


@pytest.fixture
def output() -> Recorder:
    return Recorder()


@pytest.fixture
def session(output: Recorder) -> Iterator[LocalSession]:
    with open_session(output) as running:
        yield running


def user_backups(session: LocalSession) -> int:
    dynamodb = session.runtime.client("dynamodb", "us-west-2")
    return len(dynamodb.list_backups(TableName="orders")["BackupSummaries"])


def test_readme_console_example_runs_through_script_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = code_blocks("opsbot")
    path = tmp_path / "readme.opsbot"
    path.write_text(block, encoding="utf-8")

    code = main(["local", "--script", str(path)])

    out = capsys.readouterr()
    assert code == 0, out.err
    # The terminal rendering, not JSON: a header with its rule, fields side by side, buttons.
    assert "orders — us-west-2\n══════════════════" in out.out
    assert "Backups of orders" in out.out
    assert "[ Show more ]" in out.out
    assert "Prune plan for orders" in out.out
    assert "_dry run: nothing was deleted._" in out.out
    assert "changes to `orders`" in out.out  # the mention, answered in its thread


def test_tour_runs_every_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)  # the tour names event files relative to the repository

    code = main(["local", "--json", "--script", "examples/tour.opsbot"])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Traceback" not in out.err
    lines = [json.loads(line) for line in out.out.splitlines()]
    assert {"ack", "chat.postMessage", "chat.update", "response_url"} <= {
        line["method"] for line in lines
    }
    # The tour runs on its own clock: its who-changed lists the four changes on any day.
    texts = [str(line["args"].get("text", "")) for line in lines]
    assert any(text.startswith("4 changes to orders since 2026-11-15") for text in texts)


def test_press_confirm_runs_the_plan_only_for_its_requester(
    session: LocalSession, output: Recorder
) -> None:
    before = user_backups(session)
    session.execute("/ddb prune orders --apply")
    (plan,) = output.sent("chat.postMessage")
    assert "Prune plan for orders" in plan["text"] or "prune" in plan["text"].lower()
    output.clear()

    session.execute(f"as {VIEWER} press Confirm")  # not the requester: nothing happens
    assert user_backups(session) == before
    assert not output.sent("chat.update")

    session.execute("press Confirm")  # as the last command's user, the requester

    confirmed = " ".join(str(r.get("text")) for r in output.sent("response_url"))
    assert f"Confirmed by <@{LOCAL_ADMIN}>" in confirmed
    assert user_backups(session) < before
    with pytest.raises(LineError, match="no message shows a button labelled 'Confirm'"):
        session.execute("press Confirm")  # the plan's message no longer has the buttons


def test_a_confirmed_restore_says_the_restore_function_has_a_check_waiting(
    session: LocalSession, output: Recorder
) -> None:
    session.execute("/ddb restore orders --latest --to orders-copy")
    session.execute("press Confirm")
    waiting = "the restore function has 1 check waiting: `run watch` runs them"
    assert output.notes.count(waiting) == 1
    session.execute("/ddb restores")  # nothing new waiting: said once
    assert output.notes.count(waiting) == 1
    session.execute("run restore-watch")  # starts it, and check 1 waits
    assert output.notes.count(waiting) == 2
    session.execute("run restore-watch")  # done: nothing waits
    assert output.notes.count(waiting) == 2
    done = [m for m in output.sent("chat.postMessage") if "Restore done" in str(m.get("text"))]
    assert len(done) == 1


def test_a_viewer_is_denied_a_backup_and_nothing_is_taken(
    session: LocalSession, output: Recorder
) -> None:
    before = user_backups(session)

    ack = session.command("backup orders", user=VIEWER)

    # Group members are not cached yet, so the ack cannot decide; the worker does.
    assert "Checking your role" in ack["text"]
    (reply,) = output.sent("response_url")
    assert "needs the *operator* role; you have *viewer*" in reply["text"]
    assert user_backups(session) == before


def test_alarm_goes_through_sns_to_one_thread_updated_on_ok(
    session: LocalSession, output: Recorder
) -> None:
    session.execute("alarm orders-write-throttle ALARM")
    (posted,) = output.sent("chat.postMessage")
    assert "orders-write-throttle" in posted["text"]
    assert posted["channel"] == "#orders-oncall"  # the route in opsbot.toml

    session.execute("alarm orders-write-throttle ok")

    updates = output.sent("chat.update")
    assert updates
    assert updates[-1]["channel"] == "#orders-oncall"
    assert "RESOLVED" in json.dumps(updates[-1]["blocks"])
    with pytest.raises(LineError, match="alarm state must be one of OK, ALARM"):
        session.execute("alarm orders-write-throttle PANIC")


def test_a_missing_capability_is_reported_not_available(
    session: LocalSession, output: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(session._modules, "alarms", None)  # as if functions/alarms.py were absent

    session.execute(f"replay {EVENTS / 'sns-alarm-write-throttle.json'}")
    session.execute("alarm orders-system-errors ALARM")

    assert not output.sent("chat.postMessage")
    dropped = [n for n in output.notes if "not available in this version" in n]
    assert len(dropped) == 2
    # Dropped, not retried: the alarms queue is empty.
    sqs = session.runtime.client("sqs", "us-west-2")
    attributes = sqs.get_queue_attributes(
        QueueUrl=session.resources.alarms_queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_closing_a_session_restores_the_process(output: Recorder) -> None:
    import bot.slack.app

    assert "AWS_ENDPOINT_URL" not in os.environ
    running = open_session(output)
    runtime = running.runtime
    assert os.environ["AWS_ENDPOINT_URL"] == running.embedded.endpoint_url
    assert bot.runtime.default_runtime() is runtime
    running.command("help")
    assert bot.slack.app.app_for(runtime) is runtime.extras["bolt_app"]

    running.close()

    assert "AWS_ENDPOINT_URL" not in os.environ
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert bot.runtime._DEFAULT is None
    assert "bolt_app" not in runtime.extras
    running.close()  # closing twice is harmless


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sns-alarm-write-throttle.json", ("SNS alarm", "alarms")),
        ("sns-alarm-write-throttle-ok.json", ("SNS alarm", "alarms")),
        ("sns-cloudtrail-log-delivery.json", ("SNS CloudTrail log notice", "sns_inbox")),
        ("sns-aws-backup-job-completed.json", ("SNS", "sns_inbox")),
        ("eventbridge-alarm-replication-latency.json", ("EventBridge alarm", "alarms")),
        ("eventbridge-cloudtrail-pitr-disabled.json", ("EventBridge CloudTrail", "cloudtrail")),
        ("cloudtrail/create-table.json", ("EventBridge CloudTrail", "cloudtrail")),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_event_files_are_recognised_by_shape(name: str, expected: tuple[str, str]) -> None:
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))

    assert detect_source(event) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {"Records": [{"eventSource": "aws:sqs", "body": '{"kind": "command", "user": "U1"}'}]},
            ("SQS work item", "slack_worker"),
        ),
        (
            {"Records": [{"eventSource": "aws:sqs", "body": '{"job": "j1", "check": 2}'}]},
            ("SQS restore check", "restore_watcher"),
        ),
        (
            {"Records": [{"eventSource": "aws:sqs", "eventSourceARN": "arn:x:opsbot-prune"}]},
            ("SQS opsbot-prune", "prune_worker"),
        ),
        (
            {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
            ("EventBridge schedule", "prune_scheduler"),
        ),
    ],
    ids=["work-item", "restore-check", "prune-queue", "schedule"],
)
def test_sqs_and_schedule_events_go_to_their_consumers(
    event: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert detect_source(event) == expected


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ([1, 2], "an event is a JSON object, not list"),
        (
            {"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"},
            "no handler takes EventBridge events of detail-type "
            "'EC2 Instance State-change Notification'",
        ),
        (
            {"Records": [{"eventSource": "aws:kinesis"}]},
            "no handler takes records from aws:kinesis",
        ),
        (
            {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},
            "an SQS event whose body is neither a work item, a prune task nor a restore check",
        ),
    ],
    ids=["list", "other-detail-type", "kinesis-records", "unknown-sqs-body"],
)
def test_unrecognised_events_name_why(event: Any, reason: str) -> None:
    assert detect_source(event) == (None, reason)


def test_home_opens_the_app_home_of_the_user_who_asks(
    session: LocalSession, output: Recorder
) -> None:
    session.execute(f"as {VIEWER} home")

    (published,) = output.sent("views.publish")
    assert published["user_id"] == VIEWER
    assert published["view"]["type"] == "home"
    assert "tagged opsbot:watch" in json.dumps(published["view"]["blocks"])
    with pytest.raises(LineError, match="unknown line"):
        session.execute("home page")
