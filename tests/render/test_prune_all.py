"""`/ddb prune --all` as a message: what a Confirm deletes, table by table (golden files)."""

from __future__ import annotations

import pytest

from bot.domain.policy import RetentionPolicy, parse_policy
from bot.domain.prune_jobs import ResolvedPolicy
from bot.domain.retention import PlannedTable, TablePlan, plan_prune
from bot.render.prune_all import NAMES_LISTED, TABLES_LISTED, render_every_table_plan
from tests.golden import assert_golden
from tests.render.test_backups import NOW, PRICE, backup

TYPED = RetentionPolicy(keep_last=1)


def table(name: str, resolved: ResolvedPolicy, count: int) -> PlannedTable:
    found = [backup(24 * (n + 1), f"{name}-{n:03d}") for n in range(count)]
    assert resolved.policy is not None
    return PlannedTable.of(TablePlan(name, resolved, plan_prune(found, resolved.policy, NOW)))


def fleet() -> list[PlannedTable]:
    return [
        table("orders", ResolvedPolicy(parse_policy("keep-daily=3"), "tag"), 6),
        table("customers", ResolvedPolicy(parse_policy("keep-last=2"), "config"), 2),
        table(
            "scratch", ResolvedPolicy(TYPED, "flags", parse_policy("keep-weekly=9"), "default"), 3
        ),
    ]


def test_every_table_plan_to_confirm() -> None:
    message = render_every_table_plan(
        fleet(),
        NOW,
        PRICE,
        typed=TYPED,
        apply=True,
        left_alone=[
            ("opsbot-state", "opsbot's own state table: `/ddb prune opsbot-state` prunes it")
        ],
        errors=[("events", "There is no table `events` in us-west-2.")],
        plan_id="0" * 32,
        requester="U0ADMIN01",
    )
    assert_golden("backups", "every_table_plan_confirm", message.as_args())
    assert message.text == "Prune every table: delete 5 backups of 2 tables"


def test_every_table_plan_dry_run() -> None:
    message = render_every_table_plan(fleet(), NOW, PRICE, typed=RetentionPolicy(), apply=False)
    assert_golden("backups", "every_table_plan_dry_run", message.as_args())
    assert message.text.endswith("(dry run: nothing was deleted)")


@pytest.mark.parametrize(("tables", "per_table"), [(200, 3), (3, 400)], ids=["tables", "backups"])
def test_a_large_fleet_fits_one_message_and_counts_what_it_does_not_name(
    tables: int, per_table: int
) -> None:
    many = [table(f"t{n:03d}", ResolvedPolicy(TYPED, "flags"), per_table) for n in range(tables)]
    message = render_every_table_plan(
        many, NOW, PRICE, typed=TYPED, apply=True, plan_id="0" * 32, requester="U0ADMIN01"
    )
    assert len(message.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message.blocks)
    text = str(message.as_args())
    if tables > TABLES_LISTED:
        assert f"… and {tables - TABLES_LISTED} more tables" in text
    else:
        assert f"more backups of `t00{tables - 1}`" in text
    assert text.count("✗ `") <= NAMES_LISTED
