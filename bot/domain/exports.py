"""Exports of a table to S3: where they may go, validating a request against the PITR window
and the configured buckets into the ExportPlan the user confirms, and what it costs. Pure;
`now` is always passed in.

bot/domain/export_jobs.py follows a confirmed export from its start to its end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.domain.backups import GIB
from bot.domain.errors import Conflict, InvalidValue, NotAllowed, TableNotFound, UsageError
from bot.domain.records import frozen
from bot.domain.refs import BUCKET_NAME
from bot.domain.restores import describe_window
from bot.domain.tables import PitrWindow
from bot.domain.times import format_duration, format_relative, format_utc, stored_time
from bot.domain.typed import quoted

EXPORT_USAGE = (
    "/ddb export <table> --to s3://BUCKET/PREFIX [--at TIME] [--format dynamodb|ion] "
    "[--incremental --from TIME [--until TIME]]"
)
# `--format` as typed -> ExportFormat / InputFormat as AWS spells it.
EXPORT_FORMATS: Mapping[str, str] = {"dynamodb": "DYNAMODB_JSON", "ion": "ION"}
# AWS: an incremental export covers at least 15 minutes and at most 24 hours.
MIN_INCREMENTAL = timedelta(minutes=15)
MAX_INCREMENTAL = timedelta(hours=24)
DEFAULT_EXPORT_PRICE_PER_GB = 0.10
_PREFIX_MAX = 1024


@frozen
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash; '' for the bucket's root)."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        """'s3://bucket/prefix' as the user typed it."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def parse_s3_url(text: str) -> S3Location:
    """`s3://BUCKET/PREFIX` -> S3Location, or InvalidValue naming what is wrong."""
    if not text.startswith("s3://"):
        raise InvalidValue(f"{quoted(text, 60)} is not an S3 location; write `s3://BUCKET/PREFIX`")
    bucket, _, prefix = text[len("s3://") :].partition("/")
    if not BUCKET_NAME.fullmatch(bucket):
        raise InvalidValue(
            f"{quoted(bucket, 70)} is not an S3 bucket name (3-63 lowercase letters, digits, "
            "`.` or `-`)"
        )
    prefix = prefix.strip("/")
    if len(prefix) > _PREFIX_MAX or any(ord(c) < 32 for c in prefix):
        raise InvalidValue(f"the prefix of {quoted(text, 60)} is not a usable S3 key prefix")
    return S3Location(bucket, prefix)


def check_bucket(location: S3Location, buckets: Collection[str]) -> None:
    """Raise NotAllowed unless ``location``'s bucket is one of the configured ``buckets``."""
    if location.bucket in buckets:
        return
    configured = ", ".join(f"`{b}`" for b in sorted(buckets)) or "none"
    raise NotAllowed(
        f"`{location.bucket}` is not an export bucket. An export copies all of a table's data, "
        f"so opsbot writes only to the buckets in `[exports] buckets` of opsbot.toml "
        f"(configured: {configured})."
    )


def transfer_cost(size_bytes: int, price_per_gb: float) -> float:
    """What moving ``size_bytes`` costs at a price per GB (GB = 2**30 bytes)."""
    return size_bytes / GIB * price_per_gb


@frozen
class ExportRequest:
    """What the user asked for: a table, a destination, a time or an incremental span."""

    table: str
    region: str
    destination: S3Location
    at: datetime | None = None
    export_format: str = "DYNAMODB_JSON"
    incremental: bool = False
    start: datetime | None = None  # --from
    end: datetime | None = None  # --until (None: the latest restorable time)


