"""Slack messages as readable terminal text, for the local console.

Pure: takes the arguments of a Web API call (``chat.postMessage``, ``chat.update``, a
response_url body, ...) and returns text. mrkdwn stays readable (``*bold*`` keeps its stars
without colour, becomes ANSI bold with it), links read ``label (url)``, buttons ``[ Confirm ]``.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

_ESC = "\033["
_RESET = _ESC + "0m"
_STYLES = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "strike": "9",
    "green": "32",
    "red": "31",
    "cyan": "36",
    "yellow": "33",
}

_ANSI = re.compile(r"\033\[[0-9;]*m")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")


def _paint(text: str, style: str, color: bool) -> str:
    if not color or not text:
        return text
    codes = ";".join(_STYLES[s] for s in style.split("+"))
    return f"{_ESC}{codes}m{text}{_RESET}"


def _unescape(text: str) -> str:
    # &amp; last, so "&amp;lt;" stays the literal text "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        command = target[1:]
        if command.startswith(("subteam^", "date^")):
            return label or command
        return "@" + command
    if label and label != target:
        return f"{label} ({target})"
    return target


def mrkdwn_to_text(text: str, *, color: bool = False) -> str:
    """One mrkdwn string as terminal text: links spelt out, entities unescaped."""
    text = _LINK.sub(_link, text)
    if color:
        text = _BOLD.sub(lambda m: _paint(m.group(1), "bold", True), text)
        text = _ITALIC.sub(lambda m: _paint(m.group(1), "italic", True), text)
        text = _STRIKE.sub(lambda m: _paint(m.group(1), "strike", True), text)
        text = _CODE.sub(lambda m: _paint(m.group(1), "cyan", True), text)
    return _unescape(text)


def _text_of(obj: Any, color: bool) -> str:
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(raw, color=color)
    return raw


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            lines.append(indent.rstrip())
            continue
        # ANSI codes count towards the width here; a slightly early wrap is harmless.
        lines.extend(
            textwrap.wrap(
                paragraph,
                width=max(width, 20),
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [indent]
        )
    return lines


def _element(element: dict[str, Any], color: bool) -> str:
    kind = element.get("type")
    if kind == "button":
        label = f"[ {_text_of(element.get('text'), color)} ]"
        style = {"primary": "green+bold", "danger": "red+bold"}.get(element.get("style", ""))
        painted = _paint(label, style, color) if style else label
        return f"{painted} ({element['url']})" if element.get("url") else painted
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element, color)
    if kind and ("select" in kind or kind in ("overflow", "datepicker", "timepicker")):
        placeholder = _text_of(element.get("placeholder"), color) or kind
        return f"[ {placeholder} ▾ ]"
    return f"[{kind}]"


def _block(block: dict[str, Any], width: int, color: bool) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text_of(block.get("text"), color)
        rule = "═" * min(len(title), width)
        return [_paint(title, "bold", color), rule]
    if kind == "divider":
        return ["─" * width]
    if kind == "section":
        lines: list[str] = []
        text = _text_of(block.get("text"), color)
        accessory = block.get("accessory")
        if accessory:
            text = f"{text}  {_element(accessory, color)}" if text else _element(accessory, color)
        if text:
            lines.extend(_wrap(text, width))
        lines.extend(_fields(block.get("fields") or [], width, color))
        return lines
    if kind == "context":
        parts = [_element(e, color) for e in block.get("elements", [])]
        return [_paint(line, "dim", color) for line in _wrap("  ·  ".join(parts), width)]
    if kind == "actions":
        buttons = " ".join(_element(e, color) for e in block.get("elements", []))
        return [buttons]
    if kind == "image":
        title = _text_of(block.get("title"), color)
        label = title or block.get("alt_text", "")
        return [f"[image: {label}] ({block.get('image_url', '')})"]
    if kind == "rich_text":
        return _wrap(_rich_text(block), width)
    return [f"[{kind} block]"]


def _visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def _fields(fields: list[dict[str, Any]], width: int, color: bool) -> list[str]:
    texts = [_text_of(f, color) for f in fields]
    column = width // 2
    lines: list[str] = []
    for left, right in zip(texts[::2], [*texts[1::2], ""], strict=False):
        left_lines, right_lines = left.split("\n"), right.split("\n") if right else []
        # Side by side when every line fits its column, as Slack lays fields out in two.
        if all(_visible_len(line) < column for line in left_lines + right_lines):
            for n in range(max(len(left_lines), len(right_lines))):
                cell = left_lines[n] if n < len(left_lines) else ""
                other = right_lines[n] if n < len(right_lines) else ""
                padding = " " * (column - _visible_len(cell)) if other else ""
                lines.append(f"{cell}{padding}{other}".rstrip())
        else:
            lines.extend(_wrap(left, width))
            if right:
                lines.extend(_wrap(right, width))
    return lines


def _rich_text(block: dict[str, Any]) -> str:
    out: list[str] = []
    for section in block.get("elements", []):
        for element in section.get("elements", []):
            if element.get("type") == "text":
                out.append(str(element.get("text", "")))
            elif element.get("type") == "link":
                url = str(element.get("url", ""))
                label = element.get("text")
                out.append(f"{label} ({url})" if label else url)
            elif element.get("type") == "user":
                out.append("@" + str(element.get("user_id", "")))
    return "".join(out)


def _body(args: dict[str, Any], width: int, color: bool) -> list[str]:
    blocks = args.get("blocks")
    if isinstance(args.get("view"), dict):
        blocks = args["view"].get("blocks")
    if not blocks:
        return _wrap(mrkdwn_to_text(str(args.get("text", "")), color=color), width)
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block(block, width, color))
    return lines


def _shared_files(args: dict[str, Any]) -> list[str]:
    """'[image: title]' for each file files.completeUploadExternal shares."""
    listed = args.get("files")
    if isinstance(listed, str):
        try:
            listed = json.loads(listed)
        except ValueError:
            listed = []
    titles = [str(f.get("title") or f.get("id") or "") for f in listed or [] if isinstance(f, dict)]
    return [f"[image: {title}]" for title in titles]


def _banner(args: dict[str, Any], method: str, color: bool) -> str:
    channel = str(args.get("channel", "") or args.get("channel_id", ""))
    where = channel if channel.startswith(("#", "@")) or not channel else f"#{channel}"
    if method == "chat.update":
        note = f"{where} (updated)"
    elif method == "chat.postEphemeral":
        note = f"{where} (only visible to @{args.get('user', '')})"
    elif method == "chat.delete":
        note = f"{where} (deleted {args.get('ts', '')})"
    elif method == "views.publish":
        note = f"App Home of @{args.get('user_id', '')}"
    elif method == "response_url":
        if args.get("delete_original"):
            note = "reply (deleted the original)"
        elif args.get("replace_original"):
            note = "reply (updated)"
        else:
            note = f"reply ({args.get('response_type', 'ephemeral')})"
    else:
        note = where
    return _paint(note, "yellow", color)


def render_for_terminal(
    args: dict[str, Any], *, method: str, width: int = 100, color: bool = False
) -> str:
    """A Slack Web API call's message as plain text (ANSI colour only if ``color``)."""
    shares = method == "files.completeUploadExternal"
    posts = ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal")
    reply = bool(args.get("thread_ts")) and method in posts
    inner_width = width - 4 if reply else width
    lines = [_banner(args, method, color)]
    if shares:
        lines.extend(_shared_files(args))
    elif method != "chat.delete":
        lines.extend(_body(args, inner_width, color))
    if not reply:
        return "\n".join(lines)
    first, *rest = lines
    return "\n".join([f"  ↳ {first}", *(f"    {line}" if line else "" for line in rest)])
