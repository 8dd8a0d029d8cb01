"""Fuzzing every event source: hypothesis mutates the sample payloads (replace, delete, null,
retype any field, including inside the JSON an SNS message carries) and feeds each to its
function's ``handle(event, runtime)`` against moto and the local Slack.

Each must be handled or dropped with a logged reason. A raised exception, or an SQS record
reported back for retry, would have the platform retry a payload that can never succeed:
only infrastructure failures may do that, and these tests inject none. One moto, one Slack
sink and one runtime serve the whole module; every example gets fresh message ids.
"""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from bot.aws.restores import save_job
from bot.aws.secrets import SlackCredentials
from bot.aws.work_queue import WorkItem
from bot.domain.restore_jobs import RestoreJob
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from functions import alarms, cloudtrail, prune_worker, restore_watcher, slack_worker, sns_inbox
from tests.conftest import (
    ADMIN,
    BOT_TOKEN,
    OPERATOR,
    REGION,
    SIGNING_SECRET,
    Clock,
    base_settings,
    create_state_table,
)

EVENTS = Path(__file__).parent.parent / "events"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LOG_BUCKET = "org-cloudtrail-logs"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is a regression
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---- one moto, one Slack, one runtime for the module ---------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[Runtime]:
    """moto with the bot's resources and sample data, the local Slack, a runtime on both."""
    with mock_aws(), SlackSink(usergroups={"S0DBAOPS1": [OPERATOR]}) as slack:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_state_table(dynamodb)
        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "opsbot:retention", "Value": "keep-last=2"}],
        )
        for n in range(3):
            dynamodb.create_backup(TableName="orders", BackupName=f"orders-{n:02d}")
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {
            name: sqs.create_queue(QueueName=f"opsbot-{name}")["QueueUrl"]
            for name in ("work", "prune", "restore-watch")
        }
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=LOG_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        settings_ = base_settings(
            work_queue_url=queues["work"],
            prune_queue_url=queues["prune"],
            restore_queue_url=queues["restore-watch"],
            slack_api_url=slack.base_url,
            prune_mode="delete",
        )
        runtime = Runtime(
            settings_,
            clock=Clock(NOW),
            credentials_override=SlackCredentials(BOT_TOKEN, SIGNING_SECRET),
        )
        yield runtime


# ---- mutations ----------------------------------------------------------------------------

Path_ = tuple[Any, ...]
JSON_IN_STRING = "<json>"
REPLACEMENTS: tuple[Any, ...] = (
    None,
    0,
    -1,
    10**20,
    1.5,
    True,
    "",
    "x",
    "2026-13-45T99:99:99Z",
    "<!channel> & \u202e",
    [],
    ["x", 1],
    {},
    {"x": None},
)


def _json_inside(text: str) -> Any:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def node_paths(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every node below the root (a string holding JSON is walked into)."""
    if path and path[-1] != JSON_IN_STRING:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from node_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from node_paths(value, (*path, index))
    elif isinstance(node, str):
        inner = _json_inside(node)
        if isinstance(inner, dict | list):
            yield from node_paths(inner, (*path, JSON_IN_STRING))


def mutated(node: Any, path: Path_, change: Callable[[Any, Any], Any]) -> Any:
    """A copy of ``node`` with ``change(parent, key)`` applied at ``path``."""
    head, rest = path[0], path[1:]
    if head == JSON_IN_STRING:
        return json.dumps(mutated(json.loads(node), rest, change))
    copied = copy.copy(node)
    if rest:
        copied[head] = mutated(node[head], rest, change)
    else:
        change(copied, head)
    return copied


def _delete(parent: Any, key: Any) -> None:
    del parent[key]


@st.composite
def mutations(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one to three fields deleted, nulled or retyped."""
    current = document
    for _ in range(draw(st.integers(1, 3))):
        paths = list(node_paths(current))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        if draw(st.booleans()):
            current = mutated(current, path, _delete)
        else:
            value = draw(st.sampled_from(REPLACEMENTS))

            def put(parent: Any, key: Any, value: Any = value) -> None:
                parent[key] = copy.deepcopy(value)

            current = mutated(current, path, put)
    return current


def fresh_ids(event: dict[str, Any]) -> dict[str, Any]:
    """The event with new delivery ids, so earlier examples do not make it a duplicate."""
    event = copy.deepcopy(event)
    if isinstance(event.get("id"), str):
        event["id"] = str(uuid.uuid4())
    detail = event.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("eventID"), str):
        detail["eventID"] = str(uuid.uuid4())
    for record in event.get("Records") or []:
        if isinstance(record, dict) and isinstance(record.get("Sns"), dict):
            record["Sns"]["MessageId"] = str(uuid.uuid4())
    return event


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def no_retry(result: dict[str, Any]) -> None:
    """An SQS consumer's answer: nothing handed back for a retry that cannot succeed."""
    assert result == {"batchItemFailures": []}, result


