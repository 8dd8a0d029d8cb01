"""Fake AWS for bench_fleet: a fleet of tables and backups, SQS, the state table, Slack.

moto is too slow for 10,000 tables and 100,000 backups, so these answer in AWS's documented
shapes (ListTables and ListBackups pages of at most 100, LastEvaluatedTableName and
LastEvaluatedBackupArn, ListTagsOfResource Tags, DeleteBackup BackupDescription) from
generated data, count every call by operation, and advance one virtual clock by a modeled
service time per call. The state-table fake understands the expressions opsbot's StateStore
and prune-run adapter send (conditional puts, SET/ADD updates, two-item transactions,
begins_with and >= key conditions) and nothing more.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
PAGE = 100  # ListTables and ListBackups: at most 100 a page (DESIGN.md section 11)
CONTROL_S = 0.030  # modeled service time of a DynamoDB control-plane call
DATA_S = 0.008  # a state-table item call
SQS_S = 0.020  # a SendMessageBatch

_SER, _DES = TypeSerializer(), TypeDeserializer()


class VirtualClock:
    """Modeled seconds: calls advance it by their service time, limiters sleep on it."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        """The modeled time in seconds."""
        return self.t

    def sleep(self, seconds: float) -> None:
        """Wait on the modeled clock."""
        self.t += max(0.0, seconds)

    def datetime(self) -> datetime:
        """The modeled time as the runtime's clock."""
        return NOW + timedelta(seconds=self.t)


class Calls:
    """Every AWS call made, by (service, operation) and by account and region."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.by_operation: Counter[str] = Counter()
        self.by_place: Counter[str] = Counter()

    def made(self, operation: str, seconds: float, place: str = "") -> None:
        """Count one call and let its service time pass."""
        self.by_operation[operation] += 1
        if place:
            self.by_place[place] += 1
        self.clock.sleep(seconds)


class FleetTables:
    """One account and region's tables: ``tables`` names, ``backups(i)`` backups of the i-th."""

    def __init__(
        self, account: str, region: str, tables: int, backups: Callable[[int], int], calls: Calls
    ) -> None:
        self.account, self.region, self.count = account, region, tables
        self.backups_of, self.calls = backups, calls
        self.place = f"{account}#{region}"
        self.deleted: set[str] = set()

    def name(self, i: int) -> str:
        """The i-th table's name (sorted like ListTables answers)."""
        return f"fleet-{i:05d}"

    def get_paginator(self, operation: str) -> FakePaginator:
        """ListTables' paginator (the only one opsbot asks this client for)."""
        assert operation == "list_tables", operation
        return FakePaginator(self)

    def list_tables(self, **kwargs: Any) -> dict[str, Any]:
        """One ListTables page."""
        self.calls.made("dynamodb.ListTables", CONTROL_S, self.place)
        limit = min(int(kwargs.get("Limit", PAGE)), PAGE)
        start = kwargs.get("ExclusiveStartTableName")
        first = int(start.rsplit("-", 1)[1]) + 1 if start else 0
        names = [self.name(i) for i in range(first, min(first + limit, self.count))]
        page: dict[str, Any] = {"TableNames": names}
        if names and first + limit < self.count:
            page["LastEvaluatedTableName"] = names[-1]
        return page

    def list_tags_of_resource(self, **kwargs: Any) -> dict[str, Any]:
        """No table carries an `opsbot:retention` tag: the default policy applies."""
        self.calls.made("dynamodb.ListTagsOfResource", CONTROL_S, self.place)
        return {"Tags": [{"Key": "team", "Value": "fleet"}]}

    def _arn(self, table: str, j: int) -> str:
        return (
            f"arn:aws:dynamodb:{self.region}:{self.account}:table/{table}/backup/"
            f"{1700000000000 + j:013d}-{j:08x}"
        )

    def list_backups(self, **kwargs: Any) -> dict[str, Any]:
        """One ListBackups page of a table's backups, daily, newest j=0."""
        self.calls.made("dynamodb.ListBackups", CONTROL_S, self.place)
        table = kwargs["TableName"]
        index = int(table.rsplit("-", 1)[1])
        every = [
            (j, self._arn(table, j))
            for j in range(self.backups_of(index))
            if self._arn(table, j) not in self.deleted
        ]
        start = kwargs.get("ExclusiveStartBackupArn")
        first = next((k + 1 for k, (_, arn) in enumerate(every) if arn == start), 0)
        chunk = every[first : first + PAGE]
        summaries = [
            {
                "TableName": table,
                "TableArn": f"arn:aws:dynamodb:{self.region}:{self.account}:table/{table}",
                "BackupArn": arn,
                "BackupName": f"{table}-{j:04d}",
                "BackupCreationDateTime": NOW - timedelta(days=j, hours=1),
                "BackupStatus": "AVAILABLE",
                "BackupType": "USER",
                "BackupSizeBytes": 2**30,
            }
            for j, arn in chunk
        ]
        page: dict[str, Any] = {"BackupSummaries": summaries}
        if first + PAGE < len(every):
            page["LastEvaluatedBackupArn"] = chunk[-1][1]
        return page

    def delete_backup(self, **kwargs: Any) -> dict[str, Any]:
        """Delete one backup (DeleteBackup's documented answer, abridged)."""
        self.calls.made("dynamodb.DeleteBackup", CONTROL_S, self.place)
        self.deleted.add(kwargs["BackupArn"])
        return {
            "BackupDescription": {"BackupDetails": {"BackupArn": kwargs["BackupArn"]}},
            "ResponseMetadata": {"RequestId": f"REQ{len(self.deleted):012d}"},
        }


