"""Backups on AWS: list (all pages, paced), create, delete (paced, with backoff), and the
tables and tags a prune run needs. ClientError codes become domain errors users read.

AWS limits (DESIGN.md section 11): ListBackups at most 5 calls/s, DeleteBackup at most
10 calls/s per account and region. Each call waits on a RateLimiter first; botocore's own
retries come on top for transient errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.errors import THROTTLING_CODES, error_code, translate
from bot.domain.backups import BackupInfo, from_summary, matching
from bot.domain.errors import Conflict, LimitReached, OpsbotError, TableNotFound
from bot.domain.prune_jobs import RETENTION_TAG
from bot.domain.records import frozen

log = logging.getLogger(__name__)

LIST_BACKUPS_PER_S = 5.0
DELETE_BACKUP_PER_S = 10.0
# Tag reads share DynamoDB's control-plane limits; a nightly run over thousands of tables
# stays well inside them at this pace.
LIST_TAGS_PER_S = 10.0
DELETE_ATTEMPTS = 6
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 8.0

# `--type` as typed -> the ListBackups BackupType filter.
BACKUP_TYPE_FILTERS = {
    "user": "USER",
    "system": "SYSTEM",
    "aws-backup": "AWS_BACKUP",
    "all": "ALL",
}


class RateLimiter:
    """At most ``per_second`` calls a second: each call waits until 1/rate after the last."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def renewed(self) -> RateLimiter:
        """A limiter at the same rate on the same clock, with no call made yet."""
        return RateLimiter(1.0 / self.interval, clock=self.clock, sleep=self.sleep)

    def wait(self) -> None:
        """Block until the next call is allowed, then take its slot."""
        with self._lock:
            now = self.clock()
            if now < self._next:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@frozen
class BackupPace:
    """The rate limiters and the backoff sleep shared by one process's backup calls."""

    list_backups: RateLimiter = field(default_factory=lambda: RateLimiter(LIST_BACKUPS_PER_S))
    delete_backup: RateLimiter = field(default_factory=lambda: RateLimiter(DELETE_BACKUP_PER_S))
    sleep: Callable[[float], None] = time.sleep
    list_tags: RateLimiter = field(default_factory=lambda: RateLimiter(LIST_TAGS_PER_S))

    def fresh(self) -> BackupPace:
        """New limiters at the same rates, on the same clock and sleep (another account and
        region: AWS's limits apply per account and region)."""
        return BackupPace(
            self.list_backups.renewed(),
            self.delete_backup.renewed(),
            self.sleep,
            self.list_tags.renewed(),
        )

    @classmethod
    def with_clock(
        cls,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        *,
        delete_per_s: float = DELETE_BACKUP_PER_S,
    ) -> BackupPace:
        """Limiters on an injected clock (tests, benchmarks)."""
        return cls(
            RateLimiter(LIST_BACKUPS_PER_S, clock=clock, sleep=sleep),
            RateLimiter(delete_per_s, clock=clock, sleep=sleep),
            sleep,
            RateLimiter(LIST_TAGS_PER_S, clock=clock, sleep=sleep),
        )


