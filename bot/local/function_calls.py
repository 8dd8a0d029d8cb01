"""Calling the bot's functions as Lambda would, and telling how a call went.

`import_function` imports ``functions.<name>`` when first needed (None when this version has
none); a handler that raises is a :class:`HandlerFailed`; `logged_errors` collects the
failures a handler logs and swallows (Lambda would retry those).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Iterator
from types import ModuleType

NOT_AVAILABLE = "not available in this version"


class HandlerFailed(Exception):
    """A function raised: its message stays on the queue for a later delivery."""


def import_function(name: str) -> ModuleType | None:
    """functions.<name>, or None when this version has no such module."""
    qualified = f"functions.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name in (qualified, "functions"):
            return None
        raise


class _ErrorCapture(logging.Handler):
    """Collects logged exceptions (ERROR with a traceback) while a handler runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []
        self._thread = threading.get_ident()  # not moto's or the sink's server threads

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.messages.append(f"{record.getMessage()} ({type(exc).__name__}: {exc})")


@contextlib.contextmanager
def logged_errors() -> Iterator[list[str]]:
    """The exceptions logged on this thread while the block runs, one message each."""
    capture = _ErrorCapture()
    loggers = [logging.getLogger(), logging.getLogger("opsbot")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield capture.messages
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
