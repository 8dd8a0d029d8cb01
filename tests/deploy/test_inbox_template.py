"""The packaged template lets a trail bucket announce its log files to the inbox itself."""

from __future__ import annotations

from typing import Any

from tests.deploy.test_template import getatt_target, of_type, resources, template

__all__ = ["resources", "template"]  # fixtures re-used from test_template


def test_trail_buckets_object_created_events_reach_the_inbox_with_a_dead_letter_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    (rule,) = [
        r["Properties"]
        for r in of_type(resources, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.s3"]
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == ["opsbot-trail-logs"]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "AWSLogs/"}]
    (target,) = rule["Targets"]
    assert getatt_target(target["Arn"]) == "SnsInboxLambdaFunction"
    assert getatt_target(target["DeadLetterConfig"]["Arn"]) == "AuditDLQ"


def test_the_inbox_may_read_only_the_trail_buckets_log_objects(
    resources: dict[str, dict[str, Any]],
) -> None:
    policies = resources["SnsInboxIamRoleLambdaExecution"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    (read,) = [s for s in statements if "s3:GetObject" in s["Action"]]
    assert read["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::opsbot-trail-logs/AWSLogs/*"}
