"""Research eval: grounded account briefs on the 8 SEC companies of `shared/data`.

For each company the documents are Item 1, Item 1A and the 8-K items of the 12 months up to
the as-of date (the 10-K's filing date). The brief is written offline and scored by code:

- quote support: share of claims whose every quote is found verbatim (after normalising
  whitespace and quote marks) in the cited file, re-read from disk;
- boilerplate: share of claims an independent pattern list (below, not the library's) calls
  legal or filing boilerplate, or that were cut mid-sentence;
- section coverage: share of the six sections with at least one claim;
- key-fact recall: share of the hand-labelled facts (`datasets/research_key_facts.yaml`,
  labelled before the code was tuned) that some claim states.

Baselines get the same number of claims as our brief: the lead sentences of each document
(file order), and BM25 top-k over all sentences for a generic research query.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from evals import Section, md_table, pyplot, skipped
from evals.research_data import FOLDER, Company, prepare

KEY = "research"
TITLE = "Generative Research: briefs on SEC filings"
LABELS = Path(__file__).parent / "datasets" / "research_key_facts.yaml"
TARGETS = {"quote_support": 0.98, "boilerplate_rate": 0.05, "key_fact_recall": 0.8}

# An independent boilerplate list (the categories), deliberately not the library's.
_EVAL_BOILERPLATE = re.compile(
    r"exhibit\s+\d|incorporated (?:herein )?by reference|shall not be deemed|forward-looking|"
    r"safe harbor|/s/|signature|pursuant to the requirements|\bmeans\b.*\brate\b|"
    r"applicable margin|\bsofr\b|\blibor\b|check the appropriate box|form 8-k|"
    r"no (?:arrangements|family relationships)|indemnif|base salary|restricted stock|"
    r"^item \d|this current report",
    re.I,
)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _norm(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = text.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


def eval_boilerplate(text: str) -> bool:
    """Return True when the eval's own list calls `text` boilerplate or it was cut short."""
    return bool(_EVAL_BOILERPLATE.search(text)) or "…" in text or text.endswith("...")


def fact_hit(fact: dict[str, Any], claims: list[str]) -> bool:
    """Return True when some claim holds every term of one of the fact's alternatives."""
    lowered = [c.lower() for c in claims]
    return any(all(t.lower() in c for t in alt) for alt in fact["any"] for c in lowered)


def _score(
    claims: list[tuple[str, list[tuple[str, str]]]],
    facts: list[dict[str, Any]],
    sections: int | None,
) -> dict[str, Any]:
    texts = [c for c, _ in claims]
    supported = 0
    cache: dict[str, str] = {}
    for _, cites in claims:
        ok = bool(cites)
        for location, quote in cites:
            if location not in cache:
                cache[location] = _norm(Path(location).read_text(encoding="utf-8"))
            ok = ok and len(quote.split()) >= 5 and _norm(quote) in cache[location]
        supported += ok
    n = len(claims)
    hits = [f["id"] for f in facts if fact_hit(f, texts)]
    return {
        "claims": n,
        "quote_support": supported / n if n else 0.0,
        "boilerplate_rate": sum(eval_boilerplate(t) for t in texts) / n if n else 0.0,
        "section_coverage": None if sections is None else sections / 6,
        "key_fact_recall": len(hits) / len(facts) if facts else 0.0,
        "facts_hit": hits,
        "facts_missed": [f["id"] for f in facts if f["id"] not in hits],
        "words": sum(len(t.split()) for t in texts),
    }


def _documents(company: Company) -> list[tuple[str, str]]:
    return [(p.as_posix(), p.read_text(encoding="utf-8")) for p in sorted(company.folder.iterdir())]


