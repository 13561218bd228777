"""The routing eval section on a tiny Maven-shaped folder (the real data is not needed)."""

from __future__ import annotations

import csv
from pathlib import Path

from evals.routing import FOLDER, run


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _folder(root: Path) -> Path:
    folder = root / FOLDER
    folder.mkdir()
    _write(
        folder / "sales_teams.csv",
        ["sales_agent", "manager", "regional_office"],
        [
            ["Ann Busy", "Mia Boss", "East"],
            ["Ben Idle", "Mia Boss", "East"],
            ["Cal West", "Ned Boss", "West"],
        ],
    )
    _write(
        folder / "accounts.csv",
        ["account", "sector", "year_established", "revenue", "employees"],
        [["Acme", "retail", "2000", "10", "1500"], ["Tiny", "retail", "2010", "1", "50"]],
    )
    rows = []
    # Six deals open with Ann before the quarter, then eight new East leads and two West.
    for i in range(6):
        rows.append([f"OLD{i}", "Ann Busy", "GTX", "Acme", "Engaging", "2016-12-05", "", ""])
    for i in range(8):
        day = f"2017-02-{10 + i:02d}"
        close = "2017-03-20" if i % 2 else ""
        rows.append([f"NEW{i}", "Ann Busy", "GTX", "Tiny", "Won", day, close, "100"])
    for i in range(2):
        rows.append([f"W{i}", "Cal West", "GTX", "", "Engaging", "2017-02-15", "", ""])
    _write(
        folder / "sales_pipeline.csv",
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ],
        rows,
    )
    return root


def test_the_section_skips_cleanly_without_data(tmp_path: Path) -> None:
    section = run(tmp_path / "out", tmp_path)
    assert section.status == "skipped"
    assert str(tmp_path / FOLDER) in section.markdown
    assert run(tmp_path / "out", tmp_path, include_external=False).status == "skipped"


def test_the_router_balances_load_and_respects_caps(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    out = tmp_path / "out"
    section = run(out, data)
    assert section.status == "ok"
    m = section.results
    assert m["quarter"] == {"start": "2017-01-01", "end": "2017-03-31"}
    assert m["leads"] == 10 and m["agents"] == 3
    assert m["open_at_start"] == 6 and m["cap"] == 3  # ceil(1.5 * 6 / 3)
    by = {r["strategy"]: r for r in m["strategies"]}
    owner = by["data owner (baseline)"]
    router = by["router: least-loaded, hold (bundled policy)"]
    # Ann takes every East lead in the data, far over the cap; the router gives Ben the
    # East leads up to the cap, then the fallback queue takes the rest.
    assert owner["new_leads_by_rep"] == {"rep-ann-busy": 8, "rep-ben-idle": 0, "rep-cal-west": 2}
    assert router["new_leads_by_rep"] == {"rep-ann-busy": 0, "rep-ben-idle": 3, "rep-cal-west": 2}
    assert router["fallback"] == 5
    assert router["capacity_breaches"] == 0
    assert router["max_mean_ratio_end"] < owner["max_mean_ratio_end"]
    assert owner["capacity_breaches"] > 0
    assert router["leads"] == 10
    assert (out / "routing_load.png").is_file()
    assert "| strategy |" in section.markdown
    assert section.summary and "routing (Maven" in section.summary[0]
