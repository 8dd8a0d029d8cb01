"""Queue messages replayed as the Lambda events AWS would deliver, deleted only when handled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.local.bot_resources import LocalResources, create_bot_resources
from bot.local.moto_server import EmbeddedAws, start_moto
from bot.local.sqs_pump import (
    as_eventbridge_event,
    as_sqs_lambda_event,
    delete_messages,
    message_kind,
    receive_lambda_events,
    release_messages,
)

REGION = "us-west-2"
EVENTS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with start_moto() as embedded:
        yield embedded


@pytest.fixture(scope="module")
def resources(aws: EmbeddedAws) -> LocalResources:
    return create_bot_resources(aws.client_factory, region=REGION, state_table="pump-state")


@pytest.fixture
def sqs(aws: EmbeddedAws) -> Any:
    return aws.client("sqs", REGION)


@pytest.fixture
def fresh_queue(aws: EmbeddedAws, sqs: Any, request: pytest.FixtureRequest) -> str:
    name = request.node.name.replace("[", "-").replace("]", "")[:70]
    return str(sqs.create_queue(QueueName=name)["QueueUrl"])


def _handles(pairs: list[tuple[dict[str, Any], list[str]]]) -> list[str]:
    return [h for _, handles in pairs for h in handles]


def test_sns_message_becomes_the_sns_lambda_event(
    aws: EmbeddedAws, sqs: Any, resources: LocalResources
) -> None:
    aws.client("sns", REGION).publish(
        TopicArn=resources.inbox_topic_arn,
        Message="An AWS Backup job was completed successfully.",
        Subject="Notification from AWS Backup",
        MessageAttributes={"State": {"DataType": "String", "StringValue": "COMPLETED"}},
    )

    pairs = receive_lambda_events(
        sqs, resources.inbox_queue.url, subscription_arn=resources.inbox_subscription_arn
    )
    delete_messages(sqs, resources.inbox_queue.url, _handles(pairs))

    [(event, handles)] = pairs
    [record] = event["Records"]
    example = json.loads((EVENTS / "sns-aws-backup-job-completed.json").read_text())
    assert set(record) == set(example["Records"][0])
    assert set(record["Sns"]) == set(example["Records"][0]["Sns"])
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == resources.inbox_subscription_arn
    assert record["Sns"]["Type"] == "Notification"
    assert record["Sns"]["TopicArn"] == resources.inbox_topic_arn
    assert record["Sns"]["Subject"] == "Notification from AWS Backup"
    assert record["Sns"]["Message"] == "An AWS Backup job was completed successfully."
    assert record["Sns"]["MessageAttributes"] == {"State": {"Type": "String", "Value": "COMPLETED"}}
    assert record["Sns"]["SigningCertUrl"].startswith("https://")
    assert len(handles) == 1


def test_sns_message_without_subject_has_null_subject_and_stable_subscription(
    aws: EmbeddedAws, sqs: Any, resources: LocalResources
) -> None:
    sns = aws.client("sns", REGION)
    sns.publish(TopicArn=resources.alarms_topic_arn, Message="one")
    sns.publish(TopicArn=resources.alarms_topic_arn, Message="two")

    pairs = receive_lambda_events(sqs, resources.alarms_queue.url)
    delete_messages(sqs, resources.alarms_queue.url, _handles(pairs))

    records = [event["Records"][0] for event, _ in pairs]
    assert sorted(r["Sns"]["Message"] for r in records) == ["one", "two"]
    assert all(r["Sns"]["Subject"] is None for r in records)
    subscriptions = {r["EventSubscriptionArn"] for r in records}
    assert len(subscriptions) == 1
    assert subscriptions.pop().startswith(resources.alarms_topic_arn + ":")


def test_eventbridge_message_becomes_the_bare_event(
    aws: EmbeddedAws, sqs: Any, resources: LocalResources
) -> None:
    detail = {"eventSource": "dynamodb.amazonaws.com", "eventName": "DeleteBackup"}
    aws.client("events", REGION).put_events(
        Entries=[
            {
                "Source": "aws.dynamodb",
                "DetailType": "AWS API Call via CloudTrail",
                "Detail": json.dumps(detail),
            }
        ]
    )

    pairs = receive_lambda_events(sqs, resources.events_queue.url)
    delete_messages(sqs, resources.events_queue.url, _handles(pairs))

    [(event, _)] = pairs
    assert event["source"] == "aws.dynamodb"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["detail"] == detail
    assert event["region"] == REGION
    assert "Records" not in event


def test_plain_messages_become_one_sqs_batch_per_receive(sqs: Any, fresh_queue: str) -> None:
    for n in range(15):
        sqs.send_message(
            QueueUrl=fresh_queue,
            MessageBody=json.dumps({"table": f"t{n}"}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "prune"}},
        )

    pairs = receive_lambda_events(sqs, fresh_queue, max_messages=10)

    assert [len(event["Records"]) for event, _ in pairs] == [10, 5]
    bodies = [json.loads(r["body"])["table"] for event, _ in pairs for r in event["Records"]]
    assert sorted(bodies) == sorted(f"t{n}" for n in range(15))
    queue_arn = sqs.get_queue_attributes(QueueUrl=fresh_queue, AttributeNames=["QueueArn"])
    record = pairs[0][0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn["Attributes"]["QueueArn"]
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"].isdigit()
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "prune",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["receiptHandle"] == pairs[0][1][0]
    assert len(record["md5OfBody"]) == 32


def test_undeleted_messages_come_back_like_lambda_retries(sqs: Any, fresh_queue: str) -> None:
    sqs.send_message(QueueUrl=fresh_queue, MessageBody="restore-job-42")

    first = receive_lambda_events(sqs, fresh_queue)
    hidden = receive_lambda_events(sqs, fresh_queue)
    # The handler failed: nothing is deleted, and the retry comes once the message is visible.
    release_messages(sqs, fresh_queue, _handles(first))
    second = receive_lambda_events(sqs, fresh_queue)
    delete_messages(sqs, fresh_queue, _handles(second))
    third = receive_lambda_events(sqs, fresh_queue)

    assert [r["body"] for r in first[0][0]["Records"]] == ["restore-job-42"]
    assert hidden == []
    assert second[0][0]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert third == []


def test_delete_messages_handles_more_than_one_batch(sqs: Any, fresh_queue: str) -> None:
    for n in range(23):
        sqs.send_message(QueueUrl=fresh_queue, MessageBody=str(n))
    handles = _handles(receive_lambda_events(sqs, fresh_queue))
    assert len(handles) == 23

    delete_messages(sqs, fresh_queue, handles)

    assert receive_lambda_events(sqs, fresh_queue) == []


def test_forced_kind_overrides_detection(sqs: Any, fresh_queue: str) -> None:
    envelope = {"Type": "Notification", "TopicArn": "arn:aws:sns:us-west-2:1:t", "Message": "m"}
    sqs.send_message(QueueUrl=fresh_queue, MessageBody=json.dumps(envelope))

    pairs = receive_lambda_events(sqs, fresh_queue, kind="sqs")
    delete_messages(sqs, fresh_queue, _handles(pairs))

    assert json.loads(pairs[0][0]["Records"][0]["body"]) == envelope


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (json.dumps({"Type": "Notification", "TopicArn": "arn", "Message": "x"}), "sns"),
        (json.dumps({"source": "aws.dax", "detail-type": "d", "detail": {}}), "eventbridge"),
        (json.dumps({"table": "orders"}), "sqs"),
        ("not json at all", "sqs"),
        (json.dumps(["a", "list"]), "sqs"),
    ],
    ids=["sns-envelope", "eventbridge-event", "json-work-item", "plain-text", "json-list"],
)
def test_message_kind(body: str, kind: str) -> None:
    assert message_kind({"Body": body}) == kind


def test_as_sqs_lambda_event_takes_region_from_the_queue_arn() -> None:
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": "b", "MD5OfBody": "0" * 32}

    event = as_sqs_lambda_event([message], queue_arn="arn:aws:sqs:eu-west-1:123456789012:q")

    assert event["Records"][0]["awsRegion"] == "eu-west-1"
    assert event["Records"][0]["attributes"] == {}


def test_as_eventbridge_event_rejects_non_objects() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        as_eventbridge_event({"Body": "[1, 2]"})
