"""Train the decision classifier of `sales_operator.meetings.decision_model` on weak labels.

Material: the 74 QMSum AMI meetings that are not hand-labelled, with the weak labels of
`evals/ami_weak_labels.py` (sentences aligned to QMSum's reference answers that report a
decision; the other sentences of the answers' spans are `none`). The 23 hand-labelled
meetings of `evals/ami_actions.py` are never read here.

Cross-validation (`FOLDS` folds by meeting) gives precision and recall against the weak
labels for each threshold, for the model, the rules alone (`find_decisions` without the
model) and rules-plus-model; a predicted decision counts when it lies within `WINDOW` turns
of a weak one (the weak label marks the neighbourhood, not the exact sentence, see
`evals/ami_weak_labels.py`). The threshold is the lowest at which rules-plus-model keeps
`MIN_PRECISION` of the rules' own precision. The final fit (all material) is written to
`src/sales_operator/data/decision_model.json`:

    python -m evals.ami_decision_model --data ../shared/data            # figures
    python -m evals.ami_decision_model --data ../shared/data --write    # and the model file
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from evals.ami_weak_labels import weak_material

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "sales_operator" / "data" / "decision_model.json"
C = 0.3
"""Inverse L2 strength of the logistic regression."""
MIN_COUNT = 3
"""A feature seen in fewer training sentences is dropped."""
FOLDS = 5
MIN_PRECISION = 0.85
"""Share of the rules' window precision (weak labels) that rules-plus-model must keep."""
WINDOW = 5
"""Turns of slack between a predicted decision and a weak one."""
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)


