"""The wiring of one process: settings, AWS clients, state store, notifier and work queue.

Everything is built lazily on first use, so importing a handler module does no I/O and
tests can inject any piece.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.aws.clients import AwsClients
from bot.settings import Settings, load_settings

if TYPE_CHECKING:  # imported where first used: a cold start pays only for what it runs
    from bot.aws.secrets import SlackCredentials
    from bot.aws.state import StateStore
    from bot.aws.work_queue import WorkQueue
    from bot.slack.notifier import Notifier


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Runtime:
    """The services a handler needs, created on first use."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        aws: AwsClients | None = None,
        credentials_override: SlackCredentials | None = None,
        notifier_override: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.aws: AwsClients = aws or AwsClients(
            default_region=settings.default_region, endpoint_url=settings.aws_endpoint_url
        )
        self.credentials_override = credentials_override
        self.notifier_override = notifier_override
        self.extras: dict[str, Any] = {}

    @property
    def clients(self) -> AwsClients:
        """The AWS client factory."""
        return self.aws

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached boto3 client."""
        return self.clients.client(service, region)

    @property
    def credentials(self) -> SlackCredentials:
        """Slack credentials from Secrets Manager (re-read every 5 minutes, so a rotated
        secret takes effect in warm functions) or the environment."""
        if self.credentials_override is not None:
            return self.credentials_override
        from bot.aws.secrets import slack_credentials

        return slack_credentials(
            lambda: self.client("secretsmanager"), self.settings.slack_secret_id
        )

    @cached_property
    def state(self) -> StateStore:
        """The state table."""
        from bot.aws.state import StateStore

        return StateStore(self.client("dynamodb"), self.settings.state_table)

    @property
    def notifier(self) -> Notifier:
        """The only way to Slack (rebuilt when the bot token changes)."""
        from bot.slack.notifier import Notifier, build_web_client

        if self.notifier_override is not None:
            return self.notifier_override
        token = self.credentials.bot_token
        built: tuple[str, Notifier] | None = self.extras.get("notifier")
        if built is None or built[0] != token:
            client = build_web_client(token, base_url=self.settings.slack_api_url)
            # Member lists age by the runtime's clock, like every other "now" of opsbot.
            built = self.extras["notifier"] = (token, Notifier(client, clock=self.epoch))
        return built[1]

    @cached_property
    def work_queue(self) -> WorkQueue:
        """Where the ack path hands off slow work."""
        from bot.aws.work_queue import WorkQueue

        return WorkQueue(lambda: self.client("sqs"), self.settings.work_queue_url)

    def cached_groups(self, user: str) -> frozenset[str] | None:
        """The user's role-granting groups from the in-memory cache; None when unknown."""
        return self.notifier.cached_groups(user, self.settings.access.group_ids)

    def now(self) -> datetime:
        """The current time from the runtime's clock."""
        return self.clock()

    def epoch(self) -> float:
        """The current time as epoch seconds."""
        return self.clock().timestamp()


_DEFAULT: Runtime | None = None


def default_runtime() -> Runtime:
    """The process-wide runtime from opsbot.toml and the environment (built once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Runtime(load_settings())
    return _DEFAULT


def set_default_runtime(runtime: Runtime | None) -> None:
    """Replace the process-wide runtime (tests, the embedded runtime)."""
    global _DEFAULT
    _DEFAULT = runtime
