"""Slack credentials: from Secrets Manager at run time (cached), or the environment locally.

The template never holds a token: it names the secret (OPSBOT_SLACK_SECRET_ID) whose JSON
holds `bot_token` and `signing_secret`. Values are never logged.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from bot.domain.records import frozen


@frozen
class SlackCredentials:
    """The bot token and the signing secret (repr hides both)."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)


class MissingCredentials(Exception):
    """Neither a secret id nor environment values give the Slack credentials."""


_CACHE: dict[str, tuple[float, SlackCredentials]] = {}
_LOCK = threading.Lock()
MAX_AGE_S = 300.0


def slack_credentials(
    secrets_client_factory: Any, secret_id: str, environ: Mapping[str, str] | None = None
) -> SlackCredentials:
    """The credentials from the secret (cached for 5 minutes), else from the environment."""
    env = os.environ if environ is None else environ
    if secret_id:
        with _LOCK:
            hit = _CACHE.get(secret_id)
            if hit and time.monotonic() - hit[0] < MAX_AGE_S:
                return hit[1]
        raw = secrets_client_factory().get_secret_value(SecretId=secret_id)["SecretString"]
        data = json.loads(raw)
        credentials = SlackCredentials(data["bot_token"], data["signing_secret"])
        with _LOCK:
            _CACHE[secret_id] = (time.monotonic(), credentials)
        return credentials
    token, secret = env.get("SLACK_BOT_TOKEN", ""), env.get("SLACK_SIGNING_SECRET", "")
    if not token or not secret:
        raise MissingCredentials(
            "Set OPSBOT_SLACK_SECRET_ID (a Secrets Manager secret with bot_token and "
            "signing_secret) or, locally, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET."
        )
    return SlackCredentials(token, secret)


def clear_cache() -> None:
    """Forget cached credentials (tests, rotation)."""
    with _LOCK:
        _CACHE.clear()
