"""ack_p50_ratio / ack_p99_ratio: signed `/ddb help` through functions.slack_http vs. a bare
bolt app that only acks, both in-process through the Lambda adapter, interleaved (taking
turns going first), 10000 rounds after 20 warm-up rounds.

ack_same_answer_*: the same, against a bare app that acks with our help answer rendered and
serialized in advance, as ours keeps it. The bare app of the issue acks with nothing, so
the first pair also counts sending a 2.4 kB answer; this pair shows what parsing,
authorizing and dispatching add.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.adapter.aws_lambda.handler import to_aws_response, to_bolt_request
from slack_bolt.authorization import AuthorizeResult

from bot.aws.secrets import SlackCredentials
from bot.flows.catalog import AVAILABLE_COMMANDS
from bot.local.slack_sink import SlackSink
from bot.render.help import render_help
from bot.runtime import Runtime
from bot.settings import parse_settings
from bot.slack.listeners.commands import ack_body
from functions import slack_http

SECRET = "bench-signing-secret"
ROUNDS = 10000  # p99 is then the 100th slowest of each: a few noisy moments do not decide it


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


def _bare_app(base_url: str, answer: str = "") -> App:
    """A bolt app that only acks: empty, or with a ready-made JSON ``answer``."""
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
        ack(answer)

    return app


def _dispatch(app: App, event: dict[str, Any]) -> dict[str, Any]:
    return dict(to_aws_response(app.dispatch(to_bolt_request(event))))


def _timed(call: Callable[[], dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


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
        # The same help answer, serialized once in advance: what any bot that answers
        # `/ddb help` with this text must at least do (send it as the response).
        help_json = json.dumps(ack_body(render_help(available=AVAILABLE_COMMANDS)))
        same = _bare_app(sink.base_url, help_json)
        apps = {
            "ours": partial(slack_http.handle, runtime=runtime),
            "bare": partial(_dispatch, bare),
            "same": partial(_dispatch, same),
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        order = list(apps)
        for round_ in range(ROUNDS + 20):
            # Every event is built (and signed) before its clock starts, and the apps take
            # turns going first so that none always runs on a warmer cache.
            order = order[1:] + order[:1]
            for name in order:
                took, response = _timed(partial(apps[name], _event("help")))
                assert response["statusCode"] == 200, name
                assert name == "bare" or "/ddb status" in response["body"], name
                if round_ >= 20:  # warm-up rounds build the apps and fill caches
                    times[name].append(took)
        assert not sink.calls, "the ack path must not call Slack"
    ours, bare_t, same_t = times["ours"], times["bare"], times["same"]
    return {
        "ack_p50_ratio": statistics.median(ours) / statistics.median(bare_t),
        "ack_p99_ratio": _percentile(ours, 0.99) / _percentile(bare_t, 0.99),
        "ack_same_answer_p50_ratio": statistics.median(ours) / statistics.median(same_t),
        "ack_same_answer_p99_ratio": _percentile(ours, 0.99) / _percentile(same_t, 0.99),
    }
