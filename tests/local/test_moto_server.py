"""The embedded moto server: loopback only, fake credentials only, state dropped on stop."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest

from bot.local.moto_server import CREDENTIAL_VARS, EmbeddedAws, start_moto


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with start_moto() as embedded:
        yield embedded


def _capture_auth(client: Any) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    client.meta.events.register("before-send", lambda request, **_: seen.append(request.headers))
    return seen


def test_server_listens_on_loopback_on_a_free_port(aws: EmbeddedAws) -> None:
    assert aws.endpoint_url == f"http://127.0.0.1:{aws.port}"
    assert aws.port > 0
    with socket.create_connection(("127.0.0.1", aws.port), timeout=2):
        pass


def test_client_signs_with_fake_credentials_even_when_real_ones_are_set(
    aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALREALREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    client = aws.client("sqs")
    headers = _capture_auth(client)

    client.list_queues()

    authorization = str(headers[0]["Authorization"])
    assert "Credential=testing/" in authorization
    assert "AKIAREAL" not in authorization
    assert "X-Amz-Security-Token" not in headers[0]


def test_client_ignores_a_profile_and_endpoint_from_the_environment(
    aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production-does-not-exist")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://dynamodb.example.invalid")
    client = aws.client("dynamodb", "eu-west-1")

    assert client.meta.endpoint_url == aws.endpoint_url
    assert client.meta.region_name == "eu-west-1"
    assert "TableNames" in client.list_tables()


def test_client_bypasses_proxies_from_the_environment(
    aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback is closed: a client that used the proxy would fail.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    url = aws.client("sqs").create_queue(QueueName="behind-a-proxy")["QueueUrl"]

    assert url.endswith("/behind-a-proxy")


def test_env_points_a_plain_boto3_client_at_the_server(aws: EmbeddedAws) -> None:
    aws.client("sqs", "us-west-2").create_queue(QueueName="seen-through-env")
    environ = aws.isolated_environ({"AWS_PROFILE": "prod", "HOME": os.environ.get("HOME", "/")})

    with mock.patch.dict(os.environ, environ, clear=True):
        urls = boto3.client("sqs").list_queues()["QueueUrls"]

    assert any(u.endswith("/seen-through-env") for u in urls)
    assert aws.env()["AWS_ACCESS_KEY_ID"] == "testing"
    assert aws.env()["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert aws.env()["AWS_DEFAULT_REGION"] == "us-west-2"
    assert aws.env()["AWS_ENDPOINT_URL"] == aws.endpoint_url
    assert "127.0.0.1" in aws.env()["NO_PROXY"].split(",")


def test_export_removes_real_credential_variables(aws: EmbeddedAws) -> None:
    environ = dict.fromkeys(CREDENTIAL_VARS, "real") | {"PATH": "/usr/bin"}

    aws.export(environ)

    assert not set(CREDENTIAL_VARS) & set(environ)
    assert environ["PATH"] == "/usr/bin"
    assert environ["AWS_ACCESS_KEY_ID"] == "testing"


def test_clients_never_leave_the_machine(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    destinations: list[Any] = []

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        destinations.append(address)
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"connection to {address} leaves the machine")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    for service in ("dynamodb", "sns", "sqs", "events", "cloudwatch"):
        aws.client(service, "ap-southeast-2").meta.events  # noqa: B018 - build only
    aws.client("dynamodb", "ap-southeast-2").list_tables()
    aws.client("cloudwatch").describe_alarms()

    assert destinations
    assert all(address[0] == "127.0.0.1" for address in destinations)


def test_stop_drops_state_and_closes_the_port() -> None:
    first = start_moto()
    first.client("sqs").create_queue(QueueName="left-behind")
    port = first.port
    first.stop()
    first.stop()  # idempotent

    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass
    with start_moto() as second:
        assert "QueueUrls" not in second.client("sqs").list_queues()
