"""Where `opsbot local` shows what Slack would receive: terminal renderings or JSON lines."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from bot.local.console import render_for_terminal

# Web API methods that only look things up, and the first two steps of a file upload (the
# third, files.completeUploadExternal, shows the file): not shown in the terminal rendering.
_LOOKUPS = frozenset(
    {
        "usergroups.users.list",
        "users.info",
        "auth.test",
        "conversations.info",
        "team.info",
        "files.getUploadURLExternal",
        "upload",
    }
)


class Output:
    """Where everything Slack would receive goes: terminal renderings or JSON lines."""

    def __init__(
        self,
        *,
        json_lines: bool = False,
        color: bool = False,
        width: int = 100,
        stream: TextIO | None = None,
    ) -> None:
        self.json_lines = json_lines
        self.color = color
        self.width = width
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        """The stream written to (stdout, looked up at write time, unless one was given)."""
        return self._stream or sys.stdout

    def slack(self, method: str, args: dict[str, Any]) -> None:
        """One thing Slack receives: a Web API call, an ack body or a response_url reply."""
        if self.json_lines:
            line = json.dumps({"method": method, "args": args}, ensure_ascii=False, default=str)
            print(line, file=self.stream, flush=True)
            return
        if method in _LOOKUPS or (method == "ack" and not args):
            return
        shown = "response_url" if method == "ack" else method
        text = render_for_terminal(args, method=shown, width=self.width, color=self.color)
        print(text + "\n", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A note from the local runtime itself (stderr with JSON lines: stdout stays clean)."""
        if self.json_lines:
            print(text, file=sys.stderr, flush=True)
        else:
            shown = text if "\n" in text else f"» {text}"  # a block (help) stays aligned
            print(shown, file=self.stream, flush=True)
