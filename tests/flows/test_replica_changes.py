"""`/ddb replicas add|remove` through the signed Slack entry, with the replica calls moto does
not implement (UpdateTable ReplicaUpdates, replica statuses, DescribeGlobalTable, lag
metrics) answered by Stubber in the shapes AWS documents; the state table and the queues on
moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.followed_jobs import COMPLETED, FAILED, IN_PROGRESS
from bot.domain.replica_changes import ADD, ReplicaJob, decide_replica_check
from bot.flows.places import EXTRAS_KEY
from bot.local.slack_sink import SlackSink
from bot.local.sqs_pump import restore_round
from bot.runtime import Runtime
from tests.aws.replica_stubs import (
    StubbedClients,
    expect_metric_data,
    metric_result,
    replica,
    table_description,
)
from tests.conftest import ADMIN, OPERATOR, REGION, Clock, drain_work
from tests.functions.test_restore_watcher import (
    CHANNEL,
    command,
    confirmation,
    press,
    restore_queue,
)

EAST = "us-east-1"


class AccountStubs(StubbedClients):
    """Stubbed clients in the shape of the runtime's account-aware factory."""

    def client(self, service: str, region: str | None = None, account: Any = None) -> Any:
        return self(service, region)


@pytest.fixture
def stubs(runtime: Runtime) -> Iterator[AccountStubs]:
    """DynamoDB, Auto Scaling and CloudWatch stubbed; every queued answer must be used."""
    found = AccountStubs()
    runtime.extras[EXTRAS_KEY] = found
    restore_queue(runtime)
    yield found
    found.assert_no_pending()


def described(stubs: AccountStubs, table: dict[str, Any], *, legacy_check: bool = False) -> None:
    stub = stubs.stub("dynamodb", REGION)
    stub.add_response("describe_table", {"Table": table}, {"TableName": "orders"})
    if legacy_check:
        stub.add_client_error(
            "describe_global_table",
            service_error_code="GlobalTableNotFoundException",
            expected_params={"GlobalTableName": "orders"},
        )


def single_region(**changes: Any) -> dict[str, Any]:
    return {**table_description("orders", REGION), **changes}


def test_a_replica_is_added_after_confirmation_and_followed_until_active_with_its_lag(
    runtime: Runtime, slack: SlackSink, stubs: AccountStubs, clock: Clock
) -> None:
    described(stubs, single_region(), legacy_check=True)  # the command's check
    command(f"replicas add orders@{REGION} {EAST}", user=OPERATOR)
    assert drain_work(runtime) == 1
    value, ts = confirmation(slack)
    asked = slack.messages[(CHANNEL, ts)]
    assert asked["text"].startswith(f"Add a replica of orders in {EAST}?")
    assert "Replicated writes are billed in every region" in str(asked["blocks"])

    described(stubs, single_region(), legacy_check=True)  # the check at the press
    press("confirm", value, user=OPERATOR, ts=ts)
    assert drain_work(runtime) == 1
    assert slack.thread(CHANNEL, ts) == []

    described(stubs, single_region())  # check 0: is a change of ours already under way?
    described(stubs, single_region(), legacy_check=True)  # ...no: the preconditions again
    stubs.stub("dynamodb", REGION).add_response(
        "update_table",
        {"TableDescription": single_region(TableStatus="UPDATING")},
        {"TableName": "orders", "ReplicaUpdates": [{"Create": {"RegionName": EAST}}]},
    )
    assert restore_round(runtime) == 1
    (started,) = slack.thread(CHANNEL, ts)
    assert f"Adding a replica of `orders` in {EAST}: started by <@U0OPER001>" in started["text"]

    creating = table_description("orders", REGION, replicas=[replica(EAST, "CREATING")])
    described(stubs, creating)
    assert restore_round(runtime) == 1  # still creating: no post, the next check asked
    assert len(slack.thread(CHANNEL, ts)) == 1

    clock.advance(20 * 60)
    active = table_description("orders", REGION, replicas=[replica(EAST)])
    described(stubs, active)  # the check that sees it ACTIVE...
    described(stubs, active)  # ...and the lag now
    now = clock()
    expect_metric_data(stubs, REGION, [metric_result("latency0", now, [850.0])], queries=2)
    expect_metric_data(stubs, EAST, [metric_result("latency0", now, [910.0])], queries=2)
    assert restore_round(runtime) == 1
    _, done = slack.thread(CHANNEL, ts)
    assert done["text"].startswith(
        f":white_check_mark: The replica of `orders` in {EAST} is ACTIVE after 20 min"
    )
    assert f"ReplicationLatency: lag 850 ms now, 850 ms max in 1 h (from {REGION})" in str(
        done["blocks"]
    )
    assert restore_round(runtime) == 0


def test_removing_a_replica_needs_an_admin(
    runtime: Runtime, slack: SlackSink, stubs: AccountStubs
) -> None:
    command(
        f"replicas remove orders@{REGION} {EAST}",
        user=OPERATOR,
        response_url=slack.response_url("r"),
    )
    drain_work(runtime)
    assert "needs the *admin* role; you have *operator*" in slack.responses("r")[-1]["text"]


