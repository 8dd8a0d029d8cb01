"""AWS Backup vault notifications (backup, restore and copy jobs), parsed into a summary.

AWS Backup sends plain English text ("An AWS Backup job was completed successfully. Recovery
point ARN: ... Resource ARN : ... BackUp Job Id : ...") with message attributes ``EventType``
(BACKUP_JOB, RESTORE_JOB, COPY_JOB) and ``State`` (COMPLETED, FAILED, ...). The wording and
spacing vary between job types and over time, so every field is optional here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from bot.domain.cloudtrail_records import table_from_arn
from bot.domain.records import frozen
from bot.domain.times import parse_aws_time

_JOB_TYPES: Final = {"BACKUP_JOB": "backup", "RESTORE_JOB": "restore", "COPY_JOB": "copy"}
_SUCCESS_STATES: Final = frozenset({"COMPLETED", "SUCCESSFUL", "SUCCEEDED"})
_FAILURE_STATES: Final = frozenset({"FAILED", "ABORTED", "EXPIRED", "PARTIAL"})
_RUNNING_STATES: Final = frozenset({"STARTED", "RUNNING", "CREATED", "PENDING"})

# "<label> ARN : <arn>" anywhere in the text; an ARN ends at whitespace or a comma, and a
# sentence's full stop after it is not part of it.
_LABELLED_ARN = re.compile(r"([A-Za-z][A-Za-z ]{0,40}?)\s*ARN\s*:\s*(arn:[^\s,]+)", re.IGNORECASE)
_JOB_ID = re.compile(r"job\s*id\s*:\s*([A-Za-z0-9-]+)", re.IGNORECASE)
_REASON = re.compile(
    r"(?:failure reason|status message|reason)\s*:\s*(.+?)(?:\.\s+[A-Z]|\.?$)", re.IGNORECASE
)
_ARN_PARTS = re.compile(r"^arn:[\w-]+:([\w-]+):([\w-]*):(\d*):(.*)$")


@frozen
class BackupJobNotice:
    """One AWS Backup job notification, as much of it as the text and attributes say."""

    job_type: str  # backup | restore | copy | unknown
    state: str  # AWS's word, upper case: COMPLETED, FAILED, ... ('' when not said)
    outcome: str  # completed | failed | started | unknown
    message: str  # the notification text as sent (unescaped)
    resource_arn: str | None = None
    recovery_point_arn: str | None = None
    destination_recovery_point_arn: str | None = None  # copy jobs
    created_resource_arn: str | None = None  # restore jobs
    job_id: str | None = None
    account: str | None = None
    region: str | None = None
    reason: str | None = None
    at: datetime | None = None
    topic_arn: str | None = None

    @property
    def table(self) -> str | None:
        """The DynamoDB table the job was about (None for other resource types)."""
        for arn in (self.resource_arn, self.created_resource_arn, self.recovery_point_arn):
            name = table_from_arn(arn)
            if name:
                return name
        return None

    @property
    def resource(self) -> str | None:
        """A short name for the resource: the table, else the last part of its ARN."""
        if self.table:
            return self.table
        arn = self.resource_arn or self.created_resource_arn
        if not arn:
            return None
        tail = arn.rsplit(":", 1)[-1]
        return tail.rsplit("/", 1)[-1] or tail

    @property
    def severity(self) -> str:
        """warning for a failed job, info otherwise."""
        return "warning" if self.outcome == "failed" else "info"

    @property
    def summary(self) -> str:
        """'AWS Backup backup job completed for orders' (plain text, unescaped)."""
        kind = "job" if self.job_type == "unknown" else f"{self.job_type} job"
        verb = {
            "completed": "completed",
            "failed": "FAILED",
            "started": "started",
        }.get(self.outcome, (self.state or "reported").lower())
        subject = f" for {self.resource}" if self.resource else ""
        return f"AWS Backup {kind} {verb}{subject}"


def _arn_region_account(arn: str | None) -> tuple[str | None, str | None]:
    match = _ARN_PARTS.match(arn or "")
    if not match:
        return None, None
    return match.group(2) or None, match.group(3) or None


def _outcome(state: str, text: str) -> str:
    if state in _SUCCESS_STATES:
        return "completed"
    if state in _FAILURE_STATES:
        return "failed"
    if state in _RUNNING_STATES:
        return "started"
    lowered = text.lower()
    if "failed" in lowered or "expired" in lowered or "aborted" in lowered:
        return "failed"
    if "completed" in lowered or "successful" in lowered:
        return "completed"
    if "started" in lowered:
        return "started"
    return "unknown"


def _job_type(event_type: str, text: str) -> str:
    for prefix, kind in _JOB_TYPES.items():
        if event_type.startswith(prefix):
            return kind
    lowered = text.lower()
    for word in ("restore", "copy", "backup"):
        if f"{word} job" in lowered:
            return word
    return "backup" if "aws backup job" in lowered else "unknown"


def _state(event_type: str, attributes: Mapping[str, str]) -> str:
    state = attributes.get("State", "").strip().upper()
    if state:
        return state
    # Vault event names carry the state: BACKUP_JOB_COMPLETED, COPY_JOB_FAILED, ...
    for prefix in _JOB_TYPES:
        if event_type.startswith(prefix + "_"):
            return event_type.removeprefix(prefix + "_")
    return ""


def parse_backup_notice(
    message: str,
    attributes: Mapping[str, str],
    *,
    topic_arn: str | None = None,
    timestamp: str | None = None,
) -> BackupJobNotice:
    """A BackupJobNotice from an AWS Backup SNS message and its (plain-string) attributes."""
    text = message if isinstance(message, str) else ""
    event_type = attributes.get("EventType", "").strip().upper()
    state = _state(event_type, attributes)
    labelled: dict[str, str] = {}
    for label, arn in _LABELLED_ARN.findall(text):
        key = " ".join(label.lower().split())
        labelled.setdefault(key, arn.rstrip("."))
    resource = labelled.get("resource") or labelled.get("source resource")
    recovery = (
        labelled.get("recovery point")
        or labelled.get("source recovery point")
        or next((v for k, v in labelled.items() if k.endswith("recovery point")), None)
    )
    created = labelled.get("created resource") or labelled.get("restored resource")
    destination = labelled.get("destination recovery point")
    job_id = _JOB_ID.search(text)
    reason = _REASON.search(text)
    region, account = _arn_region_account(resource or recovery or created)
    topic_region, topic_account = _arn_region_account(topic_arn)
    try:
        at = parse_aws_time(timestamp) if timestamp else None
    except ValueError:
        at = None
    return BackupJobNotice(
        job_type=_job_type(event_type, text),
        state=state,
        outcome=_outcome(state, text),
        message=text,
        resource_arn=resource,
        recovery_point_arn=recovery if recovery != destination else None,
        destination_recovery_point_arn=destination,
        created_resource_arn=created,
        job_id=attributes.get("Id") or (job_id.group(1) if job_id else None),
        account=attributes.get("AccountId") or account or topic_account,
        region=region or topic_region,
        reason=reason.group(1).strip() if reason else None,
        at=at,
        topic_arn=topic_arn,
    )


def notice_fields(notice: BackupJobNotice) -> dict[str, str | None]:
    """The fields routes match on (JMESPath over them), like audit and alarm events."""
    return {
        "kind": "backup_job",
        "job_type": notice.job_type,
        "state": notice.state,
        "outcome": notice.outcome,
        "table": notice.table,
        "resource": notice.resource,
        "region": notice.region,
        "account": notice.account,
        "severity": notice.severity,
    }
