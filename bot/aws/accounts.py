"""AWS clients per (account, region): the home account's own, or a member account's role.

The home account (where opsbot runs) uses the runtime's AwsClients unchanged. A member
account gets clients signed with credentials from STS AssumeRole (RoleSessionName
"opsbot", the account's ExternalId).

Why botocore's RefreshableCredentials and not a cache of static credentials plus rebuilt
clients: a client built on RefreshableCredentials asks them for a frozen copy before every
request, and they call AssumeRole again once fewer than ``refresh_before`` remain. So a
client handed out once (held by a long prune run, or cached here) stays valid for hours,
refreshes happen under botocore's own lock (one AssumeRole per account even with threads),
and call-counting hooks registered on the client survive a refresh. A rebuilt-client design
would hand stale clients to anyone who kept one past the expiry. Credentials are shared by
all regions of an account: one AssumeRole per account per hour, not per region.

The refresh window is set explicitly (advisory 5 minutes: try to refresh, keep the old
credentials if STS fails; mandatory 1 minute: refresh or raise), and botocore reads the
time from our clock, so tests drive expiry with a controlled clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.clients import RETRY_CONFIG, AwsClients, utc
from bot.aws.errors import error_code
from bot.domain.accounts import Account, AccountUnavailable, find_account, role_unavailable

if TYPE_CHECKING:
    from bot.domain.locations import ResolvedTable  # named in a signature only

SESSION_NAME = "opsbot"
REFRESH_BEFORE = timedelta(minutes=5)
MUST_REFRESH_BEFORE = timedelta(minutes=1)
ROLE_DURATION_S = 3600
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId"})


class AccountClients:
    """Cached boto3 clients per (account, service, region)."""

    def __init__(
        self,
        home: AwsClients,
        accounts: Sequence[Account],
        *,
        clock: Callable[[], datetime],
        refresh_before: timedelta = REFRESH_BEFORE,
        must_refresh_before: timedelta = MUST_REFRESH_BEFORE,
        duration_s: int = ROLE_DURATION_S,
    ) -> None:
        self.home = home
        self.accounts = tuple(accounts)
        self._clock = clock
        self._refresh_before = refresh_before
        self._must_refresh_before = must_refresh_before
        self._duration_s = duration_s
        self._sessions: dict[str, boto3.session.Session] = {}
        self._credentials: dict[str, RefreshableCredentials] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._listeners: list[tuple[str, Any]] = []
        self._lock = threading.RLock()

    def client(
        self, service: str, region: str | None = None, account: Account | str | None = None
    ) -> Any:
        """The client for ``service`` in ``region`` of ``account`` (None or home: opsbot's own).

        A member account's role is assumed on first use; a missing or denied role raises
        AccountUnavailable naming the account and the role.
        """
        target = self.account(account)
        if target is None or target.is_home:
            return self.home.client(service, region)
        key = (target.id, service, region or target.regions[0])
        found = self._clients.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._build(target, service, key[2])
            return self._clients[key]

    def for_table(self, service: str, table: ResolvedTable) -> Any:
        """The client that reaches a resolved table (its account and region)."""
        return self.client(service, table.region, table.account)

    def account(self, account: Account | str | None) -> Account | None:
        """The configured account for an Account, id or alias (None: the home account)."""
        if account is None or isinstance(account, Account):
            return account
        found = find_account(self.accounts, account)
        if found is None:
            known = ", ".join(a.label(with_id=True) for a in self.accounts) or "none"
            raise AccountUnavailable(
                f"Account `{account}` is not in opsbot.toml [[accounts]] (configured: {known}).",
                account_id=account,
            )
        return found

    def on_event(self, event_name: str, handler: Any) -> None:
        """Register a botocore hook on every client of every account, present and future."""
        self.home.on_event(event_name, handler)
        with self._lock:
            self._listeners.append((event_name, handler))
            for client in self._clients.values():
                client.meta.events.register(event_name, handler)

    def members(self) -> Iterable[Account]:
        """The member accounts (those reached through a role)."""
        return (a for a in self.accounts if not a.is_home)

    def _build(self, account: Account, service: str, region: str) -> Any:
        session = self._session(account)
        client = session.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self.home.endpoint_url,
            config=RETRY_CONFIG,
        )
        for event_name, handler in self._listeners:
            client.meta.events.register(event_name, handler)
        return client

    def _session(self, account: Account) -> boto3.session.Session:
        found = self._sessions.get(account.id)
        if found is not None:
            return found
        fetch = self._fetcher(account)
        first = fetch()
        credentials = RefreshableCredentials(
            access_key=first["access_key"],
            secret_key=first["secret_key"],
            token=first["token"],
            expiry_time=datetime.fromisoformat(first["expiry_time"]),
            refresh_using=fetch,
            method="opsbot-assume-role",
            time_fetcher=self._clock,
            advisory_timeout=int(self._refresh_before.total_seconds()),
            mandatory_timeout=int(self._must_refresh_before.total_seconds()),
        )
        core = botocore.session.Session()
        # Only these credentials: never fall back to the environment's (the home account's),
        # which would silently act in the wrong account.
        core.register_component("credential_provider", CredentialResolver([_Fixed(credentials)]))
        session = boto3.session.Session(botocore_session=core)
        self._credentials[account.id] = credentials
        self._sessions[account.id] = session
        return session

    def _fetcher(self, account: Account) -> Callable[[], dict[str, Any]]:
        def fetch() -> dict[str, Any]:
            return self._assume(account)

        return fetch

    def _assume(self, account: Account) -> dict[str, Any]:
        params: dict[str, Any] = {
            "RoleArn": account.role_arn,
            "RoleSessionName": SESSION_NAME,
            "DurationSeconds": self._duration_s,
        }
        if account.external_id:
            params["ExternalId"] = account.external_id
        try:
            answer = self.home.client("sts").assume_role(**params)
        except ClientError as exc:
            code = error_code(exc)
            reason = "access denied" if code in _DENIED else code or "STS error"
            raise role_unavailable(account, reason) from exc
        except BotoCoreError as exc:
            raise role_unavailable(account, type(exc).__name__) from exc
        found = answer["Credentials"]
        expiry = utc(found["Expiration"]) or datetime.now(UTC)
        # botocore parses `expiry_time` from a string when it refreshes.
        return {
            "access_key": found["AccessKeyId"],
            "secret_key": found["SecretAccessKey"],
            "token": found["SessionToken"],
            "expiry_time": expiry.isoformat(),
        }


class _Fixed(CredentialProvider):
    """A credential provider that always answers with one (refreshable) credentials object."""

    METHOD = "opsbot-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials
