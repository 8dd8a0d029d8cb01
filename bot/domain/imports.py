"""Imports from S3 into a new table: the key schema it gets, which objects it reads (an
export's data folder is found under its prefix), validating a request into the ImportPlan
the user confirms, and what it costs. Pure.

An import always creates its table: it never writes into an existing one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from bot.domain.errors import Conflict, InvalidValue, TableNotFound
from bot.domain.exports import S3Location, check_bucket, transfer_cost
from bot.domain.records import frozen
from bot.domain.refs import TABLE_NAME
from bot.domain.typed import quoted

IMPORT_USAGE = (
    "/ddb import s3://BUCKET/PREFIX --to NEW_TABLE (--like TABLE | --key NAME[:S|N|B] "
    "[--sort NAME[:S|N|B]]) [--format dynamodb|ion|csv]"
)
IMPORT_FORMATS: Mapping[str, str] = {"dynamodb": "DYNAMODB_JSON", "ion": "ION", "csv": "CSV"}
DEFAULT_IMPORT_PRICE_PER_GB = 0.15
KEY_TYPES = ("S", "N", "B")
# An attribute name as a key (1-255 characters); no spaces or ':' so `NAME:TYPE` reads back.
_KEY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
# What an export writes under its prefix: AWSDynamoDB/<export id>/data/<file>.
_EXPORT_DATA = re.compile(r"(?:^|/)AWSDynamoDB/([0-9A-Za-z-]+)/data/")
# Objects listed before a source is judged too large to size here.
MAX_LISTED = 100_000


@frozen
class KeyAttribute:
    """A key attribute of the new table: its name and type (S, N or B)."""

    name: str
    type: str = "S"

    def __str__(self) -> str:
        return f"{self.name}:{self.type}"


def parse_key(text: str) -> KeyAttribute:
    """`id`, `id:S`, `created:N` -> KeyAttribute; InvalidValue naming the problem."""
    name, _, kind = text.partition(":")
    kind = (kind or "S").upper()
    if not _KEY_NAME.fullmatch(name):
        raise InvalidValue(f"{quoted(name, 60)} is not a key attribute name")
    if kind not in KEY_TYPES:
        raise InvalidValue(f"a key's type is S, N or B, not {quoted(kind, 10)}")
    return KeyAttribute(name, kind)


@frozen
class ImportRequest:
    """What the user asked for: a source, a new table, and its key (typed or like a table)."""

    source: S3Location
    table: str
    region: str
    data_format: str = "DYNAMODB_JSON"
    like: str | None = None
    key: KeyAttribute | None = None
    sort: KeyAttribute | None = None


@frozen
class SourceObjects:
    """The objects an import reads: their common prefix, count, size and compression."""

    prefix: str
    count: int
    size_bytes: int
    compression: str  # NONE, GZIP or ZSTD


def choose_objects(source: S3Location, listed: Sequence[tuple[str, int]]) -> SourceObjects:
    """The objects to import under ``source``: an export's data folder when the prefix holds
    one export (its manifests are not data), else every object; Conflict when there is
    nothing, several exports, or a mix of compressions."""
    if not listed:
        raise Conflict(f"There is nothing under `{source.url}` to import.")
    if len(listed) >= MAX_LISTED:
        raise Conflict(f"`{source.url}` holds over {MAX_LISTED:,} objects; give a narrower prefix.")
    # An export's data folder, from the keys themselves: the prefix may name the export's
    # folder, its data folder, or a folder above it.
    folders = sorted({key[: m.end()] for key, _ in listed if (m := _EXPORT_DATA.search(key))})
    prefix = source.prefix
    if len(folders) > 1:
        shown = ", ".join(f"`s3://{source.bucket}/{f.removesuffix('data/')}`" for f in folders[:3])
        raise Conflict(f"`{source.url}` holds {len(folders)} exports; name one of them: {shown}.")
    if folders:
        prefix = folders[0]
    chosen = [(key, size) for key, size in listed if key.startswith(prefix)]
    chosen = [(key, size) for key, size in chosen if not key.endswith("/")]
    if not chosen:
        raise Conflict(f"There is nothing under `{source.url}` to import.")
    endings = {_compression(key) for key, _ in chosen}
    if len(endings) > 1:
        raise Conflict(
            f"`s3://{source.bucket}/{prefix}` mixes compressed and uncompressed objects; an "
            "import reads one kind. Give a prefix with one kind."
        )
    return SourceObjects(prefix, len(chosen), sum(size for _, size in chosen), endings.pop())


def _compression(key: str) -> str:
    if key.endswith(".gz"):
        return "GZIP"
    if key.endswith(".zst"):
        return "ZSTD"
    return "NONE"


@frozen
class ImportPlan:
    """A validated import: from which objects, into which new table with which key, and cost."""

    table: str
    region: str
    bucket: str
    prefix: str  # the objects' prefix (an export's data folder when one was found)
    data_format: str
    compression: str
    key: KeyAttribute
    sort: KeyAttribute | None
    object_count: int
    size_bytes: int
    cost: float
    like: str | None = None

    @property
    def source(self) -> S3Location:
        """Where the data comes from."""
        return S3Location(self.bucket, self.prefix.rstrip("/"))

    @property
    def summary(self) -> str:
        """One line for the confirmation record and the "Confirmed by" reply."""
        return f"import `{self.source.url}` into new table `{self.table}`"

    def to_payload(self) -> dict[str, Any]:
        """The plan as JSON-able data for the stored confirmation."""
        return {
            "table": self.table,
            "region": self.region,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "data_format": self.data_format,
            "compression": self.compression,
            "key": str(self.key),
            "sort": str(self.sort) if self.sort else None,
            "object_count": self.object_count,
            "size_bytes": self.size_bytes,
            "cost": self.cost,
            "like": self.like,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ImportPlan:
        """The plan back from its stored payload."""
        sort = payload.get("sort")
        return cls(
            table=str(payload["table"]),
            region=str(payload["region"]),
            bucket=str(payload["bucket"]),
            prefix=str(payload.get("prefix", "")),
            data_format=str(payload.get("data_format", "DYNAMODB_JSON")),
            compression=str(payload.get("compression", "NONE")),
            key=parse_key(str(payload["key"])),
            sort=parse_key(str(sort)) if sort else None,
            object_count=int(payload.get("object_count", 0)),
            size_bytes=int(payload.get("size_bytes", 0)),
            cost=float(payload.get("cost", 0.0)),
            like=payload.get("like") or None,
        )

    def as_request(self) -> ImportRequest:
        """The request this plan answers (the objects as found), to validate it again."""
        return ImportRequest(
            S3Location(self.bucket, self.prefix.rstrip("/")),
            self.table,
            self.region,
            self.data_format,
            None,
            self.key,
            self.sort,
        )


def plan_import(
    request: ImportRequest,
    *,
    objects: SourceObjects,
    target_exists: bool,
    like_keys: tuple[KeyAttribute, KeyAttribute | None] | None,
    buckets: Collection[str],
    price_per_gb: float,
) -> ImportPlan:
    """An ImportPlan, or the error that says what stops it (nothing is started).

    ``like_keys`` is the key of the ``--like`` table (None when it does not exist or none
    was named).
    """
    check_bucket(request.source, buckets)
    if not TABLE_NAME.fullmatch(request.table):
        raise InvalidValue(f"{quoted(request.table, 60)} is not a valid table name")
    if target_exists:
        raise Conflict(
            f"A table named `{request.table}` already exists in {request.region}. An import "
            "always creates its table and never writes into an existing one: choose another "
            "name with `--to NEW_TABLE`."
        )
    key, sort = request.key, request.sort
    if request.like is not None:
        if like_keys is None:
            raise TableNotFound(
                f"There is no table `{request.like}` in {request.region} to copy the key of."
            )
        key, sort = like_keys
    if key is None:
        raise InvalidValue("say the new table's key: `--like TABLE` or `--key NAME[:S|N|B]`")
    if sort is not None and sort.name == key.name:
        raise InvalidValue(f"the sort key cannot be the partition key `{key.name}`")
    return ImportPlan(
        table=request.table,
        region=request.region,
        bucket=request.source.bucket,
        prefix=objects.prefix,
        data_format=request.data_format,
        compression=objects.compression,
        key=key,
        sort=sort,
        object_count=objects.count,
        size_bytes=objects.size_bytes,
        cost=transfer_cost(objects.size_bytes, price_per_gb),
        like=request.like,
    )
