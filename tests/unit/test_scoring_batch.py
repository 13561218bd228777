"""Chunked batch scoring (`scoring.batch`): whole-file scores, typed errors, no half files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import DataError
from sales_operator.policy import default_policy
from sales_operator.scoring import batch
from sales_operator.scoring.tabular import TrainedModel, train_tabular
from tests.unit.test_scoring_cli import run, write_csv
from tests.unit.test_scoring_tabular import synthetic_leads

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    scoring = default_policy().scoring.model_copy(update={"features": [], "time_column": None})
    return train_tabular(
        synthetic_leads(1200, seed=5),
        scoring,
        target="converted",
        id_column="lead_id",
        exclude=["status_after_call", "signed_up"],
    )


def scoring_rows(n: int = 3000) -> list[dict[str, Any]]:
    """Fresh leads, some with a blank or unseen source (the averaged and `other` paths)."""
    rows = synthetic_leads(n, seed=21)
    for i, row in enumerate(rows):
        row["lead_id"] = f"N{i:05d}"
        if i % 37 == 0:
            row["source"] = ""
        elif i % 53 == 0:
            row["source"] = "podcast"
    return rows


def read_scores(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_rows(model: TrainedModel, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The scores file written from one `score()` call over every row."""
    results = model.score(rows)
    return [
        {
            "id": row["lead_id"],
            "probability": f"{r.probability:.4f}",
            "band": r.band,
            "percentile": "" if r.percentile is None else f"{r.percentile:.1f}",
            "top_factors": batch.format_factors(r.factors),
        }
        for row, r in zip(rows, results, strict=True)
    ]


def test_chunked_scoring_equals_whole_file_scoring(model: TrainedModel, tmp_path: Path) -> None:
    rows = scoring_rows()
    leads = write_csv(tmp_path / "leads.csv", rows)
    seen: list[int] = []
    summary = batch.score_file(
        model, leads, tmp_path / "s7.csv", chunk_rows=7, progress=lambda n, _: seen.append(n)
    )
    assert summary.rows == len(rows) and sum(summary.bands.values()) == len(rows)
    assert read_scores(tmp_path / "s7.csv") == expected_rows(model, rows)
    assert seen == [*range(7, len(rows), 7), len(rows)]

    # Parquet out keeps full precision: exactly the whole-file probabilities, in order.
    batch.score_file(model, leads, tmp_path / "s.parquet", chunk_rows=250)
    table = pq.read_table(tmp_path / "s.parquet")
    whole = model.score(rows)
    assert table.column("probability").to_pylist() == [r.probability for r in whole]
    assert table.column("id").to_pylist() == [r["lead_id"] for r in rows]
    assert table.column("percentile").to_pylist() == [r.percentile for r in whole]
    assert not list(tmp_path.glob(".*.tmp"))


def test_parquet_input_scores_as_the_csv_does(model: TrainedModel, tmp_path: Path) -> None:
    rows = scoring_rows(600)
    leads = write_csv(tmp_path / "leads.csv", rows)
    typed = [
        {**r, "visits": int(r["visits"]) if r["visits"] else None, "extra": i}
        for i, r in enumerate(rows)
    ]
    pq.write_table(pa.Table.from_pylist(typed), tmp_path / "leads.parquet", row_group_size=64)
    batch.score_file(model, leads, tmp_path / "from_csv.csv", chunk_rows=100)
    batch.score_file(model, tmp_path / "leads.parquet", tmp_path / "from_pq.csv", chunk_rows=45)
    assert read_scores(tmp_path / "from_pq.csv") == read_scores(tmp_path / "from_csv.csv")


