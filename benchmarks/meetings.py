"""Meeting Intelligence: analysis time per hour of transcript, against 0.1 s per hour.

    python -m benchmarks.run --only meetings [--hours 1,2,3] [--repeats 3] [--out DIR]

A long call is built by concatenating the bundled discovery call and the test fixtures (a
WebVTT onboarding check and a JSON pricing call) with shifted timestamps until it lasts
`--hours` hours; it is written as JSON segments, so every turn keeps its start and end.
On that text, in the same process, the benchmark times:

* `parse`: `parse_transcript` alone (a baseline: reading the text);
* `metrics_trackers`: parsing, the speaker mapping, `call_metrics` (talk ratios, longest
  monologue, interactivity, patience, questions, fillers) and the keyword and competitor
  trackers: the deterministic analysis;
* `analyze_offline`: the whole `analyze_call` with the offline engine (adds the cue-phrase
  extraction, the summary and the CRM notes);
* `regex_words`: a plain regex word count over the same text (the floor: one pass).

It reports seconds per transcript hour for each, the ratios of the deterministic
analysis to the two baselines, and whether the whole offline analysis meets issue 9's target
(`TARGET_S_PER_HOUR`, 0.1 s per transcript hour). Every timed run starts with the per-text
caches empty (`_cold`), as for a call never seen before. The median of `--repeats` runs is
kept, in wall-clock seconds and in CPU seconds of this process (`analyze_offline_cpu`: the
figure to read on a shared machine, where waiting for a core inflates the wall clock).

The generated call is sparse (its sources' timings give about 4,100 words an hour), so
"per transcript hour" flatters it. The honest unit is an hour of real talk, 9,000 words
(`SPOKEN_WORDS_PER_HOUR`, 150 a minute): each row also reports CPU seconds per 9,000-word
hour, and so do 40 real AMI meetings (QMSum, when `/work/shared/data` is there; median of
`--repeats` passes). The last line, and `target_at_spoken_density` in the JSON, put every
one of those figures next to the 0.1 s target and say whether all of them meet it.

Before anything is timed, the process analyses each source call once, on its own
(`first_call_s`): the first analysis in a process reads and compiles its patterns and
builds their prefilters, a one-time cost that a server pays once, not per call. Without
this warm-up, the first and second timed runs of the first length carry it and the median
of three reads it as a per-hour cost. Timings are not asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from benchmarks import median_seconds, write_result
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call, speaker_sides
from sales_operator.meetings.metrics import _WORDS, call_metrics, word_count
from sales_operator.meetings.trackers import track
from sales_operator.meetings.transcript import Transcript, parse_transcript, read_transcript
from sales_operator.policy import default_policy

_ROOT = Path(__file__).resolve().parents[1]
_FIXTURES = _ROOT / "tests" / "fixtures" / "transcripts"
REPS = {"Sam Rivera", "Priya Nair", "Jordan Lee"}
CUSTOMERS = {"Dana Whitfield", "Ken Ito", "Ana Souza", "Paulo Reis"}
_GAP_S = 5.0
TARGET_S_PER_HOUR = 0.1
"""Issue 9's target for the whole offline analysis, seconds per transcript hour."""


def _sources() -> list[Transcript]:
    bundled = resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt")
    out = [read_transcript(Path(str(bundled)))]
    for name in ("onboarding_check.vtt", "pricing_call.json"):
        path = _FIXTURES / name
        if path.is_file():
            out.append(read_transcript(path))
    return out


def _segments(t: Transcript) -> list[dict[str, Any]]:
    """Return the turns as JSON segments with explicit ends (derived where missing)."""
    from sales_operator.meetings.metrics import turn_spans

    spans = turn_spans(t.turns)
    assert spans is not None, f"{t.name} is not timed"
    return [
        {"speaker": turn.speaker, "start": s, "end": e, "text": turn.text}
        for turn, (s, e) in zip(t.turns, spans, strict=True)
    ]


def long_call(hours: float) -> str:
    """Return a JSON-segment transcript lasting about `hours` hours."""
    parts = [_segments(t) for t in _sources()]
    target = hours * 3600
    out: list[dict[str, Any]] = []
    offset = 0.0
    i = 0
    while offset < target:
        segs = parts[i % len(parts)]
        base = segs[0]["start"]
        for seg in segs:
            end = seg["end"] - base + offset
            if end > target:
                break
            out.append(seg | {"start": seg["start"] - base + offset, "end": end})
        offset = out[-1]["end"] + _GAP_S
        if offset + 60 > target:
            break
        i += 1
    return json.dumps({"segments": out})


# Caches keyed by a text or a transcript: a repeat of the same call would find them warm, a new
# call never does, so every timed run starts with them empty (a name absent here is skipped).
_TEXT_CACHES = (
    ("sales_operator.meetings.extract", ("clean_spoken", "_masked", "squash")),
    ("sales_operator.meetings.metrics", ("word_count",)),
    ("sales_operator.meetings.summarize", ("_scored", "_stem", "_content_token")),
    ("sales_operator.meetings.prefilter", ("_lower",)),
    ("sales_operator.meetings.dates", ("_candidates",)),
    ("sales_operator.meetings.decisions", ("plain_text",)),
)


