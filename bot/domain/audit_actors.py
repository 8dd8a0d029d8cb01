"""Who made a CloudTrail call and how: the Actor read from ``userIdentity``, and the kind of
client (console, AWS CLI, an SDK, an AWS service, ...) read from the user agent.

Names and user agents come from the caller of the AWS API: everything here is plain,
unescaped text, which renderers must escape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from bot.domain.cloudtrail_records import as_bool, as_dict, as_text
from bot.domain.records import frozen


@frozen
class Actor:
    """Who made a call: an IAM user, a role session, the root user or an AWS service."""

    identity_type: str
    name: str  # IAM user name, role session name, "root", or the service principal
    role: str | None = None  # the session issuer (role) name for assumed roles
    arn: str | None = None
    account: str | None = None
    mfa: bool | None = None  # None when CloudTrail does not say
    via: str | None = None  # AWS service that made the call on the actor's behalf (invokedBy)
    slack_user: str | None = None  # set when the call was made by opsbot for a Slack user
    approved_by: str | None = None  # the second person, for actions `[approvals]` names

    @property
    def service(self) -> str | None:
        """The AWS service that made the call on its own ('dynamodb.application-autoscaling.
        amazonaws.com'): a service principal, a call ``invokedBy`` a service, or a
        service-linked role. None for people, and for CloudFormation, which acts for whoever
        deployed the stack."""
        via = (self.via or "").strip().lower()
        if via and via not in _ACTS_FOR_PEOPLE:
            return via
        if self.identity_type == "AWSService":
            return self.name
        if self.role and self.role.startswith("AWSServiceRoleFor") and not via:
            return self.role
        return None

    @property
    def label(self) -> str:
        """Plain text: 'bob (DataAdmin)', '@U123 via opsbot', 'AWS service backup.amazonaws.com',
        'Application Auto Scaling (AWS service)'."""
        if self.slack_user:
            approved = f" (approved by @{self.approved_by})" if self.approved_by else ""
            return f"@{self.slack_user}{approved} via opsbot"
        if self.identity_type == "AWSService":
            return f"AWS service {self.name}"
        if self.service:
            return f"{service_name(self.service)} (AWS service)"
        if self.role and self.role != self.name:
            return f"{self.name} ({self.role})"
        return self.name


# Services whose calls are a person's (a stack deployment, the console's sign-in).
_ACTS_FOR_PEOPLE: Final = frozenset(
    {"cloudformation.amazonaws.com", "signin.amazonaws.com", "console.amazonaws.com"}
)
_SERVICE_NAMES: Final = {
    "application-autoscaling": "Application Auto Scaling",
    "dynamodb.application-autoscaling": "Application Auto Scaling",
    "backup": "AWS Backup",
    "replication.dynamodb": "DynamoDB global tables replication",
    "dynamodb": "DynamoDB",
    "dax": "DAX",
    "glue": "AWS Glue",
    "lambda": "AWS Lambda",
    "config": "AWS Config",
    "resource-explorer-2": "Resource Explorer",
    "access-analyzer": "IAM Access Analyzer",
    "kinesis": "Kinesis",
    "aws internal": "AWS (internal)",
}


def service_name(service: str) -> str:
    """'dynamodb.application-autoscaling.amazonaws.com' -> 'Application Auto Scaling'; a
    service-linked role 'AWSServiceRoleForX_Y' -> 'X'; other hosts without their suffix."""
    host = service.strip().lower().removesuffix(".amazonaws.com")
    if host in _SERVICE_NAMES:
        return _SERVICE_NAMES[host]
    if service.startswith("AWSServiceRoleFor"):
        return service.removeprefix("AWSServiceRoleFor").split("_", 1)[0] or service
    return host or service


def _arn_name(arn: str | None, parts: int) -> str | None:
    """The name after the first ``parts`` path elements of an ARN's resource."""
    if not arn or arn.count(":") < 5:
        return None
    resource = arn.split(":", 5)[5]
    pieces = resource.split("/", parts)
    return pieces[parts] if len(pieces) > parts and pieces[parts] else None


def actor_of(record: Mapping[str, Any]) -> Actor:
    """The identity that made the call, from ``userIdentity`` (tolerates it being absent)."""
    identity = as_dict(record.get("userIdentity"))
    kind = as_text(identity.get("type")) or "Unknown"
    arn = as_text(identity.get("arn"))
    account = as_text(identity.get("accountId"))
    via = as_text(identity.get("invokedBy"))
    session = as_dict(identity.get("sessionContext"))
    issuer = as_dict(session.get("sessionIssuer"))
    mfa = as_bool(as_dict(session.get("attributes")).get("mfaAuthenticated"))
    role = as_text(issuer.get("userName"))
    principal = as_text(identity.get("principalId"))
    name: str | None
    if kind == "Root":
        name = "root"
    elif kind == "AWSService":
        name = via or as_text(identity.get("principalId")) or "AWS service"
    elif kind in {"AssumedRole", "FederatedUser"}:
        # The session name follows the role in the ARN (assumed-role/<role>/<session>).
        name = _arn_name(arn, 2 if kind == "AssumedRole" else 1)
        if not name and principal and ":" in principal:
            name = principal.split(":", 1)[1]
    else:
        name = as_text(identity.get("userName")) or _arn_name(arn, 1)
    if not name:
        name = as_text(identity.get("userName")) or principal or account or "unknown"
    return Actor(
        identity_type=kind, name=name, role=role, arn=arn, account=account, mfa=mfa, via=via
    )


# Checked in order: the first matching marker names the client.
_CLIENT_MARKERS: Final = (
    ("terraform", "Terraform"),
    ("pulumi", "Pulumi"),
    ("cloudformation", "CloudFormation"),
    ("aws-cdk", "CloudFormation"),
    ("aws-cli/", "AWS CLI"),
    ("aws internal", "console"),
    ("console.aws.amazon.com", "console"),
    ("console.amazonaws.com", "console"),
    ("aws console", "console"),
    ("awsconsole", "console"),
    ("signin.amazonaws.com", "console"),
    ("boto3/", "SDK (boto3)"),
    ("botocore/", "SDK (boto3)"),
    ("aws-sdk-java", "SDK (Java)"),
    ("aws-sdk-go", "SDK (Go)"),
    ("aws-sdk-js", "SDK (JavaScript)"),
    ("aws-sdk-nodejs", "SDK (JavaScript)"),
    ("aws-sdk-dotnet", "SDK (.NET)"),
    ("aws-sdk-rust", "SDK (Rust)"),
    ("aws-sdk-ruby", "SDK (Ruby)"),
    ("aws-sdk-php", "SDK (PHP)"),
    ("mozilla/", "console"),
)
# The console's own service hosts (console.dynamodb.amazonaws.com, ...) are people, not services.
_CONSOLE_HOST = re.compile(r"^console\.[a-z0-9.-]*amazon(aws)?\.com$")


def describe_client(user_agent: str | None, invoked_by: str | None = None) -> str:
    """The kind of client from the user agent: 'console', 'AWS CLI', 'SDK (boto3)', ...

    A call made by an AWS service (``invokedBy``, or a service host as the user agent) is
    ``AWS service (<service>)``; CloudFormation is named as such.
    """
    agent = (user_agent or "").strip().lower()
    service = (invoked_by or "").strip().lower()
    if service == "cloudformation.amazonaws.com":
        return "CloudFormation"
    if service:
        return f"AWS service ({service})"
    if _CONSOLE_HOST.match(agent):
        return "console"
    for marker, kind in _CLIENT_MARKERS:
        if marker in agent:
            return kind
    if re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com", agent):
        return f"AWS service ({agent})"
    return "other"
