"""Section: Meeting Intelligence extraction against hand-written gold labels.

Talk ratios, summaries and brand trackers on the QMSum/AMI meetings are in `evals/qmsum.py`.

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

(b) The labelled sales-call set (`evals/datasets/sales_calls/`, 14 calls written for this
evaluation, gold labels frozen in `gold.jsonl` before the extractor ran on them): pains,
objections, buying triggers, commitments (and their due dates), competitors and MEDDPICC
criteria. Round 1 tuned on `tune` (sc01-08) and only scored `heldout` (sc09-14); round 2
added `holdout2` (sc15-20, written and measured before round 2 changed any rule, figures in
`datasets/sales_calls_holdout2_before.json`) and tuned on sc01-14. The figures measured before
any tuning are kept in `datasets/sales_calls_before_tuning.json` and shown as history.

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

TITLE = "4. Meeting Intelligence: extraction against gold labels"

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
    out, _ = analyze_sales_call(gold)
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


# --- the labelled sales-call set (evals/datasets/sales_calls) ----------------------------------

SALES_CALLS = Path(__file__).resolve().parent / "datasets" / "sales_calls"
"""Twenty sales calls written for this evaluation, with frozen gold labels in `gold.jsonl`."""

SALES_FIELDS = (
    "pains",
    "objections",
    "triggers",
    "commitments",
    "commitments_due",
    "competitors",
    "meddpicc",
)
"""The fields scored on the sales-call set."""

SALES_FIELD_NAMES = {
    "pains": "pains",
    "objections": "objections",
    "triggers": "buying triggers",
    "commitments": "commitments (owner + text)",
    "commitments_due": "commitments with correct due date",
    "competitors": "competitors",
    "meddpicc": "MEDDPICC criteria evidenced",
}

BEFORE_TUNING = SALES_CALLS.parent / "sales_calls_before_tuning.json"
"""The figures measured once, before the extractor saw these calls (kept for the report)."""


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.replace("’", "'").lower()))


def evidence_score(pred_text: str, pred_quote: str, gold: dict[str, Any]) -> float:
    """Score a predicted item against a gold item with a verbatim `evidence` span.

    1.0 when the predicted quote contains the gold evidence (or the evidence contains the
    whole quote); otherwise the content-word token F1 of the two texts.
    """
    quote, evidence = _squash(pred_quote), _squash(gold.get("evidence", ""))
    if quote and evidence and (evidence in quote or quote in evidence):
        return 1.0
    return token_f1(pred_text, gold["text"])


def _company(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def score_sales_call(
    gold: dict[str, Any], insights: Any, meddpicc: set[str] | None = None
) -> dict[str, Any]:
    """Count matches per field between one call's insights and its gold labels.

    Args:
        gold: One line of `gold.jsonl`.
        insights: The call's `MeetingInsights`.
        meddpicc: The criteria the analysis found evidenced (None: not produced).
    """
    out: dict[str, Any] = {"call_id": gold["call_id"], "split": gold["split"]}
    unmatched: dict[str, Any] = {}
    for field in ("pains", "objections", "triggers"):
        items = [(i.text, i.quote.text) for i in getattr(insights, field)]
        pairs = match(
            items,
            gold[field],
            lambda p, g: evidence_score(p[0], p[1], g),  # noqa: B023
        )
        out[field] = prf(len(pairs), len(items), len(gold[field]))
        unmatched[field] = {
            "missed": [
                g["text"] for j, g in enumerate(gold[field]) if j not in {b for _, b, _ in pairs}
            ],
            "extra": [p[0] for i, p in enumerate(items) if i not in {a for a, _, _ in pairs}],
        }
    commits = [
        {
            "owner": c.owner,
            "text": c.text,
            "quote": c.quote.text,
            "due": c.due.isoformat() if c.due else None,
        }
        for c in insights.commitments
    ]

    def commit_score(p: dict[str, Any], g: dict[str, Any]) -> float:
        if not same_person(p["owner"], g["owner"]):
            return 0.0
        return evidence_score(p["text"], p["quote"], g)

    pairs = match(commits, gold["commitments"], commit_score)
    n_c, n_g = len(commits), len(gold["commitments"])
    out["commitments"] = prf(len(pairs), n_c, n_g)
    due_tp = sum(1 for i, j, _ in pairs if commits[i]["due"] == gold["commitments"][j]["due"])
    out["commitments_due"] = prf(due_tp, n_c, n_g)
    unmatched["commitments"] = {
        "missed": [
            f"{g['owner']}: {g['text']} (due {g['due']})"
            for j, g in enumerate(gold["commitments"])
            if j not in {b for _, b, _ in pairs}
        ],
        "extra": [
            f"{c['owner']}: {c['text']} (due {c['due']})"
            for i, c in enumerate(commits)
            if i not in {a for a, _, _ in pairs}
        ],
        "wrong_due": [
            f"{commits[i]['owner']}: {commits[i]['text']} (due {commits[i]['due']}, gold "
            f"{gold['commitments'][j]['due']})"
            for i, j, _ in pairs
            if commits[i]["due"] != gold["commitments"][j]["due"]
        ],
    }
    names = {h.tracker for h in insights.competitors}
    pred_comps = {_company(n) for n in names}
    gold_comps = {_company(n) for n in gold["competitors"]}
    out["competitors"] = prf(len(pred_comps & gold_comps), len(pred_comps), len(gold_comps))
    unmatched["competitors"] = {
        "missed": sorted(gold_comps - pred_comps),
        "extra": sorted(pred_comps - gold_comps),
    }
    pred_m = set(meddpicc or ())
    gold_m = set(gold["meddpicc"])
    out["meddpicc"] = prf(len(pred_m & gold_m), len(pred_m), len(gold_m))
    unmatched["meddpicc"] = {"missed": sorted(gold_m - pred_m), "extra": sorted(pred_m - gold_m)}
    out["unmatched"] = unmatched
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def gold_policy(gold: dict[str, Any]) -> Any:
    """Return the policy a labelled call is analysed under: the bundled one, with the call's
    optional `policy` overrides (another selling company, no competitor list) merged in."""
    import yaml

    from sales_operator.policy import default_policy, default_policy_text, parse_policy

    if not gold.get("policy"):
        return default_policy()
    raw = _merge(yaml.safe_load(default_policy_text()), gold["policy"])
    return parse_policy(raw, source=f"{gold['call_id']} policy overrides")


def analyze_sales_call(gold: dict[str, Any], llm: Any = None) -> tuple[Any, set[str] | None]:
    """Analyse one labelled call (offline unless `llm` is given); return insights and MEDDPICC."""
    from sales_operator.llm import LLM
    from sales_operator.meetings import analyze_call, read_transcript

    insights = analyze_call(
        read_transcript(REPO / gold["path"]),
        call_id=gold["call_id"],
        call_date=date.fromisoformat(gold["call_date"]),
        rep_names=set(gold["rep_names"]),
        customer_names=set(gold["customer_names"]),
        policy=gold_policy(gold),
        llm=llm if llm is not None else LLM(None),
    )
    evidenced = {c.key for c in insights.meddpicc if c.evidenced} if insights.meddpicc else None
    return insights, evidenced


def micro(calls: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Micro-average the per-call counts of every sales-call field."""
    return {
        f: prf(
            sum(c[f]["tp"] for c in calls),
            sum(c[f]["predicted"] for c in calls),
            sum(c[f]["gold"] for c in calls),
        )
        for f in SALES_FIELDS
    }