def _cold() -> None:
    """Empty the per-text caches, so that each run times a call never seen before."""
    import importlib

    for module, names in _TEXT_CACHES:
        mod = importlib.import_module(module)
        for name in names:
            clear = getattr(getattr(mod, name, None), "cache_clear", None)
            if clear is not None:
                clear()


def _median_wall_and_cpu(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Run `fn` `repeats` times; return the median wall and the median CPU seconds."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def _first_calls(policy: Any, llm: LLM) -> dict[str, float]:
    """Analyse each source call once, untimed as a per-hour figure; return wall and CPU s."""
    w0, c0 = time.perf_counter(), time.process_time()
    for t in _sources():
        _cold()
        analyze_call(
            t,
            call_id=f"warm-up {t.name}",
            call_date=date(2026, 11, 4),
            rep_names=REPS,
            customer_names=CUSTOMERS,
            policy=policy,
            llm=llm,
        )
    return {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}


SPOKEN_WORDS_PER_HOUR = 9000
"""Words in an hour of conversation (about 150 a minute): the honest unit for 'per hour'."""

_AMI = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "qmsum_ami_product_meetings"
) / "meetings"


def _ami_rate(policy: Any, llm: Any, limit: int = 40, repeats: int = 1) -> dict[str, Any] | None:
    """Time the offline analysis on real AMI meetings (when shared data is there), by words.

    The median CPU time of `repeats` passes over the first `limit` meetings.
    """
    if not _AMI.is_dir():
        return None
    from benchmarks.meetings_snapshot import qmsum_transcript

    transcripts = [qmsum_transcript(p) for p in sorted(_AMI.glob("*.json"))[:limit]]
    if not transcripts:
        return None
    words = sum(word_count(t.text) for tr in transcripts for t in tr.turns)

    def one_pass() -> None:
        for tr in transcripts:
            _cold()
            analyze_call(
                tr,
                call_id="ami",
                call_date=date(2026, 11, 4),
                rep_names=set(),
                customer_names=set(),
                policy=policy,
                llm=llm,
            )

    _, cpu = _median_wall_and_cpu(one_pass, max(1, repeats))
    per_hour = cpu * SPOKEN_WORDS_PER_HOUR / words
    return {
        "meetings": len(transcripts),
        "words": words,
        "repeats": max(1, repeats),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_1000_words": round(1e6 * cpu / words, 2),
        "cpu_s_per_spoken_hour": round(per_hour, 4),
        "meets_target": per_hour <= TARGET_S_PER_HOUR,
    }


def target_check(rows: list[dict[str, Any]], ami: dict[str, Any] | None) -> dict[str, Any]:
    """Return the target check at real talk density: every figure next to the target.

    The figures are CPU seconds per 9,000-word hour: each generated call's (median of the
    repeats) and the AMI meetings' (when the shared data is there). The target is met only
    when every one of them is at or under `TARGET_S_PER_HOUR`.
    """
    figures = {
        f"generated call {r['hours']:.1f} h": r["analyze_offline_cpu_s_per_spoken_hour"]
        for r in rows
    }
    if ami is not None:
        figures[f"{ami['meetings']} AMI meetings"] = ami["cpu_s_per_spoken_hour"]
    return {
        "target_s_per_spoken_hour": TARGET_S_PER_HOUR,
        "spoken_words_per_hour": SPOKEN_WORDS_PER_HOUR,
        "cpu_s_per_spoken_hour": figures,
        "met": bool(figures) and all(v <= TARGET_S_PER_HOUR for v in figures.values()),
    }


