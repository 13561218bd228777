"""Train the decision classifier of `sales_operator.meetings.decision_model` on weak labels.

Material: the 74 QMSum AMI meetings that are not hand-labelled, with the weak labels of
`evals/ami_weak_labels.py` (sentences aligned to QMSum's reference answers that report a
decision; the other sentences of the answers' spans are `none`). The 23 hand-labelled
meetings of `evals/ami_actions.py` are never read here.

Cross-validation (`FOLDS` folds by meeting) gives precision and recall against the weak
labels for each threshold, for the model and for the rules alone (`find_decisions`). The
threshold is the lowest at which the model, as a fallback for sentences the rules do not
read as decisions, keeps the weak-label precision of rules-plus-model at least
`MIN_PRECISION` of the rules' own. The final fit (all material) is written to
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
MIN_PRECISION = 0.9
"""Share of the rules' weak-label precision that rules-plus-model must keep."""
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)


def rows(data_dir: Path) -> list[dict[str, Any]]:
    """Return one row per labelled sentence: meeting, features, label, what the rules say."""
    from sales_operator.meetings.decision_model import context_features
    from sales_operator.meetings.decisions import find_decisions

    out = []
    for mid, (units, labels) in weak_material(data_dir).items():
        by_turn: dict[int, list[Any]] = {}
        for s in units:
            by_turn.setdefault(s.turn, []).append(s)
        order = sorted(by_turn)
        ruled = {(d.quote, d.speaker, d.start) for d in find_decisions(units)}
        for lab in labels:
            if lab.kind == "commitment":
                continue
            s = units[lab.position]
            out.append(
                {
                    "meeting": mid,
                    "features": context_features(units, lab.position, by_turn, order),
                    "label": int(lab.kind == "decision"),
                    "rule": (s.text, s.speaker, s.start) in ruled,
                }
            )
    return out


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


def cross_validate(data: list[dict[str, Any]]) -> dict[str, Any]:
    """Return weak-label P/R of the rules, and of rules-plus-model per threshold, on held folds."""
    from sales_operator.meetings.decision_model import DecisionModel

    meetings = sorted({r["meeting"] for r in data})
    fold_of = {m: i % FOLDS for i, m in enumerate(meetings)}
    probs: list[float] = [0.0] * len(data)
    for k in range(FOLDS):
        train = [r for r in data if fold_of[r["meeting"]] != k]
        model = DecisionModel(fit(train))
        for i, r in enumerate(data):
            if fold_of[r["meeting"]] == k:
                probs[i] = model.probability(r["features"])
    gold = sum(r["label"] for r in data)
    rules = _prf(
        sum(r["rule"] and r["label"] for r in data), sum(bool(r["rule"]) for r in data), gold
    )
    by_threshold = {}
    for t in THRESHOLDS:
        model_only = [p >= t for p in probs]
        both = [r["rule"] or m for r, m in zip(data, model_only, strict=True)]
        by_threshold[t] = {
            "model": _prf(
                sum(m and r["label"] for r, m in zip(data, model_only, strict=True)),
                sum(model_only),
                gold,
            ),
            "rules+model": _prf(
                sum(b and r["label"] for r, b in zip(data, both, strict=True)), sum(both), gold
            ),
        }
    return {"rows": len(data), "gold": gold, "rules": rules, "thresholds": by_threshold}


def choose_threshold(cv: dict[str, Any]) -> float:
    """Return the lowest threshold whose rules-plus-model precision keeps `MIN_PRECISION`."""
    floor = (cv["rules"]["precision"] or 0.0) * MIN_PRECISION
    for t in THRESHOLDS:
        if (cv["thresholds"][t]["rules+model"]["precision"] or 0.0) >= floor:
            return t
    return THRESHOLDS[-1]


def _fmt(m: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    return f"P {f(m['precision'])} R {f(m['recall'])} ({m['tp']}/{m['predicted']}/{m['gold']})"


def main() -> None:
    """Cross-validate, print the figures, and with `--write` write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    data = rows(args.data)
    cv = cross_validate(data)
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
