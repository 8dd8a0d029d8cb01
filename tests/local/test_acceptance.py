"""Acceptance: the "Done when" lines of issues 3-8, driven as a user would, through `opsbot`.

One script runs through ``bot.cli.main(["local", "--json", "--script", ...])`` (the embedded
AWS, the local Slack, the real handlers); every test below reads what Slack received (the
JSON lines) for its issue. `opsbot replay` is run the same way.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import EXIT_OK, EXIT_UNKNOWN_EVENT, main
from bot.local.verbs import LOCAL_ADMIN

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
VIEWER = "U0VIEWER"

SCRIPT = f"""
clock 2026-11-22T09:00:00Z
# issue 3 and 8: the embedded AWS answers; orders lacks a read-throttle alarm (a risk)
/ddb status orders
home
# issue 6: list, dry run, the nightly digest, apply + confirm, list again, a viewer denied
/ddb backups orders
/ddb prune orders
run prune
/ddb prune orders --apply
press Confirm
/ddb backups orders
press Show more
as {VIEWER} /ddb prune orders --apply
# issue 4: an alarm through SNS, then back to OK
alarm orders-write-throttle ALARM
alarm orders-write-throttle OK
# issue 5: change events (EventBridge, and a log file from S3), then who-changed
replay --at-event-time {EVENTS}/eventbridge-cloudtrail-pitr-disabled.json
replay --at-event-time {EVENTS}/eventbridge-cloudtrail-delete-backup.json
replay --at-event-time {EVENTS}/sns-cloudtrail-log-delivery.json
/ddb who-changed orders
# issue 7: outside the window, onto an existing table, then two hours ago, followed through
/ddb restore orders --at 40d ago
/ddb restore orders --latest --to cloudacademy-courses
/ddb restore orders --at 2h ago --to orders-copy
press Confirm
run watch
run watch
press Copy settings
press Copy settings
/ddb status orders-copy
# issue 8: replicas on the embedded AWS
/ddb replicas cloudacademy-courses
# issue 19: a drill of the newest backup, restored, validated and deleted; then scheduled ones
/ddb drill orders
press Confirm
run watch
run watch
run drills
"""


@dataclass(frozen=True)
class Run:
    """What one `opsbot` run printed: exit code, the JSON lines, stderr."""

    code: int
    lines: list[dict[str, Any]]
    err: str

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The args of every line with ``method``, in order."""
        return [line["args"] for line in self.lines if line["method"] == method]

    def replies(self, starts: str) -> list[dict[str, Any]]:
        """Messages (any method) whose fallback text starts with ``starts``."""
        return [
            line["args"]
            for line in self.lines
            if str(line["args"].get("text", "")).startswith(starts)
        ]

    def one(self, starts: str) -> dict[str, Any]:
        """The one message whose fallback text starts with ``starts``."""
        (found,) = self.replies(starts)
        return found


def run_opsbot(argv: list[str]) -> Run:
    """`opsbot ARGV` in this process, its stdout parsed as JSON lines."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Run(code, lines, err.getvalue())


def shown(args: dict[str, Any]) -> str:
    """A message's fallback text and block texts, as one string."""
    return str(args.get("text", "")) + json.dumps(args.get("blocks") or [], ensure_ascii=False)


def backup_names(args: dict[str, Any], heading: str | None = None) -> set[str]:
    """Backup names (in backticks) in a message, or in its section starting ``heading``."""
    texts = [str((b.get("text") or {}).get("text", "")) for b in args.get("blocks") or []]
    if heading is not None:
        texts = [t for t in texts if t.startswith(heading)]
    return {name for t in texts for name in re.findall(r"`((?:orders|before)-[\w-]+)`", t)}


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Run:
    path = tmp_path_factory.mktemp("acceptance") / "acceptance.opsbot"
    path.write_text(SCRIPT, encoding="utf-8")
    return run_opsbot(["local", "--json", "--script", str(path)])


def test_every_line_of_the_acceptance_script_runs(tour: Run) -> None:
    assert tour.code == EXIT_OK, tour.err
    assert "Traceback" not in tour.err
    assert all(set(line) == {"method", "args"} for line in tour.lines)


# --- issue 3: the embedded runtime ----------------------------------------------------------