@pytest.mark.parametrize(
    ("text", "table", "legacy", "expected"),
    [
        (
            f"replicas add orders@{REGION} {EAST}",
            table_description("orders", REGION, replicas=[replica(EAST)]),
            False,
            f"`orders` already has a replica in {EAST}.",
        ),
        (
            f"replicas add orders@{REGION} eu-west-1",
            single_region(),
            True,
            "opsbot does not manage eu-west-1",
        ),
        (
            f"replicas add orders@{REGION} {EAST}",
            single_region(TableStatus="UPDATING"),
            True,
            "`orders` is being updated (the table is UPDATING)",
        ),
        (
            f"replicas remove orders@{REGION} {EAST}",
            single_region(),
            True,
            f"`orders` has no replica in {EAST}; nothing to remove.",
        ),
        (
            f"replicas add orders@{REGION} {EAST}",
            single_region(
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
            ),
            True,
            "has DynamoDB Streams on with KEYS_ONLY; replication needs them on with",
        ),
    ],
    ids=[
        "already-a-replica",
        "region-not-managed",
        "table-being-updated",
        "not-a-replica",
        "stream-view",
    ],
)
def test_replica_preconditions_get_a_clear_answer_and_nothing_is_asked(
    runtime: Runtime,
    slack: SlackSink,
    stubs: AccountStubs,
    text: str,
    table: dict[str, Any],
    legacy: bool,
    expected: str,
) -> None:
    described(stubs, table, legacy_check=legacy)
    command(text, user=ADMIN, response_url=slack.response_url("bad"))
    drain_work(runtime)
    (reply,) = slack.responses("bad")
    assert expected in reply["text"]
    assert not [m for m in slack.messages.values() if "confirm" in str(m.get("blocks"))]


def test_provisioned_writes_without_auto_scaling_are_refused(
    runtime: Runtime, slack: SlackSink, stubs: AccountStubs
) -> None:
    provisioned = single_region(
        BillingModeSummary={"BillingMode": "PROVISIONED"},
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    described(stubs, provisioned, legacy_check=True)
    stubs.stub("application-autoscaling", REGION).add_response(
        "describe_scalable_targets",
        {"ScalableTargets": []},
        {
            "ServiceNamespace": "dynamodb",
            "ResourceIds": ["table/orders"],
            "ScalableDimension": "dynamodb:table:WriteCapacityUnits",
        },
    )
    command(f"replicas add orders@{REGION} {EAST}", response_url=slack.response_url("p"))
    drain_work(runtime)
    assert "provisioned writes without auto scaling" in slack.responses("p")[-1]["text"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ResourceInUseException", "`orders` is being updated"),
        ("LimitExceededException", "AWS allows no more table changes right now"),
        ("ValidationException", "AWS refused the replica change of `orders`"),
    ],
    ids=["being-updated", "limit", "region-unsupported"],
)
def test_aws_refusing_the_change_at_start_is_told_in_the_thread_and_nothing_starts(
    runtime: Runtime, slack: SlackSink, stubs: AccountStubs, code: str, expected: str
) -> None:
    described(stubs, single_region(), legacy_check=True)
    command(f"replicas add orders@{REGION} {EAST}")
    drain_work(runtime)
    value, ts = confirmation(slack)
    described(stubs, single_region(), legacy_check=True)
    press("confirm", value, user=ADMIN, ts=ts)
    drain_work(runtime)
    described(stubs, single_region())
    described(stubs, single_region(), legacy_check=True)
    stubs.stub("dynamodb", REGION).add_client_error(
        "update_table",
        service_error_code=code,
        service_message="<!here> no",
        expected_params={
            "TableName": "orders",
            "ReplicaUpdates": [{"Create": {"RegionName": EAST}}],
        },
    )
    assert restore_round(runtime) == 1
    (refused,) = slack.thread(CHANNEL, ts)
    assert "did not start" in refused["text"]
    assert expected in refused["text"]
    assert "<!here>" not in refused["text"]
    assert restore_round(runtime) == 0


JOB = ReplicaJob(
    "j1",
    "orders",
    REGION,
    EAST,
    ADD,
    "U0OPER001",
    CHANNEL,
    "1.0",
    created_at=__import__("datetime").datetime(
        2026, 11, 22, 10, 0, tzinfo=__import__("datetime").UTC
    ),
    status=IN_PROGRESS,
)


def test_replica_decisions_follow_the_status_aws_reports() -> None:
    now = JOB.created_at
    poll = timedelta(minutes=5)
    assert decide_replica_check(JOB, {EAST: "CREATING"}, now, poll_every=poll).next_check_in == poll
    assert decide_replica_check(JOB, {EAST: "ACTIVE"}, now, poll_every=poll).job.status == COMPLETED
    failed = decide_replica_check(JOB, {EAST: "CREATION_FAILED"}, now, poll_every=poll).job
    assert (failed.status, failed.reason) == (
        FAILED,
        "DynamoDB could not create the replica (CREATION_FAILED)",
    )
    assert decide_replica_check(JOB, None, now, poll_every=poll).job.status == FAILED
    removal = ReplicaJob(**{**JOB.to_record(), "id": "j2", "change": "remove", "created_at": now})
    assert decide_replica_check(removal, {}, now, poll_every=poll).job.status == COMPLETED
    assert ReplicaJob.from_record(JOB.id, JOB.to_record()) == JOB
