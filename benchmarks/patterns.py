"""Meeting analysis with many tracker terms: does it recompile patterns call after call?

    python -m benchmarks.run --only patterns [--terms 600] [--repeats 9] [--out DIR]

`re` keeps at most `re._MAXCACHE` (512) compiled patterns for calls made with a pattern
string, for the whole process. Code that leans on that cache recompiles silently once a
policy's trackers (or anything else in the process) push its patterns out. This bench
analyses the bundled discovery call again and again (after one warm-up analysis, as a
server would) under two policies, the default one and one with `--terms` more tracker
terms, each in two ways:

* `warm`: one analysis after another;
* `purged`: `re.purge()` before each analysis (what any other code that uses more than
  512 patterns does to `re`'s cache): the baseline a cache-proof analysis should equal.

It reports the median seconds per analysis, the number of patterns `re` compiled during
one analysis, and the ratios large-policy/default and purged/warm. On code that holds its
own compiled patterns, every `compiled_per_call` is 0 and purged/warm is about 1. Timings
are not asserted anywhere; only the ratios within one run count.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from benchmarks import median_seconds, write_result
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import read_transcript
from sales_operator.policy import ConceptTracker, KeywordTracker, Policy, default_policy

_compiler: Any = sys.modules["re._compiler" if "re._compiler" in sys.modules else "sre_compile"]


def large_tracker_policy(terms: int = 600) -> Policy:
    """Return the default policy with `terms` more tracker terms (words, phrases, CamelCase).

    Half the added trackers are plain `keyword_trackers`, half `trackers` said by the
    customer; a concept tracker with cues, two more competitors, and a tracker of words the
    bundled call does say ("real words") come with them.
    """
    base = default_policy()
    words = [f"{w}{i}" for i in range(terms // 3) for w in ("Widget", "ledger", "FleetPath")]
    words += [f"quarterly review {i}" for i in range(terms - len(words))]
    keyword = {f"kw{j}": words[j * 10 : (j + 1) * 10] for j in range(len(words) // 20)}
    keyword["real words"] = ["price", "budget", "spreadsheet", "integration"]
    trackers = {
        f"tr{j}": KeywordTracker(keywords=words[j * 10 : (j + 1) * 10], said_by="customer")
        for j in range(len(words) // 20, len(words) // 10)
    }
    concepts = {"pain": ConceptTracker(description="pain", cues=["manual work", "Excel sheets"])}
    meetings = base.meetings.model_copy(
        update={
            "keyword_trackers": keyword,
            "trackers": trackers,
            "concept_trackers": concepts,
            "competitors": [*base.meetings.competitors, "Acme Routing", "ParcelPilot"],
        }
    )
    return base.model_copy(update={"meetings": meetings})


@contextmanager
def counting_compiles() -> Iterator[list[int]]:
    """Count the patterns `re` really compiles inside the block (into the yielded list)."""
    count = [0]
    real = _compiler.compile

    def compile_(p: Any, flags: int = 0) -> Any:
        count[0] += 1
        return real(p, flags)

    _compiler.compile = compile_
    try:
        yield count
    finally:
        _compiler.compile = real


def _analysis(policy: Policy) -> Callable[[], object]:
    path = Path(
        str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
    )
    transcript = read_transcript(path)
    llm = LLM(None)

    def run() -> object:
        return analyze_call(
            transcript,
            call_id="bench",
            call_date=date(2026, 11, 4),
            rep_names={"Sam Rivera", "Priya Nair", "Jordan Lee"},
            customer_names={"Dana Whitfield", "Marcus Chen"},
            policy=policy,
            llm=llm,
        )

    return run


def main(argv: list[str] | None = None) -> int:
    """Time analyses under a default and a large-tracker policy; write `<out>/patterns.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    rows: dict[str, Any] = {}
    for name, policy in (
        ("default", default_policy()),
        ("large", large_tracker_policy(args.terms)),
    ):
        run = _analysis(policy)
        run()  # warm-up: the first analysis in a process compiles and builds what it keeps
        with counting_compiles() as warm_count:
            run()
        re.purge()
        with counting_compiles() as purged_count:
            run()

        def purged(run: Callable[[], object] = run) -> None:
            re.purge()
            run()

        warm_s = median_seconds(run, args.repeats)
        purged_s = median_seconds(purged, args.repeats)
        rows[name] = {
            "seconds_warm": round(warm_s, 5),
            "seconds_purged": round(purged_s, 5),
            "compiled_per_call_warm": warm_count[0],
            "compiled_per_call_purged": purged_count[0],
            "ratio_purged_to_warm": round(purged_s / warm_s, 3),
        }
    result = {
        "bench": "patterns",
        "terms_added": args.terms,
        "re_maxcache": getattr(re, "_MAXCACHE", None),
        "policies": rows,
        "ratio_large_to_default_warm": round(
            rows["large"]["seconds_warm"] / rows["default"]["seconds_warm"], 3
        ),
        "python": platform.python_version(),
    }
    write_result(args.out, "patterns", result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
