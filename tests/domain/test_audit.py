"""CloudTrail DynamoDB/DAX records -> AuditEvent: table lookup, actor, client, summary, severity."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.audit import (
    AuditEvent,
    BotAction,
    attributed,
    history_sort_key,
    normalize,
    normalize_log_file,
    severity_for,
)
from bot.domain.audit_actors import Actor, actor_of, describe_client
from bot.domain.audit_changes import summarize
from bot.domain.cloudtrail_records import find_table, find_tables, table_from_arn
from bot.domain.errors import InvalidValue

EVENTS = Path(__file__).parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    """A payload from tests/events (``cloudtrail/...`` for the audit fixtures)."""
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def guide_record(action: str) -> dict[str, Any]:
    """One record of the DynamoDB developer guide's log file examples."""
    for record in load_event("cloudtrail/log-file-developer-guide")["Records"]:
        if record["eventName"] == action:
            return copy.deepcopy(record)
    raise LookupError(action)


def must_normalize(payload: dict[str, Any], **kwargs: Any) -> AuditEvent:
    event = normalize(payload, **kwargs)
    assert event is not None
    return event


# --- finding the table ---------------------------------------------------------------------

ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders"


def _record(request: Any = None, response: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "eventSource": "dynamodb.amazonaws.com",
        "eventName": "Whatever",
        "requestParameters": request,
        "responseElements": response,
        **extra,
    }


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (_record({"tableName": "orders"}), "orders"),
        (_record({"tableName": ARN}), "orders"),
        (_record({}, {"tableDescription": {"tableName": "orders"}}), "orders"),
        (_record({"backupArn": f"{ARN}/backup/01763802000000-5c7d9e1f"}), "orders"),
        (_record({"resourceArn": ARN}), "orders"),
        (_record({"resourceArn": f"{ARN}/stream/2026-11-01T00:00:00.000"}), "orders"),
        (_record({"tableArn": ARN}), "orders"),
        (_record({"sourceTableArn": ARN, "targetTableName": "orders-copy"}), "orders-copy"),
        (_record({"globalTableName": "carts"}), "carts"),
        (_record({"tableCreationParameters": {"tableName": "imported"}}), "imported"),
        (
            _record(
                None,
                {"backupDescription": {"backupDetails": {"backupArn": f"{ARN}/backup/0176-1"}}},
            ),
            "orders",
        ),
        (_record(None, None, resources=[{"ARN": f"{ARN}/index/by-customer"}]), "orders"),
        (
            _record(
                None, None, resources=[{"ARN": "arn:aws-cn:dynamodb:cn-north-1:1:table/cn-orders"}]
            ),
            "cn-orders",
        ),
        (_record(None, None, resources=None), None),
        (_record({"clusterName": "cache"}), None),
        ({"eventName": "UpdateTable"}, None),
    ],
    ids=[
        "request-tableName",
        "request-tableName-is-arn",
        "only-in-response",
        "only-in-backup-arn",
        "resource-arn",
        "stream-arn",
        "table-arn",
        "restore-target-first",
        "global-table-name",
        "import-creation-parameters",
        "response-backup-arn",
        "resources-index-arn",
        "other-partition",
        "all-null",
        "dax-has-no-table",
        "bare-record",
    ],
)
def test_find_table_looks_everywhere_a_record_can_name_it(
    record: dict[str, Any], table: str | None
) -> None:
    assert find_table(record) == table


def test_find_table_reads_the_response_when_the_request_has_no_name() -> None:
    # The developer guide's UpdateTable: the request holds only the new throughput.
    assert find_table(guide_record("UpdateTable")) == "Music"


def test_find_table_reads_the_arn_when_only_the_backup_arn_names_it() -> None:
    event = load_event("eventbridge-cloudtrail-delete-backup")
    del event["detail"]["responseElements"]
    assert find_table(event) == "orders"


