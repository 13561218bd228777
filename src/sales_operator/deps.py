"""Deps: the live objects the operator works with, bound when the graph is built.

Nothing live ever goes into the state. `Deps.offline(workdir)` builds the embedded defaults
in one folder (a SQLite CRM, an outbox, a Slack log, an invite folder, the bundled documents,
a trained scoring model, the offline language engine); `Deps.from_env(workdir)` does the same
and then swaps in real services where the environment configures them.

Patterns receive `PatternDeps`, the read-only half; only the executor holds `Deps` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sales_operator.adapters.base import CRMReader, DocumentStore, Search
from sales_operator.llm import LLM
from sales_operator.policy import Policy


@runtime_checkable
class Scorer(Protocol):
    """A trained conversion model (or the rules model below the data gate)."""

    version: str
    """Model version recorded with every score."""
    engine: str
    """`xgboost` or `rules`."""

    def predict(self, row: dict[str, Any]) -> Any:
        """Score one feature row; see `sales_operator.scoring`."""
        ...


@dataclass(frozen=True)
class PatternDeps:
    """What a pattern may use: read access and the language engine, no writers."""

    policy: Policy
    """The RevOps policy."""
    crm: CRMReader
    """Read-only CRM."""
    llm: LLM
    """The language engine (a chat model or the offline engine)."""
    documents: DocumentStore
    """Local account documents."""
    search: Search | None
    """Web search (Tavily) when configured."""
    scorer: Scorer
    """The scoring model."""
