"""The `/ddb` grammar: every command of DESIGN.md section 4, and the usage errors people see."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.command_parser import parse_command, split_words
from bot.domain.command_usage import SPECS
from bot.domain.commands import (
    Alarms,
    Backup,
    Backups,
    Help,
    Pitr,
    Prune,
    Replicas,
    Restore,
    Restores,
    Status,
    WhoChanged,
)
from bot.domain.errors import UsageError
from bot.domain.policy import RetentionPolicy
from bot.domain.refs import TableRef

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ORDERS = TableRef("orders")
BACKUP_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/01695000000000-a1b2c3d4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("help restore", Help("restore")),
        ("HELP Status", Help("status")),
        ("status orders", Status(ORDERS)),
        ("status orders@us-east-1", Status(TableRef("orders", "us-east-1"))),
        ("status orders --region eu-west-1", Status(TableRef("orders", "eu-west-1"))),
        ("status orders --region=eu-west-1", Status(TableRef("orders", "eu-west-1"))),
        (
            "status orders@us-gov-west-1 --region us-gov-west-1",
            Status(TableRef("orders", "us-gov-west-1")),
        ),
        ("backups orders", Backups(ORDERS)),
        (
            "backups orders --since 30d --type system --region us-east-1",
            Backups(TableRef("orders", "us-east-1"), timedelta(days=30), "system"),
        ),
        (
            "backups orders --since 12h --type AWS-Backup",
            Backups(ORDERS, timedelta(hours=12), "aws-backup"),
        ),
        ("backups orders --since 2w", Backups(ORDERS, timedelta(weeks=2))),
        ("backup orders", Backup(ORDERS)),
        ("backup orders --name before-migration", Backup(ORDERS, "before-migration")),
        ("prune orders", Prune(ORDERS)),
        ("prune orders --apply", Prune(ORDERS, apply=True)),
        ("prune --all", Prune(None, all_tables=True)),
        ("prune --all --apply", Prune(None, all_tables=True, apply=True)),
        (
            "prune orders --keep-last 3 --keep-hourly 24 --keep-daily 7 --keep-weekly 4 "
            "--keep-monthly 6 --keep-yearly 2 --keep-within 30d",
            Prune(
                ORDERS,
                flags=RetentionPolicy(
                    keep_last=3,
                    keep_hourly=24,
                    keep_daily=7,
                    keep_weekly=4,
                    keep_monthly=6,
                    keep_yearly=2,
                    keep_within=timedelta(days=30),
                ),
            ),
        ),
        (
            "prune --apply orders --keep-daily 7",
            Prune(ORDERS, flags=RetentionPolicy(keep_daily=7), apply=True),
        ),
        (
            "restore orders --at 2026-11-20T10:42:00Z",
            Restore(ORDERS, at=datetime(2026, 11, 20, 10, 42, tzinfo=UTC)),
        ),
        (
            "restore orders --at 2026-11-20T11:42:00+01:00",
            Restore(ORDERS, at=datetime(2026, 11, 20, 10, 42, tzinfo=UTC)),
        ),
        (
            "restore orders --at 09:42",
            Restore(ORDERS, at=datetime(2026, 11, 22, 9, 42, tzinfo=UTC)),
        ),
        ("restore orders --at '2h ago'", Restore(ORDERS, at=NOW - timedelta(hours=2))),
        ("restore orders --at '90m ago'", Restore(ORDERS, at=NOW - timedelta(minutes=90))),
        ("restore orders --latest", Restore(ORDERS, latest=True)),
        (
            "restore orders --latest --to orders-restored",
            Restore(ORDERS, latest=True, to="orders-restored"),
        ),
        (f"restore orders --backup {BACKUP_ARN}", Restore(ORDERS, backup=BACKUP_ARN)),
        ("restore orders --backup nightly-1", Restore(ORDERS, backup="nightly-1")),
        ("restores", Restores()),
        ("pitr orders", Pitr(ORDERS)),
        ("pitr orders on", Pitr(ORDERS, "on")),
        ("pitr orders OFF", Pitr(ORDERS, "off")),
        ("who-changed orders", WhoChanged(ORDERS, timedelta(days=7), 20)),
        (
            "who-changed orders --since 30d --limit 200",
            WhoChanged(ORDERS, timedelta(days=30), 200),
        ),
        ("alarms", Alarms()),
        ("alarms orders", Alarms(ORDERS)),
        ("alarms recommend orders", Alarms(ORDERS, recommend=True)),
        ("replicas orders@eu-west-1", Replicas(TableRef("orders", "eu-west-1"))),
    ],
    ids=[
        "empty-is-help",
        "help",
        "help-topic",
        "help-case-insensitive",
        "status",
        "status-table-at-region",
        "status-region-option",
        "status-region-option-with-equals",
        "status-same-region-twice-agrees",
        "backups-defaults",
        "backups-all-options",
        "backups-type-case-insensitive",
        "backups-since-weeks",
        "backup",
        "backup-name",
        "prune-dry-run",
        "prune-apply",
        "prune-all",
        "prune-all-apply",
        "prune-every-policy-flag",
        "prune-apply-before-table",
        "restore-at-iso-z",
        "restore-at-iso-offset-normalized-to-utc",
        "restore-at-hh-mm-today-utc",
        "restore-at-hours-ago",
        "restore-at-minutes-ago",
        "restore-latest",
        "restore-latest-to-new-table",
        "restore-backup-arn",
        "restore-backup-name",
        "restores",
        "pitr-show",
        "pitr-on",
        "pitr-off-case-insensitive",
        "who-changed-defaults",
        "who-changed-options",
        "alarms-all",
        "alarms-one-table",
        "alarms-recommend",
        "replicas-with-region",
    ],
)
def test_command_parses_into_its_dataclass(text: str, expected: object) -> None:
    assert parse_command(text, NOW) == expected


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (Prune(ORDERS), "prune"),
        (Prune(ORDERS, apply=True), "prune:apply"),
        (Pitr(ORDERS), "pitr"),
        (Pitr(ORDERS, "off"), "pitr:off"),
        (Alarms(ORDERS, recommend=True), "alarms:recommend"),
        (Restore(ORDERS, latest=True), "restore"),
    ],
    ids=["prune-dry", "prune-apply", "pitr-show", "pitr-off", "alarms-recommend", "restore"],
)
def test_command_action_names_the_variant_that_needs_more_rights(
    command: object, action: str
) -> None:
    assert command.action == action  # type: ignore[attr-defined]


def test_table_ref_fills_default_region_only_when_none_given() -> None:
    assert TableRef("orders").in_region("us-west-2") == TableRef("orders", "us-west-2")
    assert TableRef("orders", "eu-west-1").in_region("us-west-2") == TableRef("orders", "eu-west-1")
    assert str(TableRef("orders", "eu-west-1")) == "orders@eu-west-1"


@pytest.mark.parametrize(
    ("text", "message", "usage"),
    [
        ("stauts orders", "`stauts` is not a command. Did you mean `status`?", "/ddb help"),
        ("frobnicate", "`frobnicate` is not a command. Try `/ddb help`.", "/ddb help"),
        (
            "help restroe",
            "`restroe` is not a command. Did you mean `restore`?",
            SPECS["help"].usage,
        ),
        ("status", "name the table", SPECS["status"].usage),
        ("prune", "name the table", SPECS["prune"].usage),
        ("status o", "`o` is not a table name", SPECS["status"].usage),
        ("status orders!", "`orders!` is not a table name", SPECS["status"].usage),
        ("status orders@mars-1", "`mars-1` is not an AWS region code", SPECS["status"].usage),
        ("status orders --region mars", "`mars` is not an AWS region code", SPECS["status"].usage),
        (
            "status orders@us-west-2 --region us-east-1",
            "the table says `us-west-2` but `--region` says `us-east-1`",
            SPECS["status"].usage,
        ),
        ("status orders --verbose", "`status` has no option `--verbose`", SPECS["status"].usage),
        ("status orders extra", "unexpected `extra`", SPECS["status"].usage),
        (
            "backups orders --since 1d --since 2d",
            "`--since` is given twice",
            SPECS["backups"].usage,
        ),
        ("status orders --region", "`--region` needs a value", SPECS["status"].usage),
        ("backups orders --since= ", "`--since` needs a value", SPECS["backups"].usage),
        (
            "backups orders --since yesterday",
            "`yesterday` is not a duration",
            SPECS["backups"].usage,
        ),
        ("backups orders --type daily", "`--type` is one of user, system", SPECS["backups"].usage),
        ("backup orders --name 'a b'", "`a b` is not a valid backup name", SPECS["backup"].usage),
        ('status "orders', "I could not read that", "/ddb help"),
        ("restore orders", "choose one of `--at TIME`, `--latest`", SPECS["restore"].usage),
        (
            "restore orders --latest --backup nightly-1",
            "give only one of `--at TIME`, `--latest`",
            SPECS["restore"].usage,
        ),
        (
            "restore orders --at 2026-11-23T00:00:00Z",
            "`--at 2026-11-23T00:00:00Z` is 2026-11-23 00:00 UTC, in the future (it is "
            "2026-11-22 10:00 UTC now)",
            SPECS["restore"].usage,
        ),
        (
            "restore orders --at 10:42",
            "`--at 10:42` is 2026-11-22 10:42 UTC, in the future; did you mean 2026-11-21 10:42 "
            "UTC (`--at 2026-11-21T10:42:00Z`)?",
            SPECS["restore"].usage,
        ),
        (
            "restore orders --at 2026-11-20T10:42:00",
            "has no time zone; add `Z` for UTC",
            SPECS["restore"].usage,
        ),
        ("restore orders --at tuesday", "`tuesday` is not a time", SPECS["restore"].usage),
        (
            "restore orders --latest --to orders",
            "`--to` must name a new table",
            SPECS["restore"].usage,
        ),
        ("pitr orders maybe", "`maybe`: say `on` or `off`", SPECS["pitr"].usage),
        ("who-changed orders --limit 201", "`--limit` is at most 200", SPECS["who-changed"].usage),
        (
            "who-changed orders --limit 0",
            "`0` is not a positive whole number",
            SPECS["who-changed"].usage,
        ),
        (
            "who-changed orders --limit -5",
            "`-5` is not a positive whole number",
            SPECS["who-changed"].usage,
        ),
        ("prune orders --all", "give a table or `--all`, not both", SPECS["prune"].usage),
        ("prune --all orders", "give a table or `--all`, not both", SPECS["prune"].usage),
        ("prune orders --keep-daily x", "`x` is not a positive whole number", SPECS["prune"].usage),
        ("alarms recommend", "name the table", SPECS["alarms"].usage),
        ("restores now", "unexpected `now`", SPECS["restores"].usage),
    ],
    ids=[
        "unknown-command-did-you-mean",
        "unknown-command-no-close-match",
        "help-unknown-topic",
        "missing-table",
        "prune-without-table-or-all",
        "table-name-too-short",
        "table-name-bad-character",
        "bad-region-in-table-ref",
        "bad-region-option",
        "region-disagrees",
        "unknown-option",
        "unexpected-positional",
        "option-given-twice",
        "option-missing-value",
        "option-empty-value",
        "bad-duration",
        "bad-backup-type",
        "bad-backup-name",
        "unbalanced-quote",
        "restore-without-source",
        "restore-two-sources",
        "restore-at-future-iso",
        "restore-at-later-today",
        "restore-at-without-zone",
        "restore-at-not-a-time",
        "restore-to-same-as-source",
        "pitr-bad-change",
        "limit-over-200",
        "limit-zero",
        "limit-negative",
        "prune-table-and-all",
        "prune-all-and-table",
        "prune-bad-keep-number",
        "alarms-recommend-without-table",
        "restores-takes-no-argument",
    ],
)
def test_bad_command_names_the_problem_and_shows_the_usage_line(
    text: str, message: str, usage: str
) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(text, NOW)
    assert message in raised.value.message
    assert raised.value.usage == usage


@pytest.mark.parametrize(
    "text",
    [
        "who-changed orders --limit ²",
        "backups orders --since 9999999999d",
        "restore orders --at '9999999999d ago'",
        "restore orders --at 0001-01-01T00:00:00+01:00",
    ],
    ids=[
        "superscript-digit-limit",
        "huge-duration",
        "huge-relative-time",
        "iso-time-before-year-1-in-utc",
    ],
)
def test_out_of_range_values_are_usage_errors_not_crashes(text: str) -> None:
    with pytest.raises(UsageError):
        parse_command(text, NOW)


def test_restore_at_relative_time_works_without_quotes() -> None:
    assert parse_command("restore orders --at 2h ago", NOW) == Restore(
        ORDERS, at=NOW - timedelta(hours=2)
    )


def test_table_name_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(UsageError):
        parse_command('status "orders\n"', NOW)


_WORDS = st.text(alphabet=st.sampled_from([*"ab-_=@/ .\t\r\n\x0b\xa0\u2003#", '"', "'", "\\"]))


@given(_WORDS | st.text())
def test_words_are_split_exactly_as_shlex_splits_them(text: str) -> None:
    try:
        expected: object = shlex.split(text)
    except ValueError:
        expected = ValueError
    try:
        got: object = split_words(text)
    except ValueError:
        got = ValueError
    assert got == expected


@given(st.text())
def test_any_text_parses_or_raises_usage_error(text: str) -> None:
    try:
        result: object = parse_command(text, NOW)
    except UsageError as exc:
        result = exc
    if isinstance(result, UsageError):
        assert result.message
    else:
        assert result.action  # type: ignore[attr-defined]


COMMAND_WORDS = (
    "orders",
    "orders@us-west-2",
    "--region",
    "us-east-1",
    "--since",
    "30d",
    "--limit",
    "5",
    "--at",
    "10:42",
    "'2h ago'",
    "--latest",
    "--to",
    "x",
    "--apply",
    "--all",
    '"',
)


@given(
    st.lists(
        st.sampled_from([*SPECS, *COMMAND_WORDS]),
        max_size=8,
    ).map(" ".join)
)
def test_command_like_text_parses_or_raises_usage_error(text: str) -> None:
    try:
        parse_command(text, NOW)
    except UsageError as exc:
        message = exc.message
    else:
        message = "parsed"
    assert message
