"""`make bench`: run every benchmark, or the ones named, and write `benchmarks/results/`.

    python -m benchmarks.run [--only lifecycle,scoring,...] [--out benchmarks/results] [ARGS...]

Each benchmark is a module `benchmarks/<name>.py` with `main(argv) -> int`; it measures its
subject against a baseline run in the same process and writes `<out>/<name>.json`. Arguments
after the known ones are passed to every benchmark that is run.
"""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = (
    "lifecycle",
    "scoring",
    "meetings",
    "meetings_scaling",
    "stt",
    "research",
    "startup",
    "scoring_scale",
    "scale",
    "patterns",
    "gc",
)
"""Every benchmark, in run order."""


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks one after another; return the first non-zero exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--out", default="benchmarks/results")
    args, rest = parser.parse_known_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    status = 0
    for name in chosen:
        print(f"== {name}", file=sys.stderr)
        module = importlib.import_module(f"benchmarks.{name}")
        rc = int(module.main([*rest, "--out", args.out]))
        status = status or rc
    return status


if __name__ == "__main__":
    raise SystemExit(main())
