"""Meeting analysis on longer and longer calls: CPU time per word should stay flat.

    python -m benchmarks.run --only meetings_scaling [--sizes 2000,8000,32000]

Two shapes of call, each analysed offline at every size in `--sizes` (words), in the same
process, with the per-text caches emptied first (`benchmarks.meetings._cold`):

* `turns`: the bundled discovery call repeated, turn after turn (more turns, more items to
  place back in their turns and to ground);
* `monologue`: the same words lower-cased, without punctuation, as one speaker's single turn
  (speech-to-text output with no full stop: one "sentence" as long as the call).

For each shape it reports CPU milliseconds per 1,000 words at each size and the ratio of the
largest size's figure to the next smaller size's (the smallest carries the fixed per-call
work): about 1 when the analysis grows linearly with the call, far above 1 when some step is
quadratic (a long call once spent most of a minute
placing quotes turn by turn, and a 100,000-word monologue over 300 s reading every date's
lead-in from the start of the turn). `ratio_ok` says whether every ratio is under
`MAX_RATIO`. Timings are not asserted anywhere.
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from benchmarks import write_result
from benchmarks.meetings import _cold
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import Transcript, Turn, read_transcript
from sales_operator.policy import default_policy

MAX_RATIO = 1.5
"""Largest size's CPU per word over the next smaller size's, above which growth is not linear."""

_PUNCTUATION = re.compile(r"[^\w\s']")


def _source() -> Transcript:
    path = resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt")
    return read_transcript(Path(str(path)))


def _turns(source: Transcript, words: int) -> Transcript:
    out: list[Turn] = []
    said = 0
    while said < words:
        for turn in source.turns:
            out.append(Turn(speaker=turn.speaker, text=turn.text))
            said += len(turn.text.split())
            if said >= words:
                break
    return Transcript(turns=tuple(out), format="plain", name="turns")


def _monologue(source: Transcript, words: int) -> Transcript:
    bank = [w for t in source.turns for w in _PUNCTUATION.sub(" ", t.text.lower()).split()]
    said = [bank[i % len(bank)] for i in range(words)]
    turns = (Turn(speaker="Dana Whitfield", text=" ".join(said)), Turn("Sam Rivera", "ok"))
    return Transcript(turns=turns, format="plain", name="monologue")


def _cpu_ms_per_1000_words(transcript: Transcript, words: int) -> float:
    policy, llm = default_policy(), LLM(None)
    _cold()
    c0 = time.process_time()
    analyze_call(
        transcript,
        call_id="scaling",
        call_date=date(2026, 11, 4),
        rep_names={"Sam Rivera"},
        customer_names={"Dana Whitfield"},
        policy=policy,
        llm=llm,
    )
    return (time.process_time() - c0) * 1000 / (words / 1000)


def main(argv: list[str] | None = None) -> int:
    """Time each shape at each size; print and write the per-word figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,8000,32000")
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    source = _source()
    _cpu_ms_per_1000_words(_turns(source, 500), 500)  # patterns compiled, once per process
    result: dict[str, Any] = {"sizes_words": sizes, "max_ratio": MAX_RATIO, "shapes": {}}
    for name, build in (("turns", _turns), ("monologue", _monologue)):
        per = {size: _cpu_ms_per_1000_words(build(source, size), size) for size in sizes}
        ratio = per[sizes[-1]] / per[sizes[-2] if len(sizes) > 1 else sizes[0]]
        result["shapes"][name] = {
            "cpu_ms_per_1000_words": {str(k): round(v, 2) for k, v in per.items()},
            "ratio_largest_to_next": round(ratio, 2),
        }
        figures = ", ".join(f"{k:,} words {v:.1f} ms" for k, v in per.items())
        print(f"meetings_scaling {name}: CPU per 1,000 words: {figures}; ratio {ratio:.2f}")
    result["ratio_ok"] = all(
        s["ratio_largest_to_next"] <= MAX_RATIO for s in result["shapes"].values()
    )
    verdict = "linear" if result["ratio_ok"] else f"NOT linear (a ratio above {MAX_RATIO})"
    print(f"  growth {verdict}; written to", end=" ")
    print(write_result(args.out, "meetings_scaling", result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
