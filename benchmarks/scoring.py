"""Benchmark: batch scoring throughput and single-lead score-and-route latency.

Batch: `TrainedModel.score()` on every row of X Education `Leads.csv` (when
`--data`/`xeducation_leads/Leads.csv` exists; else the bundled closed deals): encoding
from raw CSV strings, calibration, band, percentile and the top factors in words. The
baseline, in the same run on the same booster and rows, is plain XGBoost: `booster.predict`
plus `booster.predict(pred_contribs=True)` on a DMatrix built beforehand (no encoding, no
calibration, no words). The ratio is library leads/s over baseline leads/s (target >= 0.5).
Runs alternate; the best of `--repeats` is kept for each.

Single lead: the CRM scorer (trained on the bundled closed deals) scores the seed lead and
`route_lead` routes it with the seed reps, open-deal counts and recent assignments (the
audit log) read from a seeded SQLite CRM, as the scoring pattern does; p50 and p99 over
`--single` runs.

    python -m benchmarks.run --only scoring [--repeats 3] [--single 300] [--out DIR]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from benchmarks import write_result
from sales_operator.policy import default_policy
from sales_operator.scoring.cli import read_csv_rows
from sales_operator.scoring.model import read_closed_deals_csv, train_scorer
from sales_operator.scoring.tabular import TrainedModel, train_tabular

SEED_ROW: dict[str, Any] = {
    "industry": "Logistics",
    "employees": 450,
    "territory": "NA-East",
    "segment": "mid_market",
    "lead_source": "demo_request",
    "contact_title": "VP of Operations",
    "seniority": "vp",
    "pages_visited": 7,
    "pricing_page_visits": 2,
    "emails_opened": 3,
    "demo_requested": 1,
    "webinar_attended": 0,
    "days_to_first_touch": 0,
}
"""The seed lead D-2001 as the scorer sees it."""


def _leaky(rows: list[dict[str, Any]]) -> list[str]:
    """Return the policy's post-outcome columns that these rows have (X Education's)."""
    listed = default_policy().scoring.post_outcome_columns
    return [c for c in listed if rows and c in rows[0]]


def _batch_model(data_dir: Path) -> tuple[str, TrainedModel, list[dict[str, Any]]]:
    path = data_dir / "xeducation_leads" / "Leads.csv"
    policy = default_policy()
    if path.is_file():
        rows: list[dict[str, Any]] = list(read_csv_rows(path))
        scoring = policy.scoring.model_copy(update={"features": [], "time_column": None})
        model = train_tabular(
            rows,
            scoring,
            target="Converted",
            id_column="Prospect ID",
            exclude=[*_leaky(rows), "Lead Number"],
        )
        return "xeducation_leads/Leads.csv", model, rows
    rows = read_closed_deals_csv()
    trained = train_scorer(rows, policy)
    assert isinstance(trained, TrainedModel)
    return "bundled closed_deals.csv", trained, rows


def batch(data_dir: Path, repeats: int) -> dict[str, Any]:
    """Time `score()` against plain predict + pred_contribs on the same booster and rows."""
    source, model, rows = _batch_model(data_dir)
    assert model.encoder is not None and model.booster is not None
    x = model.encoder.encode(rows)
    dm = xgb.DMatrix(x, missing=np.nan, feature_names=model.encoder.columns)

    def baseline() -> None:
        model.booster.predict(dm)  # type: ignore[union-attr]
        model.booster.predict(dm, pred_contribs=True)  # type: ignore[union-attr]

    def library() -> None:
        model.score(rows)

    baseline()
    library()  # warm-up
    lib_times, base_times = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        library()
        lib_times.append(time.perf_counter() - t)
    n = len(rows)
    lib_rate, base_rate = n / min(lib_times), n / min(base_times)
    return {
        "data": source,
        "rows": n,
        "encoded_columns": len(model.encoder.columns),
        "trees": model.booster.num_boosted_rounds(),
        "calibration": model.card.calibration.get("method"),
        "library_leads_per_s": round(lib_rate, 1),
        "baseline_leads_per_s": round(base_rate, 1),
        "ratio": round(lib_rate / base_rate, 3),
        "target_ratio": 0.5,
        "library_seconds": [round(t, 4) for t in lib_times],
        "baseline_seconds": [round(t, 4) for t in base_times],
    }


def single(runs: int) -> dict[str, Any]:
    """Time score-and-route of the seed lead, with CRM reads, as the scoring pattern does."""
    from sales_operator.adapters.sqlite_crm import SQLiteCRM
    from sales_operator.scoring.routing import recent_assignments, route_lead

    policy = default_policy()
    model = train_scorer(read_closed_deals_csv(), policy)
    with tempfile.TemporaryDirectory() as tmp:
        crm = SQLiteCRM.open_seeded(Path(tmp) / "crm.sqlite")
        account = crm.get_account("A-NWL")
        assert account is not None
        at = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)

        def once() -> str:
            result = model.predict(SEED_ROW)
            assignment = route_lead(
                account=account,
                score_band=result.band,
                lead_source="demo_request",
                reps=crm.list_reps(),
                open_counts=crm.open_deal_counts(),
                policy=policy,
                at=at,
                recent=recent_assignments(crm),
                arrived_at=at,
            )
            return assignment.rep_id

        once()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            rep = once()
            times.append(time.perf_counter() - t)
        close = getattr(crm, "close", None)
        if close is not None:
            close()
    times.sort()
    p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
    return {
        "runs": runs,
        "engine": model.engine,
        "routed_to": rep,
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the scoring benchmark; write `<out>/scoring.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--data", default=None, help="shared data folder (../shared/data)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single", type=int, default=300)
    args, _ = parser.parse_known_args(argv)
    data_dir = Path(args.data) if args.data else Path(__file__).resolve().parents[2] / "shared/data"
    result: dict[str, Any] = {
        "benchmark": "scoring",
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "batch": batch(data_dir, args.repeats),
        "single_lead": single(args.single),
    }
    written = write_result(args.out, "scoring", result)
    b, s = result["batch"], result["single_lead"]
    print(
        f"batch ({b['data']}, {b['rows']} rows): score() {b['library_leads_per_s']:.0f} leads/s "
        f"vs plain predict+pred_contribs {b['baseline_leads_per_s']:.0f} leads/s: "
        f"ratio {b['ratio']:.2f} (target >= 0.5)"
    )
    print(f"single lead score+route: p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms")
    print(f"wrote {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
