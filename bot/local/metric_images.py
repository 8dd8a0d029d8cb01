"""GetMetricWidgetImage for the embedded AWS: moto does not implement it, so the session's
clients answer it with a small PNG drawn here (a frame and a red threshold line), shaped as
AWS answers (``MetricWidgetImage`` bytes). The console shows the upload as "[image: title]".
"""

from __future__ import annotations

import struct
import zlib
from types import SimpleNamespace
from typing import Any

WIDTH, HEIGHT = 120, 60
_BACKGROUND = (250, 250, 250)
_FRAME = (160, 160, 160)
_THRESHOLD = (214, 39, 40)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def placeholder_png(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """An RGB PNG: a grey frame and a red line a third of the way down (stdlib only)."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            if y == height // 3:
                pixel = _THRESHOLD
            elif x in (0, width - 1) or y in (0, height - 1):
                pixel = _FRAME
            else:
                pixel = _BACKGROUND
            row += bytes(pixel)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def _answer(**_: Any) -> tuple[Any, dict[str, Any]]:
    http = SimpleNamespace(status_code=200, headers={})
    parsed = {"MetricWidgetImage": placeholder_png(), "ResponseMetadata": {"HTTPStatusCode": 200}}
    return http, parsed


def answer_metric_images(clients: Any) -> None:
    """Make ``clients`` (an AwsClients) answer GetMetricWidgetImage without calling moto."""
    clients.on_event("before-call.cloudwatch.GetMetricWidgetImage", _answer)