TUNE_SPLITS = frozenset({"tune", "heldout"})
"""The splits tuned on now: round 1 tuned on `tune` (sc01-08) and held out `heldout`
(sc09-14); round 2 tuned on both, so all fourteen calls count as tuned-on."""

HOLDOUT2 = "holdout2"
"""The split written after round 1 (sc15-20) and only ever scored."""

HOLDOUT2_BEFORE = SALES_CALLS.parent / "sales_calls_holdout2_before.json"
"""The figures measured once on `holdout2` (and on sc01-14) before round 2 changed the rules."""

HOLDOUT3 = "holdout3"
"""Eight calls in a deliberately different style (sc21-28: long turns, interruptions, fillers,
speech-to-text output, non-native phrasing, vendors outside the tracked list, two calls sold
by a sales-tech company with no competitor list), written and labelled before round 3
(issue 9) changed any rule, and never tuned on."""

HOLDOUT3_BEFORE = SALES_CALLS.parent / "sales_calls_holdout3_before.json"
"""The figures measured once on every split before round 3 changed the rules."""


TUNE_SPOKEN = "tune_spoken"
"""Three spoken-style calls (sc29-31: non-native phrasing, lower case, fillers,
interruptions) written and labelled in round 4 (issue 9, i9e) before the pain, objection and
trigger cues were broadened, and tuned on; holdout2 and holdout3 were only scored."""

