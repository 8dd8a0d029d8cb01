"""AWS Backup's EventBridge events (``source: aws.backup``), read into the same
:class:`~bot.domain.backup_notices.BackupNotice` as its SNS notifications.

"Backup Job State Change", "Restore Job State Change" (with ``restoreTestingPlanArn`` when a
restore test ran it), "Copy Job State Change", "Recovery Point Index State Change", ... carry
their state in ``detail.state``, ``detail.status`` or ``detail.indexStatus``, and their
failure in ``statusMessage``. Only the SNS inbox loads this, for such an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.domain.backup_notices import BackupNotice, arn_region_account, outcome_of
from bot.domain.regions import region_code
from bot.domain.times import parse_aws_time

# detail-type -> (job_type, the notice in words)
_DETAIL_TYPES: Final = {
    "Backup Job State Change": ("backup", "backup job"),
    "Restore Job State Change": ("restore", "restore job"),
    "Copy Job State Change": ("copy", "copy job"),
    "Recovery Point Index State Change": ("index", "recovery point index"),
    "Recovery Point State Change": ("recovery_point", "recovery point"),
    "Recovery Point Change": ("recovery_point", "recovery point"),
    "Backup Plan State Change": ("plan", "backup plan"),
    "Backup Vault State Change": ("vault", "backup vault"),
    "Region Setting State Change": ("settings", "Region settings"),
    "Scan Job State Change": ("scan", "malware scan job"),
}


def is_backup_event(obj: Mapping[str, Any]) -> bool:
    """An AWS Backup EventBridge event (forwarded to SNS, or delivered as it is)."""
    return obj.get("source") == "aws.backup" and isinstance(obj.get("detail"), Mapping)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_backup_event(event: Mapping[str, Any], *, topic_arn: str | None = None) -> BackupNotice:
    """A BackupNotice from an AWS Backup EventBridge event; unknown fields stay empty."""
    raw = event.get("detail")
    detail: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    detail_type = str(event.get("detail-type") or "")
    job_type, words = _DETAIL_TYPES.get(detail_type, ("unknown", detail_type.lower()))
    if job_type == "restore" and _text(detail.get("restoreTestingPlanArn")):
        job_type, words = "restore_test", "restore test"
    state = (
        _text(detail.get("state"))
        or _text(detail.get("status"))
        or _text(detail.get("indexStatus"))
        or ""
    ).upper()
    resource = _text(detail.get("resourceArn")) or _text(detail.get("sourceResourceArn"))
    recovery = _text(detail.get("recoveryPointArn"))
    created = _text(detail.get("createdResourceArn"))
    destination = _text(detail.get("destinationRecoveryPointArn"))  # {} until it exists
    job_id = next(
        (
            _text(detail.get(k))
            for k in ("backupJobId", "restoreJobId", "copyJobId", "scanJobId")
            if _text(detail.get(k))
        ),
        None,
    )
    reason = _text(detail.get("statusMessage")) or _text(detail.get("indexStatusMessage"))
    arn_region, arn_account = arn_region_account(resource or recovery or created)
    try:
        at = parse_aws_time(str(event.get("time"))) if event.get("time") else None
    except ValueError:
        at = None
    account = _text(event.get("account")) or _text(detail.get("accountId")) or arn_account
    return BackupNotice(
        job_type=job_type,
        state=state,
        outcome=outcome_of(state),
        message=reason or "",
        resource_arn=resource,
        recovery_point_arn=recovery,
        destination_recovery_point_arn=destination,
        created_resource_arn=created,
        job_id=job_id,
        account=account,
        region=region_code(event.get("region")) or arn_region,
        reason=reason.strip('"') if reason else None,
        at=at,
        topic_arn=topic_arn,
        notice_type=words,
        validation=(_text(detail.get("validationStatus")) or "").upper() or None,
    )
