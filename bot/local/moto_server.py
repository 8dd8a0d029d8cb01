"""An embedded AWS: moto's ThreadedMotoServer on 127.0.0.1, and clients that can only reach it.

moto runs in this process, so time-machine travel also applies to what the server records
(back-dated backups). Clients built here carry fake credentials, read no profile or config
file, skip the instance metadata service and bypass any HTTP proxy: nothing real leaks to
moto and nothing leaves the machine.
"""

from __future__ import annotations

import http.client
import logging
import os
from collections.abc import Callable, Mapping, MutableMapping
from types import TracebackType
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from moto.server import ThreadedMotoServer

FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - moto accepts any key; this one is fake
DEFAULT_REGION = "us-west-2"

# Variables that would make boto3 pick real credentials or a real profile instead of ours.
CREDENTIAL_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)

ClientFactory = Callable[[str, str], Any]

# A botocore session variable spec: (config file key, env var, default, converter). Pinning
# these to fixed values means no environment variable or file can change them.
_PINNED_SESSION_VARS: dict[str, tuple[str | None, str | None, Any, Any]] = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
    "metadata_service_num_attempts": (None, None, 0, int),
    "ec2_metadata_disabled": (None, None, "true", None),
    "endpoint_url": (None, None, None, None),
    "ignore_configured_endpoint_urls": (None, None, "true", None),
}


class EmbeddedAws:
    """A running moto server: its endpoint, a client factory for it, and the env to reach it."""

    def __init__(self, server: ThreadedMotoServer, host: str, port: int, region: str) -> None:
        self._server = server
        self._stopped = False
        self.host = host
        self.port = port
        self.region = region
        self.endpoint_url = f"http://{host}:{port}"
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 at this server with fake credentials."""
        no_proxy = {h for h in os.environ.get("NO_PROXY", "").split(",") if h}
        no_proxy |= {self.host, "localhost", "127.0.0.1"}
        return {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": ",".join(sorted(no_proxy)),
            "no_proxy": ",".join(sorted(no_proxy)),
        }

    def isolated_environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default os.environ) without real-credential variables, plus :meth:`env`."""
        source = os.environ if base is None else base
        environ = {k: v for k, v in source.items() if k not in CREDENTIAL_VARS}
        environ.update(self.env())
        return environ

    def export(self, environ: MutableMapping[str, str] | None = None) -> None:
        """Make ``environ`` (default os.environ) the isolated one, for a whole-process local run.

        moto builds boto3 sessions inside this process, so a stray AWS_PROFILE naming a profile
        that does not exist makes every first request to a service fail with HTTP 500.
        """
        target = os.environ if environ is None else environ
        for name in CREDENTIAL_VARS:
            target.pop(name, None)
        target.update(self.env())

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached boto3 client bound to this server; ignores profiles, env credentials and
        proxies. One botocore session serves every client: a new session re-reads botocore's
        endpoint data, which costs seconds over a local session's life."""
        key = (service, region or self.region)
        found = self._clients.get(key)
        if found is not None:
            return found
        if self._session is None:
            core = botocore.session.Session(session_vars=_PINNED_SESSION_VARS)
            self._session = boto3.session.Session(
                aws_access_key_id=FAKE_ACCESS_KEY_ID,
                aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
                region_name=self.region,
                botocore_session=core,
            )
        config = Config(proxies={}, retries={"max_attempts": 2, "mode": "standard"})
        client = self._session.client(
            service, region_name=key[1], endpoint_url=self.endpoint_url, config=config
        )
        self._clients[key] = client
        return client

    @property
    def client_factory(self) -> ClientFactory:
        """``(service, region) -> client`` for code that takes an injected factory."""
        return self.client

    def reset(self) -> None:
        """Forget every resource moto holds (moto's /moto-api/reset)."""
        # A direct connection: no proxy settings apply, the request stays on this machine.
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("POST", "/moto-api/reset")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"moto reset answered HTTP {response.status}")

    def stop(self, *, reset: bool = True) -> None:
        """Stop the server (idempotent), first resetting moto's state unless ``reset=False``.

        moto keeps its resources in process-wide backends, not in the server: without the
        reset, the next server started in this process would see this one's tables.
        """
        if self._stopped:
            return
        if reset:
            self.reset()
        self._stopped = True
        self._server.stop()
        self._clients.clear()

    def __enter__(self) -> EmbeddedAws:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_moto(
    host: str = "127.0.0.1", *, region: str = DEFAULT_REGION, quiet: bool = True
) -> EmbeddedAws:
    """Start moto's ThreadedMotoServer on a free port of ``host`` and return its handle."""
    if quiet:
        # werkzeug logs one line per request at INFO; the console would drown in them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Port 0 lets the OS pick a free port at bind time: no window between picking and binding.
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    return EmbeddedAws(server, bound_host, port, region)
