"""The bot's own resources and the sample world, created in an embedded moto server."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.local.bot_resources import LocalResources, ResourceNames, create_bot_resources
from bot.local.moto_server import EmbeddedAws, start_moto
from bot.local.sample_data import COURSES, create_sample_data
from bot.local.sample_trail_log import create_trail_log

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
REGION = "us-west-2"
EVENTS = Path(__file__).resolve().parents[2] / "tests" / "events"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with start_moto() as embedded:
        yield embedded


@pytest.fixture(scope="module")
def resources(aws: EmbeddedAws) -> LocalResources:
    made = create_bot_resources(aws.client_factory, region=REGION, state_table="opsbot-state")
    create_sample_data(aws.client_factory, now=NOW, alarms_topic_arn=made.alarms_topic_arn)
    return made


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def test_state_table_has_keys_ttl_pitr_and_deletion_protection(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    ddb = aws.client("dynamodb", REGION)
    table = ddb.describe_table(TableName="opsbot-state")["Table"]

    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert {a["AttributeType"] for a in table["AttributeDefinitions"]} == {"S"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True
    assert table["TableArn"] == resources.state_table_arn
    ttl = ddb.describe_time_to_live(TableName="opsbot-state")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    pitr = ddb.describe_continuous_backups(TableName="opsbot-state")
    status = pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert status["PointInTimeRecoveryStatus"] == "ENABLED"


def test_every_queue_has_a_dead_letter_queue(aws: EmbeddedAws, resources: LocalResources) -> None:
    sqs = aws.client("sqs", REGION)
    names = {q.name for q in resources.queues}

    assert names == {
        "opsbot-alarms",
        "opsbot-inbox",
        "opsbot-work",
        "opsbot-prune.fifo",  # one message group per account and region
        "opsbot-restore-watch",
        "opsbot-events",
    }
    for queue in resources.queues:
        attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
        redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == queue.dlq_arn
        fifo = queue.name.endswith(".fifo")
        dlq_name = f"{queue.name.removesuffix('.fifo')}-dlq{'.fifo' if fifo else ''}"
        assert queue.dlq_arn.endswith(f":{dlq_name}")
        assert attributes["Attributes"].get("FifoQueue", "false") == str(fifo).lower()


def test_topics_deliver_sns_envelopes_to_their_queues(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    sns, sqs = aws.client("sns", REGION), aws.client("sqs", REGION)
    subscription = sns.get_subscription_attributes(
        SubscriptionArn=resources.alarms_subscription_arn
    )["Attributes"]
    assert subscription["RawMessageDelivery"] == "false"

    sns.publish(TopicArn=resources.alarms_topic_arn, Message="alarm!", Subject="ALARM")
    sns.publish(TopicArn=resources.inbox_topic_arn, Message="backup done")

    alarm = json.loads(_drain(sqs, resources.alarms_queue.url)[0]["Body"])
    inbox = json.loads(_drain(sqs, resources.inbox_queue.url)[0]["Body"])
    assert (alarm["Type"], alarm["Message"], alarm["Subject"]) == (
        "Notification",
        "alarm!",
        "ALARM",
    )
    assert alarm["TopicArn"] == resources.alarms_topic_arn
    assert inbox["Message"] == "backup done"
    assert inbox["TopicArn"] == resources.inbox_topic_arn


@pytest.mark.parametrize(
    ("source", "delivered"),
    [("aws.dynamodb", True), ("aws.dax", True), ("aws.cloudwatch", True), ("aws.s3", False)],
    ids=["dynamodb", "dax", "cloudwatch", "s3-filtered-out"],
)
def test_events_rule_routes_only_dynamodb_dax_and_cloudwatch(
    aws: EmbeddedAws, resources: LocalResources, source: str, delivered: bool
) -> None:
    events, sqs = aws.client("events", REGION), aws.client("sqs", REGION)
    events.put_events(
        Entries=[{"Source": source, "DetailType": "Test", "Detail": json.dumps({"n": source})}]
    )

    messages = _drain(sqs, resources.events_queue.url)

    assert [json.loads(m["Body"])["source"] for m in messages] == ([source] if delivered else [])
    if messages:
        sqs.delete_message(
            QueueUrl=resources.events_queue.url, ReceiptHandle=messages[0]["ReceiptHandle"]
        )


def test_courses_table_holds_the_sample_courses(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    ddb = aws.client("dynamodb", "us-west-2")
    table = ddb.describe_table(TableName="cloudacademy-courses")["Table"]
    items = ddb.scan(TableName="cloudacademy-courses")["Items"]

    assert table["KeySchema"] == [{"AttributeName": "courseid", "KeyType": "HASH"}]
    assert len(items) == len(COURSES) >= 5
    for item in items:
        assert set(item) == {"courseid", "company", "title", "url", "duration", "instructor"}
        assert item["url"]["S"].startswith("https://")


def test_orders_table_has_pitr_and_deletion_protection(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    ddb = aws.client("dynamodb", "us-west-2")
    table = ddb.describe_table(TableName="orders")["Table"]
    pitr = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"]

    assert table["DeletionProtectionEnabled"] is True
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert table["ItemCount"] >= 0
    assert ddb.scan(TableName="orders")["Count"] >= 10


def test_both_sample_tables_are_watched_on_app_home(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    ddb = aws.client("dynamodb", REGION)
    for name in ("orders", "cloudacademy-courses"):
        arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
        tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
        assert {"Key": "opsbot:watch", "Value": "true"} in tags


def test_trail_log_is_where_the_sample_sns_notice_says_with_orders_changes(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    notice = json.loads((EVENTS / "sns-cloudtrail-log-delivery.json").read_text())
    message = json.loads(notice["Records"][0]["Sns"]["Message"])

    uri = create_trail_log(aws.client_factory, now=NOW, account_id=resources.account_id)

    assert uri == f"s3://{message['s3Bucket']}/{message['s3ObjectKey'][0]}"
    body = (
        aws.client("s3", REGION)
        .get_object(Bucket=message["s3Bucket"], Key=message["s3ObjectKey"][0])["Body"]
        .read()
    )
    records = json.loads(gzip.decompress(body))["Records"]
    management = [r for r in records if r["eventCategory"] == "Management"]
    assert [r["eventName"] for r in management] == ["UpdateTimeToLive", "CreateBackup"]
    assert {r["requestParameters"]["tableName"] for r in records} == {"orders"}
    assert all(NOW - timedelta(hours=2) < _when(r) < NOW for r in records)


def _when(record: dict[str, Any]) -> datetime:
    return datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_orders_backups_are_back_dated_from_hours_to_over_a_year(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    ddb = aws.client("dynamodb", "us-west-2")
    backups = ddb.list_backups(TableName="orders")["BackupSummaries"]
    ages = sorted(NOW - b["BackupCreationDateTime"] for b in backups)

    assert 25 <= len(backups) <= 40
    assert {b["BackupType"] for b in backups} == {"USER"}
    assert len({b["BackupName"] for b in backups}) == len(backups)
    assert timedelta(0) < ages[0] < timedelta(hours=2)
    assert timedelta(days=395) < ages[-1] < timedelta(days=440)
    assert sum(a < timedelta(days=1) for a in ages) >= 3
    assert sum(timedelta(days=1) <= a < timedelta(days=14) for a in ages) >= 5
    assert sum(timedelta(days=14) <= a < timedelta(days=60) for a in ages) >= 4
    assert sum(a >= timedelta(days=60) for a in ages) >= 6
    # The name carries the backup's age when the sample was made (`d003`: three days).
    for backup in backups:
        age = NOW - backup["BackupCreationDateTime"]
        label = f"d{age.days:03d}" if age.days else f"h{age.seconds // 3600:02d}"
        assert backup["BackupName"].endswith(f"-{label}")


def test_alarms_watch_orders_and_notify_the_alarms_topic(
    aws: EmbeddedAws, resources: LocalResources
) -> None:
    alarms = aws.client("cloudwatch", "us-west-2").describe_alarms()["MetricAlarms"]
    by_metric = {a["MetricName"]: a for a in alarms}

    # No ReadThrottleEvents alarm: the gap `/ddb status orders` shows as a risk.
    assert set(by_metric) == {"WriteThrottleEvents", "SystemErrors"}
    for alarm in alarms:
        assert alarm["Namespace"] == "AWS/DynamoDB"
        assert alarm["Dimensions"] == [{"Name": "TableName", "Value": "orders"}]
        assert alarm["AlarmActions"] == [resources.alarms_topic_arn]
        assert alarm["OKActions"] == [resources.alarms_topic_arn]


def test_resource_names_can_be_changed(aws: EmbeddedAws) -> None:
    names = ResourceNames(work_queue="other-work", alarms_topic="other-alarms")

    made = create_bot_resources(
        aws.client_factory, region="eu-west-1", state_table="other-state", names=names
    )

    assert made.work_queue.url.endswith("/other-work")
    assert made.alarms_topic_arn == "arn:aws:sns:eu-west-1:123456789012:other-alarms"
    assert made.state_table_arn.endswith(":table/other-state")


class _RecordingDynamoDB:
    """A DynamoDB stand-in that records backups at the (travelled) clock, as moto does."""

    def __init__(self) -> None:
        self.backups: list[tuple[str, datetime]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda **kwargs: {"TableDescription": {"TableName": "orders"}}

    def create_backup(self, **kwargs: Any) -> dict[str, Any]:
        created = datetime.now(UTC)
        self.backups.append((kwargs["BackupName"], created))
        return {"BackupDetails": {"BackupCreationDateTime": created}}


def _sample_backups(now: datetime = NOW) -> list[tuple[str, datetime]]:
    dynamodb = _RecordingDynamoDB()
    create_sample_data(lambda service, region: dynamodb, now=now, alarms_topic_arn="arn:a")
    return dynamodb.backups


def test_sample_backups_are_the_same_on_every_run() -> None:
    first = _sample_backups()

    assert first == _sample_backups()
    assert [created for _, created in first] == sorted(created for _, created in first)


def test_sample_backup_names_do_not_depend_on_the_day_the_sample_is_made() -> None:
    today = [name for name, _ in _sample_backups()]
    later = [name for name, _ in _sample_backups(NOW + timedelta(days=123, minutes=7))]
    assert today == later


class _ClockIgnoringDynamoDB:
    """A DynamoDB stand-in that, like a server in another process, records the real time."""

    def __getattr__(self, name: str) -> Any:
        return lambda **kwargs: {"TableDescription": {"TableName": "orders"}}

    def create_backup(self, **kwargs: Any) -> dict[str, Any]:
        return {"BackupDetails": {"BackupCreationDateTime": datetime(2030, 1, 1, tzinfo=UTC)}}


def test_sample_data_refuses_backups_it_could_not_back_date() -> None:
    def factory(service: str, region: str) -> Any:
        return _ClockIgnoringDynamoDB()

    with pytest.raises(RuntimeError, match="back-dating needs moto running in this process"):
        create_sample_data(factory, now=NOW, alarms_topic_arn="arn:aws:sns:us-west-2:1:a")
