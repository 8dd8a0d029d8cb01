"""Fuzzing the ack path: any `/ddb <text>`, signed, gets HTTP 200 with a JSON body; never a crash.

The grammar itself is fuzzed in tests/domain/test_commands.py; this drives the whole
Lambda entry (signature check, bolt, parse, authorize, hand-off) with hypothesis text.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import ADMIN, VIEWER, function_url_event, sign, slash_body

WORDS = st.sampled_from(
    [
        "help",
        "status",
        "backups",
        "backup",
        "prune",
        "restore",
        "restores",
        "pitr",
        "who-changed",
        "alarms",
        "replicas",
        "orders",
        "orders@us-west-2",
        "--apply",
        "--all",
        "--keep-daily",
        "3",
        "--at",
        "10:42",
        "--since",
        "30d",
        "--to",
        "off",
        "on",
        "--",
        '"',
        "'",
        "<!channel>",
        "&",
        "|",
        "\\",
        "\x00",
        "é",
        "🙂",
        "-" * 300,
    ]
)
TEXTS = st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=8).map(" ".join))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS, user=st.sampled_from([ADMIN, VIEWER]))
def test_any_signed_command_text_gets_a_json_ack(runtime: Runtime, text: str, user: str) -> None:
    body = slash_body(text, user=user)
    response = slack_http.handle(function_url_event(body, sign(body)), runtime)
    assert response["statusCode"] == 200, response
    ack = json.loads(response["body"])
    assert isinstance(ack.get("text"), str)
    assert ack["text"]
    assert ack["response_type"] in ("ephemeral", "in_channel")
