"""Golden files for rendered messages: tests/golden/<renderer>/<case>.json, compared with ==.

Set UPDATE_GOLDEN=1 to rewrite them; review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "golden"


def assert_golden(renderer: str, case: str, actual: Any) -> None:
    """Compare a JSON-able value with its golden file (or rewrite it under UPDATE_GOLDEN=1)."""
    path = GOLDEN_DIR / renderer / f"{case}.json"
    text = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, f"rendering differs from {path}"