def test_find_tables_lists_target_then_source_of_a_restore() -> None:
    assert find_tables(load_event("cloudtrail/restore-from-backup")) == (
        "orders-restored",
        "orders",
    )


def test_table_from_arn_ignores_what_is_not_a_dynamodb_arn() -> None:
    assert table_from_arn("arn:aws:dax:us-west-2:1:cache/orders") is None
    assert table_from_arn(None) is None
    assert table_from_arn("orders") is None


# --- normalize -----------------------------------------------------------------------------


def test_normalize_reads_an_eventbridge_cloudtrail_event() -> None:
    event = must_normalize(load_event("eventbridge-cloudtrail-pitr-disabled"))
    assert event.event_id == "3f1e9a4c-7b2d-4e8f-9c1a-0d2e3f4a5b6c"
    assert event.time == datetime(2026, 11, 22, 9, 30, 5, tzinfo=UTC)
    assert (event.account, event.region, event.table) == ("123456789012", "us-west-2", "orders")
    assert (event.action, event.source, event.category) == (
        "UpdateContinuousBackups",
        "dynamodb",
        "Management",
    )
    assert event.actor == Actor(
        identity_type="AssumedRole",
        name="alice",
        role="DataAdmin",
        arn="arn:aws:sts::123456789012:assumed-role/DataAdmin/alice",
        account="123456789012",
        mfa=True,
    )
    assert event.client == "AWS CLI"
    assert event.source_ip == "198.51.100.23"
    assert event.request_id == "QK7N2G9J1PEXAMPLE0REQUESTIDAAAAAAAAAAAAAAAAAAAAAAA"
    assert event.summary == "Point-in-time recovery turned OFF on orders"
    assert event.severity == "critical"
    assert not event.read_only
    assert event.error_code is None


def test_normalize_gives_the_same_event_for_the_raw_record_and_its_eventbridge_wrapper() -> None:
    wrapped = load_event("eventbridge-cloudtrail-delete-backup")
    assert normalize(wrapped) == normalize(wrapped["detail"])


def test_normalize_names_the_backup_of_a_delete_backup_whose_table_is_only_in_the_arn() -> None:
    event = must_normalize(load_event("eventbridge-cloudtrail-delete-backup"))
    assert (event.table, event.resource) == ("orders", "pre-migration")
    assert event.summary == "Backup pre-migration of orders deleted"
    assert event.severity == "critical"


def test_normalize_falls_back_to_the_backup_id_when_no_name_is_logged() -> None:
    record = load_event("eventbridge-cloudtrail-delete-backup")["detail"]
    record["responseElements"] = None
    event = must_normalize(record)
    assert event.resource == "01763802000000-5c7d9e1f"
    assert event.summary == "Backup 01763802000000-5c7d9e1f of orders deleted"


def test_normalize_reads_a_lookup_events_entry() -> None:
    record = load_event("eventbridge-cloudtrail-pitr-disabled")["detail"]
    entry = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "CloudTrailEvent": json.dumps(record),
    }
    assert normalize(entry) == normalize(record)


def test_normalize_rejects_a_lookup_events_entry_with_broken_json() -> None:
    with pytest.raises(InvalidValue, match="CloudTrailEvent is not JSON"):
        normalize({"EventId": "x", "CloudTrailEvent": "{oops"})


def test_normalize_reads_the_developer_guide_update_table() -> None:
    event = must_normalize(guide_record("UpdateTable"))
    assert event.table == "Music"
    assert event.summary == "Table Music updated: provisioned throughput read/write 10/10 → 25/25"
    assert event.client == "console"
    assert event.actor.name == "bob"
    assert event.actor.mfa is False
    assert event.account == "111122223333"
    assert event.severity == "warning"


def test_normalize_reads_the_developer_guide_dax_create_cluster() -> None:
    event = must_normalize(guide_record("CreateCluster"))
    assert (event.source, event.table, event.resource) == ("dax", None, "daxcluster")
    assert event.summary == "DAX cluster daxcluster created (3 nodes, dax.r4.large)"
    assert event.severity == "info"