# ---- the sources --------------------------------------------------------------------------

ALARM_EVENTS = sorted(EVENTS.glob("*alarm*.json"))
SNS_EVENTS = sorted(EVENTS.glob("sns-*.json"))
CLOUDTRAIL_EVENTS = sorted(
    p
    for p in [*EVENTS.glob("eventbridge-cloudtrail-*.json"), *EVENTS.glob("cloudtrail/*.json")]
    if "detail-type" in load(p)
)
LOG_FILES = sorted(p for p in EVENTS.glob("cloudtrail/*.json") if "Records" in load(p))
# A trail bucket's S3 events delivered straight to the inbox (EventBridge "Object Created").
S3_EVENTS = sorted(EVENTS.glob("eventbridge-s3-*.json"))


def test_every_sample_event_is_in_a_fuzzed_source() -> None:
    fuzzed = {*ALARM_EVENTS, *SNS_EVENTS, *CLOUDTRAIL_EVENTS, *LOG_FILES, *S3_EVENTS}
    assert fuzzed == set(EVENTS.rglob("*.json"))


@pytest.mark.parametrize("path", S3_EVENTS, ids=[p.stem for p in S3_EVENTS])
@FUZZ
@given(data=st.data())
def test_mutated_s3_events_are_handled_or_dropped(
    world: Runtime, path: Path, data: st.DataObject
) -> None:
    event = data.draw(mutations(fresh_ids(load(path))))
    assert "handled" in sns_inbox.handle(event, world)


@pytest.mark.parametrize("path", ALARM_EVENTS, ids=[p.stem for p in ALARM_EVENTS])
@FUZZ
@given(data=st.data())
def test_mutated_alarm_events_are_handled_or_dropped(
    world: Runtime, path: Path, data: st.DataObject
) -> None:
    event = data.draw(mutations(fresh_ids(load(path))))
    outcomes = alarms.handle(event, world)
    assert isinstance(outcomes, list)


@pytest.mark.parametrize("path", SNS_EVENTS, ids=[p.stem for p in SNS_EVENTS])
@FUZZ
@given(data=st.data())
def test_mutated_sns_messages_are_handled_or_dropped(
    world: Runtime, path: Path, data: st.DataObject
) -> None:
    event = data.draw(mutations(fresh_ids(load(path))))
    assert "handled" in sns_inbox.handle(event, world)


@pytest.mark.parametrize("path", CLOUDTRAIL_EVENTS, ids=[p.stem for p in CLOUDTRAIL_EVENTS])
@FUZZ
@given(data=st.data())
def test_mutated_cloudtrail_events_are_handled_or_dropped(
    world: Runtime, path: Path, data: st.DataObject
) -> None:
    event = data.draw(mutations(fresh_ids(load(path))))
    assert "received" in cloudtrail.handle(event, world)


@pytest.mark.parametrize("path", LOG_FILES, ids=[p.stem for p in LOG_FILES])
@FUZZ
@given(data=st.data())
def test_mutated_cloudtrail_log_files_are_handled_or_dropped(
    world: Runtime, path: Path, data: st.DataObject
) -> None:
    document = data.draw(mutations(load(path)))
    key = f"AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/fuzz-{uuid.uuid4()}.json.gz"
    world.client("s3").put_object(
        Bucket=LOG_BUCKET, Key=key, Body=gzip.compress(json.dumps(document).encode())
    )
    notice = fresh_ids(load(EVENTS / "sns-cloudtrail-log-delivery.json"))
    notice["Records"][0]["Sns"]["Message"] = json.dumps(
        {"s3Bucket": LOG_BUCKET, "s3ObjectKey": [key]}
    )
    assert "handled" in sns_inbox.handle(notice, world)


WORK_ITEMS = {
    "alarms-command": WorkItem(kind="command", user=ADMIN, channel="C0OPSBOT1", text="alarms"),
    "backups-command": WorkItem(
        kind="command", user=ADMIN, channel="C0OPSBOT1", text="backups orders"
    ),
    "mention": WorkItem(
        kind="mention", user=ADMIN, channel="C0OPSBOT1", text="status orders", thread_ts="1.1"
    ),
    "confirm-press": WorkItem(
        kind="action",
        user=ADMIN,
        channel="C0OPSBOT1",
        action_id="confirm",
        value="0" * 32 + ":" + ADMIN,
    ),
    "home": WorkItem(kind="home", user=ADMIN, channel=""),
}


