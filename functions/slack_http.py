"""Slack's HTTPS entry (API Gateway HTTP API or a Lambda Function URL).

Verifies the signature, parses and authorizes, acks within Slack's 3 s; slow work goes to
the work queue (functions/slack_worker.py). Nothing is built at import time.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from slack_bolt import App
from slack_bolt.adapter.aws_lambda.handler import to_aws_response, to_bolt_request

from bot.runtime import Runtime, default_runtime
from bot.slack.app import build_app

logger = Logger(service="opsbot")


def app_for(runtime: Runtime) -> App:
    """The bolt app of a runtime, kept on it and rebuilt when the signing secret rotates."""
    secret = runtime.credentials.signing_secret
    app = runtime.extras.get("bolt_app")
    if app is None or runtime.extras.get("bolt_app_secret") != secret:
        app = runtime.extras["bolt_app"] = build_app(runtime)
        runtime.extras["bolt_app_secret"] = secret
    return app


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """One HTTP request from Slack to one HTTP response."""
    method = (event.get("requestContext") or {}).get("http", {}).get("method") or event.get(
        "httpMethod"
    )
    if method != "POST":
        return {"statusCode": 405, "body": "Slack sends POST requests here."}
    event.setdefault("isBase64Encoded", False)
    request = to_bolt_request(event)
    return to_aws_response(app_for(runtime).dispatch(request))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
