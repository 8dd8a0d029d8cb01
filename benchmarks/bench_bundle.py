"""bundle_zip_mb: the deployable Lambda zip (without boto3); peak_rss_mb.<function>: the peak
resident memory of each functions/* handler on a representative event, each in a fresh process.

The zip is .serverless/opsbot.zip when `make package` made one; otherwise it is built here
the same way (pip install --target of requirements-lambda.txt for this platform, plus bot/,
functions/ and opsbot.toml, deflated). Which one was measured is printed on stderr.

RSS: AWS runs on moto in-process where a handler needs it, so those figures include moto;
`peak_rss_mb.moto_baseline` is a process that sets up moto and the Slack sink and runs no
handler, to read them against. slack_http answers `/ddb help` without AWS and without moto.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ROOT / ".serverless" / "opsbot.zip"
EVENTS = ROOT / "tests" / "events"
NOT_SHIPPED = ("boto3", "botocore", "s3transfer")
# A representative event per function (tests/events/); slack_* are built in the child.
SAMPLE_EVENTS = {
    "alarms": "sns-alarm-write-throttle.json",
    "cloudtrail": "eventbridge-cloudtrail-pitr-disabled.json",
    "sns_inbox": "sns-aws-backup-job-completed.json",
}
MB = 1024 * 1024
QUEUES = ("work", "prune", "restore")
# Functions fed by SQS or a schedule get a synthetic event built in _event_for.
SYNTHETIC_EVENTS = (
    "slack_worker",
    "prune_scheduler",
    "prune_worker",
    "restore_watcher",
    "drill_scheduler",
)


def _note(text: str) -> None:
    print(f"bench_bundle: {text}", file=sys.stderr, flush=True)


def _build_zip(target: Path) -> None:
    """The bundle as package.sh would make it, for this platform, without boto3."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(site),
                "-r",
                str(ROOT / "requirements-lambda.txt"),
            ],
            check=True,
        )
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
            for base, roots in ((site, None), (ROOT, ("bot", "functions"))):
                paths = (
                    [p for r in roots for p in (base / r).rglob("*")] if roots else base.rglob("*")
                )
                for path in sorted(paths):
                    rel = path.relative_to(base)
                    if not path.is_file() or "__pycache__" in rel.parts:
                        continue
                    if rel.parts[0].split("-")[0] in NOT_SHIPPED:
                        continue
                    bundle.write(path, rel.as_posix())
            bundle.write(ROOT / "opsbot.toml", "opsbot.toml")


def _bundle_figures() -> dict[str, float | int]:
    if PACKAGED.exists():
        _note(f"bundle_zip_mb from {PACKAGED.relative_to(ROOT)} (made by `make package`)")
        return _zip_figures(PACKAGED)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "opsbot.zip"
        try:
            _build_zip(target)
        except (subprocess.CalledProcessError, OSError) as exc:
            _note(f"no .serverless/opsbot.zip and pip could not build one ({exc}); skipped")
            return {}
        _note("bundle_zip_mb from a zip built here (pip --target, this platform)")
        return _zip_figures(target)


def _zip_figures(path: Path) -> dict[str, float | int]:
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
    shipped = {n.split("/", 1)[0].split("-")[0] for n in names}
    return {
        "bundle_zip_mb": round(path.stat().st_size / MB, 2),
        "bundle_has_boto3": int(any(name in shipped for name in NOT_SHIPPED)),
    }


def _child(function: str) -> None:
    """Run one handler on its representative event in this fresh process; print peak RSS."""
    import resource

    sys.path.insert(0, str(ROOT))
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-west-2"
    )
    if function == "slack_http":
        _run_slack_http()
    else:
        _run_on_moto(function)
    print(json.dumps({"peak_rss_mb": peak_rss_kb(resource) / 1024}))


