"""A local stand-in for Slack's Web API: serves HTTP on 127.0.0.1 and records every call.

Point ``slack_sdk.WebClient(base_url=sink.base_url)`` at it. It answers the methods opsbot
uses from a :class:`~bot.local.slack_workspace.SlackWorkspace`, which keeps what Slack
holds (each posted message's current state, threads, usergroups, users, channels), accepts
``response_url`` posts and file uploads (the POST to an upload URL is recorded as
``upload``), and can be told to fail the next calls with 429 + Retry-After or 500
so retries can be tested. stdlib only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.local.slack_workspace import SlackWorkspace

Call = dict[str, Any]

logger = logging.getLogger(__name__)

# Form-encoded arguments that Slack expects as JSON strings.
_JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "view", "metadata"})


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a burst of posts arrives at once.
    request_queue_size = 128
    daemon_threads = True


@dataclass
class _Fault:
    remaining: int
    status: int
    retry_after: int


class SlackSink:
    """Slack's Web API on 127.0.0.1 for the local runtime and tests; see the module doc."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        usergroups: Mapping[str, list[str]] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        channels: Mapping[str, str] | None = None,
        start_ts: int | None = None,
        response_url_max_uses: int = 5,
        on_call: Callable[[Call], None] | None = None,
    ) -> None:
        """Start serving at once; ``on_call`` gets each answered call plus its ``result``."""
        self.token = token
        self.workspace = SlackWorkspace(
            usergroups=usergroups,
            users=users,
            channels=channels,
            start_ts=start_ts,
            response_url_max_uses=response_url_max_uses,
        )
        self.on_call = on_call
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._requests: list[Call] = []
        self._faults: list[_Fault] = []

        self._server = _Server((host, port), _handler_for(self))
        bound_host, bound_port = self._server.server_address[:2]
        self.host: str = str(bound_host)
        self.port: int = int(bound_port)
        self.workspace.upload_url_base = f"http://{self.host}:{self.port}/upload/"
        # A short poll interval makes stop() quick; an idle wake-up every 50 ms costs nothing.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="slack-sink", daemon=True
        )
        self._thread.start()

    # --- what tests and the console read ------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Web API base URL for ``WebClient(base_url=...)``, ending in ``/api/``."""
        return f"http://{self.host}:{self.port}/api/"

    def response_url(self, response_id: str, *, channel: str = "", ts: str = "") -> str:
        """A response_url; bound to (channel, ts) it applies replace/delete_original there."""
        if channel and ts:
            with self._lock:
                self.workspace.bind_response(response_id, channel=channel, ts=ts)
        return f"http://{self.host}:{self.port}/response/{response_id}"

    @property
    def calls(self) -> list[Call]:
        """Every answered call, in order: ``{"method": ..., "args": {...}}``."""
        with self._lock:
            return list(self._calls)

    @property
    def requests(self) -> list[Call]:
        """Every request including injected failures: calls plus ``"status"``."""
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Current state of each message by (channel, ts); deleted ones are gone."""
        with self._lock:
            return self.workspace.messages()

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread, oldest first."""
        with self._lock:
            return self.workspace.thread(channel, thread_ts)

    def say(self, channel: str, user: str, text: str) -> str:
        """Record a message a person types in ``channel`` (a mention, say); returns its ts."""
        with self._lock:
            return self.workspace.say(channel, user, text)

    def responses(self, response_id: str) -> list[dict[str, Any]]:
        """Bodies posted to one response_url, in order."""
        with self._lock:
            return self.workspace.responses(response_id)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Each file by id: name, length, alt_txt, ``data`` (the bytes uploaded), ``title``."""
        with self._lock:
            return {k: dict(v) for k, v in self.workspace.files.items()}

    @property
    def usergroups(self) -> dict[str, list[str]]:
        """Members of each user group (id -> user ids); tests change them to revoke a grant."""
        return self.workspace.usergroups

    @property
    def usergroups_error(self) -> str:
        """The error every usergroups.users.list answers with, when set (e.g. missing_scope)."""
        return self.workspace.usergroups_error

    @usergroups_error.setter
    def usergroups_error(self, error: str) -> None:
        self.workspace.usergroups_error = error

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """The App Home view published for each user, by user id."""
        return self.workspace.home_views

    @property
    def response_url_max_uses(self) -> int:
        """How many posts one response_url accepts (Slack: 5)."""
        return self.workspace.response_url_max_uses

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every answered call to one method."""
        return [c["args"] for c in self.calls if c["method"] == method]

    # --- fault injection ----------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` (429 carries Retry-After)."""
        with self._lock:
            self._faults.append(_Fault(count, status, retry_after))

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling (server threads) ------------------------------------------------

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            while self._faults and self._faults[0].remaining <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0].remaining -= 1
            return self._faults[0]

    def _record(self, method: str, args: dict[str, Any], status: int) -> None:
        with self._lock:
            self._requests.append({"method": method, "args": args, "status": status})
            if status == HTTPStatus.OK:
                self._calls.append({"method": method, "args": args})

    def _notify(self, call: Call) -> None:
        if self.on_call is None:
            return
        try:
            self.on_call(call)
        except Exception:
            # The console hook must not turn a good API answer into an error for the bot.
            logger.exception("slack sink on_call hook failed for %s", call["method"])

    def _authorized(self, headers: Mapping[str, str], args: dict[str, Any]) -> bool:
        if self.token is None:
            return True
        bearer = headers.get("Authorization", "")
        supplied = bearer.removeprefix("Bearer ").strip() if bearer else args.get("token", "")
        return bool(supplied == self.token)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.workspace.answer(method, args)

    def _answer_upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        with self._lock:
            return self.workspace.receive_upload(file_id, data)

    def _answer_response_url(self, response_id: str, body: dict[str, Any]) -> tuple[int, str]:
        with self._lock:
            return self.workspace.answer_response_url(response_id, body)


