"""The gate in front of bolt: Slack's signature checked over the raw bytes before anything
parses them.

The endpoint is public. bolt parses a request (base64, UTF-8, the form, the JSON payload)
before its own signature check, so a stranger's `{` or a JSON array nested 50,000 deep
raised inside bolt: an HTTP 500 and a Lambda error, which kept the function's error alarm
firing and hid real failures. Here an unsigned or stale request is answered 401 and a signed
one that does not parse 400, without an exception; only a request that is both signed and
well-formed reaches bolt (which checks the signature again, cheaply).

The HMAC is computed over the bytes as received: slack_sdk's SignatureVerifier decodes the
body as UTF-8 first, which raises on bytes that are not UTF-8 before their signature is known.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from bot.domain.records import frozen

# Slack signs `v0:<timestamp>:<body>` and refuses requests older than five minutes.
MAX_SKEW_S = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@frozen
class Refusal:
    """A request turned away before bolt: the HTTP status and a short reason (never echoed
    input)."""

    status: int
    reason: str

    def as_response(self) -> dict[str, Any]:
        """The Lambda proxy response."""
        return {
            "statusCode": self.status,
            "headers": {"content-type": "text/plain"},
            "body": self.reason,
        }


def check_request(event: Mapping[str, Any], signing_secret: str, *, now: float) -> Refusal | None:
    """None when the request is signed, fresh and parses as Slack sends it; else why not."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "This endpoint takes requests signed by Slack.")
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        return Refusal(401, "The request's signature is too old (or from the future).")
    raw = _raw_body(event)
    if raw is None:
        return Refusal(400, "The request body is not valid base64.")
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return Refusal(401, "The request's signature does not match.")
    problem = _shape_problem(raw, headers.get("content-type", ""))
    return Refusal(400, problem) if problem else None


def _raw_body(event: Mapping[str, Any]) -> bytes | None:
    body = event.get("body") or ""
    if not isinstance(body, str):
        return None
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _shape_problem(raw: bytes, content_type: str) -> str | None:
    """Why a signed body is not one Slack sends (bolt's parse_body would raise on it, or
    hand its listeners something that is not an object); None when it is."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "The request body is not UTF-8."
    if not text:
        return None
    # The same tests, in the same order, as bolt's slack_bolt.request.internals.parse_body.
    if content_type == "application/json" or text.startswith("{"):
        return _json_object_problem(text, "The request body")
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            return _json_object_problem(payload, "The payload")
    return None


def _json_object_problem(text: str, what: str) -> str | None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return f"{what} is not JSON Slack sends."
    if not isinstance(parsed, dict):
        return f"{what} is not a JSON object."
    return None