def peak_rss_kb(resource: Any) -> int:
    """This process's own peak RSS. Linux's ru_maxrss survives exec and so includes the
    forking parent's footprint; /proc's VmHWM belongs to this program's memory alone."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _run_slack_http() -> None:
    from bot.aws.secrets import SlackCredentials
    from bot.runtime import Runtime
    from bot.settings import parse_settings
    from functions import slack_http
    from tests.conftest import function_url_event, sign, slash_body

    runtime = Runtime(
        parse_settings({"state": {"work_queue_url": "unused"}}),
        credentials_override=SlackCredentials("xoxb-bench", "test-signing-secret"),
    )
    body = slash_body("help")
    response = slack_http.handle(function_url_event(body, sign(body)), runtime)
    assert response["statusCode"] == 200, response


def _run_on_moto(function: str) -> None:
    import boto3
    from moto import mock_aws

    from bot.aws.secrets import SlackCredentials
    from bot.local.slack_sink import SlackSink
    from bot.runtime import Runtime
    from tests.conftest import base_settings, create_state_table

    with mock_aws(), SlackSink() as sink:
        dynamodb = boto3.client("dynamodb", region_name="us-west-2")
        create_state_table(dynamodb)
        sqs = boto3.client("sqs", region_name="us-west-2")
        queues = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in QUEUES}
        runtime = Runtime(
            base_settings(
                work_queue_url=queues["work"],
                prune_queue_url=queues["prune"],
                restore_queue_url=queues["restore"],
                slack_api_url=sink.base_url,
                retention_default="keep-last=2",
            ),
            credentials_override=SlackCredentials("xoxb-bench", "test-signing-secret"),
        )
        if function == "moto_baseline":
            return
        module = __import__(f"functions.{function}", fromlist=["handle"])
        module.handle(_event_for(function, runtime, dynamodb), runtime)


def _event_for(function: str, runtime: Any, dynamodb: Any) -> dict[str, Any]:
    if function == "slack_worker":
        from bot.aws.work_queue import WorkItem

        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        item = WorkItem(
            kind="command",
            user="U0ADMIN01",
            channel="C0OPSBOT1",
            text="status orders",
            requested_at=runtime.epoch(),
        )
        return {"Records": [{"messageId": "1", "body": item.to_json(), "attributes": {}}]}
    if function == "prune_scheduler":
        _orders_with_backups(dynamodb)
        return {"id": "bench", "time": "2026-11-22T03:00:00Z", "detail-type": "Scheduled Event"}
    if function == "drill_scheduler":
        # the scheduled drills now (`run drills`): none configured or tagged, as most hours
        _orders_with_backups(dynamodb)
        return {"id": "bench", "opsbot": "run-now", "detail-type": "Scheduled Event"}
    if function == "prune_worker":
        from bot.domain.prune_jobs import PruneTask

        _orders_with_backups(dynamodb)
        task = PruneTask(run_id="bench", region="us-west-2", table="orders", policy="keep-last=2")
        return {"Records": [{"messageId": "1", "body": task.to_json(), "attributes": {}}]}
    if function == "restore_watcher":
        body = json.dumps({"job": "bench-job", "check": 1})
        return {"Records": [{"messageId": "1", "body": body, "attributes": {}}]}
    return dict(json.loads((EVENTS / SAMPLE_EVENTS[function]).read_text(encoding="utf-8")))


def _orders_with_backups(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for index in range(5):
        dynamodb.create_backup(TableName="orders", BackupName=f"orders-bench-{index}")


def _rss_figures() -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    functions = sorted(p.stem for p in (ROOT / "functions").glob("*.py") if p.stem != "__init__")
    for function in ["moto_baseline", *functions]:
        known = function in ("moto_baseline", "slack_http", *SYNTHETIC_EVENTS, *SAMPLE_EVENTS)
        if not known:
            _note(f"peak_rss_mb.{function} skipped: no representative event in tests/events/")
            continue
        source = ROOT / "functions" / f"{function}.py"
        if source.exists() and "def handle(" not in source.read_text(encoding="utf-8"):
            _note(f"peak_rss_mb.{function} skipped: the module has no handle()")
            continue
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_bundle", "--child", function],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            _note(f"peak_rss_mb.{function} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        last = done.stdout.strip().splitlines()[-1]
        figures[f"peak_rss_mb.{function}"] = round(json.loads(last)["peak_rss_mb"], 1)
    return figures


def measure() -> dict[str, float | int]:
    """The bundle's size and each handler's peak RSS."""
    return {**_bundle_figures(), **_rss_figures()}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        for key, value in measure().items():
            print(f"{key}: {value}")
