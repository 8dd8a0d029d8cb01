"""AWS Backup vault notifications, parsed into a summary: which notice, what state, about what.

AWS Backup sends plain English text ("An AWS Backup job was completed successfully. Recovery
point ARN: ... Resource ARN : ... BackUp Job Id : ...") with message attributes: ``EventType``
(BACKUP_JOB, RESTORE_JOB, COPY_JOB, RECOVERY_POINT_INDEXING_COMPLETED, ...; EKS notices spell
it ``eventType``) and ``State`` (COMPLETED, FAILED, EXPIRED, ...), or for recovery-point
indexing ``IndexStatus``. The wording and spacing vary between notices and over time, so every
field is optional here. The same notices as EventBridge events are read by
:mod:`bot.domain.backup_events`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from bot.domain.cloudtrail_records import table_from_arn
from bot.domain.records import frozen
from bot.domain.times import parse_aws_time

# EventType prefix -> (job_type, the notice in words). Longest prefixes first.
_TYPES: Final = (
    ("RECOVERY_POINT_INDEXING", ("index", "recovery point index")),
    ("RECOVERY_POINT_INDEX", ("index", "recovery point index")),
    ("RECOVERY_POINT", ("recovery_point", "recovery point")),
    ("CONTINUOUS_BACKUP", ("backup", "continuous backup")),
    ("S3_BACKUP_OBJECT", ("backup", "S3 object backup")),
    ("S3_RESTORE_OBJECT", ("restore", "S3 object restore")),
    ("EKS_BACKUP_OBJECT", ("backup", "EKS object backup")),
    ("EKS_RESTORE_OBJECT", ("restore", "EKS object restore")),
    ("BACKUP_PLAN", ("plan", "backup plan")),
    ("RESTORE_TESTING", ("restore_test", "restore test")),
    ("BACKUP_JOB", ("backup", "backup job")),
    ("RESTORE_JOB", ("restore", "restore job")),
    ("COPY_JOB", ("copy", "copy job")),
)
_SUCCESS_STATES: Final = frozenset({"COMPLETED", "SUCCESSFUL", "SUCCEEDED", "ACTIVE"})
_FAILURE_STATES: Final = frozenset(
    {"FAILED", "ABORTED", "EXPIRED", "PARTIAL", "INTERRUPTED", "TIMED_OUT"}
)
_RUNNING_STATES: Final = frozenset({"STARTED", "RUNNING", "CREATED", "PENDING", "VALIDATING"})
# The state words of a headline; anything else is said as AWS says it.
_VERBS: Final = {
    "COMPLETED": "completed",
    "SUCCESSFUL": "completed",
    "SUCCEEDED": "completed",
    "STARTED": "started",
    "CREATED": "started",
    "RUNNING": "running",
    "PENDING": "pending",
    "DELETED": "deleted",
    "MODIFIED": "modified",
    "SKIPPED": "skipped",
}
_MEANING: Final = {
    "EXPIRED": "it did not finish within its backup window",
    "PARTIAL": "some of its resources were not done",
    "ABORTED": "it was stopped before it finished",
    "INTERRUPTED": "continuous backup stopped; point-in-time restores have a gap",
    "TIMED_OUT": "its validation did not report in time",
}

# "<label> ARN : <arn>" anywhere in the text; an ARN ends at whitespace or a comma, and a
# sentence's full stop after it is not part of it.
_LABELLED_ARN = re.compile(r"([A-Za-z][A-Za-z ]{0,40}?)\s*ARN\s*:\s*(arn:[^\s,]+)", re.IGNORECASE)
_JOB_ID = re.compile(r"job\s*id\s*:\s*([A-Za-z0-9-]+)", re.IGNORECASE)
_REASON = re.compile(
    r"(?:failure reason|status message|reason)\s*:\s*(.+?)(?:\.\s+[A-Z]|\.?$)", re.IGNORECASE
)
_ARN_PARTS = re.compile(r"^arn:[\w-]+:([\w-]+):([\w-]*):(\d*):(.*)$")


@frozen
class BackupNotice:
    """One AWS Backup notification, as much of it as the text and attributes say."""

    job_type: (
        str  # backup | restore | copy | restore_test | index | recovery_point | plan | unknown
    )
    state: str  # AWS's word, upper case: COMPLETED, FAILED, EXPIRED, ACTIVE ... ('' if not said)
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
    notice_type: str = ""  # the notice in words: "backup job", "recovery point index", ...
    validation: str | None = None  # a restore test's validation status

    @property
    def table(self) -> str | None:
        """The DynamoDB table the notice is about (None for other resource types)."""
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
        """warning for a failed, expired or partial job (or a failed validation), else info."""
        failed = self.outcome == "failed" or self.validation in _FAILURE_STATES
        return "warning" if failed else "info"

    @property
    def meaning(self) -> str | None:
        """What a state that is not plain success or failure means ('did not finish...')."""
        return _MEANING.get(self.state)

    @property
    def summary(self) -> str:
        """'AWS Backup backup job EXPIRED for orders' (plain text, unescaped)."""
        what = self.notice_type or {"unknown": "job"}.get(self.job_type, f"{self.job_type} job")
        if self.state:
            verb = _VERBS.get(self.state, self.state)
        else:
            verb = {"completed": "completed", "failed": "FAILED", "started": "started"}.get(
                self.outcome, "reported"
            )
        if self.validation:
            verb += f", validation {self.validation}"
        if self.resource:
            subject = f" for {self.resource}"
        elif self.recovery_point_arn and self.job_type in ("index", "recovery_point"):
            subject = f" for {self.recovery_point_arn.rsplit(':', 1)[-1].rsplit('/', 1)[-1]}"
        else:
            subject = ""
        return f"AWS Backup {what} {verb}{subject}"


BackupJobNotice = BackupNotice  # its name when it knew only jobs


def arn_region_account(arn: str | None) -> tuple[str | None, str | None]:
    """(region, account) of an ARN; None for a part it leaves empty."""
    match = _ARN_PARTS.match(arn or "")
    if not match:
        return None, None
    return match.group(2) or None, match.group(3) or None


def outcome_of(state: str, text: str = "") -> str:
    """completed / failed / started / unknown from AWS's state word, else from the text."""
    if state in _SUCCESS_STATES:
        return "completed"
    if state in _FAILURE_STATES:
        return "failed"
    if state in _RUNNING_STATES:
        return "started"
    if state in _VERBS:
        return "completed"  # deleted, modified, skipped: done, nothing failed
    lowered = text.lower()
    if any(w in lowered for w in ("failed", "expired", "aborted", "interrupted")):
        return "failed"
    if "completed" in lowered or "successful" in lowered:
        return "completed"
    if "started" in lowered:
        return "started"
    return "unknown"