ROUND4_BEFORE = SALES_CALLS.parent / "sales_calls_round4_before.json"
"""The figures measured once on every split before round 4 broadened the cue lexicons."""

HOLDOUT4 = "holdout4"
"""Eight calls by a deliberately different hand (sc32-39, round 5, mq: other sellers under
policy overrides, speech-to-text with no punctuation, non-native phrasing, cross-talk, polite
and indirect objections, competitors named by product), labelled and committed before round 5
changed any rule, and never tuned on: scored once before and once after."""

ROUND5_BEFORE = SALES_CALLS.parent / "sales_calls_round5_before.json"
"""The figures measured once on every split (holdout4 included) before round 5 changed a rule."""

HOLDOUT5 = "holdout5"
"""Eight calls (sc40-47, round 7, cq) sold by sellers of categories no earlier call covers
(e-signature, procurement, observability, help desk, HR onboarding, CPQ, data warehouse,
patient surveys), each under its seller's policy with its usual competitors listed, while the
customers also name vendors the list lacks (by product, nickname, split or lower-case
speech-to-text spelling, possessive, "the X guys", past tools), next to tools they keep and
the seller's and customer's own names. Written and labelled before round 7 changed any rule,
and never tuned on: scored once before and once after."""

HOLDOUT5_BEFORE = SALES_CALLS.parent / "sales_calls_holdout5_before.json"
"""The figures measured once on every split (holdout5 included) before round 7 changed a rule."""

HOLDOUT6 = "holdout6"
"""Eight calls (sc48-55, round 8, cq8) by a deliberately different hand: sellers of kinds no
earlier call covers (sales engagement, revenue intelligence, CRM, security awareness, point of
sale, conversation intelligence, rota scheduling, learning management), five of them without a
competitor list, competitors said every way people say them next to integrations, the
customer's customers and suppliers, places, teams and people. Written and labelled before
round 8 changed any rule, and never tuned on: scored once before and once after."""

HOLDOUT6_BEFORE = SALES_CALLS.parent / "sales_calls_holdout6_before.json"
"""The figures measured once on every split (holdout6 included) before round 8 changed a rule."""


def sales_calls_eval(llm: Any = None) -> dict[str, Any]:
    """Score every labelled sales call; micro-average per split and overall.

    Keys: `tune` (sc01-14, tuned on), `heldout_round1` (sc09-14, held out in round 1 only),
    `holdout2` (sc15-20, never tuned on) and `all`.
    """
    golds = load_gold(SALES_CALLS / "gold.jsonl")
    calls = [score_sales_call(g, *analyze_sales_call(g, llm)) for g in golds]
    return {
        "calls": calls,
        "tune": micro([c for c in calls if c["split"] in TUNE_SPLITS]),
        "heldout_round1": micro([c for c in calls if c["split"] == "heldout"]),
        "holdout2": micro([c for c in calls if c["split"] == HOLDOUT2]),
        "holdout3": micro([c for c in calls if c["split"] == HOLDOUT3]),
        TUNE_SPOKEN: micro([c for c in calls if c["split"] == TUNE_SPOKEN]),
        HOLDOUT4: micro([c for c in calls if c["split"] == HOLDOUT4]),
        HOLDOUT5: micro([c for c in calls if c["split"] == HOLDOUT5]),
        HOLDOUT6: micro([c for c in calls if c["split"] == HOLDOUT6]),
        "all": micro(calls),
    }


def _f(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}"