def main(argv: list[str] | None = None) -> int:
    """Time the deterministic call analysis per transcript hour; write `<out>/meetings.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", default="1,2,3", help="comma-separated call lengths")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    policy = default_policy()
    llm = LLM(None)
    first = _first_calls(policy, llm)
    rows: list[dict[str, Any]] = []
    for hours in [float(h) for h in args.hours.split(",") if h.strip()]:
        text = long_call(hours)
        transcript = parse_transcript(text)
        real_hours = (transcript.turns[-1].end or 0.0) / 3600

        def deterministic(text: str = text) -> None:
            _cold()
            t = parse_transcript(text)
            sides = speaker_sides(t, REPS, CUSTOMERS)
            call_metrics(t, sides, filler_words=policy.meetings.filler_words)
            track(t, policy, sides)

        def full(text: str = text) -> None:
            _cold()
            analyze_call(
                parse_transcript(text),
                call_id="bench",
                call_date=date(2026, 11, 4),
                rep_names=REPS,
                customer_names=CUSTOMERS,
                policy=policy,
                llm=llm,
            )

        def parse_only(text: str = text) -> None:
            parse_transcript(text)

        def regex_words(text: str = text) -> None:
            len(_WORDS.findall(text))  # word_count's regex, uncached

        full_wall, full_cpu = _median_wall_and_cpu(full, args.repeats)
        timings = {
            "parse": median_seconds(parse_only, args.repeats),
            "metrics_trackers": median_seconds(deterministic, args.repeats),
            "analyze_offline": full_wall,
            "analyze_offline_cpu": full_cpu,
            "regex_words": median_seconds(regex_words, args.repeats),
        }
        rows.append(
            {
                "hours": round(real_hours, 3),
                "turns": len(transcript.turns),
                "words": sum(word_count(t.text) for t in transcript.turns),
                "seconds": {k: round(v, 5) for k, v in timings.items()},
                "seconds_per_transcript_hour": {
                    k: round(v / real_hours, 5) for k, v in timings.items()
                },
                "ratio_metrics_trackers_to_parse": round(
                    timings["metrics_trackers"] / timings["parse"], 2
                ),
                "ratio_metrics_trackers_to_regex_words": round(
                    timings["metrics_trackers"] / timings["regex_words"], 1
                ),
                "analyze_offline_target_s_per_hour": TARGET_S_PER_HOUR,
                "analyze_offline_meets_target": timings["analyze_offline"] / real_hours
                <= TARGET_S_PER_HOUR,
                # the generated call is sparse (its sources' timings); an hour of real
                # conversation holds about SPOKEN_WORDS_PER_HOUR words
                "analyze_offline_s_per_spoken_hour": round(
                    timings["analyze_offline"]
                    * SPOKEN_WORDS_PER_HOUR
                    / max(1, sum(word_count(t.text) for t in transcript.turns)),
                    5,
                ),
                "analyze_offline_cpu_s_per_spoken_hour": round(
                    timings["analyze_offline_cpu"]
                    * SPOKEN_WORDS_PER_HOUR
                    / max(1, sum(word_count(t.text) for t in transcript.turns)),
                    5,
                ),
            }
        )
    ami = _ami_rate(policy, llm, repeats=args.repeats)
    check = target_check(rows, ami)
    result = {
        "benchmark": "meetings",
        "subject": "parse + speaker mapping + call_metrics + keyword/competitor trackers",
        "baselines": ["parse_transcript alone", "regex word count over the same text"],
        "repeats": args.repeats,
        "first_call_s": {k: round(v, 4) for k, v in first.items()},
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
        "ami_meetings": ami,
        "target_at_spoken_density": check,
    }
    written = write_result(args.out, "meetings", result)
    print("meetings: deterministic call analysis, seconds per transcript hour (median)")
    for r in rows:
        per = r["seconds_per_transcript_hour"]
        print(
            f"  {r['hours']:.2f} h, {r['turns']} turns, {r['words']} words: "
            f"metrics+trackers {per['metrics_trackers']:.4f} s/h, parse {per['parse']:.4f} s/h, "
            f"full offline {per['analyze_offline']:.4f} s/h; "
            f"x{r['ratio_metrics_trackers_to_parse']} parse, "
            f"x{r['ratio_metrics_trackers_to_regex_words']} regex word count"
        )
        verdict = "meets" if r["analyze_offline_meets_target"] else "MISSES"
        print(
            f"    whole offline analyze_call {per['analyze_offline']:.4f} s/h {verdict} the "
            f"target of {TARGET_S_PER_HOUR} s per transcript hour (cold caches); "
            f"CPU {per['analyze_offline_cpu']:.4f} s/h"
        )
        print(
            f"    at {SPOKEN_WORDS_PER_HOUR:,} words per hour (150 a minute, real talk): "
            f"{r['analyze_offline_s_per_spoken_hour']:.4f} s per hour, "
            f"CPU {r['analyze_offline_cpu_s_per_spoken_hour']:.4f}"
        )
    if ami:
        word = "meets" if ami["meets_target"] else "MISSES"
        print(
            f"  {ami['meetings']} real AMI meetings ({ami['words']:,} words): "
            f"{ami['cpu_ms_per_1000_words']:.1f} ms CPU per 1,000 words, "
            f"{ami['cpu_s_per_spoken_hour']:.4f} s per {SPOKEN_WORDS_PER_HOUR:,}-word hour: "
            f"{word} the target"
        )
    figures = ", ".join(f"{k} {v:.4f}" for k, v in check["cpu_s_per_spoken_hour"].items())
    print(
        f"  TARGET {TARGET_S_PER_HOUR} s CPU per {SPOKEN_WORDS_PER_HOUR:,}-word hour: {figures}: "
        + ("MET" if check["met"] else "NOT MET")
    )
    print(
        f"  first analysis in the process (the source calls, once; not per hour): "
        f"{first['wall']:.3f} s wall, {first['cpu']:.3f} s CPU"
    )
    print(f"  written to {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
