"""Start-up benchmark: `import sales_operator` and `sales-operator --help` in fresh processes.

    python -m benchmarks.startup [--repeats 7] [--out DIR]

Each subject runs in a new interpreter, the subjects interleaved round by round so that a
busy machine slows them alike. Two measures per subject: the process's wall time, and the
cumulative import time of its modules from `python -X importtime` (the interpreter's own
start-up excluded). Baselines in the same run: a bare interpreter (`python -c pass`) and
`import langgraph.graph`. Targets (issue 12): `import sales_operator` at most 2x `import
langgraph.graph`, `--help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from benchmarks import write_result

_HELP = (
    "import contextlib, io\n"
    "from sales_operator.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        main(['--help'])\n"
    "    except SystemExit:\n"
    "        pass\n"
)

SUBJECTS: dict[str, str] = {
    "python": "pass",
    "langgraph_graph": "import langgraph.graph",
    "sales_operator": "import sales_operator",
    "cli_help": _HELP,
    "build_operator": "from sales_operator import Deps, build_operator",
}
"""Name to the code a fresh interpreter runs."""

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)")


def _top_level_import_us(stderr: str) -> int:
    """Sum the cumulative microseconds of the top-level imports `-X importtime` printed."""
    total = 0
    for line in stderr.splitlines():
        m = _LINE.match(line)
        if m and len(m.group(3)) == 1:  # one space: a top-level import
            total += int(m.group(2))
    return total


def _run(code: str, importtime: bool) -> tuple[float, int]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", code]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    return wall, _top_level_import_us(done.stderr) if importtime else 0


def _site_us() -> int:
    """Import time of the interpreter's own start-up (site, encodings): subtracted per run."""
    return _run("pass", importtime=True)[1]


def measure(repeats: int) -> dict[str, dict[str, float]]:
    """Median wall seconds and median import seconds per subject, interleaved by round."""
    walls: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    imports: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for code in SUBJECTS.values():  # warm the bytecode caches once, not measured
        _run(code, importtime=False)
    for _ in range(repeats):
        floor = _site_us()
        for name, code in SUBJECTS.items():
            walls[name].append(_run(code, importtime=False)[0])
            imports[name].append(max(0, _run(code, importtime=True)[1] - floor) / 1e6)
    return {
        name: {
            "wall_s": statistics.median(walls[name]),
            "import_s": statistics.median(imports[name]),
        }
        for name in SUBJECTS
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Time the start-up subjects; write `<out>/startup.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    timings = measure(max(1, args.repeats))
    base = timings["langgraph_graph"]
    so = timings["sales_operator"]
    ratios = {
        "sales_operator_over_langgraph_wall": so["wall_s"] / base["wall_s"],
        "sales_operator_over_langgraph_import": so["import_s"] / max(base["import_s"], 1e-9),
        "cli_help_over_python_wall": timings["cli_help"]["wall_s"] / timings["python"]["wall_s"],
        "build_operator_over_langgraph_wall": timings["build_operator"]["wall_s"] / base["wall_s"],
    }
    result: dict[str, Any] = {
        "benchmark": "startup",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "repeats": args.repeats,
        "timings": timings,
        "ratios": ratios,
        "targets": {
            "sales_operator_at_most_2x_langgraph": ratios["sales_operator_over_langgraph_wall"]
            <= 2.0,
            "cli_help_under_0_5_s": timings["cli_help"]["wall_s"] < 0.5,
        },
    }
    written = write_result(args.out, "startup", result)
    for name, t in timings.items():
        print(f"  {name:<16} wall {t['wall_s']:.3f} s   imports {t['import_s']:.3f} s")
    for name, r in ratios.items():
        print(f"  {name:<40} {r:.2f}x")
    print(f"  written to {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
