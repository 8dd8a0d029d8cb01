"""AWS Backup notices beyond plain jobs (golden files): each named, with its real state."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.backup_events import parse_backup_event
from bot.domain.backup_notices import BackupNotice, parse_backup_notice
from bot.domain.sns_inbox import attribute_values
from bot.render.notices import render_backup_notice, render_plain_notice
from tests.conftest import load_event
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def notice(sample: str) -> BackupNotice:
    sns = load_event(sample)["Records"][0]["Sns"]
    decoded = json.loads(sns["Message"]) if sns["Message"].startswith("{") else None
    if decoded is not None:
        return parse_backup_event(decoded, topic_arn=sns["TopicArn"])
    return parse_backup_notice(
        sns["Message"],
        attribute_values(sns["MessageAttributes"]),
        topic_arn=sns["TopicArn"],
        timestamp=sns["Timestamp"],
    )


@pytest.mark.parametrize(
    "case",
    [
        "job-expired",
        "recovery-point-indexed",
        "restore-job-completed",
        "copy-job-failed",
        "restore-testing-job",
    ],
)
def test_aws_backup_notice_matches_golden(case: str) -> None:
    rendered = render_backup_notice(notice(f"sns-aws-backup-{case}.json"), now=NOW)
    assert_golden("notices", f"backup_{case.replace('-', '_')}", rendered.as_args())


def test_expired_job_says_expired_and_what_that_means() -> None:
    text = json.dumps(
        render_backup_notice(notice("sns-aws-backup-job-expired.json"), now=NOW).as_args()
    )
    assert "backup job EXPIRED for orders" in text
    assert "did not finish within its backup window" in text
    assert "FAILED" not in text


def test_plain_notice_is_dated_by_its_timestamp() -> None:
    sent = render_plain_notice(
        "RDS Notification Message", "{}", topic_arn=None, now=NOW, sent_at="2026-11-22T09:12:07Z"
    )
    assert "sent 2026-11-22 09:12 UTC (47 min ago)" in json.dumps(sent.as_args())
    undated = render_plain_notice("x", "y", topic_arn=None, now=NOW, sent_at="yesterday")
    assert "2026-11-22 10:00 UTC" in json.dumps(undated.as_args())
