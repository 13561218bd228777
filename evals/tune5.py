"""Tune set 5 (issue 9, round 6): a labelled sentence bank of competitor mentions, negatives
and dated commitments in varied phrasing (`datasets/tune5_sentences.tsv`).

Each sentence is analysed offline as the second turn of a two-party call (rep "Sam Ortiz",
customer "Dana Reyes" of Fernhill Bakery, call date Wednesday 2026-03-11):

- `policy on`: a sales-tech seller (Brightdesk) with no competitor list, so the vendor
  lexicon is matched; `policy list`: the bundled policy (tracked competitors, lexicon off).
- Competitors: per sentence, the predicted vendor names against the labelled ones (names
  compared squashed, case-insensitive); negatives count only their false alarms.
- Commitments: found (any commitment by the labelled speaker's side) and found with the
  labelled due date (`null`: no date).

The bank was labelled before the round-6 rule changes and is tuned on: its figures are
in-sample. `python -m evals.tune5` prints them (`--misses` also lists the misses).

`--bank evals/datasets/tune6_sentences.tsv` scores tune set 6 (round 7, cq: competitors
named with other verbs, past tools, "the X guys", possessives, comparisons, and negatives,
all under the bundled policy with its competitor list), labelled before round 7's rules.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

BANK = Path(__file__).resolve().parent / "datasets" / "tune5_sentences.tsv"
"""The labelled sentences."""

CALL_DATE = date(2026, 3, 11)
REP, CUSTOMER, ACCOUNT = "Sam Ortiz", "Dana Reyes", "Fernhill Bakery"
SELLER_ON = {
    "company": {"name": "Brightdesk", "product": "Brightdesk Engage"},
    "meetings": {"competitors": []},
}


@dataclass(frozen=True)
class Row:
    """One labelled sentence."""

    kind: str
    policy: str
    speaker: str
    expected: str
    sentence: str


def load_bank(path: Path = BANK) -> list[Row]:
    """Read the bank (lines starting with `#` are comments)."""
    lines = [ln for ln in path.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [Row(**{k: (v or "") for k, v in r.items()}) for r in reader]


@lru_cache(maxsize=2)
def _policy(kind: str) -> Any:
    from evals.meetings import gold_policy

    return gold_policy({"call_id": f"tune5-{kind}", "policy": SELLER_ON if kind == "on" else {}})


def _squash(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def analyse(row: Row) -> Any:
    """Analyse one sentence as the second turn of a short call."""
    from sales_operator.llm import LLM
    from sales_operator.meetings import analyze_call, parse_transcript

    first, second = (REP, CUSTOMER) if row.speaker == "customer" else (CUSTOMER, REP)
    text = f"{first}: Okay.\n{second}: {row.sentence}\n"
    return analyze_call(
        parse_transcript(text),
        call_id="tune5",
        call_date=CALL_DATE,
        rep_names={REP},
        customer_names={CUSTOMER},
        policy=_policy(row.policy),
        llm=LLM(None),
        account_names=[ACCOUNT],
    )


def _prf(tp: int, pred: int, gold: int) -> dict[str, Any]:
    p = tp / pred if pred else 1.0
    r = tp / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
        "tp": tp,
        "predicted": pred,
        "gold": gold,
    }


def score(rows: list[Row] | None = None) -> dict[str, Any]:
    """Score the bank; return micro figures and the misses."""
    rows = load_bank() if rows is None else rows
    c_tp = c_pred = c_gold = 0
    m_found = m_due = m_gold = m_pred = 0
    misses: list[str] = []
    for row in rows:
        insights = analyse(row)
        if row.kind in ("competitor", "none"):
            pred = {_squash(m.tracker) for m in insights.competitors}
            gold = {_squash(n) for n in row.expected.split("|") if n}
            c_tp += len(pred & gold)
            c_pred += len(pred)
            c_gold += len(gold)
            if pred != gold:
                misses.append(
                    f"{row.kind}: {row.sentence!r} -> {sorted(pred)} (gold {sorted(gold)})"
                )
            continue
        m_gold += 1
        m_pred += len(insights.commitments)
        side = {c.owner for c in insights.commitments}
        owner = CUSTOMER if row.speaker == "customer" else REP
        mine = [c for c in insights.commitments if c.owner in (owner, owner.split()[0])] or list(
            insights.commitments
        )
        if mine:
            m_found += 1
            dues = {c.due.isoformat() if c.due else "null" for c in mine}
            if row.expected in dues:
                m_due += 1
                continue
            misses.append(
                f"commitment: {row.sentence!r} -> due {sorted(dues)} (gold {row.expected}; {side})"
            )
        else:
            misses.append(f"commitment: {row.sentence!r} -> none (gold {row.expected})")
    return {
        "competitors": _prf(c_tp, c_pred, c_gold),
        "commitments": _prf(m_found, max(m_pred, m_found), m_gold),
        "commitments_due": _prf(m_due, max(m_pred, m_found), m_gold),
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> None:
    """Print the bank's figures (`--misses`: and what was missed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    parser.add_argument(
        "--bank", type=Path, default=BANK, help="another bank in the same format (tune6)"
    )
    args = parser.parse_args(argv)
    result = score(load_bank(args.bank))
    misses = result.pop("misses")
    print(json.dumps(result, indent=1))
    if args.misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
