"""Drill decisions without AWS: the scratch table's name, what to drill, the verdicts, and
`[drills]` in opsbot.toml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config_sections import ConfigError
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.drills import (
    DRILL_PREFIX,
    TableShape,
    choose_source,
    count_problem,
    is_scratch,
    restore_cost,
    scratch_name,
    shape_problems,
)
from bot.domain.errors import Conflict
from bot.domain.tables import PitrWindow
from bot.settings import parse_settings

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WINDOW = PitrWindow(
    enabled=True, earliest=NOW - timedelta(days=35), latest=NOW - timedelta(minutes=5)
)


def backup(name: str, hours: int, kind: BackupType = BackupType.USER) -> BackupInfo:
    return BackupInfo(
        arn=f"arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/{name}",
        name=name,
        table="orders",
        created=NOW - timedelta(hours=hours),
        size_bytes=2**30,
        type=kind,
        status="AVAILABLE",
    )


def test_scratch_names_carry_the_reserved_prefix_and_the_time() -> None:
    assert scratch_name("orders", NOW) == "opsbot-drill-orders-20261122T1000Z"
    assert is_scratch(scratch_name("orders", NOW))
    assert not is_scratch("opsbot-drillbit")


def test_a_long_table_name_is_cut_to_dynamodbs_limit_with_a_hash() -> None:
    long_a, long_b = "a" * 250 + "x", "a" * 250 + "y"
    name_a, name_b = scratch_name(long_a, NOW), scratch_name(long_b, NOW)
    assert len(name_a) == len(name_b) == 255
    assert name_a != name_b
    assert name_a.startswith(DRILL_PREFIX)
    assert name_a.endswith("-20261122T1000Z")


def test_the_default_drill_is_the_newest_user_backup_never_a_system_one() -> None:
    backups = [backup("old", 48), backup("new", 2), backup("sys", 1, BackupType.SYSTEM)]
    source = choose_source("orders", backups, WINDOW)
    assert (source.kind, source.backup_name) == ("backup", "new")


def test_without_a_user_backup_the_default_is_the_latest_pitr_point() -> None:
    source = choose_source("orders", [], WINDOW, table_size=5, table_count=7)
    assert (source.kind, source.at, source.size_bytes, source.source_count) == ("pitr", None, 5, 7)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {},
            "Nothing to drill: `orders` has no backup and PITR is off — take one with "
            "`/ddb backup orders`.",
        ),
        ({"latest_backup": True}, "`orders` has no available user backup to drill."),
        ({"pitr": True}, "Point-in-time recovery is off for `orders`"),
        ({"named": "weekly"}, "There is no backup `weekly` of `orders`."),
    ],
    ids=["nothing", "no-backup", "pitr-off", "unknown-backup"],
)
def test_nothing_to_drill_says_why(options: dict[str, object], message: str) -> None:
    with pytest.raises(Conflict) as error:
        choose_source("orders", [], PitrWindow(enabled=False), **options)  # type: ignore[arg-type]
    assert message in error.value.message


def test_a_pitr_time_outside_the_window_is_refused() -> None:
    with pytest.raises(Conflict, match="outside the restorable window"):
        choose_source("orders", [], WINDOW, pitr=True, at=NOW - timedelta(days=40))


@pytest.mark.parametrize(
    ("source", "copy", "problem"),
    [
        (1_200_000, 0, "the copy has 0 items, the source 1.2 M"),
        (1000, 990, None),  # within DynamoDB's approximate counts (1%)
        (1000, 900, "the copy has 900 items, the source 1,000"),
        (None, 5, None),
        (0, 0, None),
    ],
    ids=["empty-copy", "within-tolerance", "short", "unknown-source", "both-empty"],
)
def test_count_verdicts(source: int | None, copy: int, problem: str | None) -> None:
    assert count_problem(source, copy) == problem


def test_a_missing_index_fails_the_shape() -> None:
    source = TableShape(keys=("id HASH",), gsis=("by-customer: customer HASH",))
    copy = TableShape(keys=("id HASH",))
    assert shape_problems(source, copy) == ["GSI missing or changed: by-customer: customer HASH"]
    assert shape_problems(source, source) == []


def test_cost_is_per_gb_restored() -> None:
    assert restore_cost(10 * 2**30, 0.15) == pytest.approx(1.5)
    assert restore_cost(None, 0.15) == 0


@pytest.mark.parametrize(
    ("drills", "key"),
    [
        ({"max_at_once": 11}, "drills.max_at_once"),
        ({"hour": 24}, "drills.hour"),
        ({"day": "someday"}, "drills.day"),
        ({"tables": "orders"}, "drills.tables"),
        ({"tables": ["orders@mars"]}, "drills.tables"),
        ({"often": True}, "drills.often"),
    ],
    ids=["too-many-at-once", "hour", "day", "tables-not-a-list", "bad-region", "unknown-key"],
)
def test_bad_drill_config_names_the_key(drills: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=f"`{key}`"):
        parse_settings({"drills": drills})


def test_the_shipped_drill_config_is_the_default() -> None:
    settings = parse_settings({"drills": {"price_per_gb": 0.2, "tables": ["orders@us-east-1"]}})
    assert settings.drills.price_per_gb == 0.2
    assert settings.drills.tables == ("orders@us-east-1",)
    assert settings.drills.max_at_once == 3
