"""App Home rendering: golden files in tests/golden/home/ and Slack's 100-block limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain.refs import TableRef
from bot.domain.replicas import (
    AlarmInfo,
    GlobalTable,
    HomeView,
    ReplicaHealth,
    ReplicationLag,
    TableHealth,
    home_capacity,
    table_health,
)
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus
from bot.render.home import render_home, render_home_error
from bot.render.limits import MAX_HOME_BLOCKS
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MAX_AGE = timedelta(days=2)


def status(name: str, region: str = "us-west-2", **changes: object) -> TableStatus:
    base = TableStatus(
        name=name,
        region=region,
        account="123456789012",
        status="ACTIVE",
        billing_mode="PAY_PER_REQUEST",
        item_count=10,
        size_bytes=1000,
        read_capacity=None,
        write_capacity=None,
        deletion_protection=True,
        pitr=PitrWindow(enabled=True),
        newest_backup=NewestBackup("nightly", NOW - timedelta(hours=6), "USER"),
        alarms_firing=(),
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


THROTTLE_ALARMS = [
    AlarmInfo(f"{t}-throttles", "OK", t, frozenset({"ThrottledRequests"}), "AWS/DynamoDB")
    for t in ("orders", "carts", "<!here>")
]
ORDERS_ALARM = AlarmInfo(
    "orders-write-throttles",
    "ALARM",
    "orders",
    frozenset({"WriteThrottleEvents"}),
    "AWS/DynamoDB",
    NOW - timedelta(minutes=12),
)
ORDERS = table_health(
    status("orders", alarms_firing=("orders-write-throttles",)),
    GlobalTable(
        "orders",
        "us-west-2",
        "2019.11.21",
        (
            ReplicaHealth("us-west-2", "ACTIVE", is_source=True),
            ReplicaHealth("eu-west-1", "ACTIVE"),
            ReplicaHealth("us-east-1", "ACTIVE"),
        ),
        (
            ReplicationLag("us-west-2", "eu-west-1", 95_000.0, 120_000.0),
            ReplicationLag("us-west-2", "us-east-1", 850.0, 1400.0),
        ),
    ),
    [*THROTTLE_ALARMS, ORDERS_ALARM],
    NOW,
    max_backup_age=MAX_AGE,
)
CARTS = table_health(
    status("carts", "us-east-1"), None, THROTTLE_ALARMS, NOW, max_backup_age=MAX_AGE
)
AT_RISK = table_health(
    status(
        "<!here>",
        deletion_protection=False,
        pitr=PitrWindow(enabled=False),
        newest_backup=NewestBackup("old", NOW - timedelta(days=9), "USER"),
    ),
    None,
    [],
    NOW,
    max_backup_age=MAX_AGE,
)
GONE = TableHealth("gone-table", "us-west-2", error="There is no table `gone-table` in us-west-2.")


def test_home_with_an_incident_matches_its_golden_file() -> None:
    view = HomeView(
        cards=(ORDERS, GONE, AT_RISK, CARTS),
        incidents=(("us-west-2", ORDERS_ALARM),),
    )
    blocks = render_home(view, NOW, source="configured in opsbot.toml", max_backup_age=MAX_AGE)
    assert_golden("home", "incident-lagging-missing-at-risk", blocks)
    text = json.dumps(blocks)
    assert "<!here>" not in text


def test_home_without_watched_tables_says_how_to_watch_some() -> None:
    blocks = render_home(
        HomeView(cards=()), NOW, source="tagged opsbot:watch", max_backup_age=MAX_AGE
    )
    assert_golden("home", "nothing-watched", blocks)


def test_home_error_matches_its_golden_file() -> None:
    blocks = render_home_error("AWS said <nope> & no", NOW, source="tagged opsbot:watch")
    assert_golden("home", "error", blocks)


def test_home_with_more_tables_than_fit_stays_within_100_blocks_and_summarises() -> None:
    cards = tuple(
        table_health(status(f"table-{i:03d}"), None, [], NOW, max_backup_age=MAX_AGE)
        for i in range(home_capacity())
    )
    hidden = tuple(TableRef(f"table-{i:03d}", "us-west-2") for i in range(home_capacity(), 60))
    incidents = tuple(("us-west-2", ORDERS_ALARM) for _ in range(15))
    blocks = render_home(
        HomeView(cards=cards, hidden=hidden, incidents=incidents),
        NOW,
        source="tagged opsbot:watch",
        max_backup_age=MAX_AGE,
    )
    assert len(blocks) <= MAX_HOME_BLOCKS
    summary = blocks[-1]["elements"][0]["text"]
    assert summary.startswith(f"… and {60 - home_capacity()} more tables: `/ddb status <table>`")
    assert "table-059" in summary
    assert "… and 5 more open alarms" in json.dumps(blocks, ensure_ascii=False)


def test_home_given_too_many_cards_moves_the_rest_into_the_summary() -> None:
    cards = tuple(
        table_health(status(f"table-{i:03d}"), None, [], NOW, max_backup_age=MAX_AGE)
        for i in range(80)
    )
    blocks = render_home(HomeView(cards=cards), NOW, source="x", max_backup_age=MAX_AGE)
    assert len(blocks) <= MAX_HOME_BLOCKS
    assert blocks[-1]["elements"][0]["text"].startswith(
        f"… and {80 - home_capacity()} more tables: "
    )