def test_normalize_ignores_data_events_unless_asked() -> None:
    put_item = guide_record("PutItem")
    assert normalize(put_item) is None
    included = must_normalize(put_item, include_data_events=True)
    assert (included.category, included.table) == ("Data", "Music")


@pytest.mark.parametrize(
    "record",
    [
        _record(
            {"tableName": "orders"},
            eventName="GetItem",
            eventID="e",
            eventTime="2026-11-22T09:00:00Z",
        ),
        _record(
            {"tableName": "orders"},
            eventName="Whatever",
            eventCategory="Data",
            eventID="e",
            eventTime="2026-11-22T09:00:00Z",
        ),
        _record(
            {"tableName": "orders"},
            eventName="Whatever",
            managementEvent=False,
            eventID="e",
            eventTime="2026-11-22T09:00:00Z",
        ),
    ],
    ids=["item-call-name", "category-data", "not-management"],
)
def test_normalize_recognizes_data_events_by_name_category_or_flag(record: dict[str, Any]) -> None:
    assert normalize(record) is None


def test_normalize_ignores_read_only_calls_unless_asked() -> None:
    describe = load_event("cloudtrail/describe-table-read-only")
    assert normalize(describe) is None
    assert must_normalize(describe, include_read_only=True).read_only


def test_normalize_treats_describe_list_get_as_read_only_when_the_flag_is_missing() -> None:
    record = _record(
        {"resourceArn": ARN},
        eventName="ListTagsOfResource",
        eventID="e",
        eventTime="2026-11-22T09:00:00Z",
    )
    assert normalize(record) is None
    assert must_normalize(record, include_read_only=True).read_only