def _cell(m: dict[str, Any]) -> str:
    return (
        f"{_f(m['precision'])} / {_f(m['recall'])} / {_f(m['f1'])} "
        f"({m['tp']}/{m['predicted']}/{m['gold']})"
    )


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def sales_calls_section() -> tuple[list[str], list[str], dict[str, Any]]:
    """Return the markdown parts, summary lines and results of the labelled sales-call set."""
    result = sales_calls_eval()
    before = _load(BEFORE_TUNING)
    before2 = _load(HOLDOUT2_BEFORE)
    before3 = _load(HOLDOUT3_BEFORE)
    golds = load_gold(SALES_CALLS / "gold.jsonl")
    held3_ids = [g["call_id"] for g in golds if g["split"] == HOLDOUT3]
    tune_ids = [g["call_id"] for g in golds if g["split"] in TUNE_SPLITS]
    held_ids = [g["call_id"] for g in golds if g["split"] == HOLDOUT2]
    parts = [
        "### 4b. Labelled sales calls (tuned-on and held-out)",
        f"{len(golds)} sales calls written for this evaluation "
        "(`evals/datasets/sales_calls/`: discovery, demo, negotiation, renewal and lost-deal "
        "calls in 20 industries, 2-5 speakers, plain/VTT/JSON, timed and untimed; commitments "
        "phrased many ways, including requests accepted by the other side; competitors named "
        "several ways, several outside the tracked list; negations and hypotheticals that "
        "must not be extracted). Gold pains, objections, buying triggers, commitments (owner, "
        "text, due date resolved against the call date), competitors and MEDDPICC criteria "
        "were written with the transcripts and frozen (`gold.jsonl`, append-only) before the "
        "extractor ran on them. Round 1 tuned the rules on sc01-08 and only scored sc09-14. "
        "Round 2 first wrote six new calls "
        f"({', '.join(held_ids)}, split `holdout2`), measured them once "
        "(`datasets/sales_calls_holdout2_before.json`), then tuned the rules on all of "
        f"{tune_ids[0]}-{tune_ids[-1]} only; `holdout2` was only scored. Engine: "
        "`offline:extractive` and `offline:meddpicc-cues` (`LLM(None)`); policy: the default "
        "(tracked competitors FleetPilot, RouteMax, ShipSmart; the others are untracked). "
        "Matching: one-to-one; an item matches a gold item when its quote contains the gold "
        f"evidence span or the texts reach content-word token F1 >= {TEXT_THRESHOLD}; "
        "commitments also need the same owner; competitors by name (spaces and case "
        "ignored); MEDDPICC per (call, criterion). Caveat: one author wrote the calls, the "
        "labels and the rules, so even the held-out figures are optimistic for real calls.",
        "Round 3 (issue 9) first wrote eight calls in a deliberately different style "
        f"({', '.join(held3_ids)}, split `holdout3`: long turns, interruptions, fillers and "
        "repetitions, lower-case speech-to-text output, non-native phrasing, vendors outside "
        "the tracked list named with many verbs, and two calls sold by a sales-tech company "
        "with no competitor list, analysed under a policy override that turns the bundled "
        "vendor lexicon on), labelled them and measured them once "
        "(`datasets/sales_calls_holdout3_before.json`) before any rule changed. The round-3 "
        "rules (competitors by context and lexicon, commitment owners by addressee, undated "
        "commitments, clause-bounded titles) were written for the classes of input; their "
        "errors on holdout3 were looked at once during the work (two fixes: a relative "
        "clause after a filler, and systems only integrated with), so the holdout3 'after' "
        "figure is not a clean held-out estimate. Due dates are resolved by "
        "`meetings.dates` (another change in the same round).",
    ]
    before4 = _load(ROUND4_BEFORE)
    parts.append(
        "Round 4 (issue 9, i9e) wrote and labelled three more spoken-style calls (sc29-31, "
        f"split `{TUNE_SPOKEN}`), measured every split once "
        f"(`datasets/{ROUND4_BEFORE.name}`), then broadened the pain, objection and "
        f"trigger cues by class, tuned on `{TUNE_SPOKEN}` only; holdout2 and holdout3 were "
        "only scored (their error lists were not read for this)."
    )
    parts += _round5_parts(result)
    parts += _round7_parts(result)
    parts += _round8_parts(result)
    columns: list[tuple[str, dict[str, Any]]] = []
    if before4:
        columns.append(("holdout3, before round 4", before4["holdout3"]))
        columns.append(("holdout2, before round 4", before4["holdout2"]))
        if TUNE_SPOKEN in before4:
            columns.append((f"{TUNE_SPOKEN} (sc29-31), before round 4", before4[TUNE_SPOKEN]))
    if TUNE_SPOKEN in result and result[TUNE_SPOKEN]:
        columns.append((f"{TUNE_SPOKEN} (sc29-31, tuned on), now", result[TUNE_SPOKEN]))
    if before3:
        columns.append(("holdout3 (sc21-28), before round 3", before3["holdout3"]))
    columns.append(("holdout3 (sc21-28), now", result["holdout3"]))
    if before2:
        columns.append(("holdout2 (sc15-20), before round 2", before2["holdout2"]))
    columns.append(("holdout2 (sc15-20), now", result["holdout2"]))
    columns.append(("tune (sc01-14, tuned on), now", result["tune"]))
    headers = ["field", *(f"{name} P / R / F1" for name, _ in columns)]
    rows = [[SALES_FIELD_NAMES[f], *(_cell(m[f]) for _, m in columns)] for f in SALES_FIELDS]
    parts.append(
        md_table(headers, rows)
        + "\n\nCells: precision / recall / F1 (matched/predicted/gold), micro-averaged."
    )
    history: list[tuple[str, dict[str, Any]]] = []
    if before:
        history += [
            ("round 0: sc09-14 before any tuning", before["heldout"]),
            ("round 0: sc01-08 before any tuning", before["tune"]),
        ]
    if before2:
        history.append(
            ("round 1: sc09-14 held out, after tuning on sc01-08", before2["heldout_round1"])
        )
        history.append(("round 2: tune (sc01-14) before round 2", before2["tune"]))
    if history:
        parts.append(
            "History (earlier rounds; sc09-14 have been tuned on since round 2, so their "
            "round-1 held-out figure is no longer a generalisation estimate). MEDDPICC did not "
            "exist in round 0.\n\n"
            + md_table(
                ["field", *(f"{name} P / R / F1" for name, _ in history)],
                [[SALES_FIELD_NAMES[f], *(_cell(m[f]) for _, m in history)] for f in SALES_FIELDS],
            )
        )
    misses = []
    for c in result["calls"]:
        if c["split"] != HOLDOUT3:
            continue
        for field, found in c["unmatched"].items():
            for kind in ("missed", "extra", "wrong_due"):
                for item in found.get(kind, []):
                    misses.append(f"- {c['call_id']} {field}: {kind.replace('_', ' ')}: {item}")
    if misses:
        parts.append("holdout3 errors now:\n\n" + "\n".join(misses))
    h = result["holdout3"]
    summary = [
        "meetings (sales calls, holdout3 now, F1): "
        + ", ".join(f"{f} {_f(h[f]['f1'])}" for f in SALES_FIELDS)
    ]
    return (
        parts,
        summary,
        {
            "before_tuning": before,
            "holdout2_before": before2,
            "holdout3_before": before3,
            **result,
        },
    )


