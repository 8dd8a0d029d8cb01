"""mrkdwn and link injection: no event or AWS string can ping, link or spoof in Slack.

Two sweeps. (1) Every string leaf of every sample event in tests/events/ (including the JSON
inside SNS messages) is replaced by, and then suffixed with, every payload at once, and
the event goes through the same parse and render steps as its handler. (2) Every public
`render_*` function in bot/render/ is called with synthetic domain objects whose
free-text fields hypothesis fills with hostile text. Either way, the output may only hold
the `<...>` tokens we build: console links, Slack permalinks and the Slack-signed user
who asked.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.render
from bot.domain.alarm_events import AlarmEvent, AlarmState
from bot.domain.alarm_messages import (
    ALARM_DETAIL_TYPES,
    parse_eventbridge_alarm,
    parse_sns_alarm,
)
from bot.domain.alarm_set import AlarmSpec, AlarmSummary, Recommendation
from bot.domain.audit import AuditEvent, normalize, normalize_log_file
from bot.domain.backup_events import is_backup_event, parse_backup_event
from bot.domain.backup_notices import parse_backup_notice
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.errors import InvalidValue, OpsbotError, UsageError
from bot.domain.policy import RetentionPolicy
from bot.domain.replicas import (
    AlarmInfo,
    GlobalTable,
    HomeView,
    ReplicaHealth,
    ReplicationLag,
    TableHealth,
)
from bot.domain.restore_jobs import RestoreJob
from bot.domain.restores import RestorePlan
from bot.domain.retention import Decision, PruneOutcome, PrunePlan
from bot.domain.s3_notices import is_s3_notification, log_file_notices
from bot.domain.sns_inbox import (
    ALARM,
    BACKUP_JOB,
    S3_OBJECTS,
    classify_sns,
    decode_alarm,
    json_object,
    sns_messages,
)
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus
from bot.render import (
    alarm_list,
    alarms,
    audit,
    backups,
    confirm,
    help,
    home,
    notices,
    replicas,
    restore_jobs,
    restores,
    status,
)
from bot.render.message import Message
from tests.security.slack_text import ALL_PAYLOADS, PAYLOADS, assert_safe

EVENTS = Path(__file__).parent.parent / "events"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
REQUESTER = "U0ADMIN01"  # from Slack's signed payload: the one mention we make on purpose
TRUSTED = frozenset({REQUESTER})


# --- (1) every string of every sample event -------------------------------------------------


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of string leaves; a string holding a JSON object is walked into (SNS Message)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    elif isinstance(node, str):
        inner = _json_object(node)
        if inner is not None:
            yield from _leaves(inner, (*path, "<json>"))
        else:
            yield path


def _json_object(text: str) -> Any:
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _with(node: Any, path: tuple[Any, ...], change: Callable[[str], str]) -> Any:
    """A copy of ``node`` with the leaf at ``path`` changed."""
    if not path:
        return change(node)
    head, rest = path[0], path[1:]
    if head == "<json>":
        return json.dumps(_with(json.loads(node), rest, change))
    copied = copy.copy(node)
    copied[head] = _with(node[head], rest, change)
    return copied


def _contributor(text: str) -> AlarmEvent:
    """A contributor state change whose every free-text field is ``text``."""
    return parse_eventbridge_alarm(
        {
            "detail-type": "CloudWatch Alarm Contributor State Change",
            "resources": [f"arn:aws:cloudwatch:us-west-2:123456789012:alarm:{text}"],
            "detail": {
                "alarmName": text,
                "alarmContributor": {"id": text, "attributes": {"TableName": text, text: text}},
                "state": {"value": "ALARM", "reason": text},
                "muteDetail": {"mutedByArn": text},
            },
        }
    )


def _alarm_messages(event: AlarmEvent) -> list[Message]:
    opened = NOW - timedelta(minutes=30)
    return [
        alarms.render_alarm(
            event,
            now=NOW,
            datapoints=event.recent_datapoints,
            incident_opened_at=opened,
            mention=None,
        ),
        alarms.render_resolved(event, opened_at=opened, now=NOW),
        alarms.render_thread_repeat(event, NOW),
        alarms.render_resolved_reply(event, opened, NOW),
    ]


def _audit_messages(events: list[AuditEvent]) -> list[Message]:
    rendered = [audit.render_audit_notice(e, now=NOW) for e in events]
    if events:
        rendered.append(
            audit.render_who_changed(
                "orders", events, now=NOW, source="history", since=NOW - timedelta(days=7)
            )
        )
    return rendered


def _alarm_event_messages(event: AlarmEvent) -> list[Message]:
    """An alarm's messages, and a contributor's thread reply when it is one."""
    rendered = _alarm_messages(event)
    if event.contributor is not None:
        rendered.append(alarms.render_contributor(event, NOW))
    return rendered


def _s3_messages(message: dict[str, Any]) -> list[Message]:
    """S3 names a bucket and keys, which reach Slack when the bucket cannot be read."""
    return [
        notices.render_trail_unreadable(notice.bucket, key, "AccessDenied", now=NOW)
        for notice in log_file_notices(message)
        for key in (*notice.keys, *notice.skipped)
    ]


def messages_for(event: Any) -> list[Message]:
    """What the event's handler would post, built by the same parse and render steps."""
    try:
        if isinstance(event, dict) and (
            event.get("detail-type") in ALARM_DETAIL_TYPES or "alarmData" in event
        ):
            return _alarm_event_messages(parse_eventbridge_alarm(event))
        if isinstance(event, dict) and is_s3_notification(event):
            return _s3_messages(event)
        if isinstance(event, dict) and "detail-type" in event:
            found = normalize(event, include_read_only=True, include_data_events=True)
            return _audit_messages([found] if found else [])
        if isinstance(event, dict) and "Records" in event and "Sns" not in str(event)[:200]:
            return _audit_messages(
                normalize_log_file(event, include_read_only=True, include_data_events=True)
            )
        rendered: list[Message] = []
        for message in sns_messages(event):
            if isinstance(message, InvalidValue):
                continue
            kind = classify_sns(message.text, message.subject, message.attributes)
            if kind == ALARM:
                alarm = parse_sns_alarm(
                    decode_alarm(message.text),
                    message_id=message.message_id,
                    topic_arn=message.topic_arn,
                )
                rendered += _alarm_event_messages(alarm)
            elif kind == S3_OBJECTS:
                rendered += _s3_messages(decode_alarm(message.text))
            elif kind == BACKUP_JOB:
                decoded = json_object(message.text)
                if decoded is not None and is_backup_event(decoded):
                    notice = parse_backup_event(decoded, topic_arn=message.topic_arn)
                else:
                    notice = parse_backup_notice(
                        message.text,
                        message.attributes,
                        topic_arn=message.topic_arn,
                        timestamp=message.timestamp,
                    )
                rendered.append(notices.render_backup_notice(notice, now=NOW))
            else:
                rendered.append(
                    notices.render_plain_notice(
                        message.subject,
                        message.text,
                        topic_arn=message.topic_arn,
                        now=NOW,
                        sent_at=message.timestamp,
                    )
                )
        return rendered
    except OpsbotError:
        return []  # dropped with a reason by the handler: nothing reaches Slack


