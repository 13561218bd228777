"""Benchmark: the seed lifecycle for N deals on the offline engine.

Reports deals per second, p50/p99 latency per event (event plus its approval round trip),
peak memory, and the graph's overhead as a ratio against running the same node functions
directly (`benchmarks/direct.py`), measured in the same process, interleaved deal by deal.
Both settings of the policy's `speed_to_lead` are run, each set explicitly (not left to the
policy's default), on a graph and a direct twin of their own, interleaved deal by deal: on
(a lead's owner and rep notice asked before research and drafting) and off (one request per
event). Each prints its graph/direct ratios and speed-to-lead (from a `lead_created` event
sent to its first approval request readable with `pending_request`, p50/p99), on first, with
the median per deal of the same ratio in process CPU time (which a busy machine moves less than
wall time: it leaves out waiting for the disk and for other processes). The
other figures are for `speed_to_lead` off: checkpoints written per event,
the deal's state in bytes after its lifecycle (as the checkpointer serialises it), and bytes
per deal across every store (checkpoints and their writes, the CRM file, blobs).

    python -m benchmarks.run --only lifecycle [--deals 40] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import copy
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from langgraph.types import Command

from benchmarks import write_result
from benchmarks.direct import DirectOperator
from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.policy import SpeedToLeadPolicy
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


def run_graph_deal(
    graph: Any,
    deal_id: str,
    events: list[dict[str, Any]],
    to_request: dict[str, list[float]] | None = None,
) -> list[float]:
    """Run one deal through the compiled graph; return per-event latencies (seconds).

    `to_request`, when given, collects per event type the seconds from sending the event to
    its approval request being readable (`pending_request`).
    """
    config = thread_config(deal_id)
    out = []
    for event in events:
        t = time.perf_counter()
        graph.invoke({"event": event}, config)
        request = pending_request(graph, deal_id)
        if request is not None and to_request is not None:
            to_request.setdefault(event["type"], []).append(time.perf_counter() - t)
        for _ in range(MAX_REQUESTS_PER_EVENT):  # a new lead asks twice under speed-to-lead
            if request is None:
                break
            graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
            request = pending_request(graph, deal_id)
        assert request is None, f"{deal_id}: still pending after {MAX_REQUESTS_PER_EVENT}"
        out.append(time.perf_counter() - t)
    return out


MAX_REQUESTS_PER_EVENT = 3
"""More requests than this for one event is a bug in the bench or the graph."""


def state_bytes(graph: Any, deal_id: str, *, packed: bool = True) -> int:
    """Return the bytes of a deal's state, every channel, as its checkpointer stores it.

    `packed=False` gives the same values in LangGraph's plain msgpack, before compression.
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = graph.checkpointer.serde if packed else JsonPlusSerializer()
    values = graph.get_state(thread_config(deal_id)).values
    return sum(len(serde.dumps_typed(v)[1]) for v in values.values())


