"""The SEC filings as account documents for the research eval and benchmark.

For each company in `sec_edgar_company_filings/companies_10k.csv`: the as-of date is the
10-K's filing date; the documents are Item 1 (business), Item 1A (risk factors) and every 8-K
item (exhibit lists, item 9.01, left out) filed in the 12 months up to the as-of date, one
text file each, named with its date so the research reads it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

FOLDER = "sec_edgar_company_filings"
"""The data set's folder under the shared data directory."""


@dataclass
class Company:
    """One SEC company prepared for research."""

    file_stem: str
    name: str
    as_of: date
    folder: Path
    bytes: int


def prepare(data_dir: Path, out: Path, *, months: int = 12) -> list[Company]:
    """Write each company's documents under `out/<file_stem>/`; return the companies.

    Returns an empty list when the data set is absent.
    """
    root = data_dir / FOLDER
    if not (root / "companies_10k.csv").is_file():
        return []
    items = [json.loads(line) for line in (root / "8k_items.jsonl").open(encoding="utf-8")]
    companies: list[Company] = []
    for row in csv.DictReader((root / "companies_10k.csv").open(encoding="utf-8")):
        as_of = date.fromisoformat(row["filing_date"])
        start = as_of.replace(year=as_of.year - 1) if months == 12 else as_of
        folder = out / row["file_stem"]
        folder.mkdir(parents=True, exist_ok=True)
        for section, name in (
            ("10k_item1_business", "business"),
            ("10k_item1a_risk_factors", "risk-factors"),
        ):
            src = root / section / f"{row['file_stem']}.txt"
            if src.is_file():
                (folder / f"10-K-{name}-{as_of.isoformat()}.txt").write_text(
                    src.read_text(encoding="utf-8"), encoding="utf-8"
                )
        for n, item in enumerate(items):
            filed = date.fromisoformat(item["filing_date"])
            if item["cik"] != row["cik"] or item["item"] == "item_9.01":
                continue
            if not start < filed <= as_of:
                continue
            (folder / f"8-K-{filed.isoformat()}-{item['item']}-{n}.txt").write_text(
                item["text"], encoding="utf-8"
            )
        size = sum(p.stat().st_size for p in folder.iterdir())
        companies.append(Company(row["file_stem"], row["company"], as_of, folder, size))
    return companies