def rows(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Return the labelled sentences, and per meeting what the window scores need.

    A row: meeting, turn, features, label (1: a weak decision). Per meeting: the turns of
    the weak decisions, the turns labelled at all (the answers' spans), and the turns of the
    rules' decisions (`find_decisions` without the model).
    """
    from sales_operator.meetings.decision_model import MeetingContext
    from sales_operator.meetings.decisions import find_decisions

    out = []
    meetings: dict[str, dict[str, Any]] = {}
    for mid, (units, labels) in weak_material(data_dir).items():
        meeting = MeetingContext(units)
        where = {(s.text, s.speaker, s.start): s.turn for s in units}
        rule_turns = [
            where[(d.quote, d.speaker, d.start)] for d in find_decisions(units, learned=False)
        ]
        meetings[mid] = {
            "positives": [units[lab.position].turn for lab in labels if lab.kind == "decision"],
            "spans": sorted({units[lab.position].turn for lab in labels}),
            "rules": rule_turns,
        }
        for lab in labels:
            if lab.kind == "commitment":
                continue
            s = units[lab.position]
            out.append(
                {
                    "meeting": mid,
                    "turn": s.turn,
                    "features": meeting.features(lab.position),
                    "label": int(lab.kind == "decision"),
                }
            )
    return out, meetings


def fit(train: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit the logistic regression; return the model's JSON form (threshold 0.5)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts: Counter[str] = Counter(f for r in train for f in set(r["features"]))
    keep = {f for f, n in counts.items() if n >= MIN_COUNT}
    vec = DictVectorizer()
    x = vec.fit_transform([dict.fromkeys(set(r["features"]) & keep, 1) for r in train])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    clf.fit(x, [r["label"] for r in train])
    weights = {
        str(name): round(float(w), 4)
        for name, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
        if abs(w) >= 0.01
    }
    return {"weights": weights, "bias": round(float(clf.intercept_[0]), 4), "threshold": 0.5}


def _prf(tp: int, pred: int, gold: int) -> dict[str, float | int | None]:
    p = tp / pred if pred else None
    r = tp / gold if gold else None
    f = 2 * p * r / (p + r) if p and r else None
    return {"tp": tp, "predicted": pred, "gold": gold, "precision": p, "recall": r, "f1": f}


def window_score(
    predicted: dict[str, list[int]], meetings: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Score predicted turns against the weak decisions with `WINDOW` turns of slack.

    Only predictions within `WINDOW` turns of a labelled turn count (the rest of a meeting
    is not labelled). Precision is a lower bound: QMSum's answers do not report every
    decision.
    """
    tp = pred = hit = gold = 0
    for mid, m in meetings.items():
        spans, pos = m["spans"], m["positives"]
        turns = [t for t in predicted.get(mid, []) if any(abs(t - s) <= WINDOW for s in spans)]
        pred += len(turns)
        tp += sum(any(abs(t - p) <= WINDOW for p in pos) for t in turns)
        gold += len(pos)
        hit += sum(any(abs(t - p) <= WINDOW for t in turns) for p in pos)
    p = tp / pred if pred else None
    r = hit / gold if gold else None
    f = 2 * p * r / (p + r) if p and r else None
    return {
        "tp": tp,
        "predicted": pred,
        "gold": gold,
        "found": hit,
        "precision": p,
        "recall": r,
        "f1": f,
    }


def cross_validate(
    data: list[dict[str, Any]], meetings: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Return window P/R of the rules, the model and rules-plus-model per threshold (held folds)."""
    from sales_operator.meetings.decision_model import DecisionModel

    ids = sorted(meetings)
    fold_of = {m: i % FOLDS for i, m in enumerate(ids)}
    probs: list[float] = [0.0] * len(data)
    for k in range(FOLDS):
        train = [r for r in data if fold_of[r["meeting"]] != k]
        model = DecisionModel(fit(train))
        for i, r in enumerate(data):
            if fold_of[r["meeting"]] == k:
                probs[i] = model.probability(r["features"])
    rules = {mid: m["rules"] for mid, m in meetings.items()}
    by_threshold = {}
    for t in THRESHOLDS:
        learned: dict[str, list[int]] = {}
        for r, p in zip(data, probs, strict=True):
            if p >= t and "rule:decision" not in r["features"]:
                learned.setdefault(r["meeting"], []).append(r["turn"])
        both = {mid: sorted({*rules.get(mid, []), *learned.get(mid, [])}) for mid in meetings}
        by_threshold[t] = {
            "model": window_score(learned, meetings),
            "rules+model": window_score(both, meetings),
        }
    return {
        "rows": len(data),
        "gold": sum(r["label"] for r in data),
        "rules": window_score(rules, meetings),
        "thresholds": by_threshold,
    }


def choose_threshold(cv: dict[str, Any]) -> float:
    """Return the lowest threshold at which rules-plus-model keeps `MIN_PRECISION` of the
    rules' own window precision against the weak labels (held folds)."""
    floor = (cv["rules"]["precision"] or 0.0) * MIN_PRECISION
    for t in THRESHOLDS:
        if (cv["thresholds"][t]["rules+model"]["precision"] or 0.0) >= floor:
            return t
    return THRESHOLDS[-1]


def _fmt(m: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    return (
        f"P {f(m['precision'])} R {f(m['recall'])} "
        f"({m['tp']}/{m['predicted']} predictions near a weak decision, "
        f"{m.get('found', m['tp'])}/{m['gold']} weak decisions found)"
    )


def main() -> None:
    """Cross-validate, print the figures, and with `--write` write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    data, meetings = rows(args.data)
    cv = cross_validate(data, meetings)
    print(f"{cv['rows']} labelled sentences, {cv['gold']} weak decisions")
    print(f"rules alone: {_fmt(cv['rules'])}")
    for t, m in cv["thresholds"].items():
        print(f"t={t:.2f} model {_fmt(m['model'])} | rules+model {_fmt(m['rules+model'])}")
    threshold = choose_threshold(cv)
    print(f"chosen threshold: {threshold}")
    if args.write:
        model = fit(data)
        model["threshold"] = threshold
        model["trained_on"] = (
            f"weak labels of {len({r['meeting'] for r in data})} QMSum AMI meetings "
            "(evals/ami_weak_labels.py); the 23 hand-labelled meetings excluded"
        )
        OUT.write_text(json.dumps(model, sort_keys=True, indent=0) + "\n", "utf-8")
        print(f"wrote {OUT} ({len(model['weights'])} features)")


if __name__ == "__main__":
    main()
