"""The notifier: the only code that calls Slack's Web API (and response URLs).

It retries 429s (honouring Retry-After) and 5xx, fits every message to Slack's limits with a
visible marker instead of failing, and takes messages that renderers already escaped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.domain.records import frozen
from bot.render.limits import MAX_HOME_BLOCKS, fit_to_limits
from bot.render.message import Message

log = logging.getLogger(__name__)
# Slack error codes are snake_case words; anything else in one is dropped before it is shown.
_ERROR_CODE = re.compile(r"[^a-z0-9_]")


def retry_handlers() -> list[Any]:
    """429 with Retry-After, 5xx and connection errors: each retried a bounded number of times."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
    ]


def build_web_client(token: str, *, base_url: str | None = None) -> WebClient:
    """A WebClient with opsbot's retry handlers (slack_sdk only retries connections by default)."""
    kwargs: dict[str, Any] = {"token": token, "timeout": 10, "retry_handlers": retry_handlers()}
    if base_url:
        kwargs["base_url"] = base_url
    return WebClient(**kwargs)


@frozen
class Posted:
    """Where a posted message landed."""

    channel: str
    ts: str


@frozen
class _Members:
    """A user group's members as Slack listed them at ``read_at``; ``error`` is Slack's answer
    when it would not list them (then nobody gets a role from the group)."""

    read_at: float
    users: frozenset[str] = frozenset()
    error: str = ""


