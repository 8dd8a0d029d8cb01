"""`opsbot local --script`, `opsbot replay` and `opsbot check-config`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from slack_bolt import App

import bot.local.socket_mode as socket_mode_module
from bot.cli import main
from bot.runtime import default_runtime

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every stdout line parsed; fails the test if one is not a JSON object."""
    parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(set(line) == {"method", "args"} for line in parsed)
    return parsed


def script(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "test.opsbot"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_status_orders_answers_from_the_embedded_aws_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["local", "--json", "--script", script(tmp_path, "/ddb status orders")])

    out = capsys.readouterr()
    assert code == 0, out.err
    lines = json_lines(out.out)
    ack = lines[0]
    assert ack["method"] == "ack"
    assert ack["args"]["response_type"] == "ephemeral"
    assert "Working on `/ddb status orders`" in ack["args"]["text"]
    (reply,) = [line["args"] for line in lines if line["method"] == "response_url"]
    # The sample data: orders in us-west-2, on-demand, 12 items, PITR on, newest backup 1 h old.
    assert reply["text"] == "orders in us-west-2: ACTIVE, PITR on"
    assert reply["response_type"] == "in_channel"
    shown = json.dumps(reply["blocks"])
    assert "*Items*\\n12" in shown
    assert "on demand" in shown
    assert "orders-nightly-" in shown


def test_a_line_that_cannot_run_fails_the_script_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        "# a comment, then a good line",
        "/ddb help",
        "frobnicate the tables",
        "press Launch",
        "alarm no-such-alarm ALARM",
    )

    code = main(["local", "--json", "--script", path])

    out = capsys.readouterr()
    assert code == 1
    assert f"{path}:3: frobnicate the tables: unknown line" in out.err
    assert f"{path}:4: press Launch: no message shows a button labelled 'Launch'" in out.err
    assert f"{path}:5: alarm no-such-alarm ALARM: no metric alarm named" in out.err
    assert f"{path}: 3 lines could not be executed" in out.err
    assert "Traceback" not in out.err
    # The good line still ran: help is answered in the ack.
    (ack,) = json_lines(out.out)
    assert ack["method"] == "ack"
    assert "/ddb status" in ack["args"]["text"]


def test_replay_handles_every_event_file_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = sorted(str(p) for p in EVENTS.glob("*.json"))
    assert len(files) >= 7

    code = main(["replay", *files])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Traceback" not in out.err
    lines = json_lines(out.out)
    posted = [line["args"] for line in lines if line["method"] == "chat.postMessage"]
    texts = " ".join(str(args.get("text", "")) for args in posted)
    assert "orders-write-throttle" in texts
    assert "courses-replication-latency" in texts
    for path in files:
        assert f"replay {path} -> functions." in out.err


def test_replay_of_an_unknown_shape_exits_2_with_a_one_line_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = tmp_path / "mystery.json"
    unknown.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    not_json = tmp_path / "notes.json"
    not_json.write_text("this is not JSON", encoding="utf-8")
    good = EVENTS / "eventbridge-cloudtrail-pitr-disabled.json"

    code = main(["replay", str(unknown), str(good), str(not_json)])

    out = capsys.readouterr()
    assert code == 2
    reasons = [line for line in out.err.splitlines() if line.startswith("opsbot replay:")]
    assert reasons == [
        f"opsbot replay: {unknown}: not an SNS, EventBridge or SQS event "
        "(expected Records or detail-type; top-level keys: hello)",
        f"opsbot replay: {not_json}: not a JSON event (Expecting value: line 1 column 1 (char 0))",
    ]
    assert "Traceback" not in out.err
    # The recognised event between them was still handled.
    posted = [line["args"] for line in json_lines(out.out) if line["method"] == "chat.postMessage"]
    assert any("Point-in-time recovery turned OFF on orders" in str(p) for p in posted)


def test_check_config_says_ok_or_names_the_bad_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[aws]\nregions = ["us-west-2"]\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[backups]\nmax_age = "soon"\n', encoding="utf-8")

    assert main(["check-config", str(good)]) == 0
    assert capsys.readouterr().out == "OK\n"
    assert main(["check-config", str(bad)]) == 1
    assert capsys.readouterr().err == (
        "opsbot config: `backups.max_age` must be a duration like 90m, 12h, 30d or 2w "
        "(got 'soon')\n"
    )


def test_aws_mode_refuses_mutating_commands_and_buttons_without_allow_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        "/ddb help backup",
        "/ddb backup orders",
        "/ddb prune orders --apply",
        "/ddb pitr orders off",
        "press Confirm",
        "alarm orders-write-throttle ALARM",
    )

    code = main(["local", "--aws", "--json", "--script", path])

    out = capsys.readouterr()
    assert code == 1
    assert f"{path}:2: /ddb backup orders: `/ddb backup orders` changes AWS (backup)" in out.err
    assert "(prune:apply): with --aws it needs --allow-writes" in out.err
    assert "(pitr:off): with --aws it needs --allow-writes" in out.err
    assert f"{path}:5: press Confirm: buttons can change AWS" in out.err
    assert f"{path}:6: alarm orders-write-throttle ALARM: `alarm` simulates AWS" in out.err
    assert f"{path}: 5 lines could not be executed" in out.err
    (ack,) = json_lines(out.out)  # only the help line reached the bot
    assert "/ddb backup" in ack["args"]["text"]


def test_allow_writes_needs_aws(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "--allow-writes"]) == 1
    assert "--allow-writes only applies with --aws" in capsys.readouterr().err


class FakeSocketModeHandler:
    """Stands in for slack_bolt's SocketModeHandler: records, never connects."""

    instances: ClassVar[list[FakeSocketModeHandler]] = []

    def __init__(self, app: App, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self.connected = False
        self.closed = False
        FakeSocketModeHandler.instances.append(self)

    def connect(self) -> None:
        self.connected = True

    def close(self) -> None:
        self.closed = True


def test_slack_tokens_select_socket_mode_with_the_same_bolt_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real-workspace")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-real-workspace")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "real-signing-secret")
    FakeSocketModeHandler.instances.clear()
    seen: dict[str, Any] = {}

    def fake_handler(app: App, app_token: str) -> FakeSocketModeHandler:
        runtime = default_runtime()
        seen["slack_api_url"] = runtime.settings.slack_api_url
        seen["bot_token"] = runtime.credentials.bot_token
        return FakeSocketModeHandler(app, app_token)

    monkeypatch.setattr(socket_mode_module, "socket_mode_handler", fake_handler)
    monkeypatch.setattr(socket_mode_module, "SOCKET_MODE_ROUNDS", 1)

    code = main(["local"])

    assert code == 0, capsys.readouterr().err
    (handler,) = FakeSocketModeHandler.instances
    assert isinstance(handler.app, App)
    assert handler.app_token == "xapp-real-workspace"
    assert handler.connected
    assert handler.closed
    # Slack is the real workspace (no local sink), with the token from the environment.
    assert seen == {"slack_api_url": None, "bot_token": "xoxb-real-workspace"}
    assert "Socket Mode" in capsys.readouterr().out


def test_socket_mode_handler_is_slack_bolts(monkeypatch: pytest.MonkeyPatch) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app = App(
        token="xoxb-x",
        signing_secret="s",
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    handler = socket_mode_module.socket_mode_handler(app, "xapp-not-connected")

    assert isinstance(handler, SocketModeHandler)
    assert handler.app is app
