"""Section 2: the conversion model.

(a) The bundled history (`src/sales_operator/data/closed_deals.csv`): the model card of
`sales_operator.scoring.model.train_scorer`, and its calibrated predictions on the card's own
test slice (the latest 20 % by `closed_at`, rebuilt from the card's row counts and checked
against the card's AUC), next to the policy's transparent `RulesScorer` on the same rows.

(b) X Education `Leads.csv` (external, optional): a plain XGBoost and a logistic-regression
baseline on a stratified 80/20 split (seed 0), without the columns SOURCE.md marks as
leaking the outcome.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evals import Section, md_table, pyplot

TITLE = "2. Scoring"

FloatArray = npt.NDArray[np.float64]

ECE_BINS = 10
"""Equal-width probability bins for the expected calibration error and the plots."""

LEAKY_COLUMNS: tuple[str, ...] = (
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Notable Activity",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
)
"""Filled in by the sales team during or after contact (SOURCE.md): left out."""

ID_COLUMNS: tuple[str, ...] = ("Prospect ID", "Lead Number")
"""Identifiers: left out."""

TARGET = "Converted"
"""The X Education label."""

NUMERIC_COLUMNS: tuple[str, ...] = (
    "TotalVisits",
    "Total Time Spent on Website",
    "Page Views Per Visit",
)
"""X Education's numeric columns; every other kept column is categorical."""

SEED = 0
"""Split and model seed."""


# --- metrics ----------------------------------------------------------------------------------