def list_backups(
    client: Any,
    table: str,
    *,
    region: str = "",
    backup_type: str = "all",
    since: timedelta | None = None,
    now: datetime | None = None,
    until: datetime | None = None,
    pace: BackupPace | None = None,
) -> list[BackupInfo]:
    """Every backup of ``table`` (all ListBackups pages), newest first; ``since`` counts back
    from ``now``, and ``until`` leaves out backups created at or after it.

    The filters go to ListBackups and are applied again to what it returns: an API that
    ignores them (moto does) must not make a listing claim a filter it did not apply.
    """
    pace = pace or BackupPace()
    kwargs: dict[str, Any] = {
        "TableName": table,
        "BackupType": BACKUP_TYPE_FILTERS.get(backup_type, "ALL"),
    }
    created_from = None
    if since is not None:
        if now is None:
            raise ValueError("`since` needs `now`")
        created_from = kwargs["TimeRangeLowerBound"] = now - since
    if until is not None:
        kwargs["TimeRangeUpperBound"] = until  # exclusive
    found: list[BackupInfo] = []
    while True:
        pace.list_backups.wait()
        try:
            page = client.list_backups(**kwargs)
        except ClientError as exc:
            raise translate(exc, table=table, region=region) from exc
        found += [from_summary(s) for s in page.get("BackupSummaries", [])]
        last = page.get("LastEvaluatedBackupArn")
        if not last:
            break
        kwargs["ExclusiveStartBackupArn"] = last
    found = matching(
        found, backup_type=backup_type, created_from=created_from, created_before=until
    )
    return sorted(found, key=lambda b: b.created, reverse=True)


@frozen
class CreatedBackup:
    """A backup CreateBackup started, and the AWS request id that started it."""

    backup: BackupInfo
    request_id: str


def create_backup(client: Any, table: str, name: str, *, region: str = "") -> CreatedBackup:
    """Start an on-demand backup; clear errors for a missing table, a busy table, limits."""
    try:
        response = client.create_backup(TableName=table, BackupName=name)
    except ClientError as exc:
        raise _create_error(exc, table, region) from exc
    details = dict(response["BackupDetails"])
    details.setdefault("TableName", table)
    return CreatedBackup(from_summary(details), _request_id(response))


def _create_error(exc: ClientError, table: str, region: str) -> OpsbotError:
    code = error_code(exc)
    where = f" in {region}" if region else ""
    if code in ("TableNotFoundException", "ResourceNotFoundException"):
        return TableNotFound(
            f"There is no table `{table}`{where}. Check the name, or add `@region`."
        )
    if code == "BackupInUseException":
        return Conflict(
            f"A backup of `{table}`{where} is already being created. "
            "Wait for it to become AVAILABLE (`/ddb backups` shows it), then try again."
        )
    if code == "ContinuousBackupsUnavailableException":
        return Conflict(
            f"Backups of `{table}`{where} are not available right now (backups are still being "
            "enabled for the table). Try again in a few minutes."
        )
    if code == "TableInUseException":
        return Conflict(f"`{table}`{where} is being created, updated or deleted; try again later.")
    if code == "LimitExceededException":
        return LimitReached(
            f"AWS refused: too many backups or table operations are in progress in this "
            f"account{where}. Try again once some finish."
        )
    return translate(exc, table=table, region=region)


