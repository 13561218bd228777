"""Scores that missing, misspelled or identifying data cannot fool (issue 14)."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator.adapters.fakes import fake_pattern_deps
from sales_operator.errors import DataError, EventError, LeakageError
from sales_operator.events import parse_event
from sales_operator.patterns.scoring import build
from sales_operator.policy import Policy, default_policy, load_policy
from sales_operator.scoring.features import check_signals, closest_names
from sales_operator.scoring.model import (
    RulesScorer,
    XGBScorer,
    read_closed_deals_csv,
    train_scorer,
)
from sales_operator.scoring.tabular import MISSING_LEVEL, TrainedModel, train_tabular
from sales_operator.serde import make_serializer
from sales_operator.state import Account, Contact, DealState
from tests.unit.test_scoring_cli import run, write_csv
from tests.unit.test_scoring_pattern import _lead_created, tiny_crm

ROOT = Path(__file__).resolve().parents[2]
XEDU = ROOT.parent / "shared/data/xeducation_leads/Leads.csv"
XEDU_POLICY = ROOT / "evals/specs/xeducation_policy.yaml"
CREATED = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)


def _no_unknown_wording(result: Any) -> None:
    for f in result.factors:
        assert "unknown" not in f.label, f.label


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    return read_closed_deals_csv()


@pytest.fixture(scope="module")
def bundled(history: list[dict[str, Any]]) -> XGBScorer:
    model = train_scorer(history, default_policy())
    assert isinstance(model, XGBScorer)
    return model


def _base_rate(rows: list[dict[str, Any]], target: str, won: str) -> float:
    return float(np.mean([r[target] == won for r in rows]))


# ------------------------------------------------------------------------ 1. missing values


def test_all_blank_row_scores_the_base_rate_not_the_top_band(
    bundled: XGBScorer, history: list[dict[str, Any]]
) -> None:
    blank = {k: "" for k in history[0]}
    result = bundled.score([blank])[0]
    assert abs(result.probability - _base_rate(history, "outcome", "won")) < 0.07
    assert result.band != "A"
    assert "0 of 12 features known" in result.note
    # Nothing known, nothing to credit: no factor at all, certainly no "X unknown: +N pts".
    assert result.factors == []


def test_single_field_rows_stay_near_the_base_rate(
    bundled: XGBScorer, history: list[dict[str, Any]]
) -> None:
    base = _base_rate(history, "outcome", "won")
    hot = {"demo_requested": "1", "pricing_page_visits": "5", "seniority": "c_level"}
    rows = []
    for column in bundled.encoder.names if bundled.encoder else []:
        for value in {history[0][column], hot.get(column, history[0][column])}:
            rows.append({k: (value if k == column else "") for k in history[0]})
    for result in bundled.score(rows):
        assert result.band != "A"
        assert abs(result.probability - base) < 0.15
        _no_unknown_wording(result)
        # Only the known field may carry points.
        assert len({f.feature for f in result.factors}) <= 1


def test_probabilities_of_complete_rows_are_unchanged_by_the_missing_logic(
    bundled: XGBScorer, history: list[dict[str, Any]]
) -> None:
    rows = history[:50]
    assert bundled.encoder is not None
    margins = bundled.margins(rows)
    assert bundled.calibrator is not None
    assert np.allclose(bundled.predict_proba(rows), bundled.calibrator(margins))


def test_missing_is_learned_where_the_training_data_has_gaps(
    history: list[dict[str, Any]],
) -> None:
    # Lost deals often never recorded their page visits: blank is informative here.
    rng = random.Random(3)
    rows = [
        dict(r, pages_visited="") if r["outcome"] == "lost" and rng.random() < 0.5 else dict(r)
        for r in history
    ]
    model = train_scorer(rows, default_policy())
    assert isinstance(model, XGBScorer) and model.encoder is not None
    assert f"pages_visited={MISSING_LEVEL}" in model.encoder.columns
    assert f"employees={MISSING_LEVEL}" not in model.encoder.columns
    won = next(r for r in rows if r["outcome"] == "won")
    blanked = model.score([dict(won, pages_visited="")])[0]
    factor = next(f for f in blanked.factors if f.feature == "pages_visited")
    assert factor.label == "no pages visited recorded" and factor.points < 0
    assert blanked.probability < model.score([won])[0].probability


def test_saved_model_keeps_the_missing_logic(bundled: XGBScorer, tmp_path: Path) -> None:
    bundled.save(tmp_path / "m")
    loaded = TrainedModel.load(tmp_path / "m")
    blank = {k: "" for k in ("employees", "industry", "seniority")}
    assert loaded.score([blank])[0].probability == pytest.approx(
        bundled.score([blank])[0].probability
    )


def test_rules_never_fire_on_a_blank_unless_they_name_it() -> None:
    policy = default_policy()
    scoring = policy.scoring.model_copy(
        update={
            "rules": [
                {"feature": "seniority", "op": "not_in", "value": ["ic"], "points": 30},
                {"feature": "industry", "op": "in", "value": [None], "points": -5},
            ]
        }
    )
    scorer = RulesScorer(scoring)
    result = scorer.predict({"seniority": None, "industry": ""})
    assert result.probability == pytest.approx(0.10)
    assert [f.label for f in result.factors] == ["no industry recorded"]


def _empty_lead() -> dict[str, Any]:
    """The seed lead with nothing known: no head count, industry, title or signals."""
    state = _lead_created()
    state["account"] = Account(id="A-UNK", name="Unknown Co")
    state["contacts"] = [Contact(id="C-DW", name="Dana Whitfield")]
    state["lead"] = state["lead"].model_copy(update={"signals": {}})
    return state


def test_an_empty_lead_through_the_graph_is_not_ranked_high(
    bundled: XGBScorer, history: list[dict[str, Any]]
) -> None:
    policy = default_policy()
    deps = fake_pattern_deps(crm=tiny_crm(), policy=policy, scorer=bundled)
    graph = build(deps).compile(checkpointer=InMemorySaver(serde=make_serializer()))
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_empty_lead(), config)
    state = DealState.model_validate(graph.get_state(config).values)
    assert state.score is not None
    assert state.score.band != "A"
    assert abs(state.score.probability - _base_rate(history, "outcome", "won")) < 0.15
    for f in state.score.factors:
        assert "unknown" not in f.label


@pytest.mark.skipif(not XEDU.is_file(), reason="X Education data not present")
def test_x_education_blank_and_single_field_rows() -> None:
    import csv

    with XEDU.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:3000]
    policy = load_policy(XEDU_POLICY)
    model = train_tabular(rows, policy, target="Converted", id_column="Prospect ID")
    assert model.engine == "xgboost" and model.encoder is not None
    # The form leaves fields blank: those features learn what a blank means.
    assert any(f.has_missing for f in model.encoder.features)
    base = _base_rate(rows, "Converted", "1")
    blank = {k: "" for k in rows[0]}
    result = model.score([blank])[0]
    assert result.band != "A" and abs(result.probability - base) < 0.07
    singles = [
        {k: (v if k == column else "") for k, v in row.items()}
        for row in rows[:40]
        for column in model.encoder.names[:8]
    ]
    for r in model.score(singles):
        assert r.band != "A"
        _no_unknown_wording(r)


# ------------------------------------------------------------------------ 2. unknown fields


def test_misspelled_signal_is_an_event_error_naming_the_closest_key() -> None:
    with pytest.raises(EventError, match="unknown signal 'pagesvisited'.*'pages_visited'"):
        check_signals({"pagesvisited": 7})
    with pytest.raises(EventError, match="'emails_opened' must be a number"):
        check_signals({"emails_opened": "three"})
    with pytest.raises(EventError, match="'demo_requested' must be true/false"):
        check_signals({"demo_requested": "yes please"})
    check_signals({"pages_visited": 7, "demo_requested": True, "seniority": "vp"})
    hits = closest_names("Pricing Page Visits", ["pages_visited", "pricing_page_visits"])
    assert hits[0] == "pricing_page_visits"
    assert closest_names("territory", ["pages_visited", "pricing_page_visits"]) == []


def test_a_policy_without_a_signal_refuses_it() -> None:
    policy = default_policy()
    kept = [f for f in policy.scoring.features if f.column != "webinar_attended"]
    narrow = policy.model_copy(
        update={"scoring": policy.scoring.model_copy(update={"features": kept})}
    )
    with pytest.raises(EventError, match="unknown signal 'webinar_attended'"):
        check_signals({"webinar_attended": True}, narrow)


def test_lead_created_with_a_misspelled_signal_is_refused() -> None:
    from sales_operator.demo import lifecycle_events

    event = lifecycle_events()[0]
    event["payload"]["lead"]["signals"] = {"pagesvisited": 7, "pricing_page_visits": 2}
    with pytest.raises(EventError, match="did you mean 'pages_visited'"):
        parse_event(event)


def test_misspelled_csv_column_names_the_closest_known(tmp_path: Path) -> None:
    from tests.unit.test_scoring_tabular import synthetic_leads

    rows = synthetic_leads(600, seed=2)
    leads = write_csv(tmp_path / "leads.csv", rows)
    out = tmp_path / "model"
    run("train", "--leads", str(leads), "--target", "converted", "--id", "lead_id",
        "--out", str(out), "--exclude", "status_after_call", "--exclude", "signed_up")  # fmt: skip
    renamed = [{("Visits" if k == "visits" else k): v for k, v in r.items()} for r in rows[:20]]
    bad = write_csv(tmp_path / "new.csv", renamed)
    with pytest.raises(DataError, match="did you mean 'Visits' for 'visits'"):
        run("score", "--model", str(out), "--leads", str(bad), "--out", str(tmp_path / "s.csv"))
    with pytest.raises(DataError, match="did you mean 'converted'"):
        run("train", "--leads", str(leads), "--target", "Converted", "--out", str(tmp_path / "x"))


# ------------------------------------------------------------------------ 3. below the gate


def _small(history: list[dict[str, Any]], n: int = 60) -> list[dict[str, Any]]:
    won = [r for r in history if r["outcome"] == "won"][:12]
    lost = [r for r in history if r["outcome"] == "lost"][: n - 12]
    return won + lost


def _tree(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_below_the_gate_with_no_rule_columns_train_refuses(
    tmp_path: Path, history: list[dict[str, Any]]
) -> None:
    # The bundled policy's rules use seniority, employees, ...; this file has other names.
    renamed = [
        {"Lead ID": r["deal_id"], "Visits": r["pages_visited"], "Size": r["employees"],
         "Converted": "1" if r["outcome"] == "won" else "0"}
        for r in _small(history)
    ]  # fmt: skip
    leads = write_csv(tmp_path / "small.csv", renamed)
    out = tmp_path / "model"
    with pytest.raises(DataError) as err:
        run("train", "--leads", str(leads), "--target", "Converted", "--id", "Lead ID",
            "--out", str(out))  # fmt: skip
    text = str(err.value)
    assert "small.csv" in text
    assert "12 won and 48 lost" in text and "data gate of 30 won and 30 lost" in text
    assert "scoring.rules" in text and "--policy" in text
    assert not out.exists()


def test_identifier_and_leakage_checks_run_below_the_gate(
    tmp_path: Path, history: list[dict[str, Any]]
) -> None:
    rows = [
        {**{k: r[k] for k in ("employees", "seniority", "pages_visited", "demo_requested")},
         "Lead ID": f"L-{i:04d}", "outcome": r["outcome"]}
        for i, r in enumerate(_small(history))
    ]  # fmt: skip
    leads = write_csv(tmp_path / "ids.csv", rows)
    out = tmp_path / "model"
    with pytest.raises(LeakageError, match="identifier.*'Lead ID'.*--id 'Lead ID'") as err:
        run("train", "--leads", str(leads), "--target", "outcome", "--out", str(out))
    assert err.value.columns == ["Lead ID"]
    # A running number without an id-like name is caught by being unique per row.
    numbered = [{**{k: v for k, v in r.items() if k != "Lead ID"}, "row": str(1000 + i)}
                for i, r in enumerate(rows)]  # fmt: skip
    with pytest.raises(LeakageError, match="'row'.*unique to one row"):
        run("train", "--leads", str(write_csv(tmp_path / "n.csv", numbered)),
            "--target", "outcome", "--out", str(out))  # fmt: skip
    # A perfectly leaking stage column is refused at 60 rows too.
    staged = [dict(r, Stage="closed_won" if r["outcome"] == "won" else "closed_lost") for r in rows]
    with pytest.raises(LeakageError, match="'Stage'"):
        run("train", "--leads", str(write_csv(tmp_path / "s.csv", staged)), "--target",
            "outcome", "--id", "Lead ID", "--out", str(out))  # fmt: skip
    assert not out.exists()
    # --id names the id: the rules model trains on the columns the rules use, and says so.
    assert run("train", "--leads", str(leads), "--target", "outcome", "--id", "Lead ID",
               "--out", str(out)) == 0  # fmt: skip
    model = TrainedModel.load(out)
    assert model.engine == "rules"
    assert "rules model scores" in model.card.scored_by
    assert "12 won and 48 lost" in model.card.scored_by
    assert {r["feature"] for r in model.scoring.rules} == {
        "seniority",
        "employees",
        "demo_requested",
    }
    hot = {"seniority": "vp", "employees": "450", "demo_requested": "1"}
    assert model.predict(hot).probability == pytest.approx(0.65)  # 15 + 20 + 10 + 20
    assert model.predict({}).probability == pytest.approx(0.15)


def test_xgboost_card_says_why_it_scores(bundled: XGBScorer) -> None:
    assert bundled.card.scored_by.startswith("XGBoost scores:")
    assert "data gate of 30 won and 30 lost" in bundled.card.scored_by


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("lead_id,visits,converted\n", "no data rows"),
        ("lead_id,visits,converted\n" + "".join(f"L{i},{i},1\n" for i in range(40)), "one class"),
    ],
)
def test_bad_files_are_typed_errors_and_leave_the_registry_alone(
    tmp_path: Path, history: list[dict[str, Any]], text: str, problem: str
) -> None:
    good = write_csv(tmp_path / "good.csv", history)
    registry = tmp_path / "registry"
    assert run("train", "--leads", str(good), "--target", "outcome", "--id", "deal_id",
               "--out", str(registry), "--exclude", "amount", "--exclude", "closed_at",
               "--exclude", "account_name", "--exclude", "created_at") == 0  # fmt: skip
    before = _tree(registry)
    assert "card.json" in before
    bad = tmp_path / "bad.csv"
    bad.write_text(text, "utf-8")
    with pytest.raises(DataError, match=problem) as err:
        run("train", "--leads", str(bad), "--target", "converted", "--id", "lead_id",
            "--out", str(registry))  # fmt: skip
    assert "bad.csv" in str(err.value)
    assert _tree(registry) == before


def test_one_class_history_in_the_crm_falls_back_to_rules(
    history: list[dict[str, Any]], tmp_path: Path
) -> None:
    won_only = [r for r in history if r["outcome"] == "won"][:50]
    scorer = train_scorer(won_only, default_policy())
    assert isinstance(scorer, RulesScorer)
    assert "50 won and 0 lost" in scorer.note


def test_policy_fixture_is_default(bundled: XGBScorer) -> None:
    assert isinstance(default_policy(), Policy)
    assert bundled.scoring.min_known_features == 3


def test_a_model_with_few_features_asks_for_no_more_than_it_has(
    history: list[dict[str, Any]],
) -> None:
    policy = default_policy()
    two = [f for f in policy.scoring.features if f.column in ("demo_requested", "seniority")]
    narrow = policy.scoring.model_copy(update={"features": two, "min_known_features": 5})
    model = train_tabular(history, narrow, target="outcome", id_column="deal_id")
    full = model.score([{"demo_requested": "1", "seniority": "c_level"}])[0]
    assert full.note == ""
    half = model.score([{"demo_requested": "1", "seniority": ""}])[0]
    assert "only 1 of 2 features known" in half.note