@frozen
class ExportPlan:
    """A validated export: from which table, as of when, to where, and its estimated cost."""

    table: str
    region: str
    table_arn: str
    bucket: str
    prefix: str
    export_format: str
    size_bytes: int
    cost: float
    at: datetime | None = None
    incremental: bool = False
    start: datetime | None = None
    end: datetime | None = None

    @property
    def destination(self) -> S3Location:
        """Where the export goes."""
        return S3Location(self.bucket, self.prefix)

    @property
    def point(self) -> str:
        """What is exported, in words."""
        if self.incremental:
            assert self.start is not None
            until = format_utc(self.end) if self.end else "the latest restorable time"
            return f"changes from {format_utc(self.start)} to {until}"
        return f"the table as of {format_utc(self.at)}" if self.at else "the table as of now"

    @property
    def summary(self) -> str:
        """One line for the confirmation record and the "Confirmed by" reply."""
        return f"export `{self.table}` ({self.point}) to `{self.destination.url}`"

    def as_request(self) -> ExportRequest:
        """The request this plan answers, to validate it again."""
        return ExportRequest(
            self.table,
            self.region,
            self.destination,
            self.at,
            self.export_format,
            self.incremental,
            self.start,
            self.end,
        )

    def to_payload(self) -> dict[str, Any]:
        """The plan as JSON-able data for the stored confirmation."""
        return {
            "table": self.table,
            "region": self.region,
            "table_arn": self.table_arn,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "export_format": self.export_format,
            "size_bytes": self.size_bytes,
            "cost": self.cost,
            "at": self.at.isoformat() if self.at else None,
            "incremental": self.incremental,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ExportPlan:
        """The plan back from its stored payload."""
        return cls(
            table=str(payload["table"]),
            region=str(payload["region"]),
            table_arn=str(payload.get("table_arn", "")),
            bucket=str(payload["bucket"]),
            prefix=str(payload.get("prefix", "")),
            export_format=str(payload.get("export_format", "DYNAMODB_JSON")),
            size_bytes=int(payload.get("size_bytes", 0)),
            cost=float(payload.get("cost", 0.0)),
            at=stored_time(payload.get("at")),
            incremental=bool(payload.get("incremental")),
            start=stored_time(payload.get("start")),
            end=stored_time(payload.get("end")),
        )


@frozen
class SourceTable:
    """What an export needs to know of its table (DescribeTable, DescribeContinuousBackups)."""

    arn: str
    size_bytes: int
    window: PitrWindow


def plan_export(
    request: ExportRequest,
    *,
    now: datetime,
    source: SourceTable | None,
    buckets: Collection[str],
    price_per_gb: float,
) -> ExportPlan:
    """An ExportPlan, or the error that says what stops it (nothing is started).

    ``source`` is None when the table does not exist.
    """
    check_bucket(request.destination, buckets)
    if source is None:
        raise TableNotFound(
            f"There is no table `{request.table}` in {request.region}. Check the name, or add "
            "`@region`."
        )
    window = source.window
    if not window.enabled or window.earliest is None or window.latest is None:
        raise Conflict(
            f"Point-in-time recovery is off for `{request.table}`: DynamoDB exports only from "
            f"its window. `/ddb pitr {request.table} on` starts one (it covers changes from "
            "then on); nothing was exported."
        )
    if request.incremental:
        _check_span(request, window, now)
    elif request.at is not None:
        _check_inside(request.at, "--at", request.table, window, now)
    return ExportPlan(
        table=request.table,
        region=request.region,
        table_arn=source.arn,
        bucket=request.destination.bucket,
        prefix=request.destination.prefix,
        export_format=request.export_format,
        size_bytes=source.size_bytes,
        cost=transfer_cost(source.size_bytes, price_per_gb),
        at=request.at,
        incremental=request.incremental,
        start=request.start,
        end=request.end,
    )


def _check_inside(
    when: datetime, option: str, table: str, window: PitrWindow, now: datetime
) -> None:
    assert window.earliest is not None
    assert window.latest is not None
    if not window.earliest <= when <= window.latest:
        raise UsageError(
            f"`{option}` {format_utc(when)} ({format_relative(when, now)}) is outside the "
            f"point-in-time window of `{table}`: {describe_window(window, now)}. Pick a time "
            "inside it.",
            EXPORT_USAGE,
        )


def _check_span(request: ExportRequest, window: PitrWindow, now: datetime) -> None:
    assert request.start is not None
    assert window.latest is not None
    _check_inside(request.start, "--from", request.table, window, now)
    if request.end is not None:
        _check_inside(request.end, "--until", request.table, window, now)
    end = request.end or window.latest
    span = end - request.start
    if not MIN_INCREMENTAL <= span <= MAX_INCREMENTAL:
        raise UsageError(
            f"an incremental export covers {format_duration(MIN_INCREMENTAL)} to "
            f"{format_duration(MAX_INCREMENTAL)}; {format_utc(request.start)} to "
            f"{format_utc(end)} is {format_duration(max(span, timedelta(0)))}.",
            EXPORT_USAGE,
        )
