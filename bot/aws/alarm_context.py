"""The state behind an alarm's context: acknowledgements of incidents, the alarm storms of each
route, the table's recent changes (the audit history) and its owner tag.

Storm items (see the key table in bot.aws.state): pk ``STORM#<channel>``, sk ``STORM``, holding
the route's log of alarms opening and resolving (appended atomically, so concurrent deliveries
each see every open before theirs), the storm summary message (``summary_since``,
``summary_ts``) and when the summary was last refreshed.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.errors import error_code
from bot.aws.incidents import Ack, IncidentRecord, incident_from
from bot.aws.state import PK_LIMIT, StateStore, alarm_pk, bounded, deserialize, serialize
from bot.domain.alarm_events import AlarmState
from bot.domain.alarm_storms import StormEntry, StormLog

log = logging.getLogger(__name__)

STORM_KEEP_S = 2 * 86400


def save_ack(
    state: StateStore, alarm_arn: str, *, opened_at: datetime, by_user: str, now: datetime
) -> IncidentRecord | None:
    """Record who acknowledged the incident opened at ``opened_at``, once: the incident with
    its ack, or None when it is acknowledged already, resolved, or another incident."""
    try:
        response = state.client.update_item(
            TableName=state.table_name,
            Key=serialize({"pk": alarm_pk(alarm_arn), "sk": "INCIDENT"}),
            UpdateExpression="SET acked_by = :by, acked_at = :at",
            ConditionExpression=(
                "attribute_exists(pk) AND attribute_not_exists(acked_by) "
                "AND opened_at = :opened AND #state <> :ok"
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=serialize(
                {
                    ":by": by_user,
                    ":at": now.isoformat(),
                    ":opened": opened_at.isoformat(),
                    ":ok": AlarmState.OK.value,
                }
            ),
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return incident_from(alarm_arn, deserialize(response["Attributes"]))


def load_acks(state: StateStore, alarm_arns: list[str]) -> dict[str, tuple[Ack, datetime]]:
    """The acknowledgement of each open incident of these alarms and when the incident opened
    (BatchGetItem, 100 a call)."""
    found: dict[str, tuple[Ack, datetime]] = {}
    wanted = {alarm_pk(a): a for a in alarm_arns if a}
    pks = list(wanted)
    for start in range(0, len(pks), 100):
        keys = [serialize({"pk": pk, "sk": "INCIDENT"}) for pk in pks[start : start + 100]]
        pending: dict[str, Any] = {state.table_name: {"Keys": keys}}
        for attempt in range(8):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 2.0))
            response = state.client.batch_get_item(RequestItems=pending)
            for raw in response.get("Responses", {}).get(state.table_name, []):
                item = deserialize(raw)
                arn = wanted.get(str(item.get("pk")))
                if arn and item.get("acked_by") and item.get("state") != AlarmState.OK.value:
                    ack = Ack(str(item["acked_by"]), datetime.fromisoformat(str(item["acked_at"])))
                    found[arn] = (ack, datetime.fromisoformat(str(item["opened_at"])))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
    return found


# --- storms ---------------------------------------------------------------------------------------


def storm_pk(channel: str) -> str:
    """Partition key of a route's storm log and summary."""
    return bounded(f"STORM#{channel}", PK_LIMIT)


def _storm_log(item: dict[str, Any]) -> StormLog:
    entries = tuple(
        StormEntry(
            at=float(e.get("at", 0)),
            arn=str(e.get("arn", "")),
            name=str(e.get("name", "")),
            table=str(e.get("table", "")),
            metric=str(e.get("metric", "")),
            state=str(e.get("state", "ALARM")),
        )
        for e in item.get("log") or []
        if isinstance(e, dict)
    )
    since = item.get("summary_since")
    return StormLog(
        entries=entries,
        summary_since=float(since) if since is not None else None,
        summary_channel=str(item.get("summary_channel", "")),
        summary_ts=str(item.get("summary_ts", "")),
    )


