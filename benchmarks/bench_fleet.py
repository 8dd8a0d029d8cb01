"""A fleet: 3 accounts x 4 regions, 10,000 tables, 100,000 backups, a policy that deletes 30 %.

The real nightly prune (bot.flows.backups.prune_fanout.schedule_prune, then
run_prune_task for every message) runs against fake AWS (benchmarks/fleet_fakes.py: moto is
too slow at this size) on a virtual clock: every call costs a modeled service time and the
rate limiters sleep on that clock, at the rates AWS documents per account and region
(DESIGN.md section 11). The prune queue is FIFO with one message group per account and
region, so the groups run side by side and each group's tasks one after another: the run's
modeled length is the scheduler's plus the longest group's.

Figures:
- fleet_10k.aws_calls_vs_minimum: AWS calls made (ListTables, ListTagsOfResource,
  ListBackups, DeleteBackup, SendMessageBatch, GetCallerIdentity) over the fewest that can do
  the job: a ListTables page per 100 tables, a tag read and a ListBackups page per 100
  backups per table, a DeleteBackup per deleted backup, a SendMessageBatch per 10 tasks.
- fleet_10k.sqs_messages, fleet_10k.modeled_minutes, fleet_10k.max_invocation_s (the longest
  scheduler or worker invocation, modeled), fleet_10k.digest_posts.
- fleet_10k.scheduler_peak_rss_mb: peak RSS of a fresh process that runs the scheduler over
  the 10,000 tables (its queue fake keeps nothing).
- fleet_10k.state_calls_per_table: state-table calls per table (claims, reports, checkpoints).
- planner_1m_vs_sorted_ratio: plan_prune over one table's 1,000,000 backups vs. sorted().
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from benchmarks.fleet_fakes import (
    Calls,
    FakeNotifier,
    FakeSqs,
    FakeStateTable,
    FakeSts,
    FleetTables,
    VirtualClock,
)
from bot.aws.backups import BackupPace
from bot.aws.state import StateStore
from bot.domain.accounts import Account
from bot.settings import Settings

HOME_ID = "123456789012"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
ACCOUNTS = (
    Account(HOME_ID, "ops-central", REGIONS),
    Account("210987654321", "payments-prod", REGIONS, "arn:aws:iam::210987654321:role/m", "x1"),
    Account("333344445555", "payments-stage", REGIONS, "arn:aws:iam::333344445555:role/m", "x2"),
)
TABLES = 10_000
BACKUPS_PER_TABLE = 10  # 100,000 backups
POLICY = "keep-last=7"  # deletes 3 of 10: 30 %
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/opsbot-prune.fifo"
DIGEST_CHANNEL = "C0BACKUPS1"
PLANNER_COUNT = 1_000_000


def _tables_in(place: int) -> int:
    """Tables of the place-th account x region: 10,000 spread unevenly over 12 places."""
    places = len(ACCOUNTS) * len(REGIONS)
    weights = [1 + (i % 4) for i in range(places)]  # 1, 2, 3, 4, 1, 2, ...
    shares = [TABLES * w // sum(weights) for w in weights]
    shares[0] += TABLES - sum(shares)
    return shares[place]


class FleetClients:
    """The account-aware client factory over the fakes (runtime.extras["account_clients"])."""

    def __init__(self, calls: Calls, sqs: FakeSqs) -> None:
        self.calls, self.sqs = calls, sqs
        self.places: dict[tuple[str, str], FleetTables] = {}
        index = 0
        for account in ACCOUNTS:
            for region in REGIONS:
                self.places[(account.id, region)] = FleetTables(
                    account.id, region, _tables_in(index), lambda _: BACKUPS_PER_TABLE, calls
                )
                index += 1

    def client(self, service: str, region: str | None = None, account: Any = None) -> Any:
        """A fake client of ``service`` in ``account`` (None: home) and ``region``."""
        if service == "sqs":
            return self.sqs
        if service == "sts":
            return FakeSts(self.calls, HOME_ID)
        account_id = account.id if isinstance(account, Account) else (account or HOME_ID)
        return self.places[(account_id, region or REGIONS[0])]


def fleet_runtime(*, keep_messages: bool = True) -> tuple[Any, Calls, FleetClients, FakeNotifier]:
    """A Runtime over the fakes and a virtual clock: delete mode, the default policy."""
    from bot.runtime import Runtime

    clock = VirtualClock()
    calls = Calls(clock)
    sqs = FakeSqs(calls, keep=keep_messages)
    clients = FleetClients(calls, sqs)
    settings = Settings()
    settings = replace(
        settings,
        regions=REGIONS,
        accounts=ACCOUNTS,
        retention_default=POLICY,
        prune_queue_url=QUEUE_URL,
        prune_mode="delete",
        channels=replace(settings.channels, backups=DIGEST_CHANNEL),
    )
    notifier = FakeNotifier()
    runtime = Runtime(settings, clock=clock.datetime, aws=clients, notifier_override=notifier)  # type: ignore[arg-type]
    runtime.extras["account_clients"] = clients
    runtime.extras["backup_pace"] = BackupPace.with_clock(clock.now, clock.sleep)
    runtime.__dict__["state"] = StateStore(FakeStateTable(calls), settings.state_table)
    return runtime, calls, clients, notifier


def _minimum(clients: FleetClients) -> int:
    """The fewest AWS calls that prune the fleet (state-table calls not counted)."""
    tables = sum(p.count for p in clients.places.values())
    list_tables = sum(max(1, math.ceil(p.count / 100)) for p in clients.places.values())
    list_backups = tables * max(1, math.ceil(BACKUPS_PER_TABLE / 100))
    deletes = sum(len(p.deleted) for p in clients.places.values())
    sends = math.ceil(tables / 10)
    return list_tables + tables + list_backups + deletes + sends + 1  # + GetCallerIdentity


def run_fleet() -> dict[str, float | int]:
    """The nightly prune of the whole fleet, modeled."""
    from bot.domain.prune_jobs import PruneTask
    from bot.flows.backups.prune_fanout import schedule_prune
    from bot.flows.backups.prune_runs import run_prune_task

    runtime, calls, clients, notifier = fleet_runtime()
    clock = calls.clock
    event = {"id": "fleet-10k", "time": "2026-11-22T03:00:00Z"}
    schedule_prune(runtime, event)
    scheduler_s = clock.now()
    longest_invocation, longest_group = scheduler_s, 0.0
    sqs = clients.sqs
    for bodies in sqs.groups.values():
        # One worker at a time per group (FIFO): the group's timeline starts when the
        # scheduler is done and runs its tasks in order.
        clock.t = scheduler_s
        for body in bodies:
            started = clock.now()
            run_prune_task(runtime, PruneTask.from_json(body))
            longest_invocation = max(longest_invocation, clock.now() - started)
        longest_group = max(longest_group, clock.now() - scheduler_s)
    aws_calls = sum(n for op, n in calls.by_operation.items() if not op.startswith("state."))
    state_calls = sum(n for op, n in calls.by_operation.items() if op.startswith("state."))
    deleted = sum(len(p.deleted) for p in clients.places.values())
    assert deleted == TABLES * BACKUPS_PER_TABLE * 3 // 10, deleted
    digests = [m for channel, m in notifier.posts if channel == DIGEST_CHANNEL]
    return {
        "fleet_10k.aws_calls": aws_calls,
        "fleet_10k.aws_calls_minimum": _minimum(clients),
        "fleet_10k.aws_calls_vs_minimum": aws_calls / _minimum(clients),
        "fleet_10k.backups_deleted": deleted,
        "fleet_10k.sqs_messages": sqs.sent,
        "fleet_10k.scheduler_modeled_s": scheduler_s,
        "fleet_10k.modeled_minutes": (scheduler_s + longest_group) / 60,
        "fleet_10k.max_invocation_s": longest_invocation,
        "fleet_10k.digest_posts": len(digests),
        "fleet_10k.state_calls_per_table": state_calls / TABLES,
    }


def scheduler_peak_rss_mb() -> float:
    """Peak RSS (MB) of this process after scheduling the fleet (run in a fresh process)."""
    import resource

    from bot.flows.backups.prune_fanout import schedule_prune

    runtime, _, clients, _ = fleet_runtime(keep_messages=False)
    schedule_prune(runtime, {"id": "fleet-rss", "time": "2026-11-22T03:00:00Z"})
    assert clients.sqs.sent == TABLES
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _scheduler_rss_in_fresh_process() -> float:
    code = "from benchmarks.bench_fleet import scheduler_peak_rss_mb as f; print(f())"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def planner_ratio() -> float:
    """Best-of-3 plan_prune over one table's 1,000,000 backups vs. best-of-3 sorted()."""
    from operator import attrgetter

    from benchmarks.bench_retention import NOW, synthetic_backups
    from benchmarks.bench_retention import POLICY as MIXED
    from bot.domain.policy import parse_policy
    from bot.domain.retention import plan_prune

    backups = synthetic_backups(PLANNER_COUNT)
    policy = parse_policy(MIXED)
    sort_times, plan_times = [], []
    for _ in range(3):
        start = time.perf_counter()
        sorted(backups, key=attrgetter("created"))
        sort_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        plan_prune(backups, policy, NOW)
        plan_times.append(time.perf_counter() - start)
    return min(plan_times) / min(sort_times)


def measure() -> dict[str, float | int]:
    """Every fleet figure (see the module docstring)."""
    figures = run_fleet()
    figures["fleet_10k.scheduler_peak_rss_mb"] = _scheduler_rss_in_fresh_process()
    figures["planner_1m_vs_sorted_ratio"] = planner_ratio()
    return figures
