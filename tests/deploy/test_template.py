"""Assertions on the packaged CloudFormation template and Lambda bundle (DESIGN.md §5, §9).

These run on the output of `scripts/package.sh` (osls package, offline). They never skip: a
missing template is a failure that says how to make it.

Adding a function to serverless.yml means adding a row to FUNCTIONS below (its handler,
timeout and the exact IAM actions it may use); test_functions_match_table fails until then.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".serverless"
TEMPLATE = BUILD / "cloudformation-template-update-stack.json"
BUNDLE = BUILD / "opsbot.zip"
SERVERLESS_YML = ROOT / "serverless.yml"

# Actions osls / serverless-iam-roles-per-function add to every function role.
FRAMEWORK_ACTIONS = frozenset({"logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents"})
# ...and to a function with an SQS event source, on that queue only.
SQS_CONSUMER_ACTIONS = frozenset(
    {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
)

# Actions that may be granted on Resource "*": the Service Authorization Reference lists no
# resource type for them, so AWS accepts nothing narrower. Keep this tiny; each entry is
# checked against cfn-lint's copy of that reference (test_resource_star_allowlist_is_honest).
RESOURCE_STAR_OK = frozenset(
    {
        "dynamodb:ListBackups",  # filters by TableName in the request, not by ARN
        "dynamodb:ListTables",
        "dynamodb:ListGlobalTables",
        "dynamodb:DescribeLimits",
        "cloudtrail:LookupEvents",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricWidgetImage",  # the alarm's chart; no resource type
        "application-autoscaling:DescribeScalableTargets",  # filters by ResourceIds
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
)
# The reference lists an optional resource type for these, but the metric data they read
# has no ARN (only cross-account `dataset`s do), so AWS-namespace metrics need "*".
RESOURCE_STAR_DESPITE_TYPES = frozenset({"cloudwatch:GetMetricData"})

ALARM_TOPIC = "OpsAlertsTopic"
LOG_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Fn:
    """One row per function in serverless.yml: what the packaged template must say."""

    name: str  # key under `functions:` in serverless.yml
    handler: str
    timeout: int
    # Every action the function's role may allow, besides FRAMEWORK_ACTIONS.
    actions: frozenset[str]

    @property
    def logical_id(self) -> str:
        return f"{self.name[0].upper()}{self.name[1:]}LambdaFunction"

    @property
    def role_id(self) -> str:
        return f"{self.name[0].upper()}{self.name[1:]}IamRoleLambdaExecution"


FUNCTIONS = [
    Fn(
        name="slackHttp",
        handler="functions/slack_http.handler",
        timeout=10,
        actions=frozenset({"sqs:SendMessage", "secretsmanager:GetSecretValue"}),
    ),
    Fn(
        name="slackWorker",
        handler="functions/slack_worker.handler",
        timeout=300,
        actions=SQS_CONSUMER_ACTIONS
        | {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:ListBackups",
            "cloudwatch:DescribeAlarms",
            "secretsmanager:GetSecretValue",
            # `/ddb replicas`, status risks, App Home
            "dynamodb:DescribeGlobalTable",
            "cloudwatch:GetMetricData",
            "dynamodb:ListTables",
            "dynamodb:ListTagsOfResource",
            # `/ddb backup`, a confirmed `/ddb prune` (and its `--all` fan-out)
            "dynamodb:CreateBackup",
            "dynamodb:DeleteBackup",
            "sqs:SendMessage",
            # `/ddb alarms recommend` creates the recommended alarms
            "cloudwatch:PutMetricAlarm",
            # `/ddb restore` checks (restoreWatcher starts it), `/ddb pitr`, Copy settings
            "dynamodb:DescribeBackup",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:TagResource",
            "dynamodb:UpdateTable",
            # `/ddb who-changed` before the history covers the window (and its attribution)
            "cloudtrail:LookupEvents",
            "dynamodb:BatchGetItem",
            # tables in member accounts (the role deploy/member-account.yml creates)
            "sts:AssumeRole",
            # `/ddb import` sizes its source at confirmation (export buckets only)
            "s3:ListBucket",
            # `/ddb replicas add` checks a provisioned table's write auto scaling
            "application-autoscaling:DescribeScalableTargets",
        },
    ),
    Fn(
        name="alarms",
        handler="functions/alarms.handler",
        timeout=60,
        actions=frozenset(
            {
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchGetItem",  # incident, silence and the table's context item
                "dynamodb:ListTagsOfResource",  # the table's opsbot:owner tag, when unknown
                "cloudwatch:GetMetricData",
                "cloudwatch:GetMetricWidgetImage",  # the chart in a firing alarm's thread
                "secretsmanager:GetSecretValue",
                "sqs:SendMessage",  # the on-failure destination (AlarmsDLQ)
                "sts:AssumeRole",  # member accounts' alarm datapoints
            }
        ),
    ),
    Fn(
        name="pruneScheduler",
        handler="functions/prune_scheduler.handler",
        timeout=900,
        actions=frozenset(
            {
                "dynamodb:ListTables",
                "sqs:SendMessage",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "secretsmanager:GetSecretValue",
                "sts:AssumeRole",  # tables of member accounts
            }
        ),
    ),
    Fn(
        name="drillScheduler",
        handler="functions/drill_scheduler.handler",
        timeout=900,
        actions=frozenset(
            {
                "dynamodb:ListTables",
                "dynamodb:ListBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:ListTagsOfResource",
                "dynamodb:DescribeBackup",
                "sqs:SendMessage",  # each drill's check 0; the on-failure destination
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "secretsmanager:GetSecretValue",
                "sts:AssumeRole",  # tables of member accounts
            }
        ),
    ),
    Fn(
        name="pruneWorker",
        handler="functions/prune_worker.handler",
        timeout=900,
        actions=SQS_CONSUMER_ACTIONS
        | {
            "dynamodb:ListBackups",
            "dynamodb:ListTagsOfResource",  # the worker resolves its table's policy
            "dynamodb:DeleteBackup",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "secretsmanager:GetSecretValue",
            "sts:AssumeRole",  # backups of member accounts
        },
    ),
    Fn(
        name="restoreWatcher",
        handler="functions/restore_watcher.handler",
        timeout=60,
        actions=SQS_CONSUMER_ACTIONS
        | {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",  # restores in progress, counted against AWS's limit
            "dynamodb:DescribeTable",
            "sqs:SendMessage",  # the next check
            "secretsmanager:GetSecretValue",
            "sts:AssumeRole",  # restores in member accounts
            # check 0 re-validates and starts the restore (with the item actions AWS asks
            # for on the new table)
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeBackup",
            "dynamodb:ListBackups",
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:RestoreTableFromBackup",
            "dynamodb:Scan",
            "dynamodb:BatchWriteItem",
            # check 0 of an export starts it, later checks follow it; S3 only on the
            # `[exports] buckets` of opsbot.toml (test_s3_access_is_only_to_the_export_buckets)
            "dynamodb:ExportTableToPointInTime",
            "dynamodb:DescribeExport",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:PutObjectAcl",
            "s3:GetBucketLocation",
            # check 0 of an import starts it (creating its table and the error log group),
            # later checks follow it; it reads objects only from the export buckets
            "dynamodb:ImportTable",
            "dynamodb:DescribeImport",
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "s3:GetObject",
            "s3:ListBucket",
            # (and logs:CreateLogGroup/CreateLogStream/PutLogEvents, framework actions here,
            # on /aws-dynamodb/* for the import's error log)
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:PutRetentionPolicy",
            # check 0 of a replica change re-checks and calls UpdateTable ReplicaUpdates;
            # later checks read the replica's lag
            "dynamodb:CreateTableReplica",
            "dynamodb:DeleteTableReplica",
            "dynamodb:DeleteTable",  # only aws:CalledVia dynamodb.amazonaws.com
            "dynamodb:DescribeGlobalTable",
            "application-autoscaling:DescribeScalableTargets",
            "cloudwatch:GetMetricData",
            "iam:CreateServiceLinkedRole",  # DynamoDB's replication role, once per account
            # restore drills: read a sample of the scratch copy, delete it, find leftovers
            "dynamodb:BatchGetItem",
            "dynamodb:ListTables",
        },
    ),
]
FUNCTIONS += [
    Fn(
        name="cloudtrail",
        handler="functions/cloudtrail.handler",
        timeout=60,
        actions=frozenset(
            {
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchGetItem",  # the bot's own actions (REQ# items)
                "secretsmanager:GetSecretValue",
                "sqs:SendMessage",  # the on-failure destination (AuditDLQ)
            }
        ),
    ),
    Fn(
        name="snsInbox",
        handler="functions/sns_inbox.handler",
        timeout=300,
        actions=frozenset(
            {
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",  # a log file's events, 25 a call
                "dynamodb:Query",
                "s3:GetObject",  # CloudTrail log files, trail bucket AWSLogs/* only
                "cloudwatch:GetMetricData",  # the alarm path's datapoints
                "cloudwatch:GetMetricWidgetImage",  # ...and its chart
                "dynamodb:ListTagsOfResource",  # the alarm path's table owner tag
                "sts:AssumeRole",  # ...of alarms in member accounts
                "secretsmanager:GetSecretValue",
                "sqs:SendMessage",  # the on-failure destination (AuditDLQ)
            }
        ),
    ),
]
FN_IDS = [f.name for f in FUNCTIONS]


# --- loading --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    if not TEMPLATE.is_file():
        pytest.fail(
            f"{TEMPLATE.relative_to(ROOT)} is missing: run scripts/package.sh first",
            pytrace=False,
        )
    return json.loads(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return template["Resources"]


def of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def getatt_target(value: Any) -> str | None:
    """The logical id in {"Fn::GetAtt": [id, attr]} or {"Ref": id}, else None."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        if "Ref" in value:
            return str(value["Ref"])
    return None


