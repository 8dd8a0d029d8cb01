"""import_ratio.<module>: importing each functions/* module vs. importing its third-party
dependencies alone (every third-party module it loads).

Each run is a fresh interpreter that imports those dependencies, then the function's module,
timing both steps with perf_counter: the second step is exactly what our code adds (our
modules and the stdlib modules only they load). The figure is the median over the runs of
(dependencies + ours) / dependencies. Timing inside the interpreter leaves out its start-up
and shutdown, which Lambda does not repeat per import either, and both steps share the run,
so a slow moment of a shared machine weighs on both.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 11
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


_TIMED = """
import importlib, time
start = time.perf_counter()
for m in {deps!r}:
    importlib.import_module(m)
middle = time.perf_counter()
import {module}
print(middle - start, time.perf_counter() - middle)
"""


def _timed_import(module: str, deps: list[str]) -> tuple[float, float]:
    """(seconds importing the dependencies, seconds importing our module after them)."""
    out = subprocess.run(
        [sys.executable, "-c", _TIMED.format(deps=deps, module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    theirs, ours = out.stdout.split()
    return float(theirs), float(ours)


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
        ratios = []
        for _ in range(RUNS):
            theirs, ours = _timed_import(module, deps)
            ratios.append((theirs + ours) / theirs)
        figures[f"import_ratio.{name}"] = statistics.median(ratios)
    return figures