def test_a_bad_value_mid_stream_names_file_row_line_and_column_and_writes_nothing(
    model: TrainedModel, tmp_path: Path
) -> None:
    rows = scoring_rows(2000)
    rows[1500]["visits"] = "twelve"
    leads = write_csv(tmp_path / "leads.csv", rows)
    out = tmp_path / "scores.csv"
    out.write_text("the previous run's scores\n", "utf-8")
    with pytest.raises(DataError) as caught:
        batch.score_file(model, leads, out, chunk_rows=100)
    message = str(caught.value)
    assert message.startswith(f"{leads}: row 1500 (CSV line 1502): column 'visits'")
    assert "'twelve'" in message
    assert (caught.value.row, caught.value.column) == (1500, "visits")
    assert out.read_text("utf-8") == "the previous run's scores\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "scores.csv"]

    # The same in Parquet: no CSV line to name, and no Parquet output left behind.
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "leads.parquet", row_group_size=300)
    with pytest.raises(DataError, match=r"leads\.parquet: row 1500: column 'visits'"):
        batch.score_file(model, tmp_path / "leads.parquet", tmp_path / "s.parquet", chunk_rows=64)
    assert not (tmp_path / "s.parquet").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_malformed_csv_mid_stream_leaves_the_output_alone(
    model: TrainedModel, tmp_path: Path
) -> None:
    leads = write_csv(tmp_path / "leads.csv", scoring_rows(900))
    lines = leads.read_text("utf-8").splitlines(keepends=True)
    lines[700] = lines[700].rstrip("\r\n") + ",surplus\r\n"
    leads.write_text("".join(lines), "utf-8")
    with pytest.raises(DataError, match=r"leads\.csv: CSV line 701 has more fields"):
        batch.score_file(model, leads, tmp_path / "scores.csv", chunk_rows=50)
    assert not (tmp_path / "scores.csv").exists()

    broken = tmp_path / "broken.csv"
    clean = write_csv(tmp_path / "clean.csv", scoring_rows(900)).read_bytes()
    broken.write_bytes(clean[:40_000] + b"\xff\xfe not text\n" + clean[40_000:])
    with pytest.raises(DataError, match=r"broken\.csv: not UTF-8 text"):
        batch.score_file(model, broken, tmp_path / "scores.csv", chunk_rows=50)
    assert not (tmp_path / "scores.csv").exists()


def test_bad_files_get_clear_errors(model: TrainedModel, tmp_path: Path) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 this is not parquet at all")
    with pytest.raises(DataError, match=r"junk\.parquet: not a readable Parquet file"):
        batch.score_file(model, junk, tmp_path / "s.csv")
    with pytest.raises(DataError, match="no such Parquet file"):
        batch.score_file(model, tmp_path / "none.parquet", tmp_path / "s.csv")
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"lead_id": pa.array([], pa.string())}), empty)
    with pytest.raises(DataError, match="no data rows"):
        batch.score_file(model, empty, tmp_path / "s.csv")
    lacking = tmp_path / "lacking.parquet"
    pq.write_table(pa.Table.from_pylist([{"lead_id": "x", "visits": 3}]), lacking)
    with pytest.raises(DataError, match=r"lack the model's column\(s\)"):
        batch.score_file(model, lacking, tmp_path / "s.csv")
    renamed = [
        {("Visits" if k == "visits" else k): v for k, v in r.items()} for r in scoring_rows(5)
    ]
    for name in ("renamed.parquet", "renamed.csv"):
        if name.endswith(".csv"):
            write_csv(tmp_path / name, renamed)
        else:
            pq.write_table(pa.Table.from_pylist(renamed), tmp_path / name)
        with pytest.raises(DataError, match="did you mean 'Visits' for 'visits'"):
            batch.score_file(model, tmp_path / name, tmp_path / "s.csv")
    leads = write_csv(tmp_path / "leads.csv", scoring_rows(20))
    with pytest.raises(DataError, match="would overwrite the leads"):
        batch.score_file(model, leads, leads)
    with pytest.raises(DataError, match="chunk_rows must be at least 1"):
        batch.score_file(model, leads, tmp_path / "s.csv", chunk_rows=0)
    assert not (tmp_path / "s.csv").exists()


