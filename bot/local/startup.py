"""Opening a local session: moto, the local Slack, the bot's resources, the runtime.

`open_session` starts moto on 127.0.0.1 (or, with ``real_aws``, keeps only the bot's own
state and queues there), creates the bot's resources and the sample data, points the Slack
Web API at a :class:`~bot.local.slack_sink.SlackSink` (unless a real workspace is served),
builds the :class:`Runtime` the handlers run on and hands them to a
:class:`~bot.local.session.LocalSession`, which undoes all of it when it closes. Meanwhile
the functions' logs go to stderr and what is only noise locally is silenced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.aws.secrets import SlackCredentials
from bot.domain.authz import Grants, Role
from bot.local.clock import ClockError, EmbeddedClock
from bot.local.metric_images import answer_metric_images
from bot.local.output import Output
from bot.local.pitr_window import answer_pitr_windows_realistically
from bot.local.session import LOCAL_CHANNEL, LocalSession
from bot.local.verbs import LOCAL_ADMIN
from bot.runtime import Runtime, set_default_runtime
from bot.settings import Settings, load_settings

LOCAL_BOT_TOKEN = "xoxb-local-console"  # noqa: S105 - the local sink accepts any token

# The sample opsbot was installed this long ago: `/ddb who-changed` answers from its history
# (moto has no CloudTrail LookupEvents to fall back on).
AUDIT_HISTORY_AGE = timedelta(days=90)


def local_settings(base: Settings, *, admin: str = LOCAL_ADMIN) -> Settings:
    """``base`` with ``admin`` granted the admin role."""
    access = base.access
    grants = dict(access.grants)
    current = grants.get(Role.ADMIN, Grants())
    grants[Role.ADMIN] = replace(current, users=current.users | {admin})
    return replace(base, access=replace(access, grants=grants))


def open_session(
    output: Output,
    *,
    real_aws: bool = False,
    allow_writes: bool = False,
    slack_tokens: tuple[str, str] | None = None,
    settings: Settings | None = None,
    sample_data: bool = True,
    verbose: bool = False,
    start: datetime | None = None,
) -> LocalSession:
    """Start moto, the local Slack (unless ``slack_tokens``), resources and the runtime; with
    ``start``, the process's clock starts at that time (the sample data is made relative to it).
    """
    import boto3
    from botocore.config import Config

    from bot.aws.clients import RETRY_CONFIG, AwsClients

    moto_retries = Config(retries={"mode": "standard", "max_attempts": 2})
    from bot.local.bot_resources import create_bot_resources
    from bot.local.moto_server import start_moto
    from bot.local.sample_data import SAMPLE_REGION, create_sample_data
    from bot.local.slack_sink import SlackSink

    base = local_settings(settings or load_settings())
    cleanups: list[Callable[[], None]] = []
    if start is not None and real_aws:
        raise ClockError(
            "--now moves the clock, which --aws cannot: AWS refuses requests signed at another time"
        )
    clock = EmbeddedClock(start)
    cleanups.append(clock.stop)
    try:
        embedded = start_moto(region=SAMPLE_REGION)
        cleanups.append(embedded.stop)
        cleanups.append(_quiet_logs())
        if not real_aws:
            cleanups.append(_export_env(embedded))
        resources = create_bot_resources(
            embedded.client_factory, region=SAMPLE_REGION, state_table=base.state_table
        )
        if sample_data and not real_aws:
            from bot.local.sample_trail_log import create_trail_log

            create_sample_data(
                embedded.client_factory,
                now=clock.now(),
                alarms_topic_arn=resources.alarms_topic_arn,
                export_buckets=base.export_buckets,
            )
            create_trail_log(
                embedded.client_factory, now=clock.now(), account_id=resources.account_id
            )
        sink = None
        if slack_tokens is None:
            sink = SlackSink(
                usergroups={group: [] for group in base.access.group_ids},
                channels=_channel_names(base),
            )
            cleanups.append(sink.stop)
            credentials = SlackCredentials(LOCAL_BOT_TOKEN, secrets.token_hex(16))
        else:
            signing = os.environ.get("SLACK_SIGNING_SECRET") or secrets.token_hex(16)
            credentials = SlackCredentials(slack_tokens[0], signing)
        runtime_settings = replace(
            base,
            aws_endpoint_url=None if real_aws else embedded.endpoint_url,
            slack_api_url=sink.base_url if sink is not None else None,
            work_queue_url=resources.work_queue.url,
            prune_queue_url=resources.prune_queue.url,
            restore_queue_url=resources.restore_watch_queue.url,
            alarm_topic_arn=resources.alarms_topic_arn,
        )
        # One boto3 session for all the runtime's clients: each new session re-reads
        # botocore's endpoint data, which costs more than the calls of a typical command.
        aws = AwsClients(
            default_region=runtime_settings.default_region,
            endpoint_url=runtime_settings.aws_endpoint_url,
            session=boto3.session.Session(),
            # moto answers HTTP 500 for the APIs it does not implement (LookupEvents,
            # DescribeGlobalTable): retrying those five times only slows the console down.
            config=RETRY_CONFIG if real_aws else RETRY_CONFIG.merge(moto_retries),
        )
        runtime = Runtime(runtime_settings, aws=aws, credentials_override=credentials)
        if real_aws:
            _keep_bot_state_local(runtime, embedded, resources)
        else:
            answer_pitr_windows_realistically(aws)
            answer_metric_images(aws)
            if sample_data:
                _seed_audit_history(runtime, resources.account_id)
        session = LocalSession(
            runtime=runtime,
            output=output,
            sink=sink,
            embedded=embedded,
            resources=resources,
            clock=clock,
            real_aws=real_aws,
            allow_writes=allow_writes,
            cleanups=cleanups,
        )
        if sink is not None:
            sink.on_call = session.on_slack_call
        for name in ("slack_http", "slack_worker", "alarms", "cloudtrail", "sns_inbox"):
            session.function_module(name)  # import now, so their loggers exist before the redirect
        cleanups.append(_logs_to_stderr(verbose))
        set_default_runtime(runtime)
        cleanups.append(lambda: _forget_runtime(runtime))
    except BaseException:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        raise
    return session


def _seed_audit_history(runtime: Runtime, account_id: str) -> None:
    """Back-date the audit history's install marker, as if opsbot had been recording a while."""
    from bot.aws.audit import mark_installed

    since = runtime.now() - AUDIT_HISTORY_AGE
    mark_installed(runtime.state, [account_id], now=since, cache=None)


