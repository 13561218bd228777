"""Meeting analysis cost in CPU instructions (valgrind), the figure a busy machine cannot move.

    python -m benchmarks.meetings_instructions [--ami 4] [--words 9000]

Timings on a shared machine wander with its load; instruction counts do not. For each case
(four AMI meetings, when the shared data is there, and a generated sales call of about
`--words` words) this runs two processes under `valgrind --tool=callgrind`, with a fixed
hash seed: both import the package and analyse the case once (compiling the patterns and
building their prefilters); the second then empties the per-text caches and analyses it once
more. The difference is the instructions of one analysis of a call never seen before, as in
`benchmarks.meetings`. Compare two trees by running this once in each (or with
`PYTHONPATH=<other tree>/src`). Needs valgrind; says so and exits 0 without it.
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
import sys
from datetime import date
from benchmarks.meetings import REPS, CUSTOMERS, _cold, long_call
from benchmarks.meetings_snapshot import qmsum_transcript
from benchmarks.meetings import _AMI
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.policy import default_policy

case, first, count, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
policy, llm = default_policy(), LLM(None)
if case == "ami":
    calls = [(t, set(), set()) for t in
             [qmsum_transcript(p) for p in sorted(_AMI.glob("*.json"))[first:first + count]]]
else:
    calls = [(parse_transcript(long_call(count / 4088)), REPS, CUSTOMERS)]
for _ in range(runs):
    for transcript, reps, customers in calls:
        _cold()
        analyze_call(transcript, call_id="ir", call_date=date(2026, 11, 4), rep_names=reps,
                     customer_names=customers, policy=policy, llm=llm)
"""


def _env() -> dict[str, str]:
    env = os.environ | {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(_ROOT)) if p)
    return env


def _instructions(args: list[str]) -> int:
    """Return the instructions one child process executes (callgrind's total).

    A plain run of the same child goes first, so that neither counted process compiles
    bytecode the other then reads (that alone is hundreds of millions of instructions), and
    the counted ones write none.
    """
    subprocess.run([sys.executable, "-c", _CHILD, *args], env=_env(), check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        env = _env() | {"PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                _CHILD,
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from callgrind:\n{proc.stderr[-2000:]}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Print (and write `<out>/meetings_instructions.json`) the instructions per analysis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ami", type=int, default=4, help="AMI meetings (from the 11th)")
    parser.add_argument("--words", type=int, default=9000, help="words of the generated call")
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    if shutil.which("valgrind") is None:
        print("meetings_instructions: valgrind is not installed; nothing measured")
        return 0
    from benchmarks.meetings import _AMI

    cases = [("call", 0, args.words)]
    if _AMI.is_dir() and args.ami > 0:
        cases.insert(0, ("ami", 10, args.ami))
    result = {}
    for case, first, count in cases:
        once = _instructions([case, str(first), str(count), "1"])
        twice = _instructions([case, str(first), str(count), "2"])
        result[case] = {"count": count, "instructions": twice - once}
        label = f"{count} AMI meetings" if case == "ami" else f"a {count:,}-word call"
        print(f"meetings_instructions: {label}: {(twice - once) / 1e6:,.1f} M instructions")
    write_result(args.out, "meetings_instructions", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
