"""Run every benchmark module and print ``name: value`` lines (see benchmarks/__init__.py)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the benchmarks whose module name contains any of ``argv`` (all when empty)."""
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    failed = 0
    for name in names:
        if argv and not any(word in name for word in argv):
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        try:
            figures = module.measure()
        except Exception as exc:  # a broken benchmark is reported, the others still run
            print(f"{name}: FAILED {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        for key, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{key}: {shown}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
