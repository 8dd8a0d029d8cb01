"""Retention planner on 100,000 backups vs. sorted() of the same list (DESIGN.md section 10)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from bot.domain.backups import BackupInfo, BackupType
from bot.domain.policy import parse_policy
from bot.domain.retention import plan_prune

COUNT = 100_000
REPETITIONS = 7
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POLICY = "keep-last=3,keep-daily=7,keep-weekly=4,keep-monthly=12,keep-yearly=3,min-age=1d"


def synthetic_backups(count: int = COUNT, seed: int = 7) -> list[BackupInfo]:
    """Backups spread over ~3 years, mostly USER and AVAILABLE, in the order AWS lists them."""
    rng = random.Random(seed)
    kinds = [BackupType.USER] * 18 + [BackupType.SYSTEM, BackupType.AWS_BACKUP]
    backups = []
    for i in range(count):
        created = NOW - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        kind = rng.choice(kinds)
        status = "CREATING" if i % 5000 == 0 else "AVAILABLE"
        arn = f"arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/{i:020d}"
        backups.append(BackupInfo(arn, f"orders-{i}", "orders", created, 2**30, kind, status))
    rng.shuffle(backups)
    return backups


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    """Best-of-N time of plan_prune over best-of-N time of sorted(), same list, same run."""
    backups = synthetic_backups()
    policy = parse_policy(POLICY)
    # Interleaved, so a busy machine slows both sides alike.
    sort_times, plan_times = [], []
    for _ in range(REPETITIONS):
        sort_times.append(_timed(lambda: sorted(backups, key=attrgetter("created"))))
        plan_times.append(_timed(lambda: plan_prune(backups, policy, NOW)))
    return {"planner_100k_vs_sorted_ratio": min(plan_times) / min(sort_times)}
