"""Dump the offline `analyze_call` JSON of every transcript we have, to prove a speed change inert.

    python -m benchmarks.meetings_snapshot OUT.json [--compare BASE.json] [--write-golden]

The transcripts: every file under `tests/fixtures/transcripts` (exports included), every call
of `evals/datasets/sales_calls` (with the rep and customer names and call date of its gold
record), the QMSum/AMI meetings in `/work/shared/data` when present (twice: with no names, as
the QMSum eval runs them, and with the first speaker as the rep, so the side-dependent rules
run too) and the benchmark's generated 1 h and 2 h calls. Each output is the full
`MeetingInsights` JSON, so any change of any rule's result shows. Run it on unchanged code
first (for example with `PYTHONPATH=<old checkout>/src`), then after every optimisation with
`--compare`: it exits 1 and names the first differing transcripts when any output differs.

`--write-golden` also stores a few cases' outputs (`GOLDEN_CASES`) in the test fixtures;
`tests/unit/test_meetings_golden.py` checks them on every test run. Write them with the code
before a speed change; after a change of a rule's behaviour that is meant, write them again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Collection, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.meetings import CUSTOMERS, REPS, long_call
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import Transcript, parse_transcript, read_transcript
from sales_operator.policy import default_policy

_ROOT = Path(__file__).resolve().parents[1]
_QMSUM = _ROOT.parent / "shared" / "data" / "qmsum_ami_product_meetings" / "meetings"
_CALL_DATE = date(2026, 11, 4)

Case = tuple[str, Transcript, set[str], set[str], date]


def qmsum_transcript(path: Path) -> Transcript:
    """Return a QMSum meeting as a transcript (one turn per utterance, index as start)."""
    rec = json.loads(path.read_text())
    segs = [
        {"speaker": str(t["speaker"]), "text": str(t["content"]), "start": float(i)}
        for i, t in enumerate(rec["meeting_transcripts"])
    ]
    return parse_transcript(json.dumps(segs))


def cases(qmsum: Path = _QMSUM, only: Collection[str] | None = None) -> Iterator[Case]:
    """Yield (name, transcript, reps, customers, call date) for every transcript we have.

    With `only`, just the cases of those names (the others are not even read).
    """

    def wanted(*names: str) -> bool:
        return only is None or any(n in only for n in names)

    for p in sorted((_ROOT / "tests" / "fixtures" / "transcripts").rglob("*")):
        if p.is_file() and wanted(str(p.relative_to(_ROOT))):
            try:
                t = read_transcript(p)
            except Exception as exc:  # noqa: BLE001 - a fixture of bad input is not a case
                print(f"skip {p.name}: {exc}", file=sys.stderr)
                continue
            yield str(p.relative_to(_ROOT)), t, REPS, CUSTOMERS, _CALL_DATE
    gold = _ROOT / "evals" / "datasets" / "sales_calls" / "gold.jsonl"
    if gold.is_file():
        for line in gold.read_text().splitlines():
            if line.strip() and wanted(json.loads(line)["call_id"]):
                g = json.loads(line)
                t = read_transcript(_ROOT / g["path"])
                reps, customers = set(g["rep_names"]), set(g["customer_names"])
                yield g["call_id"], t, reps, customers, date.fromisoformat(g["call_date"])
    if qmsum.is_dir():
        for p in sorted(qmsum.glob("*.json")):
            if not wanted(p.stem, f"{p.stem}+rep"):
                continue
            t = qmsum_transcript(p)
            yield p.stem, t, set(), set(), date(2005, 1, 1)
            yield f"{p.stem}+rep", t, {t.turns[0].speaker}, set(), date(2005, 1, 1)
    for hours in (1.0, 2.0):
        if wanted(f"bench{hours:g}h"):
            yield (
                f"bench{hours:g}h",
                parse_transcript(long_call(hours)),
                REPS,
                CUSTOMERS,
                _CALL_DATE,
            )


GOLDEN_DIR = _ROOT / "tests" / "fixtures" / "meetings_golden"
"""Stored outputs of a few cases (`GOLDEN_CASES`), checked by `tests/unit/test_meetings_golden`."""

GOLDEN_CASES = (
    *(
        f"tests/fixtures/transcripts/{name}"
        for name in ("onboarding_check.vtt", "pricing_call.json", "renewal_untimed.txt")
    ),
    "sc01",
    "sc11",
    "sc17",
    "sc21",
    "sc26",
    "sc29",
    "ES2002a",
    "ES2002a+rep",
    "IS1002b",
    "bench1h",
)
"""Sales calls of every format and round, two AMI meetings (one read with a rep), the bench call."""


def golden_path(name: str) -> Path:
    """Return the file holding the stored output of case `name`."""
    return GOLDEN_DIR / (name.replace("/", "__") + ".json")


def analyze(case: Case, policy: Any = None) -> dict[str, Any]:
    """Return the offline `MeetingInsights` of one case as JSON data."""
    name, t, reps, customers, day = case
    insights = analyze_call(
        t,
        call_id=name,
        call_date=day,
        rep_names=reps,
        customer_names=customers,
        policy=policy or default_policy(),
        llm=LLM(None),
    )
    data: dict[str, Any] = json.loads(insights.model_dump_json())
    call = data.get("call") or {}
    source = call.get("source")
    if isinstance(source, str) and Path(source).is_absolute():
        # the checkout's own folder is not part of the output: a fresh clone elsewhere
        # must give the same stored JSON
        try:
            call["source"] = Path(source).resolve().relative_to(_ROOT).as_posix()
        except ValueError:
            call["source"] = Path(source).name
    return data


def dumps(data: Any) -> str:
    """Return `data` as the stored JSON text (sorted keys, so that a diff reads well)."""
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def snapshot() -> tuple[dict[str, Any], float]:
    """Return every case's `MeetingInsights` JSON by name, and the CPU seconds they took."""
    policy = default_policy()
    out: dict[str, Any] = {}
    cpu = 0.0
    for case in cases():
        t0 = time.process_time()
        out[case[0]] = analyze(case, policy)
        cpu += time.process_time() - t0
    return out, cpu


def main(argv: list[str] | None = None) -> int:
    """Write the snapshot; with `--compare`, exit 1 when it differs from the base snapshot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--compare", help="a snapshot written by unchanged code")
    parser.add_argument(
        "--write-golden",
        action="store_true",
        help=f"also store the outputs of GOLDEN_CASES under {GOLDEN_DIR.relative_to(_ROOT)}",
    )
    args = parser.parse_args(argv)
    out, cpu = snapshot()
    if args.write_golden:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        for name in GOLDEN_CASES:
            if name in out:
                golden_path(name).write_text(dumps(out[name]))
    Path(args.out).write_text(json.dumps(out, indent=1, sort_keys=True))
    print(f"{len(out)} transcripts, {cpu:.2f} s CPU in analyze_call", file=sys.stderr)
    if not args.compare:
        return 0
    base = json.loads(Path(args.compare).read_text())
    differ = sorted(k for k in base.keys() | out.keys() if base.get(k) != out.get(k))
    if differ:
        print(f"{len(differ)} differ: {', '.join(differ[:10])}", file=sys.stderr)
        return 1
    print(f"identical to {args.compare}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
