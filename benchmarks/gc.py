"""`sales-operator gc` at scale: the row scan against rebuilding every checkpoint, same run.

    python -m benchmarks.run --only gc [--workdir DIR | --deals 40] [--repeats 3] [--out DIR]

`collect_blobs` (the `gc` command) needs every blob reference that the checkpoints and the
audit log hold. On a store of `--workdir` (a `benchmarks.scale --workdir` store, say, of
1,000 deals), or of `--deals` deals run here through the whole lifecycle, this times, in
the same process, as a dry run:

* `row_scan`: `collect_blobs` as shipped (`blob_scan`: the saver's rows read once, no state
  rebuilt);
* `rebuild`: the references found the way `gc` found them before, through the saver's
  `list(None)` (every checkpoint rebuilt as models and walked) plus the audit log;

and reports both in seconds, per 1,000 checkpoints, their ratio, and that both found the
same references. Timings are not asserted anywhere; read the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import write_result
from sales_operator import Deps, build_operator


def _rebuild_references(checkpointer: Any, crm: Any) -> tuple[set[str], int]:
    """The references through `list(None)` and the audit (gc's way before the row scan)."""
    from sales_operator.blob_scan import rebuilt_references
    from sales_operator.blobs import references_in

    found: set[str] = set()
    n = rebuilt_references(checkpointer, found)
    for entry in crm.audit_log():
        references_in(entry, found)
    return found, n


def _timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times: list[float] = []
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    """Time `collect_blobs` on a store, against the rebuild path; write `<out>/gc.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", default="", help="an existing store (default: build one)")
    parser.add_argument("--deals", type=int, default=40, help="deals to run when building")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-rebuild", action="store_true", help="time the row scan only")
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)

    from sales_operator.runner import collect_blobs

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="so-gc-"))
    deps = Deps.offline(workdir, sample=True)
    checkpointer = deps.checkpointer()
    graph = build_operator(deps, checkpointer=checkpointer)
    built = 0
    if not args.workdir:
        from benchmarks.lifecycle import deal_events, run_graph_deal

        deps.get_scorer()
        for i in range(1, args.deals + 1):
            deal_id, events = deal_events(i)
            run_graph_deal(graph, deal_id, events)
        built = args.deals
    with sqlite3.connect(workdir / "checkpoints.sqlite") as conn:
        threads = conn.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()[0]

    def row_scan() -> Any:
        return collect_blobs(graph, deps=deps, checkpointer=checkpointer, dry_run=True)

    scan_s, report = _timed(row_scan, args.repeats)
    result: dict[str, Any] = {
        "bench": "gc",
        "store": str(workdir),
        "deals_built_here": built,
        "threads": threads,
        "blobs": report.blobs,
        "referenced": report.referenced,
        "row_scan_s": round(scan_s, 3),
    }
    if not args.skip_rebuild:
        rebuild_s, (refs, checkpoints) = _timed(
            lambda: _rebuild_references(checkpointer, deps.crm), max(1, min(args.repeats, 2))
        )
        found = {r for r, _ in deps.blobs.iter_blobs()} if deps.blobs else set()
        result |= {
            "checkpoints": checkpoints,
            "rebuild_s": round(rebuild_s, 3),
            "ratio_rebuild_to_row_scan": round(rebuild_s / scan_s, 1),
            "row_scan_s_per_1000_checkpoints": round(1000 * scan_s / checkpoints, 3),
            "rebuild_s_per_1000_checkpoints": round(1000 * rebuild_s / checkpoints, 3),
            "same_referenced_count": len(refs & found) == report.referenced,
        }
    result["python"] = platform.python_version()
    write_result(args.out, "gc", result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
