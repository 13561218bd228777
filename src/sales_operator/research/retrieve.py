"""Retrieval: rank every passage of every source per brief section, with BM25 (`bm25s`).

Each section has a query (what the section is about) and the seller's product profile adds
its own words where relevance to the product matters (`priorities`, `objections`, and as a
tie-breaker elsewhere). Scores are BM25 over stemmed words (Snowball through PyStemmer),
normalised per query to [0, 1]; whole documents are indexed, not their first pages.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np
from numpy.typing import NDArray

from sales_operator.policy import ProductProfile
from sales_operator.research.sources import Passage
from sales_operator.research.text import stems

SECTION_QUERIES: dict[str, str] = {
    "overview": (
        "company business provides offers products services customers segments operates "
        "employees headquartered largest leading global provider manufacturer portfolio brands "
        "markets industry operations subsidiaries"
    ),
    "recent_changes": (
        "announced acquisition acquire acquired merger agreement completed appointed named "
        "elected resigned retire retirement successor chief executive financial officer "
        "president director board results quarter fiscal year revenue launched launch "
        "expansion expand opened new plan separate separation spin-off contract awarded "
        "investment funding hiring hired restructuring layoffs partnership"
    ),
    "stakeholders": (
        "appointed named elected chief executive officer financial operating president "
        "vice president director head board chair chairman executive leadership team"
    ),
    "priorities": (
        "strategy strategic priorities priority focus invest investment growth efficiency "
        "improve productivity cost reduce reduction automation technology modernize "
        "transformation initiative goal plan expand capacity"
    ),
    "objections": (
        "competition competitors compete price pricing cost costs budget risk risks delay "
        "integration disruption adversely shortage labor constraints"
    ),
}
"""What each section asks of the sources."""


def profile_query(profile: ProductProfile) -> str:
    """Return the words of the product profile as one query."""
    return " ".join([profile.what_we_sell, *profile.problems, *profile.keywords])


class Retriever:
    """A BM25 index over passages, queried per section."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        """Index `passages` (stemmed, stop words out)."""
        self.passages = list(passages)
        """The indexed passages, in index order."""
        self._tokens = [stems(p.text) for p in self.passages]
        self._index: bm25s.BM25 | None = None
        if any(self._tokens):
            self._index = bm25s.BM25()
            self._index.index([t or ["_"] for t in self._tokens], show_progress=False)

    def scores(self, query: str) -> NDArray[np.float64]:
        """Return each passage's BM25 score for `query`, divided by the best (0 when none)."""
        out = np.zeros(len(self.passages), dtype=np.float64)
        if self._index is None:
            return out
        terms = sorted(set(stems(query)))
        if not terms:
            return out
        raw = np.asarray(self._index.get_scores(terms), dtype=np.float64)
        best = float(raw.max()) if raw.size else 0.0
        return raw / best if best > 0 else out

    def top(self, query: str, k: int) -> list[tuple[float, Passage]]:
        """Return the `k` best usable passages for `query` with their scores (ties: order)."""
        scores = self.scores(query)
        ranked = sorted(
            (i for i, p in enumerate(self.passages) if p.usable and scores[i] > 0),
            key=lambda i: (-scores[i], i),
        )
        return [(float(scores[i]), self.passages[i]) for i in ranked[:k]]
