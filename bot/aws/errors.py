"""Map botocore ClientError codes to the domain errors users read."""

from __future__ import annotations

from botocore.exceptions import ClientError

from bot.domain.errors import Conflict, LimitReached, NotAllowed, OpsbotError, TableNotFound
from bot.render.message import code as quote
from bot.render.message import escape

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "LimitExceededException",
    }
)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError ('' when absent)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_throttling(exc: BaseException) -> bool:
    """Whether an error is AWS asking us to slow down."""
    return isinstance(exc, ClientError) and error_code(exc) in THROTTLING_CODES


def translate(exc: ClientError, *, table: str = "", region: str = "") -> OpsbotError:
    """A user-facing error for a ClientError; unknown codes keep AWS's own message.

    The text is mrkdwn (render_error shows it as is), so what AWS wrote is escaped here: an
    error message can quote a caller's input (a resource policy, a table name, a tag).
    """
    code = error_code(exc)
    message = escape(str(exc.response.get("Error", {}).get("Message", ""))) or escape(code)
    where = f" in {escape(region)}" if region else ""
    if code in ("ResourceNotFoundException", "TableNotFoundException"):
        return TableNotFound(
            f"There is no table {quote(table)}{where}. Check the name, or add `@region`."
        )
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return NotAllowed(f"opsbot's AWS role may not do this{where}: {message}")
    if code in ("TableInUseException", "BackupInUseException", "ResourceInUseException"):
        return Conflict(f"{quote(table)} is busy{where}: {message}")
    if code == "TableAlreadyExistsException":
        return Conflict(f"A table with that name already exists{where}: {message}")
    if code in THROTTLING_CODES:
        return LimitReached(
            f"AWS is limiting these calls right now{where}: {message}. Try again shortly."
        )
    return OpsbotError(f"AWS said {escape(code)}{where}: {message}")
