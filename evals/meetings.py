"""Section 3: Meeting Intelligence against hand-written gold labels, and talk ratios on AMI.

(a) `sales_operator.meetings.analyze_call` runs offline (`LLM(None)`, the cue-phrase engine)
on the bundled discovery call and the three test-fixture transcripts. Its pains, competitor
mentions and commitments are compared with the gold labels in `evals/datasets/meetings.jsonl`.

Matching rule (one-to-one, greedy by best score first):
- text (pains, commitment texts): token F1 >= 0.5 between the two texts' content words
  (lower-cased letter/digit runs, a short stop-word list removed);
- competitors: the same name, case-insensitive, once per call;
- commitments: the same owner (full name, or a one-word label equal to the first name; a
  parenthesis such as "(Vendor)" is ignored) and text token F1 >= 0.5; "with correct due date"
  further needs the resolved due date to equal the gold one (no date on both counts as equal).

Precision = matched / predicted, recall = matched / gold, micro-averaged over the calls.

(b) QMSum's AMI product meetings (external, optional): a few meetings are converted to the
plain `Speaker: text` form, parsed with `parse_transcript`, and the talk ratios of
`call_metrics` are compared with a direct count of words per speaker label in the JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from evals import Section, md_table

TITLE = "3. Meeting Intelligence"

REPO = Path(__file__).resolve().parents[1]
"""The repository root (gold paths are relative to it)."""

GOLD = Path(__file__).resolve().parent / "datasets" / "meetings.jsonl"
"""The hand-written gold labels."""

TEXT_THRESHOLD = 0.5
"""Smallest token F1 for two texts to match."""

QMSUM_MEETINGS = 5
"""How many AMI meetings the talk-ratio check reads."""

STOPWORDS = frozenset(
    """a an the and or but of to in on for with by at from as is are was were be been being
    it its this that these those so than then there here we our us i me my you your he him his
    she her they them their will would can could shall should do does did have has had not no
    just also about over into out up very too much many all any some""".split()
)
"""Words ignored by the text matching rule."""

_TOKEN = re.compile(r"[a-z0-9]+")
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
"""The library's word rule (`meetings.analyze._WORDS`), restated for the direct count."""
_TAG = re.compile(r"\{[^}]*\}")


def content_words(text: str) -> set[str]:
    """Return the lower-cased letter/digit runs of `text`, without stop words."""
    return {t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS}


def token_f1(a: str, b: str) -> float:
    """Return the F1 overlap of the content-word sets of `a` and `b`."""
    x, y = content_words(a), content_words(b)
    common = len(x & y)
    if not common:
        return 0.0
    precision, recall = common / len(x), common / len(y)
    return 2 * precision * recall / (precision + recall)


def _name(label: str) -> str:
    return " ".join(re.sub(r"\([^)]*\)", " ", label).lower().split())


def same_person(a: str, b: str) -> bool:
    """Return whether two speaker labels name the same person (full or first name)."""
    x, y = _name(a), _name(b)
    if not x or not y:
        return False
    if x == y:
        return True
    xs, ys = x.split(), y.split()
    return (len(xs) == 1 or len(ys) == 1) and xs[0] == ys[0]