def pack_ms(graph: Any, deal_id: str, repeat: int = 20) -> dict[str, float]:
    """Return ms to pack a deal's final state: our serializer, and the same data as dicts.

    Also ours without compression, and ms to load it back: ours, and LangGraph's serializer
    with the same models registered (its permissive default logs a warning per model).
    The state read back from its checkpoint is made of sealed models that keep their packed
    bytes, so `ours_models` packs from those; `*_no_packed_cache` is the same with
    `serde.PACKED_CACHE` off (every model dumped and validated).
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = graph.checkpointer.serde
    values = dict(graph.get_state(thread_config(deal_id)).values)
    plain = {
        k: v.model_dump(mode="json")
        if hasattr(v, "model_dump")
        else [x.model_dump(mode="json") if hasattr(x, "model_dump") else x for x in v]
        if isinstance(v, list)
        else v
        for k, v in values.items()
    }
    out = {}
    for name, codec, data in (
        ("ours_models", serde, values),
        ("langgraph_default_models", JsonPlusSerializer(), values),
        ("langgraph_default_dicts", JsonPlusSerializer(), plain),
    ):
        t = time.perf_counter()
        for _ in range(repeat):
            codec.dumps_typed(data)
        out[name] = 1000 * (time.perf_counter() - t) / repeat
    # the same packing without compression (ours_models above includes it), and loading
    from sales_operator.serde import _pack

    t = time.perf_counter()
    for _ in range(repeat):
        _pack(values)
    out["ours_models_uncompressed"] = 1000 * (time.perf_counter() - t) / repeat
    from sales_operator.serde import allowed_msgpack_modules

    registered = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    for name, codec in (("ours", serde), ("langgraph_registered", registered)):
        stored = codec.dumps_typed(values)
        t = time.perf_counter()
        for _ in range(repeat):
            codec.loads_typed(stored)
        out[f"load_{name}_models"] = 1000 * (time.perf_counter() - t) / repeat
    # ours with the cached packed form off: every model dumped and validated every time (on,
    # a state read back from its checkpoint packs from its models' kept bytes)
    from sales_operator import serde as packed

    stored = serde.dumps_typed(values)
    packed.PACKED_CACHE = False
    try:
        for name, work in (
            ("ours_models_no_packed_cache", lambda: serde.dumps_typed(values)),
            ("load_ours_models_no_packed_cache", lambda: serde.loads_typed(stored)),
        ):
            t = time.perf_counter()
            for _ in range(repeat):
                work()
            out[name] = 1000 * (time.perf_counter() - t) / repeat
    finally:
        packed.PACKED_CACHE = True
    return out


def codec_ms_per_deal(graph: Any, first: int, deals: int) -> dict[str, Any]:
    """Return ms per deal spent packing and loading its checkpoints, with the cached packed
    form (`serde.PACKED_CACHE`) on and off, deal by deal interleaved.

    Times every `dumps_typed`/`loads_typed` of the checkpointer's serializer while `deals`
    more deals (numbered from `first`) run through the graph, half of them with the cache off.
    """
    from sales_operator import serde

    spent = {"dumps": 0.0, "loads": 0.0}
    calls = {"dumps": 0, "loads": 0}
    dumps, loads = serde.PackedSerializer.dumps_typed, serde.PackedSerializer.loads_typed

    def timed(name: str, real: Any) -> Any:
        def run(self: Any, value: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(self, value)
            finally:
                spent[name] += time.perf_counter() - t
                calls[name] += 1

        return run

    out: dict[str, dict[str, list[float]]] = {"cached": {}, "uncached": {}}
    serde.PackedSerializer.dumps_typed = timed("dumps", dumps)  # type: ignore[method-assign]
    serde.PackedSerializer.loads_typed = timed("loads", loads)  # type: ignore[method-assign]
    try:
        for i in range(first, first + deals):
            mode = "cached" if i % 2 == 0 else "uncached"
            serde.PACKED_CACHE = mode == "cached"
            for key in spent:
                spent[key], calls[key] = 0.0, 0
            run_graph_deal(graph, *deal_events(i))
            row = out[mode]
            for key in spent:
                row.setdefault(f"{key}_ms", []).append(1000 * spent[key])
                row.setdefault(key, []).append(calls[key])
    finally:
        serde.PACKED_CACHE = True
        serde.PackedSerializer.dumps_typed = dumps  # type: ignore[method-assign]
        serde.PackedSerializer.loads_typed = loads  # type: ignore[method-assign]
    result: dict[str, Any] = {
        mode: {k: statistics.median(v) for k, v in row.items()} for mode, row in out.items()
    }
    for key in ("dumps_ms", "loads_ms"):
        result[f"{key}_cached_over_uncached"] = (
            result["cached"][key] / result["uncached"][key] if result["uncached"][key] else None
        )
    result["deals_each"] = deals // 2
    result["what"] = (
        "ms per deal in the checkpointer's serializer (dumps_typed: pack and compress; "
        "loads_typed: decompress and rebuild), medians over deals run with the cached packed "
        "form on and off, interleaved; dumps/loads: calls per deal"
    )
    return result


def checkpoint_rows(saver: Any, deal_ids: list[str]) -> tuple[int, int]:
    """Return (checkpoints, bytes of checkpoints, metadata and writes) for `deal_ids`."""
    marks = ",".join("?" * len(deal_ids))
    n, size = saver.conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) "
        f"FROM checkpoints WHERE thread_id IN ({marks})",
        deal_ids,
    ).fetchone()
    (writes,) = saver.conn.execute(
        f"SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes WHERE thread_id IN ({marks})",
        deal_ids,
    ).fetchone()
    return int(n), int(size) + int(writes)


def folder_bytes(path: Path) -> int:
    """Return the bytes of every file under `path` (0 when it does not exist)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def crm_bytes(deps: Any) -> int:
    """Return the CRM file's bytes after folding its write-ahead log in."""
    path = deps.workdir / "crm.sqlite"
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path.stat().st_size  # type: ignore[no-any-return]


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

    def deps(name: str, speed_to_lead: bool) -> Deps:
        """Offline deps sharing the model, with the policy's `speed_to_lead` set (not its
        default, which may change)."""
        made = Deps.offline(tmp / name, sample=True)
        made.scorer = scorer
        switch = {"speed_to_lead": SpeedToLeadPolicy(enabled=speed_to_lead)}
        made.policy = made.policy.model_copy(update=switch)
        return made

    # `speed_to_lead` off: one request per event, after research and drafting
    g_deps = deps("graph", False)
    saver = g_deps.checkpointer()
    graph = build_operator(g_deps, checkpointer=saver)
    m_deps = deps("graph-memory", False)
    from langgraph.checkpoint.memory import InMemorySaver

    mem_graph = build_operator(m_deps, checkpointer=InMemorySaver())
    d_deps = deps("direct", False)
    direct = DirectOperator(d_deps)
    # `speed_to_lead` on (a lead's first request, owner and rep notice, before research and
    # drafting), graph and direct, interleaved deal by deal in the same run
    s_deps = deps("graph-speed-to-lead", True)
    stl_graph = build_operator(s_deps, checkpointer=s_deps.checkpointer())
    sd_deps = deps("direct-speed-to-lead", True)
    stl_direct = DirectOperator(sd_deps)

    # warm-up (imports, caches), not measured
    run_graph_deal(graph, *deal_events(0))
    run_direct_deal(direct, *deal_events(0))
    run_graph_deal(mem_graph, *deal_events(0))
    run_graph_deal(stl_graph, *deal_events(0))
    run_direct_deal(stl_direct, *deal_events(0))

    crm_before = crm_bytes(g_deps)
    blobs_before = folder_bytes(g_deps.workdir / "blobs")
    to_request: dict[str, list[float]] = {}
    stl_to_request: dict[str, list[float]] = {}
    stl_deal_s: list[float] = []
    stl_direct_deal_s: list[float] = []
    stl_by_type: dict[str, list[float]] = {}
    graph_lat: list[float] = []
    direct_lat: list[float] = []
    by_type: dict[str, tuple[list[float], list[float]]] = {}
    graph_deal_s: list[float] = []
    direct_deal_s: list[float] = []
    mem_deal_s: list[float] = []
    cpu_s: dict[str, list[float]] = {"graph": [], "direct": [], "stl_graph": [], "stl_direct": []}
    for i in range(1, args.deals + 1):
        deal_id, events = deal_events(i)
        t, c = time.perf_counter(), time.process_time()
        g_lat = run_graph_deal(graph, deal_id, events, to_request)
        graph_lat += g_lat
        graph_deal_s.append(time.perf_counter() - t)
        cpu_s["graph"].append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        d_lat = run_direct_deal(direct, deal_id, events)
        direct_lat += d_lat
        for e, g, d in zip(events, g_lat, d_lat, strict=True):
            by_type.setdefault(e["type"], ([], []))[0].append(g)
            by_type[e["type"]][1].append(d)
        direct_deal_s.append(time.perf_counter() - t)
        cpu_s["direct"].append(time.process_time() - c)
        t = time.perf_counter()
        run_graph_deal(mem_graph, deal_id, events)
        mem_deal_s.append(time.perf_counter() - t)
        t, c = time.perf_counter(), time.process_time()
        s_lat = run_graph_deal(stl_graph, deal_id, events, stl_to_request)
        for e, x in zip(events, s_lat, strict=True):
            stl_by_type.setdefault(e["type"], []).append(x)
        stl_deal_s.append(time.perf_counter() - t)
        cpu_s["stl_graph"].append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        run_direct_deal(stl_direct, deal_id, events)
        stl_direct_deal_s.append(time.perf_counter() - t)
        cpu_s["stl_direct"].append(time.process_time() - c)
        if i % 10 == 0:
            print(f"  {i}/{args.deals} deals", file=sys.stderr)

    # the two paths must have done the same work
    first = deal_events(1)[0]
    assert len(g_deps.crm.list_receipts(first)) == len(d_deps.crm.list_receipts(first)) > 0
    assert len(s_deps.crm.list_receipts(first)) == len(sd_deps.crm.list_receipts(first))
    # and the two lifecycles (one request per lead, or two) the same side effects
    assert sorted(r.kind for r in g_deps.crm.list_receipts(first)) == sorted(
        r.kind for r in s_deps.crm.list_receipts(first)
    )

    # sizes, before the tracemalloc deal below
    measured = [deal_events(i)[0] for i in range(1, args.deals + 1)]
    n_checkpoints, cp_bytes = checkpoint_rows(saver, measured)
    crm_per_deal = (crm_bytes(g_deps) - crm_before) / args.deals
    blobs_per_deal = (folder_bytes(g_deps.workdir / "blobs") - blobs_before) / args.deals
    states = [state_bytes(graph, d) for d in measured]
    raw_states = [state_bytes(graph, d, packed=False) for d in measured]
    packing = pack_ms(graph, measured[0])
    codec = codec_ms_per_deal(graph, args.deals + 2, 6)
    n_events = args.deals * len(lifecycle_events())
    stl = stl_to_request.get("lead_created", [])
    stl_one = to_request.get("lead_created", [])
    requests = [s for v in to_request.values() for s in v]

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
        "speed_to_lead_ms": {
            "p50": 1000 * pct(stl, 0.5),
            "p99": 1000 * pct(stl, 0.99),
            "what": "lead_created sent -> its first approval request readable "
            "(pending_request), policy speed_to_lead on: owner and rep notice first",
        },
        "speed_to_lead_one_request_ms": {
            "p50": 1000 * pct(stl_one, 0.5),
            "p99": 1000 * pct(stl_one, 0.99),
            "what": "the same with speed_to_lead off (one request after "
            "research and drafting), same run, interleaved deal by deal",
        },
        "speed_to_lead_over_one_request_ratio": {
            "p50": pct(stl, 0.5) / pct(stl_one, 0.5),
            "p99": pct(stl, 0.99) / pct(stl_one, 0.99),
        },
        "speed_to_lead_graph_over_direct_time_ratio": sum(stl_deal_s) / sum(stl_direct_deal_s),
        "speed_to_lead_graph_over_direct_median_deal_ratio": statistics.median(
            g / d for g, d in zip(stl_deal_s, stl_direct_deal_s, strict=True)
        ),
        "speed_to_lead_event_type_p50_ms": {
            kind: 1000 * pct(v, 0.5) for kind, v in stl_by_type.items()
        },
        "event_to_request_ms": {
            "p50": 1000 * pct(requests, 0.5),
            "p99": 1000 * pct(requests, 0.99),
        },
        "event_type_p50_ms": {
            kind: {"graph": 1000 * pct(g, 0.5), "direct": 1000 * pct(d, 0.5)}
            for kind, (g, d) in by_type.items()
        },
        "checkpoints_per_event": n_checkpoints / n_events,
        "pack_state_ms": packing,
        "checkpoint_codec_ms_per_deal": codec,
        "state_bytes_per_deal": {
            "median": statistics.median(states),
            "max": max(states),
            "uncompressed_median": statistics.median(raw_states),
            "what": "every channel of the final state, as the checkpointer stores it "
            "(uncompressed: LangGraph's plain msgpack of the same values)",
        },
        "store_bytes_per_deal": {
            "checkpoints": cp_bytes / args.deals,
            "crm": crm_per_deal,
            "blobs": blobs_per_deal,
            "total": cp_bytes / args.deals + crm_per_deal + blobs_per_deal,
        },
        "graph_over_direct_time_ratio": g_total / d_total,
        "graph_in_memory_over_direct_time_ratio": sum(mem_deal_s) / d_total,
        "graph_over_direct_median_deal_ratio": statistics.median(
            g / d for g, d in zip(graph_deal_s, direct_deal_s, strict=True)
        ),
        "process_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "checkpointer": "SQLite (the embedded default)",
        "seed_deal": SEED_DEAL_ID,
    }
    result["by_mode"] = {
        "speed_to_lead_on": {
            "graph_over_direct_median_deal_ratio": result[
                "speed_to_lead_graph_over_direct_median_deal_ratio"
            ],
            "graph_over_direct_time_ratio": result["speed_to_lead_graph_over_direct_time_ratio"],
            "cpu_graph_over_direct_median_deal_ratio": statistics.median(
                g / d for g, d in zip(cpu_s["stl_graph"], cpu_s["stl_direct"], strict=True)
            ),
            "speed_to_lead_ms": {k: result["speed_to_lead_ms"][k] for k in ("p50", "p99")},
        },
        "speed_to_lead_off": {
            "graph_over_direct_median_deal_ratio": result["graph_over_direct_median_deal_ratio"],
            "graph_over_direct_time_ratio": result["graph_over_direct_time_ratio"],
            "cpu_graph_over_direct_median_deal_ratio": statistics.median(
                g / d for g, d in zip(cpu_s["graph"], cpu_s["direct"], strict=True)
            ),
            "speed_to_lead_ms": {
                k: result["speed_to_lead_one_request_ms"][k] for k in ("p50", "p99")
            },
        },
    }
    written = write_result(args.out, "lifecycle", result)
    g, d = result["graph"], result["direct"]
    print(f"lifecycle, {args.deals} deals x {result['events_per_deal']} events (offline engine)")
    for mode, row in result["by_mode"].items():
        print(
            f"  {' '.join(mode.rsplit('_', 1)):17s}: graph/direct median per deal "
            f"{row['graph_over_direct_median_deal_ratio']:.2f} (whole run "
            f"{row['graph_over_direct_time_ratio']:.2f}; process CPU "
            f"{row['cpu_graph_over_direct_median_deal_ratio']:.2f}); speed-to-lead p50 "
            f"{row['speed_to_lead_ms']['p50']:.1f} ms, p99 {row['speed_to_lead_ms']['p99']:.1f} ms"
        )
    print("  the rest is speed_to_lead off unless it says so:")
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
    s = result["store_bytes_per_deal"]
    print(
        f"  speed-to-lead (first request, speed_to_lead on) p50 "
        f"{result['speed_to_lead_ms']['p50']:.1f} ms, "
        f"p99 {result['speed_to_lead_ms']['p99']:.1f} ms; "
        f"{result['checkpoints_per_event']:.1f} checkpoints/event; state "
        f"{result['state_bytes_per_deal']['median'] / 1024:.1f} KiB/deal "
        f"({result['state_bytes_per_deal']['uncompressed_median'] / 1024:.1f} uncompressed); "
        "stores "
        f"{s['total'] / 1024:.0f} KiB/deal (checkpoints {s['checkpoints'] / 1024:.0f}, "
        f"CRM {s['crm'] / 1024:.0f}, blobs {s['blobs'] / 1024:.0f})"
    )
    one = result["speed_to_lead_one_request_ms"]
    ratio = result["speed_to_lead_over_one_request_ratio"]
    print(
        f"  speed-to-lead with one request per lead (speed_to_lead off, same run): "
        f"p50 {one['p50']:.1f} ms, p99 {one['p99']:.1f} ms; first request / one request "
        f"p50 {ratio['p50']:.2f}, p99 {ratio['p99']:.2f}; graph/direct with speed_to_lead on "
        f"{result['speed_to_lead_graph_over_direct_time_ratio']:.2f} (median per deal "
        f"{result['speed_to_lead_graph_over_direct_median_deal_ratio']:.2f}); whole lead_created "
        "(event and every approval) p50 "
        f"{result['speed_to_lead_event_type_p50_ms']['lead_created']:.0f} ms with it on, "
        f"{result['event_type_p50_ms']['lead_created']['graph']:.0f} ms off"
    )
    print(f"  written to {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
