"""The sample CloudTrail log file, put in moto's S3 where the sample SNS notice says it is.

`create_trail_log` puts the log file that tests/events/sns-cloudtrail-log-delivery.json
announces into the trail bucket: three CloudTrail records on the sample orders table.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.local.bot_resources import ClientFactory
from bot.local.sample_data import ORDERS_TABLE, SAMPLE_REGION

# The trail bucket and log file that tests/events/sns-cloudtrail-log-delivery.json announces.
TRAIL_BUCKET = "org-cloudtrail-logs"
TRAIL_LOG_KEY = (
    "AWSLogs/123456789012/CloudTrail/us-west-2/2026/11/22/"
    "123456789012_CloudTrail_us-west-2_20261122T0945Z_Xyz12AbC34dEf56G.json.gz"
)


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
