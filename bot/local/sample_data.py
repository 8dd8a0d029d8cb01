"""The bot's own resources and a small, stable world of sample data, created in moto.

`create_bot_resources` builds what the deployed stack would: the state table, the SNS topics,
the queues (each with a dead-letter queue), the SNS -> SQS subscriptions and the EventBridge
rule. `create_sample_data` adds what an operator plays with: two tables (both watched on App
Home), a few dozen back-dated backups and throttling/error alarms; `create_trail_log` puts the
CloudTrail log file that tests/events/sns-cloudtrail-log-delivery.json announces into S3. They
take a ``(service, region) -> client`` factory, so they work against a moto server or moto
in-process alike.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from bot.domain.records import frozen

ClientFactory = Callable[[str, str], Any]

SAMPLE_REGION = "us-west-2"
COURSES_TABLE = "cloudacademy-courses"
ORDERS_TABLE = "orders"
EVENT_SOURCES = ("aws.dynamodb", "aws.dax", "aws.cloudwatch")
# A fixed seed: the sample data (backup ages, order items) is the same on every run.
SAMPLE_SEED = 20261122
# SQS redrive: after this many failed receives a message moves to the dead-letter queue.
MAX_RECEIVE_COUNT = 5
# App Home shows the tables carrying this tag (bot.aws.replicas.WATCH_TAG).
WATCH_TAG = {"Key": "opsbot:watch", "Value": "true"}
# The trail bucket and log file that tests/events/sns-cloudtrail-log-delivery.json announces.
TRAIL_BUCKET = "org-cloudtrail-logs"
TRAIL_LOG_KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)


@frozen
class ResourceNames:
    """Names of the bot's own topics, queues and rule (the defaults match serverless.yml)."""

    alarms_topic: str = "opsbot-alarms"
    inbox_topic: str = "opsbot-inbox"
    alarms_queue: str = "opsbot-alarms"
    inbox_queue: str = "opsbot-inbox"
    work_queue: str = "opsbot-work"
    prune_queue: str = "opsbot-prune"
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
    dlq_url = sqs.create_queue(
        QueueName=name + dlq_suffix, Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "60"},
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


# --- sample data -------------------------------------------------------------------------

COURSES: tuple[dict[str, str], ...] = (
    {
        "courseid": "ddb-101",
        "company": "Cloud Academy",
        "title": "Getting Started with Amazon DynamoDB",
        "url": "https://cloudacademy.com/course/getting-started-with-amazon-dynamodb/",
        "duration": "58m",
        "instructor": "Maria Okafor",
    },
    {
        "courseid": "ddb-210",
        "company": "Cloud Academy",
        "title": "DynamoDB Data Modeling: Single-Table Design",
        "url": "https://cloudacademy.com/course/dynamodb-single-table-design/",
        "duration": "1h 42m",
        "instructor": "Tomás Rivera",
    },
    {
        "courseid": "ddb-305",
        "company": "Cloud Academy",
        "title": "Backup, Restore and Point-in-Time Recovery for DynamoDB",
        "url": "https://cloudacademy.com/course/dynamodb-backup-restore-pitr/",
        "duration": "47m",
        "instructor": "Priya Raman",
    },
    {
        "courseid": "dax-120",
        "company": "Cloud Academy",
        "title": "Caching DynamoDB Reads with DAX",
        "url": "https://cloudacademy.com/course/caching-dynamodb-with-dax/",
        "duration": "35m",
        "instructor": "Jonas Lindqvist",
    },
    {
        "courseid": "cw-230",
        "company": "Cloud Academy",
        "title": "Alarms That Matter: CloudWatch for DynamoDB",
        "url": "https://cloudacademy.com/course/cloudwatch-alarms-for-dynamodb/",
        "duration": "1h 05m",
        "instructor": "Aiko Tanaka",
    },
    {
        "courseid": "ct-140",
        "company": "Cloud Academy",
        "title": "Auditing AWS API Calls with CloudTrail",
        "url": "https://cloudacademy.com/course/auditing-with-cloudtrail/",
        "duration": "52m",
        "instructor": "Samuel Mensah",
    },
)

# Ages of the orders backups: a few hours, days, weeks and months old, up to ~14 months, so
# every retention bucket (hourly .. yearly) has something to keep or drop.
BACKUP_AGES: tuple[timedelta, ...] = (
    *(timedelta(hours=h) for h in (1, 3, 7, 13, 20)),
    *(timedelta(days=d) for d in (1, 2, 3, 4, 5, 6, 8, 10, 13)),
    *(timedelta(weeks=w) for w in (2, 3, 4, 5, 6, 7)),
    *(timedelta(days=30 * m) for m in (2, 3, 4, 5, 6, 8, 10, 12, 13, 14)),
)

