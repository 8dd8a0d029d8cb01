"""Slack requests as Slack signs and sends them: used by `opsbot local` and the tests."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any
from urllib.parse import urlencode

LOCAL_TEAM = "T0LOCAL"


def signed_headers(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature headers (v0 HMAC-SHA256) for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": "v0=" + digest}


def function_url_event(body: str, headers: dict[str, str]) -> dict[str, Any]:
    """A Lambda Function URL (payload 2.0) event carrying one Slack request."""
    return {
        "version": "2.0",
        "rawPath": "/slack/events",
        "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded", **headers},
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}},
        "body": body,
        "isBase64Encoded": False,
    }


def slash_command_body(text: str, *, user: str, channel: str, response_url: str) -> str:
    """The form body Slack posts for `/ddb <text>`."""
    return urlencode(
        {
            "token": "unused",
            "team_id": LOCAL_TEAM,
            "channel_id": channel,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/ddb",
            "text": text,
            "response_url": response_url,
            "trigger_id": uuid.uuid4().hex,
        }
    )
