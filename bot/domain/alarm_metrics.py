"""What a DynamoDB or DAX metric means, in the on-call engineer's words, and what to check
first when an alarm on it fires (or has no data).
"""

from __future__ import annotations

from bot.domain.alarm_events import AlarmEvent
from bot.domain.records import frozen


@frozen
class Explanation:
    """A metric in plain words, and the first things an on-call engineer should look at."""

    meaning: str
    first_checks: tuple[str, ...]


_DYNAMODB = "AWS/DynamoDB"
_DAX = "AWS/DAX"

_READ_THROTTLE = Explanation(
    "Reads are being rejected with ProvisionedThroughputExceeded: the table or an index "
    "has no read capacity left, or one partition is hot. Callers retry and see latency.",
    (
        "ConsumedReadCapacityUnits vs ProvisionedReadCapacityUnits on the table and each GSI",
        "Is one key hot? Open CloudWatch Contributor Insights for the most accessed keys",
        "Auto scaling: did it hit its maximum, or is it too slow for this spike?",
        "A new job or deploy doing scans or large queries",
    ),
)
_WRITE_THROTTLE = Explanation(
    "Writes are being rejected: the table or a GSI has no write capacity left, or one "
    "partition is hot. A throttled GSI throttles writes to its base table.",
    (
        "ConsumedWriteCapacityUnits vs ProvisionedWriteCapacityUnits on the table and each GSI",
        "Is one partition key taking most writes? Contributor Insights shows it",
        "Auto scaling maximum, or on-demand table above twice its previous peak",
        "A backfill, import or batch job that started recently",
    ),
)
_CAPACITY_READ = Explanation(
    "Read capacity used, compared with what the table is provisioned for. Near or above "
    "the provisioned level, reads start to throttle.",
    (
        "ReadThrottleEvents on the same table and its GSIs",
        "Auto scaling target and maximum for reads",
        "Which client started reading more (deploy, new job, scans)",
    ),
)
_CAPACITY_WRITE = Explanation(
    "Write capacity used, compared with what the table is provisioned for. Near or above "
    "the provisioned level, writes start to throttle.",
    (
        "WriteThrottleEvents on the same table and its GSIs",
        "Auto scaling target and maximum for writes",
        "Which client started writing more (backfill, import, batch job)",
    ),
)
_ACCOUNT_UTILIZATION = Explanation(
    "The account is using a large share of its regional provisioned-capacity quota. At "
    "100 %, new tables, GSIs and scale-ups are refused.",
    (
        "Which tables hold the most provisioned capacity (service quotas page)",
        "Auto scaling maximums that could push the account over the quota",
        "Request a quota increase before the next scale-up is needed",
    ),
)
_TABLE_UTILIZATION = Explanation(
    "The biggest table or GSI in the account is close to the per-table capacity quota. "
    "Above it, that table cannot scale up any further.",
    (
        "Which table is largest, and its auto scaling maximum",
        "Request a per-table quota increase if the growth is expected",
    ),
)
_INDEX_BUILD = Explanation(
    "A global secondary index is being built (backfilled) on this table. Backfill "
    "consumes write capacity on the new index and can be throttled.",
    (
        "OnlineIndexPercentageProgress: is it still advancing?",
        "The new index's provisioned write capacity: too low makes the backfill crawl",
        "OnlineIndexThrottleEvents: throttled backfill writes",
    ),
)

