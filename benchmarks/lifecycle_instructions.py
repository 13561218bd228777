"""Graph overhead in CPU instructions (valgrind): one seed deal through the graph and direct.

    python -m benchmarks.lifecycle_instructions [--deals 1] [--modes on,off]

Wall-clock ratios on a shared machine wander with its load; instruction counts do not. For
each `speed_to_lead` mode (on first) this runs one process under `valgrind --tool=callgrind`
with instrumentation off, a fixed hash seed and one BLAS thread. It builds the operator graph
on the embedded SQLite checkpointer and its direct twin (`benchmarks/direct.py`), runs two
warm-up deals through each (imports, caches), then counts the instructions of `--deals` more
deals through the graph (the bench's `run_graph_deal`: each event, `pending_request` after
each run, every request approved) and of the same deals through the direct twin. The ratio
graph ÷ direct is the graph's overhead with I/O and scheduling left out. Compare two trees by
running this once in each. Needs valgrind; says so and exits 0 without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import write_result

_ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import os, subprocess, sys, tempfile
from pathlib import Path
from benchmarks.direct import DirectOperator
from benchmarks.lifecycle import deal_events, run_direct_deal, run_graph_deal
from sales_operator import Deps, build_operator
from sales_operator.policy import SpeedToLeadPolicy

on, deals = sys.argv[1] == "on", int(sys.argv[2])
tmp = Path(tempfile.mkdtemp(prefix="so-instr-"))
scorer = Deps.offline(tmp / "model", sample=True).get_scorer()

def deps(name):
    d = Deps.offline(tmp / name, sample=True)
    d.scorer = scorer
    d.policy = d.policy.model_copy(update={"speed_to_lead": SpeedToLeadPolicy(enabled=on)})
    return d

g_deps, d_deps = deps("graph"), deps("direct")
graph = build_operator(g_deps, checkpointer=g_deps.checkpointer())
direct = DirectOperator(d_deps)
for i in (0, 1):
    run_graph_deal(graph, *deal_events(i))
    run_direct_deal(direct, *deal_events(i))

def ctl(*args):
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True,
                   capture_output=True)

ctl("-i", "on")
for i in range(2, 2 + deals):
    run_graph_deal(graph, *deal_events(i))
ctl("-d", "graph")
for i in range(2, 2 + deals):
    run_direct_deal(direct, *deal_events(i))
ctl("-d", "direct")
ctl("-i", "off")
"""


def _env() -> dict[str, str]:
    env = os.environ | {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(_ROOT)) if p)
    return env


def _totals(folder: Path) -> dict[str, int]:
    """Return the instructions of each part dumped (`callgrind_control -d PART`)."""
    found: dict[str, int] = {}
    for dump in folder.glob("cg.out*"):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: dump (\S+)", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger is not None and total is not None:
            found[trigger.group(1)] = int(total.group(1))
    return found


def instructions(mode: str, deals: int) -> dict[str, int]:
    """Return the instructions of `deals` deals through the graph and direct, in one mode.

    A plain run of the same child goes first, so that the counted one compiles no bytecode.
    """
    subprocess.run(
        [sys.executable, "-c", "import benchmarks.lifecycle"], env=_env(), check=True, cwd=_ROOT
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = _env() | {"PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={Path(tmp) / 'cg.out'}",
                sys.executable,
                "-c",
                _CHILD,
                mode,
                str(deals),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=_ROOT,
            check=False,
        )
        found = _totals(Path(tmp))
        if proc.returncode != 0 or not {"graph", "direct"} <= found.keys():
            raise RuntimeError(f"no instruction counts from callgrind:\n{proc.stderr[-3000:]}")
        return found


def main(argv: list[str] | None = None) -> int:
    """Print (and write `<out>/lifecycle_instructions.json`) graph and direct instructions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=1, help="deals counted (after 2 warm-up)")
    parser.add_argument("--modes", default="on,off", help="speed_to_lead modes, in order")
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("lifecycle_instructions: valgrind is not installed; nothing measured")
        return 0
    result: dict[str, dict[str, float]] = {}
    for mode in args.modes.split(","):
        found = instructions(mode, args.deals)
        graph, direct = found["graph"] / args.deals, found["direct"] / args.deals
        result[f"speed_to_lead_{mode}"] = {
            "graph_per_deal": graph,
            "direct_per_deal": direct,
            "graph_over_direct": graph / direct,
        }
        print(
            f"lifecycle_instructions: speed_to_lead {mode}: graph {graph / 1e6:,.1f} M, "
            f"direct {direct / 1e6:,.1f} M instructions per deal; graph/direct "
            f"{graph / direct:.3f}"
        )
    write_result(args.out, "lifecycle_instructions", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
