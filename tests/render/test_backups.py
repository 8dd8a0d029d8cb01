"""Backup lists, prune plans and prune results as Slack messages (golden files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.backups import GIB, BackupInfo, BackupType
from bot.domain.policy import parse_policy
from bot.domain.retention import PruneOutcome, plan_prune
from bot.render.backups import (
    render_backup_created,
    render_backup_list,
    render_prune_digest,
    render_prune_plan,
    render_prune_progress,
    render_prune_result,
)
from bot.render.message import Message
from bot.render.units import human_bytes, money
from tests.golden import assert_golden

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PRICE = 0.10


def backup(
    hours: float,
    name: str,
    *,
    type: BackupType = BackupType.USER,
    status: str = "AVAILABLE",
    size: int | None = GIB,
) -> BackupInfo:
    arn = f"arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/{name}"
    return BackupInfo(arn, name, "orders", NOW - timedelta(hours=hours), size, type, status)


SAMPLE = [
    backup(0.5, "before-migration", size=3 * GIB // 2),
    backup(26, "orders-20261119-1000"),
    backup(50, "orders-20261118-1000", size=None, status="CREATING"),
    backup(30 * 24, "aws-backup-daily", type=BackupType.AWS_BACKUP, size=5 * GIB),
    backup(40 * 24, "<!channel> & co", size=700 * 2**20),
]


def every_text(message: Message) -> list[str]:
    """Every text a block carries (section text and fields, context elements, headers)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(list(message.blocks))
    return texts


def assert_within_slack_limits(message: Message) -> None:
    assert len(message.blocks) <= 50
    sections = [b for b in message.blocks if b["type"] == "section" and "text" in b]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)


def buttons(message: Message) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


# --- units ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "size unknown"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 2**20, "5.0 MiB"),
        (3 * GIB // 2, "1.5 GiB"),
        (2**40, "1.0 TiB"),
        (2**60, "1024.0 PiB"),
    ],
    ids=["unknown", "zero", "bytes", "kib", "mib", "gib", "tib", "beyond-pib"],
)
def test_human_bytes_uses_binary_units(size: int | None, text: str) -> None:
    assert human_bytes(size) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "$0.00"), (0.001, "under $0.01"), (1.254, "$1.25"), (1234.5, "$1,234.50")],
    ids=["zero", "tiny", "cents", "thousands"],
)
def test_money_is_dollars_and_cents(amount: float, text: str) -> None:
    assert money(amount) == text


# --- backup list ----------------------------------------------------------------------------


def test_backup_list_shows_each_backup_totals_and_pitr() -> None:
    message = render_backup_list(
        "orders",
        SAMPLE,
        NOW,
        pitr_enabled=True,
        pitr_earliest=NOW - timedelta(days=35),
        pitr_latest=NOW - timedelta(minutes=5),
        price_per_gb_month=PRICE,
    )
    assert_golden("backups", "list_first_page", message.as_args())
    assert buttons(message) == []


def test_backup_list_without_backups_says_how_to_take_one() -> None:
    message = render_backup_list("orders", [], NOW, pitr_enabled=False, price_per_gb_month=PRICE)
    assert_golden("backups", "list_empty", message.as_args())


def test_backup_list_pages_with_a_show_more_button() -> None:
    many = [backup(h * 24, f"orders-day-{h:03d}") for h in range(45)]
    first = render_backup_list(
        "orders", many, NOW, pitr_enabled=False, price_per_gb_month=PRICE, page_size=20
    )
    last = render_backup_list(
        "orders", many, NOW, pitr_enabled=False, price_per_gb_month=PRICE, page=2, page_size=20
    )
    value = f"orders|1|{NOW.timestamp():.3f}|45"
    assert [(b["action_id"], b["value"]) for b in buttons(first)] == [("backups_more", value)]
    assert buttons(last) == []
    assert "Page 3 of 3 · backups 41–45 of 45 · newest first" in every_text(last)
    assert_within_slack_limits(first)


def test_backup_list_never_exceeds_fifty_blocks() -> None:
    many = [backup(h, f"b{h}") for h in range(500)]
    message = render_backup_list(
        "orders", many, NOW, pitr_enabled=True, price_per_gb_month=PRICE, page_size=500
    )
    assert_within_slack_limits(message)


def test_backup_names_from_aws_are_escaped() -> None:
    message = render_backup_list(
        "orders", SAMPLE, NOW, pitr_enabled=False, price_per_gb_month=PRICE
    )
    joined = "\n".join(every_text(message))
    assert "<!channel>" not in joined
    assert "`&lt;!channel&gt; &amp; co`" in joined


# --- prune plan -----------------------------------------------------------------------------


def sample_plan() -> tuple[Any, Any]:
    hourly = [backup(h * 6, f"orders-{h:03d}") for h in range(12)]
    backups = [*hourly, *SAMPLE[2:4]]
    policy = parse_policy("keep-last=2,keep-daily=2,min-age=12h")
    return plan_prune(backups, policy, NOW), policy