def test_issue3_status_orders_answers_from_the_embedded_aws(tour: Run) -> None:
    ack = tour.calls("ack")[0]
    assert ack["text"] == ":hourglass_flowing_sand: Working on `/ddb status orders`…"
    status = tour.replies("orders in us-west-2: ACTIVE, PITR on")[0]
    assert status["response_type"] == "in_channel"
    assert "account 123456789012" in shown(status)


def test_issue3_replay_of_every_event_file_handles_each_or_names_why_not() -> None:
    files = sorted(str(p) for p in EVENTS.glob("*.json"))

    run = run_opsbot(["replay", *files])

    assert run.code == EXIT_OK, run.err
    assert "Traceback" not in run.err
    for name in files:
        assert f"replay {name} -> functions." in run.err
    # The OK comes before its ALARM in name order: handled, nothing to post, and said so.
    assert "sns-alarm-write-throttle-ok.json: nothing for Slack; functions.alarms answered" in (
        run.err
    )
    # The log file the SNS notice announces is read from the embedded S3 and ingested.
    assert "NoSuchBucket" not in run.err
    ttl = run.one(":warning: Time to live turned on for orders (attribute expiresˍat)")
    assert ttl["channel"] == "#opsbot-audit"


def test_issue3_replay_of_an_unknown_shape_exits_2_with_one_line(tmp_path: Path) -> None:
    event = tmp_path / "unknown.json"
    event.write_text(json.dumps({"hello": "world"}), encoding="utf-8")

    run = run_opsbot(["replay", str(event)])

    assert run.code == EXIT_UNKNOWN_EVENT
    assert run.lines == []
    (line,) = run.err.strip().splitlines()
    assert line == (
        f"opsbot replay: {event}: not an SNS, EventBridge or SQS event "
        "(expected Records or detail-type; top-level keys: hello)"
    )


def test_issue3_app_home_shows_a_card_per_table_tagged_opsbot_watch(tour: Run) -> None:
    (home,) = tour.calls("views.publish")
    assert home["user_id"] == LOCAL_ADMIN
    assert home["view"]["type"] == "home"
    text = json.dumps(home["view"]["blocks"], ensure_ascii=False)
    assert "2 watched tables (tagged opsbot:watch)" in text
    assert "*cloudacademy-courses* — us-west-2" in text
    assert "*orders* — us-west-2" in text


# --- issue 4: alarms ------------------------------------------------------------------------


def test_issue4_alarm_through_sns_posts_once_then_updates_and_replies_in_its_thread(
    tour: Run,
) -> None:
    oncall = [
        (line["method"], line["args"])
        for line in tour.lines
        if line["args"].get("channel") == "#orders-oncall"
    ]
    assert [method for method, _ in oncall] == [
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
    ]
    (_, root), (_, update), (_, reply) = oncall
    assert root["text"].startswith("<!here> :rotating_light: ALARM: orders-write-throttle")
    assert "thread_ts" not in root
    assert update["text"].startswith(":white_check_mark: RESOLVED: orders-write-throttle")
    assert reply["thread_ts"] == update["ts"]
    assert reply["text"].startswith(":white_check_mark: Resolved at")


def test_issue4_replay_of_alarm_then_ok_prints_post_update_and_thread_reply() -> None:
    run = run_opsbot(
        [
            "replay",
            str(EVENTS / "sns-alarm-write-throttle.json"),
            str(EVENTS / "sns-alarm-write-throttle-ok.json"),
        ]
    )

    assert run.code == EXIT_OK, run.err
    slack = [line for line in run.lines if line["method"] not in ("usergroups.users.list",)]
    assert [line["method"] for line in slack] == [
        "chat.postMessage",
        # issue 21: the chart, uploaded into the root's thread (the three files_upload_v2 steps)
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
        "chat.update",
        "chat.postMessage",
    ]
    root, _, _, chart, update, reply = (line["args"] for line in slack)
    assert "ALARM: orders-write-throttle" in root["text"]
    assert chart["thread_ts"] == update["ts"]
    assert json.loads(chart["files"])[0]["title"] == "orders-write-throttle — last 3 hours"
    assert update["channel"] == root["channel"] == reply["channel"] == "#orders-oncall"
    assert "RESOLVED: orders-write-throttle after 13 min" in update["text"]
    assert reply["thread_ts"] == update["ts"]


