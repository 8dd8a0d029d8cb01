"""The one place AWS clients are built: lazily, cached per (service, region), one retry config.

No client exists until the first call asks for it, so importing opsbot never touches AWS.
The endpoint override points every client at the embedded AWS (moto) of `opsbot local`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling and transient errors with exponential backoff and jitter;
# the short timeouts keep a slow AWS call from eating a Lambda's whole budget.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=3,
    read_timeout=20,
    user_agent_extra="opsbot",
)


def utc(value: Any) -> datetime | None:
    """A timestamp read from an AWS response as an aware UTC datetime; None for a non-time.

    botocore parses timestamps into ``tzlocal()`` datetimes, and Python adds and subtracts
    on an aware datetime's wall clock: across a daylight-saving change in the machine's zone,
    "two days before" is an hour off. Every time read from AWS goes through here first.
    """
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class AwsClients:
    """A lazy, thread-safe cache of boto3 clients."""

    def __init__(
        self,
        *,
        default_region: str = "us-east-1",
        endpoint_url: str | None = None,
        session: boto3.session.Session | None = None,
        config: Config = RETRY_CONFIG,
    ) -> None:
        self.default_region = default_region
        self.endpoint_url = endpoint_url
        self._session = session
        self._config = config
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._listeners: list[tuple[str, Any]] = []

    def client(self, service: str, region: str | None = None) -> Any:
        """The cached client for ``service`` in ``region`` (the default region when None)."""
        key = (service, region or self.default_region)
        found = self._clients.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._build(*key)
            return self._clients[key]

    def on_event(self, event_name: str, handler: Any) -> None:
        """Register a botocore event hook on every client, present and future (call counting)."""
        self._listeners.append((event_name, handler))
        for client in self._clients.values():
            client.meta.events.register(event_name, handler)

    def _build(self, service: str, region: str) -> Any:
        # One session for every client: each new session re-reads botocore's endpoint and
        # model data, which costs a cold start hundreds of milliseconds.
        if self._session is None:
            self._session = boto3.session.Session()
        session = self._session
        client: Any = session.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=self.endpoint_url, config=self._config
        )
        for event_name, handler in self._listeners:
            client.meta.events.register(event_name, handler)
        return client