_EXPLANATIONS: dict[tuple[str, str], Explanation] = {
    (_DYNAMODB, "ReadThrottleEvents"): _READ_THROTTLE,
    (_DYNAMODB, "WriteThrottleEvents"): _WRITE_THROTTLE,
    (_DYNAMODB, "ThrottledRequests"): Explanation(
        "Requests (one per operation) were throttled for lack of capacity. One request can "
        "count several throttle events when it touches several items or indexes.",
        (
            "Which operation: the Operation dimension (GetItem, PutItem, Query, ...)",
            "ReadThrottleEvents / WriteThrottleEvents on the table and each GSI",
            "Hot keys in Contributor Insights; auto scaling maximums",
        ),
    ),
    (_DYNAMODB, "SystemErrors"): Explanation(
        "DynamoDB returned HTTP 500 errors: a problem on the AWS side, not in the request. "
        "SDKs retry these; a sustained rate is unusual.",
        (
            "AWS Health Dashboard for DynamoDB in this region",
            "Are callers' retries succeeding? Check the application's error rate",
            "Open an AWS support case if it lasts more than a few minutes",
        ),
    ),
    (_DYNAMODB, "UserErrors"): Explanation(
        "Requests in this account and region were rejected with HTTP 400 (validation, "
        "access denied, missing table...). It is a regional total, not per table.",
        (
            "Recent deploys: a changed request shape or IAM policy",
            "CloudTrail for AccessDeniedException and ValidationException",
            "Application logs for the exact error message",
        ),
    ),
    (_DYNAMODB, "ConditionalCheckFailedRequests"): Explanation(
        "Conditional writes failed their condition: optimistic locking conflicts or "
        "put-if-absent on items that already exist. Often expected; a jump means contention.",
        (
            "Did a deploy change the write conditions or add a concurrent writer?",
            "Several workers processing the same items (duplicate deliveries)",
        ),
    ),
    (_DYNAMODB, "SuccessfulRequestLatency"): Explanation(
        "Time DynamoDB took to serve successful requests, measured inside DynamoDB (not "
        "the network or client). High values point at large items, big queries or scans.",
        (
            "Which operation: the Operation dimension",
            "Item and result sizes: large Query/Scan pages take longer",
            "Throttling at the same time (retries add client-side latency, not this)",
        ),
    ),
    (_DYNAMODB, "ConsumedReadCapacityUnits"): _CAPACITY_READ,
    (_DYNAMODB, "ProvisionedReadCapacityUnits"): _CAPACITY_READ,
    (_DYNAMODB, "ConsumedWriteCapacityUnits"): _CAPACITY_WRITE,
    (_DYNAMODB, "ProvisionedWriteCapacityUnits"): _CAPACITY_WRITE,
    (_DYNAMODB, "AccountProvisionedReadCapacityUtilization"): _ACCOUNT_UTILIZATION,
    (_DYNAMODB, "AccountProvisionedWriteCapacityUtilization"): _ACCOUNT_UTILIZATION,
    (_DYNAMODB, "MaxProvisionedTableReadCapacityUtilization"): _TABLE_UTILIZATION,
    (_DYNAMODB, "MaxProvisionedTableWriteCapacityUtilization"): _TABLE_UTILIZATION,
    (_DYNAMODB, "ReplicationLatency"): Explanation(
        "Writes take long to reach this global-table replica. Readers in the receiving "
        "region see stale data; a failover now could lose recent writes.",
        (
            "Is the receiving replica throttling writes (WriteThrottleEvents there)?",
            "Replica write capacity or auto scaling in the receiving region",
            "AWS Health Dashboard for either region",
            "PendingReplicationCount: is the backlog still growing?",
        ),
    ),
    (_DYNAMODB, "PendingReplicationCount"): Explanation(
        "Item updates written in one replica but not yet in another: the replication "
        "backlog. A growing count means the receiving replica cannot keep up.",
        (
            "ReplicationLatency for the same receiving region",
            "Write capacity and throttling on the receiving replica",
        ),
    ),
    (_DYNAMODB, "TimeToLiveDeletedItemCount"): Explanation(
        "Items deleted by Time to Live. A sudden jump or drop means expiry values changed "
        "or TTL was switched on or off.",
        (
            "Recent changes to the TTL attribute or UpdateTimeToLive in CloudTrail",
            "A writer setting wrong expiry timestamps (seconds vs milliseconds)",
        ),
    ),
    (_DYNAMODB, "OnlineIndexPercentageProgress"): _INDEX_BUILD,
    (_DYNAMODB, "OnlineIndexConsumedWriteCapacity"): _INDEX_BUILD,
    (_DYNAMODB, "OnlineIndexThrottleEvents"): _INDEX_BUILD,
    (_DAX, "CPUUtilization"): Explanation(
        "CPU on DAX nodes is high. Above ~70-80 % DAX starts throttling requests and "
        "latency rises.",
        (
            "Which node: the NodeId dimension (one hot node means uneven keys)",
            "Request volume (TotalRequestCount) and cache misses: misses cost more CPU",
            "Scale out (more nodes for reads) or up (bigger node type)",
        ),
    ),
    (_DAX, "CacheMemoryUtilization"): Explanation(
        "DAX cache memory is nearly full. DAX then evicts items early, misses go up and "
        "more reads hit DynamoDB.",
        (
            "EvictedSize and ItemCacheMisses rising at the same time",
            "Item and query TTL in the parameter group: too long fills memory",
            "A larger node type",
        ),
    ),
    (_DAX, "EvictedSize"): Explanation(
        "DAX is evicting cached data to make room: the working set does not fit in the "
        "cache, so more reads go through to DynamoDB.",
        (
            "CacheMemoryUtilization on the nodes",
            "Cache miss counts and DynamoDB consumed read capacity",
            "A larger node type, or shorter item/query TTL",
        ),
    ),
    (_DAX, "ErrorRequestCount"): Explanation(
        "DAX requests returned user errors (bad requests, throttles, failed conditions) "
        "as the client sees them.",
        (
            "ThrottledRequestCount and FailedRequestCount to split the errors",
            "Recent client deploys or IAM changes for the DAX role",
        ),
    ),
    (_DAX, "FaultRequestCount"): Explanation(
        "DAX requests failed with internal errors (HTTP 500) in DAX or in DynamoDB behind it.",
        (
            "Node health and recent node replacements in the DAX events",
            "SystemErrors on the DynamoDB tables behind the cluster",
            "AWS Health Dashboard for DAX in this region",
        ),
    ),
    (_DAX, "FailedRequestCount"): Explanation(
        "Requests that failed in DAX, counting user errors and faults together.",
        (
            "ErrorRequestCount vs FaultRequestCount to see which kind",
            "Client logs for the exact error",
        ),
    ),
    (_DAX, "ThrottledRequestCount"): Explanation(
        "DAX throttled requests: a node is at capacity (CPU or network), or the DynamoDB "
        "table behind it throttled DAX.",
        (
            "CPUUtilization per node",
            "Read/WriteThrottleEvents on the DynamoDB tables behind the cluster",
            "Scale out (more nodes) for reads; writes go through to DynamoDB anyway",
        ),
    ),
    (_DAX, "ItemCacheMisses"): Explanation(
        "GetItem/BatchGetItem requests DAX could not serve from cache and sent to "
        "DynamoDB. More misses mean more DynamoDB reads and slower responses.",
        (
            "Evictions and CacheMemoryUtilization: is the cache too small?",
            "Item TTL in the parameter group: too short expires items early",
            "A new access pattern reading keys that were never cached",
        ),
    ),
    (_DAX, "QueryCacheMisses"): Explanation(
        "Query/Scan requests DAX could not serve from its query cache. Query results "
        "are cached by exact parameters, so varying parameters always miss.",
        (
            "Query TTL in the parameter group",
            "Evictions and CacheMemoryUtilization",
            "A client deploy that changed query parameters",
        ),
    ),
    (_DAX, "ClientConnections"): Explanation(
        "Number of client connections to DAX nodes. A jump usually means clients are "
        "created per request instead of reused; a drop means clients cannot connect.",
        (
            "Recent client deploys: is the DAX client created once and reused?",
            "Security groups and subnets if connections dropped to zero",
        ),
    ),
}

