"""Research benchmark: brief latency per company and per MB of documents, offline; and, with
a fake chat model, model calls and prompt size per brief.

    python -m benchmarks.research [--repeats 3] [--data ../shared/data] [--out DIR]

Companies are the SEC filings of `shared/data` (Item 1, 1A and the 8-Ks of the 12 months up
to the as-of date); without that folder, the bundled demo documents. Baselines in the same
run: reading the documents alone, and a plain BM25 top-k over every sentence. Tokens are
estimated as characters / 4 (no tokenizer can be downloaded here).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from benchmarks import median_seconds, write_result
from sales_operator.llm import LLM
from sales_operator.policy import ResearchPolicy
from sales_operator.research.brief import write_brief
from sales_operator.research.documents import FolderDocuments
from sales_operator.research.retrieve import Retriever
from sales_operator.research.sources import document_source
from sales_operator.state import Account


class CountingModel(GenericFakeChatModel):
    """A fake chat model that answers every structured call with an empty brief and counts."""

    calls: int = 0
    prompt_chars: int = 0

    def bind_tools(self, tools: Any, **kwargs: Any) -> CountingModel:  # noqa: D102
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.prompt_chars += sum(len(str(m.content)) for m in messages)
        return super()._generate(messages, *args, **kwargs)


def _replies() -> Iterator[AIMessage]:
    while True:
        yield AIMessage(
            content="",
            tool_calls=[{"name": "BriefDraft", "args": {"sections": []}, "id": "c"}],
        )


def _companies(data: Path, tmp: Path) -> list[tuple[str, Account, Path, datetime]]:
    from evals.research_data import prepare

    out = []
    for c in prepare(data, tmp):
        name = c.name.split(",")[0].title()
        out.append(
            (
                c.file_stem,
                Account(id=c.file_stem, name=name),
                c.folder,
                datetime.combine(c.as_of, datetime.min.time(), UTC),
            )
        )
    if not out:
        bundled = FolderDocuments.bundled().root / "northwind-logistics"
        account = Account(id="A-NWL", name="Northwind Logistics")
        out.append(("northwind-logistics", account, bundled, datetime(2026, 11, 2, tzinfo=UTC)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Time offline briefs and count model calls; write `<out>/research.json`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data")
    )
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    settings = ResearchPolicy()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for stem, account, folder, now in _companies(Path(args.data), Path(tmp)):
            store = FolderDocuments(folder)
            documents = store.read(account)[0]
            mb = sum(len(d.text.encode()) for d in documents) / 1e6

            def brief(
                llm: LLM,
                documents: list[Any] = documents,
                now: datetime = now,
                account: Account = account,
            ) -> Any:
                return write_brief(
                    account=account,
                    contacts=[],
                    lead=None,
                    documents=documents,
                    history=[],
                    web=[],
                    llm=llm,
                    now=now,
                    settings=settings,
                )

            def bm25(documents: list[Any] = documents, account: Account = account) -> None:
                passages = [p for d in documents for p in document_source(d).passages]
                Retriever(passages).top(f"{account.name} business customers results", 18)

            timings = {
                "read_documents": median_seconds(
                    lambda store=store, a=account: store.read(a), args.repeats
                ),
                "bm25_topk": median_seconds(bm25, args.repeats),
                "brief_offline": median_seconds(lambda: brief(LLM(None)), args.repeats),
            }
            model = CountingModel(messages=_replies())
            t0 = time.perf_counter()
            brief(LLM(model, name="fake"))
            fake_s = time.perf_counter() - t0
            rows.append(
                {
                    "company": stem,
                    "documents": len(documents),
                    "mb": round(mb, 3),
                    "seconds": {k: round(v, 4) for k, v in timings.items()},
                    "brief_offline_s_per_mb": round(timings["brief_offline"] / max(mb, 1e-9), 3),
                    "ratio_brief_to_bm25": round(
                        timings["brief_offline"] / timings["bm25_topk"], 2
                    ),
                    "fake_model": {
                        "calls": model.calls,
                        "approx_prompt_tokens": model.prompt_chars // 4,
                        "seconds": round(fake_s, 4),
                    },
                }
            )
    result = {
        "benchmark": "research",
        "subject": "write_brief: sources, BM25 per section, verification (offline and fake model)",
        "baselines": ["FolderDocuments.read alone", "BM25 top-18 over all sentences"],
        "reflection_rounds": settings.reflection_rounds,
        "repeats": args.repeats,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
    }
    written = write_result(args.out, "research", result)
    print("research: brief latency (median), offline, and model calls with a fake model")
    for r in rows:
        s = r["seconds"]
        print(
            f"  {r['company']}: {r['documents']} docs, {r['mb']:.3f} MB: "
            f"brief {s['brief_offline']:.3f} s "
            f"({r['brief_offline_s_per_mb']:.2f} s/MB, x{r['ratio_brief_to_bm25']} BM25 top-k, "
            f"read {s['read_documents']:.3f} s); fake model: {r['fake_model']['calls']} calls, "
            f"~{r['fake_model']['approx_prompt_tokens']} prompt tokens"
        )
    print(f"  written to {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
