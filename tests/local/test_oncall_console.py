"""Issue 18, items 1-5, as an on-call engineer typed them in `opsbot local` (the sample data:
`orders` in us-west-2 with 30 backups and its own `opsbot:retention` tag; us-west-2 and
us-east-1 managed). One script through ``bot.cli.main``; each test reads what Slack got."""

from __future__ import annotations

import re

import pytest

from tests.local.test_acceptance import Run, run_opsbot, shown

HUGE = "9" * 5000
SCRIPT = f"""
clock 2026-11-22T09:00:00Z
/ddb prune --all --apply --keep-last 1
press Confirm
/ddb alarms nope-table
/ddb alarms orders@us-east-1
/ddb who-changed nosuchtable
/ddb status orders@eu-central-1
/ddb status orders@us-east-1
/ddb backups orders --since 7d
/ddb backups orders --type system
/ddb backups orders --since {HUGE}d
/ddb prune orders --keep-last {HUGE}
/ddb restore orders --at "{HUGE}h ago"
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Run:
    path = tmp_path_factory.mktemp("oncall") / "oncall.opsbot"
    path.write_text(SCRIPT, encoding="utf-8")
    run = run_opsbot(["local", "--json", "--script", str(path)])
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    return run


def test_item1_prune_all_apply_confirmation_says_what_it_deletes_under_which_policy(
    console: Run,
) -> None:
    message = console.one("Prune every table: delete 9 backups of 1 table")
    text = shown(message)
    assert "dry run" not in text.lower()
    assert "dry-run" not in text.lower()
    assert "Typed rules (keep-last 1) apply only to tables without a policy of their own" in text
    # orders keeps its own tag policy; the typed keep-last 1 would have deleted 29 of 30
    assert "`orders` — delete 9 of 30" in text
    assert "daily 7, weekly 4, monthly 12 (its `opsbot:retention` tag)" in text
    assert re.search(r"✗ `orders-[a-z-]+-[dh]\d+`", text)  # a backup it deletes, by name
    assert "`opsbot-state` (opsbot's own state table" in text
    confirmed = console.replies(":gear: Confirmed by")
    assert confirmed[0]["text"].endswith("delete 9 backups of 1 table (`orders`).")


def test_item2_alarms_and_who_changed_for_missing_tables_are_no_all_clear(console: Run) -> None:
    assert console.replies(":white_check_mark:") == []
    console.one(":x: There is no table `nope-table` in us-west-2 or us-east-1.")
    # `alarms orders@us-east-1`, then `status orders@us-east-1`
    assert len(console.replies(":x: There is no table `orders` in us-east-1.")) == 2
    console.one(
        "There is no table `nosuchtable` in us-west-2 or us-east-1, and opsbot's history has "
        "no change to a table of that name."
    )
    assert console.replies("No changes to `nosuchtable`") == []


def test_item3_a_region_opsbot_does_not_manage_is_named(console: Run) -> None:
    console.one(":x: opsbot does not manage eu-central-1 (managed: us-west-2, us-east-1)")


def test_item4_backups_filters_are_applied_to_what_is_listed(console: Run) -> None:
    since = shown(console.one("7 backups of orders"))
    assert "`--since 7d`" in since
    assert "2026-11-15" not in since
    assert "2025-" not in since
    system = shown(console.one("0 backups of orders"))
    assert "No backups match `--type system`." in system
    assert "USER" not in system


def test_item5_numbers_past_the_int_digit_limit_get_usage_errors(console: Run) -> None:
    acks = [str(a.get("text", "")) for a in console.calls("ack")]
    warnings = [text for text in acks if text.startswith(":warning:")]
    assert len(warnings) == 3
    assert "is longer than 100 years" in warnings[0]
    assert "`--keep-last` is at most 100000" in warnings[1]
    assert "is longer than 100 years" in warnings[2]
