"""The buttons the local Slack shows, and which message `press LABEL` presses one on.

A :class:`ButtonTracker` follows the Slack calls a session shows (posts, updates, ephemeral
messages, response_url replies) and finds a button by its label or action id on the newest
message that still shows one, as a :class:`Button` that says where that message is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.records import frozen

# ("msg" or "eph", channel, ts): a message in the local Slack that a button can be pressed on.
MessageKey = tuple[str, str, str]


@frozen
class Button:
    """A button on a message the local Slack shows, and where that message is."""

    label: str
    action_id: str
    value: str
    block_id: str
    url: str
    channel: str
    ts: str
    thread_ts: str
    ephemeral: bool
    blocks: list[dict[str, Any]]


def buttons_in(blocks: Any) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(label, button element, block id) of every button in a message's blocks."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                label = str((element.get("text") or {}).get("text", ""))
                yield label, element, str(block.get("block_id", ""))


@dataclass
class _Surface:
    """A message in the local Slack that a button can be pressed on (newest last)."""

    channel: str
    ts: str = ""
    ephemeral: bool = False
    blocks: list[dict[str, Any]] = field(default_factory=list)  # ephemeral ones only
    touched: int = 0


@dataclass
class ButtonTracker:
    """Which messages show buttons, newest touch last; see the module doc."""

    _results: dict[int, dict[str, Any]] = field(default_factory=dict)
    _surfaces: dict[MessageKey, _Surface] = field(default_factory=dict)
    _touched: int = 0
    _originals: dict[str, MessageKey] = field(default_factory=dict)
    _response_channels: dict[str, str] = field(default_factory=dict)

    def expect_response(
        self, response_id: str, *, channel: str, original: MessageKey | None = None
    ) -> None:
        """Where a response_url's replies show: ``channel``, or over the pressed message."""
        if original is not None:
            self._originals[response_id] = original
        self._response_channels[response_id] = channel

    def answered(self, call: dict[str, Any]) -> None:
        """Remember what Slack answered to a call (the ts); runs on the sink's server thread."""
        self._results[id(call["args"])] = call.get("result") or {}

    def _result_of(self, args: dict[str, Any]) -> dict[str, Any]:
        for _ in range(400):  # the sink answers before its hook runs: wait for the hook
            found = self._results.get(id(args))
            if found is not None:
                return found
            time.sleep(0.005)
        return {}

    def track(self, method: str, args: dict[str, Any], *, channel: str) -> None:
        """Follow one Slack call; ``channel`` is where unexpected response_url replies show."""
        key: MessageKey | None = None
        if method in ("chat.postMessage", "chat.update"):
            result = self._result_of(args)
            key = ("msg", str(result.get("channel", "")), str(result.get("ts", "")))
            self._surfaces.setdefault(key, _Surface(channel=key[1], ts=key[2]))
        elif method == "chat.postEphemeral":
            result = self._result_of(args)
            key = ("eph", str(args.get("channel", "")), str(result.get("message_ts", "")))
            self._surfaces[key] = _Surface(
                channel=key[1], ts=key[2], ephemeral=True, blocks=list(args.get("blocks") or [])
            )
        elif method == "response_url":
            response_id = str(args.get("response_id", ""))
            original = self._originals.get(response_id)
            changes_original = bool(args.get("replace_original") or args.get("delete_original"))
            if original is not None and changes_original:
                key = original
                if args.get("delete_original"):
                    self._surfaces.pop(key, None)
                    return
                surface = self._surfaces.get(key)
                if surface is not None and surface.ephemeral:
                    surface.blocks = list(args.get("blocks") or [])
            else:
                channel = self._response_channels.get(response_id, channel)
                key = ("eph", channel, f"response-{response_id}-{len(self._surfaces)}")
                self._surfaces[key] = _Surface(
                    channel=channel, ephemeral=True, blocks=list(args.get("blocks") or [])
                )
                self._originals.setdefault(response_id, key)
        if key is not None and key in self._surfaces:
            self._touched += 1
            self._surfaces[key].touched = self._touched

    def find(
        self, label: str, messages: Mapping[tuple[str, str], dict[str, Any]]
    ) -> tuple[Button, MessageKey] | None:
        """The button ``label`` on the newest message that still shows one, and its message;
        ``messages`` is what the local Slack holds now, by (channel, ts)."""
        wanted = label.casefold()
        newest_first = sorted(self._surfaces.items(), key=lambda kv: -kv[1].touched)
        for key, surface in newest_first:
            blocks, thread_ts = surface.blocks, ""
            if key[0] == "msg":
                current = messages.get((key[1], key[2]))
                if current is None:
                    continue  # deleted since
                blocks, thread_ts = (
                    list(current.get("blocks") or []),
                    str(current.get("thread_ts", "")),
                )
            for text, element, block_id in buttons_in(blocks):
                # The label as shown, or the button's action id ("press confirm" presses
                # "Delete 10 backups", whose action is `confirm`).
                if wanted in (text.casefold(), str(element.get("action_id", "")).casefold()):
                    button = Button(
                        label=text,
                        action_id=str(element.get("action_id", "")),
                        value=str(element.get("value", "")),
                        block_id=block_id,
                        url=str(element.get("url", "")),
                        channel=surface.channel,
                        ts=surface.ts,
                        thread_ts=thread_ts,
                        ephemeral=surface.ephemeral,
                        blocks=blocks,
                    )
                    return button, key
        return None
