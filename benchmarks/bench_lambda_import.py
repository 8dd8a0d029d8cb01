"""lambda_stale_bytecode_modules: the modules in .serverless/opsbot.zip that Python 3.12 would
compile from source at a cold start (target 0); lambda_bytecode_ratio.<function>: importing
each functions/* module from the bundle as shipped, divided by the same import from a copy of
the bundle with every __pycache__ removed.

The count is tests/deploy/test_template.py's _BYTECODE_AUDIT, run by 3.12 in the extracted
bundle. The baseline of the ratio is the old bundle as Lambda saw it: /var/task is read-only
and osls writes fixed dates (1980 / 2098) into the zip, so its timestamp-checked .pyc files
never matched and every module was compiled from source at every cold start, exactly like a
bundle without bytecode. Below 1 = the shipped hash-checked bytecode saves that fraction.

Conditions like Lambda: lambda_python() with -I -S -B (isolated, no site-packages, never
write bytecode), cwd = the bundle, sys.path[:0] = [bundle, runtime], where "runtime" is boto3
at the venv's version installed for 3.12 by pip (byte-compiled, real mtimes, so both sides
load it from bytecode). Each run is a fresh interpreter timing only the import with
perf_counter; RUNS runs per function, alternating shipped and stripped, medians in ms
(lambda_import_ms / lambda_import_ms_without_bytecode) and the ratio of those medians.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from tests.deploy.test_template import _BYTECODE_AUDIT, lambda_python

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / ".serverless" / "opsbot.zip"
RUNS = 7
ENV = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "OPSBOT_CONFIG": "opsbot.toml"}

_TIMED = """
import sys, time
sys.path[:0] = [{task!r}, {runtime!r}]
t = time.perf_counter()
import functions.{name}
print(time.perf_counter() - t)
"""


def _run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args[1:3]} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def _install_runtime(python: str, target: Path) -> None:
    """The Lambda runtime's boto3 & co., at the venv's boto3 version, compiled by pip."""
    version = importlib.metadata.version("boto3")
    _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            f"boto3=={version}",
        ]
    )


def _stale_modules(python: str, task: Path) -> int:
    return len(json.loads(_run([python, "-I", "-c", _BYTECODE_AUDIT], cwd=task)))


def _timed_import(python: str, task: Path, runtime: Path, name: str) -> float:
    """Seconds to import functions.<name> in a fresh 3.12 with cwd and sys.path like Lambda."""
    code = _TIMED.format(task=str(task), runtime=str(runtime), name=name)
    return float(_run([python, "-I", "-S", "-B", "-c", code], cwd=task, env=ENV).split()[-1])


def measure() -> dict[str, float | int]:
    """The stale-bytecode count, then ratio and medians per functions/* module."""
    if not BUNDLE.is_file():
        raise RuntimeError("run `make package` (scripts/package.sh) first")
    python = lambda_python()
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        shipped, stripped, runtime = (Path(tmp) / d for d in ("shipped", "stripped", "runtime"))
        with zipfile.ZipFile(BUNDLE) as bundle:
            bundle.extractall(shipped)
        shutil.copytree(shipped, stripped)
        for cache in sorted(stripped.rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)
        _install_runtime(python, runtime)
        figures["lambda_stale_bytecode_modules"] = _stale_modules(python, shipped)
        names = sorted(p.stem for p in (shipped / "functions").glob("*.py") if p.stem != "__init__")
        for name in names:
            times: dict[Path, list[float]] = {shipped: [], stripped: []}
            for _ in range(RUNS):
                for task in (shipped, stripped):
                    times[task].append(_timed_import(python, task, runtime, name))
            with_bc, without = (statistics.median(times[t]) * 1000 for t in (shipped, stripped))
            figures[f"lambda_bytecode_ratio.{name}"] = with_bc / without
            figures[f"lambda_import_ms.{name}"] = with_bc
            figures[f"lambda_import_ms_without_bytecode.{name}"] = without
    return figures
