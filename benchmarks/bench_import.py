"""import_ratio.<module>: importing each functions/* module vs. importing its third-party
dependencies alone (every third-party module it loads), in fresh interpreters, interleaved,
median of several runs, each minus the start-up of an empty interpreter.

Both sides import from bytecode, as on Lambda: pip byte-compiled the dependencies when it
installed them, and the bundle ships hash-checked bytecode for our code
(deploy/plugins/bytecode.js). Our modules are compiled the same way here first; without
that, PYTHONDONTWRITEBYTECODE (set on CI machines) would have every run compile our code
from source while the dependencies load their bytecode.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
OURS = ("bot", "functions")
_THIRD_PARTY = ("boto3", "botocore", "slack_bolt", "slack_sdk", "aws_lambda_powertools", "jmespath")

_DEPS_PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in set({third!r}))))
"""


def _dependencies(module: str) -> list[str]:
    code = _DEPS_PROBE.format(module=module, third=_THIRD_PARTY)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def _time_import(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True)
    return time.perf_counter() - start


def _empty() -> float:
    return _time_import("pass")


def _compile_ours() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode=checked-hash", *OURS],
        cwd=ROOT,
        check=True,
    )


def measure() -> dict[str, float]:
    """One ratio per functions/* module (1.0 = our code adds nothing)."""
    _compile_ours()
    figures: dict[str, float] = {}
    modules = sorted(p.stem for p in (ROOT / "functions").glob("*.py") if p.stem != "__init__")
    for name in modules:
        module = f"functions.{name}"
        deps = _dependencies(module)
        # Every third-party module our import loads, imported on its own: the difference
        # is the cost of our code alone.
        baseline_stmt = f"import importlib\nfor m in {deps!r}:\n    importlib.import_module(m)"
        ours, theirs, empty = [], [], []
        for _ in range(RUNS):
            empty.append(_empty())
            theirs.append(_time_import(baseline_stmt))
            ours.append(_time_import(f"import {module}"))
        base = statistics.median(empty)
        figures[f"import_ratio.{name}"] = (statistics.median(ours) - base) / max(
            statistics.median(theirs) - base, 1e-6
        )
    return figures