def role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        stmt
        for policy in role["Properties"].get("Policies", [])
        for stmt in as_list(policy["PolicyDocument"]["Statement"])
    ]


def all_policy_statements(resources: dict[str, dict[str, Any]]) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    for rid, res in resources.items():
        if res["Type"] == "AWS::IAM::Role":
            found += [(rid, s) for s in role_statements(res)]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            doc = res["Properties"]["PolicyDocument"]
            found += [(rid, s) for s in as_list(doc["Statement"])]
    return found


# --- functions (one case per function) ----------------------------------------------------


def test_functions_match_table(resources: dict[str, dict[str, Any]]) -> None:
    packaged = set(of_type(resources, "AWS::Lambda::Function"))
    assert packaged == {f.logical_id for f in FUNCTIONS}, (
        "functions in serverless.yml and FUNCTIONS in this test differ"
    )


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
def test_function_runtime(resources: dict[str, dict[str, Any]], fn: Fn) -> None:
    props = resources[fn.logical_id]["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == fn.handler
    assert props["Timeout"] == fn.timeout


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
def test_function_has_own_role(resources: dict[str, dict[str, Any]], fn: Fn) -> None:
    props = resources[fn.logical_id]["Properties"]
    assert getatt_target(props["Role"]) == fn.role_id
    assert resources[fn.role_id]["Type"] == "AWS::IAM::Role"
    others = [f.logical_id for f in FUNCTIONS if f is not fn]
    assert all(getatt_target(resources[o]["Properties"]["Role"]) != fn.role_id for o in others)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
def test_function_role_allows_exactly_its_actions(
    resources: dict[str, dict[str, Any]], fn: Fn
) -> None:
    statements = role_statements(resources[fn.role_id])
    allowed = {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert allowed - FRAMEWORK_ACTIONS == fn.actions


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
def test_function_log_group_has_retention(resources: dict[str, dict[str, Any]], fn: Fn) -> None:
    name = resources[fn.logical_id]["Properties"]["FunctionName"]
    groups = [
        g
        for g in of_type(resources, "AWS::Logs::LogGroup").values()
        if g["Properties"]["LogGroupName"] == f"/aws/lambda/{name}"
    ]
    assert len(groups) == 1, f"no log group for {name}"
    assert groups[0]["Properties"]["RetentionInDays"] == LOG_RETENTION_DAYS


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_function_alarm(resources: dict[str, dict[str, Any]], fn: Fn, metric: str) -> None:
    alarms = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/Lambda"
        and a["Properties"].get("MetricName") == metric
        and any(
            d["Name"] == "FunctionName" and getatt_target(d["Value"]) == fn.logical_id
            for d in a["Properties"].get("Dimensions", [])
        )
    ]
    assert len(alarms) == 1, f"expected one {metric} alarm on {fn.name}"
    assert {"Ref": ALARM_TOPIC} in alarms[0]["AlarmActions"]


SECRET_VALUE = re.compile(
    r"^(xox[abposr]-|xapp-|xoxe\.|AKIA|ASIA|-----BEGIN)|^[0-9a-f]{32}$",
)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=FN_IDS)
def test_function_environment_holds_no_secret(resources: dict[str, dict[str, Any]], fn: Fn) -> None:
    env = resources[fn.logical_id]["Properties"]["Environment"]["Variables"]
    for name, value in env.items():
        if not isinstance(value, str):
            continue  # Ref / GetAtt / Sub: resolved by CloudFormation, not a literal
        assert not SECRET_VALUE.search(value), f"{name} looks like a secret value"
        if re.search(r"TOKEN|SECRET|PASSWORD|KEY", name):
            # Must be a Secrets Manager name / id / ARN, never the secret itself.
            assert re.fullmatch(r"(arn:[\w-]+:secretsmanager:\S+|[\w/+=.@-]{1,512})", value), (
                f"{name}={value!r} is not a secret name or ARN"
            )
    assert env["OPSBOT_SLACK_SECRET_ID"] == "opsbot/slack"
    assert env["POWERTOOLS_SERVICE_NAME"] == "opsbot"
    assert env["OPSBOT_CONFIG"] == "opsbot.toml"


