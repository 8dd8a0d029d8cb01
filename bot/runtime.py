"""The wiring of one process: settings, AWS clients, state store, notifier and work queue.

Everything is built lazily on first use, so importing a handler module does no I/O and
tests can inject any piece.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from bot.aws.clients import AwsClients
from bot.settings import Settings, load_settings

if TYPE_CHECKING:  # imported where first used: a cold start pays only for what it runs
    from bot.aws.idempotency import Duplicate, Idempotency
    from bot.aws.secrets import SlackCredentials
    from bot.aws.state import StateStore
    from bot.aws.work_queue import WorkQueue
    from bot.slack.notifier import Notifier


T = TypeVar("T")

# What a claim lasts when no function said how long its invocation may run (flows called
# directly): the shortest timeout of the functions that deliver events.
DEFAULT_TIMEOUT_S = 60


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Invocation:
    """What is left of the invocation being handled: Lambda's context says, or else (tests,
    `opsbot local`, `opsbot replay`) the function's timeout from when it began, by ``clock``."""

    def __init__(
        self, clock: Callable[[], datetime], timeout_s: float, context: Any = None
    ) -> None:
        self.clock = clock
        self.context = context
        self.deadline = clock() + timedelta(seconds=timeout_s)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the invocation times out (Lambda's context has the same method)."""
        if self.context is not None:
            return int(self.context.get_remaining_time_in_millis())
        return max(0, int((self.deadline - self.clock()).total_seconds() * 1000))


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
        self.invocation: Invocation | None = None

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

    def begin_invocation(self, context: Any, *, timeout_s: float) -> None:
        """Start handling one invocation: Lambda's ``context`` (None outside Lambda) and the
        function's configured timeout bound how long its claims last."""
        self.invocation = Invocation(self.clock, timeout_s, context)

    @cached_property
    def idempotency(self) -> Idempotency:
        """The done-once records of deliveries (Powertools Idempotency on the state table)."""
        from bot.aws.idempotency import Idempotency

        return Idempotency(self.client("dynamodb"), self.settings.state_table)

    def once(self, scope: str, key: str, work: Callable[[], T], *, keep_s: int) -> T | Duplicate:
        """``work()`` once per (scope, key) over every delivery; DUPLICATE when done before.

        Claimed for what is left of the invocation; raises IdempotencyAlreadyInProgressError
        while another attempt holds the key, so the platform retries later.
        """
        invocation = self.invocation or Invocation(self.clock, DEFAULT_TIMEOUT_S)
        return self.idempotency.once(scope, key, work, time_left=invocation, keep_s=keep_s)

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