def lead_baseline(company: Company, k: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The first sentences of each document in turn (round-robin), `k` in all."""
    from sales_operator.research.text import split_sentences

    per_doc = [(loc, split_sentences(text)) for loc, text in _documents(company)]
    out: list[tuple[str, list[tuple[str, str]]]] = []
    i = 0
    while len(out) < k and any(i < len(s) for _, s in per_doc):
        for loc, sentences in per_doc:
            if i < len(sentences) and len(out) < k:
                out.append((sentences[i], [(loc, sentences[i])]))
        i += 1
    return out


def bm25_baseline(
    company: Company, account: str, k: int
) -> list[tuple[str, list[tuple[str, str]]]]:
    """BM25 top-k sentences of all documents for a generic research query."""
    from sales_operator.research.retrieve import Retriever
    from sales_operator.research.sources import Source

    sources = [Source("document", loc, loc, text) for loc, text in _documents(company)]
    passages = [p for s in sources for p in s.passages]
    for p in passages:  # the baseline uses no flags: every sentence competes
        p.boilerplate = p.injection = False
    query = (
        f"{account} company business products services customers segments employees "
        "announced acquisition appointed chief officer results quarter revenue launched "
        "expansion strategy priorities competition risks"
    )
    top = Retriever(passages).top(query, k)
    return [(p.text, [(p.source.location, p.text)]) for _, p in top]


def _weighted(rows: dict[str, dict[str, Any]], system: str, key: str, claims: int) -> float:
    return sum(r[system][key] * r[system]["claims"] for r in rows.values()) / max(claims, 1)


def run(out_dir: Path, data_dir: Path, *, include_external: bool = True) -> Section:
    """Write and score a brief per SEC company, beside the two baselines."""
    folder = data_dir / FOLDER
    if not include_external:
        return skipped(KEY, TITLE, f"{folder} (not requested: --no-external)")
    if not (folder / "companies_10k.csv").is_file():
        return skipped(KEY, TITLE, str(folder))
    from sales_operator.llm import LLM
    from sales_operator.research.brief import write_brief
    from sales_operator.research.documents import FolderDocuments
    from sales_operator.state import Account

    labels = {c["file_stem"]: c for c in yaml.safe_load(LABELS.read_text())["companies"]}
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for company in prepare(data_dir, Path(tmp)):
            label = labels[company.file_stem]
            account = Account(id=company.file_stem, name=label["account"], domain=label["domain"])
            docs, _ = FolderDocuments(company.folder).read(account)
            brief = write_brief(
                account=account,
                contacts=[],
                lead=None,
                documents=docs,
                history=[],
                web=[],
                llm=LLM(None),
                now=datetime.combine(company.as_of, datetime.min.time(), UTC),
            )
            where = {s.id: s.location for s in brief.sources}
            ours = [
                (c.text, [(where[q.source], q.quote) for q in c.citations]) for c in brief.claims
            ]
            filled = sum(1 for s in brief.sections if s.claims)
            k = max(len(ours), 1)
            rows[company.file_stem] = {
                "account": label["account"],
                "as_of": company.as_of.isoformat(),
                "documents": len(docs),
                "ours": _score(ours, label["facts"], filled),
                "lead": _score(lead_baseline(company, k), label["facts"], None),
                "bm25": _score(bm25_baseline(company, label["account"], k), label["facts"], None),
                "dropped": brief.dropped,
            }
    systems = ("ours", "lead", "bm25")
    total: dict[str, dict[str, float]] = {}
    for system in systems:
        claims = sum(r[system]["claims"] for r in rows.values())
        facts = sum(len(labels[s]["facts"]) for s in rows)
        total[system] = {
            "claims": claims,
            "quote_support": _weighted(rows, system, "quote_support", claims),
            "boilerplate_rate": _weighted(rows, system, "boilerplate_rate", claims),
            "key_fact_recall": sum(len(r[system]["facts_hit"]) for r in rows.values())
            / max(facts, 1),
        }
    total["ours"]["section_coverage"] = sum(
        r["ours"]["section_coverage"] for r in rows.values()
    ) / max(len(rows), 1)
    met = {
        "quote_support": total["ours"]["quote_support"] >= TARGETS["quote_support"],
        "boilerplate_rate": total["ours"]["boilerplate_rate"] <= TARGETS["boilerplate_rate"],
        "key_fact_recall": total["ours"]["key_fact_recall"] >= TARGETS["key_fact_recall"],
    }
    n_facts = sum(len(c["facts"]) for c in labels.values())
    figure = _plot(total, out_dir)
    table = md_table(
        ["system", "claims", "quote support", "boilerplate", "key-fact recall", "coverage"],
        [
            [
                s,
                total[s]["claims"],
                total[s]["quote_support"],
                total[s]["boilerplate_rate"],
                total[s]["key_fact_recall"],
                total[s].get("section_coverage"),
            ]
            for s in systems
        ],
    )
    per_company = md_table(
        [
            "company",
            "as of",
            "docs",
            "claims",
            "support",
            "boilerplate",
            "recall",
            "missed",
            "lead recall",
            "bm25 recall",
        ],
        [
            [
                r["account"],
                r["as_of"],
                r["documents"],
                r["ours"]["claims"],
                r["ours"]["quote_support"],
                r["ours"]["boilerplate_rate"],
                r["ours"]["key_fact_recall"],
                ", ".join(r["ours"]["facts_missed"]) or "—",
                r["lead"]["key_fact_recall"],
                r["bm25"]["key_fact_recall"],
            ]
            for r in rows.values()
        ],
    )
    markdown = "\n\n".join(
        [
            f"Data: `{folder}` (8 companies; Item 1, Item 1A and the 8-K items of the 12 months "
            "up to the 10-K filing date, which is the as-of date). Offline engine. Key facts: "
            f"`evals/datasets/research_key_facts.yaml` ({n_facts} facts, labelled before "
            "tuning; the code was then tuned on these same 8 companies, there is "
            "no held-out set). Baselines get as many claims as our brief.",
            table,
            "Targets (offline): quote support >= 0.98, boilerplate <= 5 %, key-fact recall >= 0.8: "
            + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items())
            + ".",
            per_company,
            f"![research]({figure})",
        ]
    )
    status = "pass" if all(met.values()) else "partial"
    return Section(
        key=KEY,
        title=TITLE,
        status=status,
        markdown=markdown,
        results={"totals": total, "targets": TARGETS, "met": met, "companies": rows},
        figures=[figure],
        summary=[
            f"{TITLE}: quote support {total['ours']['quote_support']:.3f}, boilerplate "
            f"{total['ours']['boilerplate_rate']:.3f}, key-fact recall "
            f"{total['ours']['key_fact_recall']:.3f} (lead {total['lead']['key_fact_recall']:.3f}, "
            f"bm25 {total['bm25']['key_fact_recall']:.3f}), coverage "
            f"{total['ours']['section_coverage']:.2f}"
        ],
    )


def _plot(total: dict[str, dict[str, float]], out_dir: Path) -> str:
    plt = pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = ("quote_support", "boilerplate_rate", "key_fact_recall")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.25
    for n, system in enumerate(("ours", "lead", "bm25")):
        xs = [m + (n - 1) * width for m in range(len(metrics))]
        ax.bar(xs, [total[system][m] for m in metrics], width, label=system)
    ax.set_xticks(range(len(metrics)), metrics)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Research briefs on SEC filings (offline)")
    name = "research_briefs.png"
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return name