def test_no_function_uses_the_shared_default_role(resources: dict[str, dict[str, Any]]) -> None:
    # osls still emits IamRoleLambdaExecution; per-function roles must replace it everywhere.
    for fid, res in of_type(resources, "AWS::Lambda::Function").items():
        assert getatt_target(res["Properties"]["Role"]) != "IamRoleLambdaExecution", fid


# --- IAM (all statements of all roles and policies) -------------------------------------------


def test_no_wildcard_actions(resources: dict[str, dict[str, Any]]) -> None:
    offenders = [
        (rid, action)
        for rid, stmt in all_policy_statements(resources)
        for action in as_list(stmt.get("Action", []))
        if "*" in action
    ]
    offenders += [
        (rid, "NotAction") for rid, s in all_policy_statements(resources) if "NotAction" in s
    ]
    assert offenders == []


def test_resource_star_only_where_aws_requires_it(resources: dict[str, dict[str, Any]]) -> None:
    offenders = [
        (rid, action)
        for rid, stmt in all_policy_statements(resources)
        if stmt["Effect"] == "Allow" and "*" in as_list(stmt["Resource"])
        for action in as_list(stmt["Action"])
        if action not in RESOURCE_STAR_OK
    ]
    assert offenders == []


ITEM_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
    }
)
STATE_TABLE = [{"Fn::GetAtt": ["StateTable", "Arn"]}, {"Fn::Sub": "${StateTable.Arn}/index/*"}]


