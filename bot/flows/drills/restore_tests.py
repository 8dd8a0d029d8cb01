"""AWS Backup restore testing: its restore job and validation notices (SNS or EventBridge,
read by bot.domain.backup_notices / backup_events) land in the table's drill history and the
drills digest, beside opsbot's own drills. Only the SNS inbox loads this, for such a notice.

One restore test is one history record: a later notice of the same restore job (its
validation after its completion) overwrites the record the first one wrote, so a test is
counted once, with its final verdict. Redelivered notices write the same items again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.aws.drills import record_history
from bot.domain.drill_jobs import DrillRecord
from bot.domain.times import stored_time
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.domain.backup_notices import BackupNotice

_FAILED_VALIDATION = frozenset({"FAILED", "TIMED_OUT"})
_MARK_KEEP_S = 400 * 86400


def record_restore_test(notice: BackupNotice, runtime: Runtime) -> bool:
    """Record a DynamoDB restore test's outcome in the drill history; False when the notice
    is not a final word about a table in a configured account and region."""
    table, job_id = notice.table, notice.job_id
    if not table or not job_id or notice.region not in _regions(runtime):
        return False
    account = _member(runtime, notice.account)
    if account is None:
        return False
    reasons: tuple[str, ...] = ()
    if notice.validation == "SUCCESSFUL" or (
        notice.validation is None and notice.outcome == "completed"
    ):
        passed = True
    elif notice.validation in _FAILED_VALIDATION:
        why = f": {notice.reason}" if notice.reason else ""
        passed, reasons = False, (f"AWS Backup restore test validation {notice.validation}{why}",)
    elif notice.outcome == "failed":
        why = f": {notice.reason}" if notice.reason else ""
        passed, reasons = False, (f"AWS Backup restore test {notice.state or 'FAILED'}{why}",)
    else:
        return False  # started, running, validating: not a verdict yet
    mark_pk = f"DRILLTEST#{job_id}"
    mark = runtime.state.get(mark_pk, "MARK")
    finished = stored_time(mark.get("finished_at")) if mark else None
    finished = finished or notice.at or runtime.now()
    record = DrillRecord(
        table=table,
        finished_at=finished,
        passed=passed,
        reasons=reasons,
        job_id=f"aws-backup-{job_id}",
        by="aws-backup",
    )
    record_history(
        runtime.state, record, account=account, region=str(notice.region), now=runtime.epoch()
    )
    runtime.state.put(
        {
            "pk": mark_pk,
            "sk": "MARK",
            "finished_at": finished.isoformat(),
            "expires_at": int(runtime.epoch()) + _MARK_KEEP_S,
        }
    )
    return True


def _regions(runtime: Runtime) -> set[str]:
    settings = runtime.settings
    regions = set(settings.regions)
    for account in settings.accounts:
        regions |= set(account.regions)
    return regions


def _member(runtime: Runtime, account_id: str | None) -> str | None:
    """'' for opsbot's own account, a configured member's id, None for any other."""
    accounts = runtime.settings.accounts
    if not accounts:
        return ""
    found = runtime.settings.account(account_id or "")
    if found is None:
        return None
    return "" if found.is_home else found.id
