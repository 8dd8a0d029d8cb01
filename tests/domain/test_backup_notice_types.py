"""AWS Backup notices beyond jobs: indexing, restores, copies, restore tests, EKS and S3
objects, continuous backup; each named, with AWS's own state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.backup_events import is_backup_event, parse_backup_event
from bot.domain.backup_notices import notice_fields, parse_backup_notice
from bot.domain.sns_inbox import BACKUP_JOB, PLAIN, attribute_values, classify_sns
from tests.conftest import load_event


def sns(sample: str) -> dict[str, Any]:
    return dict(load_event(sample)["Records"][0]["Sns"])


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("sns-aws-backup-job-expired.json",
         ("backup", "backup job", "EXPIRED", "failed", "warning",
          "AWS Backup backup job EXPIRED for orders")),
        ("sns-aws-backup-recovery-point-indexed.json",
         ("index", "recovery point index", "ACTIVE", "completed", "info",
          "AWS Backup recovery point index ACTIVE for abcd1234-5678-abcd-9012-abcdef123456")),
        ("sns-aws-backup-restore-job-completed.json",
         ("restore", "restore job", "COMPLETED", "completed", "info",
          "AWS Backup restore job completed for orders-restored")),
        ("sns-aws-backup-copy-job-failed.json",
         ("copy", "copy job", "FAILED", "failed", "warning",
          "AWS Backup copy job FAILED for orders")),
    ],
    ids=["expired", "indexed", "restore", "copy-failed"],
)  # fmt: skip
def test_each_sns_notice_is_named_with_its_state(sample: str, expected: tuple[str, ...]) -> None:
    message = sns(sample)
    attributes = attribute_values(message["MessageAttributes"])
    assert classify_sns(message["Message"], message["Subject"], attributes) == BACKUP_JOB
    notice = parse_backup_notice(message["Message"], attributes, topic_arn=message["TopicArn"])
    assert (
        notice.job_type,
        notice.notice_type,
        notice.state,
        notice.outcome,
        notice.severity,
        notice.summary,
    ) == expected


def test_expired_job_says_what_expired_means() -> None:
    message = sns("sns-aws-backup-job-expired.json")
    notice = parse_backup_notice(message["Message"], attribute_values(message["MessageAttributes"]))
    assert notice.meaning == "it did not finish within its backup window"
    assert notice_fields(notice)["state"] == "EXPIRED"


def test_restore_test_forwarded_from_eventbridge_is_a_restore_test() -> None:
    event = json.loads(sns("sns-aws-backup-restore-testing-job.json")["Message"])
    assert is_backup_event(event)
    notice = parse_backup_event(event)
    assert (notice.job_type, notice.notice_type, notice.state) == (
        "restore_test",
        "restore test",
        "COMPLETED",
    )
    assert notice.created_resource_arn is not None
    assert notice.created_resource_arn.endswith(":table/awsbackup-restore-test-orders-1a2b")
    assert notice.summary == "AWS Backup restore test completed for orders"


@pytest.mark.parametrize(
    ("attributes", "text", "summary"),
    [
        ({"eventType": "EKS_BACKUP_OBJECT_FAILED", "reason": "Example failure reason."},
         "A Kubernetes resource failed to backup from your Amazon EKS Backup.",
         "AWS Backup EKS object backup FAILED"),
        ({"EventType": "CONTINUOUS_BACKUP_INTERRUPTED"}, "",
         "AWS Backup continuous backup INTERRUPTED"),
        ({"EventType": "RECOVERY_POINT_INDEXING_FAILED"}, "",
         "AWS Backup recovery point index FAILED"),
        ({"EventType": "RECOVERY_POINT_INDEX_DELETED"}, "",
         "AWS Backup recovery point index deleted"),
        ({"EventType": "S3_RESTORE_OBJECT_FAILED"}, "", "AWS Backup S3 object restore FAILED"),
        ({"EventType": "RESTORE_JOB", "State": "COMPLETED", "ValidationStatus": "FAILED"},
         "An AWS Backup restore job was completed. Restore testing plan ARN : arn:aws:backup:x",
         "AWS Backup restore test completed, validation FAILED"),
    ],
    ids=["eks-lowercase-attribute", "continuous", "index-failed", "index-deleted", "s3-object",
         "restore-test-validation"],
)  # fmt: skip
def test_other_vault_events_are_named(attributes: dict[str, str], text: str, summary: str) -> None:
    assert classify_sns(text, None, attributes) == BACKUP_JOB
    notice = parse_backup_notice(text, attributes)
    assert notice.summary == summary


def test_interrupted_continuous_backup_and_failed_validation_are_warnings() -> None:
    assert parse_backup_notice("", {"EventType": "CONTINUOUS_BACKUP_INTERRUPTED"}).severity == (
        "warning"
    )
    validated = parse_backup_notice("", {"EventType": "RESTORE_JOB", "ValidationStatus": "FAILED"})
    assert validated.severity == "warning"


@pytest.mark.parametrize(
    "detail",
    [None, [], {"state": 5, "resourceArn": {}}, {"destinationRecoveryPointArn": {}}],
    ids=["null", "list", "wrong-types", "empty-destination"],
)
def test_backup_events_with_odd_fields_still_give_a_notice(detail: object) -> None:
    notice = parse_backup_event({"source": "aws.backup", "detail-type": "Copy Job State Change",
                                 "detail": detail})  # fmt: skip
    assert notice.summary.startswith("AWS Backup copy job")
    assert notice.destination_recovery_point_arn is None


def test_a_json_message_under_the_backup_subject_is_not_a_backup_notice() -> None:
    assert classify_sns('{"a": 1}', "Notification from AWS Backup", {}) == PLAIN
    assert classify_sns("anything", "Notification from AWS Backup", {}) == BACKUP_JOB
