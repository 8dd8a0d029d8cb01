"""ack_p50_ratio / ack_p99_ratio: signed `/ddb help` through functions.slack_http vs. a bare
bolt app that only acks, both in-process through the Lambda adapter, interleaved."""

from __future__ import annotations

import hashlib
import hmac
import os
import statistics
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.adapter.aws_lambda.handler import to_aws_response, to_bolt_request
from slack_bolt.authorization import AuthorizeResult

from bot.aws.secrets import SlackCredentials
from bot.local.slack_sink import SlackSink
from bot.runtime import Runtime
from bot.settings import parse_settings
from functions import slack_http

SECRET = "bench-signing-secret"
ROUNDS = 400


def _event(text: str) -> dict[str, Any]:
    body = urlencode(
        {
            "command": "/ddb",
            "text": text,
            "user_id": "U0BENCH01",
            "channel_id": "C0BENCH01",
            "team_id": "T0BENCH",
            "response_url": "",
            "trigger_id": "1",
        }
    )
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "version": "2.0",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": sig,
        },
        "requestContext": {"http": {"method": "POST"}},
        "body": body,
        "isBase64Encoded": False,
    }


def _bare_app(base_url: str) -> App:
    from slack_sdk import WebClient

    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=base_url),
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T0BENCH", bot_token="xoxb-bench"
        ),
        process_before_response=True,
    )

    @app.command("/ddb")
    def _ack(ack: Any) -> None:
        ack()

    return app


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure() -> dict[str, float]:
    """p50 and p99 of our ack over the bare app's (1.0 = no overhead)."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with SlackSink() as sink:
        settings = parse_settings({"aws": {"regions": ["us-west-2"]}})
        from dataclasses import replace

        runtime = Runtime(
            replace(settings, slack_api_url=sink.base_url),
            credentials_override=SlackCredentials("xoxb-bench", SECRET),
        )
        bare = _bare_app(sink.base_url)
        ours_t: list[float] = []
        bare_t: list[float] = []
        for round_ in range(ROUNDS + 20):
            event = _event("help")
            start = time.perf_counter()
            response = slack_http.handle(event, runtime)
            mid = time.perf_counter()
            bare_response = to_aws_response(bare.dispatch(to_bolt_request(_event("help"))))
            end = time.perf_counter()
            assert response["statusCode"] == 200
            assert bare_response["statusCode"] == 200
            if round_ >= 20:  # warm-up rounds build the apps and fill caches
                ours_t.append(mid - start)
                bare_t.append(end - mid)
        assert not sink.calls, "the ack path must not call Slack"
    return {
        "ack_p50_ratio": statistics.median(ours_t) / statistics.median(bare_t),
        "ack_p99_ratio": _percentile(ours_t, 0.99) / _percentile(bare_t, 0.99),
    }
