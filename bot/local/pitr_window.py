"""The embedded AWS's point-in-time recovery, answered as AWS answers it.

moto records EarliestRestorableDateTime when a table's PITR is turned on and freezes
LatestRestorableDateTime there, so every window in `opsbot local` was a few seconds long and
`/ddb restore orders --at "2h ago"` was always refused. AWS keeps the last recovery period
(`RecoveryPeriodInDays`, 35 by default) and restores up to about five minutes ago. The
session's clients rewrite moto's DescribeContinuousBackups answer to that window, computed
from the embedded clock, so it moves as the clock moves.

moto also ignores the time a restore asks for and reports the restore as of the moment it
ran; the restored table's RestoreSummary is given the time that was asked for, as AWS does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

# AWS: "LatestRestorableDateTime is typically 5 minutes before the current time".
LATEST_LAG = timedelta(minutes=5)
DEFAULT_RECOVERY_DAYS = 35


def real_window(pitr: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A PointInTimeRecoveryDescription with the window AWS would report at ``now``: from the
    start of the recovery period (not before PITR was turned on) to five minutes ago."""
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        return pitr
    days = int(pitr.get("RecoveryPeriodInDays") or DEFAULT_RECOVERY_DAYS)
    enabled = pitr.get("EarliestRestorableDateTime")
    earliest = now - timedelta(days=days)
    if isinstance(enabled, datetime) and enabled > earliest:
        earliest = enabled
    return {
        **pitr,
        "EarliestRestorableDateTime": earliest,
        "LatestRestorableDateTime": max(earliest, now - LATEST_LAG),
    }


def answer_pitr_windows_realistically(clients: Any) -> None:
    """Rewrite the PITR answers of ``clients`` (an AwsClients): windows, and restore times."""
    clients.on_event("after-call.dynamodb.DescribeContinuousBackups", _rewrite_window)
    asked: dict[str, datetime] = {}

    def remember(params: dict[str, Any], **_: Any) -> None:
        when = params.get("RestoreDateTime")
        target = str(params.get("TargetTableName", ""))
        if isinstance(when, datetime):
            asked[target] = when.astimezone(UTC)
        elif params.get("UseLatestRestorableTime"):
            asked[target] = datetime.now(UTC) - LATEST_LAG

    def restored_as_asked(parsed: dict[str, Any], **_: Any) -> None:
        table = parsed.get("Table") or {}
        summary = table.get("RestoreSummary")
        when = asked.get(str(table.get("TableName", "")))
        if isinstance(summary, dict) and when is not None and "SourceTableArn" in summary:
            summary["RestoreDateTime"] = when

    clients.on_event("provide-client-params.dynamodb.RestoreTableToPointInTime", remember)
    clients.on_event("after-call.dynamodb.DescribeTable", restored_as_asked)


def _rewrite_window(parsed: dict[str, Any], **_: Any) -> None:
    description = parsed.get("ContinuousBackupsDescription") or {}
    pitr = description.get("PointInTimeRecoveryDescription")
    if isinstance(pitr, dict):
        description["PointInTimeRecoveryDescription"] = real_window(pitr, datetime.now(UTC))