def delete_backup(client: Any, arn: str, *, pace: BackupPace | None = None) -> str:
    """Delete one backup; returns the request id ('' when it was already gone).

    Waits on the DeleteBackup limiter, backs off on LimitExceeded and throttling, and
    raises an OpsbotError with the reason when the backup cannot be deleted.
    """
    pace = pace or BackupPace()
    for attempt in range(DELETE_ATTEMPTS):
        pace.delete_backup.wait()
        try:
            return _request_id(client.delete_backup(BackupArn=arn))
        except ClientError as exc:
            code = error_code(exc)
            if code == "BackupNotFoundException":
                return ""  # already deleted (by an earlier attempt of ours, or someone else)
            if code in THROTTLING_CODES and attempt + 1 < DELETE_ATTEMPTS:
                pace.sleep(min(BACKOFF_FIRST_S * 2**attempt, BACKOFF_MAX_S))
                continue
            raise _delete_error(exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _delete_error(exc: ClientError) -> OpsbotError:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or code
    if code == "BackupInUseException":
        return Conflict(f"in use (a restore or another operation is using it): {message}")
    if code in THROTTLING_CODES:
        return LimitReached(f"AWS kept limiting DeleteBackup ({code}); try again later")
    return OpsbotError(f"{code}: {message}")


@frozen
class Deletions:
    """What deleting a list of backups did."""

    deleted: list[BackupInfo] = field(default_factory=list)
    failed: list[tuple[BackupInfo, str]] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        """The storage the deleted backups held (unknown sizes count as zero)."""
        return sum(b.size_bytes or 0 for b in self.deleted)


def delete_backups(
    client: Any,
    backups: Sequence[BackupInfo],
    *,
    pace: BackupPace | None = None,
    on_deleted: Callable[[BackupInfo, str], None] | None = None,
    on_progress: Callable[[Deletions], None] | None = None,
    progress_every: int = 25,
    on_deleting: Callable[[BackupInfo], None] | None = None,
) -> Deletions:
    """Delete backups one by one at the paced rate; a failure is recorded and the rest go on.

    ``on_deleting(backup)`` runs before each deletion and ``on_deleted(backup, request_id)``
    after it (attribution, checkpoints); ``on_progress`` every ``progress_every`` backups.
    """
    pace = pace or BackupPace()
    result = Deletions()
    for index, backup in enumerate(backups, start=1):
        if on_deleting is not None:
            on_deleting(backup)
        try:
            request_id = delete_backup(client, backup.arn, pace=pace)
        except OpsbotError as exc:
            log.warning("could not delete backup %s: %s", backup.arn, exc.message)
            result.failed.append((backup, exc.message))
        else:
            result.deleted.append(backup)
            if on_deleted is not None:
                on_deleted(backup, request_id)
        if on_progress is not None and index % progress_every == 0 and index < len(backups):
            on_progress(result)
    return result


def describe_table_arn(client: Any, table: str, *, region: str = "") -> str:
    """The table's ARN (DescribeTable); TableNotFound when it does not exist."""
    try:
        return str(client.describe_table(TableName=table)["Table"]["TableArn"])
    except ClientError as exc:
        raise translate(exc, table=table, region=region) from exc


def list_tables(client: Any) -> list[str]:
    """Every table name in the client's region (all ListTables pages)."""
    return [name for page in table_pages(client) for name in page]


def table_pages(client: Any) -> Iterator[list[str]]:
    """The client's region's table names one ListTables page (up to 100) at a time, so a
    caller going through thousands of tables holds one page, not the whole list."""
    for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 100}):
        yield list(page.get("TableNames", []))


def retention_tag(client: Any, table_arn: str, *, pace: BackupPace | None = None) -> str | None:
    """The value of the table's `opsbot:retention` tag, or None (all ListTagsOfResource pages)."""
    return table_tag(client, table_arn, RETENTION_TAG, pace=pace)


def table_tag(
    client: Any, table_arn: str, key: str, *, pace: BackupPace | None = None
) -> str | None:
    """The value of the table's tag ``key``, or None (all ListTagsOfResource pages)."""
    pace = pace or BackupPace()
    kwargs: dict[str, Any] = {"ResourceArn": table_arn}
    while True:
        pace.list_tags.wait()
        try:
            page = client.list_tags_of_resource(**kwargs)
        except ClientError as exc:
            raise translate(exc, table=table_arn.rpartition("/")[2]) from exc
        for tag in page.get("Tags", []):
            if tag.get("Key") == key:
                return str(tag.get("Value", ""))
        token = page.get("NextToken")
        if not token:
            return None
        kwargs["NextToken"] = token


def table_arn(partition: str, region: str, account: str, table: str) -> str:
    """A table's ARN from its parts (ListTables returns names only)."""
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{table}"


def caller_account(sts: Any) -> tuple[str, str]:
    """(partition, account id) of the credentials in use (GetCallerIdentity needs no grant)."""
    identity = sts.get_caller_identity()
    arn = str(identity.get("Arn", "arn:aws:"))
    return arn.split(":")[1] or "aws", str(identity["Account"])


def _request_id(response: dict[str, Any]) -> str:
    return str((response.get("ResponseMetadata") or {}).get("RequestId", ""))
