"""The model registry: versions, rollback, and learning from closed deals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator.adapters.fakes import fake_pattern_deps
from sales_operator.errors import DataError
from sales_operator.patterns.scoring import build
from sales_operator.policy import Policy, default_policy
from sales_operator.scoring.model import (
    RulesScorer,
    XGBScorer,
    load_or_train_scorer,
    read_closed_deals_csv,
    train_scorer,
)
from sales_operator.scoring.registry import ModelRegistry, RegistryScorer
from sales_operator.serde import make_serializer
from sales_operator.state import DealState, Event
from tests.unit.test_scoring_model import SEED_ROW, HistoryCRM
from tests.unit.test_scoring_pattern import CLOSED, _lead_created, tiny_crm


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return read_closed_deals_csv()


def _policy(**scoring: Any) -> Policy:
    base = default_policy()
    return base.model_copy(update={"scoring": base.scoring.model_copy(update=scoring)})


def _outcome(i: int, outcome: str, closed: str = "2026-10-15") -> dict[str, Any]:
    return dict(SEED_ROW, deal_id=f"D-NEW-{i}", outcome=outcome, closed_at=closed)


def test_register_promote_and_roll_back(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    model = train_scorer(rows, default_policy())
    assert isinstance(model, XGBScorer)
    registry = ModelRegistry(tmp_path / "models")
    assert registry.versions() == [] and registry.current_version() is None
    with pytest.raises(DataError, match="no current version"):
        registry.load()
    registry.register(model)
    assert model.version == "v0001"
    second = train_scorer(rows[:-50], default_policy())
    assert isinstance(second, XGBScorer)
    registry.register(second)
    assert registry.versions() == ["v0001", "v0002"]
    assert registry.current_version() == "v0002"
    assert registry.load().predict(SEED_ROW) == second.predict(SEED_ROW)
    assert registry.rollback() == "v0001"
    assert registry.current_version() == "v0001"
    assert registry.load().predict(SEED_ROW) == model.predict(SEED_ROW)
    with pytest.raises(DataError, match="nothing to roll back"):
        registry.rollback()
    registry.promote("v0002")
    assert registry.history() == ["v0001", "v0002"]
    with pytest.raises(DataError, match="not in the model registry"):
        registry.promote("v0099")
    assert registry.card("v0002").rows["total"] == len(rows) - 50


def test_closed_deals_recalibrate_then_roll_back(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    policy = _policy(recalibrate_after=2, retrain_after=50)
    crm = HistoryCRM(rows)
    scorer = load_or_train_scorer(crm, policy, tmp_path)
    assert isinstance(scorer, RegistryScorer) and scorer.version == "v0001"
    before = scorer.predict(SEED_ROW).probability

    first = scorer.record_outcome(_outcome(1, "won"), crm=crm)
    assert (first.action, first.version, first.new_outcomes) == ("kept", "v0001", 1)
    again = scorer.record_outcome(_outcome(1, "won"), crm=crm)  # the same deal: no double count
    assert again.new_outcomes == 1
    second = scorer.record_outcome(_outcome(2, "lost"), crm=crm)
    assert (second.action, second.version, second.previous) == ("recalibrated", "v0002", "v0001")
    card = scorer.card
    assert card is not None and card.parent == "v0001" and card.outcomes_seen == 2
    assert card.fingerprint == scorer.registry.card("v0001").fingerprint  # same trees
    # Fitted on the deals after the trees' window: the calibration and test slices plus 2 new.
    assert card.calibration["rows"] == 360 + 2
    assert card.metrics["recalibration_rows"] == 362
    assert scorer.predict(SEED_ROW).model_version == "v0002"
    after = scorer.predict(SEED_ROW).probability
    assert after != before and abs(after - before) < 0.1

    assert scorer.rollback() == "v0001"
    assert scorer.version == "v0001"
    assert scorer.predict(SEED_ROW).probability == pytest.approx(before)
    # A restart loads the current version again, without training.
    calls = crm.calls
    assert load_or_train_scorer(crm, policy, tmp_path).version == "v0001"
    assert crm.calls == calls


def test_enough_closed_deals_retrain(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    policy = _policy(recalibrate_after=1, retrain_after=1)
    crm = HistoryCRM(rows)
    scorer = load_or_train_scorer(crm, policy, tmp_path)
    result = scorer.record_outcome(_outcome(1, "won"), crm=crm)
    assert (result.action, result.version, result.previous) == ("retrained", "v0002", "v0001")
    card = scorer.card
    assert card is not None and card.rows["total"] == len(rows) + 1
    assert card.parent == "v0001"
    with pytest.raises(DataError, match="deal_id"):
        scorer.record_outcome({"outcome": "won"}, crm=crm)
    with pytest.raises(DataError, match="outcome"):
        scorer.record_outcome(dict(_outcome(3, "won"), outcome="pending"), crm=crm)


def test_scheduled_refresh(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    crm = HistoryCRM(rows)
    scorer = load_or_train_scorer(crm, default_policy(), tmp_path)
    now = datetime.now(UTC)
    assert scorer.refresh(crm, now=now).action == "kept"
    later = scorer.refresh(crm, now=now + timedelta(days=31))
    assert (later.action, later.version) == ("retrained", "v0002")


def test_rules_model_below_the_gate_retrains_once_there_is_data(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    few = HistoryCRM(rows[:40])
    scorer = load_or_train_scorer(few, default_policy(), tmp_path / "models")
    assert isinstance(scorer.model, RulesScorer) and scorer.engine == "rules"
    assert not (tmp_path / "models").exists()
    full = HistoryCRM(rows)
    result = scorer.refresh(full, now=datetime.now(UTC))
    assert (result.action, scorer.engine, scorer.version) == ("retrained", "xgboost", "v0001")


def test_the_scoring_pattern_teaches_the_registry_on_deal_closed(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    policy = _policy(recalibrate_after=1)
    crm = tiny_crm()
    scorer = load_or_train_scorer(crm, policy, tmp_path)
    deps = fake_pattern_deps(crm=crm, policy=policy, scorer=scorer)
    graph = build(deps).compile(checkpointer=InMemorySaver(serde=make_serializer()))
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    state = DealState.model_validate(graph.get_state(config).values)
    assert state.score is not None and state.score.model_version == "v0001"
    assert state.score.band == "A"
    closed = Event(type="deal_closed", at=CLOSED, payload={"outcome": "won"})
    graph.invoke({"event": closed}, config)
    state = DealState.model_validate(graph.get_state(config).values)
    last = state.score_history[-1]
    assert last.reason.startswith("closed won; label kept for retraining (recalibrated on ")
    assert "v0001 kept for rollback" in last.reason
    learned = scorer.registry.outcomes()
    assert [(r["deal_id"], r["outcome"]) for r in learned] == [("D-2001", "won")]
    assert learned[0]["pricing_page_visits"] == 2 and learned[0]["seniority"] == "vp"
    assert scorer.version == "v0002"


def test_a_policy_without_a_feature_spec_uses_the_closed_deal_defaults(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    bare = Policy()
    assert bare.scoring.features == [] and bare.scoring.post_outcome_columns == []
    scorer = load_or_train_scorer(HistoryCRM(rows), bare, tmp_path)
    card = scorer.card
    assert card is not None and card.time_column == "closed_at"
    assert [f["column"] for f in card.features] == [
        f.column for f in default_policy().scoring.features
    ]
    assert "amount" in card.leakage.present_and_excluded
    assert 0.74 <= scorer.predict(SEED_ROW).probability <= 0.82
    # Restarting with the same bare policy loads the saved version.
    assert load_or_train_scorer(HistoryCRM(rows), bare, tmp_path).version == "v0001"


def test_a_shifted_mix_of_closed_deals_retrains(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    policy = _policy(recalibrate_after=500, retrain_after=500, drift_min_rows=100)
    crm = HistoryCRM(rows)
    scorer = load_or_train_scorer(crm, policy, tmp_path)
    # 99 deals spread over the training window: the same mix, and below drift_min_rows
    same = [dict(r, deal_id=f"D-SAME-{i}") for i, r in enumerate(rows[::9][:99])]
    for r in same:
        assert scorer.record_outcome(r, crm=crm).action == "kept"
    assert scorer.drift() is None
    report = scorer.drift(same + same[:1])
    assert report is not None and report.shifted == [], report.features[:3]

    # now every new deal comes from enterprise accounts of an industry never seen
    result = None
    for i in range(100):
        shifted = dict(rows[i], deal_id=f"D-BIG-{i}", employees=25000, industry="Mining")
        result = scorer.record_outcome(shifted, crm=crm)
        if result.action != "kept":
            break
    assert result is not None and result.action == "retrained"
    assert i >= 3, f"a few unusual deals among 100 are not a shifted mix: {result.reason}"
    assert "shifted" in result.reason and "industry" in result.reason
    assert result.previous == "v0001" and scorer.version == "v0002"
    assert scorer.drift() is None  # the new model's window includes them


def test_unreadable_registry_files_raise_a_data_error_naming_them(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    (tmp_path / "outcomes.jsonl").write_text('{"deal_id": "D-1", "outcome": "won"}\n{oops\n')
    with pytest.raises(DataError, match=r"outcomes.jsonl, line 2: not a JSON row"):
        registry.outcomes()
    (tmp_path / "history.json").write_text('{"v0001": true}')
    with pytest.raises(DataError, match=r"history.json: the promotion history must be a JSON"):
        registry.history()


REGISTER_SCRIPT = """
import sys
from sales_operator.scoring.registry import ModelRegistry
from sales_operator.scoring.tabular import TrainedModel
source, target, go = sys.argv[1:4]
model = TrainedModel.load(source)
import os, time
open(go + f".ready-{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
for _ in range(8):
    ModelRegistry(target).register(TrainedModel.load(source))
"""


def test_racing_processes_register_distinct_complete_versions(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    import os
    import subprocess
    import sys
    import time

    from sales_operator.scoring.tabular import TrainedModel

    model = train_scorer(rows, default_policy())
    assert isinstance(model, XGBScorer)
    source = model.save(tmp_path / "source")
    assert TrainedModel.load(source).predict(SEED_ROW) == model.predict(SEED_ROW)
    target, go = tmp_path / "models", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REGISTER_SCRIPT, str(source), str(target), str(go)], env=env
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 300
    while len(list(tmp_path.glob("go.ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    registry = ModelRegistry(target)
    assert registry.versions() == [f"v{n:04d}" for n in range(1, 17)]
    assert sorted(registry.history()) == registry.versions()  # every promotion kept
    assert registry.current_version() in registry.versions()
    for version in registry.versions():
        assert registry.load(version).predict(SEED_ROW).probability > 0
    assert not [p.name for p in target.iterdir() if p.name.startswith(".tmp")]
