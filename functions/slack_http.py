"""Slack's HTTPS entry (API Gateway HTTP API or a Lambda Function URL).

Checks the signature over the raw body, then parses and authorizes, and acks within Slack's
3 s (bot/slack/app.py); slow work goes to the work queue (functions/slack_worker.py).
Nothing is built at import time.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from bot.runtime import Runtime, default_runtime
from bot.slack.app import answer_http_request

logger = Logger(service="opsbot")


def handle(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """One HTTP request from Slack to one HTTP response."""
    return answer_http_request(event, runtime)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, default_runtime())