def type_of(event_type: str, text: str) -> tuple[str, str]:
    """(job_type, notice in words) from the EventType attribute, else from the text."""
    for prefix, found in _TYPES:
        if event_type.startswith(prefix):
            return found
    lowered = text.lower()
    if "index" in lowered and "recovery point" in lowered:
        return "index", "recovery point index"
    for word in ("restore", "copy", "backup"):
        if f"{word} job" in lowered:
            return word, f"{word} job"
    if "aws backup job" in lowered:
        return "backup", "backup job"
    return "unknown", ""


def _state(event_type: str, values: Mapping[str, str]) -> str:
    state = (values.get("state") or values.get("indexstatus") or "").strip().upper()
    if state:
        return state
    # Vault event names carry the state: BACKUP_JOB_COMPLETED, COPY_JOB_FAILED, ...
    for prefix, _ in _TYPES:
        if event_type.startswith(prefix + "_"):
            return event_type.removeprefix(prefix + "_")
    return ""


def parse_backup_notice(
    message: str,
    attributes: Mapping[str, str],
    *,
    topic_arn: str | None = None,
    timestamp: str | None = None,
) -> BackupNotice:
    """A BackupNotice from an AWS Backup SNS message and its (plain-string) attributes."""
    text = message if isinstance(message, str) else ""
    values = {str(k).lower(): str(v) for k, v in attributes.items()}  # EventType or eventType
    event_type = values.get("eventtype", "").strip().upper()
    state = _state(event_type, values)
    job_type, words = type_of(event_type, text)
    if job_type == "restore" and (
        "restore test" in text.lower() or any("restoretesting" in k for k in values)
    ):
        job_type, words = "restore_test", "restore test"
    labelled: dict[str, str] = {}
    for label, arn in _LABELLED_ARN.findall(text):
        key = " ".join(label.lower().split())
        labelled.setdefault(key, arn.rstrip("."))
    resource = labelled.get("resource") or labelled.get("source resource")
    recovery = (
        labelled.get("recovery point")
        or labelled.get("source recovery point")
        or next((v for k, v in labelled.items() if k.endswith("recovery point")), None)
        or values.get("recoverypointarn")
    )
    created = labelled.get("created resource") or labelled.get("restored resource")
    destination = labelled.get("destination recovery point")
    job_id = _JOB_ID.search(text)
    reason = _REASON.search(text)
    region, account = arn_region_account(resource or recovery or created)
    topic_region, topic_account = arn_region_account(topic_arn)
    try:
        at = parse_aws_time(timestamp) if timestamp else None
    except ValueError:
        at = None
    ids = ("id", "backupjobid", "restorejobid", "copyjobid")
    found_id = next((values[k] for k in ids if values.get(k)), None)
    return BackupNotice(
        job_type=job_type,
        state=state,
        outcome=outcome_of(state, text),
        message=text,
        resource_arn=resource,
        recovery_point_arn=recovery if recovery != destination else None,
        destination_recovery_point_arn=destination,
        created_resource_arn=created,
        job_id=found_id or (job_id.group(1) if job_id else None),
        account=values.get("accountid") or account or topic_account,
        region=region or topic_region,
        reason=values.get("reason") or (reason.group(1).strip() if reason else None),
        at=at,
        topic_arn=topic_arn,
        notice_type=words,
        validation=(values.get("validationstatus") or "").upper() or None,
    )


def notice_fields(notice: BackupNotice) -> dict[str, str | None]:
    """The fields routes match on (JMESPath over them), like audit and alarm events."""
    return {
        "kind": "backup_job",
        "job_type": notice.job_type,
        "notice": notice.notice_type or None,
        "state": notice.state,
        "outcome": notice.outcome,
        "table": notice.table,
        "resource": notice.resource,
        "region": notice.region,
        "account": notice.account,
        "severity": notice.severity,
    }
