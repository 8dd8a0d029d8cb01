"""The bot's own resources, created in moto as the deployed stack has them.

`create_bot_resources` builds the state table, the SNS topics, the queues (each with a
dead-letter queue), the SNS -> SQS subscriptions and the EventBridge rule, and returns their
names, ARNs and URLs as :class:`LocalResources`. It takes a ``(service, region) -> client``
factory, so it works against a moto server or moto in-process alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.domain.records import frozen

ClientFactory = Callable[[str, str], Any]

EVENT_SOURCES = ("aws.dynamodb", "aws.dax", "aws.cloudwatch")
# SQS redrive: after this many failed receives a message moves to the dead-letter queue.
MAX_RECEIVE_COUNT = 5


@frozen
class ResourceNames:
    """Names of the bot's own topics, queues and rule (the defaults match serverless.yml)."""

    alarms_topic: str = "opsbot-alarms"
    inbox_topic: str = "opsbot-inbox"
    alarms_queue: str = "opsbot-alarms"
    inbox_queue: str = "opsbot-inbox"
    work_queue: str = "opsbot-work"
    prune_queue: str = "opsbot-prune.fifo"  # one message group per account and region
    restore_watch_queue: str = "opsbot-restore-watch"
    events_queue: str = "opsbot-events"
    events_rule: str = "opsbot-aws-events"
    dlq_suffix: str = "-dlq"


@frozen
class Queue:
    """An SQS queue and its dead-letter queue."""

    name: str
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@frozen
class LocalResources:
    """Names, ARNs and URLs of everything `create_bot_resources` made."""

    region: str
    account_id: str
    state_table: str
    state_table_arn: str
    alarms_topic_arn: str
    inbox_topic_arn: str
    alarms_queue: Queue
    inbox_queue: Queue
    work_queue: Queue
    prune_queue: Queue
    restore_watch_queue: Queue
    events_queue: Queue
    alarms_subscription_arn: str
    inbox_subscription_arn: str
    events_rule_name: str
    events_rule_arn: str

    @property
    def queues(self) -> tuple[Queue, ...]:
        """Every queue, in a fixed order."""
        return (
            self.alarms_queue,
            self.inbox_queue,
            self.work_queue,
            self.prune_queue,
            self.restore_watch_queue,
            self.events_queue,
        )


def create_bot_resources(
    client_factory: ClientFactory,
    *,
    region: str,
    state_table: str = "opsbot-state",
    names: ResourceNames | None = None,
) -> LocalResources:
    """Create the state table, topics, queues, subscriptions and rule the bot runs on."""
    names = names or ResourceNames()
    dynamodb = client_factory("dynamodb", region)
    sns = client_factory("sns", region)
    sqs = client_factory("sqs", region)
    events = client_factory("events", region)

    table_arn = _create_state_table(dynamodb, state_table)
    account_id = table_arn.split(":")[4]

    alarms_topic = sns.create_topic(Name=names.alarms_topic)["TopicArn"]
    inbox_topic = sns.create_topic(Name=names.inbox_topic)["TopicArn"]

    def queue(name: str) -> Queue:
        return _create_queue(sqs, name, names.dlq_suffix)

    alarms_q, inbox_q = queue(names.alarms_queue), queue(names.inbox_queue)
    work_q, prune_q = queue(names.work_queue), queue(names.prune_queue)
    restore_q, events_q = queue(names.restore_watch_queue), queue(names.events_queue)

    rule_arn = events.put_rule(
        Name=names.events_rule,
        EventPattern=json.dumps({"source": list(EVENT_SOURCES)}),
        State="ENABLED",
        Description="DynamoDB, DAX and CloudWatch events for opsbot",
    )["RuleArn"]
    events.put_targets(
        Rule=names.events_rule, Targets=[{"Id": "events-queue", "Arn": events_q.arn}]
    )

    _allow_senders(sqs, alarms_q, "sns.amazonaws.com", alarms_topic)
    _allow_senders(sqs, inbox_q, "sns.amazonaws.com", inbox_topic)
    _allow_senders(sqs, events_q, "events.amazonaws.com", rule_arn)

    return LocalResources(
        region=region,
        account_id=account_id,
        state_table=state_table,
        state_table_arn=table_arn,
        alarms_topic_arn=alarms_topic,
        inbox_topic_arn=inbox_topic,
        alarms_queue=alarms_q,
        inbox_queue=inbox_q,
        work_queue=work_q,
        prune_queue=prune_q,
        restore_watch_queue=restore_q,
        events_queue=events_q,
        alarms_subscription_arn=_subscribe(sns, alarms_topic, alarms_q),
        inbox_subscription_arn=_subscribe(sns, inbox_topic, inbox_q),
        events_rule_name=names.events_rule,
        events_rule_arn=rule_arn,
    )


def _create_state_table(dynamodb: Any, name: str) -> str:
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=True,
    )["TableDescription"]
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    dynamodb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    return str(table["TableArn"])


def _create_queue(sqs: Any, name: str, dlq_suffix: str) -> Queue:
    # A FIFO queue's dead-letter queue is FIFO too, and both names end in `.fifo`.
    fifo = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    dlq_name = f"{name.removesuffix('.fifo')}{dlq_suffix}{'.fifo' if fifo else ''}"
    dlq_url = sqs.create_queue(
        QueueName=dlq_name, Attributes={"MessageRetentionPeriod": "1209600", **fifo}
    )["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "60", **fifo},
    )["QueueUrl"]
    return Queue(name=name, url=url, arn=_queue_arn(sqs, url), dlq_url=dlq_url, dlq_arn=dlq_arn)


def _queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _allow_senders(sqs: Any, queue: Queue, service: str, source_arn: str) -> None:
    # moto does not enforce queue policies; the policy is here so the local wiring reads like
    # the deployed one.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue.arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"Policy": json.dumps(policy)})


def _subscribe(sns: Any, topic_arn: str, queue: Queue) -> str:
    # Raw delivery stays off: the queue receives the SNS envelope, as a Lambda subscriber would.
    response = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue.arn,
        Attributes={"RawMessageDelivery": "false"},
        ReturnSubscriptionArn=True,
    )
    return str(response["SubscriptionArn"])
