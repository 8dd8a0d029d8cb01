"""A small, stable world of sample data, created in moto for an operator to play with.

`create_sample_data` adds two tables (both watched on App Home), a few dozen back-dated
backups of orders, named by their age so that a name works in every run
(`orders-nightly-d003`), and throttling/error alarms on it. It takes a ``(service, region) ->
client`` factory; back-dating the backups needs moto running in this process.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from bot.local.bot_resources import ClientFactory, ResourceNames

SAMPLE_REGION = "us-west-2"
COURSES_TABLE = "cloudacademy-courses"
ORDERS_TABLE = "orders"
# A fixed seed: the sample data (backup ages and names, order items) is the same on every run.
SAMPLE_SEED = 20261122
# How long ago the orders table was created, with PITR on: before its oldest backup.
ORDERS_AGE = timedelta(days=450)
# App Home shows the tables carrying this tag (bot.aws.replicas.WATCH_TAG).
WATCH_TAG = {"Key": "opsbot:watch", "Value": "true"}

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
    client_factory: ClientFactory,
    *,
    now: datetime,
    alarms_topic_arn: str | None = None,
    export_buckets: tuple[str, ...] = (),
) -> None:
    """Create the courses and orders tables, back-dated orders backups and orders alarms, and
    the configured export buckets (`[exports] buckets`) in the sample region."""
    rng = random.Random(SAMPLE_SEED)
    s3 = client_factory("s3", SAMPLE_REGION)
    for bucket in export_buckets:
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": SAMPLE_REGION}
        )
    dynamodb = client_factory("dynamodb", SAMPLE_REGION)
    _create_courses_table(dynamodb)
    _create_orders_table(dynamodb, rng, now)
    _create_orders_backups(dynamodb, rng, now)
    if alarms_topic_arn is None:
        # create_topic is idempotent: it returns the existing topic's ARN.
        sns = client_factory("sns", SAMPLE_REGION)
        alarms_topic_arn = str(sns.create_topic(Name=ResourceNames().alarms_topic)["TopicArn"])
    cloudwatch = client_factory("cloudwatch", SAMPLE_REGION)
    _create_alarms(cloudwatch, alarms_topic_arn)
    _put_orders_load(cloudwatch, now)


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
    # Created, and PITR turned on, before its oldest backup: the PITR window is the whole
    # recovery period, as on a table that has had PITR for a while (moto starts the window
    # when PITR is turned on; bot.local.pitr_window keeps it moving with the clock).
    with time_machine.travel(now - ORDERS_AGE, tick=False):
        table = _create_orders(dynamodb)
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


def _create_orders(dynamodb: Any) -> Any:
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
    return table


def _create_orders_backups(dynamodb: Any, rng: random.Random, now: datetime) -> None:
    # Oldest first, so the creation order matches the timeline.
    for age in sorted(BACKUP_AGES, reverse=True):
        created = (now - age - timedelta(minutes=rng.randint(0, 50))).astimezone(UTC)
        created = created.replace(microsecond=0)
        kind = "pre-deploy" if rng.random() < 0.2 else "nightly"
        name = sample_backup_name(kind, age)
        with time_machine.travel(created, tick=False):
            details = dynamodb.create_backup(TableName=ORDERS_TABLE, BackupName=name)
        recorded = details["BackupDetails"]["BackupCreationDateTime"]
        if abs(recorded - created) > _BACKDATE_TOLERANCE:
            raise RuntimeError(
                f"backup {name} was recorded at {recorded.isoformat()}, not {created.isoformat()}:"
                " back-dating needs moto running in this process"
            )


def sample_backup_name(kind: str, age: timedelta) -> str:
    """`orders-nightly-d003`: the kind and the age the backup had when the session started
    (`h07`: seven hours), not its date.

    A user copies a name from one run into the next (`/ddb restore orders --backup ...`).
    Dated names would change with the day the session starts (and, without `--now`, with the
    minute), so yesterday's name would not be found today; ages are the same on every run.
    """
    label = f"d{age.days:03d}" if age >= timedelta(days=1) else f"h{age.seconds // 3600:02d}"
    return f"{ORDERS_TABLE}-{kind}-{label}"


def _put_orders_load(cloudwatch: Any, now: datetime) -> None:
    """The last hour of orders' traffic, as DynamoDB publishes it, so `/ddb status orders`
    shows a load with sparklines (moto keeps what it is given; nothing publishes by itself).
    Each point sits mid-period, so a status asked a minute or two later still finds twelve."""
    rng = random.Random(SAMPLE_SEED)  # its own: the sample backups stay as they were
    table = [{"Name": "TableName", "Value": ORDERS_TABLE}]
    data = []
    for step in range(12):
        at = now - timedelta(minutes=5 * (12 - step)) + timedelta(seconds=150)  # mid-period
        busy = 1 + step / 6  # a morning ramp
        for name, per_second in (
            ("ConsumedReadCapacityUnits", 40),
            ("ConsumedWriteCapacityUnits", 9),
        ):
            units = float(round(per_second * busy * 300 * rng.uniform(0.8, 1.2)))
            data.append({"MetricName": name, "Dimensions": table, "Timestamp": at, "Value": units})
        for operation, ms in (("GetItem", 3.5), ("Query", 11.0)):
            dims = [*table, {"Name": "Operation", "Value": operation}]
            latency = round(ms * rng.uniform(0.8, 1.3), 2)
            data.append(
                {"MetricName": "SuccessfulRequestLatency", "Dimensions": dims, "Timestamp": at,
                 "Value": latency, "Unit": "Milliseconds"}
            )  # fmt: skip
    cloudwatch.put_metric_data(Namespace="AWS/DynamoDB", MetricData=data)


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
