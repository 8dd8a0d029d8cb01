"""AWS Backup vault notifications: job type, outcome, resource and recovery point."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.backup_notices import notice_fields, parse_backup_notice
from bot.domain.sns_inbox import attribute_values
from tests.conftest import load_event

TABLE_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"


def test_backup_job_completed_fixture() -> None:
    sns = load_event("sns-aws-backup-job-completed.json")["Records"][0]["Sns"]
    notice = parse_backup_notice(
        sns["Message"],
        attribute_values(sns["MessageAttributes"]),
        topic_arn=sns["TopicArn"],
        timestamp=sns["Timestamp"],
    )
    assert (notice.job_type, notice.state, notice.outcome) == ("backup", "COMPLETED", "completed")
    assert notice.resource_arn == TABLE_ARN
    assert notice.recovery_point_arn == f"{TABLE_ARN}/backup/01763805600000-aa11bb22"
    assert notice.job_id == "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"
    assert (notice.table, notice.region, notice.account) == ("orders", "us-west-2", "123456789012")
    assert notice.at == datetime(2026, 11, 22, 9, 42, 10, 456000, tzinfo=UTC)
    assert notice.summary == "AWS Backup backup job completed for orders"
    assert notice.severity == "info"


@pytest.mark.parametrize(
    ("message", "attributes", "expected"),
    [
        (
            "An AWS Backup job failed. Resource ARN : "
            f"{TABLE_ARN}. BackupJob ID : 1b2345b2-f22c. Failure reason: Access denied.",
            {"EventType": "BACKUP_JOB", "State": "FAILED"},
            ("backup", "failed", "orders", "Access denied", "1b2345b2-f22c"),
        ),
        (
            "An AWS Backup restore job was completed successfully. Recovery point ARN: "
            f"{TABLE_ARN}/backup/0176-aa. Created resource ARN : "
            "arn:aws:dynamodb:us-west-2:123456789012:table/orders-restored. Restore Job Id : 77",
            {"EventType": "RESTORE_JOB", "State": "COMPLETED"},
            ("restore", "completed", "orders-restored", None, "77"),
        ),
        (
            "An AWS Backup copy job failed. Source recovery point ARN : "
            f"{TABLE_ARN}/backup/0176-aa. Destination recovery point ARN : "
            "arn:aws:backup:us-east-1:123456789012:recovery-point:abc",
            {"EventType": "COPY_JOB_FAILED"},
            ("copy", "failed", "orders", None, None),
        ),
        (
            "An AWS Backup job was completed successfully. Resource ARN : "
            "arn:aws:ec2:us-west-2:123456789012:volume/vol-012f. BackUp Job Id : 9",
            {},
            ("backup", "completed", "vol-012f", None, "9"),
        ),
    ],
    ids=["backup-failed", "restore-completed", "copy-failed-vault-event", "non-dynamodb-resource"],
)
def test_backup_notice_variants(message: str, attributes: dict[str, str], expected: tuple) -> None:
    notice = parse_backup_notice(message, attributes)
    assert (
        notice.job_type,
        notice.outcome,
        notice.resource,
        notice.reason,
        notice.job_id,
    ) == expected


def test_copy_job_keeps_source_and_destination_recovery_points() -> None:
    notice = parse_backup_notice(
        "An AWS Backup copy job was successful. Source recovery point ARN : "
        f"{TABLE_ARN}/backup/0176-aa. Destination recovery point ARN : "
        "arn:aws:backup:us-east-1:123456789012:recovery-point:abc",
        {"EventType": "COPY_JOB", "State": "SUCCESSFUL"},
    )
    assert notice.outcome == "completed"
    assert notice.recovery_point_arn == f"{TABLE_ARN}/backup/0176-aa"
    assert notice.destination_recovery_point_arn == (
        "arn:aws:backup:us-east-1:123456789012:recovery-point:abc"
    )


def test_failed_job_is_a_warning_and_routes_on_its_fields() -> None:
    notice = parse_backup_notice("An AWS Backup job failed.", {"State": "FAILED"})
    assert notice.severity == "warning"
    assert notice_fields(notice)["outcome"] == "failed"
    assert notice.summary == "AWS Backup backup job FAILED"


def test_garbage_text_still_gives_a_notice() -> None:
    notice = parse_backup_notice("???", {}, timestamp="not a time")
    assert (notice.job_type, notice.outcome, notice.at) == ("unknown", "unknown", None)
    assert notice.summary == "AWS Backup job reported"
