"""`/ddb status` rendering, compared with golden files in tests/golden/status/."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.table_load import CapacityLoad, TableLoad
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus
from bot.render.status import human_bytes, render_status
from bot.render.table_load import SHOWN_INDEXES, load_section
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MAX_AGE = timedelta(days=2)

PROVISIONED_PROTECTED = TableStatus(
    name="orders",
    region="us-west-2",
    account="123456789012",
    status="ACTIVE",
    billing_mode="PROVISIONED",
    item_count=1_234_567,
    size_bytes=734 * 1024 * 1024,
    read_capacity=50,
    write_capacity=25,
    deletion_protection=True,
    pitr=PitrWindow(
        enabled=True,
        earliest=NOW - timedelta(days=35),
        latest=NOW - timedelta(minutes=5),
        recovery_days=35,
    ),
    newest_backup=NewestBackup("orders-20261122-0400", NOW - timedelta(hours=6), "USER"),
    alarms_firing=(),
)

ON_DEMAND_AT_RISK = TableStatus(
    name="cloudacademy-courses",
    region="us-east-1",
    account="123456789012",
    status="ACTIVE",
    billing_mode="PAY_PER_REQUEST",
    item_count=42,
    size_bytes=9_000,
    read_capacity=None,
    write_capacity=None,
    deletion_protection=False,
    pitr=PitrWindow(enabled=False),
    newest_backup=None,
    alarms_firing=("courses-read-throttles", "courses-system-errors"),
)

HOSTILE_NAMES = TableStatus(
    name="orders",
    region="us-west-2",
    account="123456789012",
    status="UPDATING",
    billing_mode="PAY_PER_REQUEST",
    item_count=0,
    size_bytes=0,
    read_capacity=None,
    write_capacity=None,
    deletion_protection=True,
    pitr=PitrWindow(enabled=True),
    newest_backup=NewestBackup("<!channel> & <http://evil|click>", NOW - timedelta(days=5), "USER"),
    alarms_firing=("<!channel> wake up",),
    replica_regions=("eu-west-1",),
)

CASES = {
    "provisioned-pitr-fresh-backup": PROVISIONED_PROTECTED,
    "on-demand-pitr-off-no-backup-alarms": ON_DEMAND_AT_RISK,
    "names-with-mentions-escaped": HOSTILE_NAMES,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_status_matches_its_golden_file(case: str) -> None:
    message = render_status(CASES[case], NOW, max_backup_age=MAX_AGE)
    assert_golden("status", case, message.as_args())


def test_protected_table_shows_no_risks_line() -> None:
    message = render_status(PROVISIONED_PROTECTED, NOW, max_backup_age=MAX_AGE)
    assert "Risks" not in json.dumps(message.as_args())
    assert message.text == "orders in us-west-2: ACTIVE, PITR on"


def test_table_at_risk_lists_every_missing_protection() -> None:
    message = render_status(ON_DEMAND_AT_RISK, NOW, max_backup_age=MAX_AGE)
    risks = next(b for b in message.blocks if "Risks" in b.get("text", {}).get("text", ""))
    assert risks["text"]["text"] == (
        ":warning: *Risks:* PITR is off; no backup; deletion protection is off; 2 alarms firing"
    )


def test_text_from_aws_cannot_ping_or_plant_links() -> None:
    dumped = json.dumps(render_status(HOSTILE_NAMES, NOW, max_backup_age=MAX_AGE).as_args())
    assert "<!channel>" not in dumped
    assert "<http://evil" not in dumped
    assert "&lt;!channel&gt;" in dumped


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (734 * 1024**2, "734.0 MiB"),
        (3 * 1024**5, "3072.0 TiB"),
    ],
    ids=["zero", "bytes", "kib", "mib", "beyond-tib-stays-tib"],
)
def test_human_bytes(size: int, expected: str) -> None:
    assert human_bytes(size) == expected


# --- the live load (issue 21) -------------------------------------------------------------------

BUSY_PROVISIONED = TableLoad(
    capacity=(
        CapacityLoad(
            "orders",
            False,
            consumed_read=(5.0, 10.0, 20.25),
            consumed_write=(1.0, 1.5),
            provisioned_read=(25.0, 25.0, 25.0),
            provisioned_write=(10.0, 10.0),
            read_throttles=(0.0, 4.0, 10.0),
        ),
        CapacityLoad(
            "by-customer",
            True,
            consumed_read=(2.0, 3.0),
            provisioned_read=(5.0, 5.0),
            provisioned_write=(5.0, 5.0),
        ),
    ),
    latency=(("GetItem", (3.0, 3.5, 4.25)), ("Query", (8.0,))),
)
LOAD_CASES: dict[str, tuple[TableStatus, TableLoad | str]] = {
    "load-provisioned-gsi-throttled": (
        replace(PROVISIONED_PROTECTED, index_names=("by-customer",)),
        BUSY_PROVISIONED,
    ),
    "load-on-demand-idle": (
        ON_DEMAND_AT_RISK,
        TableLoad(capacity=(CapacityLoad("cloudacademy-courses", False),)),
    ),
    "load-unavailable": (PROVISIONED_PROTECTED, "AccessDenied"),
}


@pytest.mark.parametrize("case", list(LOAD_CASES), ids=list(LOAD_CASES))
def test_status_with_its_load_matches_its_golden_file(case: str) -> None:
    table, load = LOAD_CASES[case]
    message = render_status(table, NOW, max_backup_age=MAX_AGE, load=load)
    assert_golden("status", case, message.as_args())


def test_load_shows_consumed_against_provisioned_with_sparklines_and_throttling() -> None:
    lines = load_section(BUSY_PROVISIONED)["text"]["text"].split("\n")
    assert lines == [
        "*Load* · last hour, 5-minute points",
        "`orders`: reads 20.2/25 RCU/s, peak 20.2 ▁▃█ · writes 1.5/10 WCU/s, peak 1.5 ▁█"
        " · :warning: 14 throttle events ▁▄█",
        "GSI `by-customer`: reads 3/5 RCU/s, peak 3 ▁█ · writes 0/5 WCU/s · no throttle events",
        "Latency (average): GetItem 4.2 ms ▁▄█ · Query 8 ms ▄",
    ]


def test_many_gsis_are_summed_up_after_the_first_ones() -> None:
    index = CapacityLoad("gsi", True, consumed_read=(1.0,))
    load = TableLoad(
        capacity=(CapacityLoad("orders", False, consumed_read=(1.0,)),) + (index,) * 10,
        more_indexes=3,
    )
    text = load_section(load)["text"]["text"]
    assert text.count("GSI `gsi`") == SHOWN_INDEXES
    assert "… and 5 more GSIs" in text
    assert text.endswith("Latency (average): no successful requests")
