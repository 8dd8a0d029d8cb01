"""`opsbot local` serving a real Slack workspace over Socket Mode: bolt's handler connected,
the embedded queues pumped in this thread until Ctrl-C."""

from __future__ import annotations

import time
from typing import Any

from bot.local.session import LocalSession


def socket_mode_handler(app: Any, app_token: str) -> Any:
    """slack_bolt's Socket Mode handler for ``app`` (built, not yet connected)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


# How many pump rounds serve_socket_mode runs by default: None is until Ctrl-C (tests set it).
SOCKET_MODE_ROUNDS: int | None = None


def serve_socket_mode(
    session: LocalSession,
    app_token: str,
    *,
    poll_s: float = 0.5,
    max_rounds: int | None = None,
) -> None:
    """Serve a real Slack workspace: bolt over Socket Mode, the queues pumped in this thread."""
    from bot.slack.app import build_app

    max_rounds = SOCKET_MODE_ROUNDS if max_rounds is None else max_rounds
    app = build_app(session.runtime)
    handler = socket_mode_handler(app, app_token)
    handler.connect()
    session.output.note("serving your Slack workspace over Socket Mode; Ctrl-C stops")
    rounds = 0
    try:
        while max_rounds is None or rounds < max_rounds:
            session.pump()
            rounds += 1
            time.sleep(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