class FakePaginator:
    """botocore's paginator over FleetTables.list_tables."""

    def __init__(self, tables: FleetTables) -> None:
        self.tables = tables

    def paginate(self, PaginationConfig: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page, following LastEvaluatedTableName."""
        kwargs: dict[str, Any] = {"Limit": (PaginationConfig or {}).get("PageSize", PAGE)}
        while True:
            page = self.tables.list_tables(**kwargs)
            yield page
            if "LastEvaluatedTableName" not in page:
                return
            kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


class FakeSqs:
    """SendMessageBatch into per-group FIFO lists (kept only when ``keep``)."""

    def __init__(self, calls: Calls, *, keep: bool = True) -> None:
        self.calls, self.keep = calls, keep
        self.groups: dict[str, list[str]] = {}
        self.sent = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        """Accept every entry (at most 10, each with a group on a FIFO queue)."""
        assert len(Entries) <= 10
        self.calls.made("sqs.SendMessageBatch", SQS_S)
        for entry in Entries:
            self.sent += 1
            if self.keep:
                self.groups.setdefault(entry.get("MessageGroupId", ""), []).append(
                    entry["MessageBody"]
                )
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


class FakeSts:
    """GetCallerIdentity of opsbot's own account."""

    def __init__(self, calls: Calls, account: str) -> None:
        self.calls, self.account = calls, account

    def get_caller_identity(self) -> dict[str, str]:
        """The caller's account and ARN."""
        self.calls.made("sts.GetCallerIdentity", CONTROL_S)
        return {"Account": self.account, "Arn": f"arn:aws:sts::{self.account}:assumed-role/x/y"}


class FakeStateTable:
    """The state table in memory, for the expressions opsbot sends it."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    @staticmethod
    def _key(key: dict[str, Any]) -> tuple[str, str]:
        return _DES.deserialize(key["pk"]), _DES.deserialize(key["sk"])

    @staticmethod
    def _failed(operation: str, code: str = "ConditionalCheckFailedException") -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "condition"}}, operation)

    def _holds(self, item: dict[str, Any] | None, kwargs: dict[str, Any]) -> bool:
        condition = kwargs.get("ConditionExpression")
        if not condition:
            return True
        names = kwargs.get("ExpressionAttributeNames", {})
        values = {
            k: _DES.deserialize(v) for k, v in kwargs.get("ExpressionAttributeValues", {}).items()
        }
        if condition == "attribute_exists(pk)":
            return item is not None
        if condition.startswith("attribute_not_exists("):
            attribute = names.get(condition[21:].split(")")[0], condition[21:].split(")")[0])
            if item is None or attribute not in item:
                return True
            if " OR (#s = :running AND lease_until < :now)" in condition:
                return item.get("status") == "running" and item["lease_until"] < values[":now"]
            return False
        raise NotImplementedError(condition)

    def _update(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        key = self._key(kwargs["Key"])
        item = self.items.get(key)
        if not self._holds(item, kwargs):
            raise self._failed("UpdateItem")
        item = dict(item or {"pk": key[0], "sk": key[1]})
        names = kwargs.get("ExpressionAttributeNames", {})
        values = {
            k: _DES.deserialize(v) for k, v in kwargs.get("ExpressionAttributeValues", {}).items()
        }
        verb, _, rest = kwargs["UpdateExpression"].partition(" ")
        for part in rest.split(", "):
            if verb == "SET":
                name, _, value = part.partition(" = ")
                item[names.get(name, name)] = values[value]
            elif verb == "ADD":
                name, _, value = part.partition(" ")
                attribute, added = names.get(name, name), values[value]
                if isinstance(added, set):
                    item[attribute] = set(item.get(attribute, set())) | added
                else:
                    item[attribute] = item.get(attribute, 0) + added
            else:
                raise NotImplementedError(verb)
        self.items[key] = item
        return item

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        """GetItem."""
        self.calls.made("state.GetItem", DATA_S)
        item = self.items.get(self._key(kwargs["Key"]))
        return {"Item": {k: _SER.serialize(v) for k, v in item.items()}} if item else {}

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        """PutItem, conditional or not."""
        self.calls.made("state.PutItem", DATA_S)
        item = {k: _DES.deserialize(v) for k, v in kwargs["Item"].items()}
        key = (item["pk"], item["sk"])
        if not self._holds(self.items.get(key), kwargs):
            raise self._failed("PutItem")
        self.items[key] = item
        return {}

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateItem with SET or ADD."""
        self.calls.made("state.UpdateItem", DATA_S)
        item = self._update(kwargs)
        return {"Attributes": {k: _SER.serialize(v) for k, v in item.items()}}

    def delete_item(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteItem."""
        self.calls.made("state.DeleteItem", DATA_S)
        self.items.pop(self._key(kwargs["Key"]), None)
        return {}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        """All updates or none, with CancellationReasons as AWS gives them."""
        self.calls.made("state.TransactWriteItems", DATA_S * 2)
        updates = [t["Update"] for t in TransactItems]
        reasons = [
            {
                "Code": "None"
                if self._holds(self.items.get(self._key(u["Key"])), u)
                else "ConditionalCheckFailed"
            }
            for u in updates
        ]
        if any(r["Code"] != "None" for r in reasons):
            error = self._failed("TransactWriteItems", "TransactionCanceledException")
            error.response["CancellationReasons"] = reasons
            raise error
        for update in updates:
            self._update({**update, "ConditionExpression": None})
        return {}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        """Query one partition: `pk = :pk` and optionally begins_with(sk) or sk >=."""
        self.calls.made("state.Query", DATA_S)
        values = {k: _DES.deserialize(v) for k, v in kwargs["ExpressionAttributeValues"].items()}
        found = sorted(
            (i for (pk, sk), i in self.items.items() if pk == values[":pk"]
             and (":prefix" not in values or sk.startswith(values[":prefix"]))
             and (":from" not in values or sk >= values[":from"])),
            key=lambda i: i["sk"],
            reverse=not kwargs.get("ScanIndexForward", True),
        )  # fmt: skip
        start = kwargs.get("ExclusiveStartKey")
        if start:
            after = _DES.deserialize(start["sk"])
            found = list(
                itertools.dropwhile(
                    lambda i: (i["sk"] <= after) if kwargs.get("ScanIndexForward", True)
                    else (i["sk"] >= after),
                    found,
                )
            )  # fmt: skip
        limit = int(kwargs.get("Limit") or 1000)
        page = found[:limit]
        answer: dict[str, Any] = {
            "Items": [{k: _SER.serialize(v) for k, v in i.items()} for i in page]
        }
        if len(found) > limit:
            last = page[-1]
            answer["LastEvaluatedKey"] = {
                "pk": _SER.serialize(last["pk"]),
                "sk": _SER.serialize(last["sk"]),
            }
        return answer


class FakeNotifier:
    """Slack: counts posts and updates."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.updates = 0

    def post(self, channel: str, message: Any, **_: Any) -> Any:
        """chat.postMessage."""
        self.posts.append((channel, message))
        return type("Posted", (), {"ts": f"1700000000.{len(self.posts):06d}", "channel": channel})()

    def update(self, channel: str, ts: str, message: Any) -> None:
        """chat.update."""
        self.updates += 1