def test_normalize_ignores_other_services() -> None:
    record = load_event("eventbridge-cloudtrail-pitr-disabled")["detail"]
    record["eventSource"] = "s3.amazonaws.com"
    assert normalize(record) is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "eventName and eventSource are required"),
        ({"detail-type": "Scheduled Event", "detail": {}}, "eventName and eventSource"),
        (
            {"eventName": "DeleteTable", "eventSource": "dynamodb.amazonaws.com"},
            "eventID and eventTime are required",
        ),
        (
            {
                "eventName": "DeleteTable",
                "eventSource": "dynamodb.amazonaws.com",
                "eventID": "x",
                "eventTime": "yesterday",
            },
            "eventTime `yesterday` is not a time",
        ),
    ],
    ids=["empty", "other-eventbridge-event", "no-id-or-time", "bad-time"],
)
def test_normalize_rejects_what_is_not_a_cloudtrail_record(
    payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        normalize(payload)


def test_normalize_rejects_a_non_object() -> None:
    with pytest.raises(InvalidValue, match="expected a JSON object"):
        normalize([1, 2])  # type: ignore[arg-type]


def test_normalize_survives_null_fields() -> None:
    event = must_normalize(load_event("cloudtrail/null-fields"))
    assert event.table == "orders"  # from resources
    assert event.region == "us-west-2"  # from the EventBridge envelope
    assert event.account == "123456789012"
    assert event.actor == Actor(identity_type="Unknown", name="unknown")
    assert (event.client, event.source_ip, event.request_id) == ("other", None, None)
    assert event.summary == "Time to live changed on orders"


def test_normalize_keeps_injected_text_raw_for_the_renderer_to_escape() -> None:
    event = must_normalize(load_event("cloudtrail/injection-user-agent-session"))
    assert event.actor.name == "<!channel> <http://evil|click>"
    assert event.actor.role == "Dev<!channel>"
    assert "<!channel>" in (event.user_agent or "")
    assert event.client == "other"


def test_normalize_log_file_keeps_management_events_and_skips_the_rest() -> None:
    log_file = load_event("cloudtrail/log-file-developer-guide")
    log_file["Records"].append({"not": "a record"})
    events = normalize_log_file(log_file)
    assert [e.action for e in events] == ["UpdateTable", "DeleteTable", "CreateCluster"]


def test_normalize_log_file_rejects_a_document_without_records() -> None:
    with pytest.raises(InvalidValue, match="Records"):
        normalize_log_file({"s3Bucket": "x"})


def test_normalize_parses_fractional_and_offset_times() -> None:
    record = load_event("eventbridge-cloudtrail-pitr-disabled")["detail"]
    record["eventTime"] = "2026-11-22T09:30:05.123456+0000"
    assert must_normalize(record).time == datetime(2026, 11, 22, 9, 30, 5, 123456, tzinfo=UTC)


# --- summaries and severities, one per action family ----------------------------------------

CASES = [
    ("cloudtrail/update-table-settings", "warning",
     "Table orders updated: provisioned throughput set to 50/20 (read/write); billing mode set to"
     " provisioned; index by-customer created; index by-status deleted; stream turned on"
     " (NEW_AND_OLD_IMAGES); table class set to STANDARD_INFREQUENT_ACCESS"),
    ("cloudtrail/update-table-deletion-protection-off", "critical",
     "Table orders updated: deletion protection turned off"),
    ("cloudtrail/update-table-replicas", "warning",
     "Table orders updated: replica added in eu-west-1; replica removed from us-east-2"),
    ("cloudtrail/create-table", "info", "Table invoices created (on-demand)"),
    ("eventbridge-cloudtrail-pitr-disabled", "critical",
     "Point-in-time recovery turned OFF on orders"),
    ("cloudtrail/pitr-enabled", "info",
     "Point-in-time recovery turned on for orders (recovery period 14 days)"),
    ("cloudtrail/create-backup-aws-backup", "info",
     "Backup awsbackup_job_4c5d7e9f-2b1a-4e3d-9c8b-7a6f5e4d3c2b of orders created"),
    ("eventbridge-cloudtrail-delete-backup", "critical", "Backup pre-migration of orders deleted"),
    ("cloudtrail/restore-from-backup", "info",
     "Table orders-restored restored from backup 01763802000000-5c7d9e1f of orders"),
    ("cloudtrail/restore-point-in-time", "info",
     "Table orders-1042 restored from orders as of 2026-11-22 10:42 UTC"),
    ("cloudtrail/restore-point-in-time-latest", "info",
     "Table orders-latest restored from orders as of the latest restorable time"),
    ("cloudtrail/export-table", "info",
     "Table orders exported to s3://analytics-exports/orders/2026-11-22 (full export)"),
    ("cloudtrail/import-table", "info",
     "Table orders-legacy imported from s3://migration-dumps/legacy/orders (CSV)"),
    ("cloudtrail/ttl-enabled", "warning",
     "Time to live turned on for sessions (attribute expires_at)"),
    ("cloudtrail/tag-resource", "info", "Table orders tagged: opsbot:retention, team"),
    ("cloudtrail/untag-resource", "info", "Table orders untagged: opsbot:retention"),
    ("cloudtrail/put-resource-policy", "critical", "Resource policy set on orders"),
    ("cloudtrail/delete-resource-policy", "critical",
     "Resource policy deleted from stream of orders"),
    ("cloudtrail/kinesis-streaming-enabled", "info",
     "Kinesis streaming to orders-changes turned on for orders"),
    ("cloudtrail/kinesis-streaming-disabled", "info",
     "Kinesis streaming to orders-changes turned off for orders"),
    ("cloudtrail/contributor-insights", "info",
     "Contributor Insights turned on for index by-customer of orders"),
    ("cloudtrail/create-global-table", "warning",
     "Global table carts created: replicas added in us-west-2, eu-west-1"),
    ("cloudtrail/update-global-table", "warning",
     "Global table carts updated: replicas added in ap-southeast-2;"
     " replicas removed from eu-west-1"),
    ("cloudtrail/replica-auto-scaling", "warning",
     "Replica auto scaling changed for carts in eu-west-1"),
    ("cloudtrail/dax-delete-cluster", "critical", "DAX cluster orders-cache deleted"),
    ("cloudtrail/dax-increase-replication", "warning",
     "DAX cluster orders-cache nodes increased to 5"),
    ("cloudtrail/dax-decrease-replication", "warning",
     "DAX cluster orders-cache nodes decreased to 2"),
    ("cloudtrail/dax-update-cluster", "info",
     "DAX cluster orders-cache updated: parameterGroupName, preferredMaintenanceWindow"),
    ("cloudtrail/access-denied-delete-table", "security",
     "Refused (AccessDenied): attempt to delete table orders"),
    ("cloudtrail/generic-update-kinesis", "info",
     "UpdateKinesisStreamingDestination on orders"
     " (streamArn, updateKinesisStreamingConfiguration)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "severity", "summary"), CASES, ids=[c[0].rsplit("/", 1)[-1] for c in CASES]
)
def test_summary_and_severity_spell_out_each_change(
    fixture: str, severity: str, summary: str
) -> None:
    payload = load_event(fixture)
    assert summarize(payload) == summary
    event = must_normalize(payload)
    assert event.summary == summary
    assert event.severity == severity


def test_summary_shows_the_throughput_set_when_the_response_has_no_old_value() -> None:
    record = guide_record("UpdateTable")
    record["responseElements"]["tableDescription"].pop("provisionedThroughput")
    assert (
        summarize(record) == "Table Music updated: provisioned throughput set to 25/25 (read/write)"
    )


def test_summary_spells_out_the_rest_of_update_table() -> None:
    record = _record(
        {
            "tableName": "orders",
            "billingMode": "PAY_PER_REQUEST",
            "streamSpecification": {"streamEnabled": False},
            "deletionProtectionEnabled": True,
            "globalSecondaryIndexUpdates": [
                {
                    "update": {
                        "indexName": "gsi1",
                        "provisionedThroughput": {"readCapacityUnits": 5, "writeCapacityUnits": 1},
                    }
                }
            ],
            "replicaUpdates": [{"update": {"regionName": "eu-west-1"}}],
        }
    )
    record["eventName"] = "UpdateTable"
    assert summarize(record) == (
        "Table orders updated: billing mode set to on-demand; index gsi1 throughput set to 5/1"
        " (read/write); stream turned off; deletion protection turned on;"
        " replica settings changed in eu-west-1"
    )


def test_summary_of_a_failed_call_says_it_changed_nothing() -> None:
    record = load_event("eventbridge-cloudtrail-pitr-disabled")["detail"]
    record["errorCode"] = "ValidationException"
    event = must_normalize(record)
    assert event.summary == (
        "Failed (ValidationException): attempt to turn point-in-time recovery OFF on orders"
    )
    assert event.severity == "warning"  # an attempt, not a change


def test_summary_of_a_generic_dax_call_names_the_cluster() -> None:
    record = guide_record("CreateCluster")
    record["eventName"] = "RebootNode"
    record["requestParameters"] = {"clusterName": "daxcluster", "nodeId": "daxcluster-a"}
    assert summarize(record) == "RebootNode on daxcluster (nodeId)"


# --- severity ------------------------------------------------------------------------------


def test_severity_overrides_by_action_and_by_qualified_action() -> None:
    ttl = must_normalize(load_event("cloudtrail/ttl-enabled"))
    assert severity_for(ttl, {"UpdateTimeToLive": "info"}) == "info"
    dax = must_normalize(load_event("cloudtrail/dax-delete-cluster"))
    assert severity_for(dax, {"DeleteCluster": "info", "dax:DeleteCluster": "warning"}) == "warning"
    assert severity_for(dax, {}) == "critical"


def test_severity_of_access_denied_is_security_whatever_the_action() -> None:
    denied = must_normalize(load_event("cloudtrail/access-denied-delete-table"))
    assert severity_for(denied, {"DeleteTable": "info"}) == "security"
    assert severity_for(denied, {"AccessDenied": "critical"}) == "critical"


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])
def test_severity_is_security_for_every_access_denied_code(code: str) -> None:
    record = load_event("cloudtrail/tag-resource")
    record["detail"]["errorCode"] = code
    assert must_normalize(record).severity == "security"


