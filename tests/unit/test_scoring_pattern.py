from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator.adapters.base import Rep
from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.patterns.scoring import build
from sales_operator.policy import Policy, default_policy
from sales_operator.scoring.model import (
    RulesScorer,
    XGBScorer,
    read_closed_deals_csv,
    train_scorer,
)
from sales_operator.serde import make_serializer
from sales_operator.state import (
    Account,
    Activity,
    Commitment,
    Contact,
    Deal,
    DealState,
    Event,
    Lead,
    MeetingInsights,
    Quote,
)

CREATED = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)
CALL = datetime(2026, 11, 4, 16, 0, tzinfo=UTC)
REPLY = datetime(2026, 11, 7, 10, 30, tzinfo=UTC)
REVIEW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CLOSED = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


REPS = [
    Rep(
        id="rep-sam",
        name="Sam Rivera",
        email="sam.rivera@orbitalfreight.com",
        territory="NA-East",
        segments=["mid_market"],
        capacity=20,
    ),
    Rep(
        id="rep-priya",
        name="Priya Nair",
        email="priya.nair@orbitalfreight.com",
        territory="NA-East",
        segments=["mid_market"],
        capacity=12,
    ),
    Rep(
        id="queue-inbound",
        name="Inbound SDR queue",
        email="inbound@orbitalfreight.com",
        role="queue",
        capacity=10_000,
    ),
]


def tiny_crm(*, sam_open: int = 8, priya_open: int = 12) -> InMemoryCRM:
    """Return a CRM where Sam owns `sam_open` open deals and Priya `priya_open`."""
    deals = [
        Deal(id=f"D-{rep_id}-{i}", name=f"Open deal {i}", stage="discovery", owner_id=rep_id)
        for rep_id, count in (("rep-sam", sam_open), ("rep-priya", priya_open))
        for i in range(count)
    ]
    crm = InMemoryCRM(reps=REPS, deals=deals, closed_rows=read_closed_deals_csv())
    assert crm.open_deal_counts() == {
        "rep-sam": sam_open,
        "rep-priya": priya_open,
        "queue-inbound": 0,
    }
    return crm


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


@pytest.fixture(scope="module")
def xgb_scorer(policy: Policy) -> XGBScorer:
    scorer = train_scorer(read_closed_deals_csv(), policy)
    assert isinstance(scorer, XGBScorer)
    return scorer


def _graph(policy: Policy, scorer: Any, crm: InMemoryCRM | None = None) -> Any:
    deps = fake_pattern_deps(crm=crm or tiny_crm(), policy=policy, scorer=scorer)
    return build(deps).compile(checkpointer=InMemorySaver(serde=make_serializer()))


def _lead_created() -> dict[str, Any]:
    event = Event(type="lead_created", at=CREATED)
    return {
        "event": event,
        "events": [event],
        "event_id": "D-2001:lead_created:1",
        "deal_id": "D-2001",
        "deal": Deal(
            id="D-2001",
            name="Northwind Logistics - Orbital Dispatch",
            amount=48000,
            close_date=date(2026, 11, 27),
        ),
        "account": Account(
            id="A-NWL",
            name="Northwind Logistics",
            domain="northwind-logistics.com",
            industry="Logistics",
            employees=450,
            territory="NA-East",
            country="US",
        ),
        "contacts": [
            Contact(id="C-DW", name="Dana Whitfield", title="VP of Operations"),
            Contact(id="C-MC", name="Marcus Chen", title="Chief Revenue Officer"),
        ],
        "lead": Lead(
            id="L-5001",
            contact_id="C-DW",
            source="demo_request",
            created_at=CREATED,
            signals={
                "pages_visited": 7,
                "pricing_page_visits": 2,
                "emails_opened": 3,
                "demo_requested": True,
                "webinar_attended": False,
            },
        ),
        "activities": [
            Activity(
                at=CREATED, kind="form_fill", direction="inbound", summary="Lead from demo_request"
            )
        ],
    }