EVENT_FILES = sorted(EVENTS.rglob("*.json"))
# Written by the AWS service itself, not by the caller: CloudTrail's awsRegion and the
# EventBridge envelope's region. The domain accepts only region codes there; the two
# tests below forge them.
AWS_AUTHORED = {"awsRegion", "region"}
# Handled without a word to Slack: S3's test message is ignored quietly.
QUIET_EVENTS = {"sns-s3-test-event"}


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.stem for p in EVENT_FILES])
def test_no_string_of_a_sample_event_can_ping_or_link(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    if path.stem not in QUIET_EVENTS:
        assert messages_for(original), "the untouched event must render something"
    for leaf in _leaves(original):
        if leaf[-1] in AWS_AUTHORED:
            continue
        for change in (lambda _: ALL_PAYLOADS, lambda s: s + ALL_PAYLOADS):
            for message in messages_for(_with(original, leaf, change)):
                assert_safe(message)


def _forged_alarm(region: str) -> dict[str, Any]:
    """An EventBridge-shaped alarm without an alarm ARN, as anyone may publish it to SNS."""
    event = json.loads((EVENTS / "eventbridge-alarm-replication-latency.json").read_text())
    event["resources"] = []
    event["region"] = region
    return dict(event)


@pytest.mark.parametrize("payload", ["x|<!channel>", "<!here>"], ids=["pipe-channel", "here"])
def test_an_alarm_published_to_sns_with_a_forged_region_cannot_ping(payload: str) -> None:
    sns = {
        "Records": [
            {
                "Sns": {
                    "MessageId": "00000000-0000-4000-8000-0000000000aa",
                    "TopicArn": "arn:aws:sns:us-west-2:123456789012:opsbot-inbox",
                    "Message": json.dumps(_forged_alarm(f"us-west-2{payload}")),
                }
            }
        ]
    }
    rendered = messages_for(sns)
    assert rendered
    for message in rendered:
        assert_safe(message)


def test_a_cloudtrail_record_with_a_forged_region_cannot_ping() -> None:
    event = json.loads((EVENTS / "eventbridge-cloudtrail-pitr-disabled.json").read_text())
    event["detail"]["awsRegion"] = "x|<!channel>"
    for message in messages_for(event):
        assert_safe(message)


# --- (2) every renderer, with hostile text in every free-text field --------------------------

hostile = st.one_of(
    st.sampled_from((*PAYLOADS, ALL_PAYLOADS)),
    st.text(alphabet=st.sampled_from("<>&|!@#^*_~`:/ abcUC0123.-"), min_size=1, max_size=40),
)


def _backup(name: str, hours: int, kind: BackupType = BackupType.USER) -> BackupInfo:
    return BackupInfo(
        arn=f"arn:aws:dynamodb:us-west-2:123456789012:table/orders/backup/{name}",
        name=name,
        table="orders",
        created=NOW - timedelta(hours=hours),
        size_bytes=1024 * hours,
        type=kind,
        status=name,
    )


def _job(t: str, *, status_: str = "IN_PROGRESS") -> RestoreJob:
    return RestoreJob(
        id=t,
        source_table="orders",
        region="us-west-2",
        target="orders-restored",
        kind="pitr",
        requester=REQUESTER,
        channel="C0OPSBOT1",
        thread_ts="1700000000.000100",
        started_at=NOW - timedelta(minutes=40),
        at=NOW - timedelta(hours=2),
        backup_name=t,
        status=status_,
        finished_at=NOW,
        item_count=3,
        size_bytes=1000,
        reason=t,
        restored_to=NOW - timedelta(hours=2),
    )


def _status(t: str) -> TableStatus:
    return TableStatus(
        name="orders",
        region="us-west-2",
        account=t,
        status="ACTIVE",  # an AWS enum (the text fallback shows it unescaped)
        billing_mode="PROVISIONED",
        item_count=3,
        size_bytes=10,
        read_capacity=5,
        write_capacity=5,
        deletion_protection=False,
        pitr=PitrWindow(True, NOW - timedelta(days=3), NOW - timedelta(minutes=5)),
        newest_backup=NewestBackup(t, NOW - timedelta(days=9), t),
        alarms_firing=(t,),
        replica_regions=(t,),
        stream=t,
    )


def _global(t: str) -> GlobalTable:
    return GlobalTable(
        name="orders",
        source_region="us-west-2",
        version="2019.11.21",
        replicas=(
            ReplicaHealth("us-west-2", t, t, t, (t,), is_source=True),
            ReplicaHealth("us-east-1", t, t, t, (t,)),
        ),
        lags=(ReplicationLag("us-west-2", "us-east-1", 120_000.0, 300_000.0, 5),),
        notes=(t,),
    )


def _alarm_info(t: str) -> AlarmInfo:
    return AlarmInfo(t, "ALARM", "orders", frozenset({t}), t, NOW - timedelta(minutes=3), t)


def _spec(t: str) -> AlarmSpec:
    return AlarmSpec(t, t, (("TableName", "orders"),), "Sum", 60, 1, 1, 1.0, t, t)


def _summary(t: str, state: AlarmState) -> AlarmSummary:
    return AlarmSummary(t, "us-west-2", state, t, NOW, t, t, t, t, t)


def _plan(t: str) -> PrunePlan:
    return PrunePlan(
        (
            Decision(_backup(t, 1), True, (t,)),
            Decision(_backup(t, 30), False, (t,)),
        )
    )


RENDERERS: dict[str, Callable[[str], Message | list[dict[str, Any]]]] = {
    "alarm_list.render_alarm_list": lambda t: alarm_list.render_alarm_list(
        [_summary(t, AlarmState.ALARM), _summary(t, AlarmState.INSUFFICIENT_DATA)],
        table="orders",
        regions=["us-west-2"],
        now=NOW,
    ),
    "alarm_list.render_recommendation": lambda t: alarm_list.render_recommendation(
        Recommendation("orders", "us-west-2", (_spec(t),), ((_spec(t), t),)),
        topic_arn=t,
        plan_id="0" * 32,
        requester=REQUESTER,
    ),
    "alarm_list.render_recommendation_done": lambda t: alarm_list.render_recommendation_done(
        "orders", "us-west-2", [_spec(t)], [(_spec(t), t)]
    ),
    # The silencer is the presser's user id from Slack's signed payload (a mention, trusted);
    # anything else there is escaped, which the second entry fuzzes.
    "alarms.render_silenced": lambda t: alarms.render_silenced(t, NOW, REQUESTER),
    "alarms.render_silenced(by name)": lambda t: alarms.render_silenced(t, NOW, f"ops {t}"),
    "backups.render_backup_list": lambda t: backups.render_backup_list(
        "orders",
        [_backup(t, h) for h in range(1, 30)],
        NOW,
        pitr_enabled=True,
        price_per_gb_month=0.1,
    ),
    "backups.render_prune_plan": lambda t: backups.render_prune_plan(
        "orders",
        _plan(t),
        RetentionPolicy(keep_daily=3),
        NOW,
        0.1,
        apply=True,
        plan_id="0" * 32,
        requester=REQUESTER,
    ),
    "backups.render_prune_progress": lambda t: backups.render_prune_progress(t, 1, 3, 1),
    "backups.render_prune_result": lambda t: backups.render_prune_result(
        t, [t, t], [(t, t)], 10, 0.1
    ),
    "backups.render_prune_digest": lambda t: backups.render_prune_digest(
        [PruneOutcome(t, 2, 1, 10, ((t, t),), None), PruneOutcome(t, 0, error=t)], NOW, t
    ),
    "backups.render_backup_created": lambda t: backups.render_backup_created(t, t, t, REQUESTER),
    "confirm.render_cancelled": lambda t: confirm.render_cancelled(
        f"prune {escape_for_summary(t)}", REQUESTER
    ),
    "confirm.render_confirmed": lambda t: confirm.render_confirmed(
        f"prune {escape_for_summary(t)}", REQUESTER
    ),
    "help.render_help": lambda t: help.render_help(None, available=frozenset({"status"})),
    "help.render_usage_error": lambda t: help.render_usage_error(_usage_error(t)),
    "help.render_error": lambda t: help.render_error(_error_message(t)),
    "help.render_denied": lambda t: help.render_denied("`x` needs the *admin* role"),
    "help.render_not_available": lambda t: help.render_not_available(t),
    "help.render_working": lambda t: help.render_working(t, checking_role=True),
    "help.render_late": lambda t: help.render_late(t, 400),
    "help.render_not_started": lambda t: help.render_not_started(t),
    "home.render_home": lambda t: home.render_home(
        HomeView(
            cards=(
                TableHealth(
                    "orders",
                    "us-west-2",
                    _status(t),
                    _global(t),
                    (_alarm_info(t),),
                    (t,),
                    t,
                ),
            ),
            incidents=(("orders", _alarm_info(t)),),
        ),
        NOW,
        source=t,
        max_backup_age=timedelta(days=2),
    ),
    "home.render_home_error": lambda t: home.render_home_error(t, NOW, source=t),
    "replicas.render_replicas": lambda t: replicas.render_replicas(
        _global(t), NOW, other_regions=[t]
    ),
    "replicas.render_not_global": lambda t: replicas.render_not_global(
        GlobalTable("orders", "us-west-2", "", notes=(t,)), NOW, other_regions=[t]
    ),
    "restores.render_restore_confirmation": lambda t: restores.render_restore_confirmation(
        RestorePlan(
            "orders",
            "us-west-2",
            "orders-restored",
            "backup",
            backup_arn=t,
            backup_name=t,
            backup_created=NOW,
        ),
        "0" * 32,
        REQUESTER,
        NOW,
        expires_in=timedelta(minutes=15),
    ),
    "restore_jobs.render_restore_started": lambda t: restore_jobs.render_restore_started(_job(t)),
    "restore_jobs.render_restore_progress": lambda t: restore_jobs.render_restore_progress(
        _job(t), NOW
    ),
    "restore_jobs.render_restore_slow": lambda t: restore_jobs.render_restore_slow(
        _job(t), NOW, slow_after=timedelta(minutes=20)
    ),
    "restore_jobs.render_restore_completed": lambda t: restore_jobs.render_restore_completed(
        _job(t, status_="COMPLETED")
    ),
    "restore_jobs.render_restore_failed": lambda t: restore_jobs.render_restore_failed(
        _job(t, status_="FAILED"), NOW
    ),
    "restore_jobs.render_restore_not_started": lambda t: restore_jobs.render_restore_not_started(
        _job(t), t, account_label=t
    ),
    "restore_jobs.render_settings_copied": lambda t: restore_jobs.render_settings_copied(
        _job(t), [t], [t], REQUESTER
    ),
    "restore_jobs.render_restores_list": lambda t: restore_jobs.render_restores_list(
        [_job(t), _job(t, status_="COMPLETED"), _job(t, status_="FAILED")], NOW
    ),
    "restores.render_pitr_status": lambda t: restores.render_pitr_status(
        "orders", "us-west-2", PitrWindow(True, NOW - timedelta(days=2), NOW), NOW
    ),
    "restores.render_pitr_changed": lambda t: restores.render_pitr_changed(
        "orders", "us-west-2", False, REQUESTER
    ),
    "restores.render_pitr_off_confirmation": lambda t: restores.render_pitr_off_confirmation(
        "orders",
        "us-west-2",
        PitrWindow(True, NOW - timedelta(days=2), NOW),
        "0" * 32,
        REQUESTER,
        NOW,
        expires_in=timedelta(minutes=15),
    ),
    "status.render_status": lambda t: status.render_status(
        _status(t), NOW, max_backup_age=timedelta(days=2), extra_risks=(t,)
    ),
    "alarms.render_contributor": lambda t: alarms.render_contributor(_contributor(t), NOW),
    "notices.render_trail_unreadable": lambda t: notices.render_trail_unreadable(t, t, t, now=NOW),
}
# Renderers whose hostile-text paths the event sweep above already drives from real events.
COVERED_BY_EVENTS = {
    "alarms.render_alarm",
    "alarms.render_resolved",
    "alarms.render_thread_repeat",
    "alarms.render_resolved_reply",
    "audit.render_audit_notice",
    "audit.render_who_changed",
    "notices.render_backup_notice",
    "notices.render_plain_notice",
}


def escape_for_summary(text: str) -> str:
    """Plan summaries are built by handlers from escaped text (`code(...)`), as here."""
    from bot.render.message import code

    return code(text)


def _usage_error(text: str) -> UsageError:
    """A usage error the grammar raises for hostile input (messages quote it escaped)."""
    from bot.domain.command_parser import parse_command

    try:
        parse_command(text, NOW)
    except UsageError as exc:
        return exc
    return UsageError("no error", "/ddb help")


def _error_message(text: str) -> str:
    """An error message as adapters build it from AWS text (bot.aws.errors.translate)."""
    from botocore.exceptions import ClientError

    from bot.aws.errors import translate

    error = ClientError(
        {"Error": {"Code": "ValidationException", "Message": text}}, "DescribeTable"
    )
    return translate(error, table="orders", region="us-west-2").message


def _public_renderers() -> set[str]:
    found = set()
    for module in pkgutil.iter_modules(bot.render.__path__):
        loaded = importlib.import_module(f"bot.render.{module.name}")
        for name, fn in inspect.getmembers(loaded, inspect.isfunction):
            if name.startswith("render_") and fn.__module__ == loaded.__name__:
                found.add(f"{module.name}.{name}")
    return found


def test_every_public_renderer_is_in_the_injection_sweep() -> None:
    missing = _public_renderers() - set(RENDERERS) - COVERED_BY_EVENTS
    assert not missing, f"add a case to RENDERERS for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(RENDERERS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile)
def test_no_renderer_lets_hostile_text_ping_or_link(name: str, text: str) -> None:
    assert_safe(RENDERERS[name](text), trusted_users=TRUSTED)
