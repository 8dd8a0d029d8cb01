"""Slack requests as Slack signs and sends them: used by `opsbot local` and the tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from bot.local.buttons import Button

LOCAL_TEAM = "T0LOCAL"
LOCAL_BOT_USER = "U0OPSBOT"  # the bot's user id in the local Slack (slack_workspace.BOT_USER_ID)


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


def button_press_body(button: Button, *, user: str, response_url: str) -> str:
    """The form body Slack posts when ``button`` is pressed."""
    message: dict[str, Any] = {"ts": button.ts, "blocks": button.blocks}
    if button.thread_ts:
        message["thread_ts"] = button.thread_ts
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": LOCAL_TEAM},
        "channel": {"id": button.channel},
        "container": {
            "type": "message",
            "channel_id": button.channel,
            "message_ts": button.ts,
            "is_ephemeral": button.ephemeral,
        },
        "message": message,
        "response_url": response_url,
        "trigger_id": uuid.uuid4().hex,
        "actions": [
            {
                "action_id": button.action_id,
                "value": button.value,
                "block_id": button.block_id,
                "type": "button",
                **({"url": button.url} if button.url else {}),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def app_home_opened_body(user: str) -> str:
    """The JSON body of the app_home_opened event Slack posts when ``user`` opens App Home."""
    return _event_callback(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0LOCALHOME",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )


def app_mention_body(text: str, *, user: str, channel: str, ts: str) -> str:
    """The JSON body of the app_mention event Slack posts when ``user`` says `@opsbot <text>`
    in ``channel`` (the message ``ts``)."""
    return _event_callback(
        {
            "type": "app_mention",
            "user": user,
            "text": f"<@{LOCAL_BOT_USER}> {text}",
            "channel": channel,
            "ts": ts,
            "event_ts": ts,
        }
    )


def _event_callback(event: dict[str, Any]) -> str:
    """An Events API request body around ``event``, with a fresh event id."""
    return json.dumps(
        {
            "type": "event_callback",
            "token": "unused",
            "team_id": LOCAL_TEAM,
            "api_app_id": "A0LOCAL",
            "event": event,
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
        }
    )
