"""Learning shared across processes: one counter in the model registry, read incrementally."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import DataError
from sales_operator.policy import Policy, default_policy
from sales_operator.scoring.model import load_or_train_scorer, read_closed_deals_csv
from sales_operator.scoring.registry import OUTCOMES, ModelRegistry
from tests.unit.test_scoring_model import SEED_ROW, HistoryCRM


def _policy(**scoring: Any) -> Policy:
    base = default_policy()
    return base.model_copy(update={"scoring": base.scoring.model_copy(update=scoring)})


POLICY = _policy(recalibrate_after=5, retrain_after=10_000, drift_min_rows=100_000)


def _close_deals(root: str, worker: int, count: int, start: Any, out: Any) -> None:
    """One process: load the current model and learn `count` closed deals."""
    rows = read_closed_deals_csv()
    crm = HistoryCRM(rows)
    scorer = load_or_train_scorer(crm, POLICY, Path(root))
    start.wait(timeout=120)
    actions = []
    for i in range(count):
        outcome = "won" if (worker + i) % 2 else "lost"
        row = dict(SEED_ROW, deal_id=f"D-P{worker}-{i}", outcome=outcome, closed_at="2026-10-15")
        actions.append(scorer.record_outcome(row, crm=crm).action)
    out.put(actions)


def test_processes_closing_deals_share_one_recalibration_counter(tmp_path: Path) -> None:
    rows = read_closed_deals_csv()
    root = tmp_path / "models"
    first = load_or_train_scorer(HistoryCRM(rows), POLICY, root)
    assert first.version == "v0001"
    workers, each = 4, 5
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(workers)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_close_deals, args=(str(root), w, each, start, out))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    actions = [a for worker in results for a in worker]
    registry = ModelRegistry(root)
    # 20 closed deals, recalibration every 5: exactly 4 recalibrations, one per count,
    # however the processes interleave (each process alone would count its own 5)
    assert actions.count("recalibrated") == workers * each // 5
    assert actions.count("kept") == workers * each - workers * each // 5
    assert registry.versions() == ["v0001", "v0002", "v0003", "v0004", "v0005"]
    assert registry.current_version() == "v0005"
    assert registry.outcome_count() == workers * each
    seen = [registry.card(v).outcomes_seen for v in registry.versions()]
    assert seen == [0, 5, 10, 15, 20]
    parents = [registry.card(v).parent for v in registry.versions()[1:]]
    assert parents == ["v0001", "v0002", "v0003", "v0004"]


def test_outcomes_are_read_incrementally_and_reread_when_replaced(tmp_path: Path) -> None:
    writer = ModelRegistry(tmp_path)
    reader = ModelRegistry(tmp_path)  # another process's view of the same folder
    assert reader.outcome_count() == 0
    writer.add_outcome({"deal_id": "D-1", "outcome": "won"})
    writer.add_outcome({"deal_id": "D-2", "outcome": "lost"})
    assert reader.outcome_count() == 2
    writer.add_outcome({"deal_id": "D-1", "outcome": "lost"})  # the same deal again
    assert reader.outcome_count() == 2
    assert {r["deal_id"]: r["outcome"] for r in reader.outcomes()} == {"D-1": "lost", "D-2": "lost"}
    path = tmp_path / OUTCOMES
    # a line still being written is not read until it is complete
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"deal_id": "D-3", "outc')
    assert reader.outcome_count() == 2
    with path.open("a", encoding="utf-8") as fh:
        fh.write('ome": "won"}\n')
    assert reader.outcome_count() == 3
    # a replaced (shorter) file is read again from the start
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(json.dumps({"deal_id": "D-9", "outcome": "won"}) + "\n")
    replacement.replace(path)
    assert [r["deal_id"] for r in reader.outcomes()] == ["D-9"]


def test_a_bad_appended_line_is_named_and_nothing_is_half_read(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.add_outcome({"deal_id": "D-1", "outcome": "won"})
    with (tmp_path / OUTCOMES).open("a", encoding="utf-8") as fh:
        fh.write('{"deal_id": "D-2", "outcome": "won"}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"line 3: a learned outcome must be a JSON object"):
        registry.outcomes()
    with pytest.raises(DataError, match=r"line 3"):  # the same error again, not a shifted one
        registry.outcome_count()