def test_only_the_restore_function_may_touch_items_of_tables_other_than_the_state_table(
    resources: dict[str, dict[str, Any]],
) -> None:
    """AWS asks a restore's caller for item actions on the new table, any name the user
    picks: only the function that starts restores, which reads nothing but its own queue,
    holds them. The Slack worker, which runs what users type, does not."""
    holders = {
        rid
        for rid, stmt in all_policy_statements(resources)
        if stmt["Effect"] == "Allow"
        and ITEM_ACTIONS & set(as_list(stmt["Action"]))
        and [r for r in as_list(stmt["Resource"]) if r not in STATE_TABLE]
    }
    assert holders == {"RestoreWatcherIamRoleLambdaExecution"}


DRILL_TABLES = {
    "Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/opsbot-drill-*"
}


def test_only_the_follow_up_function_may_delete_tables_drill_scratch_or_removed_replicas(
    resources: dict[str, dict[str, Any]],
) -> None:
    """DeleteTable is granted to the follow-up function alone, twice and no more: on table
    ARNs in the drills' reserved namespace (a drill deletes its scratch table), and on any
    table only through DynamoDB (aws:CalledVia), which deletes a removed replica's table on
    the caller's behalf."""
    grants = [
        (rid, stmt)
        for rid, stmt in all_policy_statements(resources)
        if stmt["Effect"] == "Allow" and "dynamodb:DeleteTable" in as_list(stmt["Action"])
    ]
    assert [rid for rid, _ in grants] == ["RestoreWatcherIamRoleLambdaExecution"] * 2
    drills = [stmt for _, stmt in grants if stmt["Resource"] == DRILL_TABLES]
    replicas = [stmt for _, stmt in grants if stmt["Resource"] != DRILL_TABLES]
    assert len(drills) == 1
    assert "Condition" not in drills[0]
    (removal,) = replicas
    assert as_list(removal["Action"]) == ["dynamodb:DeleteTable"]
    assert removal["Condition"] == {
        "ForAnyValue:StringEquals": {"aws:CalledVia": "dynamodb.amazonaws.com"}
    }
    assert not any(
        "dynamodb:DeleteTable" in as_list(stmt.get("NotAction", []))
        for _, stmt in all_policy_statements(resources)
    )


def test_a_restore_start_reaches_the_dlq_before_restores_call_it_stuck(
    resources: dict[str, dict[str, Any]],
) -> None:
    """`/ddb restores` stops counting a confirmed restore as about to start after
    START_GRACE: by then the queue must have given up on its check 0."""
    from bot.domain.restore_jobs import START_GRACE

    queue = resources["RestoreWatchQueue"]["Properties"]
    attempts = queue["RedrivePolicy"]["maxReceiveCount"]
    assert attempts * queue["VisibilityTimeout"] < START_GRACE.total_seconds()


