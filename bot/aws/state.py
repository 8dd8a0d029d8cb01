"""The state table adapter: one DynamoDB table, single-table design, `pk`/`sk` strings.

Key shapes (every item also may carry `expires_at`, epoch seconds, for DynamoDB TTL):

| kind                | pk                                   | sk                              |
|---------------------|--------------------------------------|---------------------------------|
| audit event         | `AUDIT#<account>#<region>#<table>`   | `<time iso Z>#<eventID>`        |
| audit name index    | `NAME#<table>`                       | `<account>#<region>`            |
| table context       | `TABLE#<account>#<region>#<table>`   | `CONTEXT` (changes, owner tag)  |
| audit install mark  | `META`                               | `INSTALLED` (since when, accounts) |
| alarm incident      | `ALARM#<alarm arn>`                  | `INCIDENT`                      |
| silence             | `ALARM#<alarm arn>`                  | `SILENCE`                       |
| alarm storm (route) | `STORM#<channel>`                    | `STORM` (log, summary)          |
| pending plan        | `PLAN#<plan id>`                     | `PLAN`                          |
| plan being run      | `PLANS#running`                      | `<plan id>` (resumable plans)   |
| job (restore/prune) | `JOB#<kind>`                         | `<job id>`                      |
| prune table progress| `JOB#prune`                          | `<run>#T#[<acct>#]<region>#<table>` |
| drill (job)         | `JOB#drill`                          | `<job id>` (bot/aws/drills.py)  |
| drill history       | `DRILL#<account>#<region>#<table>`   | `<finished iso>#<job id>`       |
| all drills (digest) | `DRILLS`                             | `<finished iso>#<job id>`       |
| AWS Backup restore test seen | `DRILLTEST#<restore job id>` | `MARK` (its first verdict's time) |
| idempotency record  | `ONCE#<scope>#<key>`                 | `ONCE` (queue consumers)        |
| delivery done once  | `ONCE#<scope>`                       | `<scope>#<sha256 of the key>`   |
| bot's own action    | `REQ#<aws request id>`               | `REQ`                           |

A plan keeps its requester, who confirmed it and, for an action `[approvals]` names, who
approved it; a bot's own action keeps the Slack user who asked and any approver.
Deliveries done once (SNS, EventBridge) are Powertools Idempotency records (bot.aws.idempotency);
queue consumers claim with :meth:`StateStore.claim_once`.

Newest-first history is a Query on the audit pk with ScanIndexForward=false: ISO-8601 UTC
times with a fixed width sort lexicographically in time order.

Keys are bounded (:func:`bounded`): DynamoDB refuses a partition key over 2048 bytes and a
sort key over 1024 (UTF-8), and parts such as a table name in a failed CloudTrail call or an
alarm ARN on the SNS inbox come from events unchecked. A key over its limit keeps its start
(the kind, the account, the time of an audit sort key, so order is kept) and ends in `~`
and 32 hex digits of the SHA-256 of the whole key; a key within the limit is unchanged. The
same input always gives the same key, so redeliveries and `/ddb who-changed` find it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from bot.aws.errors import error_code

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()

PK_LIMIT = 2048  # DynamoDB's limits on key sizes, in bytes of UTF-8
SK_LIMIT = 1024
_DIGEST_HEX = 32


def bounded(key: str, limit: int) -> str:
    """``key`` when it fits in ``limit`` bytes; else its start, `~` and a hash of all of it."""
    raw = key.encode()
    if len(raw) <= limit:
        return key
    digest = hashlib.sha256(raw).hexdigest()[:_DIGEST_HEX]
    start = raw[: limit - _DIGEST_HEX - 1].decode(errors="ignore")  # whole characters only
    return f"{start}~{digest}"


def audit_pk(account: str, region: str, table: str) -> str:
    """Partition key of a table's audit history."""
    return bounded(f"AUDIT#{account}#{region}#{table}", PK_LIMIT)


def name_pk(table: str) -> str:
    """Partition key of the name index: where the audit history has seen a table name."""
    return bounded(f"NAME#{table}", PK_LIMIT)


def name_sk(account: str, region: str) -> str:
    """Sort key of one account and region in a table name's index partition."""
    return bounded(f"{account}#{region}", SK_LIMIT)


def alarm_pk(alarm_arn: str) -> str:
    """Partition key of an alarm's incident and silence."""
    return bounded(f"ALARM#{alarm_arn}", PK_LIMIT)


def plan_pk(plan_id: str) -> str:
    """Partition key of a pending confirmation plan."""
    return bounded(f"PLAN#{plan_id}", PK_LIMIT)


def job_pk(kind: str) -> str:
    """Partition key of the jobs of one kind (restore, prune)."""
    return bounded(f"JOB#{kind}", PK_LIMIT)


def once_pk(scope: str, key: str) -> str:
    """Partition key of an idempotency record."""
    return bounded(f"ONCE#{scope}#{key}", PK_LIMIT)