def test_severity_override_with_an_unknown_level_names_the_levels() -> None:
    ttl = must_normalize(load_event("cloudtrail/ttl-enabled"))
    with pytest.raises(InvalidValue, match=r"UpdateTimeToLive.*critical, security, warning, info"):
        severity_for(ttl, {"UpdateTimeToLive": "loud"})


def test_normalize_applies_severity_overrides() -> None:
    payload = load_event("cloudtrail/tag-resource")
    assert (
        must_normalize(payload, severity_overrides={"TagResource": "warning"}).severity == "warning"
    )


# --- who and how ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "invoked_by", "client"),
    [
        ("console.aws.amazon.com", None, "console"),
        ("console.dynamodb.amazonaws.com", None, "console"),
        ("AWS Internal/3 aws-sdk-java/1.12.720 Linux/5.10", None, "console"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15", None, "console"),
        ("aws-cli/2.17.1 Python/3.12.4 Linux/6.1 botocore/2.4.5", None, "AWS CLI"),
        ("aws-cli/1.16.304 Python/3.6.9 Linux/4.9 botocore/1.13.40", None, "AWS CLI"),
        (
            "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1 lang/python#3.12.4",
            None,
            "SDK (boto3)",
        ),
        ("Botocore/1.35.36 ua/2.0 os/linux#6.1 lang/python#3.12.4", None, "SDK (boto3)"),
        (
            "aws-sdk-java/2.25.60 Linux/5.10 OpenJDK_64-Bit_Server_VM/17 Java/17.0.12",
            None,
            "SDK (Java)",
        ),
        ("aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.1", None, "SDK (Go)"),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0"
            " aws-sdk-go-v2/1.32.2",
            None,
            "Terraform",
        ),
        ("cloudformation.amazonaws.com", "cloudformation.amazonaws.com", "CloudFormation"),
        ("backup.amazonaws.com", "backup.amazonaws.com", "AWS service (backup.amazonaws.com)"),
        ("backup.amazonaws.com", None, "AWS service (backup.amazonaws.com)"),
        ("aws-cli/2.17.1", "backup.amazonaws.com", "AWS service (backup.amazonaws.com)"),
        ("curl/8.5.0", None, "other"),
        (None, None, "other"),
        ("", None, "other"),
    ],
    ids=[
        "console-host",
        "console-service-host",
        "console-internal",
        "console-browser",
        "cli-v2",
        "cli-v1",
        "boto3",
        "botocore",
        "java",
        "go",
        "terraform-before-go-sdk",
        "cloudformation",
        "aws-backup-invoked",
        "aws-backup-agent-only",
        "invoked-by-wins",
        "curl",
        "none",
        "empty",
    ],
)
def test_describe_client_names_the_kind_of_client(
    user_agent: str | None, invoked_by: str | None, client: str
) -> None:
    assert describe_client(user_agent, invoked_by) == client


