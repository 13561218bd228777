"""Scoring + Routing: score the lead, route it to a rep, and keep the deal's risk current.

```text
        ┌─ lead_created ─────────────► score_lead ─► route_lead_to_rep ─┐
START ──┼─ activity_logged, ─────────► assess_deal_risk ────────────────┼─► END
        │  pipeline_review                                              │
        ├─ deal_closed ──────────────► record_outcome ──────────────────┤
        └─ anything else ───────────────────────────────────────────────┘
```

The subgraph only runs the nodes the event needs. The model score at lead creation is the
deal's base probability; risk warnings later take log-odds off that base (never off an
already-penalised score), and every change is kept in `score_history` with its reason.
Nothing here has side effects: the assignment is a decision the copilot turns into an
`assign_owner` proposal for the approval gate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.graph import END, START, StateGraph

from sales_operator.context import Context
from sales_operator.deps import PatternDeps
from sales_operator.errors import SalesOperatorError
from sales_operator.scoring.model import ScoreResult, band_for, feature_row
from sales_operator.scoring.risk import (
    adjust_probability,
    assess_risk,
    deal_changes,
    explain_change,
    is_at_risk,
)
from sales_operator.scoring.routing import recent_assignments, route_lead
from sales_operator.state import Assignment, DealState, LeadScore, ScoreFactor, ScorePoint

STEP = "scoring"
"""The key under which the scoring engine (`xgboost` or `rules`) is recorded in `engines`."""

ROUTING_STEP = "routing"
"""The key under which the routing engine is recorded in `engines`."""

MODEL_EVENT = "lead_created"
"""Score points recorded at this event are model scores: the base for risk adjustments."""

RISK_PREFIX = "risk:"
"""Prefix of the factor names that stand for risk warnings in an adjusted score."""


def _pct(p: float) -> str:
    return f"{round(p * 100):d}%"


def _factor_words(factors: list[ScoreFactor]) -> str:
    return ", ".join(f"{f.label} ({f.points:+.0f} pts)" for f in factors)


def _dispatch(state: DealState) -> str:
    """Pick the first node the current event needs (END when none)."""
    kind = state.event.type if state.event is not None else None
    if kind == "lead_created":
        return "score_lead"
    if kind in ("activity_logged", "pipeline_review"):
        return "assess_deal_risk"
    if kind == "deal_closed":
        return "record_outcome"
    return END


def build(deps: PatternDeps) -> StateGraph[Any, Any, Any, Any]:
    """Return the Scoring + Routing subgraph (uncompiled).

    Args:
        deps: Read-only dependencies: the scorer, the CRM reader (reps, open deal counts)
            and the policy (bands, routing rules, risk thresholds).
    """
    policy = deps.policy

    def score_lead(state: DealState) -> dict[str, Any]:
        """Score a new lead with the conversion model and record the first score point."""
        if state.event is None or state.event.type != "lead_created" or state.lead is None:
            return {}
        at = state.event.at
        raw = deps.scorer.predict(feature_row(state, at, policy=policy))
        result = raw if isinstance(raw, ScoreResult) else ScoreResult.model_validate(raw)
        first = not state.score_history
        reason = (
            f"{'first score at lead creation' if first else 'rescored at lead creation'}: "
            f"{_pct(result.probability)} (band {result.band})"
        )
        positives = [f for f in result.factors if f.points > 0]
        if positives:
            reason += f"; top factors: {_factor_words(positives)}"
        if result.note:
            reason += f"; {result.note}"
        score = LeadScore(
            probability=result.probability,
            band=result.band,
            factors=result.factors,
            model_version=result.model_version or deps.scorer.version,
            engine=result.engine or deps.scorer.engine,
            scored_at=at,
            reason=reason,
        )
        point = ScorePoint(at=at, probability=score.probability, event=MODEL_EVENT, reason=reason)
        return {
            "score": score,
            "score_history": [*state.score_history, point],
            "engines": {**state.engines, STEP: score.engine},
        }

    def route_lead_to_rep(state: DealState) -> dict[str, Any]:
        """Route the new lead to a rep by the policy's rules, capacity and availability."""
        if state.event is None or state.event.type != "lead_created":
            return {}
        at = state.event.at
        if state.account is None:
            queue = policy.routing.fallback_queue
            assignment = Assignment(
                rep_id=queue,
                rep_name=next((r.name for r in deps.crm.list_reps() if r.id == queue), queue),
                rule="fallback",
                reason="the lead has no account, so no rule can place it; sent to the queue",
                assigned_at=at,
                fallback=True,
                arrived_at=state.lead.created_at if state.lead is not None else at,
                notify_at=at,
            )
        else:
            assignment = route_lead(
                account=state.account,
                score_band=state.score.band if state.score is not None else "D",
                lead_source=state.lead.source if state.lead is not None else None,
                reps=deps.crm.list_reps(),
                open_counts=deps.crm.open_deal_counts(),
                policy=policy,
                at=at,
                recent=recent_assignments(deps.crm, limit=policy.routing.round_robin_window),
                arrived_at=state.lead.created_at if state.lead is not None else None,
            )
        assignment = assignment.model_copy(update={"routed_wall_at": datetime.now(UTC)})
        return {"assignment": assignment, "engines": {**state.engines, ROUTING_STEP: "policy"}}

    def _model_base(state: DealState) -> tuple[float, list[ScoreFactor], str, str] | None:
        """Return the deal's model probability, its factors, model version and engine."""
        model_points = [p for p in state.score_history if p.event == MODEL_EVENT]
        score = state.score
        model_factors = (
            [f for f in score.factors if not f.feature.startswith(RISK_PREFIX)] if score else []
        )
        if model_points:
            version = score.model_version if score else deps.scorer.version
            engine = score.engine if score else deps.scorer.engine
            return model_points[-1].probability, model_factors, version, engine
        if state.lead is None or state.event is None:
            return None
        raw = deps.scorer.predict(feature_row(state, state.event.at, policy=policy))
        result = raw if isinstance(raw, ScoreResult) else ScoreResult.model_validate(raw)
        return result.probability, result.factors, result.model_version, result.engine

    def assess_deal_risk(state: DealState) -> dict[str, Any]:
        """Recompute the risk warnings and adjust the model probability for them."""
        if state.event is None or state.event.type not in ("activity_logged", "pipeline_review"):
            return {}
        now = state.event.at
        crm_history = getattr(deps.crm, "stage_history", None)
        changes = deal_changes(
            state,
            now,
            crm_stage_history=crm_history(state.deal_id)
            if callable(crm_history) and state.deal_id
            else None,
        )
        warnings = assess_risk(state, now, policy, changes=changes)
        update: dict[str, Any] = {"risks": warnings, "deal_changes": changes}
        base = _model_base(state)
        if base is None:
            return update
        base_p, factors, version, engine = base
        probability, explanation = adjust_probability(base_p, warnings, policy)
        reason = explanation if warnings else f"{_pct(base_p)}: no risk warnings"
        still = {w.code for w in warnings}
        cleared = [w.message for w in state.risks if w.code not in still]
        if cleared:
            reason += f" (cleared: {'; '.join(cleared)})"
        if is_at_risk(probability, warnings, policy):
            reason += f"; at risk (below {_pct(policy.risk.at_risk_below)})"
        drop = base_p - probability
        total = sum(policy.risk.penalties.get(w.code, 0.0) for w in warnings)
        risk_factors = [
            ScoreFactor(
                feature=f"{RISK_PREFIX}{w.code}",
                label=w.message,
                points=round(-drop * policy.risk.penalties.get(w.code, 0.0) / total * 100, 2),
            )
            for w in warnings
            if total and policy.risk.penalties.get(w.code, 0.0)
        ]
        score = LeadScore(
            probability=probability,
            band=band_for(probability, policy),
            factors=factors + risk_factors,
            model_version=version,
            engine=engine,
            scored_at=now,
            reason=reason,
        )
        previous = state.score_history[-1].probability if state.score_history else None
        point = ScorePoint(
            at=now,
            probability=probability,
            event=state.event.type,
            reason=reason,
            previous_probability=previous,
            changes=explain_change(previous, state.risks, base_p, warnings, policy),
        )
        update.update(
            score=score,
            score_history=[*state.score_history, point],
            engines={**state.engines, STEP: engine},
        )
        return update

    def record_outcome(state: DealState) -> dict[str, Any]:
        """Record the closed deal's final score point: 1.0 won, 0.0 lost."""
        if state.event is None or state.event.type != "deal_closed":
            return {}
        outcome = state.deal.outcome if state.deal is not None else None
        outcome = outcome or state.event.payload.get("outcome")
        if outcome not in ("won", "lost"):
            return {}
        reason = f"closed {outcome}; label kept for retraining"
        learned = _learn_outcome(state, outcome)
        if learned:
            reason += f" ({learned})"
        point = ScorePoint(
            at=state.event.at,
            probability=1.0 if outcome == "won" else 0.0,
            event="deal_closed",
            reason=reason,
            previous_probability=(
                state.score_history[-1].probability if state.score_history else None
            ),
        )
        return {"score_history": [*state.score_history, point]}

    def _learn_outcome(state: DealState, outcome: str) -> str:
        """Hand the closed deal to a learning scorer (the model registry); say what it did.

        Only a scorer with `record_outcome` (`scoring.registry.RegistryScorer`) learns: it
        keeps the labelled row and recalibrates or retrains into a new model version when
        enough deals have closed, keeping the previous version for rollback.
        """
        learn = getattr(deps.scorer, "record_outcome", None)
        if learn is None or state.lead is None or state.event is None:
            return ""
        row = feature_row(state, state.lead.created_at, policy=policy)
        row.update(
            deal_id=state.deal_id,
            outcome=outcome,
            closed_at=state.event.at.isoformat(),
            created_at=state.lead.created_at.isoformat(),
        )
        try:
            result = learn(row, crm=deps.crm)
        except SalesOperatorError as err:
            return f"not learned: {err}"
        return str(getattr(result, "reason", ""))

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DealState, context_schema=Context)
    builder.add_node("score_lead", score_lead)
    builder.add_node("route_lead_to_rep", route_lead_to_rep)
    builder.add_node("assess_deal_risk", assess_deal_risk)
    builder.add_node("record_outcome", record_outcome)
    builder.add_conditional_edges(
        START, _dispatch, ["score_lead", "assess_deal_risk", "record_outcome", END]
    )
    builder.add_edge("score_lead", "route_lead_to_rep")
    builder.add_edge("route_lead_to_rep", END)
    builder.add_edge("assess_deal_risk", END)
    builder.add_edge("record_outcome", END)
    return builder