# --- issue 5: audit trail -------------------------------------------------------------------


def test_issue5_replayed_changes_are_listed_by_who_changed(tour: Run) -> None:
    notices = [a["text"] for a in tour.calls("chat.postMessage") if a["channel"] == "#opsbot-audit"]
    assert [n.split(" — ")[0] for n in notices] == [
        ":rotating_light: Point-in-time recovery turned OFF on orders",
        ":rotating_light: Backup pre-migration of orders deleted",
        ":warning: Time to live turned on for orders (attribute expiresˍat)",
    ]
    (answer,) = tour.replies("4 changes to orders since")
    text = shown(answer)
    for change in (
        "Point-in-time recovery turned OFF on orders",
        "Backup pre-migration of orders deleted",
        "Time to live turned on for orders",
        "Backup orders-pre-release of orders created",  # from the log file in S3
    ):
        assert change in text
    assert "PutItem" not in text  # a data event in the log file: not recorded
    assert "Answered from opsbot's audit history." in text
    assert "LookupEvents failed" not in text


# --- issue 6: backups and prune -------------------------------------------------------------


def test_issue6_backups_lists_the_sample_backups(tour: Run) -> None:
    listing = tour.replies("30 backups of orders")[0]
    names = backup_names(listing)
    assert len(names) == 20  # the first page
    # Named by their age when the session started, so a name works in every run.
    assert all(re.fullmatch(r"orders-(nightly|pre-deploy)-(d\d{3}|h\d\d)", n) for n in names)
    assert "Show more" in shown(listing)


def test_issue6_dry_run_then_apply_deletes_exactly_the_planned_backups(tour: Run) -> None:
    (dry_run,) = [a for a in tour.calls("response_url") if a["text"].startswith("Prune plan")]
    assert "(dry run: nothing was deleted)" in dry_run["text"]
    planned = backup_names(dry_run, "*Delete (")
    kept = backup_names(dry_run, "*Keep (")
    assert planned
    assert not planned & kept

    (plan,) = [a for a in tour.calls("chat.postMessage") if a["text"].startswith("Prune plan")]
    assert backup_names(plan, "*Delete (") == planned
    pruned = tour.one("Pruned orders")
    assert pruned["text"] == f"Pruned orders: {len(planned)} deleted, 0 failed"
    assert backup_names(pruned) == planned

    # Listed again (both pages): exactly the kept backups are left.
    after = tour.replies(f"{len(kept)} backups of orders")
    assert len(after) == 2  # the listing and its "Show more" page
    assert set().union(*(backup_names(a) for a in after)) == kept


def test_issue6_a_viewers_apply_is_denied(tour: Run) -> None:
    denied = [a for a in tour.calls("ack") if "you have *viewer*" in a.get("text", "")]
    assert [a["text"].split(". ")[0] for a in denied] == [
        ":no_entry: `/ddb prune orders --apply` (deleting backups) needs the *operator* role; "
        "you have *viewer*"
    ]


def test_issue6_run_prune_posts_one_digest(tour: Run) -> None:
    (digest,) = tour.replies("Backup prune:")
    assert digest["channel"] == "#opsbot-backups"
    assert "backups would be deleted (dry run)" in digest["text"]


# --- issue 7: restores ----------------------------------------------------------------------


def test_issue7_a_time_outside_the_window_is_refused_with_the_window(tour: Run) -> None:
    (refused,) = [a for a in tour.calls("response_url") if "outside the restorable" in a["text"]]
    assert re.search(
        r"is outside the restorable window of `orders`: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(.+\) → "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC",
        refused["text"],
    )


def test_issue7_restoring_onto_an_existing_table_is_refused(tour: Run) -> None:
    (refused,) = [a for a in tour.calls("response_url") if "already exists" in a["text"]]
    assert refused["text"].startswith(
        ":x: A table named `cloudacademy-courses` already exists in us-west-2."
    )


