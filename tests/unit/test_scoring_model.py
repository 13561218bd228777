from __future__ import annotations

import csv
import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from sales_operator.adapters.base import HistoryRecord, Rep
from sales_operator.errors import DataError, PolicyError
from sales_operator.policy import Policy, default_policy
from sales_operator.scoring.model import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RulesScorer,
    XGBScorer,
    band_for,
    describe_factor,
    feature_row,
    fit_platt,
    load_or_train_scorer,
    read_closed_deals_csv,
    roc_auc,
    title_to_seniority,
    train_scorer,
)
from sales_operator.state import (
    Account,
    AuditEntry,
    Contact,
    Deal,
    DealState,
    Event,
    Lead,
    Receipt,
)

CSV_COLUMNS = [
    "deal_id",
    "account_name",
    "industry",
    "employees",
    "territory",
    "segment",
    "lead_source",
    "contact_title",
    "seniority",
    "pages_visited",
    "pricing_page_visits",
    "emails_opened",
    "demo_requested",
    "webinar_attended",
    "days_to_first_touch",
    "created_at",
    "closed_at",
    "outcome",
    "amount",
]

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


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return read_closed_deals_csv()


@pytest.fixture(scope="module")
def scorer(rows: list[dict[str, Any]], policy: Policy) -> XGBScorer:
    result = train_scorer(rows, policy)
    assert isinstance(result, XGBScorer)
    return result