def sqs_record(body: Any) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": str(uuid.uuid4()),
        "body": text,
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
    }


@pytest.mark.parametrize("name", list(WORK_ITEMS))
@FUZZ
@given(data=st.data())
def test_mutated_work_items_are_handled_or_dropped(
    world: Runtime, name: str, data: st.DataObject
) -> None:
    body = json.loads(WORK_ITEMS[name].to_json())
    body["id"] = uuid.uuid4().hex
    body["requested_at"] = NOW.timestamp()
    no_retry(slack_worker.handle({"Records": [sqs_record(data.draw(mutations(body)))]}, world))


PRUNE_TASK = {
    "run_id": "fuzz-run",
    "region": REGION,
    "table": "orders",
    "policy": "keep-last=2",
    "source": "tag",
}


@FUZZ
@given(data=st.data())
def test_mutated_prune_tasks_are_handled_or_dropped(world: Runtime, data: st.DataObject) -> None:
    body = data.draw(mutations({**PRUNE_TASK, "run_id": f"fuzz-{uuid.uuid4().hex[:8]}"}))
    no_retry(prune_worker.handle({"Records": [sqs_record(body)]}, world))


@FUZZ
@given(data=st.data())
def test_mutated_restore_checks_are_handled_or_dropped(world: Runtime, data: st.DataObject) -> None:
    job = RestoreJob(
        id=f"20261122T100000Z-{uuid.uuid4().hex[:8]}",
        source_table="orders",
        region=REGION,
        target="orders-restored",
        kind="backup",
        requester=ADMIN,
        channel="C0OPSBOT1",
        thread_ts="1700000000.000100",
        started_at=NOW,
        backup_name="orders-00",
    )
    save_job(world.state, job, now=world.epoch())
    body = data.draw(mutations({"job": job.id, "check": 1}))
    no_retry(restore_watcher.handle({"Records": [sqs_record(body)]}, world))


def test_a_body_that_is_not_json_is_dropped_by_every_queue_consumer(world: Runtime) -> None:
    for handler in (slack_worker, prune_worker, restore_watcher):
        for body in ("not json", "[1, 2]", "null", '"text"', "42"):
            no_retry(handler.handle({"Records": [sqs_record(body)]}, world))


# ---- regressions: what the fuzzing found, pinned ----------------------------------------------


@pytest.mark.parametrize(
    "event",
    [{"Records": "x"}, {"Records": -1}, {"Records": ["x"]}, {"Records": [{"Sns": "x"}]}],
    ids=["records-a-string", "records-a-number", "record-a-string", "sns-a-string"],
)
def test_an_alarm_event_with_records_of_the_wrong_shape_is_dropped(
    world: Runtime, event: dict[str, Any]
) -> None:
    assert set(alarms.handle(event, world)) == {"dropped"}


@pytest.mark.parametrize(
    "change",
    [
        {"user": None},
        {"user": ""},
        {"text": 42},
        {"response_url": -1},
        {"kind": "sideways"},
        {"requested_at": "soon"},
        {"checked_role": "yes"},
        {"id": {}},
    ],
    ids=lambda c: "-".join(f"{k}={v!r}" for k, v in c.items()),
)
def test_a_work_item_with_a_field_of_the_wrong_type_is_dropped_not_retried(
    world: Runtime, change: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    body = {**json.loads(WORK_ITEMS["alarms-command"].to_json()), **change}
    no_retry(slack_worker.handle({"Records": [sqs_record(body)]}, world))
    assert "dropping a malformed work item" in caplog.text


def test_a_mention_whose_thread_is_gone_is_dropped_not_retried(
    world: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    # `status` is answered in the thread for everyone (README, "Who sees an answer").
    item = WorkItem(
        kind="mention", user=ADMIN, channel="C0OPSBOT1", text="status orders", thread_ts="9.9"
    )
    no_retry(slack_worker.handle({"Records": [sqs_record(item.to_json())]}, world))
    assert "Slack refuses its reply (thread_not_found)" in caplog.text


@pytest.mark.parametrize(
    "body",
    [{"job": "", "check": 1}, {"job": "j", "check": -1}, {"job": "j", "check": True}, {"job": 7}],
    ids=["empty-job", "check-negative", "check-a-bool", "job-a-number"],
)
def test_a_restore_check_that_names_no_check_is_dropped(
    world: Runtime, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    no_retry(restore_watcher.handle({"Records": [sqs_record(body)]}, world))
    assert "dropping a malformed follow-up check" in caplog.text
