"""`opsbot replay` of what users capture: CloudTrail log files (JSON or gzipped, alone or with
the S3 notification that names them), contributor state changes, S3 and Lambda payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
GZIPPED_LOG = EVENTS / "cloudtrail" / "log-file-gzipped.json.gz"
TRAIL_KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)


def replay(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str], str]:
    """(exit code, texts posted or updated, stderr) of `opsbot replay PATHS`."""
    code = main(["replay", *(str(p) for p in paths)])
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    texts = [
        str(line["args"].get("text", ""))
        for line in lines
        if line["method"] in ("chat.postMessage", "chat.update")
    ]
    return code, texts, out.err


def threads(capsys: pytest.CaptureFixture[str], *paths: Path) -> list[dict[str, Any]]:
    code = main(["replay", *(str(p) for p in paths)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return [
        line["args"]
        for line in (json.loads(line) for line in out.out.splitlines() if line.strip())
        if line["method"] == "chat.postMessage"
    ]


def test_a_gzipped_log_file_alone_is_put_in_s3_and_announced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, texts, err = replay(capsys, GZIPPED_LOG)
    assert code == 0, err
    assert "-> functions.sns_inbox (CloudTrail log file)" in err
    assert (
        "put at s3://org-cloudtrail-logs/AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
        "log-file-gzipped.json.gz"
    ) in err
    assert any("Refused (AccessDenied): attempt to delete table payments" in t for t in texts)
    # Application Auto Scaling's capacity change is recorded, not posted.
    assert not any("Application Auto Scaling" in t for t in texts)


def test_a_json_log_file_alone_is_replayed_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = replay(capsys, EVENTS / "cloudtrail" / "log-file-developer-guide.json")
    assert code == 0, err
    assert "(CloudTrail log file)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "notification", ["sns-s3-trail-object-created.json", "eventbridge-s3-object-created.json"]
)
def test_an_s3_notification_with_its_object_reads_that_object(
    capsys: pytest.CaptureFixture[str], notification: str
) -> None:
    code, texts, err = replay(capsys, EVENTS / notification, GZIPPED_LOG)
    assert code == 0, err
    assert f"put at s3://org-cloudtrail-logs/{TRAIL_KEY}, as its notice names it" in err
    assert any("Refused (AccessDenied): attempt to delete table payments" in t for t in texts)


def test_s3_test_notification_replays_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    code, texts, err = replay(capsys, EVENTS / "sns-s3-test-event.json")
    assert code == 0, err
    assert texts == []
    assert '"ignored": "s3:TestEvent"' in err


def test_contributor_then_its_alarm_replay_as_one_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    posted = threads(
        capsys,
        EVENTS / "eventbridge-alarm-contributor.json",
        EVENTS / "eventbridge-alarm-insights-parent.json",
    )
    root, contributor, parent = posted
    assert "thread_ts" not in root
    assert contributor["thread_ts"] == parent["thread_ts"]
    assert contributor["text"].startswith(":rotating_light: table `orders` in ALARM")


def test_lambda_alarm_action_payload_replays(capsys: pytest.CaptureFixture[str]) -> None:
    code, texts, err = replay(capsys, EVENTS / "lambda-alarm-action.json")
    assert code == 0, err
    assert "(CloudWatch alarm action)" in err
    assert any("orders-consumed-writes-high" in t for t in texts)