class HistoryCRM:
    """A CRMReader test double that serves closed-deal rows and nothing else."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls = 0

    def get_account(self, account_id: str) -> Account | None:
        return None

    def list_contacts(self, account_id: str) -> list[Contact]:
        return []

    def get_deal(self, deal_id: str) -> Deal | None:
        return None

    def get_lead(self, lead_id: str) -> Lead | None:
        return None

    def list_reps(self) -> list[Rep]:
        return []

    def open_deal_counts(self) -> dict[str, int]:
        return {}

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        return []

    def closed_deal_rows(self) -> list[dict[str, Any]]:
        self.calls += 1
        return self.rows

    def get_receipt(self, idempotency_key: str) -> Receipt | None:
        return None

    def audit_log(self, deal_id: str | None = None) -> list[AuditEntry]:
        return []


# ----------------------------------------------------------------------------- the data


def test_bundled_csv_has_the_promised_shape(rows: list[dict[str, Any]], policy: Policy) -> None:
    path = Path(__file__).resolve().parents[2] / "src/sales_operator/data/closed_deals.csv"
    with path.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == CSV_COLUMNS
    assert 850 <= len(rows) <= 950
    assert len({r["deal_id"] for r in rows}) == len(rows)
    won = sum(r["outcome"] == "won" for r in rows) / len(rows)
    assert 0.30 <= won <= 0.40
    assert {r["territory"] for r in rows} == {"NA-East", "NA-West", "EMEA"}
    assert {r["segment"] for r in rows} == {"smb", "mid_market", "enterprise"}
    assert {r["seniority"] for r in rows} == {"c_level", "vp", "director", "manager", "ic"}
    assert {r["lead_source"] for r in rows} == {
        "demo_request",
        "webinar",
        "content_download",
        "referral",
        "outbound",
        "trade_show",
    }
    for r in rows:
        created, closed = date.fromisoformat(r["created_at"]), date.fromisoformat(r["closed_at"])
        assert date(2024, 1, 1) <= created < closed <= date(2026, 9, 30)
        low, high = policy.routing.segments[r["segment"]]
        assert low <= int(r["employees"]) and (high is None or int(r["employees"]) <= high)
        assert title_to_seniority(r["contact_title"]) == r["seniority"], r["contact_title"]


# ----------------------------------------------------------------------------- training


def test_model_learns_something_real_on_the_test_slice(scorer: XGBScorer) -> None:
    assert scorer.engine == "xgboost"
    auc = scorer.metrics["roc_auc"]
    assert 0.7 < auc < 0.95  # learns the hidden signal; no leak that would give ~0.99
    assert scorer.metrics["brier"] < 0.2
    # Better than the transparent points model it replaces.
    assert auc > scorer.metrics["rules_roc_auc"]


def test_seed_lead_scores_about_78_percent_with_rep_words(scorer: XGBScorer) -> None:
    result = scorer.predict(SEED_ROW)
    assert 0.74 <= result.probability <= 0.82
    assert result.band == "A"
    assert result.engine == "xgboost"
    assert result.model_version == scorer.version
    labels = {f.label for f in result.factors if f.points > 0}
    assert "visited the pricing page 2 times" in labels
    assert "requested a demo" in labels
    assert "VP-level contact" in labels
    positives = [f.points for f in result.factors if f.points > 0]
    assert positives == sorted(positives, reverse=True)
    assert len([f for f in result.factors if f.points > 0]) <= 3
    assert len([f for f in result.factors if f.points < 0]) <= 3


def test_training_is_deterministic(rows: list[dict[str, Any]], policy: Policy) -> None:
    a, b = train_scorer(rows, policy), train_scorer(rows, policy)
    assert a.version == b.version
    assert a.predict(SEED_ROW).probability == b.predict(SEED_ROW).probability


def test_split_is_ordered_in_time(scorer: XGBScorer) -> None:
    slices = scorer.card.slices
    assert scorer.card.split == "time" and scorer.card.time_column == "closed_at"
    order = ["train", "validation", "calibration", "test"]
    for earlier, later in zip(order, order[1:], strict=False):
        end, start = slices[earlier].end, slices[later].start
        assert end is not None and start is not None and end <= start
    rows = scorer.card.rows
    assert rows["train"] + rows["validation"] + rows["calibration"] + rows["test"] == rows["total"]
    assert scorer.card.params["scale_pos_weight"] == pytest.approx(
        (slices["train"].rows - slices["train"].positives) / slices["train"].positives
    )
    # Platt on the 180-deal calibration slice (below isotonic_min_rows), reported on the card.
    assert scorer.card.calibration["method"] == "platt"
    assert {"brier", "ece", "brier_uncalibrated"} <= set(scorer.card.metrics)


def test_typed_rows_from_a_crm_score_like_csv_strings(
    rows: list[dict[str, Any]], policy: Policy, scorer: XGBScorer
) -> None:
    typed = []
    for r in rows:
        t: dict[str, Any] = dict(r)
        for name in NUMERIC_FEATURES:
            t[name] = int(r[name])
        t["demo_requested"] = bool(int(r["demo_requested"]))
        t["closed_at"] = datetime.fromisoformat(r["closed_at"]).replace(tzinfo=UTC).isoformat()
        t["amount"] = float(r["amount"])
        typed.append(t)
    other = train_scorer(typed, policy)
    assert other.predict(SEED_ROW).probability == pytest.approx(
        scorer.predict(SEED_ROW).probability
    )


def test_contributions_plus_bias_equal_the_raw_margin(
    rows: list[dict[str, Any]], scorer: XGBScorer
) -> None:
    sample = rows[::97] + [SEED_ROW]
    margins = scorer.margins(sample)
    for row, margin in zip(sample, margins, strict=True):
        contribs = scorer.contributions(row)
        assert set(contribs) == set(NUMERIC_FEATURES) | set(CATEGORICAL_FEATURES) | {"bias"}
        assert sum(contribs.values()) == pytest.approx(float(margin), abs=1e-4)
        dm = xgb.DMatrix(scorer.encoder.encode([row]), feature_names=scorer.encoder.columns)
        assert float(scorer.booster.predict(dm, output_margin=True)[0]) == pytest.approx(
            float(margin), abs=1e-6
        )


def test_factor_points_add_up_to_the_gap_from_the_average_lead(
    rows: list[dict[str, Any]], policy: Policy
) -> None:
    wide = policy.model_copy(
        update={"scoring": policy.scoring.model_copy(update={"top_factors": 50})}
    )
    scorer = train_scorer(rows, wide)
    assert isinstance(scorer, XGBScorer)
    assert scorer.calibrator is not None and scorer.calibrator.method == "platt"
    a, b = scorer.calibrator.a, scorer.calibrator.b
    bias = scorer.contributions(SEED_ROW)["bias"]
    base = 1 / (1 + math.exp(-(a * bias + b)))
    result = scorer.predict(SEED_ROW)
    total = sum(f.points for f in result.factors)
    # Factors under 0.05 points are dropped, so allow a little slack.
    assert total == pytest.approx((result.probability - base) * 100, abs=0.5)


def test_calibrated_probabilities_match_the_test_base_rate(
    rows: list[dict[str, Any]], scorer: XGBScorer
) -> None:
    n = len(rows)
    ordered = sorted(rows, key=lambda r: r["closed_at"])
    test = ordered[n - scorer.card["rows"]["test"] :]
    probs = scorer.predict_proba(test)
    rate = np.mean([r["outcome"] == "won" for r in test])
    assert abs(float(probs.mean()) - float(rate)) < 0.08


# ----------------------------------------------------------------------------- data gate


def test_rules_model_scores_below_the_data_gate(rows: list[dict[str, Any]], policy: Policy) -> None:
    few = [r for r in rows if r["outcome"] == "won"][:12] + [
        r for r in rows if r["outcome"] == "lost"
    ][:200]
    scorer = train_scorer(few, policy)
    assert isinstance(scorer, RulesScorer)
    assert scorer.engine == "rules"
    assert "12 won and 200 lost" in scorer.note
    assert "data gate" in scorer.note
    result = scorer.predict(SEED_ROW)
    assert result.engine == "rules"
    assert result.note == scorer.note
    # 15 base + 20 VP + 10 size + 20 demo + 10 pricing + 5 emails.
    assert result.probability == pytest.approx(0.80)
    assert result.band == "A"
    assert {f.label for f in result.factors} >= {"VP-level contact", "requested a demo"}


def test_rules_model_when_the_policy_raises_the_gate(
    rows: list[dict[str, Any]], policy: Policy
) -> None:
    strict = policy.model_copy(
        update={"scoring": policy.scoring.model_copy(update={"min_lost": 10_000})}
    )
    scorer = train_scorer(rows, strict)
    assert scorer.engine == "rules"
    cold = dict(SEED_ROW, seniority="ic", employees=50, demo_requested=0, lead_source="outbound")
    cold.update(pricing_page_visits=0, emails_opened=0)
    result = scorer.predict(cold)
    assert result.probability == pytest.approx(0.10)  # 15 base - 5 outbound
    assert result.band == "D"
    assert [f.points for f in result.factors] == [-5.0]


def test_rules_model_rejects_an_unknown_operator(policy: Policy) -> None:
    bad = policy.model_copy(
        update={
            "scoring": policy.scoring.model_copy(
                update={"rules": [{"feature": "employees", "op": "~", "value": 1, "points": 5}]}
            )
        }
    )
    with pytest.raises(PolicyError, match=r"scoring.rules\[0\].*'~'"):
        RulesScorer(bad)


# ----------------------------------------------------------------------------- errors


def test_empty_training_set_is_a_data_error(policy: Policy) -> None:
    with pytest.raises(DataError, match="empty"):
        train_scorer([], policy)


def test_missing_column_names_the_row_and_column(
    rows: list[dict[str, Any]], policy: Policy
) -> None:
    broken = [dict(r) for r in rows[:50]]
    del broken[3]["pricing_page_visits"]
    with pytest.raises(DataError, match=r"row 3: missing column\(s\) \['pricing_page_visits'\]"):
        train_scorer(broken, policy)


def test_non_numeric_value_names_the_row_and_column(
    rows: list[dict[str, Any]], policy: Policy
) -> None:
    broken = [dict(r) for r in rows[:50]]
    broken[5]["employees"] = "about forty"
    with pytest.raises(DataError, match=r"row 5: column 'employees' must be numeric.*about forty"):
        train_scorer(broken, policy)


def test_bad_outcome_and_date_are_data_errors(rows: list[dict[str, Any]], policy: Policy) -> None:
    broken = [dict(r) for r in rows[:50]]
    broken[7]["outcome"] = "pending"
    with pytest.raises(DataError, match=r"row 7: column 'outcome'"):
        train_scorer(broken, policy)
    broken = [dict(r) for r in rows[:50]]
    broken[2]["closed_at"] = "last tuesday"
    with pytest.raises(DataError, match=r"row 2: column 'closed_at'"):
        train_scorer(broken, policy)


def test_missing_values_are_allowed(rows: list[dict[str, Any]], policy: Policy) -> None:
    holes = [dict(r) for r in rows]
    holes[0]["pages_visited"] = ""
    holes[1]["industry"] = None
    assert train_scorer(holes, policy).engine == "xgboost"


def test_predict_rejects_a_non_numeric_feature(scorer: XGBScorer) -> None:
    with pytest.raises(DataError, match="pages_visited"):
        scorer.predict(dict(SEED_ROW, pages_visited="many"))


# ----------------------------------------------------------------------------- persistence


def test_load_or_train_saves_then_loads_the_current_version(
    tmp_path: Path, rows: list[dict[str, Any]], policy: Policy
) -> None:
    crm = HistoryCRM(rows)
    first = load_or_train_scorer(crm, policy, tmp_path)
    assert first.engine == "xgboost" and first.version == "v0001"
    folder = tmp_path / "v0001"
    assert (folder / "model.ubj").is_file()
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert card["version"] == "v0001"
    closed = sorted(r["closed_at"] for r in rows)
    assert card["data_window"] == {"column": "closed_at", "start": closed[0], "end": closed[-1]}
    assert card["rows"]["total"] == len(rows)
    assert set(card["metrics"]) >= {"roc_auc", "brier", "ece"}
    assert [f["column"] for f in card["features"]] == [f.column for f in policy.scoring.features]
    assert card["leakage"]["present_and_excluded"] == ["closed_at", "amount"]
    assert (tmp_path / "CURRENT").read_text("utf-8").strip() == "v0001"

    second = load_or_train_scorer(crm, policy, tmp_path)
    assert crm.calls == 1  # loaded, not retrained
    assert second.version == first.version
    assert second.metrics == first.metrics
    assert second.predict(SEED_ROW) == first.predict(SEED_ROW)


def test_a_policy_excluding_a_feature_retrains(
    tmp_path: Path, rows: list[dict[str, Any]], policy: Policy
) -> None:
    crm = HistoryCRM(rows)
    load_or_train_scorer(crm, policy, tmp_path)
    narrower = policy.model_copy(
        update={"scoring": policy.scoring.model_copy(update={"exclude_features": ["territory"]})}
    )
    other = load_or_train_scorer(crm, narrower, tmp_path)
    assert crm.calls == 2
    assert other.version == "v0002"
    model = other.model
    assert isinstance(model, XGBScorer) and model.encoder is not None
    assert "territory" not in model.encoder.names
    assert "territory" not in model.contributions(SEED_ROW)
    assert model.card.excluded == ["territory"]


def test_rules_model_is_not_saved(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    crm = HistoryCRM(rows[:40])
    scorer = load_or_train_scorer(crm, default_policy(), tmp_path / "models")
    assert scorer.engine == "rules"
    assert not (tmp_path / "models").exists()


def test_unreadable_saved_model_is_a_data_error(tmp_path: Path, policy: Policy) -> None:
    folder = tmp_path / "xgb-broken"
    folder.mkdir()
    (folder / "model.json").write_text("not a model", "utf-8")
    (folder / "card.json").write_text(json.dumps({"version": "xgb-broken"}), "utf-8")
    with pytest.raises(DataError, match="xgb-broken"):
        XGBScorer.load(folder)


# ----------------------------------------------------------------------------- features


def _seed_state(**changes: Any) -> DealState:
    created = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)
    state = DealState(
        deal_id="D-2001",
        deal=Deal(id="D-2001", name="Northwind Logistics - Orbital Dispatch"),
        account=Account(
            id="A-NWL",
            name="Northwind Logistics",
            industry="Logistics",
            employees=450,
            territory="NA-East",
        ),
        contacts=[
            Contact(id="C-DW", name="Dana Whitfield", title="VP of Operations"),
            Contact(id="C-MC", name="Marcus Chen", title="Chief Revenue Officer"),
        ],
        lead=Lead(
            id="L-5001",
            contact_id="C-DW",
            source="demo_request",
            created_at=created,
            signals={
                "pages_visited": 7,
                "pricing_page_visits": 2,
                "emails_opened": 3,
                "demo_requested": True,
                "webinar_attended": False,
            },
        ),
        event=Event(type="lead_created", at=created),
    )
    return state.model_copy(update=changes)


def test_feature_row_for_the_seed_lead(policy: Policy) -> None:
    state = _seed_state()
    assert state.event is not None
    row = feature_row(state, state.event.at, policy=policy)
    assert {k: row[k] for k in SEED_ROW} == SEED_ROW


def test_feature_row_counts_days_until_the_first_touch(policy: Policy) -> None:
    state = _seed_state()
    later = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    assert feature_row(state, later, policy=policy)["days_to_first_touch"] == 2


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("VP of Operations", "vp"),
        ("Chief Revenue Officer (CRO)", "c_level"),
        ("Vice President, Supply Chain", "vp"),
        ("Head of Distribution", "director"),
        ("Director of Transportation", "director"),
        ("Fleet Manager", "manager"),
        ("Dispatcher", "ic"),
        ("", "ic"),
        (None, "ic"),
    ],
)
def test_title_to_seniority(title: str | None, level: str) -> None:
    assert title_to_seniority(title) == level


def test_describe_factor_speaks_like_a_rep() -> None:
    assert describe_factor("pricing_page_visits", 2) == "visited the pricing page 2 times"
    assert describe_factor("pricing_page_visits", "1") == "visited the pricing page once"
    assert describe_factor("demo_requested", True) == "requested a demo"
    assert describe_factor("seniority", "vp") == "VP-level contact"
    assert describe_factor("days_to_first_touch", 0) == "first touch the same day"
    assert describe_factor("employees", None) == "no employees recorded"


def test_bands_follow_the_policy(policy: Policy) -> None:
    assert [band_for(p, policy) for p in (0.7, 0.69, 0.5, 0.3, 0.29)] == ["A", "B", "B", "C", "D"]


def test_helpers_auc_and_platt() -> None:
    labels = np.array([0, 0, 1, 1], dtype=np.float64)
    assert roc_auc(labels, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(np.ones(3), np.array([0.1, 0.2, 0.3])) is None
    rng = np.random.default_rng(0)
    margins = rng.normal(0, 2, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(0.5 * margins - 1.0)))).astype(np.float64)
    a, b = fit_platt(margins, y)
    assert a == pytest.approx(0.5, abs=0.1)
    assert b == pytest.approx(-1.0, abs=0.15)


def test_counts_that_pull_the_score_down_read_as_only() -> None:
    from sales_operator.scoring.model import describe_factor

    assert describe_factor("emails_opened", 3, -6.0) == "opened only 3 emails"
    assert describe_factor("emails_opened", 3, 4.0) == "opened 3 emails"
    assert describe_factor("pages_visited", 1, -1.0) == "visited only 1 page"
    assert describe_factor("emails_opened", 0, -3.0) == "opened no emails"
