"""Every public renderer as a function of one hostile text, for the injection sweep.

Each case builds synthetic domain objects whose every free-text field (as an event, AWS or
a user can fill it) holds the text, and renders them. Fields that keep their line breaks (an
alarm description, an SNS body) have cases of their own, listed in MULTILINE_CASES. Error
messages are built as adapters and the grammar build them (`_error_text`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.alarm_context import PriorChange
from bot.domain.alarm_events import AlarmEvent, AlarmState, AlarmSubject, MetricRef
from bot.domain.alarm_messages import parse_eventbridge_alarm
from bot.domain.alarm_set import AlarmSpec, AlarmSummary, Recommendation
from bot.domain.alarm_storms import Storm, StormMember
from bot.domain.audit import AuditEvent
from bot.domain.audit_actors import Actor
from bot.domain.authz import Role
from bot.domain.backup_notices import BackupJobNotice
from bot.domain.backups import BackupInfo, BackupType
from bot.domain.confirmations import Plan
from bot.domain.drill_jobs import DrillJob, DrillRecord, DrillTally, new_drill
from bot.domain.drills import DrillSource
from bot.domain.errors import UsageError
from bot.domain.exports import ExportPlan
from bot.domain.imports import ImportPlan, KeyAttribute
from bot.domain.policy import RetentionPolicy
from bot.domain.prune_jobs import ResolvedPolicy
from bot.domain.replica_changes import ReplicaChangePlan, ReplicaJob
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
from bot.domain.retention import Decision, PlannedTable, PruneOutcome, PrunePlan, TablePlan
from bot.domain.table_load import CapacityLoad, TableLoad
from bot.domain.tables import NewestBackup, PitrWindow, TableStatus
from bot.domain.transfer_jobs import TransferJob
from bot.domain.typed import quoted
from bot.render import (
    access,
    alarm_list,
    alarm_replies,
    alarm_storms,
    alarms,
    audit,
    backups,
    confirm,
    drills,
    help,
    home,
    notices,
    prune_all,
    replica_changes,
    replicas,
    restore_jobs,
    restores,
    status,
    table_load,
    transfers,
)
from bot.render.alarm_context import RootContext, ack_line
from bot.render.message import Message

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
REQUESTER = "U0ADMIN01"  # from Slack's signed payload: the one mention we make on purpose
APPROVER = "U0ADMIN02"  # from Slack's signed payload of the Approve press


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
        reason=_error_text(t),
        restored_to=NOW - timedelta(hours=2),
        approved_by=APPROVER,
    )


def _transfer(t: str, *, status_: str = "in-progress") -> TransferJob:
    return TransferJob(
        id=t,
        kind="export",
        table=t,
        region="us-west-2",
        bucket=t,
        prefix=t,
        data_format=t,
        requester=REQUESTER,
        channel="C0OPSBOT1",
        thread_ts="1700000000.000100",
        created_at=NOW - timedelta(minutes=40),
        approved_by=APPROVER,
        status=status_,
        arn=t,
        item_count=3,
        billed_bytes=1000,
        manifest=t,
        reason=_error_text(t),
    )


def _replica_job(t: str, change: str = "add") -> ReplicaJob:
    return ReplicaJob(
        t, t, t, t, change, REQUESTER, "C0OPSBOT1", "1.0", NOW, APPROVER, reason=_error_text(t)
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


def _load(t: str) -> TableLoad:
    """A table and a GSI both named ``t`` (names come from AWS), with traffic and throttling."""
    busy = CapacityLoad(t, False, (1.0, 2.0), (1.0,), (5.0,), (), (0.0, 3.0), ())
    return TableLoad((busy, replace(busy, is_index=True)), latency=(("GetItem", (2.0, 3.5)),))


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


def _alarm(t: str, *, description: str = "Writes are throttled", **changes: Any) -> AlarmEvent:
    """An alarm whose every free-text field is ``t`` but its description (its own case)."""
    fields: dict[str, Any] = {
        "name": t,
        "arn": "",
        "region": "us-west-2",
        "account": t,
        "state": AlarmState.ALARM,
        "previous_state": AlarmState.OK,
        "reason": t,
        "changed_at": NOW - timedelta(minutes=5),
        "description": description,
        "metrics": (MetricRef("AWS/DynamoDB", "WriteThrottleEvents", "Sum", 60, (("x", t),)),),
        "subject": AlarmSubject(t, t, t, t, t, t),
        "condition": t,
        "composite_rule": None,
        "recent_datapoints": (1.0, 3.0, 2.0),
        "source": "sns",
        "message_id": "00000000-0000-4000-8000-0000000000cc",
    }
    return AlarmEvent(**{**fields, **changes})


def _alarm_without_data(t: str) -> AlarmEvent:
    """No data, for a metric the alarm names itself (its name is quoted in the explanation)."""
    metric = MetricRef(t, t, "Sum", 60, (("TableName", t),))
    return _alarm(t, state=AlarmState.INSUFFICIENT_DATA, metrics=(metric,), description="")


def _audit(t: str, **changes: Any) -> AuditEvent:
    """A failed call whose every caller-controlled field is ``t``."""
    fields: dict[str, Any] = {
        "event_id": t,
        "time": NOW - timedelta(hours=1),
        "account": t,
        "region": "us-west-2",
        "table": t,
        "resource": t,
        "action": t,
        "source": "dynamodb",
        "actor": Actor("AssumedRole", t, role=f"{t} role", arn=t, account=t, mfa=False),
        "client": "other",
        "source_ip": t,
        "error_code": t,
        "error_message": t,
        "request_id": t,
        "read_only": False,
        "category": "Management",
        "summary": t,
        "severity": "critical",
        "user_agent": t,
    }
    return AuditEvent(**{**fields, **changes})


def _audits(t: str) -> list[AuditEvent]:
    return [
        _audit(t),
        _audit(t, region=None, actor=Actor("IAMUser", t, via=t), source_ip=None),
        _audit(t, table=None, source="dax", error_code=None, actor=Actor("AWSService", t)),
    ]


def _backup_notice(t: str, *, message: str = "An AWS Backup job failed.") -> BackupJobNotice:
    arn = f"arn:aws:dynamodb:us-west-2:123456789012:table/{t}"
    return BackupJobNotice(
        job_type="backup",
        state=t,
        outcome="failed",
        message=message,
        resource_arn=arn,
        recovery_point_arn=t,
        destination_recovery_point_arn=t,
        created_resource_arn=t,
        job_id=t,
        account=t,
        region="us-west-2",
        reason=None,
        at=NOW - timedelta(minutes=3),
        topic_arn=t,
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
    "alarm_replies.render_silenced": lambda t: alarm_replies.render_silenced(t, NOW, REQUESTER),
    "alarm_replies.render_silenced(by name)": lambda t: alarm_replies.render_silenced(
        t, NOW, f"ops {t}"
    ),
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
        t, [t, t], [(t, _error_text(t))], 10, 0.1
    ),
    "backups.render_prune_digest": lambda t: backups.render_prune_digest(
        [
            PruneOutcome(t, 2, 1, 10, ((t, _error_text(t)),), None),
            PruneOutcome(t, 0, error=_error_text(t)),
        ],
        NOW,
        t,
    ),
    "backups.render_backup_created": lambda t: backups.render_backup_created(t, t, t, REQUESTER),
    "access.render_unreadable_group": lambda t: access.render_unreadable_group(t, t, Role.OPERATOR),
    # Counts only: nothing from an event or from AWS reaches it.
    "prune_all.render_prune_all_progress": lambda t: prune_all.render_prune_all_progress(
        len(t), None, apply=True
    ),
    "prune_all.render_every_table_plan": lambda t: prune_all.render_every_table_plan(
        [
            PlannedTable.of(
                TablePlan(t, ResolvedPolicy(RetentionPolicy(keep_daily=3), "tag"), _plan(t))
            ),
            PlannedTable.of(
                TablePlan(
                    t,
                    ResolvedPolicy(
                        RetentionPolicy(keep_last=1), "flags", RetentionPolicy(), "config"
                    ),
                    _plan(t),
                )
            ),
        ],
        NOW,
        0.1,
        typed=RetentionPolicy(keep_last=1),
        apply=True,
        left_alone=[(t, _error_text(t))],
        errors=[(t, _error_text(t))],
        plan_id="0" * 32,
        requester=REQUESTER,
    ),
    "alarm_list.render_alarm_list(missing table)": lambda t: alarm_list.render_alarm_list(
        [_summary(t, AlarmState.ALARM)],
        table="orders",
        regions=[t],
        now=NOW,
        missing=_error_text(t),
    ),
    "audit.render_who_changed(missing table)": lambda t: audit.render_who_changed(
        t, [], now=NOW, source="history", since=NOW - timedelta(days=7), missing=_error_text(t)
    ),
    "audit.render_who_changed(never seen)": lambda t: audit.render_who_changed(
        t,
        [],
        now=NOW,
        source="history",
        since=NOW - timedelta(days=7),
        missing=_error_text(t),
        never_seen=True,
    ),
    "confirm.render_cancelled": lambda t: confirm.render_cancelled(
        f"prune {escape_for_summary(t)}", REQUESTER
    ),
    "confirm.render_confirmed": lambda t: confirm.render_confirmed(
        f"prune {escape_for_summary(t)}", REQUESTER, approved_by=APPROVER
    ),
    "confirm.render_refused": lambda t: confirm.render_refused(
        f"prune {escape_for_summary(t)}", REQUESTER, _error_message(t)
    ),
    "confirm.render_failed": lambda t: confirm.render_failed(
        f"prune {escape_for_summary(t)}", REQUESTER, "work-item-1"
    ),
    "confirm.render_expired": lambda t: confirm.render_expired(
        f"prune {escape_for_summary(t)}", NOW
    ),
    "confirm.render_interrupted": lambda t: confirm.render_interrupted(
        "0" * 32, f"prune {escape_for_summary(t)}", REQUESTER, 2
    ),
    "confirm.render_awaiting_approval": lambda t: confirm.render_awaiting_approval(
        Plan(
            id="0" * 32,
            kind="prune",
            action="prune:apply",
            requester=REQUESTER,
            channel="C0OPSBOT1",
            created_at=NOW,
            valid_until=NOW + timedelta(minutes=15),
            summary=f"prune {escape_for_summary(t)}",
        ),
        Role.OPERATOR,
        NOW,
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
        _job(t), _error_text(t), account_label=t
    ),
    "restore_jobs.render_settings_copied": lambda t: restore_jobs.render_settings_copied(
        _job(t), [t], [t], REQUESTER, own_tags_left=[t]
    ),
    "restore_jobs.render_settings_already_copied": lambda t: (
        restore_jobs.render_settings_already_copied(
            replace(_job(t), settings_copied=(t,), settings_copied_by=REQUESTER)
        )
    ),
    "restore_jobs.render_restores_list": lambda t: restore_jobs.render_restores_list(
        [_job(t), _job(t, status_="COMPLETED"), _job(t, status_="FAILED")], NOW
    ),
    "transfers.render_export_confirmation": lambda t: transfers.render_export_confirmation(
        ExportPlan(t, "us-west-2", t, t, t, t, 2**30, 0.1, incremental=True, start=NOW),
        "0" * 32,
        REQUESTER,
        NOW,
        expires_in=timedelta(minutes=15),
        price_per_gb=0.1,
        window=PitrWindow(True, NOW - timedelta(days=2), NOW),
        account_label=t,
    ),
    "transfers.render_import_confirmation": lambda t: transfers.render_import_confirmation(
        ImportPlan(t, t, t, t, t, t, KeyAttribute(t, t), KeyAttribute(t), 2, 2**30, 0.15, like=t),
        "0" * 32,
        REQUESTER,
        expires_in=timedelta(minutes=15),
        price_per_gb=0.15,
    ),
    "transfers.render_import_started": lambda t: transfers.render_transfer_started(
        replace(_transfer(t), kind="import"), account_label=t
    ),
    "transfers.render_import_completed": lambda t: transfers.render_transfer_completed(
        replace(_transfer(t, status_="completed"), kind="import", error_count=2, log_group=t),
        NOW,
    ),
    "transfers.render_import_failed": lambda t: transfers.render_transfer_failed(
        replace(_transfer(t, status_="failed"), kind="import"), NOW
    ),
    "replica_changes.render_replica_confirmation": lambda t: (
        replica_changes.render_replica_confirmation(
            ReplicaChangePlan(t, t, t, "add", 2**30),
            "0" * 32,
            REQUESTER,
            expires_in=timedelta(minutes=15),
        )
    ),
    "replica_changes.render_replica_confirmation_remove": lambda t: (
        replica_changes.render_replica_confirmation(
            ReplicaChangePlan(t, t, t, "remove"), "0" * 32, REQUESTER, expires_in=timedelta(1)
        )
    ),
    "replica_changes.render_replica_started": lambda t: replica_changes.render_replica_started(
        _replica_job(t)
    ),
    "replica_changes.render_replica_progress": lambda t: replica_changes.render_replica_progress(
        _replica_job(t, "remove"), NOW
    ),
    "replica_changes.render_replica_done": lambda t: replica_changes.render_replica_done(
        _replica_job(t), NOW, ReplicationLag(t, t, 1.0, 2.0, 3)
    ),
    "replica_changes.render_replica_done_remove": lambda t: replica_changes.render_replica_done(
        _replica_job(t, "remove"), NOW, None
    ),
    "replica_changes.render_replica_failed": lambda t: replica_changes.render_replica_failed(
        _replica_job(t), NOW
    ),
    "replica_changes.render_replica_not_started": lambda t: (
        replica_changes.render_replica_not_started(_replica_job(t), _error_text(t))
    ),
    "transfers.render_transfer_started": lambda t: transfers.render_transfer_started(
        _transfer(t), account_label=t
    ),
    "transfers.render_transfer_progress": lambda t: transfers.render_transfer_progress(
        _transfer(t), NOW
    ),
    "transfers.render_transfer_completed": lambda t: transfers.render_transfer_completed(
        _transfer(t, status_="completed"), NOW
    ),
    "transfers.render_transfer_failed": lambda t: transfers.render_transfer_failed(
        _transfer(t, status_="failed"), NOW
    ),
    "transfers.render_transfer_not_started": lambda t: transfers.render_transfer_not_started(
        _transfer(t), _error_text(t), account_label=t
    ),
    "transfers.render_exports_list": lambda t: transfers.render_exports_list(
        [_transfer(t), _transfer(t, status_="completed"), _transfer(t, status_=t)],
        NOW,
        account_labels={"": t},
    ),
    "restores.render_pitr_status": lambda t: restores.render_pitr_status(
        "orders", "us-west-2", PitrWindow(True, NOW - timedelta(days=2), NOW), NOW
    ),
    "restores.render_pitr_changed": lambda t: restores.render_pitr_changed(
        "orders", "us-west-2", False, REQUESTER, approved_by=APPROVER
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
    "status.render_status(load)": lambda t: status.render_status(
        _status(t), NOW, max_backup_age=timedelta(days=2), load=_load(t)
    ),
    "table_load.load_section": lambda t: [table_load.load_section(_load(t))],
    "table_load.load_section(unavailable)": lambda t: [table_load.load_section(t)],
    "alarms.render_alarm": lambda t: alarms.render_alarm(
        _alarm(t), now=NOW, datapoints=(1.0, 2.0), incident_opened_at=None, mention=None
    ),
    # The table's changes just before: the caller's name and the change come from CloudTrail.
    "alarms.render_alarm(context)": lambda t: alarms.render_alarm(
        _alarm(t),
        now=NOW,
        datapoints=None,
        incident_opened_at=None,
        mention=None,
        extras=RootContext(
            changes=(
                PriorChange(timedelta(minutes=13), t, t),
                PriorChange(timedelta(minutes=20), t, t, slack_user=t),
            ),
            ack_value=t,
        ),
    ),
    "alarms.render_resolved(acked)": lambda t: alarms.render_resolved(
        _alarm(t, description=""),
        opened_at=NOW - timedelta(hours=1),
        now=NOW,
        acked=ack_line(t, NOW, NOW - timedelta(hours=1)),
    ),
    "alarm_storms.render_storm_summary": lambda t: alarm_storms.render_storm_summary(
        Storm(
            NOW.timestamp() - 60,
            tuple(StormMember(t, t, t, t, NOW.timestamp() - 60 + i, i % 2 == 0) for i in range(20)),
        ),
        now=NOW,
    ),
    "alarm_list.render_alarm_list(acked)": lambda t: alarm_list.render_alarm_list(
        [replace(_summary(t, AlarmState.ALARM), acked_by=t, acked_after=timedelta(minutes=3))],
        table=None,
        regions=["us-west-2"],
        now=NOW,
    ),
    "alarms.render_alarm(no data)": lambda t: alarms.render_alarm(
        _alarm_without_data(t), now=NOW, datapoints=None, incident_opened_at=None, mention=None
    ),
    "alarms.render_alarm(description)": lambda t: alarms.render_alarm(
        _alarm("orders-write-throttle", description=t),
        now=NOW,
        datapoints=None,
        incident_opened_at=NOW,
        mention=None,
    ),
    "alarms.render_resolved": lambda t: alarms.render_resolved(
        _alarm(t, description=""), opened_at=NOW - timedelta(hours=1), now=NOW
    ),
    # One line of the description (struck through) stands for it in the resolved message.
    "alarms.render_resolved(description)": lambda t: alarms.render_resolved(
        _alarm("orders-write-throttle", description=t),
        opened_at=NOW - timedelta(hours=1),
        now=NOW,
    ),
    "alarm_replies.render_thread_repeat": lambda t: alarm_replies.render_thread_repeat(
        _alarm(t), NOW
    ),
    "alarm_replies.render_resolved_reply": lambda t: alarm_replies.render_resolved_reply(
        _alarm(t), NOW - timedelta(hours=1), NOW
    ),
    "alarm_replies.render_late_reply": lambda t: alarm_replies.render_late_reply(
        _alarm(t), timedelta(hours=1)
    ),
    "alarm_replies.render_contributor": lambda t: alarm_replies.render_contributor(
        _contributor(t), NOW
    ),
    "notices.render_trail_unreadable": lambda t: notices.render_trail_unreadable(t, t, t, now=NOW),
    "audit.render_audit_notice": lambda t: audit.render_audit_notice(_audit(t), now=NOW),
    "audit.render_audit_notice(service)": lambda t: audit.render_audit_notice(
        _audits(t)[2], now=NOW, account_label=t
    ),
    "audit.render_who_changed": lambda t: audit.render_who_changed(
        t,
        _audits(t),
        now=NOW,
        source="history",
        since=NOW - timedelta(days=7),
        note=t,
        account_label=t,
    ),
    "notices.render_backup_notice": lambda t: notices.render_backup_notice(
        _backup_notice(t), now=NOW
    ),
    "notices.render_backup_notice(message)": lambda t: notices.render_backup_notice(
        _backup_notice("orders", message=t), now=NOW
    ),
    "notices.render_plain_notice": lambda t: notices.render_plain_notice(
        t, "Release 2026.11.22 is live.", topic_arn=f"arn:aws:sns:us-west-2:1:{t}", now=NOW
    ),
    "notices.render_plain_notice(body)": lambda t: notices.render_plain_notice(
        "Deploy finished", t, topic_arn=None, now=NOW
    ),
    "notices.render_plain_notice(json)": lambda t: notices.render_plain_notice(
        None, json.dumps({"note": t, t: [t]}), topic_arn=None, now=NOW
    ),
    "drills.render_drill_confirmation": lambda t: drills.render_drill_confirmation(
        "orders",
        "us-west-2",
        _drill_source(t),
        "opsbot-drill-orders-20261122T1000Z",
        cost=0.15,
        price_per_gb=0.15,
        plan_id="0" * 32,
        requester=REQUESTER,
        expires_in=timedelta(minutes=15),
        account_label=t,
    ),
    "drills.render_drill_started": lambda t: drills.render_drill_started(
        _drill(t), account_label=t
    ),
    "drills.render_drill_cleaned": lambda t: drills.render_drill_cleaned([t, t]),
    "drills.render_drill_progress": lambda t: drills.render_drill_progress(_drill(t), NOW),
    "drills.render_drill_not_started": lambda t: drills.render_drill_not_started(
        _drill(t), _error_text(t), account_label=t
    ),
    "drills.render_drill_result": lambda t: drills.render_drill_result(
        _drill(t, reasons=(_error_text(t), _error_text(t))), account_label=t
    ),
    "drills.render_home_drills": lambda t: [
        drills.render_home_drills([(t, (_drill_record(t),)), (t, (_drill_record(t),))], NOW)
    ],
    "drills.render_drill_run": lambda t: drills.render_drill_run(
        [t, f"orders@{t}"], [_error_text(t)], 3
    ),
    "drills.render_drill_digest": lambda t: drills.render_drill_digest(
        DrillTally(passed=12, failed=(_drill_record(t), _drill_record(t))), t
    ),
}

# Cases whose hostile field keeps its line breaks (an alarm description, an SNS body).
MULTILINE_CASES = {
    "alarms.render_alarm(description)",
    "notices.render_backup_notice(message)",
    "notices.render_plain_notice(body)",
}


def escape_for_summary(text: str) -> str:
    """Plan summaries are built by handlers from escaped text (`code(...)`), as here."""
    from bot.render.message import code

    return code(text)


def _usage_error(text: str) -> UsageError:
    """A usage error the grammar raises for hostile input (messages quote it escaped)."""
    from bot.domain.command_parser import parse_command

    # The grammar splits words on spaces, tabs and line ends only, and keeps other
    # whitespace (U+2028, NEL, ...) in a word: made spaces here, so that a plain word of the
    # same shape (tests.security.slack_text.plain_word) raises the same error.
    # test_escaping_edges shows how such a word is quoted.
    try:
        parse_command(text.translate(_ODD_SPACES), NOW)
    except UsageError as exc:
        return exc
    return UsageError("no error", "/ddb help")


# Whitespace to Python but not to the grammar (str.isspace accepts nothing above U+3000).
_ODD_SPACES = {c: " " for c in range(0x3001) if chr(c).isspace() and chr(c) not in " \t\r\n"}


def _error_message(text: str) -> str:
    """An error message as adapters build it from AWS text (bot.aws.errors.translate)."""
    from botocore.exceptions import ClientError

    from bot.aws.errors import translate

    error = ClientError(
        {"Error": {"Code": "ValidationException", "Message": text}}, "DescribeTable"
    )
    return translate(error, table="orders", region="us-west-2").message


def _contributor(text: str) -> AlarmEvent:
    """A contributor state change whose every free-text field holds ``text`` (the alarm's
    name around it: a name that is only blanks is refused as no alarm)."""
    name = f"orders {text} alarm"
    return parse_eventbridge_alarm(
        {
            "detail-type": "CloudWatch Alarm Contributor State Change",
            "resources": [f"arn:aws:cloudwatch:us-west-2:123456789012:alarm:{name}"],
            "detail": {
                "alarmName": name,
                "alarmContributor": {"id": text, "attributes": {"TableName": text, text: text}},
                "state": {"value": "ALARM", "reason": text},
                "muteDetail": {"mutedByArn": text},
            },
        }
    )


def _drill_source(t: str) -> DrillSource:
    return DrillSource(
        kind="backup", backup_arn=t, backup_name=t, backup_created=NOW, size_bytes=2**30
    )


def _drill(t: str, *, reasons: tuple[str, ...] = ()) -> DrillJob:
    job = new_drill(
        t,
        table="orders",
        region="us-west-2",
        account="",
        scratch="opsbot-drill-orders-20261122T1000Z",
        source=_drill_source(t),
        requester=REQUESTER,
        channel="C0OPSBOT1",
        thread_ts="1.2",
        now=NOW - timedelta(hours=1),
        cost=0.15,
    )
    return replace(
        job,
        status="failed" if reasons else "passed",
        restore_started_at=NOW - timedelta(hours=1),
        active_at=NOW - timedelta(minutes=30),
        reasons=reasons,
    )


def _drill_record(t: str) -> DrillRecord:
    return DrillRecord(
        table="orders", finished_at=NOW, passed=False, reasons=(_error_text(t),), restore_s=600
    )


def _error_text(text: str) -> str:
    """An OpsbotError's message as renderers get it (why a restore or a prune failed): our
    words, untrusted ones quoted (bot.domain.typed.quoted) or escaped (bot.aws.errors)."""
    return f"{quoted(text)} is not a retention rule; {_error_message(text)}"
