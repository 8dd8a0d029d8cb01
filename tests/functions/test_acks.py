"""The ack shows the command as typed: its options kept, escaped, shortened when long."""

from __future__ import annotations

import json

from bot.runtime import Runtime
from functions import slack_http
from tests.conftest import ADMIN, function_url_event, lambda_context, sign, slash_body


def ack_text(text: str) -> str:
    body = slash_body(text, user=ADMIN)
    response = slack_http.handler(function_url_event(body, sign(body)), lambda_context())
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["text"])


def test_the_ack_keeps_the_options_as_typed(runtime: Runtime) -> None:
    ack = ack_text("prune  --all --keep-daily 7\t--apply")
    assert ack == ":hourglass_flowing_sand: Working on `/ddb prune --all --keep-daily 7 --apply`…"


def test_the_ack_of_a_long_command_is_shortened_visibly(runtime: Runtime) -> None:
    ack = ack_text("who-changed " + "t" * 200 + " --since 30d")
    quoted = ack.split("`")[1]
    assert quoted.startswith("/ddb who-changed ttt")
    assert quoted.endswith("…")
    assert len(quoted) <= 80