def test_the_cli_trains_on_parquet_and_scores_to_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pylist(synthetic_leads(1200, seed=5)), train)
    model_dir = tmp_path / "m"
    assert run("train", "--leads", str(train), "--target", "converted", "--id", "lead_id",
               "--out", str(model_dir), "--exclude", "status_after_call",
               "--time-column", "signed_up") == 0  # fmt: skip
    leads = tmp_path / "leads.parquet"
    rows = scoring_rows(500)
    pq.write_table(pa.Table.from_pylist(rows), leads)
    out = tmp_path / "scores.parquet"
    assert run("score", "--model", str(model_dir), "--leads", str(leads), "--out", str(out),
               "--chunk-rows", "128") == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "scored 500 leads" in captured.out
    assert captured.err.count("scored ") == 4 and "(100 %)" in captured.err
    table = pq.read_table(out)
    assert table.column_names == list(batch.SCORE_COLUMNS)
    assert table.num_rows == 500
    whole = TrainedModel.load(model_dir).score(rows)
    assert table.column("band").to_pylist() == [r.band for r in whole]


def test_category_memo_stays_bounded_on_free_text(
    model: TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sales_operator.scoring import tabular

    assert model.encoder is not None
    monkeypatch.setattr(tabular, "MEMO_LIMIT", 50)
    source = next(f for f in model.encoder.features if f.name == "source")
    rows = scoring_rows(400)
    for i, row in enumerate(rows):
        row["source"] = f"campaign {i}" if i % 2 else row["source"]
    before = [r.probability for r in model.score(rows)]
    for start in range(0, len(rows), 100):
        model.encoder.encode(rows[start : start + 100])
        assert len(source._memo) <= len(source.values) + 50 + 100
    assert [r.probability for r in model.score(rows)] == before


def test_sample_rows_draws_across_the_file_in_file_order(tmp_path: Path) -> None:
    rows = [{"lead_id": f"L{i:05d}", "n": str(i)} for i in range(5000)]
    path = write_csv(tmp_path / "many.csv", rows)
    sample, total = batch.sample_rows(path, 400)
    picked = [int(r["n"]) for r in sample]
    assert total == 5000 and len(picked) == 400 == len(set(picked))
    assert picked == sorted(picked)
    # Drawn from the whole file, not its head: each fifth of it holds about a fifth.
    fifths = [sum(1 for i in picked if k * 1000 <= i < (k + 1) * 1000) for k in range(5)]
    assert all(40 <= f <= 120 for f in fifths), fifths
    assert batch.sample_rows(path, 400) == (sample, total)  # seeded
    everything, total = batch.sample_rows(path, 10_000)
    assert everything == [{"lead_id": r["lead_id"], "n": r["n"]} for r in rows]
    with pytest.raises(DataError, match="at least 1"):
        batch.sample_rows(path, 0)


def test_cli_train_max_rows_trains_on_a_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    leads = write_csv(tmp_path / "leads.csv", synthetic_leads(3000, seed=5))
    out = tmp_path / "m"
    assert run("train", "--leads", str(leads), "--target", "converted", "--id", "lead_id",
               "--out", str(out), "--exclude", "status_after_call",
               "--time-column", "signed_up", "--max-rows", "1500") == 0  # fmt: skip
    assert "training on 1500 rows drawn at random from 3000" in capsys.readouterr().out
    card = json.loads((out / "card.json").read_text("utf-8"))
    assert card["rows"]["total"] == 1500 and card["split"] == "time"


def test_the_rules_model_scores_a_file_too(tmp_path: Path) -> None:
    from sales_operator.scoring.model import crm_policy, read_closed_deals_csv

    rows = read_closed_deals_csv()[:40]
    rules = train_tabular(rows, crm_policy(default_policy()), target="outcome", id_column="deal_id")
    assert rules.is_rules
    leads = write_csv(tmp_path / "deals.csv", rows)
    summary = batch.score_file(rules, leads, tmp_path / "scores.csv", chunk_rows=7)
    written = read_scores(tmp_path / "scores.csv")
    assert summary.rows == 40 and [r["id"] for r in written] == [r["deal_id"] for r in rows]
    assert [r["probability"] for r in written] == [
        f"{r.probability:.4f}" for r in rules.score(rows)
    ]
    (tmp_path / "taken").mkdir()
    with pytest.raises(DataError, match=r"taken: cannot write the scores"):
        batch.score_file(rules, leads, tmp_path / "taken", chunk_rows=7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.csv", "scores.csv", "taken"]


# -- a category column of whole-number floats reads alike from Parquet and CSV --------------


def _tiered(n: int, seed: int) -> list[dict[str, Any]]:
    """Leads whose plan `tier` (1-4, a float column with blanks, as pandas writes one) decides."""
    rows = synthetic_leads(n, seed=seed)
    for i, row in enumerate(rows):
        tier = 1 + (i * 7 + seed) % 4
        row["tier"] = None if i % 19 == 0 else float(tier)
        row["converted"] = "1" if (tier >= 3) != (i % 11 == 0) else "0"
    return rows


def _as_csv_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a CSV holds for these rows: a float column's 3.0 is the text "3.0"."""
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]


def _tier_model(rows: list[dict[str, Any]]) -> TrainedModel:
    from sales_operator.policy import ScoringFeature

    features = [
        ScoringFeature(column="tier", kind="categorical"),
        ScoringFeature(column="source", kind="categorical"),
    ]
    scoring = default_policy().scoring.model_copy(
        update={"features": features, "time_column": None}
    )
    return train_tabular(rows, scoring, target="converted", id_column="lead_id")


@pytest.mark.parametrize("trained_on", ["csv", "parquet"])
def test_whole_number_float_categories_score_alike_from_parquet_and_csv(
    trained_on: str, tmp_path: Path
) -> None:
    train = _tiered(800, seed=3)
    model = _tier_model(_as_csv_text(train) if trained_on == "csv" else train)
    assert model.encoder is not None
    tier = next(f for f in model.encoder.features if f.name == "tier")
    assert set(tier.values) == {"1", "2", "3", "4"}  # one spelling, whatever the file said

    rows = _tiered(300, seed=8)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "leads.parquet")
    write_csv(tmp_path / "leads.csv", _as_csv_text(rows))
    assert "3.0" in (tmp_path / "leads.csv").read_text()  # the CSV really spells floats
    batch.score_file(model, tmp_path / "leads.csv", tmp_path / "from_csv.csv", chunk_rows=64)
    batch.score_file(model, tmp_path / "leads.parquet", tmp_path / "from_pq.csv", chunk_rows=64)
    from_csv, from_pq = (
        read_scores(tmp_path / "from_csv.csv"),
        read_scores(tmp_path / "from_pq.csv"),
    )
    assert from_pq == from_csv
    # and the tier is read as learned, not as an unseen category: it separates the scores
    high = [
        float(s["probability"]) for s, r in zip(from_csv, rows, strict=True) if r["tier"] == 4.0
    ]
    low = [float(s["probability"]) for s, r in zip(from_csv, rows, strict=True) if r["tier"] == 1.0]
    assert min(high) > max(low)