def test_actor_of_an_aws_backup_job_is_the_backup_role_via_the_service() -> None:
    event = must_normalize(load_event("cloudtrail/create-backup-aws-backup"))
    assert event.actor.name == "AWSBackup-AWSBackupDefaultServiceRole"
    assert event.actor.role == "AWSBackupDefaultServiceRole"
    assert event.actor.via == "backup.amazonaws.com"
    assert event.client == "AWS service (backup.amazonaws.com)"


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (
            {
                "type": "IAMUser",
                "arn": "arn:aws:iam::1:user/carol",
                "accountId": "1",
                "userName": "carol",
            },
            Actor(
                identity_type="IAMUser", name="carol", arn="arn:aws:iam::1:user/carol", account="1"
            ),
        ),
        (
            {"type": "IAMUser", "arn": "arn:aws:iam::1:user/ops/dave", "accountId": "1"},
            Actor(
                identity_type="IAMUser",
                name="ops/dave",
                arn="arn:aws:iam::1:user/ops/dave",
                account="1",
            ),
        ),
        (
            {
                "type": "Root",
                "arn": "arn:aws:iam::1:root",
                "accountId": "1",
                "sessionContext": {"attributes": {"mfaAuthenticated": False}},
            },
            Actor(
                identity_type="Root", name="root", arn="arn:aws:iam::1:root", account="1", mfa=False
            ),
        ),
        (
            {"type": "AWSService", "invokedBy": "dynamodb.application-autoscaling.amazonaws.com"},
            Actor(
                identity_type="AWSService",
                name="dynamodb.application-autoscaling.amazonaws.com",
                via="dynamodb.application-autoscaling.amazonaws.com",
            ),
        ),
        (
            {
                "type": "AssumedRole",
                "principalId": "AROA:erin@example.com",
                "sessionContext": {"sessionIssuer": {"userName": "AWSReservedSSO_Admin_0123"}},
            },
            Actor(
                identity_type="AssumedRole",
                name="erin@example.com",
                role="AWSReservedSSO_Admin_0123",
            ),
        ),
        (None, Actor(identity_type="Unknown", name="unknown")),
    ],
    ids=["iam-user", "iam-user-with-path", "root", "aws-service", "sso-without-arn", "null"],
)
def test_actor_of_reads_each_identity_type(identity: Any, expected: Actor) -> None:
    assert actor_of({"userIdentity": identity}) == expected


