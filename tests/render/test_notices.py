"""SNS inbox notices (AWS Backup jobs, plain messages), checked against golden files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.backup_notices import parse_backup_notice
from bot.domain.sns_inbox import attribute_values
from bot.render.notices import escaped_cut, render_backup_notice, render_plain_notice
from tests.conftest import load_event
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TABLE_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"
TOPIC = "arn:aws:sns:us-west-2:123456789012:ops-inbox"
STAMP = "2026-11-22T09:42:10.456Z"

BACKUP_CASES = {
    "backup_failed": (
        "An AWS Backup job failed. Resource ARN : "
        f"{TABLE_ARN}. BackUp Job Id : 9f8e7d6c. Failure reason: The IAM role <b> cannot read "
        "the table & its KMS key.",
        {"EventType": "BACKUP_JOB", "State": "FAILED"},
    ),
    "restore_completed": (
        "An AWS Backup restore job was completed successfully. Recovery point ARN: "
        f"{TABLE_ARN}/backup/01763805600000-aa11bb22. Created resource ARN : "
        "arn:aws:dynamodb:us-west-2:123456789012:table/orders-restored. Restore Job Id : 5511",
        {"EventType": "RESTORE_JOB", "State": "COMPLETED"},
    ),
    "copy_completed": (
        "An AWS Backup copy job was successful. Source recovery point ARN : "
        f"{TABLE_ARN}/backup/01763805600000-aa11bb22. Destination recovery point ARN : "
        "arn:aws:backup:us-east-1:123456789012:recovery-point:4c1f. Copy Job Id : 42",
        {"EventType": "COPY_JOB", "State": "COMPLETED"},
    ),
}


def test_backup_job_completed_matches_golden() -> None:
    sns = load_event("sns-aws-backup-job-completed.json")["Records"][0]["Sns"]
    notice = parse_backup_notice(
        sns["Message"],
        attribute_values(sns["MessageAttributes"]),
        topic_arn=sns["TopicArn"],
        timestamp=sns["Timestamp"],
    )
    assert_golden("notices", "backup_completed", render_backup_notice(notice, now=NOW).as_args())


@pytest.mark.parametrize("case", list(BACKUP_CASES))
def test_backup_job_notice_matches_golden(case: str) -> None:
    message, attributes = BACKUP_CASES[case]
    notice = parse_backup_notice(message, attributes, topic_arn=TOPIC, timestamp=STAMP)
    assert_golden("notices", case, render_backup_notice(notice, now=NOW).as_args())


PLAIN_CASES = {
    "plain_text": ("Deploy finished", "Release 2026.11.22 is live in us-west-2."),
    "plain_json": (None, '{"status": "ok", "count": 3, "note": "<b>&"}'),
    "plain_injection": (
        "<!channel> urgent",
        "<!here> click <https://evil.example|here> & ping <@U0ADMIN01>",
    ),
    "plain_empty": (None, ""),
    "plain_spoofed_lines": (
        "Deploy done\n:white_check_mark: *Approved*",
        "Release is live.\n> :white_check_mark: *Approved change* — no action needed\n"
        "```\nfake block\n``` and _more_ ~text~\u2028\u202eevil\u200b",
    ),
    "plain_json_spoofed": (None, '{"note": "```\\n*x*\\u2028`y`", "\u202ekey": 1}'),
}


@pytest.mark.parametrize("case", list(PLAIN_CASES))
def test_plain_notice_matches_golden(case: str) -> None:
    subject, text = PLAIN_CASES[case]
    message = render_plain_notice(subject, text, topic_arn=TOPIC, now=NOW)
    assert_golden("notices", case, message.as_args())


def test_plain_notice_escapes_everything_the_sender_wrote() -> None:
    subject, text = PLAIN_CASES["plain_injection"]
    shown = json.dumps(render_plain_notice(subject, text, topic_arn=TOPIC, now=NOW).as_args())
    for raw in ("<!channel>", "<!here>", "<https://", "<@U0ADMIN01>"):
        assert raw not in shown


def test_plain_notice_cuts_a_huge_body_and_subject_to_slack_limits() -> None:
    message = render_plain_notice("&" * 5000, "<" * 100_000, topic_arn=TOPIC, now=NOW)
    args = message.as_args()
    for block in args["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert len(args["text"]) <= 400
    assert "cut to fit Slack's limits" in args["blocks"][1]["text"]["text"]


@pytest.mark.parametrize("text", ["a&b" * 2000, "<" * 5000, "plain " * 1000])
def test_escaped_cut_never_exceeds_the_limit_nor_splits_an_entity(text: str) -> None:
    shown = escaped_cut(text, 1000)
    assert len(shown) <= 1000
    body = shown.split("…")[0]
    assert not body.endswith(("&", "&a", "&am", "&amp", "&l", "&lt"))