def _channel_names(settings: Settings) -> dict[str, str]:
    # The default channel gets the console's channel id, so its messages and the commands
    # typed at the console are in one conversation.
    default = settings.channels.default
    if default.startswith("#"):
        return {LOCAL_CHANNEL: default.removeprefix("#")}
    return {}


def _export_env(embedded: Any) -> Callable[[], None]:
    """Point this process's boto3 at moto; returns the function that puts the env back."""
    from bot.local.moto_server import CREDENTIAL_VARS

    names = set(CREDENTIAL_VARS) | set(embedded.env())
    saved = {name: os.environ.get(name) for name in names}
    embedded.export()

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore


def _keep_bot_state_local(runtime: Runtime, embedded: Any, resources: Any) -> None:
    """With real AWS, keep the bot's own state table and work queue in moto."""
    from bot.aws.state import StateStore
    from bot.aws.work_queue import WorkQueue

    # cached_property values live in the instance dict: setting them replaces the lazy build.
    region = resources.region
    runtime.__dict__["state"] = StateStore(
        embedded.client("dynamodb", region), resources.state_table
    )
    runtime.__dict__["work_queue"] = WorkQueue(
        lambda: embedded.client("sqs", region), resources.work_queue.url
    )


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time (it is replaced under test capture)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _logs_to_stderr(verbose: bool) -> Callable[[], None]:
    """Send the functions' powertools logs (stdout by default) to stderr; returns the undo."""
    logger = logging.getLogger("opsbot")
    saved: list[tuple[logging.StreamHandler[Any], Any, int]] = []
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            saved.append((handler, handler.stream, handler.level))
            # Assigned, not setStream(): that flushes the old stream, which may be closed.
            handler.stream = _CurrentStderr()
            handler.setLevel(logging.INFO if verbose else logging.WARNING)

    def restore() -> None:
        for handler, stream, level in saved:
            handler.stream = stream
            handler.setLevel(level)

    return restore


class _DropMessage(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


def _quiet_logs() -> Callable[[], None]:
    """Silence what is noise locally; returns the undo."""
    # moto's server logs a traceback for every API it does not implement (LookupEvents,
    # DescribeGlobalTable, ...): the bot handles those answers and says so itself.
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.CRITICAL)
    # bolt warns that the client's token is ignored because authorize is given: that is
    # build_app's design (the same token either way), not something to act on.
    app_logger = logging.getLogger("bot.slack.app")
    token_note = _DropMessage("will be ignored")
    app_logger.addFilter(token_note)

    def restore() -> None:
        werkzeug.setLevel(level)
        app_logger.removeFilter(token_note)

    return restore


def _forget_runtime(runtime: Runtime) -> None:
    set_default_runtime(None)
    runtime.extras.pop("bolt_app", None)
