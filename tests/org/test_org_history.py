"""History across accounts: the same table name in two accounts never mixes in who-changed,
and a bare name found in several places is answered with the pick list."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from bot.domain.accounts import Account
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import cloudtrail
from tests.conftest import REGION, Clock, drain_work, load_event
from tests.org.conftest import HOME, OTHER_REGION, PROD, STAGING, dumped, post_command


def trail_event(account: Account, region: str, *, user: str, event_id: str, at: datetime) -> dict:
    """The PITR-disabled CloudTrail event, made in ``account`` and ``region`` by ``user``."""
    text = json.dumps(load_event("eventbridge-cloudtrail-pitr-disabled.json"))
    text = text.replace(HOME.id, account.id).replace("/alice", f"/{user}")
    event: dict[str, Any] = copy.deepcopy(json.loads(text))
    event["id"] = f"eb-{event_id}"
    event["region"] = region
    event["detail"]["awsRegion"] = region
    event["detail"]["eventID"] = event_id
    event["detail"]["eventTime"] = event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def ingest_orders_changes(runtime: Runtime, clock: Clock) -> None:
    """`orders` turned PITR off in prod (by bob) and in staging (by carol), same region,
    same minute; then a day passes so the history covers `--since 1d`."""
    at = clock.current + timedelta(minutes=30)
    for account, user, event_id in ((PROD, "bob", "ev-prod-1"), (STAGING, "carol", "ev-stg-1")):
        result = cloudtrail.handle(
            trail_event(account, REGION, user=user, event_id=event_id, at=at), runtime
        )
        assert result["stored"] == 1
    clock.advance(timedelta(days=1).total_seconds())


def test_the_same_table_name_in_two_accounts_keeps_two_separate_histories(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ingest_orders_changes(org, clock)
    post_command(
        f"who-changed orders@payments-prod/{REGION} --since 1d",
        response_url=slack.response_url("prod"),
    )
    post_command(
        f"who-changed orders@{STAGING.id}/{REGION} --since 1d",
        response_url=slack.response_url("staging"),
    )
    drain_work(org)
    (prod,) = slack.responses("prod")
    (staging,) = slack.responses("staging")
    assert prod["text"].startswith("1 change to orders in payments-prod since")
    assert "bob" in dumped(prod)
    assert "carol" not in dumped(prod)
    assert staging["text"].startswith("1 change to orders in payments-staging since")
    assert "carol" in dumped(staging)
    assert "bob" not in dumped(staging)


def test_a_bare_table_name_in_two_accounts_gets_the_pick_list_not_a_merge(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    ingest_orders_changes(org, clock)
    post_command("who-changed orders --since 1d", response_url=slack.response_url("bare"))
    drain_work(org)
    (reply,) = slack.responses("bare")
    text = reply["text"]
    assert "`orders` exists in 2 places. Which one did you mean?" in text
    assert f"`orders@payments-prod/{REGION}`" in text
    assert f"`orders@payments-staging/{REGION}`" in text
    assert "bob" not in dumped(reply)
    assert "carol" not in dumped(reply)


def test_a_region_narrows_the_pick_list_to_the_one_place_there(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    at = clock.current + timedelta(minutes=30)
    cloudtrail.handle(trail_event(PROD, REGION, user="bob", event_id="ev-1", at=at), org)
    cloudtrail.handle(trail_event(STAGING, OTHER_REGION, user="carol", event_id="ev-2", at=at), org)
    clock.advance(timedelta(days=1).total_seconds())
    post_command(
        f"who-changed orders@{OTHER_REGION} --since 1d", response_url=slack.response_url("eu")
    )
    drain_work(org)
    (reply,) = slack.responses("eu")
    assert reply["text"].startswith("1 change to orders in payments-staging since")
    assert "carol" in dumped(reply)
    assert "bob" not in dumped(reply)


def test_audit_notices_name_the_member_account_by_its_alias(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    at = clock.current + timedelta(minutes=30)
    cloudtrail.handle(trail_event(PROD, REGION, user="bob", event_id="ev-1", at=at), org)
    (notice,) = slack.calls_to("chat.postMessage")
    assert f"{REGION} / payments-prod" in dumped(notice)
    assert PROD.id not in json.dumps(notice["blocks"][1])  # the fields show the alias


def test_a_bare_name_is_placed_with_one_query_whatever_the_accounts_and_regions(
    org: Runtime, slack: SlackSink, clock: Clock
) -> None:
    at = clock.current + timedelta(minutes=30)
    cloudtrail.handle(trail_event(STAGING, OTHER_REGION, user="carol", event_id="ev-1", at=at), org)
    clock.advance(timedelta(days=1).total_seconds())
    places = sum(len(a.regions) for a in org.settings.accounts)
    assert places >= 6
    queries: list[str] = []
    org.clients.on_event(
        "provide-client-params.dynamodb.Query",
        lambda params, **_: queries.append(params["ExpressionAttributeValues"][":pk"]["S"]),
    )
    post_command("who-changed orders --since 1d", response_url=slack.response_url("bare"))
    drain_work(org)
    (reply,) = slack.responses("bare")
    assert reply["text"].startswith("1 change to orders in payments-staging since")
    assert "carol" in dumped(reply)
    # One Query of the name index places `orders`, one reads its page of history.
    assert queries == ["NAME#orders", f"AUDIT#{STAGING.id}#{OTHER_REGION}#orders"]
