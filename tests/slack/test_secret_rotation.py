"""A rotated Slack secret takes effect in a warm function without a redeploy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.aws import secrets
from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import function_url_event, lambda_context, sign, slash_body


def put_secret(client: Any, name: str, signing_secret: str) -> None:
    value = json.dumps({"bot_token": "xoxb-rotating", "signing_secret": signing_secret})
    try:
        client.put_secret_value(SecretId=name, SecretString=value)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=name, SecretString=value)


def post_help(secret: str) -> int:
    body = slash_body("help")
    event = function_url_event(body, sign(body, secret=secret))
    return int(slack_http.handler(event, lambda_context())["statusCode"])


def test_a_rotated_signing_secret_is_used_once_the_cache_expires(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = runtime.client("secretsmanager")
    put_secret(client, "opsbot/slack", "first-secret")
    runtime.credentials_override = None
    from dataclasses import replace

    runtime.settings = replace(runtime.settings, slack_secret_id="opsbot/slack")
    clock = [1000.0]
    monkeypatch.setattr(secrets.time, "monotonic", lambda: clock[0])

    assert post_help("first-secret") == 200
    put_secret(client, "opsbot/slack", "second-secret")
    assert post_help("first-secret") == 200  # still cached: at most 5 minutes

    clock[0] += secrets.MAX_AGE_S + 1
    assert post_help("second-secret") == 200
    assert post_help("first-secret") == 401
