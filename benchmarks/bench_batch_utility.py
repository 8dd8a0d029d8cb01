"""batch_utility.<function>: what Powertools' batch processing utility would add to the import
of each SQS consumer, as a ratio to that consumer's import today (bot/flows/batches.py keeps
its own run_batch because of it).

Each run is a fresh interpreter that imports the function's module, then the utility
(BatchProcessor, process_partial_response, the SQS record data class), timing both steps;
the figure is the median over the runs of (function + utility) / function. Import ratios
of the functions must stay at or under 1.10 (bench_import), so a utility costing more than
a tenth of a function's import cannot be taken on at import time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from benchmarks.bench_import import ROOT

RUNS = 9
CONSUMERS = ("prune_worker", "restore_watcher", "slack_worker")
_PROBE = """
import json, time
t0 = time.perf_counter()
import functions.{name}
t1 = time.perf_counter()
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""


def _ratio(name: str) -> float:
    ratios = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(name=name)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        ours, utility = json.loads(out)
        ratios.append((ours + utility) / ours)
    return statistics.median(ratios)


def measure() -> dict[str, float]:
    """The utility's import as a ratio to each SQS consumer's import."""
    return {f"batch_utility.{name}": _ratio(name) for name in CONSUMERS}
