"""The bolt app factory: no network at construction or in the ack path, listeners by kind."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.listeners import actions, commands


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