def ece(labels: FloatArray, probs: FloatArray, bins: int = ECE_BINS) -> float:
    """Return the expected calibration error over `bins` equal-width bins of [0, 1]."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probs, edges[1:-1], right=False), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(float(probs[mask].mean()) - float(labels[mask].mean()))
    return float(total)


def reliability(
    labels: FloatArray, probs: FloatArray, bins: int = ECE_BINS
) -> list[dict[str, float]]:
    """Return, for each non-empty bin, the mean prediction, the observed rate and the count."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probs, edges[1:-1], right=False), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            out.append(
                {
                    "bin_low": float(edges[b]),
                    "mean_predicted": float(probs[mask].mean()),
                    "observed_rate": float(labels[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    return out


def pr_auc(labels: FloatArray, probs: FloatArray) -> float:
    """Return the area under the precision-recall curve (average precision)."""
    order = np.argsort(-probs, kind="mergesort")
    y = labels[order]
    n_pos = float(y.sum())
    if n_pos == 0:
        return float("nan")
    tp = np.cumsum(y)
    precision = tp / np.arange(1, len(y) + 1)
    # average precision: mean precision at each positive, with ties grouped
    scores = probs[order]
    last_of_group = np.r_[scores[1:] != scores[:-1], True]
    tp_g, prec_g = tp[last_of_group], precision[last_of_group]
    recall_steps = np.diff(np.r_[0.0, tp_g]) / n_pos
    return float(np.sum(recall_steps * prec_g))


def binary_metrics(labels: FloatArray, probs: FloatArray) -> dict[str, Any]:
    """Return ROC AUC, PR AUC, Brier, ECE and the base rate for probabilities `probs`."""
    from sales_operator.scoring.model import brier, roc_auc

    return {
        "rows": int(len(labels)),
        "positives": int(labels.sum()),
        "base_rate": float(labels.mean()) if len(labels) else None,
        "roc_auc": roc_auc(labels, probs),
        "pr_auc": pr_auc(labels, probs),
        "brier": brier(labels, probs),
        "ece_10": ece(labels, probs),
        "mean_predicted": float(probs.mean()) if len(probs) else None,
    }


def plot_reliability(
    curves: dict[str, tuple[FloatArray, FloatArray]], title: str, path: Path
) -> None:
    """Draw a reliability diagram (one line per model) with a histogram of predictions."""
    plt = pyplot()
    fig, (ax, hist) = plt.subplots(
        2, 1, figsize=(6.0, 6.4), dpi=110, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
    for name, (labels, probs) in curves.items():
        pts = reliability(labels, probs)
        xs = [p["mean_predicted"] for p in pts]
        ys = [p["observed_rate"] for p in pts]
        sizes = [max(8.0, 120.0 * p["count"] / len(labels)) for p in pts]
        line = ax.plot(xs, ys, marker=None, lw=1.5, label=f"{name} (ECE {ece(labels, probs):.3f})")
        ax.scatter(xs, ys, s=sizes, color=line[0].get_color(), zorder=3)
        hist.hist(probs, bins=np.linspace(0, 1, ECE_BINS + 1), histtype="step", lw=1.5, label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.03)
    ax.set_ylabel("observed positive rate")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    hist.set_xlabel(f"predicted probability ({ECE_BINS} equal-width bins; dot size = share)")
    hist.set_ylabel("rows")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- (a) the bundled history -------------------------------------------------------------------


def _closed(value: Any) -> datetime:
    d = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def bundled(out_dir: Path) -> dict[str, Any]:
    """Train the bundled scorer, rebuild its test slice, and compare it with the rules model."""
    from sales_operator.policy import default_policy
    from sales_operator.scoring.model import (
        RulesScorer,
        XGBScorer,
        read_closed_deals_csv,
        roc_auc,
        train_scorer,
    )

    policy = default_policy()
    rows = read_closed_deals_csv()
    started = time.perf_counter()
    scorer = train_scorer(rows, policy)
    train_s = time.perf_counter() - started
    rules = RulesScorer(policy)
    result: dict[str, Any] = {
        "data": "src/sales_operator/data/closed_deals.csv",
        "rows": len(rows),
        "engine": scorer.engine,
        "version": scorer.version,
        "train_seconds": round(train_s, 2),
    }
    if not isinstance(scorer, XGBScorer):
        result["note"] = getattr(scorer, "note", "")
        result["card_metrics"] = dict(scorer.metrics)
        return result
    card = scorer.card
    result["card"] = {
        "rows": card.get("rows"),
        "slices": card.get("slices"),
        "metrics": card.get("metrics"),
        "best_iteration": card.get("best_iteration"),
        "calibration": card.get("calibration"),
    }
    # the card's test slice: the latest `rows.test` deals by closed_at (ties by file order),
    # exactly as train_scorer orders them
    order = sorted(range(len(rows)), key=lambda i: (_closed(rows[i]["closed_at"]), i))
    n_test = int(card["rows"]["test"])
    test_rows = [rows[i] for i in order[len(order) - n_test :]]
    y = np.array([1.0 if str(r["outcome"]).strip().casefold() == "won" else 0.0 for r in test_rows])
    p_xgb = scorer.predict_proba(test_rows)
    p_rules = np.array([rules.predict(r).probability for r in test_rows])
    auc_check = roc_auc(y, p_xgb)
    card_auc = card["metrics"].get("roc_auc")
    matches = auc_check is not None and card_auc is not None and abs(auc_check - card_auc) < 1e-9
    result["test_slice"] = {
        "rows": n_test,
        "closed_from": test_rows[0]["closed_at"] if test_rows else None,
        "closed_to": test_rows[-1]["closed_at"] if test_rows else None,
        "rebuilt_matches_card_auc": matches,
    }
    result["xgboost"] = binary_metrics(y, p_xgb)
    result["rules"] = binary_metrics(y, p_rules)
    result["xgboost"]["reliability"] = reliability(y, p_xgb)
    result["rules"]["reliability"] = reliability(y, p_rules)
    figure = "scoring_bundled_calibration.png"
    plot_reliability(
        {f"XGBoost + Platt ({scorer.version})": (y, p_xgb), "rules (policy points)": (y, p_rules)},
        f"Bundled history: test slice, {n_test} latest deals",
        out_dir / figure,
    )
    result["figure"] = figure
    return result


# --- (b) X Education ---------------------------------------------------------------------------


def _xeducation_frame(path: Path) -> tuple[Any, FloatArray, list[str], list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    if not records:
        raise ValueError(f"{path} has no rows")
    columns = list(records[0])
    missing = [c for c in (TARGET, *NUMERIC_COLUMNS) if c not in columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    drop = {TARGET, *ID_COLUMNS, *LEAKY_COLUMNS}
    categorical = [c for c in columns if c not in drop and c not in NUMERIC_COLUMNS]
    numeric = [c for c in NUMERIC_COLUMNS if c in columns]

    def clean(value: str | None) -> str | None:
        text = (value or "").strip()
        return None if text in ("", "Select") else text  # "Select": the form's placeholder

    def number(value: str | None) -> float:
        text = clean(value)
        return float(text) if text is not None else float("nan")

    y = np.array([float(r[TARGET]) for r in records])
    table: dict[str, list[Any]] = {c: [clean(r[c]) for r in records] for c in categorical}
    table.update({c: [number(r[c]) for r in records] for c in numeric})
    return table, y, categorical, numeric


def encode(
    table: dict[str, list[Any]],
    categorical: list[str],
    numeric: list[str],
    train: npt.NDArray[np.int64],
    test: npt.NDArray[np.int64],
    *,
    scale: bool,
) -> tuple[FloatArray, FloatArray]:
    """Return train and test matrices: one-hot categories, then the numbers.

    Categories seen fewer than 10 times in the training rows are pooled; a missing value is
    its own category. Numbers stay as they are (NaN for missing, left to XGBoost), or with
    `scale` are median-imputed and standardised (for the logistic regression). Every
    statistic is learned on the training rows only.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    n = len(next(iter(table.values())))
    cats = np.empty((n, len(categorical)), dtype=object)
    for j, c in enumerate(categorical):
        cats[:, j] = ["(missing)" if v is None else v for v in table[c]]
    nums = np.column_stack([np.asarray(table[c], dtype=np.float64) for c in numeric])
    onehot = OneHotEncoder(
        handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False
    )
    c_train, c_test = onehot.fit_transform(cats[train]), onehot.transform(cats[test])
    n_train, n_test = nums[train], nums[test]
    if scale:
        imputer, scaler = SimpleImputer(strategy="median"), StandardScaler()
        n_train = scaler.fit_transform(imputer.fit_transform(n_train))
        n_test = scaler.transform(imputer.transform(n_test))
    return (
        np.hstack([c_train, n_train]).astype(np.float64),
        np.hstack([c_test, n_test]).astype(np.float64),
    )


def xeducation(csv_path: Path, out_dir: Path) -> dict[str, Any]:
    """Train XGBoost and logistic regression on X Education without the leaky columns."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from xgboost import XGBClassifier

    table, y, categorical, numeric = _xeducation_frame(csv_path)
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=0.2, random_state=SEED, stratify=y)

    def fit_predict(model: str, cats: list[str]) -> tuple[FloatArray, int]:
        x_train, x_test = encode(table, cats, numeric, train, test, scale=model == "logreg")
        if model == "logreg":
            est: Any = LogisticRegression(max_iter=5000, C=1.0)
        else:
            est = XGBClassifier(
                n_estimators=300,
                max_depth=4,
                learning_rate=0.05,
                subsample=0.9,
                colsample_bytree=0.9,
                tree_method="hist",
                n_jobs=2,
                random_state=SEED,
                eval_metric="logloss",
            )
        est.fit(x_train, y[train])
        return np.asarray(est.predict_proba(x_test)[:, 1], dtype=np.float64), x_train.shape[1]

    started = time.perf_counter()
    y_test = y[test]
    models: dict[str, dict[str, Any]] = {}
    probs: dict[str, FloatArray] = {}
    runs = [
        ("logistic regression", "logreg", categorical),
        ("XGBoost", "xgboost", categorical),
        (
            "XGBoost without Last Activity (sensitivity)",
            "xgboost",
            [c for c in categorical if c != "Last Activity"],
        ),
    ]
    for name, kind, cats in runs:
        t = time.perf_counter()
        p, width = fit_predict(kind, cats)
        probs[name] = p
        models[name] = binary_metrics(y_test, p)
        models[name]["seconds"] = round(time.perf_counter() - t, 2)
        models[name]["features"] = len(cats) + len(numeric)
        models[name]["encoded_columns"] = int(width)
    figure = "scoring_xeducation_calibration.png"
    plot_reliability(
        {k: (y_test, probs[k]) for k in ("logistic regression", "XGBoost")},
        f"X Education: stratified 20 % test split ({len(test)} leads)",
        out_dir / figure,
    )
    return {
        "data": str(csv_path),
        "rows": int(len(y)),
        "converted_rate": float(y.mean()),
        "split": {
            "method": "stratified 80/20",
            "seed": SEED,
            "train": int(len(train)),
            "test": int(len(test)),
        },
        "dropped_leaky": list(LEAKY_COLUMNS),
        "dropped_ids": list(ID_COLUMNS),
        "categorical": categorical,
        "numeric": numeric,
        "models": models,
        "seconds": round(time.perf_counter() - started, 2),
        "figure": figure,
    }


# --- the section -------------------------------------------------------------------------------


def _metric_rows(models: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [
        [name, m["roc_auc"], m["pr_auc"], m["brier"], m["ece_10"], m["mean_predicted"]]
        for name, m in models.items()
    ]


METRIC_HEADERS = ["model", "ROC AUC", "PR AUC", "Brier", "ECE (10 bins)", "mean predicted"]


def run(out_dir: Path, data_dir: Path, *, include_external: bool = True) -> Section:
    """Run section 2; part (b) only when X Education's Leads.csv exists under `data_dir`."""
    results: dict[str, Any] = {}
    parts: list[str] = []
    figures: list[str] = []
    summary: list[str] = []

    a = bundled(out_dir)
    results["bundled"] = a
    parts.append("### 2a. Bundled closed-deal history (`train_scorer`)")
    if "xgboost" not in a:
        parts.append(
            f"The bundled history trained the `{a['engine']}` engine, not XGBoost: "
            f"{a.get('note', '')}"
        )
        summary.append(f"scoring (bundled): engine {a['engine']} ({a.get('note', '')})")
    else:
        card = a["card"]
        rows, slices = card["rows"], card["slices"]
        parts.append(
            f"Model `{a['version']}` trained on {rows['total']} closed deals "
            f"({rows['won']} won, {rows['lost']} lost) in {a['train_seconds']} s; split by "
            f"`closed_at`: train {rows['train']}, validation (early stopping) "
            f"{rows['validation']}, calibration (Platt) {rows['calibration']}, test "
            f"{rows['test']} ({slices['test']['closed_from']} to {slices['test']['closed_to']}); "
            f"best iteration {card['best_iteration']}."
        )
        cm = card["metrics"]
        parts.append(
            "Model card metrics (as reported by `scorer.metrics`):\n\n"
            + md_table(
                ["held-out ROC AUC", "Brier", "base rate", "rules ROC AUC", "test rows"],
                [
                    [
                        cm.get("roc_auc"),
                        cm.get("brier"),
                        cm.get("base_rate"),
                        cm.get("rules_roc_auc"),
                        cm.get("test_rows"),
                    ]
                ],
            )
        )
        ts = a["test_slice"]
        parts.append(
            f"Recomputed here on the same test slice (the {ts['rows']} latest deals, rebuilt "
            f"from the card's row counts; recomputed AUC equals the card's: "
            f"{'yes' if ts['rebuilt_matches_card_auc'] else '**no**'}), with the policy's "
            "rules model scored on the same rows:\n\n"
            + md_table(
                METRIC_HEADERS,
                _metric_rows({"XGBoost + Platt": a["xgboost"], "rules (policy)": a["rules"]}),
            )
        )
        parts.append(f"![bundled calibration]({a['figure']})")
        figures.append(a["figure"])
        x, r = a["xgboost"], a["rules"]
        summary.append(
            f"scoring (bundled, {ts['rows']} test deals): XGBoost ROC AUC {x['roc_auc']:.3f}, "
            f"Brier {x['brier']:.3f}, ECE {x['ece_10']:.3f}; rules ROC AUC {r['roc_auc']:.3f}, "
            f"Brier {r['brier']:.3f}"
        )

    parts.append("### 2b. X Education leads (external data, leakage columns removed)")
    csv_path = data_dir / "xeducation_leads" / "Leads.csv"
    if not include_external:
        results["xeducation"] = {"status": "skipped", "reason": "not requested"}
        parts.append("skipped: not requested (`--no-external`)")
    elif not csv_path.is_file():
        reason = f"skipped: data not found at {csv_path}"
        results["xeducation"] = {"status": "skipped", "reason": reason}
        parts.append(reason)
        summary.append(f"scoring (X Education): {reason}")
    else:
        b = xeducation(csv_path, out_dir)
        results["xeducation"] = b
        parts.append(
            f"{b['rows']} leads, {b['converted_rate']:.1%} converted; stratified 80/20 split "
            f"(seed {SEED}): {b['split']['train']} train, {b['split']['test']} test. Left out: "
            f"{', '.join(b['dropped_leaky'])} (filled in by sales during or after contact, per "
            f"SOURCE.md) and the ids. Kept: {len(b['categorical'])} categorical columns "
            "(one-hot, levels seen fewer than 10 times pooled, `Select` read as missing) and "
            f"{len(b['numeric'])} numeric ones (median-imputed and scaled for the logistic "
            "regression; missing left to XGBoost). XGBoost: 300 trees, depth 4, learning rate "
            "0.05, no calibration step. Logistic regression: C = 1."
        )
        parts.append(
            md_table(
                METRIC_HEADERS + ["features", "seconds"],
                [
                    [*row, b["models"][row[0]]["features"], f"{b['models'][row[0]]['seconds']:.1f}"]
                    for row in _metric_rows(b["models"])
                ],
            )
        )
        parts.append(
            "Notes: `Last Activity` stays in (the brief names only the columns above), but it is "
            "close to the excluded `Last Notable Activity`; the sensitivity row shows what it "
            "carries. SOURCE.md lists its own 5-fold CV reference on the same reduced column "
            "set, for comparison. This is a first baseline; no tuning was done."
        )
        parts.append(f"![X Education calibration]({b['figure']})")
        figures.append(b["figure"])
        lr, xg = b["models"]["logistic regression"], b["models"]["XGBoost"]
        summary.append(
            f"scoring (X Education, {b['split']['test']} test leads): XGBoost ROC AUC "
            f"{xg['roc_auc']:.3f} / PR AUC {xg['pr_auc']:.3f} / Brier {xg['brier']:.3f} / ECE "
            f"{xg['ece_10']:.3f}; logistic regression {lr['roc_auc']:.3f} / {lr['pr_auc']:.3f} "
            f"/ {lr['brier']:.3f} / {lr['ece_10']:.3f}"
        )
    status = "ok" if "xgboost" in a or "engine" in a else "fail"
    if results.get("xeducation", {}).get("status") == "skipped":
        status = "partial"
    return Section(
        key="scoring",
        title=TITLE,
        status=status,  # type: ignore[arg-type]
        markdown="\n\n".join(parts),
        results=results,
        figures=figures,
        summary=summary,
    )
