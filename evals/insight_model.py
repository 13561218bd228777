"""Train the sentence classifier of `sales_operator.meetings.learned` (round 5, mq).

Training material (tune only; the held-out calls, splits `holdout2`, `holdout3`, `holdout4`,
`holdout5` and `holdout6`, are never read here):

* `evals/datasets/insight_sentences.tsv`: customer sentences labelled objection, pain,
  trigger or none, written for the classes in many industries;
* the customer sentences of the tuned-on sales calls (`tune`, `heldout`, `tune_spoken`): a
  sentence is labelled with the kind of the gold item whose evidence span it contains (or
  lies in), else `none`.

Cross-validation (5 folds by call and by bank row) chooses the probability threshold: the
lowest one at which the rules-then-model decision costs at most `PRECISION_COST` of the
rules' own precision on the held folds of the tune calls. The weights of the final fit (all
material) are written to `src/sales_operator/data/insight_model.json`:

    python -m evals.insight_model            # report the cross-validated figures
    python -m evals.insight_model --write    # and write the model file
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from evals.meetings import (
    HOLDOUT2,
    HOLDOUT3,
    HOLDOUT4,
    HOLDOUT5,
    HOLDOUT6,
    REPO,
    SALES_CALLS,
    load_gold,
)

BANK = Path(__file__).resolve().parent / "datasets" / "insight_sentences.tsv"
OUT = REPO / "src" / "sales_operator" / "data" / "insight_model.json"
HELD_OUT = frozenset({HOLDOUT2, HOLDOUT3, HOLDOUT4, HOLDOUT5, HOLDOUT6})
C = 0.5
"""Inverse L2 strength of the logistic regression."""
MIN_COUNT = 2
"""A feature seen in fewer training sentences is dropped."""
PRECISION_COST = 0.05
"""Most held-fold precision on the tune calls (the three kinds together) the model may cost
against the rules alone."""
FOLDS = 5
KINDS = ("none", "objection", "pain", "trigger")


def bank_rows(path: Path = BANK) -> list[tuple[str, str]]:
    """Return `(kind, sentence)` rows of the sentence bank."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, text = line.split("\t", 1)
            rows.append((kind.strip(), text.strip()))
    return rows


def call_rows(*, with_reps: bool = False) -> list[tuple[str, str, str]]:
    """Return `(call_id, kind, sentence)` for every customer sentence of the tune calls.

    With `with_reps`, the reps' statements are added with the kind `rep` (trained as `none`:
    product descriptions and plans, the descriptive talk the model must not take for a pain;
    never scored).
    """
    from sales_operator.meetings import read_transcript
    from sales_operator.meetings.extract import sentences, squash

    out = []
    for g in load_gold(SALES_CALLS / "gold.jsonl"):
        if g["split"] in HELD_OUT:
            continue
        transcript = read_transcript(REPO / g["path"])
        customers = set(g["customer_names"])
        sides = {s: ("customer" if s in customers else "rep") for s in transcript.speakers}
        spans = [
            (kind, squash(item["evidence"]))
            for kind, field in (("objection", "objections"), ("pain", "pains"))
            for item in g[field]
        ] + [("trigger", squash(item["evidence"])) for item in g["triggers"]]
        for s in sentences(transcript, sides):
            text = squash(s.text)
            if s.question or len(text.split()) < 3:
                continue
            if s.side != "customer":
                if with_reps:
                    out.append((g["call_id"], "rep", s.text))  # trained as `none`
                continue
            kind = next(
                (k for k, ev in spans if ev and (ev in text or (len(text) > 20 and text in ev))),
                "none",
            )
            out.append((g["call_id"], kind, s.text))
    return out


def training_material() -> tuple[list[str], list[str]]:
    """Return the texts and labels of the final fit: the bank, then the tune calls."""
    bank = bank_rows()
    calls = call_rows(with_reps=True)
    texts = [t for _, t in bank] + [t for _, _, t in calls]
    labels = [k for k, _ in bank] + [_label(k) for _, k, _ in calls]
    return texts, labels


def _label(kind: str) -> str:
    return "none" if kind == "rep" else kind


def _fit(texts: list[str], labels: list[str]) -> dict[str, Any]:
    from collections import Counter

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from sales_operator.meetings.learned import features

    counts: Counter[str] = Counter(f for t in texts for f in set(features(t)))
    keep = {f for f, n in counts.items() if n >= MIN_COUNT}
    vec = DictVectorizer()
    x = vec.fit_transform([dict.fromkeys(set(features(t)) & keep, 1) for t in texts])
    clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    clf.fit(x, labels)
    order = [list(clf.classes_).index(k) for k in KINDS]
    weights = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        w = [round(float(clf.coef_[i, j]), 4) for i in order]
        if max(abs(v) for v in w) >= 0.01:
            weights[str(name)] = w
    bias = [round(float(clf.intercept_[i]), 4) for i in order]
    return {"kinds": list(KINDS), "weights": weights, "bias": bias, "threshold": 0.5}


