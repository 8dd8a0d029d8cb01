"""CloudTrail wording and severity: a refused or failed call names what it attempted, and
changes AWS services make on their own (Application Auto Scaling) are history, not news."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.domain.audit import AuditEvent, normalize
from bot.domain.audit_actors import actor_of, service_name
from bot.domain.audit_attempts import attempted
from bot.domain.audit_changes import summarize
from bot.domain.errors import InvalidValue
from tests.conftest import load_event


def record(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_event(name)["detail"])


def normalized(event: dict[str, Any], overrides: dict[str, str] | None = None) -> AuditEvent:
    found = normalize(event, severity_overrides=overrides)
    assert found is not None
    return found


# --- 8. a refused call never headlines its outcome --------------------------------------------


def test_refused_delete_table_says_it_was_an_attempt() -> None:
    event = normalized(load_event("eventbridge-cloudtrail-delete-table-refused.json"))
    assert event.summary == "Refused (AccessDenied): attempt to delete table payments"
    assert "deleted" not in event.summary
    assert event.severity == "security"


@pytest.mark.parametrize(
    ("sample", "error", "said"),
    [
        ("eventbridge-cloudtrail-pitr-disabled.json", "ValidationException",
         "Failed (ValidationException): attempt to turn point-in-time recovery OFF on orders"),
        ("eventbridge-cloudtrail-delete-backup.json", "AccessDeniedException",
         "Refused (AccessDeniedException): attempt to delete backup pre-migration of orders"),
        ("cloudtrail/ttl-enabled.json", "LimitExceededException",
         "Failed (LimitExceededException): attempt to turn time to live on for sessions"),
        ("cloudtrail/dax-delete-cluster.json", "AccessDenied",
         "Refused (AccessDenied): attempt to delete DAX cluster orders-cache"),
        ("cloudtrail/generic-update-kinesis.json", "ResourceInUseException",
         "Failed (ResourceInUseException): attempt to update kinesis streaming destination on "
         "orders"),
        ("cloudtrail/put-resource-policy.json", "AccessDenied",
         "Refused (AccessDenied): attempt to set the resource policy of orders"),
    ],
    ids=["pitr", "backup", "ttl", "dax", "generic", "policy"],
)  # fmt: skip
def test_failed_calls_name_the_attempt(sample: str, error: str, said: str) -> None:
    detail = record(sample)
    detail["errorCode"] = error
    assert summarize(detail) == said


@pytest.mark.parametrize(
    "detail",
    [{}, {"eventName": None}, {"eventName": "DeleteTable", "requestParameters": "x"}],
    ids=["empty", "null-name", "request-not-an-object"],
)
def test_attempt_wording_tolerates_missing_fields(detail: dict[str, Any]) -> None:
    assert attempted(detail)


# --- 9. changes made by AWS services ------------------------------------------------------------


def test_auto_scaling_capacity_change_is_recorded_with_the_service_named_not_posted() -> None:
    event = normalized(load_event("eventbridge-cloudtrail-autoscaling-update-table.json"))
    assert event.actor.service == "dynamodb.application-autoscaling.amazonaws.com"
    assert event.actor.label == "Application Auto Scaling (AWS service)"
    assert "provisioned throughput read/write 50/40 → 50/75" in event.summary
    assert event.severity == "info"  # history only: not in NOTIFY_SEVERITIES


@pytest.mark.parametrize(
    ("overrides", "severity"),
    [
        ({"AWSService": "warning"}, "warning"),
        ({"AWSService:dynamodb.application-autoscaling.amazonaws.com": "critical"}, "critical"),
        (
            {
                "AWSService": "warning",
                "AWSService:dynamodb.application-autoscaling.amazonaws.com": "info",
            },
            "info",
        ),
        ({"UpdateTable": "critical"}, "info"),  # action keys are for people's calls
    ],
    ids=["all-services", "one-service", "one-service-wins", "action-key"],
)
def test_severity_of_service_calls_is_configurable(
    overrides: dict[str, str], severity: str
) -> None:
    event = load_event("eventbridge-cloudtrail-autoscaling-update-table.json")
    assert normalized(event, overrides).severity == severity


def test_a_bad_service_severity_names_the_key() -> None:
    event = load_event("eventbridge-cloudtrail-autoscaling-update-table.json")
    with pytest.raises(InvalidValue, match="`AWSService`"):
        normalize(event, severity_overrides={"AWSService": "loud"})


def test_a_refused_service_call_is_still_a_security_event() -> None:
    event = load_event("eventbridge-cloudtrail-autoscaling-update-table.json")
    event["detail"]["errorCode"] = "AccessDeniedException"
    assert normalized(event).severity == "security"


def test_cloudformation_acts_for_a_person_and_keeps_the_calls_severity() -> None:
    detail = record("cloudtrail/create-table.json")
    assert actor_of(detail).service is None
    detail["eventName"] = "DeleteTable"
    assert normalized(
        {"detail-type": "AWS API Call via CloudTrail", "detail": detail}
    ).severity == ("critical")


def test_aws_backup_expiring_a_backup_is_not_news() -> None:
    detail = record("cloudtrail/create-backup-aws-backup.json")
    detail["eventName"] = "DeleteBackup"
    event = normalized({"detail-type": "AWS API Call via CloudTrail", "detail": detail})
    assert event.actor.service == "backup.amazonaws.com"
    assert event.severity == "info"


ROLE = "AWSServiceRoleForDynamoDBReplication"


@pytest.mark.parametrize(
    ("identity", "service"),
    [
        ({"type": "AWSService", "invokedBy": "replication.dynamodb.amazonaws.com"},
         "replication.dynamodb.amazonaws.com"),
        ({"type": "AssumedRole", "invokedBy": "signin.amazonaws.com"}, None),
        ({"type": "AssumedRole",
          "sessionContext": {"sessionIssuer": {"userName": ROLE}}}, ROLE),
        ({"type": "IAMUser", "userName": "carol"}, None),
    ],
    ids=["service-principal", "console-sign-in", "service-linked-role", "person"],
)  # fmt: skip
def test_who_counts_as_an_aws_service(identity: dict[str, Any], service: str | None) -> None:
    assert actor_of({"userIdentity": identity}).service == service


@pytest.mark.parametrize(
    ("service", "name"),
    [
        ("dynamodb.application-autoscaling.amazonaws.com", "Application Auto Scaling"),
        ("backup.amazonaws.com", "AWS Backup"),
        ("AWSServiceRoleForDynamoDBReplication", "DynamoDBReplication"),
        ("example.amazonaws.com", "example"),
    ],
)
def test_service_names(service: str, name: str) -> None:
    assert service_name(service) == name
