"""An alarm storm (issue 21): 40 alarms opening on one route 1 s apart, then resolving 1 s
apart, through functions/alarms against moto and the local Slack sink (DESIGN.md section 10).

slack_calls.alarm_storm_40.roots is the root messages left in the channel at the end (target
1: the storm summary; the 5 alarms posted before the storm began move into its thread),
.root_posts how many root posts were made on the way, .thread_replies the alarm messages in
the summary's thread (target 40), .summary_updates the edits of the summary (target <= 10).
state_calls.alarm_storm_notification is the most state-table calls one notification folded into
the storm made (target 5: the 5 of a root, its claim, the incident read with its table's
context, its entry appended to the route's log, the save, the claim done; the summary's edits
cost none, and the log is trimmed only when that frees a quarter of its 200 entries).
.alarm_storm_first_summary is the notification that found the storm and moved the earlier roots
(a read and a save for each); .alarm_storm_roots_before the most of the 5 roots posted before
the storm began, each the first alarm of its table, which reads the table's opsbot:owner tag and
remembers it on the table's context item (one call more, once per table in 30 days).
.alarm_storm_mean is the mean over all 80 notifications, .alarm_storm_at_most_5 how many made 5
or fewer.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from moto import mock_aws

from benchmarks.bench_alarms import STATE_TABLE, bench_runtime, is_state_call
from bot.local.slack_sink import SlackSink
from tests.flows.test_alarm_storms import alarm

STORM = 40


def measure() -> dict[str, float | int]:
    """Slack and state-table calls of a 40-alarm storm on one route."""
    from functions import alarms

    with mock_aws(), SlackSink() as sink:
        now = {"at": datetime(2026, 11, 22, 9, 42, tzinfo=UTC)}
        runtime = bench_runtime(sink, now)
        state_calls: Counter[str] = Counter()
        current = {"key": ""}

        def count(params: dict[str, Any], **_: Any) -> None:
            if is_state_call(params, STATE_TABLE):
                state_calls[current["key"]] += 1

        runtime.clients.on_event("before-parameter-build.dynamodb.*", count)
        names = [f"storm-{i:02d}" for i in range(STORM)]
        for state in ("ALARM", "OK"):
            for name in names:
                now["at"] += timedelta(seconds=1)
                current["key"] = f"{state}:{name}"
                alarms.handle(alarm(name, state, now["at"]), runtime)
            now["at"] += timedelta(minutes=1)
        roots = [m for m in sink.messages.values() if not m.get("thread_ts")]
        root_posts = [c for c in sink.calls_to("chat.postMessage") if not c.get("thread_ts")]
        summary = next(m for m in roots if "Alarm storm" in m["text"])
        thread = sink.thread(summary["channel"], summary["ts"])
        alarm_messages = [m for m in thread if "RESOLVED:" in m["text"] or "ALARM:" in m["text"]]
        updates = [c for c in sink.calls_to("chat.update") if c.get("ts") == summary["ts"]]
        counts = list(state_calls.values())  # in the order of the notifications
        summary_at = counts.index(max(counts))
        folded = counts[summary_at + 1 :]
    return {
        "slack_calls.alarm_storm_40.roots": len(roots),
        "slack_calls.alarm_storm_40.root_posts": len(root_posts),
        "slack_calls.alarm_storm_40.thread_replies": len(alarm_messages),
        "slack_calls.alarm_storm_40.summary_updates": len(updates),
        "slack_calls.alarm_storm_40.summary_text": summary["text"],
        "state_calls.alarm_storm_notification": max(folded),
        "state_calls.alarm_storm_first_summary": counts[summary_at],
        "state_calls.alarm_storm_roots_before": max(counts[:summary_at]),
        "state_calls.alarm_storm_mean": round(sum(state_calls.values()) / len(state_calls), 2),
        "state_calls.alarm_storm_at_most_5": sum(1 for n in state_calls.values() if n <= 5),
        "state_calls.alarm_storm_notifications": len(state_calls),
    }
