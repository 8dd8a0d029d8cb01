"""Alarms across accounts: two alarms with the same name in two accounts are two incidents
with two threads; recent values come from the alarm's own account; `/ddb alarms` covers every
managed account and region."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from bot.aws.incidents import load_incident
from bot.domain.accounts import Account
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms
from tests.conftest import REGION, Clock, drain_work, load_event, table_alarm
from tests.org.conftest import (
    CHANNEL,
    HOME,
    OTHER_REGION,
    PROD,
    STAGING,
    client,
    denied_role,
    dumped,
    post_command,
)

NAME = "orders-write-throttle"


def arn(account: Account, region: str = REGION) -> str:
    return f"arn:aws:cloudwatch:{region}:{account.id}:alarm:{NAME}"


def alarm_event(
    account: Account, state: str, *, event_id: str, at: str, region: str = REGION
) -> dict[str, Any]:
    """An EventBridge alarm state change of `orders-write-throttle` in ``account``."""
    event = copy.deepcopy(load_event("eventbridge-alarm-replication-latency.json"))
    event.update(id=event_id, account=account.id, region=region, resources=[arn(account, region)])
    detail = event["detail"]
    detail["alarmName"] = NAME
    detail["state"].update(value=state, timestamp=at, reasonData="")
    detail["configuration"]["description"] = "orders is throttling writes"
    metric = detail["configuration"]["metrics"][0]["metricStat"]
    metric["metric"] = {
        "namespace": "AWS/DynamoDB",
        "name": "WriteThrottleEvents",
        "dimensions": {"TableName": "orders"},
    }
    metric["stat"] = "Sum"
    return event


def put_throttles(runtime: Runtime, account: Account, value: float, clock: Clock) -> None:
    """Three minutes of WriteThrottleEvents on `orders` in ``account``."""
    client(runtime, "cloudwatch", account).put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {
                "MetricName": "WriteThrottleEvents",
                "Dimensions": [{"Name": "TableName", "Value": "orders"}],
                "Timestamp": clock.current - timedelta(minutes=minutes),
                "Value": value,
            }
            for minutes in (3, 2, 1)
        ],
    )


def test_same_alarm_name_in_two_accounts_opens_two_incidents_with_their_own_threads(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    put_throttles(org, PROD, 7.0, clock)
    put_throttles(org, STAGING, 4200.0, clock)
    at = "2026-11-22T09:58:00.000+0000"
    assert alarms.handle(alarm_event(PROD, "ALARM", event_id="p1", at=at), org) == ["post_root"]
    assert alarms.handle(alarm_event(STAGING, "ALARM", event_id="s1", at=at), org) == ["post_root"]
    prod, staging = load_incident(org.state, arn(PROD)), load_incident(org.state, arn(STAGING))
    assert prod is not None
    assert staging is not None
    assert prod.incident.ts != staging.incident.ts
    roots = {ts: message for (_, ts), message in slack.messages.items()}
    prod_root, staging_root = roots[prod.incident.ts], roots[staging.incident.ts]
    # Each message names its account by alias and charts that account's own datapoints.
    assert f"{REGION} · account payments-prod" in dumped(prod_root)
    assert "max 7" in dumped(prod_root)
    assert "4200" not in dumped(prod_root)
    assert f"{REGION} · account payments-staging" in dumped(staging_root)
    assert "max 4200" in dumped(staging_root)
    # The Table status button asks the alarm's own account.
    assert f'"value": "orders@payments-prod/{REGION}"' in dumped(prod_root)

    # A repeat in prod goes to prod's thread only; OK in staging resolves staging's only.
    again = alarm_event(PROD, "ALARM", event_id="p2", at="2026-11-22T10:05:00.000+0000")
    assert alarms.handle(again, org) == ["thread_repeat"]
    ok = alarm_event(STAGING, "OK", event_id="s2", at="2026-11-22T10:06:00.000+0000")
    assert alarms.handle(ok, org) == ["resolve"]
    assert len(slack.thread(CHANNEL, prod.incident.ts)) == 1
    assert len(slack.thread(CHANNEL, staging.incident.ts)) == 1
    (update,) = slack.calls_to("chat.update")
    assert update["ts"] == staging.incident.ts
    after_prod = load_incident(org.state, arn(PROD))
    after_staging = load_incident(org.state, arn(STAGING))
    assert after_prod is not None
    assert after_prod.incident.is_open
    assert after_staging is not None
    assert not after_staging.incident.is_open


def test_an_alarm_from_an_account_opsbot_cannot_enter_posts_without_values(
    org: Runtime, slack: SlackSink
) -> None:
    event = alarm_event(STAGING, "ALARM", event_id="s1", at="2026-11-22T09:58:00.000+0000")
    with denied_role(org) as sts:
        assert alarms.handle(event, org) == ["post_root"]
        sts.assert_no_pending_responses()
    (posted,) = slack.calls_to("chat.postMessage")
    assert "*Recent values*  _unavailable_" in dumped(posted)
    assert "account payments-staging" in dumped(posted)


def test_ddb_alarms_lists_every_account_and_region_and_names_an_unreachable_one(
    org: Runtime, slack: SlackSink
) -> None:
    for account, region in ((HOME, REGION), (PROD, OTHER_REGION), (STAGING, REGION)):
        table_alarm(
            client(org, "cloudwatch", account, region),
            NAME,
            "orders",
            "WriteThrottleEvents",
            threshold=0,
            comparison="GreaterThanThreshold",
            state="ALARM",
            reason="Threshold Crossed",
        )
    post_command("alarms", response_url=slack.response_url("all"))
    drain_work(org)
    (reply,) = slack.responses("all")
    text = dumped(reply)
    assert reply["text"].startswith("Alarms: 3 in ALARM, 0 without data")
    for place in (f"ops-central/{REGION}", f"payments-prod/{OTHER_REGION}"):
        assert f"({place})" in text
    assert f"(payments-staging/{REGION})" in text


def test_ddb_alarms_says_which_account_it_could_not_reach(org: Runtime, slack: SlackSink) -> None:
    client(org, "cloudwatch", PROD)  # prod's role is assumed already; staging's is refused
    with denied_role(org):
        post_command("alarms", response_url=slack.response_url("all"))
        drain_work(org)
    (reply,) = slack.responses("all")
    assert reply["text"].startswith(":white_check_mark: No alarms in ALARM or INSUFFICIENT_DATA")
    assert "payments-staging (333344445555)" in dumped(reply)
    assert "arn:aws:iam::333344445555:role/opsbot-member" in dumped(reply)


def test_an_unreachable_account_is_tried_once_per_command_and_named_once(
    org: Runtime, slack: SlackSink
) -> None:
    client(org, "cloudwatch", PROD)
    with denied_role(org) as sts:  # exactly one AssumeRole answer is queued
        post_command("alarms", response_url=slack.response_url("all"))
        drain_work(org)
        sts.assert_no_pending_responses()
    (reply,) = slack.responses("all")
    assert dumped(reply).count("I cannot reach account payments-staging") == 1
