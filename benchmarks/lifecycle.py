"""Benchmark: the seed lifecycle for N deals on the offline engine.

Reports deals per second, p50/p99 latency per event (event plus its approval round trip),
peak memory, and the graph's overhead as a ratio against running the same node functions
directly (`benchmarks/direct.py`), measured in the same process, interleaved deal by deal.

    python -m benchmarks.run --only lifecycle [--deals 40] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from langgraph.types import Command

from benchmarks.direct import DirectOperator
from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import pending_request, thread_config


def deal_events(i: int) -> tuple[str, list[dict[str, Any]]]:
    """Return the seed lifecycle re-keyed for deal number `i`."""
    deal_id = f"D-B{i:05d}"
    events = copy.deepcopy(lifecycle_events())
    lead = events[0]["payload"]
    lead["deal"]["id"] = deal_id
    lead["lead"]["id"] = f"L-B{i:05d}"
    for e in events[1:]:
        e["payload"]["deal_id"] = deal_id
    return deal_id, events


def run_graph_deal(graph: Any, deal_id: str, events: list[dict[str, Any]]) -> list[float]:
    """Run one deal through the compiled graph; return per-event latencies (seconds)."""
    config = thread_config(deal_id)
    out = []
    for event in events:
        t = time.perf_counter()
        graph.invoke({"event": event}, config)
        request = pending_request(graph, deal_id)
        if request is not None:
            graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
        out.append(time.perf_counter() - t)
    return out


def run_direct_deal(
    direct: DirectOperator, deal_id: str, events: list[dict[str, Any]]
) -> list[float]:
    """Run one deal with direct function calls; return per-event latencies (seconds)."""
    out = []
    for event in events:
        t = time.perf_counter()
        direct.handle(deal_id, event)
        out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=40)
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="so-bench-"))
    base = Deps.offline(tmp / "model", sample=True)
    scorer = base.get_scorer()  # train once; both runs share the model

    g_deps = Deps.offline(tmp / "graph", sample=True)
    g_deps.scorer = scorer
    graph = build_operator(g_deps, checkpointer=g_deps.checkpointer())
    m_deps = Deps.offline(tmp / "graph-memory", sample=True)
    m_deps.scorer = scorer
    from langgraph.checkpoint.memory import InMemorySaver

    mem_graph = build_operator(m_deps, checkpointer=InMemorySaver())
    d_deps = Deps.offline(tmp / "direct", sample=True)
    d_deps.scorer = scorer
    direct = DirectOperator(d_deps)

    # warm-up (imports, caches), not measured
    run_graph_deal(graph, *deal_events(0))
    run_direct_deal(direct, *deal_events(0))
    run_graph_deal(mem_graph, *deal_events(0))

    graph_lat: list[float] = []
    direct_lat: list[float] = []
    graph_deal_s: list[float] = []
    direct_deal_s: list[float] = []
    mem_deal_s: list[float] = []
    for i in range(1, args.deals + 1):
        deal_id, events = deal_events(i)
        t = time.perf_counter()
        graph_lat += run_graph_deal(graph, deal_id, events)
        graph_deal_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        direct_lat += run_direct_deal(direct, deal_id, events)
        direct_deal_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_graph_deal(mem_graph, deal_id, events)
        mem_deal_s.append(time.perf_counter() - t)
        if i % 10 == 0:
            print(f"  {i}/{args.deals} deals", file=sys.stderr)

    # the two paths must have done the same work
    g_state = graph.get_state(thread_config(deal_events(1)[0])).values
    d_state = direct.states[deal_events(1)[0]]
    assert len(g_state["receipts"]) == len(d_state.receipts) > 0

    # memory for one more deal, measured alone (tracemalloc slows everything down)
    tracemalloc.start()
    run_graph_deal(graph, *deal_events(args.deals + 1))
    graph_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    run_direct_deal(direct, *deal_events(args.deals + 1))
    direct_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    g_total, d_total = sum(graph_deal_s), sum(direct_deal_s)
    result = {
        "deals": args.deals,
        "events_per_deal": len(lifecycle_events()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "graph": {
            "deals_per_s": args.deals / g_total,
            "event_p50_ms": 1000 * pct(graph_lat, 0.5),
            "event_p99_ms": 1000 * pct(graph_lat, 0.99),
            "traced_peak_mib_one_deal": graph_peak / 2**20,
        },
        "direct": {
            "deals_per_s": args.deals / d_total,
            "event_p50_ms": 1000 * pct(direct_lat, 0.5),
            "event_p99_ms": 1000 * pct(direct_lat, 0.99),
            "traced_peak_mib_one_deal": direct_peak / 2**20,
        },
        "graph_in_memory_checkpointer": {"deals_per_s": args.deals / sum(mem_deal_s)},
        "graph_over_direct_time_ratio": g_total / d_total,
        "graph_in_memory_over_direct_time_ratio": sum(mem_deal_s) / d_total,
        "graph_over_direct_median_deal_ratio": statistics.median(
            g / d for g, d in zip(graph_deal_s, direct_deal_s, strict=True)
        ),
        "process_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "checkpointer": "SQLite (the embedded default)",
        "seed_deal": SEED_DEAL_ID,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lifecycle.json").write_text(json.dumps(result, indent=2))
    g, d = result["graph"], result["direct"]
    print(f"lifecycle, {args.deals} deals x {result['events_per_deal']} events (offline engine)")
    print(
        f"  graph : {g['deals_per_s']:.2f} deals/s, event p50 {g['event_p50_ms']:.1f} ms, "
        f"p99 {g['event_p99_ms']:.1f} ms, traced peak {g['traced_peak_mib_one_deal']:.1f} MiB"
    )
    print(
        f"  direct: {d['deals_per_s']:.2f} deals/s, event p50 {d['event_p50_ms']:.1f} ms, "
        f"p99 {d['event_p99_ms']:.1f} ms, traced peak {d['traced_peak_mib_one_deal']:.1f} MiB"
    )
    print(
        f"  graph with InMemorySaver: {result['graph_in_memory_checkpointer']['deals_per_s']:.2f}"
        f" deals/s, ratio to direct {result['graph_in_memory_over_direct_time_ratio']:.2f}"
    )
    print(
        f"  graph/direct time ratio {result['graph_over_direct_time_ratio']:.2f} "
        f"(median per deal {result['graph_over_direct_median_deal_ratio']:.2f}); "
        f"process peak RSS {result['process_peak_rss_mib']:.0f} MiB"
    )
    print(f"  written to {out / 'lifecycle.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