def match(
    predicted: list[Any], gold: list[Any], score: Callable[[Any, Any], float]
) -> list[tuple[int, int, float]]:
    """Pair predictions with gold items one-to-one, best score first, above the threshold."""
    pairs = sorted(
        (
            (s, i, j)
            for i, p in enumerate(predicted)
            for j, g in enumerate(gold)
            if (s := score(p, g)) >= TEXT_THRESHOLD
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for s, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, s))
    return out


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    """Return precision, recall and F1 (None where undefined) with the counts."""
    p = tp / n_pred if n_pred else None
    r = tp / n_gold if n_gold else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and (p + r) > 0 else None
    if n_pred == 0 and n_gold == 0:
        p = r = f = 1.0  # nothing to find and nothing found
    elif f is None and (n_pred or n_gold):
        f = 0.0
    return {"tp": tp, "predicted": n_pred, "gold": n_gold, "precision": p, "recall": r, "f1": f}


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """Read the gold labels, one call per line."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def score_call(gold: dict[str, Any]) -> dict[str, Any]:
    """Analyse one gold call offline and count matches per field."""
    from sales_operator.llm import LLM
    from sales_operator.meetings import analyze_call, read_transcript
    from sales_operator.policy import default_policy

    out = analyze_call(
        read_transcript(REPO / gold["path"]),
        call_id=gold["call_id"],
        call_date=date.fromisoformat(gold["call_date"]),
        rep_names=set(gold["rep_names"]),
        customer_names=set(gold["customer_names"]),
        policy=default_policy(),
        llm=LLM(None),
    )
    pains = [p.text for p in out.pains]
    pain_pairs = match(pains, gold["pains"], token_f1)

    comps = sorted({h.tracker.casefold(): h.tracker for h in out.competitors}.values())
    gold_comps = sorted({c.casefold(): c for c in gold["competitors"]}.values())
    comp_tp = len({c.casefold() for c in comps} & {c.casefold() for c in gold_comps})

    commits = [
        {"owner": c.owner, "text": c.text, "due": c.due.isoformat() if c.due else None}
        for c in out.commitments
    ]

    def commit_score(p: dict[str, Any], g: dict[str, Any]) -> float:
        return token_f1(p["text"], g["text"]) if same_person(p["owner"], g["owner"]) else 0.0

    commit_pairs = match(commits, gold["commitments"], commit_score)
    due_tp = sum(
        1 for i, j, _ in commit_pairs if commits[i]["due"] == gold["commitments"][j]["due"]
    )
    n_c, n_g = len(commits), len(gold["commitments"])
    return {
        "call_id": gold["call_id"],
        "path": gold["path"],
        "engine": out.engine,
        "pains": prf(len(pain_pairs), len(pains), len(gold["pains"])),
        "competitors": prf(comp_tp, len(comps), len(gold_comps)),
        "commitments": prf(len(commit_pairs), n_c, n_g),
        "commitments_due": prf(due_tp, n_c, n_g),
        "predicted": {"pains": pains, "competitors": comps, "commitments": commits},
        "unmatched_gold": {
            "pains": [
                g for j, g in enumerate(gold["pains"]) if j not in {b for _, b, _ in pain_pairs}
            ],
            "commitments": [
                g
                for j, g in enumerate(gold["commitments"])
                if j not in {b for _, b, _ in commit_pairs}
            ],
        },
        "unmatched_predicted": {
            "pains": [p for i, p in enumerate(pains) if i not in {a for a, _, _ in pain_pairs}],
            "commitments": [
                c for i, c in enumerate(commits) if i not in {a for a, _, _ in commit_pairs}
            ],
        },
    }


FIELDS = ("pains", "competitors", "commitments", "commitments_due")
FIELD_NAMES = {
    "pains": "pains",
    "competitors": "competitors",
    "commitments": "commitments (owner + text)",
    "commitments_due": "commitments with correct due date",
}


def gold_eval() -> dict[str, Any]:
    """Score every gold call and micro-average per field."""
    calls = [score_call(g) for g in load_gold()]
    micro = {}
    for f in FIELDS:
        tp = sum(c[f]["tp"] for c in calls)
        micro[f] = prf(tp, sum(c[f]["predicted"] for c in calls), sum(c[f]["gold"] for c in calls))
    return {"calls": calls, "micro": micro}


# --- QMSum / AMI talk ratios -------------------------------------------------------------------


def to_plain(turns: list[dict[str, Any]]) -> str:
    """Write QMSum turns as plain `Speaker: text` lines (one line per non-empty turn)."""
    lines = []
    for t in turns:
        text = " ".join(str(t.get("content", "")).split())
        speaker = " ".join(str(t.get("speaker", "")).split())
        if text and speaker:
            lines.append(f"{speaker}: {text}")
    return "\n".join(lines) + "\n"


def direct_ratio(turns: list[dict[str, Any]], *, drop_tags: bool) -> dict[str, float]:
    """Count words per speaker label straight from the JSON; return the shares."""
    counts: dict[str, int] = {}
    for t in turns:
        text = str(t.get("content", ""))
        if drop_tags:
            text = _TAG.sub(" ", text)
        speaker = " ".join(str(t.get("speaker", "")).split())
        counts[speaker] = counts.get(speaker, 0) + len(_WORDS.findall(text))
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items() if v} if total else {}


def qmsum_eval(folder: Path) -> dict[str, Any]:
    """Compare `call_metrics` talk ratios with a direct count on a few AMI meetings."""
    from sales_operator.meetings import call_metrics, parse_transcript

    files = sorted((folder / "meetings").glob("*.json"))
    step = max(1, len(files) // QMSUM_MEETINGS)
    chosen = files[::step][:QMSUM_MEETINGS]
    rows: list[dict[str, Any]] = []
    for path in chosen:
        turns = json.loads(path.read_text("utf-8"))["meeting_transcripts"]
        transcript = parse_transcript(to_plain(turns), name=path.name, format="plain")
        metrics = call_metrics(transcript, {})
        lib = metrics.talk_ratio
        same = direct_ratio(turns, drop_tags=False)
        clean = direct_ratio(turns, drop_tags=True)
        speakers = sorted(set(lib) | set(same))
        json_turns = sum(1 for t in turns if " ".join(str(t.get("content", "")).split()))
        rows.append(
            {
                "meeting": path.stem,
                "turns_json": json_turns,
                "turns_parsed": len(transcript.turns),
                "basis": metrics.basis,
                "speakers_match": set(lib) == set(same),
                "talk_ratio": lib,
                "direct_ratio": {k: round(v, 4) for k, v in same.items()},
                "max_abs_diff": max(abs(lib.get(s, 0.0) - same.get(s, 0.0)) for s in speakers),
                "max_abs_diff_tags_removed": max(
                    abs(lib.get(s, 0.0) - clean.get(s, 0.0)) for s in speakers
                ),
            }
        )
    # ratios are rounded to 3 decimals by the library: agreement within half a unit of that
    agree = all(
        r["speakers_match"]
        and r["turns_json"] == r["turns_parsed"]
        and r["max_abs_diff"] <= 5e-4 + 1e-9
        for r in rows
    )
    return {"meetings": rows, "agree": agree, "tolerance": 5e-4}


# --- the section -------------------------------------------------------------------------------


def run(out_dir: Path, data_dir: Path, *, include_external: bool = True) -> Section:
    """Run section 3; part (b) only when the QMSum folder exists under `data_dir`."""
    del out_dir  # no plots
    results: dict[str, Any] = {}
    parts: list[str] = ["### 3a. Offline extraction against gold labels"]
    ge = gold_eval()
    results["gold"] = ge
    parts.append(
        f"{len(ge['calls'])} calls, gold labels in `evals/datasets/meetings.jsonl` (written by "
        "hand from the transcripts; the fixtures' expectations in "
        "`tests/unit/test_meeting_analysis.py` were read first). Engine: "
        f"`{ge['calls'][0]['engine']}` (`LLM(None)`). Matching: one-to-one; texts match at "
        f"content-word token F1 >= {TEXT_THRESHOLD}; competitors by name; commitments need the "
        "same owner (full or first name) and a matching text, and for the last row also the "
        "same resolved due date. These transcripts were available while the cue-phrase engine "
        "was written, so this is an in-sample check, not a generalisation estimate."
    )
    parts.append(
        md_table(
            ["field", "precision", "recall", "F1", "matched / predicted / gold"],
            [
                [
                    FIELD_NAMES[f],
                    m["precision"],
                    m["recall"],
                    m["f1"],
                    f"{m['tp']} / {m['predicted']} / {m['gold']}",
                ]
                for f, m in ge["micro"].items()
            ],
        )
    )
    parts.append(
        "Per call (F1; matched / predicted / gold):\n\n"
        + md_table(
            ["call", *(FIELD_NAMES[f] for f in FIELDS)],
            [
                [
                    c["call_id"],
                    *(
                        f"{c[f]['f1']:.2f} ({c[f]['tp']}/{c[f]['predicted']}/{c[f]['gold']})"
                        for f in FIELDS
                    ),
                ]
                for c in ge["calls"]
            ],
        )
    )
    misses = []
    for c in ge["calls"]:
        for kind in ("pains", "commitments"):
            for g in c["unmatched_gold"][kind]:
                misses.append(f"- {c['call_id']}: missed gold {kind[:-1]}: {_show(g)}")
            for p in c["unmatched_predicted"][kind]:
                misses.append(f"- {c['call_id']}: extra predicted {kind[:-1]}: {_show(p)}")
    if misses:
        parts.append("Unmatched items:\n\n" + "\n".join(misses))
    micro = ge["micro"]
    summary = [
        "meetings (gold, micro F1): "
        + ", ".join(f"{f} {micro[f]['f1']:.2f}" for f in FIELDS if micro[f]["f1"] is not None)
    ]

    parts.append("### 3b. Talk ratio on QMSum / AMI product meetings")
    folder = data_dir / "qmsum_ami_product_meetings"
    if not include_external:
        results["qmsum"] = {"status": "skipped", "reason": "not requested"}
        parts.append("skipped: not requested (`--no-external`)")
    elif not (folder / "meetings").is_dir():
        reason = f"skipped: data not found at {folder}"
        results["qmsum"] = {"status": "skipped", "reason": reason}
        parts.append(reason)
        summary.append(f"meetings (QMSum): {reason}")
    else:
        q = qmsum_eval(folder)
        results["qmsum"] = q
        parts.append(
            f"{len(q['meetings'])} meetings, each converted to plain `Speaker: text` lines (one "
            "per non-empty turn, whitespace collapsed), parsed by `parse_transcript` and "
            "measured by `call_metrics` (no timestamps, so the share of words). The direct "
            "count sums words per `speaker` label straight from the JSON with the library's word "
            "rule; agreement means the same speakers, the same number of turns and every share "
            f"within {q['tolerance']} (the library rounds to 3 decimals). The last column "
            "counts words again after removing tags such as `{vocalsound}`, which the library "
            "counts as words."
        )
        parts.append(
            md_table(
                [
                    "meeting",
                    "turns (JSON / parsed)",
                    "talk ratio (library)",
                    "max |diff|",
                    "max |diff|, tags removed",
                ],
                [
                    [
                        r["meeting"],
                        f"{r['turns_json']} / {r['turns_parsed']}",
                        ", ".join(f"{k} {v:.3f}" for k, v in sorted(r["talk_ratio"].items())),
                        f"{r['max_abs_diff']:.4f}",
                        f"{r['max_abs_diff_tags_removed']:.4f}",
                    ]
                    for r in q["meetings"]
                ],
            )
        )
        parts.append(f"Agreement: {'yes' if q['agree'] else '**no**'}.")
        summary.append(
            f"meetings (QMSum talk ratio, {len(q['meetings'])} meetings): agreement "
            f"{'yes' if q['agree'] else 'NO'}, max |diff| "
            f"{max(r['max_abs_diff'] for r in q['meetings']):.4f}"
        )
    status = "ok"
    if results.get("qmsum", {}).get("status") == "skipped":
        status = "partial"
    if results.get("qmsum", {}).get("agree") is False:
        status = "fail"
    return Section(
        key="meetings",
        title=TITLE,
        status=status,  # type: ignore[arg-type]
        markdown="\n\n".join(parts),
        results=results,
        summary=summary,
    )


def _show(item: Any) -> str:
    if isinstance(item, dict):
        return f"{item['owner']}: {item['text']} (due {item['due'] or 'none'})"
    return str(item)