def test_resource_star_allowlist_is_honest() -> None:
    """Each allowlisted action exists, and AWS really lists no resource type for it."""
    policies = json.loads(
        files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text()
    )
    for action in sorted(RESOURCE_STAR_OK):
        service, name = action.split(":")
        actions = {k.lower(): v for k, v in policies[service]["Actions"].items()}
        assert name.lower() in actions, f"{action} is not an IAM action"
        if action not in RESOURCE_STAR_DESPITE_TYPES:
            assert not actions[name.lower()].get("Resources"), f"{action} takes an ARN"


def s3_grants(role: dict[str, Any]) -> dict[str, set[str]]:
    """Each S3 action a role allows -> the resources it is allowed on."""
    granted: dict[str, set[str]] = {}
    for stmt in role_statements(role):
        for action in as_list(stmt["Action"]):
            if action.startswith("s3:") and stmt["Effect"] == "Allow":
                arns = {r["Fn::Sub"] for r in as_list(stmt["Resource"])}
                granted.setdefault(action, set()).update(arns)
    return granted


def test_s3_access_for_exports_and_imports_is_only_to_the_export_buckets(
    resources: dict[str, dict[str, Any]],
) -> None:
    """An export copies all of a table's data: the function that starts exports and imports
    may write and read objects only in the buckets opsbot.toml names; the Slack worker may
    only list them (an import's size at confirmation)."""
    from bot.settings import load_settings

    buckets = load_settings(ROOT / "opsbot.toml", environ={}).export_buckets
    assert buckets, "opsbot.toml names an example export bucket, so the template grants one"
    objects = {f"arn:${{AWS::Partition}}:s3:::{b}/*" for b in buckets}
    bucket_arns = {f"arn:${{AWS::Partition}}:s3:::{b}" for b in buckets}
    assert s3_grants(resources["RestoreWatcherIamRoleLambdaExecution"]) == {
        "s3:PutObject": objects,
        "s3:AbortMultipartUpload": objects,
        "s3:PutObjectAcl": objects,
        "s3:GetObject": objects,
        "s3:GetBucketLocation": bucket_arns,
        "s3:ListBucket": bucket_arns,
    }
    assert s3_grants(resources["SlackWorkerIamRoleLambdaExecution"]) == {
        "s3:ListBucket": bucket_arns
    }
    writers = {
        rid
        for rid, stmt in all_policy_statements(resources)
        if stmt["Effect"] == "Allow" and "s3:PutObject" in as_list(stmt["Action"])
    }
    assert writers == {"RestoreWatcherIamRoleLambdaExecution"}


def test_secret_access_is_scoped_to_the_slack_secret(resources: dict[str, dict[str, Any]]) -> None:
    grants = [
        stmt["Resource"]
        for _, stmt in all_policy_statements(resources)
        if "secretsmanager:GetSecretValue" in as_list(stmt["Action"])
    ]
    assert grants, "no function may read the Slack secret"
    for resource in grants:
        arn = resource["Fn::Sub"]
        # Secrets Manager appends -XXXXXX (6 characters) to the name in the ARN.
        assert arn.endswith(":secret:opsbot/slack-??????"), arn


# --- state table -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state_table(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return resources["StateTable"]


def test_state_table_is_protected(state_table: dict[str, Any]) -> None:
    props = state_table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert state_table["DeletionPolicy"] == "Retain"
    assert state_table["UpdateReplacePolicy"] == "Retain"


def test_state_table_shape(state_table: dict[str, Any]) -> None:
    props = state_table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} >= {
        ("pk", "S"),
        ("sk", "S"),
    }


# --- queues, DLQs, alarms ----------------------------------------------------------------------