def request_pk(request_id: str) -> str:
    """Partition key of an AWS request the bot made on a Slack user's behalf."""
    return bounded(f"REQ#{request_id}", PK_LIMIT)


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """A Python dict as a DynamoDB item (floats become Decimals, None values are dropped)."""
    return {k: _SERIALIZER.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a Python dict (whole Decimals become ints)."""
    return {k: _from_dynamo(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


class StateStore:
    """Typed access to the state table through an injected low-level DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        """One item, or None."""
        response = self.client.get_item(
            TableName=self.table_name,
            Key=serialize({"pk": pk, "sk": sk}),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        return deserialize(item) if item else None

    def put(self, item: Mapping[str, Any]) -> None:
        """Write an item unconditionally."""
        self.client.put_item(TableName=self.table_name, Item=serialize(item))

    def put_new(self, item: Mapping[str, Any]) -> bool:
        """Write an item only if its key is unused; False when it already exists."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Write items in batches of 25 (BatchWriteItem), retrying unprocessed ones."""
        written = 0
        batch: list[Mapping[str, Any]] = []
        for item in items:
            batch.append(item)
            if len(batch) == 25:
                written += self._write_batch(batch)
                batch = []
        if batch:
            written += self._write_batch(batch)
        return written

    def _write_batch(self, batch: list[Mapping[str, Any]]) -> int:
        # BatchWriteItem rejects two puts of the same key in one call: keep the last one.
        unique = {(i["pk"], i["sk"]): i for i in batch}
        requests = [{"PutRequest": {"Item": serialize(i)}} for i in unique.values()]
        pending: dict[str, Any] = {self.table_name: requests}
        for attempt in range(8):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return len(unique)
            time.sleep(min(0.05 * 2**attempt, 2.0))
        raise RuntimeError(f"state table kept {len(pending[self.table_name])} items unprocessed")

    def update(
        self,
        pk: str,
        sk: str,
        changes: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """SET ``changes`` on an item if ``condition`` holds; None when the condition fails."""
        set_parts, attr_names, attr_values = [], dict(names or {}), dict(values or {})
        for index, (key, value) in enumerate(changes.items()):
            attr_names[f"#u{index}"] = key
            attr_values[f":u{index}"] = value
            set_parts.append(f"#u{index} = :u{index}")
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": serialize({"pk": pk, "sk": sk}),
            "UpdateExpression": "SET " + ", ".join(set_parts),
            "ExpressionAttributeNames": attr_names,
            "ExpressionAttributeValues": {
                k: _SERIALIZER.serialize(_to_dynamo(v)) for k, v in attr_values.items()
            },
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            response = self.client.update_item(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return deserialize(response.get("Attributes", {}))

    def delete(self, pk: str, sk: str) -> None:
        """Remove an item (no error when absent)."""
        self.client.delete_item(TableName=self.table_name, Key=serialize({"pk": pk, "sk": sk}))

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_from: str | None = None,
        newest_first: bool = True,
        limit: int | None = None,
        start: Mapping[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of a partition, sorted by sk; returns (items, key to continue from)."""
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": pk}
        if sk_prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = sk_prefix
        elif sk_from is not None:
            condition += " AND sk >= :from"
            values[":from"] = sk_from
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": {k: _SERIALIZER.serialize(v) for k, v in values.items()},
            "ScanIndexForward": not newest_first,
        }
        if limit:
            kwargs["Limit"] = limit
        if start:
            kwargs["ExclusiveStartKey"] = serialize(start)
        response = self.client.query(**kwargs)
        items = [deserialize(i) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return items, deserialize(last) if last else None

    def claim_once(self, scope: str, key: str, *, now: float, lease_s: int, keep_s: int) -> bool:
        """Claim a unit of work so a redelivery does not repeat it.

        True when this caller should do the work: nobody claimed it, or an earlier claim
        was never completed and its lease ran out (the worker died; the retry resumes).
        False when it is done, or another worker holds a live lease.
        """
        item = {
            "pk": once_pk(scope, key),
            "sk": "ONCE",
            "status": "running",
            "lease_until": int(now) + lease_s,
            "expires_at": int(now) + keep_s,
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk) OR "
                "(#s = :running AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":running": {"S": "running"},
                    ":now": {"N": str(int(now))},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def complete_once(
        self, scope: str, key: str, *, result: Mapping[str, Any] | None = None
    ) -> None:
        """Mark claimed work done, so every later delivery is skipped."""
        self.update(once_pk(scope, key), "ONCE", {"status": "done", **(result or {})})

    def release_once(self, scope: str, key: str) -> None:
        """Give up a claim after a failure so the platform's retry can do the work."""
        self.delete(once_pk(scope, key), "ONCE")


def record_bot_action(
    state: StateStore,
    *,
    request_id: str,
    slack_user: str,
    command: str,
    now: float,
    keep_s: int = 400 * 86400,
    approved_by: str = "",
) -> None:
    """Remember that opsbot made AWS request ``request_id`` for ``slack_user`` (and, for an
    action `[approvals]` names, approved by ``approved_by``).

    The audit trail shows the CloudTrail event with that request id as "@user via opsbot",
    or "@user (approved by @approver) via opsbot".
    Call it with ``response["ResponseMetadata"]["RequestId"]`` after every mutating call.
    """
    if not request_id:
        return
    state.put(
        {
            "pk": request_pk(request_id),
            "sk": "REQ",
            "slack_user": slack_user,
            "approved_by": approved_by or None,
            "command": command,
            "at": int(now),
            "expires_at": int(now) + keep_s,
        }
    )
