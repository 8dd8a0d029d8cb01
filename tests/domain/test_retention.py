"""Retention policies and prune plans: restic `forget` semantics plus opsbot's safety rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.backups import GIB, BackupInfo, BackupType
from bot.domain.errors import InvalidValue
from bot.domain.policy import RetentionPolicy, parse_policy, policy_from_mapping
from bot.domain.retention import NO_RULE, NOT_USER, PrunePlan, plan_prune

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def backup(
    age: timedelta,
    name: str = "",
    *,
    type: BackupType = BackupType.USER,
    status: str = "AVAILABLE",
    size: int | None = GIB,
    now: datetime = NOW,
) -> BackupInfo:
    name = name or f"orders-{int(age.total_seconds())}"
    return BackupInfo(f"arn:{name}", name, "orders", now - age, size, type, status)


def hourly_backups(count: int) -> list[BackupInfo]:
    return [backup(timedelta(hours=h), f"b{h:03d}") for h in range(count)]


def kept_names(plan: PrunePlan) -> list[str]:
    return [b.name for b in plan.to_keep]


def reasons_of(plan: PrunePlan) -> dict[str, tuple[str, ...]]:
    return {d.backup.name: d.reasons for d in plan.decisions}


# --- parsing policies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "keep-daily=7,keep-weekly=4,keep-within=30d,min-age=2d",
            RetentionPolicy(
                keep_daily=7,
                keep_weekly=4,
                keep_within=timedelta(days=30),
                min_age=timedelta(days=2),
            ),
        ),
        ("keep-last=3 keep-monthly=12", RetentionPolicy(keep_last=3, keep_monthly=12)),
        ("keep_hourly=24, keep_yearly=2", RetentionPolicy(keep_hourly=24, keep_yearly=2)),
        ("KEEP-DAILY=7", RetentionPolicy(keep_daily=7)),
        ("", RetentionPolicy()),
        ("min-age=12h", RetentionPolicy(min_age=timedelta(hours=12))),
    ],
    ids=["tag-form", "spaces", "underscores", "upper-case", "empty", "min-age-only"],
)
def test_parse_policy_reads_tag_and_config_strings(text: str, expected: RetentionPolicy) -> None:
    assert parse_policy(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keep-dayly=7", "`keep-dayly=7` is not a retention rule"),
        ("keep-daily", "`keep-daily` is not a retention rule"),
        ("keep-daily=", "`keep-daily=` is not a retention rule"),
        ("keep-daily=seven", "`keep-daily` must be a whole number, not `seven`"),
        ("keep-daily=0", "`keep-daily` must be a whole number of at least 1"),
        ("keep-within=30", "`keep-within`: `30` is not a duration"),
        ("keep-daily=7,keep-daily=3", "`keep-daily` is given twice"),
    ],
    ids=["unknown-key", "no-value", "empty-value", "not-a-number", "zero", "no-unit", "twice"],
)
def test_parse_policy_names_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_policy(text)
    assert message in caught.value.message


def test_parse_policy_error_lists_the_accepted_keys() -> None:
    with pytest.raises(InvalidValue, match="accepted keys: keep-last, keep-hourly"):
        parse_policy("forever=1")


def test_policy_from_mapping_reads_a_toml_table() -> None:
    table = {"keep_last": 3, "keep_daily": 7, "keep_within": "30d", "min_age": "1d"}
    assert policy_from_mapping(table) == RetentionPolicy(
        keep_last=3, keep_daily=7, keep_within=timedelta(days=30), min_age=timedelta(days=1)
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"keep_forever": 1}, "`keep_forever` is not a retention key; accepted keys: keep_last"),
        ({"keep_daily": True}, "`keep-daily` must be a whole number, not True"),
        ({"keep_daily": 1.5}, "`keep-daily` must be a whole number, not 1.5"),
        ({"keep_within": 30}, "`keep-within` must be a duration such as 30d, not 30"),
        ({"min_age": "soon"}, "`min-age`: `soon` is not a duration"),
    ],
    ids=["unknown-key", "bool", "float", "duration-as-number", "bad-duration"],
)
def test_policy_from_mapping_names_the_bad_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        policy_from_mapping(table)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("keep-last=3,keep-daily=7,keep-weekly=4", "keep-last 3, daily 7, weekly 4"),
        ("keep-within=2w,min-age=36h", "within 14d, min-age 36h"),
        ("keep-monthly=12,keep-yearly=5,keep-hourly=24", "hourly 24, monthly 12, yearly 5"),
        ("", "no keep rules (keeps everything)"),
        ("min-age=2d", "no keep rules (keeps everything), min-age 2d"),
    ],
    ids=["counts", "durations", "canonical-order", "empty", "floor-only"],
)
def test_describe_reads_like_the_command_options(text: str, described: str) -> None:
    assert parse_policy(text).describe() == described


def test_as_text_reads_back_as_the_same_policy() -> None:
    policy = parse_policy("min-age=2d,keep-weekly=4,keep-within=90m,keep-last=1")
    assert policy.as_text() == "keep-last=1,keep-weekly=4,keep-within=90m,min-age=2d"
    assert parse_policy(policy.as_text()) == policy


@pytest.mark.parametrize(
    ("policy", "empty"),
    [
        (RetentionPolicy(), True),
        (RetentionPolicy(min_age=timedelta(days=1)), True),
        (RetentionPolicy(keep_within=timedelta(days=1)), False),
        (RetentionPolicy(keep_yearly=1), False),
    ],
    ids=["nothing", "floor-only", "within", "yearly"],
)
def test_is_empty_means_no_keep_rule(policy: RetentionPolicy, empty: bool) -> None:
    assert policy.is_empty is empty


# --- plans: restic semantics ----------------------------------------------------------------


def test_keep_last_keeps_the_newest_n() -> None:
    plan = plan_prune(hourly_backups(6), parse_policy("keep-last=3"), NOW)
    assert kept_names(plan) == ["b000", "b001", "b002"]
    assert reasons_of(plan)["b000"] == ("newest backup", "last 3")
    assert reasons_of(plan)["b003"] == (NO_RULE,)


def test_keep_daily_keeps_the_newest_backup_of_each_day_with_a_backup() -> None:
    # Backups every 6 h from 2026-11-20 12:00 back, with 2026-11-18 missing entirely.
    ages = [0, 6, 12, 18, 24, 30, 36, 84, 90]
    backups = [backup(timedelta(hours=a), f"h{a}") for a in ages]
    plan = plan_prune(backups, parse_policy("keep-daily=3"), NOW)
    assert kept_names(plan) == ["h0", "h18", "h84"]  # 11-20, 11-19 and 11-16 (11-18 is empty)
    assert reasons_of(plan)["h18"] == ("daily 2026-11-19",)
    assert reasons_of(plan)["h84"] == ("daily 2026-11-17",)


@pytest.mark.parametrize(
    ("policy", "when", "reason"),
    [
        ("keep-hourly=1", datetime(2026, 11, 20, 9, 59, tzinfo=UTC), "hourly 2026-11-20 09:00"),
        ("keep-weekly=1", datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "weekly 2026-W47"),
        ("keep-weekly=1", datetime(2027, 1, 1, 9, 0, tzinfo=UTC), "weekly 2026-W53"),
        ("keep-weekly=1", datetime(2025, 12, 29, 9, 0, tzinfo=UTC), "weekly 2026-W01"),
        ("keep-monthly=1", datetime(2026, 2, 28, 23, 0, tzinfo=UTC), "monthly 2026-02"),
        ("keep-yearly=1", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "yearly 2026"),
        (
            "keep-daily=1",
            datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
            "daily 2026-11-21",
        ),
    ],
    ids=["hourly", "weekly", "iso-week-53", "iso-week-1-in-december", "monthly", "yearly", "utc"],
)
def test_calendar_reasons_name_the_utc_period(policy: str, when: datetime, reason: str) -> None:
    only = BackupInfo("arn:x", "x", "orders", when, GIB, BackupType.USER, "AVAILABLE")
    plan = plan_prune([only], parse_policy(policy), when + timedelta(days=1))
    assert plan.decisions[0].reasons == ("newest backup", reason)


def test_iso_weeks_start_on_monday() -> None:
    sunday = backup(timedelta(0), "sunday", now=datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    monday = backup(timedelta(0), "monday", now=datetime(2026, 11, 16, 0, 0, tzinfo=UTC))
    sunday_before = backup(timedelta(0), "before", now=datetime(2026, 11, 15, 23, 0, tzinfo=UTC))
    plan = plan_prune([monday, sunday, sunday_before], parse_policy("keep-weekly=5"), NOW)
    assert kept_names(plan) == ["sunday", "before"]


def test_rules_are_ored() -> None:
    plan = plan_prune(hourly_backups(72), parse_policy("keep-last=2,keep-daily=3"), NOW)
    # 11-20 12:00 back to 11-17 13:00: the newest of 11-19 is 23:00, b013.
    assert kept_names(plan) == ["b000", "b001", "b013", "b037"]
    assert reasons_of(plan)["b000"] == ("newest backup", "last 2", "daily 2026-11-20")


def test_keep_within_is_measured_from_the_newest_backup_not_from_now() -> None:
    stopped = [backup(timedelta(days=60 + d), f"d{d}") for d in range(10)]
    plan = plan_prune(stopped, parse_policy("keep-within=3d"), NOW)
    assert kept_names(plan) == ["d0", "d1", "d2"]  # d3 is exactly 3 d older: not newer than
    assert reasons_of(plan)["d1"] == ("within 3d",)


def test_empty_policy_deletes_nothing() -> None:
    plan = plan_prune(hourly_backups(5), RetentionPolicy(min_age=timedelta(hours=1)), NOW)
    assert plan.to_delete == ()
    assert reasons_of(plan)["b000"] == ("newest backup", "no retention rules: nothing is deleted")


def test_no_backups_gives_an_empty_plan() -> None:
    plan = plan_prune([], parse_policy("keep-last=1"), NOW)
    assert plan.decisions == ()
    assert plan.bytes_freed == 0


# --- plans: safety rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [BackupType.SYSTEM, BackupType.AWS_BACKUP], ids=["system", "aws-backup"]
)
def test_only_user_backups_are_deleted(kind: BackupType) -> None:
    old = backup(timedelta(days=400), "old", type=kind)
    plan = plan_prune([*hourly_backups(2), old], parse_policy("keep-last=1"), NOW)
    assert [b.name for b in plan.to_delete] == ["b001"]
    assert reasons_of(plan)["old"] == (NOT_USER,)


def test_a_backup_being_created_is_kept_and_holds_no_rule_place() -> None:
    creating = backup(timedelta(minutes=5), "creating", status="CREATING")
    done = [backup(timedelta(hours=h), f"done{h}") for h in (1, 2, 3)]
    plan = plan_prune([creating, *done], parse_policy("keep-daily=1"), NOW)
    assert kept_names(plan) == ["creating", "done1"]
    assert reasons_of(plan)["creating"] == ("status CREATING: only available backups are deleted",)


def test_nothing_younger_than_min_age_is_deleted() -> None:
    plan = plan_prune(hourly_backups(48), parse_policy("keep-last=1,min-age=1d"), NOW)
    assert plan.to_delete[0].name == "b024"
    assert reasons_of(plan)["b023"] == ("younger than min-age 1d",)


def test_newest_backup_is_kept_under_any_policy() -> None:
    older = backup(timedelta(days=30), "older")
    newest = backup(timedelta(days=1), "newest")
    plan = plan_prune([older, newest], parse_policy("keep-within=1h"), NOW)
    assert kept_names(plan) == ["newest"]


def test_plan_lists_every_backup_newest_first() -> None:
    backups = hourly_backups(10)
    plan = plan_prune(reversed(backups), parse_policy("keep-last=2"), NOW)
    assert [d.backup for d in plan.decisions] == backups


def test_plan_counts_bytes_and_monthly_cost_saved() -> None:
    backups = [backup(timedelta(hours=h), f"b{h}", size=2 * GIB) for h in range(3)]
    backups.append(backup(timedelta(hours=5), "unknown-size", size=None))
    plan = plan_prune(backups, parse_policy("keep-last=1"), NOW)
    assert plan.bytes_freed == 4 * GIB
    assert plan.monthly_cost_saved(0.10) == pytest.approx(0.40)


# --- properties -----------------------------------------------------------------------------

ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]


@st.composite
def backup_sets(draw: st.DrawFn) -> list[BackupInfo]:
    """Backups with random ages (often on an hour grid, so times tie), types and statuses."""
    count = draw(st.integers(0, 40))
    result = []
    for i in range(count):
        seconds = draw(
            st.one_of(
                st.integers(-3600, 3 * 366 * 86400),
                st.integers(0, 2000).map(lambda h: h * 3600),
            )
        )
        zone = draw(st.sampled_from(ZONES))
        kind = draw(
            st.sampled_from([BackupType.USER] * 4 + [BackupType.SYSTEM, BackupType.AWS_BACKUP])
        )
        status = draw(st.sampled_from(["AVAILABLE"] * 4 + ["CREATING", "DELETED"]))
        created = (NOW - timedelta(seconds=seconds)).astimezone(zone)
        result.append(BackupInfo(f"arn:{i}", f"b{i}", "orders", created, i, kind, status))
    return result


def _count() -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(1, 8)


def _hours() -> st.SearchStrategy[timedelta | None]:
    return st.none() | st.integers(1, 3000).map(lambda h: timedelta(hours=h))


policies = st.builds(
    RetentionPolicy,
    keep_last=_count(),
    keep_hourly=_count(),
    keep_daily=_count(),
    keep_weekly=_count(),
    keep_monthly=_count(),
    keep_yearly=_count(),
    keep_within=_hours(),
    min_age=_hours(),
)


def reference_kept(backups: list[BackupInfo], policy: RetentionPolicy, now: datetime) -> set[str]:
    """The ARNs a plan keeps, rule by rule with sets (O(n^2) is fine), not in one pass."""
    order = sorted(range(len(backups)), key=lambda i: (-backups[i].created.timestamp(), i))
    newest_first = [backups[i] for i in order]
    candidates = [b for b in newest_first if b.type == BackupType.USER and b.status == "AVAILABLE"]
    protected = {b.arn for b in backups if b not in candidates}
    if not candidates or policy.is_empty:
        return {b.arn for b in backups}
    kept = {candidates[0].arn}
    if policy.keep_last:
        kept |= {b.arn for b in candidates[: policy.keep_last]}
    periods = [
        (policy.keep_hourly, lambda t: t.strftime("%Y-%m-%d %H")),
        (policy.keep_daily, lambda t: t.date()),
        (policy.keep_weekly, lambda t: t.isocalendar()[:2]),
        (policy.keep_monthly, lambda t: (t.year, t.month)),
        (policy.keep_yearly, lambda t: t.year),
    ]
    for count, period_of in periods:
        if count:
            newest_of_period: dict[object, BackupInfo] = {}
            for b in candidates:
                newest_of_period.setdefault(period_of(b.created.astimezone(UTC)), b)
            kept |= {b.arn for b in list(newest_of_period.values())[:count]}
    if policy.keep_within:
        latest = max(b.created for b in candidates)
        kept |= {b.arn for b in candidates if latest - b.created < policy.keep_within}
    if policy.min_age:
        kept |= {b.arn for b in candidates if now - b.created < policy.min_age}
    return kept | protected


@settings(max_examples=200, deadline=None)
@given(backup_sets(), policies)
def test_plan_matches_a_reference_implementation(
    backups: list[BackupInfo], policy: RetentionPolicy
) -> None:
    plan = plan_prune(backups, policy, NOW)
    assert {b.arn for b in plan.to_keep} == reference_kept(backups, policy, NOW)


@settings(max_examples=200, deadline=None)
@given(backup_sets(), policies)
def test_plan_keeps_the_safety_rules(backups: list[BackupInfo], policy: RetentionPolicy) -> None:
    plan = plan_prune(backups, policy, NOW)
    deleted = plan.to_delete
    assert sorted(d.backup.arn for d in plan.decisions) == sorted(b.arn for b in backups)
    assert all(b.type is BackupType.USER and b.status == "AVAILABLE" for b in deleted)
    if policy.min_age:
        assert all(NOW - b.created >= policy.min_age for b in deleted)
    if policy.is_empty:
        assert deleted == ()
    candidates = [d for d in plan.decisions if d.backup.type is BackupType.USER]
    candidates = [d for d in candidates if d.backup.status == "AVAILABLE"]
    if candidates:
        assert candidates[0].keep, "the newest backup that could be deleted is kept"
    assert all(d.reasons for d in plan.decisions)
    assert all(d.reasons == (NO_RULE,) for d in plan.decisions if not d.keep)


@settings(max_examples=200, deadline=None)
@given(backup_sets(), policies)
def test_plan_is_newest_first(backups: list[BackupInfo], policy: RetentionPolicy) -> None:
    times = [d.backup.created for d in plan_prune(backups, policy, NOW).decisions]
    assert times == sorted(times, reverse=True)


@settings(max_examples=200, deadline=None)
@given(policies)
def test_policy_text_round_trips(policy: RetentionPolicy) -> None:
    assert parse_policy(policy.as_text()) == policy