def _decide(text: str, model: Any, threshold: float) -> str:
    from sales_operator.meetings.extract import classify, learnable, rules_decline, straight_quotes

    if rules_decline(text):
        return "none"
    rule = classify(text, learned=False)
    if rule is not None:
        return "objection" if rule == "risk" else rule
    plain = straight_quotes(text)
    return (model.kind(plain, threshold) if learnable(plain) else None) or "none"


def _score(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out = {}
    for kind in (*KINDS[1:], "all"):
        want = set(KINDS[1:]) if kind == "all" else {kind}
        tp = sum(1 for g, p in pairs if p in want and p == g)
        pred = sum(1 for _, p in pairs if p in want)
        gold = sum(1 for g, _ in pairs if g in want)
        p = tp / pred if pred else None
        r = tp / gold if gold else None
        out[kind] = {
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p and r else None,
            "tp": tp,
            "predicted": pred,
            "gold": gold,
        }
    return out


def cross_validate(
    thresholds: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9),
) -> dict[str, Any]:
    """Return rules-only and rules-then-model figures on held folds, per threshold."""
    from sales_operator.meetings.learned import Model

    bank = bank_rows()
    calls = call_rows(with_reps=True)
    rng = random.Random(5)
    call_ids = sorted({c for c, _, _ in calls})
    rng.shuffle(call_ids)
    fold_of_call = {c: i % FOLDS for i, c in enumerate(call_ids)}
    items = [(i % FOLDS, k, t, "bank") for i, (k, t) in enumerate(bank)] + [
        (fold_of_call[c], k, t, "calls") for c, k, t in calls
    ]
    preds: dict[float, list[tuple[str, str, str]]] = {t: [] for t in thresholds}
    rules: list[tuple[str, str, str]] = []
    for fold in range(FOLDS):
        train = [(_label(k), t) for f, k, t, _ in items if f != fold]
        model = Model(_fit([t for _, t in train], [k for k, _ in train]))
        for f, k, t, src in items:
            if f != fold or k == "rep":
                continue
            rules.append((src, k, _decide(t, model, 2.0)))
            for th in thresholds:
                preds[th].append((src, k, _decide(t, model, th)))
    result: dict[str, Any] = {"rules": {}, "by_threshold": {}}
    for src in ("bank", "calls"):
        result["rules"][src] = _score([(g, p) for s, g, p in rules if s == src])
        for th in thresholds:
            result["by_threshold"].setdefault(th, {})[src] = _score(
                [(g, p) for s, g, p in preds[th] if s == src]
            )
    return result


def _calls_precision(res: dict[str, Any]) -> float:
    p = res["calls"]["all"]["precision"]
    return float(p) if p is not None else 0.0


def choose_threshold(cv: dict[str, Any]) -> float:
    """The lowest threshold whose held-fold precision on the tune calls' customer sentences
    is at most `PRECISION_COST` below that of the rules alone (the highest when none is).

    The calls, not the bank, set it: their `none` sentences are real descriptive talk, the
    bank's are easy."""
    floor = _calls_precision(cv["rules"]) - PRECISION_COST
    for th in sorted(cv["by_threshold"]):
        if _calls_precision(cv["by_threshold"][th]) >= floor:
            return float(th)
    return float(max(cv["by_threshold"]))


def train(write: bool = False) -> dict[str, Any]:
    """Cross-validate, fit on all tune material, and optionally write the model file."""
    cv = cross_validate()
    threshold = choose_threshold(cv)
    bank = bank_rows()
    calls = call_rows(with_reps=True)
    data = _fit(*training_material())
    data["threshold"] = threshold
    data["trained_on"] = {
        "bank_sentences": len(bank),
        "call_sentences": len(calls),
        "calls": sorted({c for c, _, _ in calls}),
        "rep_sentences_as_none": sum(1 for _, k, _ in calls if k == "rep"),
        "C": C,
        "min_count": MIN_COUNT,
        "precision_cost": PRECISION_COST,
    }
    if write:
        OUT.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")
    return {"cv": cv, "threshold": threshold, "features": len(data["weights"])}


def _fmt(m: dict[str, Any]) -> str:
    p, r = m["precision"], m["recall"]
    ps = "-" if p is None else f"{p:.2f}"
    rs = "-" if r is None else f"{r:.2f}"
    return f"{ps}/{rs} ({m['tp']}/{m['predicted']}/{m['gold']})"


def main() -> None:
    """Print the cross-validated figures; `--write` also writes the model file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    out = train(write=args.write)
    cv = out["cv"]
    for src in ("bank", "calls"):
        print(src, "rules only:", {k: _fmt(v) for k, v in cv["rules"][src].items()})
        for th, res in cv["by_threshold"].items():
            print(f"  {src} rules+model @{th}:", {k: _fmt(v) for k, v in res[src].items()})
    print("threshold", out["threshold"], "features", out["features"])


if __name__ == "__main__":
    main()
