"""Export requests against the PITR window and the configured buckets, and the follow-up
decisions of a started export or import: pure, no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.errors import Conflict, InvalidValue, NotAllowed, TableNotFound, UsageError
from bot.domain.exports import (
    ExportRequest,
    S3Location,
    SourceTable,
    parse_s3_url,
    plan_export,
    transfer_cost,
)
from bot.domain.followed_jobs import COMPLETED, FAILED, GAVE_UP, IN_PROGRESS
from bot.domain.imports import (
    ImportPlan,
    ImportRequest,
    KeyAttribute,
    SourceObjects,
    choose_objects,
    plan_import,
)
from bot.domain.tables import PitrWindow
from bot.domain.transfer_jobs import TransferJob, TransferState, decide_transfer_check

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WINDOW = PitrWindow(True, NOW - timedelta(days=35), NOW - timedelta(minutes=5), 35)
SOURCE = SourceTable("arn:aws:dynamodb:us-west-2:123456789012:table/orders", 5 * 2**30, WINDOW)
BUCKETS = ("acme-ddb-exports",)
TO = S3Location("acme-ddb-exports", "nightly")


def plan(request: ExportRequest, source: SourceTable | None = SOURCE) -> object:
    return plan_export(request, now=NOW, source=source, buckets=BUCKETS, price_per_gb=0.10)


@pytest.mark.parametrize(
    ("text", "bucket", "prefix"),
    [
        ("s3://acme-ddb-exports", "acme-ddb-exports", ""),
        ("s3://acme-ddb-exports/", "acme-ddb-exports", ""),
        ("s3://acme-ddb-exports/a/b/", "acme-ddb-exports", "a/b"),
    ],
    ids=["bucket", "trailing-slash", "prefix"],
)
def test_s3_urls_are_read_into_bucket_and_prefix(text: str, bucket: str, prefix: str) -> None:
    assert parse_s3_url(text) == S3Location(bucket, prefix)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("acme-ddb-exports/x", "is not an S3 location"),
        ("s3://Acme_Exports/x", "is not an S3 bucket name"),
        ("s3://a/x", "is not an S3 bucket name"),
        ("s3://acme-ddb-exports/a\x07b", "not a usable S3 key prefix"),
    ],
    ids=["no-scheme", "uppercase", "too-short", "control-character"],
)
def test_bad_s3_urls_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(InvalidValue, match=problem):
        parse_s3_url(text)


def test_a_full_export_shows_the_tables_size_and_cost_at_the_configured_price() -> None:
    planned = plan_export(
        ExportRequest("orders", "us-west-2", TO),
        now=NOW,
        source=SOURCE,
        buckets=BUCKETS,
        price_per_gb=0.10,
    )
    assert (planned.size_bytes, round(planned.cost, 2)) == (5 * 2**30, 0.50)
    assert (
        planned.summary
        == "export `orders` (the table as of now) to `s3://acme-ddb-exports/nightly`"
    )
    assert transfer_cost(2**30, 0.15) == pytest.approx(0.15)


def test_only_configured_buckets_are_written_to() -> None:
    with pytest.raises(NotAllowed, match="`elsewhere-bucket` is not an export bucket"):
        plan(ExportRequest("orders", "us-west-2", S3Location("elsewhere-bucket")))


def test_no_table_and_pitr_off_are_refused() -> None:
    with pytest.raises(TableNotFound):
        plan(ExportRequest("orders", "us-west-2", TO), source=None)
    off = replace(SOURCE, window=PitrWindow(False))
    with pytest.raises(Conflict, match="`/ddb pitr orders on`"):
        plan(ExportRequest("orders", "us-west-2", TO), source=off)


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (
            ExportRequest("orders", "us-west-2", TO, at=NOW - timedelta(days=40)),
            "`--at` 2026-10-13 10:00 UTC (40 d ago) is outside the point-in-time window",
        ),
        (
            ExportRequest(
                "orders", "us-west-2", TO, incremental=True, start=NOW - timedelta(minutes=2)
            ),
            "`--from` 2026-11-22 09:58 UTC (2 min ago) is outside",
        ),
        (
            ExportRequest(
                "orders", "us-west-2", TO, incremental=True, start=NOW - timedelta(hours=30)
            ),
            "an incremental export covers 15 min to 1 d",
        ),
        (
            ExportRequest(
                "orders",
                "us-west-2",
                TO,
                incremental=True,
                start=NOW - timedelta(hours=2),
                end=NOW - timedelta(hours=1, minutes=55),
            ),
            "is 5 min",
        ),
    ],
    ids=["at-outside-window", "from-after-latest", "span-over-24h", "span-under-15m"],
)
def test_times_outside_the_window_or_spans_aws_refuses_are_refused(
    request_: ExportRequest, problem: str
) -> None:
    with pytest.raises(UsageError) as raised:
        plan(request_)
    assert problem in raised.value.message


def test_an_incremental_export_inside_the_window_is_planned() -> None:
    wanted = ExportRequest(
        "orders", "us-west-2", TO, incremental=True, start=NOW - timedelta(hours=3)
    )
    planned = plan(wanted)
    assert planned.point == (  # type: ignore[attr-defined]
        "changes from 2026-11-22 07:00 UTC to the latest restorable time"
    )
    assert planned.as_request() == wanted  # type: ignore[attr-defined]


JOB = TransferJob(
    "j1",
    "export",
    "orders",
    "us-west-2",
    "acme-ddb-exports",
    "nightly",
    "DYNAMODB_JSON",
    "U0OPER001",
    "C0OPSBOT1",
    "1.0",
    NOW,
    status=IN_PROGRESS,
    arn="arn:export",
)


def test_a_running_export_posts_progress_every_15_minutes_and_checks_again() -> None:
    quiet = decide_transfer_check(
        JOB,
        TransferState("IN_PROGRESS"),
        NOW + timedelta(minutes=5),
        poll_every=timedelta(minutes=5),
    )
    assert (quiet.post_progress, quiet.next_check_in) == (False, timedelta(minutes=5))
    due = decide_transfer_check(
        quiet.job,
        TransferState("IN_PROGRESS"),
        NOW + timedelta(minutes=15),
        poll_every=timedelta(minutes=5),
    )
    assert due.post_progress
    assert due.job.checks == 2


def test_completion_keeps_what_aws_reported() -> None:
    state = TransferState(
        "COMPLETED",
        NOW,
        NOW + timedelta(minutes=17),
        1_250_000,
        5 * 2**30,
        manifest="nightly/m.json",
    )
    done = decide_transfer_check(
        JOB, state, NOW + timedelta(minutes=20), poll_every=timedelta(minutes=5)
    )
    assert done.job.status == COMPLETED
    assert done.next_check_in is None
    assert done.job.duration(NOW + timedelta(hours=1)) == timedelta(minutes=17)
    assert done.job.manifest_url == "s3://acme-ddb-exports/nightly/m.json"


def test_failure_and_cancellation_and_giving_up_end_the_job() -> None:
    failed = decide_transfer_check(
        JOB,
        TransferState("FAILED", failure_code="S3AccessDenied", failure_message="Access Denied"),
        NOW,
        poll_every=timedelta(minutes=5),
    )
    assert (failed.job.status, failed.job.reason) == (FAILED, "S3AccessDenied: Access Denied")
    cancelled = decide_transfer_check(
        JOB, TransferState("CANCELLED"), NOW, poll_every=timedelta(minutes=5)
    )
    assert cancelled.job.reason == "the export was cancelled outside opsbot"
    late = decide_transfer_check(
        JOB,
        TransferState("IN_PROGRESS"),
        NOW + timedelta(hours=25),
        poll_every=timedelta(minutes=5),
    )
    assert late.job.status == GAVE_UP


def test_a_job_survives_its_state_table_record() -> None:
    job = replace(JOB, plan={"table": "orders", "size_bytes": 12}, cost=0.5, item_count=3)
    assert TransferJob.from_record(job.id, job.to_record()) == job


# ---- imports -------------------------------------------------------------------------------

SRC = S3Location("acme-ddb-exports", "nightly")
EXPORT_KEYS = [
    ("nightly/AWSDynamoDB/01764590000000-a1b2c3d4/manifest-summary.json", 700),
    ("nightly/AWSDynamoDB/01764590000000-a1b2c3d4/manifest-files.json", 300),
    ("nightly/AWSDynamoDB/01764590000000-a1b2c3d4/data/abc.json.gz", 2**30),
    ("nightly/AWSDynamoDB/01764590000000-a1b2c3d4/data/def.json.gz", 2**30),
]


def test_an_exports_prefix_imports_its_data_folder_not_its_manifests() -> None:
    objects = choose_objects(SRC, EXPORT_KEYS)
    assert objects == SourceObjects(
        "nightly/AWSDynamoDB/01764590000000-a1b2c3d4/data/", 2, 2 * 2**30, "GZIP"
    )
    again = S3Location("acme-ddb-exports", objects.prefix.rstrip("/"))
    assert choose_objects(again, EXPORT_KEYS[2:]) == objects  # the plan's prefix reads back


def test_sources_opsbot_cannot_import_from_are_refused_by_name() -> None:
    with pytest.raises(Conflict, match="There is nothing under `s3://acme-ddb-exports/nightly`"):
        choose_objects(SRC, [])
    two = [*EXPORT_KEYS, ("nightly/AWSDynamoDB/01764600000000-ffff0000/data/x.json.gz", 1)]
    with pytest.raises(Conflict, match="holds 2 exports; name one of them"):
        choose_objects(SRC, two)
    with pytest.raises(Conflict, match="mixes compressed and uncompressed"):
        choose_objects(SRC, [("nightly/a.csv", 1), ("nightly/b.csv.gz", 1)])


def test_an_import_never_targets_an_existing_table_and_needs_a_key() -> None:
    objects = choose_objects(SRC, EXPORT_KEYS)
    wanted = ImportRequest(SRC, "orders-copy", "us-west-2", like="orders")

    def planned(request: ImportRequest, **kwargs: Any) -> ImportPlan:
        args: dict[str, Any] = {
            "objects": objects,
            "target_exists": False,
            "like_keys": (KeyAttribute("id"), None),
            "buckets": BUCKETS,
            "price_per_gb": 0.15,
        }
        return plan_import(request, **{**args, **kwargs})

    plan_ = planned(wanted)
    assert (plan_.key, plan_.sort, round(plan_.cost, 2)) == (KeyAttribute("id"), None, 0.30)
    assert ImportPlan.from_payload(plan_.to_payload()) == plan_
    with pytest.raises(Conflict, match="never writes into an existing one"):
        planned(wanted, target_exists=True)
    with pytest.raises(TableNotFound, match="no table `orders` in us-west-2 to copy the key of"):
        planned(wanted, like_keys=None)
    with pytest.raises(NotAllowed, match="not an export bucket"):
        planned(replace(wanted, source=S3Location("elsewhere-bucket")))
    typed = ImportRequest(
        SRC, "orders-copy", "us-west-2", key=KeyAttribute("pk"), sort=KeyAttribute("pk", "N")
    )
    with pytest.raises(InvalidValue, match="cannot be the partition key"):
        planned(typed)


def test_export_buckets_are_read_from_config_and_a_bad_one_names_the_key() -> None:
    from bot.config_sections import ConfigError
    from bot.settings import parse_settings

    settings = parse_settings({"exports": {"buckets": ["acme-ddb-exports"], "price_per_gb": 0.2}})
    assert (settings.export_buckets, settings.export_price_per_gb) == (("acme-ddb-exports",), 0.2)
    assert settings.import_price_per_gb == 0.15
    with pytest.raises(ConfigError, match=r"`exports\.buckets` must be a list of S3 bucket names"):
        parse_settings({"exports": {"buckets": ["s3://acme-ddb-exports"]}})