def _before_now(
    splits: tuple[tuple[str, str], ...],
    before: dict[str, Any],
    when: str,
    result: dict[str, Any],
    fields: tuple[str, ...],
) -> str:
    """Return a table of each split's figures measured `when` (if stored) and now."""
    columns: list[tuple[str, dict[str, Any]]] = []
    for split, name in splits:
        if split in before:
            columns.append((f"{name}, {when}", before[split]))
        columns.append((f"{name}, now", result[split]))
    return md_table(
        ["field", *(f"{name} P / R / F1" for name, _ in columns)],
        [[SALES_FIELD_NAMES[f], *(_cell(m[f]) for _, m in columns)] for f in fields],
    )


def _round5_parts(result: dict[str, Any]) -> list[str]:
    """Return the round-5 (mq) paragraphs: holdout4 and every split before -> now."""
    before5 = _load(ROUND5_BEFORE)
    golds = load_gold(SALES_CALLS / "gold.jsonl")
    ids = [g["call_id"] for g in golds if g["split"] == HOLDOUT4]
    if not ids:
        return []
    parts = [
        "Round 5 (issue 9, mq) first wrote and labelled eight calls by a deliberately "
        f"different hand ({', '.join(ids)}, split `{HOLDOUT4}`: three sellers other than the "
        "default under policy overrides (payroll/HR, backup, conversation intelligence), "
        "lower-case unpunctuated speech-to-text, Polish/Spanish non-native phrasing, British "
        "and Scottish phrasing, four-person cross-talk with interruptions, polite and "
        "indirect objections, competitors named by product, dates said many ways), committed "
        "the labels and measured every split once on unchanged rules "
        f"(`datasets/{ROUND5_BEFORE.name}`). It then broadened the objection, risk, pain "
        "and trigger cues by class and added a learned sentence classifier "
        "(`meetings.learned`, trained by `evals/insight_model.py`) as the fallback for "
        "customer statements no cue classifies; both were developed on tune material only "
        "(a bank of labelled sentences, `datasets/insight_sentences.tsv`, and the tuned-on "
        "calls). Held-out calls were scored once more at the end; the holdout4 error list "
        "is not printed, so later rounds can still hold it out. Caveats, plainly: one author "
        "wrote holdout4 and then the sentence bank and the cues, knowing what holdout4 says, "
        "so its 'now' figure is optimistic (a same-hand estimate, not an independent one); "
        "that author also read one holdout3 call (sc24) as a format example before writing. "
        "holdout2 was not read.",
    ]
    splits = (
        (HOLDOUT4, "holdout4 (sc32-39)"),
        (HOLDOUT3, "holdout3 (sc21-28)"),
        (HOLDOUT2, "holdout2 (sc15-20)"),
        (TUNE_SPOKEN, "tune_spoken (sc29-31, tuned on)"),
        ("tune", "tune (sc01-14, tuned on)"),
    )
    parts.append(
        _before_now(splits, before5, "before round 5", result, SALES_FIELDS)
        + "\n\nCells: precision / recall / F1 (matched/predicted/gold), micro-averaged. A "
        'delay the system types as a risk ("until the merger is done") counts as a missed '
        "objection here: the gold has no risk field."
    )
    try:
        from evals.insight_model import cross_validate
    except ImportError:  # scikit-learn is a dev dependency
        return parts
    cv = cross_validate()
    rows = [["cue rules alone", *(_cell(cv["rules"][src]["all"]) for src in ("bank", "calls"))]]
    rows += [
        [
            f"rules, then the model at p >= {th}",
            *(_cell(res[src]["all"]) for src in ("bank", "calls")),
        ]
        for th, res in cv["by_threshold"].items()
    ]
    parts.append(
        "The learned classifier, 5-fold cross-validated on the tune material (sentence "
        "level, objection + pain + trigger together; the bank's rows and the tune calls' "
        "customer sentences held out by fold). The cue rules were written on the same bank, "
        "so the 'rules alone' bank figure is in-sample; the model's threshold is the lowest "
        "at which it costs at most 0.05 of the rules' precision on the calls' folds.\n\n"
        + md_table(["decision", "bank P / R / F1", "tune calls P / R / F1"], rows)
    )
    return parts