def _entry_item(entry: StormEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "arn": entry.arn,
        "name": entry.name,
        "table": entry.table,
        "metric": entry.metric,
        "state": entry.state,
    }


def _append(state: StateStore, channel: str, entry: StormEntry, now: datetime) -> dict[str, Any]:
    """The UpdateItem request that appends ``entry`` to the route's log."""
    return {
        "TableName": state.table_name,
        "Key": serialize({"pk": storm_pk(channel), "sk": "STORM"}),
        "UpdateExpression": "SET #log = list_append(if_not_exists(#log, :empty), :one), "
        "expires_at = :expires",
        "ExpressionAttributeNames": {"#log": "log"},
        "ExpressionAttributeValues": serialize(
            {
                ":empty": [],
                ":one": [_entry_item(entry)],
                ":expires": int(now.timestamp()) + STORM_KEEP_S,
            }
        ),
    }


def record_storm_entry(
    state: StateStore, channel: str, entry: StormEntry, *, now: datetime
) -> StormLog:
    """Append an alarm opening or resolving to the route's log; the whole log as it is then.

    Appended before the alarm's root is posted, atomically: alarms of a storm arrive at once,
    and each must see every opening before its own (a log read first and written after the
    post would show each of them a quiet route).
    """
    request = _append(state, channel, entry, now)
    response = state.client.update_item(**request, ReturnValues="ALL_NEW")
    return _storm_log(deserialize(response.get("Attributes", {})))


def read_storm(state: StateStore, channel: str) -> StormLog:
    """The route's log and summary as stored."""
    return _storm_log(state.get(storm_pk(channel), "STORM") or {})


def claim_summary(state: StateStore, channel: str, since: float) -> bool:
    """Claim the posting of the summary of the storm that began at ``since``: True for the one
    delivery that should post it (no summary yet, or only one of an earlier storm)."""
    updated = state.update(
        storm_pk(channel),
        "STORM",
        {"summary_since": since, "summary_ts": "", "summary_channel": ""},
        condition="attribute_not_exists(summary_since) OR summary_since < :since",
        values={":since": since},
    )
    return updated is not None


def set_summary(state: StateStore, channel: str, posted_channel: str, ts: str) -> None:
    """Remember where the summary was posted, so later alarms of the storm reply there."""
    state.update(storm_pk(channel), "STORM", {"summary_channel": posted_channel, "summary_ts": ts})


def trim_storm(state: StateStore, channel: str, kept: tuple[StormEntry, ...], seen: int) -> None:
    """Replace the log by ``kept`` if it still has the ``seen`` entries it was read with."""
    state.update(
        storm_pk(channel),
        "STORM",
        {"log": [_entry_item(e) for e in kept]},
        condition="size(#log) = :seen",
        values={":seen": seen},
        names={"#log": "log"},
    )


# --- the table's owner ---------------------------------------------------------------------------


def owner_tag(dynamodb: Any, table_arn: str, tag: str) -> tuple[bool, str | None]:
    """(whether the tags could be read, the value of the table's ``tag`` or None without it),
    from ListTagsOfResource (every page until the tag is found)."""
    kwargs: dict[str, Any] = {"ResourceArn": table_arn}
    try:
        while True:
            response = dynamodb.list_tags_of_resource(**kwargs)
            for pair in response.get("Tags") or []:
                if pair.get("Key") == tag:
                    return True, str(pair.get("Value", ""))
            if not response.get("NextToken"):
                return True, None
            kwargs["NextToken"] = response["NextToken"]
    except ClientError as exc:
        gone = error_code(exc) == "ResourceNotFoundException"  # an alarm may outlive its table
        (log.info if gone else log.warning)("tags of %s unavailable: %s", table_arn, exc)
        return gone, None
    except BotoCoreError as exc:
        log.warning("tags of %s unavailable: %s", table_arn, exc)
        return False, None