def test_issue7_two_hours_ago_is_confirmed_started_watched_and_settings_copied_once(
    tour: Run,
) -> None:
    confirm = tour.one("Restore orders to new table orders-copy?")
    assert "2 h ago" in shown(confirm)
    thread = [a for a in tour.calls("chat.postMessage") if a.get("thread_ts")]
    started, done, copied = (
        next(a for a in thread if a["text"].startswith(prefix))
        for prefix in (
            ":arrow_forward: Restore started",
            ":white_check_mark: Restore done",
            ":clipboard:",
        )
    )
    assert started["channel"] == confirm["channel"]
    assert started["thread_ts"] == done["thread_ts"] == copied["thread_ts"]
    assert "`orders-copy` is ACTIVE" in done["text"]
    assert "Copy settings" in shown(done)
    assert f"<@{LOCAL_ADMIN}> copied to `orders-copy` from `orders`" in copied["text"]
    assert "point-in-time recovery" in copied["text"]
    assert "deletion protection" in copied["text"]
    assert "opsbot's own tags (`opsbot:retention`, `opsbot:watch`)" in shown(copied)
    (again,) = [a for a in tour.calls("response_url") if "already copied" in a["text"]]
    assert again["response_type"] == "ephemeral"
    assert len([a for a in thread if a["text"].startswith(":clipboard:")]) == 1
    # The copy is real: the new table now has PITR and deletion protection on.
    status = tour.one("orders-copy in us-west-2: ACTIVE, PITR on")
    assert ":white_check_mark: on" in shown(status)


# --- issue 8: replicas and risks ------------------------------------------------------------


def test_issue8_replicas_say_what_the_embedded_aws_can(tour: Run) -> None:
    answer = tour.one("cloudacademy-courses in us-west-2 is not a global table")
    assert "cannot describe legacy (2017.11.29) global tables" in shown(answer)


def test_issue8_status_shows_a_risks_line(tour: Run) -> None:
    status = tour.replies("orders in us-west-2: ACTIVE, PITR on")[0]
    risks = [b for b in status["blocks"] if "*Risks:*" in json.dumps(b)]
    assert [b["text"]["text"] for b in risks] == [
        ":warning: *Risks:* no alarm on ReadThrottleEvents"
    ]


# --- issue 21: alarms that carry their context ---------------------------------------------


def test_issue21_status_shows_the_sample_tables_last_hour_of_load(tour: Run) -> None:
    status = tour.replies("orders in us-west-2")[0]
    (load,) = [b["text"]["text"] for b in status["blocks"] if "*Load*" in json.dumps(b)]
    lines = load.split("\n")
    assert lines[0] == "*Load* · last hour, 5-minute points"
    assert re.fullmatch(
        r"`orders`: reads [\d.]+ RCU/s, peak [\d.]+ [▁-█]{11,12} · writes [\d.]+ WCU/s, "
        r"peak [\d.]+ [▁-█]{11,12} · no throttle events",
        lines[1],
    )
    assert re.fullmatch(r"Latency \(average\): GetItem [\d.]+ ms [▁-█]{11,12} · Query .*", lines[2])


def test_issue21_firing_alarm_gets_its_chart_in_its_thread(tour: Run) -> None:
    root = tour.one("<!here> :rotating_light: ALARM: orders-write-throttle")
    (chart,) = tour.calls("files.completeUploadExternal")
    resolved = tour.one(":white_check_mark: RESOLVED: orders-write-throttle")
    assert (chart["channel_id"], chart["thread_ts"]) == (resolved["channel"], resolved["ts"])
    assert json.loads(chart["files"])[0]["title"] == "orders-write-throttle — last 3 hours"
    assert "thread_ts" not in root


# --- issue 19: restore drills ---------------------------------------------------------------


def test_issue19_a_drill_restores_validates_and_deletes_its_scratch_table(tour: Run) -> None:
    (confirm,) = [
        a for a in tour.calls("chat.postMessage") if a["text"].startswith("Drill orders: restore")
    ]
    assert "Estimated cost" in shown(confirm)
    thread = [a for a in tour.calls("chat.postMessage") if a.get("thread_ts")]
    started, result = (
        next(a for a in thread if a["text"].startswith(prefix))
        for prefix in (":arrow_forward: Drill started", ":white_check_mark: Drill passed")
    )
    assert started["thread_ts"] == result["thread_ts"]
    assert "opsbot-drill-orders-" in started["text"]
    assert "deleted; the source was only read" in shown(result)
