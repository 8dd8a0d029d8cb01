"""cold_ack_ratio / cold_help_ratio: a cold start of functions.slack_http up to its answers vs.
a bare bolt app that only acks, each in a fresh interpreter, interleaved, median of 7 runs.

Each child takes ``time.perf_counter()`` as its first statement, imports its entry point,
then answers two signed slash commands (Lambda Function URL events, payload 2.0): `/ddb
help`, then `/ddb status orders`, and reports the time from that first statement to each
answer. Interpreter start-up (site, the venv) is the same on both sides and before the
clock, so leaving it out is fair. Because the clock covers import *and* the first requests,
moving an import from module load into a request cannot hide its cost.

The baseline is the bare bolt app of bench_ack.py (bolt, its Lambda adapter, one listener
that acks), with nothing added; the difference is all of our import cost plus our
first-request work: settings (opsbot.toml-style file through load_settings), help rendering,
parsing, authorization and the hand-off to the work queue. The hand-off is real up to the
wire: the runtime's own WorkQueue builds its SQS client (a first-request cost on Lambda);
only the SendMessage call is answered in-process by a botocore ``before-call`` hook, so no
child reaches AWS. Slack credentials are given directly on both sides (Secrets Manager is
not measured), and both apps point at a SlackSink that must receive no call.

Our code runs from hash-checked bytecode as on Lambda (bench_import._compile_ours);
cold_ack_ms.* are the medians, in milliseconds, of the time to the second answer.
"""

from __future__ import annotations

import ast
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_ack import SECRET, _event  # the same signed /ddb events
from benchmarks.bench_import import ROOT, _compile_ours
from bot.local.slack_sink import SlackSink

TOKEN = "xoxb-bench"
USER = "U0BENCH01"  # the user of bench_ack._event
RUNS = 7
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/opsbot-bench-work"
# Text each answer must contain: help lists `/ddb status`; status is handed off.
EXPECT_OURS = ("/ddb status", "Working on `/ddb status orders`")
EXPECT_BARE = ("Working on it", "Working on it")
CONFIG = f'[aws]\nregions = ["us-east-1"]\n\n[roles.operator]\nusers = ["{USER}"]\n'

_OURS = """import time
t0 = time.perf_counter()
import types
import functions.slack_http as entry
from bot.aws.secrets import SlackCredentials
from bot.runtime import Runtime, set_default_runtime
from bot.settings import load_settings
sent = []
def _send(params, **_):
    sent.append(params)
    return types.SimpleNamespace(status_code=200, headers={{}}), {{"MessageId": "bench"}}
runtime = Runtime(load_settings(), credentials_override=SlackCredentials({token!r}, {secret!r}))
runtime.clients.on_event("before-call.sqs.SendMessage", _send)
set_default_runtime(runtime)
context = types.SimpleNamespace(function_name="opsbot-slack", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:opsbot-slack",
    aws_request_id="bench")
r1 = entry.handler({help!r}, context)
t1 = time.perf_counter()
r2 = entry.handler({status!r}, context)
t2 = time.perf_counter()
print(repr((t1 - t0, t2 - t0, r1, r2, len(sent))))
"""

_BARE = """import time
t0 = time.perf_counter()
from slack_bolt import App
from slack_bolt.adapter.aws_lambda.handler import to_aws_response, to_bolt_request
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
app = App(signing_secret={secret!r}, client=WebClient(base_url={base_url!r}),
    authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T0BENCH",
        bot_token={token!r}), process_before_response=True)
@app.command("/ddb")
def _ack(ack):
    ack(text="Working on it")
def handler(event, context):
    return to_aws_response(app.dispatch(to_bolt_request(event)))
r1 = handler({help!r}, None)
t1 = time.perf_counter()
r2 = handler({status!r}, None)
t2 = time.perf_counter()
print(repr((t1 - t0, t2 - t0, r1, r2, 1)))
"""


def _run(
    template: str, env: dict[str, str], base_url: str, expect: tuple[str, str]
) -> tuple[float, float]:
    """One cold child: seconds to its first and second answers, both answers checked."""
    code = template.format(
        token=TOKEN,
        secret=SECRET,
        base_url=base_url,
        help=_event("help"),
        status=_event("status orders"),
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"cold child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    first, second, *answers, sent = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    for answer, text in zip(answers, expect, strict=True):
        if answer.get("statusCode") != 200 or text not in str(answer.get("body")):
            raise RuntimeError(f"expected 200 with {text!r}, got {answer!r}\n{out.stderr}")
    if sent != 1:
        raise RuntimeError(f"expected one SendMessage, the child sent {sent}")
    return float(first), float(second)


def measure() -> dict[str, float]:
    """Medians of our cold answers over the bare app's (1.0 = our cold start costs nothing)."""
    _compile_ours()
    with tempfile.TemporaryDirectory() as tmp, SlackSink() as sink:
        config = Path(tmp) / "opsbot.toml"
        config.write_text(CONFIG, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSBOT_", "AWS_"))}
        env |= {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "OPSBOT_CONFIG": str(config),
            "OPSBOT_WORK_QUEUE_URL": QUEUE_URL,
            "OPSBOT_SLACK_API_URL": sink.base_url,
        }
        ours: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for _ in range(RUNS):
            ours.append(_run(_OURS, env, sink.base_url, EXPECT_OURS))
            bare.append(_run(_BARE, env, sink.base_url, EXPECT_BARE))
        assert not sink.calls, "a cold ack must not call Slack"
    med = {
        side: [statistics.median(s[i] for s in samples) for i in (0, 1)]
        for side, samples in (("ours", ours), ("bare", bare))
    }
    return {
        "cold_ack_ratio": med["ours"][1] / med["bare"][1],
        "cold_help_ratio": med["ours"][0] / med["bare"][0],
        "cold_ack_ms.opsbot": med["ours"][1] * 1000,
        "cold_ack_ms.bare_bolt": med["bare"][1] * 1000,
    }
