"""Backups as read from ListBackups: mapping, names and storage cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.domain.backups import (
    GIB,
    BackupInfo,
    BackupType,
    check_backup_name,
    default_backup_name,
    from_summary,
    monthly_cost,
    total_bytes,
)
from bot.domain.errors import InvalidValue

CREATED = datetime(2026, 11, 20, 10, 42, tzinfo=UTC)


def summary(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "TableName": "orders",
        "TableId": "e5f0b2c4-0000-0000-0000-000000000000",
        "TableArn": "arn:aws:dynamodb:us-west-2:123456789012:table/orders",
        "BackupArn": "arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/0163",
        "BackupName": "orders-20261120-1042",
        "BackupCreationDateTime": CREATED,
        "BackupStatus": "AVAILABLE",
        "BackupType": "USER",
        "BackupSizeBytes": 3 * GIB,
    }
    item.update(overrides)
    return item


def test_from_summary_maps_a_list_backups_item() -> None:
    assert from_summary(summary()) == BackupInfo(
        arn="arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/0163",
        name="orders-20261120-1042",
        table="orders",
        created=CREATED,
        size_bytes=3 * GIB,
        type=BackupType.USER,
        status="AVAILABLE",
    )


@pytest.mark.parametrize(
    ("overrides", "attribute", "expected"),
    [
        ({"BackupSizeBytes": None}, "size_bytes", None),
        ({"BackupType": "AWS_BACKUP"}, "type", BackupType.AWS_BACKUP),
        ({"BackupType": "SYSTEM"}, "type", BackupType.SYSTEM),
        ({"BackupStatus": "CREATING"}, "status", "CREATING"),
        ({"BackupCreationDateTime": datetime(2026, 11, 20, 10, 42)}, "created", CREATED),
    ],
    ids=["size-not-yet-known", "aws-backup", "system", "creating", "naive-time-is-utc"],
)
def test_from_summary_reads_each_field(
    overrides: dict[str, Any], attribute: str, expected: object
) -> None:
    assert getattr(from_summary(summary(**overrides)), attribute) == expected


def test_from_summary_without_size_key_has_unknown_size() -> None:
    item = summary()
    del item["BackupSizeBytes"]
    assert from_summary(item).size_bytes is None


def test_from_summary_rejects_a_missing_creation_time() -> None:
    with pytest.raises(InvalidValue, match="has no creation time"):
        from_summary(summary(BackupCreationDateTime="yesterday"))


@pytest.mark.parametrize(
    ("size", "price", "cost"),
    [(GIB, 0.10, 0.10), (0, 0.10, 0.0), (GIB // 2, 0.10, 0.05), (10 * GIB, 0.114, 1.14)],
    ids=["one-gib", "empty", "half-gib", "other-price"],
)
def test_monthly_cost_counts_gib_months(size: int, price: float, cost: float) -> None:
    assert monthly_cost(size, price) == pytest.approx(cost)


def test_total_bytes_counts_unknown_sizes_as_zero() -> None:
    def one(size: int | None) -> BackupInfo:
        return BackupInfo("a", "n", "t", CREATED, size, BackupType.USER, "AVAILABLE")

    assert total_bytes([one(5), one(None), one(7)]) == 12


@pytest.mark.parametrize(
    ("table", "now", "name"),
    [
        ("orders", CREATED, "orders-20261120-1042"),
        (
            "orders",
            datetime(2026, 11, 20, 3, 5, tzinfo=timezone(timedelta(hours=-8))),
            "orders-20261120-1105",
        ),
        ("my table!", CREATED, "my-table-20261120-1042"),
        ("--", CREATED, "backup-20261120-1042"),
        ("t" * 300, CREATED, "t" * 241 + "-20261120-1042"),
    ],
    ids=["plain", "stamp-in-utc", "sanitized", "nothing-left", "truncated-to-255"],
)
def test_default_backup_name_is_table_and_utc_stamp(table: str, now: datetime, name: str) -> None:
    assert default_backup_name(table, now) == name
    assert check_backup_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["ab", "x" * 256, "with space", "émoji", "a/b"],
    ids=["too-short", "too-long", "space", "non-ascii", "slash"],
)
def test_check_backup_name_rejects_names_dynamodb_refuses(name: str) -> None:
    with pytest.raises(InvalidValue, match="is not a valid backup name"):
        check_backup_name(name)