class Notifier:
    """Sends Messages to Slack."""

    def __init__(
        self,
        client: WebClient,
        *,
        webhook_factory: Callable[[str], WebhookClient] | None = None,
        group_ttl_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._webhook_factory = webhook_factory or (
            lambda url: WebhookClient(url, timeout=10, retry_handlers=retry_handlers())
        )
        self._groups: dict[str, _Members] = {}
        self._group_ttl_s = group_ttl_s
        self._clock = clock
        self._lock = threading.Lock()

    def post(
        self,
        channel: str,
        message: Message,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> Posted:
        """chat.postMessage; in a thread when ``thread_ts`` is given; ``metadata`` (Slack's
        message metadata: ``event_type`` and ``event_payload``) marks it for find_posted."""
        args = fit_to_limits(message.as_args())
        if metadata:
            args["metadata"] = dict(metadata)
        if thread_ts:
            args["thread_ts"] = thread_ts
            if broadcast:
                args["reply_broadcast"] = True
        response = self.client.chat_postMessage(channel=channel, **args)
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))

    def upload_image(
        self,
        channel: str,
        image: bytes,
        *,
        filename: str,
        title: str,
        alt_text: str,
        thread_ts: str | None = None,
    ) -> None:
        """files_upload_v2 of a PNG into ``channel`` (a thread when ``thread_ts`` is given):
        files.getUploadURLExternal, a POST of the bytes to the URL it returns, then
        files.completeUploadExternal, which shares the file."""
        self.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=image,
            filename=filename,
            title=title,
            alt_txt=alt_text,
        )

    def find_posted(
        self, channel: str, event_type: str, payload: Mapping[str, Any], *, pages: int = 3
    ) -> str | None:
        """The ts of a message in ``channel`` whose metadata has ``event_type`` and holds
        ``payload``, among the newest ``pages`` pages of its history (conversations.history,
        scopes channels:history and groups:history); None when there is none. Raises
        SlackApiError when Slack will not show the history."""
        cursor = None
        for _ in range(pages):
            response = self.client.conversations_history(
                channel=channel, limit=100, include_all_metadata=True, cursor=cursor
            )
            for found in response.get("messages") or []:
                meta = found.get("metadata") or {}
                held = meta.get("event_payload") or {}
                if meta.get("event_type") == event_type and all(
                    held.get(k) == v for k, v in payload.items()
                ):
                    return str(found["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                break
        return None

    def update(self, channel: str, ts: str, message: Message) -> None:
        """chat.update of a message we posted."""
        self.client.chat_update(channel=channel, ts=ts, **fit_to_limits(message.as_args()))

    def delete(self, channel: str, ts: str) -> None:
        """chat.delete of a message we posted."""
        self.client.chat_delete(channel=channel, ts=ts)

    def ephemeral(
        self, channel: str, user: str, message: Message, *, thread_ts: str | None = None
    ) -> None:
        """chat.postEphemeral: only ``user`` sees it (in the thread ``thread_ts``, if given)."""
        args = fit_to_limits(message.as_args())
        if thread_ts:
            args["thread_ts"] = thread_ts
        self.client.chat_postEphemeral(channel=channel, user=user, **args)

    def respond(
        self, response_url: str, message: Message, *, replace_original: bool = False
    ) -> bool:
        """Reply through a slash command's or button's response_url; False if Slack refused."""
        body = fit_to_limits(message.as_args())
        body["response_type"] = "ephemeral" if message.ephemeral else "in_channel"
        if replace_original:
            body["replace_original"] = True
        response = self._webhook_factory(response_url).send_dict(body)
        if response.status_code != 200:
            log.warning("response_url refused: %s %s", response.status_code, response.body)
            return False
        return True

    def reply(
        self,
        message: Message,
        *,
        response_url: str | None,
        channel: str,
        user: str,
        replace_original: bool = False,
    ) -> None:
        """Reply to a user: the response_url while it works, else ephemeral, else a DM."""
        if response_url and self.respond(response_url, message, replace_original=replace_original):
            return
        try:
            if message.ephemeral:
                self.ephemeral(channel, user, message)
            else:
                self.post(channel, message)
        except SlackApiError as exc:
            log.warning("reply in %s failed (%s); sending a DM", channel, exc.response.get("error"))
            self.post(user, message)

    def publish_home(self, user: str, blocks: list[dict[str, Any]]) -> None:
        """views.publish of the App Home tab (at most 100 blocks)."""
        fitted = fit_to_limits({"text": "", "blocks": blocks}, max_blocks=MAX_HOME_BLOCKS)
        self.client.views_publish(user_id=user, view={"type": "home", "blocks": fitted["blocks"]})

    def cached_groups(
        self, user: str, group_ids: frozenset[str], *, max_age_s: float | None = None
    ) -> frozenset[str] | None:
        """The user's groups among ``group_ids`` from the cache, or None when a member list is
        missing, older than ``max_age_s`` (default: the cache's TTL) or could not be read."""
        now, ttl = self._clock(), self._group_ttl_s if max_age_s is None else max_age_s
        found = set()
        for group in group_ids:
            entry = self._groups.get(group)
            if entry is None or entry.error or now - entry.read_at > ttl:
                return None
            if user in entry.users:
                found.add(group)
        return frozenset(found)

    def groups_of(
        self, user: str, group_ids: frozenset[str], *, max_age_s: float | None = None
    ) -> frozenset[str]:
        """The user's groups among ``group_ids``, reading again each member list older than
        ``max_age_s`` (default: the cache's TTL). A group Slack will not list grants nothing
        (see ``unreadable_groups``); a 429 or 5xx that outlasts the retries raises."""
        now, ttl = self._clock(), self._group_ttl_s if max_age_s is None else max_age_s
        for group in sorted(group_ids):
            entry = self._groups.get(group)
            if entry is None or now - entry.read_at > ttl:
                entry = self._read_members(group, now)
                with self._lock:
                    self._groups[group] = entry
        return frozenset(
            g for g in group_ids if (e := self._groups.get(g)) and not e.error and user in e.users
        )

    def unreadable_groups(self, group_ids: frozenset[str]) -> dict[str, str]:
        """The groups among ``group_ids`` whose members Slack would not list at the last read,
        each with Slack's error (`no_such_subteam`, `missing_scope`, ...)."""
        return {g: e.error for g in sorted(group_ids) if (e := self._groups.get(g)) and e.error}

    def _read_members(self, group: str, now: float) -> _Members:
        try:
            response = self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            if exc.response.status_code != 200:
                raise  # rate limited or down after the retries: the queue tries again
            # Slack answered `ok: false`: the group is unknown, or the app may not list it.
            # No retry changes that; only this group's grants are lost.
            error = _ERROR_CODE.sub("", str(exc.response.get("error") or "")) or "unknown_error"
            log.warning("cannot read the members of user group %s: %s", group, error)
            return _Members(now, error=error)
        return _Members(now, frozenset(response.get("users") or []))
