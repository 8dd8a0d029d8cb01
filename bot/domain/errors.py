"""Errors the user sees as messages. The exception *is* the message."""

from __future__ import annotations

from datetime import datetime


class OpsbotError(Exception):
    """Base of every error that is shown to a user rather than retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValue(OpsbotError):
    """A typed value (duration, time, name) is not in an accepted form."""


class UsageError(OpsbotError):
    """A command is malformed; carries the usage line of the command it was meant to be."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class NotAllowed(OpsbotError):
    """The user's role does not allow this."""


class RoleUnchecked(NotAllowed):
    """The role an action needs could only come from user groups Slack would not list."""


class TableNotFound(OpsbotError):
    """The table does not exist in that region."""


class Conflict(OpsbotError):
    """The current state does not allow the action (backup in progress, table exists, ...)."""


class LimitReached(OpsbotError):
    """An AWS limit stops the action for now (LimitExceededException, throttling)."""


class ConfirmationInvalid(OpsbotError):
    """A confirmation button that is expired, used, tampered with or pressed by someone else."""


class ConfirmationExpired(ConfirmationInvalid):
    """A confirmation pressed after its plan expired; carries what the plan was and when it
    expired, so its message can say so in place of its buttons."""

    def __init__(self, message: str, *, summary: str, expired_at: datetime) -> None:
        super().__init__(message)
        self.summary = summary
        self.expired_at = expired_at