def _round7_parts(result: dict[str, Any]) -> list[str]:
    """Return the round-7 (cq) paragraphs: holdout5 and every split, before -> now."""
    before7 = _load(HOLDOUT5_BEFORE)
    ids = _split_ids(HOLDOUT5)
    if not ids:
        return []
    parts = [
        "Round 7 (issue 9, cq) first wrote and labelled eight calls "
        f"({', '.join(ids)}, split `{HOLDOUT5}`) sold by sellers of categories no earlier "
        "call covers (e-signature, procurement, observability, help desk, HR onboarding, "
        "CPQ, data warehouse, patient surveys), each under its seller's policy listing its "
        "usual competitors, while the customers also name vendors the list lacks: by product "
        "without the vendor, by nickname, split or lower-case speech-to-text spellings, "
        "possessives, 'the X guys', past tools; next to tools they keep (integrations) and "
        "the seller's and the customer's own names. Formats: Otter, headed, Teams and Zoom "
        "VTT, JSON, plain and lower-case speech-to-text; Australian, British, French, German "
        "and Indian English phrasing. Commitments carry their due phrase. Every split was "
        f"measured once on unchanged rules (`datasets/{HOLDOUT5_BEFORE.name}`) before the "
        "competitor rules changed by class (never by holdout5's names); holdout5 was scored "
        "once more at the end. Its error list is not printed, so later rounds can still hold "
        "it out. Caveat: one author wrote holdout5 and then the rules (a same-hand estimate).",
    ]
    splits = (
        (HOLDOUT5, "holdout5 (sc40-47)"),
        (HOLDOUT4, "holdout4 (sc32-39)"),
        (HOLDOUT3, "holdout3 (sc21-28)"),
        (HOLDOUT2, "holdout2 (sc15-20)"),
        ("tune", "tune (sc01-14)"),
    )
    parts.append(_competitor_table(splits, before7, "before round 7", result))
    return parts