def _parse_body(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if not raw:
        return args
    if content_type.startswith("application/json"):
        body = json.loads(raw.decode("utf-8"))
        if isinstance(body, dict):
            args.update(body)
        return args
    for key, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in _JSON_FORM_FIELDS:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        args[key] = value
    return args


def _handler_for(sink: SlackSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            # Quiet: the console renders calls itself.
            return

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if parts.path.startswith("/upload/"):
                self._upload(parts.path.removeprefix("/upload/"), raw)
                return
            try:
                args = _parse_body(content_type, raw, parts.query)
            except ValueError:
                self._send(HTTPStatus.BAD_REQUEST, {"ok": False, "error": "invalid_json"})
                return
            if parts.path.startswith("/api/"):
                self._api(parts.path.removeprefix("/api/"), args)
            elif parts.path.startswith("/response/"):
                self._response(parts.path.removeprefix("/response/"), args)
            else:
                self._send(HTTPStatus.NOT_FOUND, {"ok": False, "error": "not_found"})

        def _api(self, method: str, args: dict[str, Any]) -> None:
            fault = sink._take_fault()
            if fault is not None:
                sink._record(method, args, fault.status)
                if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
                    headers = {"Retry-After": str(fault.retry_after)}
                    self._send(fault.status, {"ok": False, "error": "ratelimited"}, headers)
                else:
                    self._send(fault.status, {"ok": False, "error": "internal_error"})
                return
            if not sink._authorized(dict(self.headers.items()), args):
                sink._record(method, args, HTTPStatus.UNAUTHORIZED)
                self._send(HTTPStatus.OK, {"ok": False, "error": "invalid_auth"})
                return
            args.pop("token", None)
            answer = sink._answer(method, args)
            sink._record(method, args, HTTPStatus.OK)
            # The hook runs before the answer goes out, so it sees calls in the order a
            # client makes them (after the answer, the client's next call could overtake it).
            sink._notify({"method": method, "args": args, "result": answer})
            self._send(HTTPStatus.OK, answer)

        def _response(self, response_id: str, body: dict[str, Any]) -> None:
            fault = sink._take_fault()
            if fault is not None:
                sink._record("response_url", {"response_id": response_id, **body}, fault.status)
                self._send_text(fault.status, "rate_limited")
                return
            status, text = sink._answer_response_url(response_id, body)
            call_args = {"response_id": response_id, **body}
            sink._record("response_url", call_args, status)
            if status == HTTPStatus.OK:
                sink._notify({"method": "response_url", "args": call_args, "result": {"ok": True}})
            self._send_text(status, text)

        def _upload(self, file_id: str, data: bytes) -> None:
            """The POST of a file's bytes to the URL files.getUploadURLExternal gave out."""
            call_args = {"file_id": file_id, "length": len(data)}
            fault = sink._take_fault()
            if fault is not None:
                sink._record("upload", call_args, fault.status)
                self._send_text(fault.status, "internal_error")
                return
            status, text = sink._answer_upload(file_id, data)
            sink._record("upload", call_args, status)
            if status == HTTPStatus.OK:
                sink._notify({"method": "upload", "args": call_args, "result": {"ok": True}})
            self._send_text(status, text)

        def _send(
            self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
        ) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _send_text(self, status: int, text: str) -> None:
            payload = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def start_slack_sink(**options: Any) -> SlackSink:
    """Start a :class:`SlackSink` on a free port of 127.0.0.1 (options as its constructor)."""
    return SlackSink(**options)
