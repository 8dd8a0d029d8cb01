"""Slack's HTTPS entry: the gate, then the bolt app (no network at construction or in the ack
path, listeners by kind)."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.adapter.aws_lambda.handler import to_aws_response, to_bolt_request
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.internals import build_context
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.gate import Refusal, check_request
from bot.slack.listeners import actions, commands

log = logging.getLogger(__name__)


def answer_http_request(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """One HTTP request (API Gateway HTTP API or Function URL, payload 2.0) to one response:
    refused by the gate (401 unsigned or stale, 400 malformed) or answered by bolt."""
    method = (event.get("requestContext") or {}).get("http", {}).get("method") or event.get(
        "httpMethod"
    )
    if method != "POST":
        return {"statusCode": 405, "body": "Slack sends POST requests here."}
    # The wall clock, as Slack's signature and bolt's own check use it.
    refusal = check_request(event, runtime.credentials.signing_secret, now=time.time())
    if refusal is None:
        event.setdefault("isBase64Encoded", False)
        try:
            request = to_bolt_request(event)
        except (AttributeError, KeyError, TypeError, ValueError, RecursionError) as exc:
            refusal = Refusal(400, "The request is not one Slack sends.")
            log.warning("refused a signed Slack request bolt cannot read: %s", type(exc).__name__)
        else:
            return to_aws_response(app_for(runtime).dispatch(_read_as_form(request)))
    log.warning("refused a Slack request: %s %s", refusal.status, refusal.reason)
    return refusal.as_response()


def _read_as_form(request: BoltRequest) -> BoltRequest:
    """bolt reads every form body containing the word "payload" as an interactive payload and,
    when the form has no `payload` field, as empty: `/ddb payload` or a table named
    `payload-events` got a 404 and no answer. Such a body is read as the form it is (the raw
    body, which bolt verifies, is unchanged)."""
    if request.body or not request.raw_body or request.raw_body.startswith("{"):
        return request
    form = dict(parse_qsl(request.raw_body, keep_blank_values=True))
    if "payload" in form:
        return request
    request.body = form
    request.context = build_context(BoltContext({}), form)
    return request


def app_for(runtime: Runtime) -> App:
    """The bolt app of a runtime, kept on it and rebuilt when the signing secret rotates."""
    secret = runtime.credentials.signing_secret
    app = runtime.extras.get("bolt_app")
    if app is None or runtime.extras.get("bolt_app_secret") != secret:
        app = runtime.extras["bolt_app"] = build_app(runtime)
        runtime.extras["bolt_app_secret"] = secret
    return app


def build_app(runtime: Runtime) -> App:
    """A bolt App that verifies signatures and acks from parsing and authorization only."""
    token = runtime.credentials.bot_token

    def authorize(
        enterprise_id: str | None = None, team_id: str | None = None, **_: Any
    ) -> AuthorizeResult:
        # bolt's default single-team authorization calls auth.test on the first request; this
        # single-workspace bot already holds its token, so the ack path stays off the network.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    # bolt compares its logger's own `level` (not the effective one) with DEBUG before it
    # formats debug messages for every middleware and listener of every request; a logger
    # left at NOTSET (0) reads as DEBUG there. Pin it to what logging says it is now.
    bolt_logger = logging.getLogger("bot.slack.app")
    if bolt_logger.level == logging.NOTSET:
        bolt_logger.setLevel(bolt_logger.getEffectiveLevel())
    # bolt gets a client without a token: `authorize` supplies it per request.
    app = App(
        signing_secret=runtime.credentials.signing_secret,
        client=WebClient(base_url=runtime.notifier.client.base_url, timeout=10),
        authorize=authorize,
        # On Lambda the response goes out only when the handler returns.
        process_before_response=True,
        logger=bolt_logger,
    )
    commands.register(app, lambda: runtime)
    actions.register(app, lambda: runtime)
    return app