def test_prune_dry_run_lists_every_backup_with_its_reasons() -> None:
    plan, policy = sample_plan()
    message = render_prune_plan(
        "orders", plan, policy, NOW, PRICE, apply=False, plan_id=None, requester=None
    )
    assert_golden("backups", "prune_dry_run", message.as_args())
    assert "dry run: nothing was deleted" in message.text
    assert buttons(message) == []


def test_prune_apply_asks_the_requester_to_confirm() -> None:
    plan, policy = sample_plan()
    message = render_prune_plan(
        "orders", plan, policy, NOW, PRICE, apply=True, plan_id="p-7f3a", requester="U024BE7LH"
    )
    assert_golden("backups", "prune_confirm", message.as_args())
    assert [(b["action_id"], b["value"], b.get("style")) for b in buttons(message)] == [
        ("confirm", "p-7f3a|U024BE7LH", "danger"),
        ("cancel", "p-7f3a|U024BE7LH", None),
    ]


def test_prune_apply_with_nothing_to_delete_offers_no_button() -> None:
    plan = plan_prune(SAMPLE, parse_policy("keep-last=5"), NOW)
    message = render_prune_plan(
        "orders",
        plan,
        parse_policy("keep-last=5"),
        NOW,
        PRICE,
        apply=True,
        plan_id="p",
        requester="U1",
    )
    assert buttons(message) == []
    assert "Nothing to delete." in every_text(message)


def test_a_huge_plan_is_summarised_within_slack_limits() -> None:
    backups = [backup(h, f"orders-hourly-{h:05d}-{'x' * 200}") for h in range(5000)]
    policy = parse_policy("keep-hourly=100")
    message = render_prune_plan(
        "orders",
        plan_prune(backups, policy, NOW),
        policy,
        NOW,
        PRICE,
        apply=True,
        plan_id="p",
        requester="U1",
    )
    assert_within_slack_limits(message)
    texts = "\n".join(every_text(message))
    assert "… and 4860 more" in texts  # 4900 deletions, 40 shown
    assert "… and 60 more" in texts  # 100 kept, 40 shown


# --- progress, result, digest, created -------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "total", "failed"),
    [(0, 40, 0), (20, 40, 1), (40, 40, 0), (0, 0, 0)],
    ids=["start", "half-with-failure", "done", "nothing"],
)
def test_prune_progress_shows_a_bar(done: int, total: int, failed: int) -> None:
    message = render_prune_progress("orders", done, total, failed)
    assert_golden("backups", f"progress_{done}_{total}_{failed}", message.as_args())


def test_prune_result_lists_deleted_and_failed_with_reasons() -> None:
    message = render_prune_result(
        "orders",
        ["orders-001", "orders-002"],
        [("orders-003", "BackupInUseException: <restore in progress>")],
        2 * GIB,
        PRICE,
    )
    assert_golden("backups", "prune_result", message.as_args())


def test_prune_result_summarises_many_deletions() -> None:
    names = [f"orders-{i:04d}" for i in range(300)]
    message = render_prune_result("orders", names, [], 300 * GIB, PRICE)
    assert "… and 280 more" in "\n".join(every_text(message))
    assert_within_slack_limits(message)


OUTCOMES = [
    PruneOutcome(
        "orders",
        planned=12,
        deleted=11,
        bytes_freed=11 * GIB,
        failures=(("orders-0003", "BackupInUseException"),),
    ),
    PruneOutcome("customers", planned=0),
    PruneOutcome("events", planned=3, deleted=3, bytes_freed=3 * 2**20),
    PruneOutcome("legacy", planned=0, error="AccessDenied: dynamodb:ListBackups"),
]


@pytest.mark.parametrize("mode", ["apply", "dry-run"], ids=["apply", "dry-run"])
def test_prune_digest_is_one_message_per_run(mode: str) -> None:
    message = render_prune_digest(OUTCOMES, NOW, mode, price_per_gb_month=PRICE)
    assert_golden("backups", f"digest_{mode}", message.as_args())
    assert_within_slack_limits(message)


def test_prune_digest_summarises_many_tables() -> None:
    outcomes = [
        PruneOutcome(f"t{i:03d}", planned=1, deleted=1, bytes_freed=GIB) for i in range(200)
    ]
    message = render_prune_digest(outcomes, NOW, "apply")
    assert "… and 160 more" in "\n".join(every_text(message))
    assert "200 tables checked · *200 backups deleted*" in "\n".join(every_text(message))
    assert_within_slack_limits(message)


def test_backup_created_names_backup_requester_and_arn() -> None:
    message = render_backup_created(
        "orders", "before-migration", "arn:aws:dynamodb:us-west-2:1:table/orders/backup/01", "U1"
    )
    assert_golden("backups", "created", message.as_args())


def test_prune_digest_in_the_nightly_delete_mode_reports_deletions() -> None:
    message = render_prune_digest(OUTCOMES, NOW, "delete", price_per_gb_month=PRICE)
    assert message.text == "Backup prune: 4 tables, 14 backups deleted, 2 failures"
    assert "Mode: delete" in "\n".join(every_text(message))
