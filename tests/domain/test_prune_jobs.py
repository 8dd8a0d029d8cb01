"""Policy resolution (tag > per-table config > default; flags override) and prune tasks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import InvalidValue
from bot.domain.policy import RetentionPolicy
from bot.domain.prune_jobs import PruneTask, batches, resolve_policy, run_id_for

TABLES = {"orders": "keep-daily=7", "blank": ""}


@pytest.mark.parametrize(
    ("table", "tag", "default", "expected", "source"),
    [
        ("orders", "keep-last=3", "keep-daily=1", "keep-last=3", "tag"),
        ("orders", None, "keep-daily=1", "keep-daily=7", "config"),
        ("events", None, "keep-weekly=2", "keep-weekly=2", "default"),
        ("blank", None, "keep-weekly=2", "keep-weekly=2", "default"),
        ("events", None, "", "", "none"),
        ("orders", "none", "keep-daily=1", "", "tag"),
        ("orders", "  ", "", "keep-daily=7", "config"),
    ],
    ids=[
        "tag-wins",
        "config-over-default",
        "default",
        "empty-config",
        "nothing",
        "opt-out",
        "blank-tag",
    ],
)
def test_policy_precedence(
    table: str, tag: str | None, default: str, expected: str, source: str
) -> None:
    resolved = resolve_policy(table, tag=tag, tables=TABLES, default=default)
    assert (resolved.text, resolved.source) == (expected, source)
    assert resolved.applies is bool(expected)


def test_flags_replace_the_keep_rules_but_keep_the_configured_floor() -> None:
    resolved = resolve_policy(
        "orders",
        tag="keep-daily=7,min-age=2d",
        tables={},
        default="",
        flags=RetentionPolicy(keep_last=2),
    )
    assert resolved.source == "flags"
    assert resolved.text == "keep-last=2,min-age=2d"


@pytest.mark.parametrize(
    ("table", "tag", "default", "expected", "source"),
    [
        ("orders", "keep-last=3", "", "keep-last=3", "tag"),
        ("orders", None, "", "keep-daily=7", "config"),
        ("orders", "none", "", "", "tag"),
        ("events", None, "keep-weekly=2,min-age=1d", "keep-last=1,min-age=1d", "flags"),
        ("events", None, "", "keep-last=1", "flags"),
    ],
    ids=["tag-wins", "config-wins", "opt-out-wins", "instead-of-default", "no-policy"],
)
def test_flags_with_every_table_apply_only_to_tables_without_their_own(
    table: str, tag: str | None, default: str, expected: str, source: str
) -> None:
    resolved = resolve_policy(
        table,
        tag=tag,
        tables=TABLES,
        default=default,
        flags=RetentionPolicy(keep_last=1),
        every_table=True,
    )
    assert (resolved.text, resolved.source) == (expected, source)


def test_flags_remember_the_policy_they_stand_in_for() -> None:
    resolved = resolve_policy(
        "orders", tag=None, tables=TABLES, default="", flags=RetentionPolicy(keep_last=2)
    )
    assert (resolved.replaced, resolved.replaced_source) == (
        RetentionPolicy(keep_daily=7),
        "config",
    )


def test_no_flags_means_the_configured_policy() -> None:
    resolved = resolve_policy(
        "orders", tag=None, tables=TABLES, default="", flags=RetentionPolicy()
    )
    assert resolved.source == "config"


def test_a_bad_tag_names_the_tag_and_the_table() -> None:
    with pytest.raises(InvalidValue, match="the `opsbot:retention` tag of `orders`: `keep=2`"):
        resolve_policy("orders", tag="keep=2", tables={}, default="")


def test_prune_task_round_trips_through_json() -> None:
    task = PruneTask("r1", "us-west-2", "orders", "keep-last=2", "tag", "delete", ("a", "b"), "U1")
    assert PruneTask.from_json(task.to_json()) == task
    assert task.key == "us-west-2#orders"
    approved = replace(task, approved_by="U2")
    assert PruneTask.from_json(approved.to_json()) == approved


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("nope", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"run_id": "r", "region": "us-west-2", "policy": ""}', "no `table`"),
        ('{"run_id": "r", "region": "r", "table": "t", "policy": "x=1"}', "not a retention rule"),
        ('{"run_id": "r", "region": "r", "table": "t", "policy": "", "mode": "zap"}', "prune mode"),
        ('{"run_id": "r", "region": "r", "table": "t", "policy": "", "arns": "a"}', "list of"),
    ],
    ids=["not-json", "not-object", "no-table", "bad-policy", "bad-mode", "bad-arns"],
)
def test_malformed_prune_tasks_are_refused(body: str, why: str) -> None:
    with pytest.raises(InvalidValue, match=why):
        PruneTask.from_json(body)


def test_run_id_sorts_by_start_time_and_names_the_trigger() -> None:
    started = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert run_id_for(started, "ev1") == "20261122T030000Z-ev1"
    assert run_id_for(started, "a") < run_id_for(started + timedelta(days=1), "a")


def test_batches_of_ten() -> None:
    assert [len(b) for b in batches(list(range(23)), 10)] == [10, 10, 3]
