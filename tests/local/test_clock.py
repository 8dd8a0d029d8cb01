"""The embedded clock: `--now`, `clock`, `replay --at-event-time`, and answers that do not
depend on the day the suite runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.cli import main
from bot.local.clock import ClockError, EmbeddedClock, event_time, parse_clock, start_of_script
from tests.local.test_cli import script

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
ALARM = EVENTS / "sns-alarm-write-throttle.json"  # StateChangeTime 2026-11-22T09:42:10.123Z


def posted(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [line["args"] for line in lines if line["method"] == "chat.postMessage"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sns-alarm-write-throttle.json", "2026-11-22T09:42:10.123000+00:00"),
        ("sns-alarm-write-throttle-ok.json", "2026-11-22T09:55:10.123000+00:00"),
        ("sns-aws-backup-job-completed.json", "2026-11-22T09:42:10.456000+00:00"),
        ("eventbridge-alarm-replication-latency.json", "2026-11-22T10:02:31+00:00"),
        ("eventbridge-cloudtrail-pitr-disabled.json", "2026-11-22T09:30:05+00:00"),
    ],
    ids=["sns-alarm", "sns-alarm-ok", "sns-plain", "eventbridge-alarm", "eventbridge-trail"],
)
def test_event_time_is_when_the_change_happened(name: str, expected: str) -> None:
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    assert event_time(event) == datetime.fromisoformat(expected)


@pytest.mark.parametrize(
    "event",
    [{}, [], "text", {"Records": [{"Sns": {"Message": "{", "Timestamp": "soon"}}]}],
    ids=["empty", "list", "string", "bad-time"],
)
def test_event_time_of_an_event_without_one_is_none(event: Any) -> None:
    assert event_time(event) is None


def test_replay_at_event_time_reads_as_it_did_when_the_alarm_arrived(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), tick=True):
        code = main(["replay", "--at-event-time", str(ALARM)])

    out = capsys.readouterr()
    assert code == 0, out.err
    (root,) = posted(out.out)
    shown = json.dumps(root["blocks"])
    assert "2026-11-22 09:42 UTC (just now)" in shown
    assert "13 d ago" not in shown


def test_replay_without_the_flag_is_delivered_now(capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), tick=True):
        code = main(["replay", str(ALARM)])

    out = capsys.readouterr()
    assert code == 0, out.err
    (root,) = posted(out.out)
    assert "2026-11-22 09:42 UTC (13 d ago)" in json.dumps(root["blocks"])


def test_a_script_that_starts_with_clock_runs_from_that_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        "# the clock line may follow comments",
        "clock 2026-11-22T09:00:00Z",
        "clock",
        "clock +2h",
        "clock",
        "clock 2026-11-22T08:00:00Z",
        "clock next tuesday",
    )

    code = main(["local", "--json", "--script", path])

    out = capsys.readouterr()
    assert code == 1
    notes = [line for line in out.err.splitlines() if line.startswith("clock: ")]
    assert notes[0].startswith("clock: 2026-11-22 09:00:")
    assert notes[1].startswith("clock: 2026-11-22 11:00:")
    assert "the embedded clock only moves forward: it is 2026-11-22 11:00 UTC" in out.err
    assert f"{path}:7: clock next tuesday: `next tuesday` is not an ISO 8601 time" in out.err
    assert f"{path}: 2 lines could not be executed" in out.err
    # The process has its own clock back.
    assert abs(datetime.now(UTC) - datetime(2026, 11, 22, 11, tzinfo=UTC)) > timedelta(days=1)


def test_now_starts_the_session_and_its_sample_data_at_that_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(tmp_path, "/ddb status orders")

    code = main(["local", "--json", "--now", "2031-02-03T04:05:00Z", "--script", path])

    out = capsys.readouterr()
    assert code == 0, out.err
    lines = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    (reply,) = [line["args"] for line in lines if line["method"] == "response_url"]
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "orders-nightly-h01 (1 h ago)" in shown  # the newest backup, made an hour before
    # The PITR window is the 35 days before that time, up to five minutes before it.
    assert "restorable 2030-12-30 04:05 UTC → 2031-02-03 04:00 UTC" in shown


def test_the_clock_cannot_move_with_real_aws(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["local", "--aws", "--now", "2026-11-22T09:00:00Z", "--script", "/dev/null"])

    err = capsys.readouterr().err
    assert code == 1
    assert "--now moves the clock, which --aws cannot" in err


def test_a_bad_now_names_the_form(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["local", "--now", "yesterday", "--script", "/dev/null"])

    err = capsys.readouterr().err
    assert code == 1
    assert "opsbot: --now: `yesterday` is not an ISO 8601 time with a zone" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+20m", datetime(2026, 11, 22, 10, 20, tzinfo=UTC)),
        ("+2w", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),
        ("2026-11-23T08:00:00+01:00", datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),
    ],
)
def test_parse_clock(text: str, expected: datetime) -> None:
    assert parse_clock(text, datetime(2026, 11, 22, 10, 0, tzinfo=UTC)) == expected


@pytest.mark.parametrize("text", ["", "10:42", "2h ago", "+soon", "2026-11-23T08:00:00"])
def test_parse_clock_refuses_what_is_not_a_clock_setting(text: str) -> None:
    with pytest.raises(ClockError, match="is not an ISO 8601 time"):
        parse_clock(text, datetime(2026, 11, 22, 10, 0, tzinfo=UTC))


def test_start_of_script_is_only_a_leading_absolute_clock_line() -> None:
    at = datetime(2026, 11, 22, 9, tzinfo=UTC)
    assert start_of_script(["# tour", "", "clock 2026-11-22T09:00:00Z", "/ddb help"]) == at
    assert start_of_script(["/ddb help", "clock 2026-11-22T09:00:00Z"]) is None
    assert start_of_script(["clock +2h"]) is None
    assert start_of_script([]) is None


def test_the_embedded_clock_moves_only_forward_and_gives_the_clock_back() -> None:
    clock = EmbeddedClock(datetime(2030, 1, 1, tzinfo=UTC))
    try:
        assert clock.moved
        assert clock.now() - datetime(2030, 1, 1, tzinfo=UTC) < timedelta(minutes=1)
        assert not clock.advance_to(datetime(2029, 12, 31, tzinfo=UTC))
        assert clock.advance_to(datetime(2030, 1, 2, tzinfo=UTC))
        assert clock.now() >= datetime(2030, 1, 2, tzinfo=UTC)
        with pytest.raises(ClockError, match="only moves forward"):
            clock.set("2030-01-01T00:00:00Z")
    finally:
        clock.stop()
    assert not clock.moved
    assert abs(datetime.now(UTC) - datetime(2030, 1, 2, tzinfo=UTC)) > timedelta(hours=1)
