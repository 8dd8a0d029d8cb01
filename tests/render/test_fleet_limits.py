"""At fleet size (10,000 tables) the digest and App Home stay within Slack's limits by
themselves: a summary and the worst tables, never a message Slack refuses or truncates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.replicas import MAX_HOME_BLOCKS, HomeView, TableHealth
from bot.domain.retention import PruneOutcome
from bot.render.backups import DIGEST_LINES, render_prune_digest
from bot.render.home import render_home
from bot.render.limits import MAX_BLOCKS, MAX_SECTION_TEXT, MAX_TEXT

NOW = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)
TABLES = 10_000


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def fleet_outcomes() -> list[PruneOutcome]:
    """10,000 tables: most deleted 3 backups, every 100th failed once, 5 not pruned at all,
    every 10th has no policy; table 4242 freed the most."""
    outcomes = []
    for i in range(TABLES):
        name = f"fleet-{i:05d}@payments-prod/us-west-2"
        if i % 10 == 9:
            outcomes.append(PruneOutcome(name, 0, left_alone="no policy"))
        elif i < 5:
            outcomes.append(PruneOutcome(name, 0, error=f"AccessDenied on table {i} " + "x" * 400))
        else:
            freed = 2**40 if i == 4242 else 3 * 2**30
            failures = ((f"fleet-{i:05d}-0001", "BackupInUseException"),) if i % 100 == 50 else ()
            outcomes.append(PruneOutcome(name, 3, 3 - len(failures), freed, failures))
    return outcomes


def test_the_digest_of_ten_thousand_tables_is_a_summary_and_the_worst_tables() -> None:
    message = render_prune_digest(fleet_outcomes(), NOW, "delete").as_args()
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(t) <= MAX_SECTION_TEXT for t in section_texts(blocks))
    assert len(message["text"]) <= MAX_TEXT
    summary = section_texts(blocks)[0]
    assert summary.startswith("9000 tables checked · *26885 backups deleted*")
    assert "1000 tables left alone (no policy, opted out or gone)" in summary
    listed = "\n".join(section_texts(blocks)[1:])
    lines = listed.split("\n")
    # The worst first: the 5 tables not pruned, then the 90 with a failure, then the most freed.
    assert lines[0].startswith("✗ `fleet-00000@payments-prod/us-west-2`: not pruned")
    assert all(line.startswith("✗") for line in lines[:5])
    assert "1 failed" in lines[5]
    assert f"… and {9000 - DIGEST_LINES} more" in listed
    assert json.dumps(message).count("fleet-04242") == 0  # not among the 40 worst: failures first


def test_app_home_with_ten_thousand_watched_tables_shows_the_worst_and_counts_the_rest() -> None:
    cards = [TableHealth(f"fleet-{i:05d}", "payments-prod/us-west-2") for i in range(TABLES)]
    cards[7000] = TableHealth("fleet-07000", "payments-prod/us-west-2", error="AccessDenied")
    ordered = [cards[7000], *cards[:7000], *cards[7001:]]  # home_order: failures first
    blocks = render_home(
        HomeView(tuple(ordered)), NOW, source="tagged opsbot:watch", max_backup_age=timedelta(1)
    )
    assert len(blocks) <= MAX_HOME_BLOCKS
    assert all(len(t) <= MAX_SECTION_TEXT for t in section_texts(blocks))
    shown = json.dumps(blocks)
    assert "10000 watched tables" in shown
    assert "fleet-07000" in json.dumps(blocks[:4])  # the failing table is the first card
    last = blocks[-1]["elements"][0]["text"]
    assert last.startswith(f"… and {TABLES - (len(blocks) - 3) // 2} more tables")
    assert len(last) <= 2000
