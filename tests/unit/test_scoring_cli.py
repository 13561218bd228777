"""`sales-operator train | score | drift` on CSV files."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import DataError, LeakageError
from sales_operator.scoring import cli as scoring_cli
from tests.unit.test_scoring_tabular import synthetic_leads


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workdir", default=".sales-operator/default")
    common.add_argument("--policy")
    common.add_argument("--sample", action="store_true")
    parser = argparse.ArgumentParser(prog="sales-operator")
    sub = parser.add_subparsers(dest="command", required=True)
    scoring_cli.add_commands(sub, common)
    return parser


def run(*argv: str) -> int:
    args = _parser().parse_args(list(argv))
    return int(args.func(args))


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("leads")
    return write_csv(folder / "leads.csv", synthetic_leads(1200, seed=5))


@pytest.fixture(scope="module")
def model_dir(leads: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "m"
    rc = run(
        "train",
        "--leads",
        str(leads),
        "--target",
        "converted",
        "--id",
        "lead_id",
        "--out",
        str(out),
        "--exclude",
        "status_after_call",
        "--time-column",
        "signed_up",
    )
    assert rc == 0
    return out


def test_train_writes_a_model_folder_with_a_card(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = json.loads((model_dir / "card.json").read_text("utf-8"))
    assert (model_dir / "model.ubj").is_file()
    assert card["engine"] == "xgboost" and card["split"] == "time"
    assert card["id_column"] == "lead_id" and card["target"] == "converted"
    kinds = {f["column"]: f["kind"] for f in card["features"]}
    # Inferred from the CSV: numbers, yes/no, and everything else categorical.
    assert kinds["visits"] == "numeric"
    assert kinds["newsletter"] == "boolean"
    assert kinds["source"] == "categorical"
    assert "status_after_call" not in kinds and "lead_id" not in kinds
    assert "signed_up" not in kinds  # the time column orders the split; it is not a feature


def test_score_writes_one_row_per_lead(
    model_dir: Path, leads: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.csv"
    assert run("score", "--model", str(model_dir), "--leads", str(leads), "--out", str(out)) == 0
    with leads.open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    with out.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        scored = list(reader)
    assert reader.fieldnames == ["id", "probability", "band", "percentile", "top_factors"]
    assert [r["id"] for r in scored] == [r["lead_id"] for r in source]
    for r in scored:
        assert 0.0 <= float(r["probability"]) <= 1.0
        assert r["band"] in {"A", "B", "C", "D"}
        assert 0.0 <= float(r["percentile"]) <= 100.0
    hot = max(scored, key=lambda r: float(r["probability"]))
    assert hot["band"] == "A"
    assert " pts" in hot["top_factors"] and ": +" in hot["top_factors"]
    assert f"scored {len(source)} leads" in capsys.readouterr().out


def test_drift_prints_each_feature(
    model_dir: Path, leads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("drift", "--model", str(model_dir), "--leads", str(leads), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["threshold"] == 0.25
    assert {f["feature"] for f in report["features"]} >= {"visits", "source"}


def test_train_refuses_post_outcome_columns(leads: Path, tmp_path: Path) -> None:
    with pytest.raises(LeakageError, match=r"status_after_call.*--exclude 'status_after_call'"):
        run(
            "train",
            "--leads",
            str(leads),
            "--target",
            "converted",
            "--id",
            "lead_id",
            "--out",
            str(tmp_path / "m"),
            "--policy",
            str(_policy_file(tmp_path)),
        )


def _policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("scoring:\n  post_outcome_columns: [status_after_call]\n", "utf-8")
    return path


def test_read_csv_rows_keeps_line_breaks_inside_quoted_cells(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,note,won\n1,"line one\nline two",yes\n2,"a\u2028b",no\n', "utf-8")
    rows = scoring_cli.read_csv_rows(path)
    assert [r["note"] for r in rows] == ["line one\nline two", "a\u2028b"]
    path.write_text('id,note\n1,"two\nlines"\n2,x,extra\n', "utf-8")
    with pytest.raises(DataError, match="CSV line 4 has more fields"):
        scoring_cli.read_csv_rows(path)


def test_clear_errors(leads: Path, model_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "m")
    with pytest.raises(DataError, match=r"--target column 'won' is not in the columns"):
        run("train", "--leads", str(leads), "--target", "won", "--out", out)
    with pytest.raises(DataError, match=r"--id column 'pid' is not in the columns"):
        run("train", "--leads", str(leads), "--target", "converted", "--id", "pid", "--out", out)
    with pytest.raises(DataError, match=r"unknown column\(s\) \['budget'\]"):
        run("train", "--leads", str(leads), "--target", "converted", "--exclude", "budget",
            "--out", out)  # fmt: skip
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(DataError, match="the file is empty"):
        run("train", "--leads", str(empty), "--target", "converted", "--out", out)
    header = tmp_path / "header.csv"
    header.write_text("lead_id,converted\n", "utf-8")
    with pytest.raises(DataError, match="no data rows"):
        run("train", "--leads", str(header), "--target", "converted", "--out", out)
    with pytest.raises(DataError, match="no such CSV file"):
        run("score", "--model", str(model_dir), "--leads", str(tmp_path / "x.csv"), "--out", out)
    with pytest.raises(DataError, match="not a model folder"):
        run("score", "--model", str(tmp_path), "--leads", str(leads), "--out", out)

    rows = synthetic_leads(20, seed=9)
    rows[3]["visits"] = "a dozen"
    bad = write_csv(tmp_path / "bad.csv", rows)
    bad_value = r"bad\.csv: row 3 \(CSV line 5\): column 'visits' must be numeric, got 'a dozen'"
    with pytest.raises(DataError, match=bad_value) as caught:
        run("score", "--model", str(model_dir), "--leads", str(bad), "--out", out)
    assert (caught.value.row, caught.value.column) == (3, "visits")
    lacking = write_csv(
        tmp_path / "lacking.csv", [{k: v for k, v in r.items() if k != "source"} for r in rows]
    )
    with pytest.raises(DataError, match=r"lack the model's column\(s\) \['source'\]"):
        run("score", "--model", str(model_dir), "--leads", str(lacking), "--out", out)
    no_target = [dict(r) for r in synthetic_leads(50, seed=2)]
    no_target[7]["converted"] = ""
    holes = write_csv(tmp_path / "holes.csv", no_target)
    with pytest.raises(DataError, match=r"row 7: target column 'converted' is empty"):
        run("train", "--leads", str(holes), "--target", "converted", "--out", out,
            "--exclude", "status_after_call")  # fmt: skip


def test_model_command_refreshes_and_rolls_back_the_operators_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = str(tmp_path / "work")
    assert run("model", "status", "--workdir", workdir, "--sample") == 0
    out = capsys.readouterr().out
    assert "current: v0001 (xgboost)" in out and "history: v0001" in out

    # not due yet: the scheduled refresh keeps the model
    assert run("model", "refresh", "--workdir", workdir, "--sample") == 0
    assert capsys.readouterr().out.startswith("kept: v0001")

    assert run("model", "refresh", "--force", "--workdir", workdir, "--sample") == 0
    out = capsys.readouterr().out
    assert out.startswith("retrained: v0002") and "history: v0001 -> v0002" in out

    assert run("model", "rollback", "--workdir", workdir, "--sample") == 0
    out = capsys.readouterr().out
    assert "rolled back: v0001" in out and "current: v0001" in out
    assert (tmp_path / "work" / "models" / "v0002").is_dir()  # kept, not deleted

    with pytest.raises(DataError, match="nothing to roll back"):
        run("model", "rollback", "--workdir", workdir, "--sample")
