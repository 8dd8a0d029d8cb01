"""deploy/member-account.yml and the central bus policy: trust, least privilege, forwarding."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_template import (
    RESOURCE_STAR_DESPITE_TYPES,
    as_list,
    of_type,
    resources,
    template,
)

__all__ = ["resources", "template"]  # fixtures re-used from test_template

ROOT = Path(__file__).resolve().parents[2]
MEMBER = ROOT / "deploy" / "member-account.yml"
ORGANISATION = ROOT / "deploy" / "resources" / "organisation.yml"

# What opsbot's commands call in a member account (bot/aws/*), no more.
COMMAND_ACTIONS = frozenset(
    {
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:DescribeBackup",
        "dynamodb:ListBackups",
        "dynamodb:CreateBackup",
        "dynamodb:DeleteBackup",
        "dynamodb:RestoreTableToPointInTime",
        "dynamodb:RestoreTableFromBackup",
        "dynamodb:UpdateContinuousBackups",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:TagResource",
        "dynamodb:ListTagsOfResource",
        "dynamodb:UpdateTable",
        "dynamodb:ListTables",
        "dynamodb:DescribeGlobalTable",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricWidgetImage",
        "cloudwatch:PutMetricAlarm",
        "cloudtrail:LookupEvents",
    }
)
# AWS: a restore needs read and write on the target table ("Using IAM with DynamoDB backup
# and restore", DynamoDB Developer Guide).
RESTORE_ITEM_ACTIONS = frozenset(
    {
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    }
)
# How each resource type of the Service Authorization Reference appears in our ARNs.
ARN_SHAPES = {
    "table": (":table/*", ":table/opsbot-drill-*"),  # any table; the drills' scratch tables
    "backup": (":table/*/backup/*",),
    "global-table": (":global-table/*",),
    "alarm": (":alarm:*",),
}


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt...)."""


def _cfn_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_cfn(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML file as plain data, tags as their long form."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    return load_cfn(MEMBER)


def _role(member: dict[str, Any]) -> dict[str, Any]:
    return member["Resources"]["OpsbotRole"]["Properties"]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_only_the_opsbot_account_may_assume_the_role_and_only_with_the_external_id(
    member: dict[str, Any],
) -> None:
    (trust,) = _role(member)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow"
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${OpsbotAccountId}:root"}
    }
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert set(member["Parameters"]) >= {"OpsbotAccountId", "ExternalId", "CentralEventBusArn"}
    assert member["Parameters"]["OpsbotAccountId"]["AllowedPattern"] == "^\\d{12}$"


def test_the_role_allows_exactly_what_the_commands_and_restores_need(
    member: dict[str, Any],
) -> None:
    statements = _statements(_role(member))
    assert all(s["Effect"] == "Allow" for s in statements)
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert actions == COMMAND_ACTIONS | RESTORE_ITEM_ACTIONS | DRILL_ACTIONS
    assert not [a for a in actions if "*" in a], "no wildcard actions"


# Restore drills: only on tables in the drills' namespace.
DRILL_ACTIONS = frozenset({"dynamodb:DeleteTable", "dynamodb:BatchGetItem"})


def test_drills_may_delete_and_read_only_scratch_tables(member: dict[str, Any]) -> None:
    granted = [
        s["Resource"]
        for s in _statements(_role(member))
        if DRILL_ACTIONS & set(as_list(s["Action"]))
    ]
    assert granted == [
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/opsbot-drill-*"}
    ]


def test_restore_item_actions_are_granted_on_table_arns(member: dict[str, Any]) -> None:
    for statement in _statements(_role(member)):
        granted = RESTORE_ITEM_ACTIONS & set(as_list(statement["Action"]))
        if granted:
            assert statement["Resource"] == {
                "Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*"
            }


def test_every_action_is_scoped_to_the_resource_types_aws_supports(
    member: dict[str, Any],
) -> None:
    reference = json.loads(
        files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text()
    )
    for statement in _statements(_role(member)):
        resource = statement["Resource"]
        for action in as_list(statement["Action"]):
            service, name = action.split(":")
            known = {k.lower(): v for k, v in reference[service]["Actions"].items()}
            types = known[name.lower()].get("Resources") or []
            if resource == "*":
                assert not types or action in RESOURCE_STAR_DESPITE_TYPES, (
                    f"{action} takes an ARN but is granted on *"
                )
                continue
            arn = resource["Fn::Sub"]
            assert "${AWS::AccountId}" in arn, f"{action}: this account only"
            assert any(
                arn.endswith(shape)
                for kind in types
                if kind in ARN_SHAPES
                for shape in ARN_SHAPES[kind]
            ), f"{action} on {arn} is not one of its resource types {types}"


def _rules(member: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v["Properties"]
        for k, v in member["Resources"].items()
        if v["Type"] == "AWS::Events::Rule"
    }


def test_dynamodb_dax_api_calls_and_alarm_changes_are_forwarded_to_the_central_bus(
    member: dict[str, Any],
) -> None:
    patterns = sorted(
        (tuple(rule["EventPattern"]["source"]), tuple(rule["EventPattern"]["detail-type"]))
        for rule in _rules(member).values()
    )
    assert patterns == [
        (
            ("aws.cloudwatch",),
            ("CloudWatch Alarm State Change", "CloudWatch Alarm Contributor State Change"),
        ),
        (("aws.dynamodb", "aws.dax"), ("AWS API Call via CloudTrail",)),
    ]
    for rule in _rules(member).values():
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": "CentralEventBusArn"}
        assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardEventsRole", "Arn"]}


def test_eventbridge_may_put_events_only_on_the_central_bus(member: dict[str, Any]) -> None:
    role = member["Resources"]["ForwardEventsRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    (statement,) = _statements(role)
    assert statement["Action"] == ["events:PutEvents"]
    assert statement["Resource"] == {"Ref": "CentralEventBusArn"}


def test_the_member_template_passes_cfn_lint() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--", str(MEMBER)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_script_lints_the_member_template() -> None:
    script = (ROOT / "scripts" / "package.sh").read_text(encoding="utf-8")
    assert '"$CFN_LINT" -- deploy/member-account.yml' in script


# ---- central side ----------------------------------------------------------------------


def test_the_bus_policy_fragment_exists_only_when_member_accounts_are_configured() -> None:
    fragment = load_cfn(ORGANISATION)
    assert fragment["Conditions"] == {
        "HasMemberAccounts": {"Fn::Not": [{"Fn::Equals": [{"Ref": "MemberAccountIds"}, ""]}]}
    }
    assert fragment["Parameters"]["MemberAccountIds"]["Default"] == "${param:memberAccountIds, ''}"
    policy = fragment["Resources"]["MemberAccountsEventBusPolicy"]
    assert policy["Condition"] == "HasMemberAccounts"


def test_the_packaged_bus_policy_accepts_only_the_configured_accounts(
    template: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    (policy,) = of_type(resources, "AWS::Events::EventBusPolicy").values()
    assert policy["Condition"] == "HasMemberAccounts"
    assert template["Conditions"]["HasMemberAccounts"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MemberAccountIds"}, ""]}]
    }
    parameter = template["Parameters"]["MemberAccountIds"]
    assert parameter["Default"] == "", "no member accounts unless the param names them"
    assert parameter["AllowedPattern"] == "^(\\d{12}(,\\d{12})*)?$"
    properties = policy["Properties"]
    assert properties["EventBusName"] == "default"
    statement = properties["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    assert statement["Principal"] == {"AWS": {"Fn::Split": [",", {"Ref": "MemberAccountIds"}]}}
