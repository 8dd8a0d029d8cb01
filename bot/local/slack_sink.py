"""A local stand-in for Slack's Web API: records every call and keeps the channel state.

Point ``slack_sdk.WebClient(base_url=sink.base_url)`` at it. It answers the methods opsbot
uses the way Slack does (``ok``, ``ts``, ``message``, errors as ``ok: false``), keeps the
current state of each posted message (updates applied, deletes removed, thread replies
indexed by ``thread_ts``), accepts ``response_url`` posts, and can be told to fail the next
calls with 429 + Retry-After or 500 so retries can be tested. stdlib only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Call = dict[str, Any]

logger = logging.getLogger(__name__)

# Form-encoded arguments that Slack expects as JSON strings.
_JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "view", "metadata"})
BOT_USER_ID = "U0OPSBOT"
BOT_ID = "B0OPSBOT"
TEAM_ID = "T0LOCAL"


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
        self.usergroups = dict(usergroups or {})
        # When set, every usergroups.users.list answers `ok: false` with this error, as Slack
        # does for an app without the usergroups:read scope ("missing_scope").
        self.usergroups_error = ""
        self.users = {k: dict(v) for k, v in (users or {}).items()}
        # channel id -> name
        self.channels = dict(channels or {})
        self.response_url_max_uses = response_url_max_uses
        self.on_call = on_call
        self.home_views: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._requests: list[Call] = []
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._response_targets: dict[str, tuple[str, str]] = {}
        self._faults: list[_Fault] = []
        self._ts_micros = int(time.time() if start_ts is None else start_ts) * 1_000_000

        self._server = _Server((host, port), _handler_for(self))
        bound_host, bound_port = self._server.server_address[:2]
        self.host: str = str(bound_host)
        self.port: int = int(bound_port)
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
                self._response_targets[response_id] = (channel, ts)
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
            return {key: dict(value) for key, value in self._messages.items()}

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread, oldest first."""
        with self._lock:
            replies = [
                dict(m)
                for m in self._messages.values()
                if m["channel"] == channel and m.get("thread_ts") == thread_ts
            ]
        return sorted(replies, key=lambda m: _ts_key(m["ts"]))

    def responses(self, response_id: str) -> list[dict[str, Any]]:
        """Bodies posted to one response_url, in order."""
        with self._lock:
            return list(self._responses.get(response_id, []))

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

    def _next_ts(self) -> str:
        # Caller holds the lock. Slack ts are unique per channel and increase.
        self._ts_micros = max(self._ts_micros + 100, int(time.time() * 1_000_000))
        seconds, micros = divmod(self._ts_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

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
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            return handler(self, args)

    def _answer_response_url(self, response_id: str, body: dict[str, Any]) -> tuple[int, str]:
        with self._lock:
            uses = self._responses.setdefault(response_id, [])
            if len(uses) >= self.response_url_max_uses:
                return HTTPStatus.NOT_FOUND, "used_url"
            uses.append(body)
            target = self._response_targets.get(response_id)
            if target is not None:
                if body.get("delete_original"):
                    self._messages.pop(target, None)
                elif body.get("replace_original"):
                    message = self._messages.get(target)
                    if message is not None:
                        _apply_update(message, body)
        return HTTPStatus.OK, "ok"

    # --- Web API methods (called with the lock held) ---------------------------------------

    def _channel_id(self, channel: str) -> str:
        name = channel.removeprefix("#")
        for channel_id, channel_name in self.channels.items():
            if channel_name == name:
                return channel_id
        return channel

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            return {"ok": False, "error": "no_text"}
        channel = self._channel_id(channel)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "channel": channel,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "edited": False,
            "update_count": 0,
        }
        if args.get("thread_ts"):
            parent = self._messages.get((channel, str(args["thread_ts"])))
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            message["thread_ts"] = str(args["thread_ts"])
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        self._messages[(channel, ts)] = message
        public = {k: v for k, v in message.items() if k not in ("channel", "update_count")}
        return {"ok": True, "channel": channel, "ts": ts, "message": public}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(args.get("channel", "")))
        ts = str(args.get("ts", ""))
        message = self._messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        _apply_update(message, args)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": {k: v for k, v in message.items() if k != "update_count"},
        }

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(args.get("channel", "")))
        ts = str(args.get("ts", ""))
        if self._messages.pop((channel, ts), None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id", ""))
        view = args.get("view")
        if not user_id or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        stored = {"id": f"V{len(self.home_views) + 1:08d}", "team_id": TEAM_ID, **view}
        self.home_views[user_id] = stored
        return {"ok": True, "view": stored}

    def _usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if self.usergroups_error:
            return {"ok": False, "error": self.usergroups_error}
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://opsbot-local.slack.com/",
            "team": "opsbot local",
            "user": "opsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(args.get("channel", "")))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        name = self.channels.get(channel, channel.lower())
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": name,
                "is_channel": True,
                "is_private": False,
                "is_member": True,
                "is_archived": False,
            },
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        profile = self.users[user_id]
        name = str(profile.get("name", user_id.lower()))
        real_name = str(profile.get("real_name", name))
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name,
            "tz": profile.get("tz", "Etc/UTC"),
            "is_bot": False,
            "profile": {"real_name": real_name, "display_name": name, **profile},
        }
        return {"ok": True, "user": user}


_METHODS: dict[str, Callable[[SlackSink, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": SlackSink._post_message,
    "chat.update": SlackSink._update,
    "chat.postEphemeral": SlackSink._post_ephemeral,
    "chat.delete": SlackSink._delete,
    "views.publish": SlackSink._views_publish,
    "usergroups.users.list": SlackSink._usergroup_users,
    "auth.test": SlackSink._auth_test,
    "conversations.info": SlackSink._conversations_info,
    "users.info": SlackSink._users_info,
}


def _apply_update(message: dict[str, Any], args: Mapping[str, Any]) -> None:
    if "text" in args:
        message["text"] = args["text"]
    if "blocks" in args:
        message["blocks"] = args["blocks"]
    message["edited"] = True
    message["update_count"] = message.get("update_count", 0) + 1


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


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