def _split_ids(split: str) -> list[str]:
    """Return the call ids of one split of the labelled sales calls."""
    return [g["call_id"] for g in load_gold(SALES_CALLS / "gold.jsonl") if g["split"] == split]


def _round8_parts(result: dict[str, Any]) -> list[str]:
    """Return the round-8 (cq8) paragraphs: holdout6, holdout4 and every split, before -> now."""
    before8 = _load(HOLDOUT6_BEFORE)
    ids = _split_ids(HOLDOUT6)
    if not ids:
        return []
    parts = [
        "Round 8 (issue 9 items 2 and 9, cq8) first wrote and labelled eight calls by a "
        f"deliberately different hand ({', '.join(ids)}, split `{HOLDOUT6}`): sellers of "
        "kinds no earlier call covers (sales engagement, revenue intelligence, CRM, security "
        "awareness training, restaurant point of sale, conversation intelligence, care-home "
        "rota scheduling, learning management), five of them with no competitor list in "
        "their policy (three of those outside every lexicon category), competitors said many "
        "ways (trialled, a quote from, came in cheaper, our contract with X runs out, X's rep, "
        "leaning towards, ditched, benchmarked against, X-style, possessives, lower-case "
        "speech-to-text, split names, a name led by digits) next to integrations kept, the "
        "customer's customers and suppliers, places and teams, people and sentence-initial "
        "words; Google Meet, Teams and Zoom VTT, JSON, headed, Otter, lower-case plain and "
        "bracket-timed formats; commitments with their due phrases. Every split was measured "
        f"once on unchanged rules (`datasets/{HOLDOUT6_BEFORE.name}`) before the competitor "
        "rules changed by class: more context cues, people (addressed on the call), "
        "places (GeoNames' cities of 15,000+, countries, US states), technologies and "
        "standards, contracts the customer holds with its own customers, and longer names "
        "that start with a lexicon word are not vendors; the lexicon gained seven categories "
        "(e-signature, procurement, observability, help desk, CPQ, data warehouse, surveys). "
        "The rules were developed on the tuned-on splits, on AMI false alarms and on unit "
        "cases; holdout4 and holdout6 errors were not read. Caveats, plainly: one author wrote "
        "holdout6 and then the rules (a same-hand estimate); the new lexicon categories hold "
        "most of holdout5's unlisted vendors (the brief asked for those categories), so "
        "holdout5's 'now' is no longer a held-out figure for competitors; no lexicon category "
        "was added for holdout6's own markets (security awareness, point of sale, rota "
        "scheduling, learning management), so that lexicon could not flatter it. "
        "Commitment code did not change.",
    ]
    splits = (
        (HOLDOUT6, "holdout6 (sc48-55)"),
        (HOLDOUT5, "holdout5 (sc40-47)"),
        (HOLDOUT4, "holdout4 (sc32-39)"),
        (HOLDOUT3, "holdout3 (sc21-28)"),
        (HOLDOUT2, "holdout2 (sc15-20)"),
        ("tune", "tune (sc01-14)"),
    )
    parts.append(_competitor_table(splits, before8, "before round 8", result))
    return parts