# No alarm on ReadThrottleEvents: `/ddb status orders` shows that risk, and
# `/ddb alarms recommend orders` creates the missing alarm.
ALARMS: tuple[tuple[str, str, str], ...] = (
    ("orders-write-throttle", "WriteThrottleEvents", "Writes to orders are being throttled"),
    ("orders-system-errors", "SystemErrors", "DynamoDB returns HTTP 500 errors on orders"),
)

# Back-dating only works when moto records the travelled clock, i.e. runs in this process.
_BACKDATE_TOLERANCE = timedelta(minutes=5)


def create_sample_data(
    client_factory: ClientFactory, *, now: datetime, alarms_topic_arn: str | None = None
) -> None:
    """Create the courses and orders tables, back-dated orders backups and orders alarms."""
    rng = random.Random(SAMPLE_SEED)
    dynamodb = client_factory("dynamodb", SAMPLE_REGION)
    _create_courses_table(dynamodb)
    _create_orders_table(dynamodb, rng, now)
    _create_orders_backups(dynamodb, rng, now)
    if alarms_topic_arn is None:
        # create_topic is idempotent: it returns the existing topic's ARN.
        sns = client_factory("sns", SAMPLE_REGION)
        alarms_topic_arn = str(sns.create_topic(Name=ResourceNames().alarms_topic)["TopicArn"])
    _create_alarms(client_factory("cloudwatch", SAMPLE_REGION), alarms_topic_arn)


