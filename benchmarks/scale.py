"""Flat at scale: many deals through the whole lifecycle, per-deal time against deal number.

Runs `--deals` deals (default 1,000) one after another through the compiled operator with
the SQLite checkpointer and the offline engine, each deal the seed lifecycle re-keyed
(`benchmarks.lifecycle.deal_events`) with every approval request approved. Reports the
per-deal time of the last decile over the first (flat is 1.0; the target is at most 1.2),
peak and current RSS, the size of every store (checkpoints, CRM, blobs, model registry), the
time `inbox` takes at the end, and writes a PNG plot of per-deal time against deal number.

    python -m benchmarks.run --only scale [--deals 1000] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import write_result
from benchmarks.lifecycle import deal_events, run_graph_deal
from sales_operator import Deps, build_operator

STORES = {
    "checkpoints": ("checkpoints.sqlite",),
    "crm": ("crm.sqlite",),
    "blobs": ("blobs",),
    "registry": ("models",),
}
"""Store name to the paths (in the working folder) it is made of; `-wal`/`-shm` included."""


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def store_sizes(workdir: Path) -> dict[str, int]:
    """Return bytes per store in `workdir` (SQLite files with their WAL and shared memory)."""
    sizes: dict[str, int] = {}
    for store, names in STORES.items():
        total = 0
        for name in names:
            for suffix in ("", "-wal", "-shm"):
                total += _size(workdir / f"{name}{suffix}")
        sizes[store] = total
    return sizes


def current_rss_mib() -> float:
    """Return the process's resident set size now (MiB; 0 where /proc is absent)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


def decile_ratio(per_deal: list[float]) -> tuple[float, float, float]:
    """Return (first decile mean, last decile mean, last over first) of per-deal times."""
    n = max(1, len(per_deal) // 10)
    first = statistics.fmean(per_deal[:n])
    last = statistics.fmean(per_deal[-n:])
    return first, last, last / first


def plot(per_deal: list[float], path: Path, title: str) -> bool:
    """Write per-deal time against deal number (with a rolling median) to `path`."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs = list(range(1, len(per_deal) + 1))
    window = max(1, len(per_deal) // 50)
    rolling = [
        statistics.median(per_deal[max(0, i - window + 1) : i + 1]) for i in range(len(per_deal))
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(xs, per_deal, ".", markersize=2, alpha=0.4, label="per deal")
    ax.plot(xs, rolling, "-", linewidth=1.5, label=f"rolling median ({window} deals)")
    ax.set_xlabel("deal number")
    ax.set_ylabel("seconds per deal (whole lifecycle)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; write `<out>/scale.json` and `<out>/scale.png`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--label", default="", help="suffix for the output files")
    parser.add_argument("--no-inbox", action="store_true", help="skip timing `inbox`")
    parser.add_argument("--workdir", default="", help="keep the stores here (default: temp)")
    args, _ = parser.parse_known_args(argv)
    deals = max(10, args.deals)

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="so-scale-"))
    deps = Deps.offline(workdir, sample=True)
    deps.get_scorer()
    checkpointer = deps.checkpointer()
    graph = build_operator(deps, checkpointer=checkpointer)

    per_deal: list[float] = []
    cpu_per_deal: list[float] = []  # process CPU time: less sensitive to a shared machine
    rss: list[tuple[int, float]] = []
    suffix = f"-{args.label}" if args.label else ""
    partial = Path(args.out) / f"scale{suffix}.partial.json"  # progress, kept if interrupted
    started = time.perf_counter()
    for i in range(1, deals + 1):
        deal_id, events = deal_events(i)
        t, c = time.perf_counter(), time.process_time()
        run_graph_deal(graph, deal_id, events)
        per_deal.append(time.perf_counter() - t)
        cpu_per_deal.append(time.process_time() - c)
        if i % max(1, deals // 10) == 0:
            rss.append((i, current_rss_mib()))
            print(
                f"  {i}/{deals} deals, last {per_deal[-1]:.2f} s, RSS {rss[-1][1]:.0f} MiB",
                file=sys.stderr,
            )
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(
                json.dumps(
                    {"deals_done": i, "per_deal_s": per_deal, "cpu_per_deal_s": cpu_per_deal}
                )
            )
    total = time.perf_counter() - started

    inbox_s: float | None = None
    pending = None
    # entries the inbox index holds before any `inbox()` sweep (stale ones: the graph did not
    # clear a decided request)
    indexed_before = len(deps.crm.indexed_requests())  # type: ignore[attr-defined]
    if not args.no_inbox:
        from sales_operator.runner import inbox

        t = time.perf_counter()
        pending = sum(1 for _ in inbox(graph, checkpointer, deps=deps))
        inbox_s = time.perf_counter() - t

    first, last, ratio = decile_ratio(per_deal)
    cpu_first, cpu_last, cpu_ratio = decile_ratio(cpu_per_deal)
    sizes = store_sizes(workdir)
    versions = deps.get_scorer()
    result: dict[str, Any] = {
        "deals": deals,
        "events_per_deal": len(deal_events(0)[1]),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "total_s": total,
        "first_decile_mean_s": first,
        "last_decile_mean_s": last,
        "last_over_first_decile": ratio,
        "target_last_over_first": 1.2,
        "median_deal_s": statistics.median(per_deal),
        "cpu_last_over_first_decile": cpu_ratio,
        "cpu_first_decile_mean_s": cpu_first,
        "cpu_last_decile_mean_s": cpu_last,
        "per_deal_s": per_deal,
        "cpu_per_deal_s": cpu_per_deal,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_mib_by_deal": rss,
        "store_bytes": sizes,
        "store_bytes_per_deal": {k: v / deals for k, v in sizes.items()},
        "model_version": getattr(versions, "version", None),
        "registry_versions": len(getattr(versions, "registry", None).versions())
        if hasattr(versions, "registry")
        else None,
        "inbox_s": inbox_s,
        "inbox_pending": pending,
        "index_entries_before_inbox": indexed_before,
        "checkpointer": "SQLite (the embedded default)",
    }
    partial.unlink(missing_ok=True)
    written = write_result(args.out, f"scale{suffix}", result)
    plotted = plot(
        per_deal,
        Path(args.out) / f"scale{suffix}.png",
        f"{deals} deals, last/first decile {ratio:.2f}",
    )
    mib = {k: v / 2**20 for k, v in sizes.items()}
    print(f"scale, {deals} deals x {result['events_per_deal']} events (offline engine)")
    print(
        f"  per deal: first decile {first:.3f} s, last decile {last:.3f} s, "
        f"ratio {ratio:.2f} (target <= 1.2); median {result['median_deal_s']:.3f} s; "
        f"CPU time ratio {cpu_ratio:.2f}"
    )
    print(
        f"  peak RSS {result['peak_rss_mib']:.0f} MiB; stores (MiB): "
        + ", ".join(f"{k} {v:.1f}" for k, v in mib.items())
    )
    if inbox_s is not None:
        print(
            f"  inbox: {pending} pending in {inbox_s * 1000:.0f} ms"
            f" ({indexed_before} index entries before it)"
        )
    print(
        f"  registry: {result['registry_versions']} version(s), current {result['model_version']}"
    )
    print(f"  written to {written}" + (" and .png" if plotted else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
