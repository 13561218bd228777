"""Benchmarks (`make bench`): each module measures against a baseline in the same run."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Run `fn` `repeats` times and return the median wall time in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def write_result(out: str | Path, name: str, result: object) -> Path:
    """Write `result` as indented JSON to `<out>/<name>.json`, creating `out`; return the path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return path