def _create_courses_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=COURSES_TABLE,
        KeySchema=[{"AttributeName": "courseid", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "courseid", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        Tags=[WATCH_TAG],
    )
    for course in COURSES:
        dynamodb.put_item(TableName=COURSES_TABLE, Item={k: {"S": v} for k, v in course.items()})


def _create_orders_table(dynamodb: Any, rng: random.Random, now: datetime) -> None:
    table = dynamodb.create_table(
        TableName=ORDERS_TABLE,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=True,
        Tags=[
            {"Key": "team", "Value": "payments"},
            {"Key": "opsbot:retention", "Value": "keep-daily=7,keep-weekly=4,keep-monthly=12"},
            WATCH_TAG,
        ],
    )["TableDescription"]
    dynamodb.update_continuous_backups(
        TableName=ORDERS_TABLE,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    customers = ("acme-corp", "globex", "initech", "umbrella", "hooli", "stark-ind")
    statuses = ("PLACED", "PAID", "SHIPPED", "DELIVERED", "REFUNDED")
    for n in range(1, 13):
        placed = now - timedelta(minutes=rng.randint(5, 60 * 24 * 20))
        item = {
            "order_id": {"S": f"ord-{n:05d}"},
            "customer": {"S": rng.choice(customers)},
            "status": {"S": rng.choice(statuses)},
            "total_cents": {"N": str(rng.randint(500, 250_000))},
            "placed_at": {"S": placed.astimezone(UTC).isoformat(timespec="seconds")},
        }
        dynamodb.put_item(TableName=table["TableName"], Item=item)


def _create_orders_backups(dynamodb: Any, rng: random.Random, now: datetime) -> None:
    # Oldest first, so the creation order matches the timeline.
    for age in sorted(BACKUP_AGES, reverse=True):
        created = (now - age - timedelta(minutes=rng.randint(0, 50))).astimezone(UTC)
        created = created.replace(microsecond=0)
        kind = "pre-deploy" if rng.random() < 0.2 else "nightly"
        name = f"{ORDERS_TABLE}-{kind}-{created:%Y%m%d-%H%M}"
        with time_machine.travel(created, tick=False):
            details = dynamodb.create_backup(TableName=ORDERS_TABLE, BackupName=name)
        recorded = details["BackupDetails"]["BackupCreationDateTime"]
        if abs(recorded - created) > _BACKDATE_TOLERANCE:
            raise RuntimeError(
                f"backup {name} was recorded at {recorded.isoformat()}, not {created.isoformat()}:"
                " back-dating needs moto running in this process"
            )


def _create_alarms(cloudwatch: Any, topic_arn: str) -> None:
    for alarm_name, metric, description in ALARMS:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm_name,
            AlarmDescription=description,
            Namespace="AWS/DynamoDB",
            MetricName=metric,
            Dimensions=[{"Name": "TableName", "Value": ORDERS_TABLE}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            DatapointsToAlarm=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            ActionsEnabled=True,
            AlarmActions=[topic_arn],
            OKActions=[topic_arn],
        )


# --- a CloudTrail log file -----------------------------------------------------------------


def trail_records(now: datetime, account_id: str) -> list[dict[str, Any]]:
    """Three CloudTrail records on orders: TTL turned on in the console, a backup taken by the
    CI role, and an item written (a data event, which opsbot ignores by default)."""

    def record(
        minutes_ago: int, name: str, who: str, agent: str, request: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        at = (now - timedelta(minutes=minutes_ago)).astimezone(UTC)
        return {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": f"AROAEXAMPLEID:{who}",
                "arn": f"arn:aws:sts::{account_id}:assumed-role/DataAdmin/{who}",
                "accountId": account_id,
                "accessKeyId": "ASIAEXAMPLEKEY",
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLEID",
                        "arn": f"arn:aws:iam::{account_id}:role/DataAdmin",
                        "accountId": account_id,
                        "userName": "DataAdmin",
                    },
                    "attributes": {
                        "creationDate": f"{at - timedelta(minutes=30):%Y-%m-%dT%H:%M:%SZ}",
                        "mfaAuthenticated": "true",
                    },
                },
            },
            "eventTime": f"{at:%Y-%m-%dT%H:%M:%SZ}",
            "eventSource": "dynamodb.amazonaws.com",
            "eventName": name,
            "awsRegion": SAMPLE_REGION,
            "sourceIPAddress": "198.51.100.77",
            "userAgent": agent,
            "requestParameters": request,
            "requestID": f"REQ{minutes_ago:04d}SAMPLELOGFILE",
            "eventID": f"5a3c0f1e-0000-4000-8000-{minutes_ago:012d}",
            "readOnly": False,
            "eventType": "AwsApiCall",
            "apiVersion": "2012-08-10",
            "recipientAccountId": account_id,
            **extra,
        }

    ttl = {"enabled": True, "attributeName": "expires_at"}
    return [
        record(
            95,
            "UpdateTimeToLive",
            "carol",
            "console.amazonaws.com",
            {"tableName": ORDERS_TABLE, "timeToLiveSpecification": ttl},
            responseElements={"timeToLiveSpecification": ttl},
            managementEvent=True,
            eventCategory="Management",
        ),
        record(
            90,
            "CreateBackup",
            "ci-release",
            "aws-cli/2.17.0 Python/3.11.9 Linux/6.1 exe/x86_64 command/dynamodb.create-backup",
            {"tableName": ORDERS_TABLE, "backupName": "orders-pre-release"},
            responseElements={
                "backupDetails": {
                    "backupArn": f"arn:aws:dynamodb:{SAMPLE_REGION}:{account_id}:table/"
                    f"{ORDERS_TABLE}/backup/01795340000000-5a3c0f1e",
                    "backupName": "orders-pre-release",
                    "backupStatus": "CREATING",
                    "backupType": "USER",
                }
            },
            managementEvent=True,
            eventCategory="Management",
        ),
        record(
            85,
            "PutItem",
            "carol",
            "console.amazonaws.com",
            {"tableName": ORDERS_TABLE, "key": {"order_id": "ord-00001"}},
            responseElements=None,
            managementEvent=False,
            eventCategory="Data",
            resources=[
                {
                    "accountId": account_id,
                    "type": "AWS::DynamoDB::Table",
                    "ARN": f"arn:aws:dynamodb:{SAMPLE_REGION}:{account_id}:table/{ORDERS_TABLE}",
                }
            ],
        ),
    ]


def create_trail_log(client_factory: ClientFactory, *, now: datetime, account_id: str) -> str:
    """Create the trail bucket and put a gzipped log file at TRAIL_LOG_KEY; returns its URI."""
    s3 = client_factory("s3", SAMPLE_REGION)
    s3.create_bucket(
        Bucket=TRAIL_BUCKET,
        CreateBucketConfiguration={"LocationConstraint": SAMPLE_REGION},
    )
    document = {"Records": trail_records(now, account_id)}
    s3.put_object(
        Bucket=TRAIL_BUCKET,
        Key=TRAIL_LOG_KEY,
        Body=gzip.compress(json.dumps(document).encode()),
        ContentType="application/json",
        ContentEncoding="gzip",
    )
    return f"s3://{TRAIL_BUCKET}/{TRAIL_LOG_KEY}"