# --- history and attribution ----------------------------------------------------------------


def test_history_sort_key_is_time_with_microseconds_then_event_id() -> None:
    event = must_normalize(load_event("eventbridge-cloudtrail-pitr-disabled"))
    assert (
        history_sort_key(event)
        == "2026-11-22T09:30:05.000000Z#3f1e9a4c-7b2d-4e8f-9c1a-0d2e3f4a5b6c"
    )


def test_history_sort_key_orders_events_by_time_lexicographically() -> None:
    base = must_normalize(load_event("eventbridge-cloudtrail-pitr-disabled"))
    times = [
        datetime(2026, 11, 22, 9, 30, 5, 999, tzinfo=UTC),
        datetime(2026, 11, 22, 9, 30, 5, 10, tzinfo=UTC),
        datetime(2026, 11, 21, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    ]
    events = [
        AuditEvent(**{**base.__dict__, "time": t, "event_id": f"id-{i}"})
        for i, t in enumerate(times)
    ]
    newest_first = sorted(events, key=history_sort_key, reverse=True)
    assert [e.time for e in newest_first] == sorted(times, reverse=True)


def test_attributed_shows_the_slack_user_when_opsbot_made_the_call() -> None:
    event = must_normalize(load_event("eventbridge-cloudtrail-pitr-disabled"))
    mine = attributed(event, {event.request_id or "": BotAction("U024BE7LH")})
    assert mine.actor.slack_user == "U024BE7LH"
    assert mine.actor.label == "@U024BE7LH via opsbot"
    assert mine.actor.role == "DataAdmin"  # the role opsbot used is kept
    assert attributed(event, {"other-request": BotAction("U024BE7LH")}) is event


def test_attributed_names_the_approver_of_an_approved_action() -> None:
    event = must_normalize(load_event("eventbridge-cloudtrail-pitr-disabled"))
    ours = attributed(event, {event.request_id or "": BotAction("U024BE7LH", "U0APPROVE")})
    assert ours.actor.label == "@U024BE7LH (approved by @U0APPROVE) via opsbot"


def test_attributed_leaves_events_without_request_id_alone() -> None:
    event = must_normalize(load_event("cloudtrail/null-fields"))
    assert attributed(event, {"": BotAction("U1")}) is event