def _discovery_call() -> MeetingInsights:
    return MeetingInsights(
        call_id="call-2026-11-04-discovery",
        call_date=date(2026, 11, 4),
        talk_ratio={"Sam Rivera": 0.42, "Dana Whitfield": 0.58},
        commitments=[
            Commitment(
                owner="Sam Rivera",
                side="rep",
                text="Send the ROI model and pricing proposal by Friday",
                due=date(2026, 11, 6),
                quote=Quote(speaker="Sam Rivera", text="ROI model and pricing by Friday."),
            ),
            Commitment(
                owner="Dana Whitfield",
                side="customer",
                text="Loop in Marcus, the CRO, next Tuesday",
                due=date(2026, 11, 10),
                quote=Quote(speaker="Dana Whitfield", text="I'll loop in Marcus next Tuesday."),
            ),
        ],
        engine="offline:extractive",
    )


def _values(graph: Any, config: dict[str, Any]) -> DealState:
    return DealState.model_validate(graph.get_state(config).values)


def test_seed_lifecycle_through_the_subgraph(policy: Policy, xgb_scorer: XGBScorer) -> None:
    graph = _graph(policy, xgb_scorer)
    config = {"configurable": {"thread_id": "D-2001"}}

    # Day 1: scored about 78 %, band A, routed to Sam because Priya is at capacity.
    graph.invoke(_lead_created(), config)
    state = _values(graph, config)
    assert state.score is not None
    assert 0.74 <= state.score.probability <= 0.82
    assert state.score.band == "A"
    assert state.score.engine == "xgboost"
    assert state.score.model_version == xgb_scorer.version
    assert state.score.scored_at == CREATED
    pct = round(state.score.probability * 100)
    assert state.score.reason.startswith(f"first score at lead creation: {pct}% (band A)")
    assert "visited the pricing page 2 times" in state.score.reason
    assert {f.label for f in state.score.factors if f.points > 0} == {
        "visited the pricing page 2 times",
        "requested a demo",
        "VP-level contact",
    }
    assert [(p.event, p.at) for p in state.score_history] == [("lead_created", CREATED)]
    assert state.engines["scoring"] == "xgboost"
    assert state.assignment is not None
    assert state.assignment.rep_id == "rep-sam"
    assert "Priya Nair skipped: at capacity 12/12" in state.assignment.reason
    assert state.risks == []
    base = state.score.probability

    # Day 3: the call is another pattern's business; nothing here runs.
    call = Event(type="meeting_completed", at=CALL)
    meeting = _discovery_call()
    graph.invoke(
        {
            "event": call,
            "events": [*state.events, call],
            "meeting": meeting,
            "meetings": [meeting],
            "deal": state.deal.model_copy(update={"stage": "discovery", "owner_id": "rep-sam"})
            if state.deal
            else None,
        },
        config,
    )
    state = _values(graph, config)
    assert len(state.score_history) == 1
    assert state.score is not None and state.score.probability == base

    # Day 6: Dana replies; no warning (her commitment to loop in Marcus is still ahead).
    reply = Event(type="activity_logged", at=REPLY)
    graph.invoke(
        {
            "event": reply,
            "events": [*state.events, reply],
            "activities": [
                *state.activities,
                Activity(
                    at=REPLY,
                    kind="reply",
                    direction="inbound",
                    summary="Dana Whitfield: thanks, reviewing the proposal with Marcus",
                ),
            ],
        },
        config,
    )
    state = _values(graph, config)
    assert state.risks == []
    assert state.score is not None and state.score.probability == pytest.approx(base)
    assert state.score.reason == f"{pct}%: no risk warnings"
    assert [p.event for p in state.score_history] == ["lead_created", "activity_logged"]

    # Week 3: nine quiet days and a close date eleven days away.
    review = Event(type="pipeline_review", at=REVIEW)
    graph.invoke({"event": review, "events": [*state.events, review]}, config)
    state = _values(graph, config)
    assert [w.code for w in state.risks] == [
        "inactivity",
        "close_date_near",
        "single_threaded",
        "no_next_step",
    ]
    assert state.risks[0].evidence.startswith(
        "last activity 2026-11-07 (reply from Dana Whitfield); 9 days ago"
    )
    assert state.score is not None
    assert 0.50 <= state.score.probability <= 0.54
    assert state.score.band == "B"
    assert state.score.engine == "xgboost"
    assert state.score.reason.startswith(
        f"{pct}% -> {round(state.score.probability * 100)}%: 9 days without activity (-12 pts); "
        "close date in 11 days at stage discovery (-8 pts)"
    )
    assert state.score.reason.endswith("; at risk (below 60%)")
    risk_points = [f.points for f in state.score.factors if f.feature.startswith("risk:")]
    assert sum(risk_points) == pytest.approx((state.score.probability - base) * 100, abs=0.05)
    assert state.score_history[-1].event == "pipeline_review"
    assert state.score_history[-1].probability == state.score.probability

    # A second review the same day starts again from the model score, not from 52 %.
    graph.invoke({"event": review}, config)
    again = _values(graph, config)
    assert again.score is not None
    assert again.score.probability == pytest.approx(state.score.probability)

    # Week 5: won; the label is kept for retraining.
    closed = Event(type="deal_closed", at=CLOSED, payload={"outcome": "won", "amount": 52000})
    assert again.deal is not None
    graph.invoke(
        {
            "event": closed,
            "events": [*again.events, closed],
            "deal": again.deal.model_copy(update={"outcome": "won", "amount": 52000}),
        },
        config,
    )
    final = _values(graph, config)
    last = final.score_history[-1]
    assert (last.event, last.probability, last.at) == ("deal_closed", 1.0, CLOSED)
    assert last.reason == "closed won; label kept for retraining"
    assert final.score == again.score  # the last score stays on record


