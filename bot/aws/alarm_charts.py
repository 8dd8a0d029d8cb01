"""The chart in a firing alarm's thread: the PNG CloudWatch renders (GetMetricWidgetImage),
bounded in time."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

log = logging.getLogger(__name__)

CHART_IMAGE_TIMEOUT_S = 5.0
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fetch_widget_image(cloudwatch: Any, widget: dict[str, Any]) -> bytes:
    """One GetMetricWidgetImage call: the PNG of ``widget`` (ValueError if it is not a PNG)."""
    response = cloudwatch.get_metric_widget_image(
        MetricWidget=json.dumps(widget, separators=(",", ":")), OutputFormat="png"
    )
    image = response.get("MetricWidgetImage") or b""
    if not isinstance(image, bytes) or not image.startswith(_PNG_SIGNATURE):
        raise ValueError("GetMetricWidgetImage answered without a PNG")
    return image


def widget_image(
    cloudwatch: Any,
    widget: dict[str, Any],
    *,
    name: str,
    timeout_s: float = CHART_IMAGE_TIMEOUT_S,
) -> bytes | None:
    """The chart's PNG within ``timeout_s``, or None when CloudWatch fails, is slow or answers
    something else (logged): the alarm keeps its sparkline without the chart.

    botocore cannot cancel a call, so a slow one is abandoned in its worker thread.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metric-image")
    try:
        return pool.submit(fetch_widget_image, cloudwatch, widget).result(timeout=timeout_s)
    except FutureTimeout:
        log.warning("GetMetricWidgetImage slower than %ss for %s; no chart", timeout_s, name)
    except Exception as exc:  # any failure (moto lacks the API, throttling) costs the chart
        log.warning("GetMetricWidgetImage failed for %s (%r); no chart", name, exc)
    finally:
        pool.shutdown(wait=False)
    return None
