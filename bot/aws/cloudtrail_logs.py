"""CloudTrail log files in S3: one delivered object read whole, gunzipped when it is gzipped."""

from __future__ import annotations

import gzip
import json
from typing import Any

from bot.domain.errors import InvalidValue


def read_log_file(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    """A CloudTrail log file (``{"Records": [...]}``) from S3, gunzipped: one GetObject."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        document = json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise InvalidValue(f"s3://{bucket}/{key} is not a gzipped JSON log file ({exc})") from None
    except RecursionError:
        raise InvalidValue(f"s3://{bucket}/{key}: its JSON is nested too deeply to read") from None
    if not isinstance(document, dict):
        raise InvalidValue(f"s3://{bucket}/{key} is not a CloudTrail log file")
    return document
