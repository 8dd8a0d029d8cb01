"""The packaged template wires alarm notifications: SNS topic, EventBridge rule, DLQs."""

from __future__ import annotations

from typing import Any

from tests.deploy.test_template import getatt_target, of_type, resources, template

__all__ = ["resources", "template"]  # fixtures re-used from test_template


def test_alarm_topic_is_subscribed_by_the_alarms_function(
    resources: dict[str, dict[str, Any]],
) -> None:
    subscriptions = [
        s["Properties"]
        for s in of_type(resources, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "AlarmsTopic"}
    ]
    assert [getatt_target(s["Endpoint"]) for s in subscriptions] == ["AlarmsLambdaFunction"]
    own, members = resources["AlarmsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert own["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert own["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # Alarms that `/ddb alarms recommend` creates in member accounts notify this topic too,
    # and only when member accounts are configured.
    condition, statement, otherwise = members["Fn::If"]
    assert (condition, otherwise) == ("HasMemberAccounts", {"Ref": "AWS::NoValue"})
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Fn::Split": [",", {"Ref": "MemberAccountIds"}]}}
    }


def test_alarm_state_changes_reach_the_function_with_a_dead_letter_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    rules = [
        r["Properties"]
        for r in of_type(resources, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.cloudwatch"]
    ]
    assert len(rules) == 1
    # Contributor state changes (Metrics Insights GROUP BY alarms: one per table) too.
    assert rules[0]["EventPattern"]["detail-type"] == [
        "CloudWatch Alarm State Change",
        "CloudWatch Alarm Contributor State Change",
    ]
    (target,) = rules[0]["Targets"]
    assert getatt_target(target["Arn"]) == "AlarmsLambdaFunction"
    assert getatt_target(target["DeadLetterConfig"]["Arn"]) == "AlarmsDLQ"


def test_failed_async_invocations_go_to_the_alarms_dlq(
    resources: dict[str, dict[str, Any]],
) -> None:
    (config,) = [
        c["Properties"]
        for c in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": "AlarmsLambdaFunction"}
    ]
    assert getatt_target(config["DestinationConfig"]["OnFailure"]["Destination"]) == "AlarmsDLQ"
    assert config["MaximumRetryAttempts"] == 2
    alarmed = [
        a
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and getatt_target(a["Properties"]["Dimensions"][0]["Value"]) == "AlarmsDLQ"
    ]
    assert len(alarmed) == 1


def test_the_worker_points_recommended_alarms_at_the_alarm_topic(
    resources: dict[str, dict[str, Any]],
) -> None:
    env = resources["SlackWorkerLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OPSBOT_ALARM_TOPIC_ARN"] == {"Ref": "AlarmsTopic"}