def _competitor_table(
    splits: tuple[tuple[str, str], ...], before: dict[str, Any], when: str, result: dict[str, Any]
) -> str:
    """Return the competitor and commitment figures of `splits`, `when` and now, as a table."""
    fields = ("competitors", "commitments", "commitments_due")
    return (
        _before_now(splits, before, when, result, fields)
        + "\n\nCells: precision / recall / F1 (matched/predicted/gold), micro-averaged."
    )


# --- QMSum / AMI talk ratios -------------------------------------------------------------------


def run(out_dir: Path, data_dir: Path, *, include_external: bool = True) -> Section:
    """Run the sales-call extraction section (QMSum/AMI is `evals/qmsum.py`)."""
    del out_dir  # no plots
    results: dict[str, Any] = {}
    parts: list[str] = ["### 4a. Offline extraction against gold labels (in-sample)"]
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

    sc_parts, sc_summary, results["sales_calls"] = sales_calls_section()
    parts += sc_parts
    summary += sc_summary
    alarms = ami_vendor_alarms(data_dir) if include_external else None
    if alarms is not None:
        results["ami_vendor_alarms"] = alarms
        parts.append(
            f"Vendor false alarms on the {alarms['meetings']} QMSum/AMI meetings (product "
            "design meetings: no vendor there is a competitor, so every name `find_vendors` "
            "reports under the bundled policy is a false alarm; distinct names per meeting): "
            f"**{alarms['false_alarms']}** "
            f"({', '.join(f'{m} {n}' for m, n in alarms['names']) or 'none'}). Before round "
            "8: 7 (ES2002d Paintbrush, ES2005b Raj, ES2005c Raj, ES2007b Bluetooth, IS1005b "
            "Linux, IS1005c Velcro, IS1007b Bluetooth: technologies and products, now never "
            "vendors, and a person the call addresses). Before round 7: 12 (those "
            "seven, and David, Craig, Paul, Agnes and Christine, now known as first names)."
        )
        summary.append(f"meetings (AMI vendor false alarms): {alarms['false_alarms']}")
    return Section(
        key="meetings",
        title=TITLE,
        status="ok",
        markdown="\n\n".join(parts),
        results=results,
        summary=summary,
    )


def ami_vendor_alarms(data_dir: Path) -> dict[str, Any] | None:
    """Count the vendors `find_vendors` reports on the QMSum/AMI meetings (None: no data).

    Every speaker is taken as the customer, under the bundled policy; the people on the call
    are excluded, as `analyze_call` does.
    """
    from evals.qmsum import load_meetings, to_segments
    from sales_operator.meetings.extract import sentences
    from sales_operator.meetings.transcript import parse_transcript
    from sales_operator.meetings.vendors import find_vendors, vendor_lexicon
    from sales_operator.policy import default_policy

    folder = data_dir / "qmsum_ami_product_meetings"
    if not (folder / "meetings").is_dir():
        return None
    policy = default_policy()
    detection = policy.meetings.competitor_detection
    names: list[tuple[str, str]] = []
    meetings = load_meetings(folder)
    for mid, record in meetings:
        turns = record["meeting_transcripts"]
        transcript = parse_transcript(to_segments(turns, timed=True), name=mid, format="json")
        units = sentences(transcript, {s: "customer" for s in transcript.speakers})
        found = find_vendors(
            units,
            excluded=[*transcript.speakers, policy.company.name, policy.company.product],
            tracked=policy.meetings.competitors,
            vendors=vendor_lexicon(policy),
            not_competitors=detection.not_competitors,
            min_confidence=detection.min_confidence,
        )
        names += [(mid, n) for n in sorted({m.name for m in found})]
    return {"meetings": len(meetings), "false_alarms": len(names), "names": names}


def _show(item: Any) -> str:
    if isinstance(item, dict):
        return f"{item['owner']}: {item['text']} (due {item['due'] or 'none'})"
    return str(item)
