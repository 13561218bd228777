"""The evaluation metrics of `evals.scoring`, on small cases worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from evals import scoring
from evals.scoring import (
    adaptive_ece,
    decile_lift,
    ece,
    ece_floor,
    expected_positives,
    gains,
    lift_at,
    pr_auc,
)

from sales_operator.policy import load_policy
from sales_operator.scoring.model import RulesScorer


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_ece_equal_width_bins() -> None:
    # one row per bin: (0.1 + 0.3 + 0.4 + 0.1) / 4
    assert ece(arr(0, 0, 1, 1), arr(0.1, 0.3, 0.6, 0.9)) == pytest.approx(0.225)
    # two bins of two rows: 0.5 * |0.2 - 0.5| + 0.5 * |0.8 - 1.0|
    assert ece(arr(0, 1, 1, 1), arr(0.2, 0.2, 0.8, 0.8)) == pytest.approx(0.25)
    # a bin's lower edge belongs to it, and 1.0 falls in the last bin
    assert ece(arr(0, 1), arr(0.1, 0.19)) == pytest.approx(abs(0.145 - 0.5))
    assert ece(arr(1, 1), arr(1.0, 1.0)) == 0.0
    # a constant prediction equal to the base rate is perfectly calibrated
    assert ece(arr(0, 0, 1, 1), arr(0.5, 0.5, 0.5, 0.5)) == 0.0


def test_adaptive_ece_uses_equal_mass_bins() -> None:
    labels = arr(0, 0, 1, 1, 0, 1)
    probs = arr(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    # [0.1, 0.2, 0.3] vs 1/3 and [0.4, 0.5, 0.6] vs 2/3: 0.5 * (0.2 - 1/3) + 0.5 * (0.5 - 2/3)
    assert adaptive_ece(labels, probs, bins=2) == pytest.approx(0.5 * (2 / 15 + 1 / 6))
    # order of the rows does not matter
    perm = np.array([5, 0, 3, 1, 4, 2])
    assert adaptive_ece(labels[perm], probs[perm], bins=2) == pytest.approx(0.15)
    # more bins than rows: one row per bin, the mean absolute error
    assert adaptive_ece(arr(0, 1), arr(0.25, 0.5), bins=10) == pytest.approx(0.375)


def test_pr_auc_is_average_precision_with_ties_grouped() -> None:
    assert pr_auc(arr(1, 0, 1, 0), arr(0.9, 0.8, 0.7, 0.1)) == pytest.approx(0.5 + 0.5 * 2 / 3)
    # the tied pair is one threshold: precision 1/2 at recall 1/2, then 2/3 at recall 1
    assert pr_auc(arr(1, 0, 1), arr(0.5, 0.5, 0.2)) == pytest.approx(0.25 + 1 / 3)
    assert pr_auc(arr(0, 1, 1), arr(0.1, 0.8, 0.9)) == pytest.approx(1.0)
    assert np.isnan(pr_auc(arr(0, 0), arr(0.3, 0.4)))


def test_pr_auc_agrees_with_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(3)
    labels = (rng.random(300) < 0.4).astype(np.float64)
    probs = np.round(rng.random(300) * 0.6 + labels * 0.3, 1)  # coarse: many ties
    assert pr_auc(labels, probs) == pytest.approx(average_precision_score(labels, probs))


def test_expected_positives_breaks_ties_at_random() -> None:
    labels, probs = arr(1, 1, 0, 0), arr(0.9, 0.5, 0.5, 0.1)
    got = expected_positives(labels, probs, arr(0, 1, 2, 3, 4, 1.5))
    # the tied pair (one positive) adds half a positive per row taken
    assert got.tolist() == pytest.approx([0.0, 1.0, 1.5, 2.0, 2.0, 1.25])


def test_lift_at_top_fraction() -> None:
    labels = arr(1, 0, 1, 0, 0, 0, 0, 0, 0, 0)
    probs = np.linspace(1.0, 0.1, 10)
    # top 1 row is a positive: rate 1.0 over base rate 0.2
    assert lift_at(labels, probs, 0.1) == pytest.approx(5.0)
    # top 2 rows hold one positive: 0.5 / 0.2
    assert lift_at(labels, probs, 0.2) == pytest.approx(2.5)
    # all tied: no better than random
    assert lift_at(labels, np.full(10, 0.3), 0.1) == pytest.approx(1.0)
    # a tie across the cut: 1 + 0.5 positives in the top 2 of 4; base rate 0.5
    assert lift_at(arr(1, 1, 0, 0), arr(0.9, 0.5, 0.5, 0.1), 0.5) == pytest.approx(1.5)
    assert np.isnan(lift_at(arr(0, 0), arr(0.1, 0.2)))


def test_gains_and_decile_lift() -> None:
    labels = arr(1, 1, 0, 0, 0, 0, 0, 0, 0, 0)
    probs = np.linspace(1.0, 0.1, 10)
    share, found = gains(labels, probs, points=10)
    assert share.tolist() == pytest.approx([i / 10 for i in range(11)])
    assert found.tolist() == pytest.approx([0.0, 0.5, 1.0, 1, 1, 1, 1, 1, 1, 1, 1])
    assert decile_lift(labels, probs).tolist() == pytest.approx([5, 5, 0, 0, 0, 0, 0, 0, 0, 0])
    # deciles average back to 1
    assert float(decile_lift(labels, probs[::-1]).mean()) == pytest.approx(1.0)


def test_ece_floor() -> None:
    # certain predictions draw certain labels: no sampling error at all
    assert ece_floor(arr(0, 0, 1, 1), draws=20) == {"median": 0.0, "p95": 0.0}
    # a 50 % prediction on 100 rows: |Binomial(100, .5)/100 - .5| has median 0.03 or 0.04
    floor = ece_floor(np.full(100, 0.5), draws=400)
    assert 0.02 <= floor["median"] <= 0.05
    assert floor["p95"] >= floor["median"]


def test_xeducation_policy_loads_and_keeps_leaks_out() -> None:
    policy = load_policy(scoring.SPEC_PATH)
    features = {f.column for f in policy.scoring.features}
    post = set(policy.scoring.post_outcome_columns)
    assert {"Tags", "Lead Quality", "Lead Profile", "Last Notable Activity"} <= post
    assert scoring.LAST_ACTIVITY in post
    assert not features & post
    with_la = scoring.with_last_activity(policy)
    assert scoring.LAST_ACTIVITY in {f.column for f in with_la.scoring.features}
    assert scoring.LAST_ACTIVITY not in with_la.scoring.post_outcome_columns
    # the points model: a working professional from the Lead Add Form, 20 min on the site
    lead = {
        "What is your current occupation": "Working Professional",
        "Lead Origin": "Lead Add Form",
        "Lead Source": "Reference",
        "Total Time Spent on Website": "1200",
        "TotalVisits": "2",
        "Do Not Email": "No",
    }
    assert RulesScorer(policy).predict(lead).probability == pytest.approx(1.0)
    unknown = {"What is your current occupation": "", "Lead Source": "Olark Chat"}
    assert RulesScorer(policy).predict(unknown).probability == pytest.approx(0.0)


def test_scoring_section_skips_absent_lead_data(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    empty = tmp_path / "no-data"
    empty.mkdir()
    section = scoring.run(tmp_path, empty)
    expected = f"skipped: data not found at {empty / 'xeducation_leads' / 'Leads.csv'}"
    assert section.results["xeducation"] == {"status": "skipped", "reason": expected}
    assert expected in section.markdown
    assert section.status == "partial"
    assert "xgboost" in section.results["bundled"]  # the bundled part still runs
