"""What the local Slack holds, and how its Web API methods answer and change it.

A :class:`SlackWorkspace` keeps the current state of each posted message (updates applied,
deletes removed, thread replies indexed by ``thread_ts``), the bodies posted to each
response_url, usergroups, users, channel names and App Home views. It answers the Web API
methods opsbot uses the way Slack does (``ok``, ``ts``, ``message``, errors as
``ok: false``), including file uploads (files.getUploadURLExternal, the POST of the bytes
to the URL it returns, files.completeUploadExternal). It is not thread-safe: the
:class:`~bot.local.slack_sink.SlackSink` that serves it holds a lock around every use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

BOT_USER_ID = "U0OPSBOT"
BOT_ID = "B0OPSBOT"
TEAM_ID = "T0LOCAL"


class SlackWorkspace:
    """Messages, threads, usergroups, users and channels of the local Slack; see the module doc."""

    def __init__(
        self,
        *,
        usergroups: Mapping[str, list[str]] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        channels: Mapping[str, str] | None = None,
        start_ts: int | None = None,
        response_url_max_uses: int = 5,
    ) -> None:
        self.usergroups = dict(usergroups or {})
        # When set, every usergroups.users.list answers `ok: false` with this error, as Slack
        # does for an app without the usergroups:read scope ("missing_scope").
        self.usergroups_error = ""
        self.users = {k: dict(v) for k, v in (users or {}).items()}
        # channel id -> name
        self.channels = dict(channels or {})
        self.response_url_max_uses = response_url_max_uses
        self.home_views: dict[str, dict[str, Any]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._response_targets: dict[str, tuple[str, str]] = {}
        self._ts_micros = int(time.time() if start_ts is None else start_ts) * 1_000_000
        # Files by id: name, length, alt text, the bytes once uploaded, the title once shared.
        self.files: dict[str, dict[str, Any]] = {}
        # Where files.getUploadURLExternal sends the bytes; the serving sink sets it.
        self.upload_url_base = "http://127.0.0.1/upload/"

    # --- what tests and the console read -------------------------------------------------

    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """A copy of the current state of each message by (channel, ts); deleted ones are gone."""
        return {key: dict(value) for key, value in self._messages.items()}

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread, oldest first."""
        replies = [
            dict(m)
            for m in self._messages.values()
            if m["channel"] == channel and m.get("thread_ts") == thread_ts
        ]
        return sorted(replies, key=lambda m: _ts_key(m["ts"]))

    def responses(self, response_id: str) -> list[dict[str, Any]]:
        """Bodies posted to one response_url, in order."""
        return list(self._responses.get(response_id, []))

    # --- answers ---------------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's answer to one Web API call (``unknown_method`` for one it does not know)."""
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(self, args)

    def bind_response(self, response_id: str, *, channel: str, ts: str) -> None:
        """Make a response_url's replace/delete_original apply to the message (channel, ts)."""
        self._response_targets[response_id] = (channel, ts)

    def answer_response_url(self, response_id: str, body: dict[str, Any]) -> tuple[int, str]:
        """(HTTP status, text) Slack answers a post to a response_url, applying its body."""
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

    def receive_upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        """(HTTP status, text) Slack answers the POST of a file's bytes to its upload URL."""
        entry = self.files.get(file_id)
        if entry is None or entry.get("data") is not None:
            return HTTPStatus.NOT_FOUND, "upload_url_not_found"
        entry["data"] = data
        return HTTPStatus.OK, f"OK - {len(data)}"

    def say(self, channel: str, user: str, text: str) -> str:
        """A message ``user`` types in ``channel`` (not the bot's, no Web API call); its ts."""
        channel = self._channel_id(channel)
        ts = self._next_ts()
        self._messages[(channel, ts)] = {
            "type": "message",
            "user": user,
            "channel": channel,
            "ts": ts,
            "text": text,
            "blocks": [],
            "edited": False,
            "update_count": 0,
        }
        return ts

    # --- Web API methods -------------------------------------------------------------------

    def _next_ts(self) -> str:
        # Slack ts are unique per channel and increase.
        self._ts_micros = max(self._ts_micros + 100, int(time.time() * 1_000_000))
        seconds, micros = divmod(self._ts_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _channel_id(self, channel: str) -> str:
        name = channel.removeprefix("#")
        for channel_id, channel_name in self.channels.items():
            if channel_name == name:
                return channel_id
        return channel

    def _post_message(
        self, args: dict[str, Any], *, files: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments") or files):
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
        if files:
            message["files"] = files
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        if args.get("thread_ts"):
            parent = self._messages.get((channel, str(args["thread_ts"])))
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            message["thread_ts"] = str(args["thread_ts"])
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        self._messages[(channel, ts)] = message
        public = {k: v for k, v in message.items() if k not in ("channel", "update_count")}
        return {"ok": True, "channel": channel, "ts": ts, "message": public}

    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = {
            "id": file_id,
            "name": filename,
            "length": int(length),
            "alt_txt": str(args.get("alt_txt") or ""),
            "data": None,
        }
        return {"ok": True, "upload_url": self.upload_url_base + file_id, "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            listed = json.loads(args["files"]) if isinstance(args.get("files"), str) else None
        except ValueError:
            listed = None
        if not isinstance(listed, list) or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        shared = []
        for item in listed:
            entry = self.files.get(str(item.get("id", ""))) if isinstance(item, dict) else None
            if entry is None or entry["data"] is None or len(entry["data"]) != entry["length"]:
                return {"ok": False, "error": "file_not_found"}
            entry["title"] = str(item.get("title") or entry["name"])
            shared.append(entry)
        channel = str(args.get("channel_id") or "")
        files = [
            {"id": f["id"], "name": f["name"], "title": f["title"], "mimetype": "image/png"}
            for f in shared
        ]
        if channel:
            post = {
                "channel": channel,
                "text": str(args.get("initial_comment") or ""),
                "thread_ts": args.get("thread_ts") or "",
            }
            answer = self._post_message(post, files=files)
            if not answer["ok"]:
                return answer
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

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

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: a channel's messages (not thread replies), newest first,
        ``limit`` a page, paged by ``cursor``; metadata only with ``include_all_metadata``."""
        channel = self._channel_id(str(args.get("channel", "")))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        limit = max(1, min(int(args.get("limit") or 100), 999))
        start = int(args.get("cursor") or 0)
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = sorted(
            (
                m
                for m in self._messages.values()
                if m["channel"] == channel and "thread_ts" not in m
            ),
            key=lambda m: _ts_key(m["ts"]),
            reverse=True,
        )
        hidden = {"channel", "update_count"} | (set() if metadata else {"metadata"})
        page = [
            {k: v for k, v in m.items() if k not in hidden} for m in found[start : start + limit]
        ]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
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


_METHODS: dict[str, Callable[[SlackWorkspace, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": SlackWorkspace._post_message,
    "chat.update": SlackWorkspace._update,
    "chat.postEphemeral": SlackWorkspace._post_ephemeral,
    "chat.delete": SlackWorkspace._delete,
    "views.publish": SlackWorkspace._views_publish,
    "usergroups.users.list": SlackWorkspace._usergroup_users,
    "auth.test": SlackWorkspace._auth_test,
    "conversations.info": SlackWorkspace._conversations_info,
    "conversations.history": SlackWorkspace._history,
    "users.info": SlackWorkspace._users_info,
    "files.getUploadURLExternal": SlackWorkspace._get_upload_url,
    "files.completeUploadExternal": SlackWorkspace._complete_upload,
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