_GENERIC = Explanation(
    "The metric crossed the alarm's threshold.",
    (
        "The alarm's metric graph in CloudWatch around the time it fired",
        "Recent deploys or configuration changes to the resource",
    ),
)


def explain(metric_name: str | None, namespace: str | None = _DYNAMODB) -> Explanation:
    """What a DynamoDB/DAX metric means and what to look at first; a generic text otherwise."""
    known = _EXPLANATIONS.get((namespace or "", metric_name or ""))
    if known is not None:
        return known
    if namespace in (_DYNAMODB, _DAX) and metric_name:
        # Renamed or new metrics: same name in the other namespace is a better guess than nothing.
        other = _DAX if namespace == _DYNAMODB else _DYNAMODB
        if metric_name == "ItemCacheMissesCount":
            return _EXPLANATIONS[(_DAX, "ItemCacheMisses")]
        return _EXPLANATIONS.get((other, metric_name), _GENERIC)
    return _GENERIC


def explain_event(event: AlarmEvent) -> Explanation:
    """The explanation for an alarm: its main metric, or a composite alarm's rule."""
    if event.is_composite:
        return Explanation(
            "A composite alarm: it fires when its rule over other alarms is true.",
            (
                "Which of the alarms in the rule are in ALARM now",
                "Each of those alarms' own messages in this channel",
            ),
        )
    metric = event.primary_metric
    if metric is None:
        return _GENERIC
    return explain(metric.name, metric.namespace)


def explain_missing_data(event: AlarmEvent) -> Explanation:
    """Why an alarm can have INSUFFICIENT_DATA, and what to check: not the metric's meaning."""
    metric = event.primary_metric
    what = f"{metric.name} " if metric is not None else ""
    return Explanation(
        f"CloudWatch received no {what}data for this alarm's period. DynamoDB publishes "
        "throttle and error counts only when they happen, so no data often just means zero.",
        (
            "Does the table, index or DAX cluster in the alarm still exist (renamed, deleted)?",
            "Do the alarm's dimensions and statistic match the metric exactly?",
            "For event counts, set TreatMissingData to notBreaching to stop this notice",
        ),
    )
