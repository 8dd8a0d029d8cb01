"""Turn what arrives on a moto SQS queue into the events Lambda would have been invoked with.

moto cannot run Lambda code without Docker, so the local runtime wires SNS topics and
EventBridge rules to queues and replays each message to the real handler in the shape AWS
uses: SNS -> Lambda (one record per invocation), EventBridge -> Lambda (the bare event) or
SQS -> Lambda (a batch). Messages are deleted only after the handler succeeded, so a failing
handler sees the message again, as with Lambda's at-least-once delivery.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Literal

Kind = Literal["auto", "sns", "eventbridge", "sqs"]
LambdaEvent = dict[str, Any]

# A batch item that failed is made visible again at once until it was received this many
# times; after that it waits out its visibility timeout.
_HANDLER_ATTEMPTS = 3

# SQS receives SNS's envelope with these keys spelt differently from the Lambda record.
_SNS_KEY_RENAMES = {"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"}
_SNS_RECORD_KEYS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertUrl",
    "UnsubscribeUrl",
    "MessageAttributes",
)
_SQS_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
)


def message_kind(message: dict[str, Any]) -> Literal["sns", "eventbridge", "sqs"]:
    """Which producer put an SQS message on the queue, judged from its body."""
    try:
        body = json.loads(message.get("Body", ""))
    except ValueError:
        return "sqs"
    if isinstance(body, dict):
        if body.get("Type") == "Notification" and "TopicArn" in body and "Message" in body:
            return "sns"
        if "detail-type" in body and "source" in body and "detail" in body:
            return "eventbridge"
    return "sqs"


def as_sns_lambda_event(
    message: dict[str, Any], *, subscription_arn: str | None = None
) -> LambdaEvent:
    """The SNS -> Lambda event for one SQS message that carries an SNS envelope."""
    envelope = json.loads(message["Body"])
    renamed = {_SNS_KEY_RENAMES.get(k, k): v for k, v in envelope.items()}
    sns: dict[str, Any] = {key: renamed.get(key) for key in _SNS_RECORD_KEYS}
    sns["MessageAttributes"] = {
        name: {"Type": attr.get("Type"), "Value": attr.get("Value")}
        for name, attr in (renamed.get("MessageAttributes") or {}).items()
    }
    topic_arn = str(sns["TopicArn"])
    if subscription_arn is None:
        # The SQS copy does not say which subscription delivered it; make up a stable one.
        digest = hashlib.sha256(topic_arn.encode()).hexdigest()
        subscription_arn = f"{topic_arn}:{uuid.UUID(digest[:32])}"
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": sns,
    }
    return {"Records": [record]}


def as_eventbridge_event(message: dict[str, Any]) -> LambdaEvent:
    """The EventBridge -> Lambda event for one SQS message fed by an EventBridge rule."""
    event = json.loads(message["Body"])
    if not isinstance(event, dict):
        raise ValueError("an EventBridge message body must be a JSON object")
    return event


def as_sqs_lambda_event(
    messages: list[dict[str, Any]], *, queue_arn: str, region: str | None = None
) -> LambdaEvent:
    """The SQS -> Lambda event for a batch of received SQS messages."""
    aws_region = region or queue_arn.split(":")[3]
    records = []
    for message in messages:
        system = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {k: system[k] for k in _SQS_ATTRIBUTES if k in system}
                | {k: v for k, v in system.items() if k not in _SQS_ATTRIBUTES},
                "messageAttributes": {
                    name: _lambda_message_attribute(attr)
                    for name, attr in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": aws_region,
            }
        )
    return {"Records": records}


def _lambda_message_attribute(attr: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells SQS message attributes in camelCase and always lists both list fields.
    out: dict[str, Any] = {
        "stringListValues": attr.get("StringListValues", []),
        "binaryListValues": attr.get("BinaryListValues", []),
        "dataType": attr.get("DataType"),
    }
    if "StringValue" in attr:
        out["stringValue"] = attr["StringValue"]
    if "BinaryValue" in attr:
        out["binaryValue"] = attr["BinaryValue"]
    return out


def receive_lambda_events(
    sqs: Any,
    queue_url: str,
    *,
    max_messages: int = 10,
    kind: Kind = "auto",
    subscription_arn: str | None = None,
    wait_seconds: int = 0,
) -> list[tuple[LambdaEvent, list[str]]]:
    """Drain a queue into (Lambda event, receipt handles to delete once handled) pairs.

    SNS and EventBridge messages become one event each (those services invoke Lambda per
    message); plain SQS messages become one batch event per receive of up to
    ``max_messages``. Nothing is deleted here: pass the handles to :func:`delete_messages`.
    """
    batch_size = max(1, min(max_messages, 10))
    queue_arn: str | None = None
    events: list[tuple[LambdaEvent, list[str]]] = []
    seen: set[str] = set()
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        # A message seen twice came back after its visibility timeout: the queue is drained.
        messages = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
        if not messages:
            return events
        seen.update(m["MessageId"] for m in messages)
        plain: list[dict[str, Any]] = []
        for message in messages:
            message_type = message_kind(message) if kind == "auto" else kind
            handle = [message["ReceiptHandle"]]
            if message_type == "sns":
                event = as_sns_lambda_event(message, subscription_arn=subscription_arn)
                events.append((event, handle))
            elif message_type == "eventbridge":
                events.append((as_eventbridge_event(message), handle))
            else:
                plain.append(message)
        if plain:
            if queue_arn is None:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=queue_url, AttributeNames=["QueueArn"]
                )
                queue_arn = str(attributes["Attributes"]["QueueArn"])
            batch = as_sqs_lambda_event(plain, queue_arn=queue_arn)
            events.append((batch, [m["ReceiptHandle"] for m in plain]))


def delete_messages(sqs: Any, queue_url: str, receipt_handles: list[str]) -> None:
    """Delete handled messages (in batches of 10); raises if SQS refuses any."""
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        response = sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)],
        )
        if response.get("Failed"):
            failures = ", ".join(f"{f['Code']}: {f.get('Message', '')}" for f in response["Failed"])
            raise RuntimeError(f"could not delete {len(response['Failed'])} messages: {failures}")


def release_messages(
    sqs: Any, queue_url: str, receipt_handles: list[str], *, delay_seconds: int = 0
) -> None:
    """Make messages whose handler failed visible again after ``delay_seconds`` (a retry)."""
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": delay_seconds}
                for i, h in enumerate(chunk)
            ],
        )


def split_batch(
    event: dict[str, Any], handles: list[str], result: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Receipt handles to delete and to release, from a ReportBatchItemFailures answer."""
    failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
    done, retry = [], []
    for record, handle in zip(event.get("Records", []), handles, strict=False):
        if record.get("messageId") not in failed:
            done.append(handle)
            continue
        attempts = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        if attempts < _HANDLER_ATTEMPTS:
            retry.append(handle)  # visible again at once; the handler counts the attempts
    return done, retry


def restore_round(runtime: Any, *, queue_url: str | None = None) -> int:
    """One local round of the follow-up function (restores and the other long-running jobs):
    one check per job from what is visible now;
    returns how many ran.

    A check this round schedules is left for the next round even when the queue shows it at
    once (a local queue may ignore DelaySeconds), so a round always ends.
    """
    from functions import restore_watcher

    sqs = runtime.client("sqs")
    url = queue_url or runtime.settings.restore_queue_url
    handled, jobs_seen, later = 0, set(), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            job = _job_of(message["Body"])
            if job in jobs_seen:
                later.append(message["ReceiptHandle"])
                continue
            jobs_seen.add(job)
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "eventSource": "aws:sqs",
            }
            if not restore_watcher.handle({"Records": [record]}, runtime)["batchItemFailures"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
    for receipt in later:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return handled


def _job_of(body: str) -> str:
    try:
        return str(json.loads(body)["job"])
    except (KeyError, TypeError, ValueError):
        return ""