def sqs_event_sources(resources: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(queue logical id, function logical id) for every SQS event source mapping."""
    queues = of_type(resources, "AWS::SQS::Queue")
    pairs = []
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        queue = getatt_target(mapping["Properties"]["EventSourceArn"])
        if queue in queues:
            pairs.append((queue, getatt_target(mapping["Properties"]["FunctionName"]) or ""))
    return pairs


def test_every_queue_event_source_has_a_dlq(resources: dict[str, dict[str, Any]]) -> None:
    pairs = sqs_event_sources(resources)
    assert pairs, "expected at least the WorkQueue -> slackWorker event source"
    for queue, function in pairs:
        props = resources[queue]["Properties"]
        redrive = props.get("RedrivePolicy")
        assert redrive, f"{queue} has no RedrivePolicy"
        dlq = getatt_target(redrive["deadLetterTargetArn"])
        assert resources[dlq]["Type"] == "AWS::SQS::Queue"
        assert 1 <= int(redrive["maxReceiveCount"]) <= 10
        # AWS guidance: visibility timeout >= 6x the consumer function's timeout.
        timeout = resources[function]["Properties"]["Timeout"]
        assert int(props["VisibilityTimeout"]) >= 6 * timeout, queue
        # A message keeps its enqueue time when moved: the DLQ must keep it longer.
        source_retention = int(props.get("MessageRetentionPeriod", 345600))
        dlq_retention = int(resources[dlq]["Properties"].get("MessageRetentionPeriod", 345600))
        assert dlq_retention > source_retention, dlq


def test_the_prune_queue_is_fifo_with_a_fifo_dlq_and_async_failures_go_to_standard_queues(
    resources: dict[str, dict[str, Any]],
) -> None:
    # One message group per account and region holds AWS's per-account-region rates.
    props = resources["PruneQueue"]["Properties"]
    assert props["FifoQueue"] is True
    dlq = getatt_target(props["RedrivePolicy"]["deadLetterTargetArn"])
    assert dlq
    assert resources[dlq]["Properties"]["FifoQueue"] is True
    # Lambda cannot send an asynchronous invocation's record to a FIFO queue.
    for config in of_type(resources, "AWS::Lambda::EventInvokeConfig").values():
        failure = config["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
        target = getatt_target(failure.get("Destination"))
        if target in resources and resources[target]["Type"] == "AWS::SQS::Queue":
            assert not resources[target]["Properties"].get("FifoQueue"), target


def test_every_sqs_event_source_reports_batch_item_failures(
    resources: dict[str, dict[str, Any]],
) -> None:
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        assert mapping["Properties"].get("FunctionResponseTypes") == ["ReportBatchItemFailures"]


def test_every_dlq_has_a_depth_alarm(resources: dict[str, dict[str, Any]]) -> None:
    dlqs = {
        getatt_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    assert dlqs, "expected at least WorkDLQ"
    alarmed = {
        getatt_target(d["Value"])
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SQS"
        and a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Ref": ALARM_TOPIC} in a["Properties"].get("AlarmActions", [])
        for d in a["Properties"]["Dimensions"]
        if d["Name"] == "QueueName"
    }
    assert dlqs <= alarmed, f"DLQs without a depth alarm: {sorted(dlqs - alarmed)}"


ASYNC_PRINCIPALS = frozenset({"sns.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"})


def async_functions(resources: dict[str, dict[str, Any]]) -> set[str]:
    """Functions something invokes asynchronously (SNS, EventBridge rules and schedules, S3)."""
    return {
        getatt_target(p["Properties"]["FunctionName"]) or ""
        for p in of_type(resources, "AWS::Lambda::Permission").values()
        if p["Properties"].get("Principal") in ASYNC_PRINCIPALS
    }


def on_failure_queue(resources: dict[str, dict[str, Any]], function: str) -> str | None:
    """The SQS queue a function's failed async invocations land in, if it has one."""
    for config in of_type(resources, "AWS::Lambda::EventInvokeConfig").values():
        props = config["Properties"]
        if props["FunctionName"] == {"Ref": function}:
            return getatt_target(
                props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            )
    dead = resources[function]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
    return getatt_target(dead)


def test_every_asynchronously_invoked_function_has_an_on_failure_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    functions = async_functions(resources)
    assert {"AlarmsLambdaFunction", "PruneSchedulerLambdaFunction"} <= functions
    for function in functions:
        queue = on_failure_queue(resources, function)
        assert queue, f"{function}: a failed async invocation would be lost"
        assert resources[queue]["Type"] == "AWS::SQS::Queue", function


def test_every_function_may_send_to_its_on_failure_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    # Lambda delivers to an on-failure destination with the function's own role.
    for function in async_functions(resources):
        queue = on_failure_queue(resources, function)
        role = getatt_target(resources[function]["Properties"]["Role"]) or ""
        granted = [
            s
            for s in role_statements(resources[role])
            if s["Effect"] == "Allow"
            and "sqs:SendMessage" in as_list(s["Action"])
            and any(getatt_target(r) == queue for r in as_list(s["Resource"]))
        ]
        assert granted, f"{function} may not send to its on-failure queue {queue}"


def test_every_eventbridge_target_is_covered_by_a_dlq_or_an_on_failure_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    for rule_id, rule in of_type(resources, "AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            function = getatt_target(target["Arn"])
            if function not in resources or resources[function]["Type"] != "AWS::Lambda::Function":
                continue
            assert target.get("DeadLetterConfig") or on_failure_queue(resources, function), rule_id


def every_dead_letter_queue(resources: dict[str, dict[str, Any]]) -> set[str]:
    """Queues named as a DLQ or on-failure destination anywhere in the template."""
    found = {
        getatt_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    found |= {on_failure_queue(resources, f) for f in of_type(resources, "AWS::Lambda::Function")}
    for rule in of_type(resources, "AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            found.add(getatt_target(target.get("DeadLetterConfig", {}).get("Arn")))
    for subscription in of_type(resources, "AWS::SNS::Subscription").values():
        redrive = subscription["Properties"].get("RedrivePolicy") or {}
        found.add(getatt_target(redrive.get("deadLetterTargetArn")))
    return {q for q in found if q}


def test_every_dead_letter_and_on_failure_queue_has_a_depth_alarm(
    resources: dict[str, dict[str, Any]],
) -> None:
    alarmed = {
        getatt_target(d["Value"])
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/SQS"
        and a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Ref": ALARM_TOPIC} in a["Properties"].get("AlarmActions", [])
        for d in a["Properties"]["Dimensions"]
        if d["Name"] == "QueueName"
    }
    missing = every_dead_letter_queue(resources) - alarmed
    assert not missing, f"dead-letter queues without a depth alarm: {sorted(missing)}"


def test_every_alarm_reports_to_the_ops_topic(resources: dict[str, dict[str, Any]]) -> None:
    assert resources[ALARM_TOPIC]["Type"] == "AWS::SNS::Topic"
    for aid, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        assert {"Ref": ALARM_TOPIC} in alarm["Properties"].get("AlarmActions", []), aid


def test_outputs(template: dict[str, Any]) -> None:
    assert {"SlackEventsUrl", "StateTableName", "WorkQueueUrl"} <= set(template["Outputs"])


def test_slack_route(resources: dict[str, dict[str, Any]]) -> None:
    routes = [
        r["Properties"]["RouteKey"] for r in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    ]
    assert routes == ["POST /slack/events"]


def test_the_public_endpoint_is_throttled_capped_and_logged(
    resources: dict[str, dict[str, Any]],
) -> None:
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    throttle = stage["Properties"]["DefaultRouteSettings"]
    assert 0 < throttle["ThrottlingRateLimit"] <= 50
    assert throttle["ThrottlingRateLimit"] <= throttle["ThrottlingBurstLimit"] <= 100
    access = stage["Properties"]["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["HttpApiLogGroup", "Arn"]}
    fields = json.loads(access["Format"])
    assert {"ip", "status", "route", "requestId"} <= set(fields)
    assert resources["HttpApiLogGroup"]["Properties"]["RetentionInDays"] == 30
    reserved = resources["SlackHttpLambdaFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert 0 < reserved <= 50


# --- source and bundle ----------------------------------------------------------------------


def test_serverless_yml_uses_no_aws_resolved_variables() -> None:
    """${aws:}, ${ssm:}, ${cf:}, ${s3:} call AWS at package time; CI packages offline."""
    lines = SERVERLESS_YML.read_text().splitlines()
    code = [line.split(" #")[0] for line in lines if not line.lstrip().startswith("#")]
    hits = [line for line in code if re.search(r"\$\{(aws|ssm|cf|s3)(\([^)]*\))?:", line)]
    assert hits == []


@pytest.fixture(scope="module")
def bundle(template: dict[str, Any]) -> zipfile.ZipFile:
    if not BUNDLE.is_file():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: run scripts/package.sh first")
    return zipfile.ZipFile(BUNDLE)


def test_bundle_contents(bundle: zipfile.ZipFile) -> None:
    names = bundle.namelist()
    tops = {n.split("/")[0] for n in names}
    assert {"bot", "functions", "opsbot.toml", "slack_bolt", "slack_sdk"} <= tops
    assert "aws_lambda_powertools" in tops
    # Provided by the Lambda runtime (noDeploy) or never meant for Lambda.
    for unwanted in ("boto3", "botocore", "s3transfer", "tests", "benchmarks", "node_modules"):
        assert unwanted not in tops, unwanted
    own = [n for n in names if n.split("/")[0] in ("bot", "functions")]
    # Bytecode for the Lambda runtime's Python only (a developer's 3.11 caches stay out).
    stray = [n for n in own if n.endswith(".pyc") and not n.endswith(".cpython-312.pyc")]
    assert stray == []
    # The embedded runtime (moto, time-machine) and the `opsbot` command stay on laptops.
    assert [
        n for n in own if n.startswith(("bot/local/", "bot/cli.", "bot/__pycache__/cli."))
    ] == []


def lambda_python() -> str:
    """A Python 3.12 like the Lambda runtime's, found as scripts/package.sh finds it."""
    candidates = [os.environ.get("OPSBOT_PYTHON_BIN", ""), shutil.which("python3.12") or ""]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob("versions/3.12*/bin/python3.12"))
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return candidate
    # An error, not pytest.fail: benchmarks/bench_lambda_import.py calls this outside pytest.
    raise RuntimeError(
        "no Python 3.12 found (scripts/package.sh needs one too): set OPSBOT_PYTHON_BIN"
    )


# Run by Python 3.12 in the extracted bundle: every module whose bytecode 3.12 would not
# accept whatever the file times are, i.e. what a cold start would compile from source.
_BYTECODE_AUDIT = """
import importlib.util, json, pathlib, sys
bad = []
for source in sorted(pathlib.Path(".").rglob("*.py")):
    if "bin" in source.parts[:1]:
        continue  # console scripts, never imported
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        bad.append([str(source), "no bytecode"])
        continue
    data = cached.read_bytes()
    flags = int.from_bytes(data[4:8], "little")
    if data[:4] != importlib.util.MAGIC_NUMBER:
        bad.append([str(source), "bytecode of another Python"])
    elif flags != 0b11:
        bad.append([str(source), f"flags {flags}: not hash-checked"])
    elif data[8:16] != importlib.util.source_hash(source.read_bytes()):
        bad.append([str(source), "bytecode of another source"])
print(json.dumps(bad))
"""


def test_every_module_in_the_bundle_ships_bytecode_lambda_accepts(
    bundle: zipfile.ZipFile, tmp_path: Path
) -> None:
    """/var/task is read-only and osls writes fixed dates into the zip: timestamp-checked
    .pyc files never match there, and a module without valid bytecode is compiled from
    source on every cold start (typing_extensions alone takes ~34 ms)."""
    bundle.extractall(tmp_path)
    result = subprocess.run(
        [lambda_python(), "-I", "-c", _BYTECODE_AUDIT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_bundle_native_code_is_arm64(bundle: zipfile.ZipFile) -> None:
    """pip's --platform flags must have given aarch64 wheels (ELF e_machine 183)."""
    for name in bundle.namelist():
        if name.endswith(".so") or ".so." in name:
            header = bundle.read(name)[:20]
            assert header[:4] == b"\x7fELF", name
            assert int.from_bytes(header[18:20], "little") == 183, f"{name} is not aarch64"


def test_bundle_size(bundle: zipfile.ZipFile) -> None:
    # Lambda limits: 50 MB zipped (direct upload), 250 MB unzipped. Stay far below both: a
    # jump here means boto3 or a dev dependency slipped in.
    assert BUNDLE.stat().st_size < 15 * 1024 * 1024
    assert sum(i.file_size for i in bundle.infolist()) < 60 * 1024 * 1024


# What the python3.12 Lambda runtime puts on sys.path besides the bundle.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six")


def test_handlers_import_from_the_bundle_alone(bundle: zipfile.ZipFile, tmp_path: Path) -> None:
    """Import every handler with only the bundle and the runtime's own packages on sys.path.

    Catches a runtime dependency missing from requirements-lambda.txt or code left out by
    the package patterns. Uses this interpreter's copies of boto3 & co. as the runtime's.
    """
    task = tmp_path / "task"
    bundle.extractall(task)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None, f"{name} missing from the venv"
        assert spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    modules = sorted({f.handler.rsplit(".", 1)[0].replace("/", ".") for f in FUNCTIONS})
    script = (
        "import importlib, sys\n"
        # -S: no site-packages at all, as in Lambda; only the stdlib, the bundle and the runtime.
        f"sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]\n"
        f"for m in {modules!r}:\n"
        "    assert callable(importlib.import_module(m).handler), m\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OPSBOT_CONFIG": "opsbot.toml",
    }
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


MEMBER_ROLE_FUNCTIONS = (
    "slackWorker",
    "alarms",
    "pruneScheduler",
    "pruneWorker",
    "restoreWatcher",
    "drillScheduler",
    "snsInbox",
)


@pytest.mark.parametrize("name", MEMBER_ROLE_FUNCTIONS)
def test_member_account_functions_may_assume_only_the_member_role(
    resources: dict[str, dict[str, Any]], name: str
) -> None:
    fn = next(f for f in FUNCTIONS if f.name == name)
    statements = [
        s
        for p in resources[fn.role_id]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
        if "sts:AssumeRole" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert len(statements) == 1, f"{name}: one sts:AssumeRole statement"
    resource = statements[0]["Resource"]
    found = resource if isinstance(resource, list) else [resource]
    assert found == [{"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/opsbot-member"}]
