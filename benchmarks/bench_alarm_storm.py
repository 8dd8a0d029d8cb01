"""An alarm storm (issue 21): 40 alarms opening on one route 1 s apart, then resolving 1 s
apart, through functions/alarms against moto and the local Slack sink (DESIGN.md section 10).

slack_calls.alarm_storm_40.roots is the root messages left in the channel at the end (target
1: the storm summary; the 5 alarms posted before the storm began move into its thread),
.root_posts how many root posts were made on the way, .thread_replies the alarm messages in
the summary's thread (target 40), .summary_updates the edits of the summary (target <= 10).
state_calls.alarm_storm_notification is the most state-table calls one notification made
during the storm (the storm's first summary, which moves the earlier roots, excepted: it is
reported on its own).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from bot.aws.secrets import SlackCredentials
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from tests.conftest import create_state_table

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
REGION = "us-west-2"
STATE_TABLE = "opsbot-state"
CHANNEL = "C0ALARMS1"
STORM = 40


def _alarm(name: str, state: str, at: datetime) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (EVENTS / "sns-alarm-write-throttle.json").read_text(encoding="utf-8")
    )
    event = copy.deepcopy(event)
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["AlarmName"] = name
    message["AlarmArn"] = f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{name}"
    message["NewStateValue"] = state
    message["StateChangeTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    message["Trigger"]["Dimensions"] = [{"name": "TableName", "value": f"orders-{name}"}]
    sns["Message"], sns["MessageId"] = json.dumps(message), f"{name}-{state}"
    return event


def measure() -> dict[str, float | int]:
    """Slack and state-table calls of a 40-alarm storm on one route."""
    from functions import alarms

    with mock_aws(), SlackSink() as sink:
        create_state_table(boto3.client("dynamodb", region_name=REGION), STATE_TABLE)
        settings = parse_settings({"aws": {"regions": [REGION]}, "channels": {"default": CHANNEL}})
        now = {"at": datetime(2026, 11, 22, 9, 42, tzinfo=UTC)}
        runtime = Runtime(
            replace(settings, slack_api_url=sink.base_url),
            clock=lambda: now["at"],
            credentials_override=SlackCredentials("xoxb-bench", "bench"),
        )
        state_calls: Counter[str] = Counter()
        current = {"key": ""}

        def count(params: dict[str, Any], **_: Any) -> None:
            if (
                params.get("TableName") == STATE_TABLE
                or "TransactItems" in params
                or STATE_TABLE in (params.get("RequestItems") or {})
            ):
                state_calls[current["key"]] += 1

        runtime.clients.on_event("before-parameter-build.dynamodb.*", count)
        names = [f"storm-{i:02d}" for i in range(STORM)]
        for state in ("ALARM", "OK"):
            for name in names:
                now["at"] += timedelta(seconds=1)
                current["key"] = f"{state}:{name}"
                alarms.handle(_alarm(name, state, now["at"]), runtime)
            now["at"] += timedelta(minutes=1)
        roots = [m for m in sink.messages.values() if not m.get("thread_ts")]
        root_posts = [c for c in sink.calls_to("chat.postMessage") if not c.get("thread_ts")]
        summary = next(m for m in roots if "Alarm storm" in m["text"])
        thread = sink.thread(summary["channel"], summary["ts"])
        alarm_messages = [m for m in thread if "RESOLVED:" in m["text"] or "ALARM:" in m["text"]]
        updates = [c for c in sink.calls_to("chat.update") if c.get("ts") == summary["ts"]]
        first_summary = max(state_calls.values())
        ordinary = sorted(state_calls.values())[-2]
    return {
        "slack_calls.alarm_storm_40.roots": len(roots),
        "slack_calls.alarm_storm_40.root_posts": len(root_posts),
        "slack_calls.alarm_storm_40.thread_replies": len(alarm_messages),
        "slack_calls.alarm_storm_40.summary_updates": len(updates),
        "slack_calls.alarm_storm_40.summary_text": summary["text"],
        "state_calls.alarm_storm_notification": ordinary,
        "state_calls.alarm_storm_first_summary": first_summary,
    }