def test_a_model_saved_with_float_spelled_categories_still_finds_them(tmp_path: Path) -> None:
    """A model trained on a CSV before the rule stored "3.0"; it must still read 3.0 and "3"."""
    from sales_operator.scoring.tabular import FittedFeature

    train = _tiered(800, seed=3)
    model = _tier_model(train)
    assert model.encoder is not None
    rows = _tiered(200, seed=8)
    expected = [r.probability for r in model.score(rows)]
    features = model.encoder.features
    i = next(i for i, f in enumerate(features) if f.name == "tier")
    old = features[i].to_dict()
    features[i] = FittedFeature.from_dict({**old, "values": [f"{v}.0" for v in old["values"]]})
    assert [r.probability for r in model.score(rows)] == expected
    assert [r.probability for r in model.score(_as_csv_text(rows))] == expected


def test_the_category_reading_of_whole_numbers() -> None:
    from sales_operator.scoring.tabular import _category

    for cell in (5, 5.0, "5", "5.0", " 5.00 ", "5.", "+5.0", "005.0"):
        assert _category(cell) == "5", cell
    assert _category(-0.0) == _category("-0.0") == _category("0.0") == "0"
    assert _category(-3.0) == _category("-3.0") == "-3"
    assert _category(2.5) == _category("2.5") == "2.5"
    assert _category("5.01") == "5.01" and _category("v5.0") == "v5.0"
    huge = "1" * 5000
    assert _category(huge + ".0") == huge  # no int() digit limit on a hostile cell