def test_activity_clears_the_inactivity_warning(policy: Policy, xgb_scorer: XGBScorer) -> None:
    graph = _graph(policy, xgb_scorer)
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    quiet = Event(type="pipeline_review", at=datetime(2026, 11, 12, 9, 0, tzinfo=UTC))
    graph.invoke({"event": quiet}, config)
    state = _values(graph, config)
    assert "inactivity" in [w.code for w in state.risks]
    call = Event(type="activity_logged", at=datetime(2026, 11, 12, 15, 0, tzinfo=UTC))
    graph.invoke(
        {
            "event": call,
            "activities": [
                *state.activities,
                Activity(at=call.at, kind="call", direction="outbound", summary="Called Dana"),
            ],
        },
        config,
    )
    state = _values(graph, config)
    assert "inactivity" not in [w.code for w in state.risks]
    assert state.score is not None
    assert "cleared: 10 days without activity" in state.score.reason


def test_lost_deal_records_zero(policy: Policy, xgb_scorer: XGBScorer) -> None:
    graph = _graph(policy, xgb_scorer)
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    closed = Event(type="deal_closed", at=CLOSED, payload={"outcome": "lost"})
    graph.invoke({"event": closed}, config)
    last = _values(graph, config).score_history[-1]
    assert (last.probability, last.reason) == (0.0, "closed lost; label kept for retraining")


def test_rules_engine_is_recorded_and_explained(policy: Policy) -> None:
    rows = read_closed_deals_csv()[:50]
    scorer = train_scorer(rows, policy)
    assert isinstance(scorer, RulesScorer)
    graph = _graph(policy, scorer)
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    state = _values(graph, config)
    assert state.engines["scoring"] == "rules"
    assert state.score is not None
    assert state.score.engine == "rules"
    assert state.score.probability == pytest.approx(0.80)
    assert "below the data gate" in state.score.reason
    assert state.score.model_version == scorer.version


def test_everyone_busy_sends_the_lead_to_the_queue(policy: Policy, xgb_scorer: XGBScorer) -> None:
    graph = _graph(policy, xgb_scorer, tiny_crm(sam_open=20))
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    assignment = _values(graph, config).assignment
    assert assignment is not None
    assert assignment.fallback
    assert (assignment.rep_id, assignment.rep_name) == ("queue-inbound", "Inbound SDR queue")


def test_only_the_nodes_the_event_needs_run(policy: Policy, xgb_scorer: XGBScorer) -> None:
    graph = _graph(policy, xgb_scorer)
    config = {"configurable": {"thread_id": "D-2001"}}
    ran = [
        next(iter(chunk)) for chunk in graph.stream(_lead_created(), config, stream_mode="updates")
    ]
    assert ran == ["score_lead", "route_lead_to_rep"]
    review = Event(type="pipeline_review", at=REVIEW)
    ran = [next(iter(c)) for c in graph.stream({"event": review}, config, stream_mode="updates")]
    assert ran == ["assess_deal_risk"]
    call = Event(type="meeting_completed", at=CALL)
    assert list(graph.stream({"event": call}, config, stream_mode="updates")) == []
