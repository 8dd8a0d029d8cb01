"""The embedded runtime: `opsbot local` start-up to its first prompt, and its peak memory.

local_startup_s: seconds from starting `python -m bot.cli local` (moto, the bot's resources,
the sample data, the local Slack) to its first prompt, in a fresh interpreter (the issue
defines this one as a time; it is printed, never asserted on).
local_startup_vs_imports: the same start-up over importing its third-party packages alone
in a fresh interpreter (a ratio, measured side by side).
local_peak_rss_mb: peak resident memory of that process after running examples/tour.opsbot
at its prompt (the issue wants < 400 MB).
local_tour_failed_lines: lines of the tour the console could not execute (0 expected).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "examples" / "tour.opsbot"
_IMPORTS = "import boto3, moto.server, slack_bolt, aws_lambda_powertools, time_machine"


def _imports_s() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _IMPORTS], cwd=ROOT, check=True)
    return time.perf_counter() - start


def _console_run() -> tuple[float, float, int]:
    """(seconds to the first prompt, peak RSS in MB, failed lines) of one console session."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        env = {**os.environ, "NO_COLOR": "1"}
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", _CONSOLE_WITH_PEAK],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        banner = process.stdout.readline()  # printed right before the first prompt is read
        startup = time.perf_counter() - start
        if "opsbot local" not in banner:
            process.kill()
            process.wait()
            raise RuntimeError(f"opsbot local did not start: {banner!r}")
        process.stdin.write(TOUR.read_text(encoding="utf-8"))
        process.stdin.close()
        process.stdout.read()
        process.wait()
        errors.seek(0)
        lines = errors.read().splitlines()
    failed = sum(1 for line in lines if line.startswith("opsbot: "))
    peaks = [int(line.split()[1]) for line in lines if line.startswith(_PEAK_MARK)]
    if process.returncode != 0 or not peaks:
        raise RuntimeError(f"opsbot local exited with {process.returncode}")
    return startup, peaks[-1] / 1024, failed


_PEAK_MARK = "opsbot-bench-peak-kb"
# The console, reporting its own peak RSS on exit (VmHWM: ru_maxrss would include the
# footprint of this benchmark process, which Linux carries across fork and exec).
_CONSOLE_WITH_PEAK = f"""
import atexit, resource, sys
from benchmarks.bench_bundle import peak_rss_kb
atexit.register(lambda: print("{_PEAK_MARK}", peak_rss_kb(resource), file=sys.stderr))
from bot.cli import main
sys.exit(main(["local"]))
"""


def measure() -> dict[str, float | int]:
    """Start-up, its ratio to the bare imports, peak RSS after the tour, failed tour lines."""
    imports = _imports_s()
    startup, peak_mb, failed = _console_run()
    return {
        "local_startup_s": startup,
        "local_startup_vs_imports": startup / imports,
        "local_peak_rss_mb": peak_mb,
        "local_tour_failed_lines": failed,
    }


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
