"""AWS and Slack calls per alarm notification (DESIGN.md section 10), against moto and the
local Slack sink: one incident (ALARM, a repeat, OK) replayed several times on a table with an
`opsbot:owner` tag and a change in opsbot's audit history.

aws_calls.alarm_notification is the most AWS calls any one notification made besides the
state table, a table's first alarm in 30 days aside (target: at most 2): a root's
GetMetricData (its sparkline's values) and GetMetricWidgetImage (the chart uploaded into its
thread, answered with a small PNG as in `opsbot local`: moto lacks that API); repeats and the
OK make none. aws_calls.alarm_first_root is the root of a table whose owner opsbot does not
know yet (or learned over 30 days ago, or whose tag a CloudTrail event changed): one
ListTagsOfResource more, remembered in the table's context item.
slack_calls.alarm_root is the root post plus the chart's upload (files.getUploadURLExternal,
the POST of the bytes, files.completeUploadExternal): 4. state_calls.alarm_notification is
the most state-table calls one notification made, the first root aside: a root makes 5 (the
delivery's claim; one BatchGetItem of the incident, its silence and the table's context item,
which holds the recent changes and the owner; its opening counted on its route's storm log;
the incident saved; the claim done); repeats and resolves make 4. state_calls.alarm_first_root
adds the owner remembered: 6.
slack_calls.alarm_resolve is the Slack calls of the OK (chat.update + thread reply = 2).
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
from bot.local.metric_images import answer_metric_images
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from tests.conftest import create_state_table

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
REGION = "us-west-2"
STATE_TABLE = "opsbot-state"
ROUNDS = 5


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


def _with(event: dict[str, Any], message_id: str, at: datetime, state: str) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    sns = changed["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    message["NewStateValue"] = state
    message["StateChangeTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    sns["Message"], sns["MessageId"] = json.dumps(message), message_id
    return changed


def is_state_call(params: dict[str, Any], table: str) -> bool:
    """Whether a DynamoDB request's parameters name the state table (batches included)."""
    return params.get("TableName") == table or table in (params.get("RequestItems") or {})


def bench_runtime(sink: SlackSink, now: dict[str, datetime]) -> Runtime:
    """A runtime on moto (inside mock_aws) and ``sink``, its clock ``now["at"]``, alarms to
    C0ALARMS1."""
    create_state_table(boto3.client("dynamodb", region_name=REGION), STATE_TABLE)
    settings = parse_settings({"aws": {"regions": [REGION]}, "channels": {"default": "C0ALARMS1"}})
    return Runtime(
        replace(settings, slack_api_url=sink.base_url),
        clock=lambda: now["at"],
        credentials_override=SlackCredentials("xoxb-bench", "bench"),
    )


def _orders_with_owner_and_a_change(runtime: Runtime) -> None:
    """The alarm's table, tagged with its owner, and a capacity change 13 minutes before the
    alarm in the audit history (stored as the CloudTrail ingest stores it)."""
    from functions import cloudtrail

    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "opsbot:owner", "Value": "U0OWNER01"}],
    )
    change = _event("eventbridge-cloudtrail-autoscaling-update-table.json")
    change["time"] = change["detail"]["eventTime"] = "2026-11-22T09:29:00Z"
    cloudtrail.handle(change, runtime)


def measure() -> dict[str, float | int]:
    """Calls per notification kind, the worst case reported against its target."""
    from functions import alarms

    with mock_aws(), SlackSink() as sink:
        now = {"at": datetime(2026, 11, 22, 9, 45, tzinfo=UTC)}
        runtime = bench_runtime(sink, now)
        aws_calls: Counter[str] = Counter()
        state_calls: Counter[str] = Counter()
        images: Counter[str] = Counter()
        current = {"kind": ""}

        def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
            if event_name.endswith("GetMetricWidgetImage"):
                images[current["kind"]] += 1
            if is_state_call(params, STATE_TABLE):
                state_calls[current["kind"]] += 1
            else:
                aws_calls[current["kind"]] += 1

        runtime.clients.on_event("before-parameter-build.*.*", count)
        answer_metric_images(runtime.clients)
        _orders_with_owner_and_a_change(runtime)
        alarm = _event("sns-alarm-write-throttle.json")
        slack_calls: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        for round_no in range(ROUNDS):
            start = datetime(2026, 11, 22, 9, 42, tzinfo=UTC) + timedelta(hours=round_no)
            steps = (
                ("alarm_root", "ALARM", start),
                ("alarm_repeat", "ALARM", start + timedelta(minutes=5)),
                ("alarm_resolve", "OK", start + timedelta(minutes=13)),
            )
            for kind, state, at in steps:
                now["at"] = at + timedelta(seconds=30)
                current["kind"] = kind if round_no else f"first_{kind}"
                before = len(sink.calls)
                event = _with(alarm, f"{kind}-{round_no}", at, state)
                alarms.handle(event, runtime)
                if not round_no:
                    first[f"aws.{kind}"] = aws_calls.pop(current["kind"], 0)
                    first[f"state.{kind}"] = state_calls.pop(current["kind"], 0)
                    images.pop(current["kind"], None)
                    continue
                slack_calls[kind] += len(sink.calls) - before
                counts[kind] += 1

    per = {k: aws_calls[k] / counts[k] for k in counts}
    return {
        "aws_calls.alarm_notification": max(per.values()),
        "aws_calls.alarm_notification_target": 2,
        "aws_calls.alarm_root": per["alarm_root"],
        "aws_calls.alarm_first_root": first["aws.alarm_root"],
        "state_calls.alarm_first_root": first["state.alarm_root"],
        "aws_calls.alarm_root_chart_images": images["alarm_root"] / counts["alarm_root"],
        "aws_calls.alarm_repeat": per["alarm_repeat"],
        "aws_calls.alarm_resolve": per["alarm_resolve"],
        "state_calls.alarm_notification": max(state_calls[k] / counts[k] for k in counts),
        "state_calls.alarm_root": state_calls["alarm_root"] / counts["alarm_root"],
        "state_calls.alarm_repeat": state_calls["alarm_repeat"] / counts["alarm_repeat"],
        "state_calls.alarm_resolve": state_calls["alarm_resolve"] / counts["alarm_resolve"],
        "slack_calls.alarm_root": slack_calls["alarm_root"] / counts["alarm_root"],
        "slack_calls.alarm_repeat": slack_calls["alarm_repeat"] / counts["alarm_repeat"],
        "slack_calls.alarm_resolve": slack_calls["alarm_resolve"] / counts["alarm_resolve"],
    }
