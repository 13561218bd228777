"""Generative Research: the cited account brief, and the customer-success handoff brief.

```text
START ─┬─► write_account_brief ─► END   (lead_created)
       └─► write_handoff_brief ─► END   (deal_closed, won)
```

The event picks the one node it needs (no step of the subgraph runs for nothing), and each
node still does nothing for an event that does not concern it.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from sales_operator.context import Context
from sales_operator.deps import PatternDeps
from sales_operator.llm import LLM
from sales_operator.research.run import research_account
from sales_operator.state import DealState

logger = logging.getLogger(__name__)

STEP = "generative_research"
"""The key under which the brief's engine is recorded in `DealState.engines`."""


def language_engine(deps: PatternDeps, runtime: Runtime[Context] | None) -> LLM:
    """Return `deps.llm`, or the offline engine when the run's context says `offline`."""
    context = getattr(runtime, "context", None)
    return LLM(None) if isinstance(context, Context) and context.offline else deps.llm


def build(deps: PatternDeps) -> StateGraph[Any, Any, Any, Any]:
    """Return the Generative Research subgraph (uncompiled).

    Args:
        deps: Read-only dependencies: the CRM reader, the document store, the optional web
            search and the language engine.
    """

    def write_account_brief(state: DealState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the cited pre-call brief for the account of a new lead."""
        if state.event is None or state.event.type != "lead_created":
            return {}
        if state.account is None:
            logger.warning("lead_created on %s without an account: no brief", state.deal_id)
            return {}
        brief = research_account(
            account=state.account,
            contacts=state.contacts,
            lead=state.lead,
            crm=deps.crm,
            documents=deps.documents,
            search=deps.search,
            llm=language_engine(deps, runtime),
            policy=deps.policy,
            now=state.event.at,
        )
        engines = {**state.engines, STEP: brief.engine}
        if deps.search is not None:
            engines[f"{STEP}.web_search"] = (
                f"{type(deps.search).__name__} ({brief.searches} searches)"
            )
        return {"brief": brief, "engines": engines}

    def write_handoff_brief(state: DealState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the customer-success handoff brief for a won deal."""
        event = state.event
        if event is None or event.type != "deal_closed":
            return {}
        outcome = event.payload.get("outcome") or (state.deal.outcome if state.deal else None)
        if outcome != "won":
            return {}
        if state.account is None:
            logger.warning("deal_closed on %s without an account: no handoff", state.deal_id)
            return {}
        deal = state.deal
        amount = event.payload.get("amount")
        if amount is None and deal is not None:
            amount = deal.amount
        rep: dict[str, Any] | None = None
        if state.assignment is not None:
            rep = {"id": state.assignment.rep_id, "name": state.assignment.rep_name}
        elif deal is not None and deal.owner_id:
            rep = {"id": deal.owner_id, "name": deal.owner_id}
        deal_context: dict[str, Any] = {
            "deal": {
                "id": deal.id if deal else state.deal_id,
                "name": deal.name if deal else state.account.name,
                "amount": amount,
                "currency": deps.policy.company.currency,
                "closed_at": event.at.date().isoformat(),
            },
            "meeting": state.meeting,
            "rep": rep,
        }
        handoff = research_account(
            account=state.account,
            contacts=state.contacts,
            lead=state.lead,
            crm=deps.crm,
            documents=deps.documents,
            search=None,
            llm=language_engine(deps, runtime),
            policy=deps.policy,
            now=event.at,
            purpose="cs_handoff",
            deal_context=deal_context,
        )
        return {"handoff": handoff, "engines": {**state.engines, f"{STEP}.handoff": handoff.engine}}

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DealState, context_schema=Context)
    builder.add_node("write_account_brief", write_account_brief)
    builder.add_node("write_handoff_brief", write_handoff_brief)
    builder.add_conditional_edges(
        START, _dispatch, ["write_account_brief", "write_handoff_brief", END]
    )
    builder.add_edge("write_account_brief", END)
    builder.add_edge("write_handoff_brief", END)
    return builder


def _dispatch(state: DealState) -> str:
    """Pick the node the current event needs (END when none)."""
    kind = state.event.type if state.event is not None else None
    if kind == "lead_created":
        return "write_account_brief"
    if kind == "deal_closed":
        return "write_handoff_brief"
    return END
