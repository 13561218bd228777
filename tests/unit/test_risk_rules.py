"""Close-date slip, stage stall, pricing never discussed, the change history and the
itemised explanation of a probability change."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.events import event_id_for
from sales_operator.patterns.scoring import build
from sales_operator.policy import Policy, default_policy
from sales_operator.scoring.risk import (
    adjust_probability,
    assess_risk,
    deal_changes,
    explain_change,
)
from sales_operator.state import (
    Activity,
    DealChange,
    DealState,
    Decision,
    Event,
    ProposedAction,
    Quote,
    RiskWarning,
    ScorePoint,
    TrackerHit,
)
from tests.unit.test_risk import CALL, CREATED, REPLY, REVIEW, seed_state


@pytest.fixture
def policy() -> Policy:
    return default_policy()


def _codes(warnings: list[RiskWarning]) -> list[str]:
    return [w.code for w in warnings]


def _with_lead_event(state: DealState, **deal: Any) -> DealState:
    """Give the seed's lead_created event the deal payload it carries in the graph."""
    payload = {"deal": {"id": "D-2001", "stage": "new", "close_date": "2026-11-27", **deal}}
    events = [state.events[0].model_copy(update={"payload": payload}), *state.events[1:]]
    return state.model_copy(update={"events": events})


def _executed(state: DealState, event: Event, kind: str, args: dict[str, Any], **kw: Any) -> Any:
    return ProposedAction(
        id=f"{kind}-{len(state.proposed_actions)}",
        kind=kind,
        args={"deal_id": "D-2001", **args},
        description=kind,
        proposed_by="workflow_copilot",
        event_id=event_id_for("D-2001", event),
        idempotency_key=f"k-{kind}-{len(state.proposed_actions)}",
        status=kw.pop("status", "executed"),
        **kw,
    )


def _seed_in_discovery(now: datetime) -> DealState:
    """The seed deal moved to discovery by an action approved on the call event."""
    state = _with_lead_event(seed_state(now))
    call = state.events[1]
    move = _executed(state, call, "change_stage", {"stage": "discovery"})
    return state.model_copy(update={"proposed_actions": [move]})


# ----------------------------------------------------------------------------- the seed


def test_the_seed_keeps_its_four_warnings_and_52_percent(policy: Policy) -> None:
    state = _seed_in_discovery(REVIEW)
    warnings = assess_risk(state, REVIEW, policy)
    assert _codes(warnings) == ["inactivity", "close_date_near", "single_threaded", "no_next_step"]
    probability, explanation = adjust_probability(0.78, warnings, policy)
    assert explanation.startswith("78% -> 52%:")
    assert 0.50 <= probability <= 0.54


def test_the_seed_history_comes_from_the_lead_and_the_approved_stage_change(
    policy: Policy,
) -> None:
    changes = deal_changes(_seed_in_discovery(REVIEW), REVIEW)
    assert [(c.field, c.old, c.new, c.at, c.source) for c in changes] == [
        ("stage", None, "new", CREATED, "lead_created"),
        ("close_date", None, "2026-11-27", CREATED, "lead_created"),
        ("stage", "new", "discovery", CALL, "action:change_stage-0"),
    ]


# ------------------------------------------------------------------------- stage stall


def test_a_deal_sitting_in_discovery_past_the_limit_stalls(policy: Policy) -> None:
    later = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 26 days after the call
    state = _seed_in_discovery(later)
    state = state.model_copy(update={"deal": state.deal.model_copy(update={"close_date": None})})  # type: ignore[union-attr]
    warning = next(w for w in assess_risk(state, later, policy) if w.code == "stage_stall")
    assert warning.message == "26 days in stage discovery"
    assert warning.evidence.startswith("entered discovery on 2026-11-04 (approved action")
    assert "the policy allows 21 in discovery" in warning.evidence
    assert warning.severity == "medium"
    # 21 days is still within the limit.
    on_limit = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert "stage_stall" not in _codes(assess_risk(state, on_limit, policy))


def test_the_stall_limit_is_per_stage_from_the_policy(policy: Policy) -> None:
    strict = policy.model_copy(
        update={
            "risk": policy.risk.model_copy(
                update={"stage_stall_days": {**policy.risk.stage_stall_days, "discovery": 10}}
            )
        }
    )
    codes = _codes(assess_risk(_seed_in_discovery(REVIEW), REVIEW, strict))
    assert "stage_stall" in codes
    no_limit = policy.model_copy(
        update={"risk": policy.risk.model_copy(update={"stage_stall_days": {}})}
    )
    later = datetime(2027, 1, 30, tzinfo=UTC)
    assert "stage_stall" not in _codes(assess_risk(_seed_in_discovery(later), later, no_limit))


def test_a_stage_change_from_outside_uses_the_crm_history(policy: Policy) -> None:
    state = _with_lead_event(seed_state(REVIEW))  # stage discovery, no action moved it
    crm_rows = [
        {"from_stage": None, "to_stage": "new", "at": "2026-11-02T14:05:00Z"},
        {"from_stage": "new", "to_stage": "discovery", "at": "2026-11-03T10:00:00Z"},
        {"from_stage": "discovery", "to_stage": "proposal", "at": "2026-12-20T10:00:00Z"},
    ]
    changes = deal_changes(state, REVIEW, crm_stage_history=crm_rows)
    assert (changes[-1].new, changes[-1].source) == ("discovery", "crm")
    assert changes[-1].at == datetime(2026, 11, 3, 10, tzinfo=UTC)
    # Without the CRM it is first seen now, and remembered from then on.
    seen = deal_changes(state, REVIEW)
    assert (seen[-1].new, seen[-1].source, seen[-1].at) == ("discovery", "observed", REVIEW)
    kept = state.model_copy(update={"deal_changes": seen})
    later = datetime(2026, 12, 20, tzinfo=UTC)
    assert deal_changes(kept, later)[-1].at == REVIEW


# --------------------------------------------------------------------- close-date slip


def _pushed(state: DealState, *dates: tuple[Event, str]) -> DealState:
    actions = list(state.proposed_actions)
    for event, new in dates:
        actions.append(
            _executed(
                state.model_copy(update={"proposed_actions": actions}),
                event,
                "update_crm",
                {"fields": {"close_date": new}},
            )
        )
    last = dates[-1][1]
    return state.model_copy(
        update={
            "proposed_actions": actions,
            "deal": state.deal.model_copy(update={"close_date": date.fromisoformat(last)}),  # type: ignore[union-attr]
        }
    )


def test_a_pushed_close_date_is_a_slip_with_each_move_cited(policy: Policy) -> None:
    state = _seed_in_discovery(REVIEW)
    call, reply = state.events[1], state.events[2]
    slipped = _pushed(state, (call, "2026-12-11"), (reply, "2027-01-08"))
    warnings = assess_risk(slipped, REVIEW, policy)
    slip = next(w for w in warnings if w.code == "close_date_slip")
    assert slip.message == "close date pushed out 42 days (2 times)"
    assert slip.severity == "high"
    assert "first close date 2026-11-27" in slip.evidence
    assert "2026-11-27 -> 2026-12-11 on 2026-11-04" in slip.evidence
    assert "2026-12-11 -> 2027-01-08 on 2026-11-07" in slip.evidence
    # The pushed date is far away: no close-date-near warning any more.
    assert "close_date_near" not in _codes(warnings)


def test_small_pushes_pulls_and_unexecuted_edits_are_not_slips(policy: Policy) -> None:
    state = _seed_in_discovery(REVIEW)
    call = state.events[1]
    small = _pushed(state, (call, "2026-12-01"))  # 4 days < 7
    assert "close_date_slip" not in _codes(assess_risk(small, REVIEW, policy))
    pulled = _pushed(state, (call, "2026-11-20"))
    assert "close_date_slip" not in _codes(assess_risk(pulled, REVIEW, policy))
    pending = _executed(state, call, "update_crm", {"fields": {"close_date": "2027-02-01"}})
    pending = pending.model_copy(update={"status": "rejected"})
    rejected = state.model_copy(update={"proposed_actions": [*state.proposed_actions, pending]})
    assert "close_date_slip" not in _codes(assess_risk(rejected, REVIEW, policy))


def test_an_edited_close_date_counts_as_edited(policy: Policy) -> None:
    state = _seed_in_discovery(REVIEW)
    call = state.events[1]
    edit = Decision(
        type="edit",
        reviewer="mgr-jordan",
        at=CALL,
        edited_args={"deal_id": "D-2001", "fields": {"close_date": "2026-12-31"}},
    )
    action = _executed(
        state, call, "update_crm", {"fields": {"close_date": "2026-11-28"}}, decision=edit
    )
    state = state.model_copy(
        update={
            "proposed_actions": [*state.proposed_actions, action],
            "deal": state.deal.model_copy(update={"close_date": date(2026, 12, 31)}),  # type: ignore[union-attr]
        }
    )
    slip = next(w for w in assess_risk(state, REVIEW, policy) if w.code == "close_date_slip")
    assert slip.message == "close date pushed out 34 days (1 time)"


# ------------------------------------------------------------------ pricing discussion


def _at_proposal(state: DealState) -> DealState:
    return state.model_copy(update={"deal": state.deal.model_copy(update={"stage": "proposal"})})  # type: ignore[union-attr]


def _silent_on_price(state: DealState) -> DealState:
    meeting = state.meetings[0]
    commitments = [
        c.model_copy(update={"text": "Send the ROI model by Friday"}) for c in meeting.commitments
    ]
    meeting = meeting.model_copy(update={"commitments": commitments})
    return state.model_copy(update={"meeting": meeting, "meetings": [meeting]})


def test_pricing_never_discussed_by_proposal(policy: Policy) -> None:
    state = _silent_on_price(_at_proposal(seed_state(REPLY)))
    warning = next(
        w for w in assess_risk(state, REPLY, policy) if w.code == "pricing_not_discussed"
    )
    assert warning.message == "pricing never discussed at stage proposal"
    assert "no 'pricing' tracker hit on 1 call(s) (2026-11-04)" in warning.evidence
    # Negotiation comes after proposal: still due; discovery is too early.
    negotiation = state.model_copy(
        update={"deal": state.deal.model_copy(update={"stage": "negotiation"})}  # type: ignore[union-attr]
    )
    assert "pricing_not_discussed" in _codes(assess_risk(negotiation, REPLY, policy))
    early = _silent_on_price(seed_state(REPLY))
    assert "pricing_not_discussed" not in _codes(assess_risk(early, REPLY, policy))


def test_a_pricing_tracker_hit_or_a_mention_clears_it(policy: Policy) -> None:
    state = _silent_on_price(_at_proposal(seed_state(REPLY)))
    hit = TrackerHit(tracker="pricing", quote=Quote(speaker="Dana", text="What's the price?"))
    meeting = state.meetings[0].model_copy(update={"trackers": [hit]})
    tracked = state.model_copy(update={"meeting": meeting, "meetings": [meeting]})
    assert "pricing_not_discussed" not in _codes(assess_risk(tracked, REPLY, policy))
    email = Activity(at=REPLY, kind="email", direction="outbound", summary="Sent the pricing sheet")
    mailed = state.model_copy(update={"activities": [*state.activities, email]})
    assert "pricing_not_discussed" not in _codes(assess_risk(mailed, REPLY, policy))
    # The seed's own commitment ("pricing proposal by Friday") counts too.
    assert "pricing_not_discussed" not in _codes(
        assess_risk(_at_proposal(seed_state(REPLY)), REPLY, policy)
    )


# -------------------------------------------------------------- explaining the change


def test_the_change_is_itemised_in_points_that_add_up(policy: Policy) -> None:
    warnings = assess_risk(seed_state(REVIEW), REVIEW, policy)
    probability, _ = adjust_probability(0.78, warnings, policy)
    items = explain_change(0.78, [], 0.78, warnings, policy)
    assert [i.feature for i in items] == [
        "risk:inactivity",
        "risk:close_date_near",
        "risk:no_next_step",
        "risk:single_threaded",
    ]
    assert all(i.points < 0 and i.points == int(i.points) for i in items)
    assert sum(i.points for i in items) == round(probability * 100) - 78 == -26
    assert items[0].label == "9 days without activity"


def test_cleared_and_new_warnings_both_appear(policy: Policy) -> None:
    warnings = assess_risk(seed_state(REVIEW), REVIEW, policy)
    before, _ = adjust_probability(0.78, warnings, policy)
    later = [w for w in warnings if w.code != "inactivity"]
    slip = RiskWarning(
        code="close_date_slip",
        severity="high",
        message="close date pushed",
        evidence="x",
        raised_at=REVIEW,
    )
    now_warnings = [*later, slip]
    after, _ = adjust_probability(0.78, now_warnings, policy)
    items = explain_change(before, warnings, 0.78, now_warnings, policy)
    by = {i.feature: i.points for i in items}
    assert by["cleared:inactivity"] > 0
    assert by["risk:close_date_slip"] < 0
    assert sum(by.values()) == round(after * 100) - round(before * 100)
    # A rescored model shows up as its own item.
    moved = explain_change(before, warnings, 0.60, warnings, policy)
    assert moved[0].feature == "model" and moved[0].points < 0
    logit = math.log(0.6 / 0.4) - sum(policy.risk.penalties[w.code] for w in warnings)
    assert sum(i.points for i in moved) == round(100 / (1 + math.exp(-logit))) - round(before * 100)


def test_no_change_means_no_items(policy: Policy) -> None:
    warnings = assess_risk(seed_state(REVIEW), REVIEW, policy)
    p, _ = adjust_probability(0.78, warnings, policy)
    assert explain_change(p, warnings, 0.78, warnings, policy) == []
    assert explain_change(None, [], 0.78, [], policy) == []


def test_the_pattern_stores_the_itemised_change_and_the_history(policy: Policy) -> None:
    state = _seed_in_discovery(REVIEW)
    state = state.model_copy(
        update={
            "event": state.events[-1],
            "score_history": [
                ScorePoint(at=CREATED, probability=0.78, event="lead_created"),
                ScorePoint(at=REPLY, probability=0.78, event="activity_logged"),
            ],
        }
    )
    graph = build(fake_pattern_deps(crm=InMemoryCRM(), policy=policy)).compile()
    out = DealState.model_validate(graph.invoke(state))
    point = out.score_history[-1]
    assert point.previous_probability == 0.78
    assert sum(c.points for c in point.changes) == round(point.probability * 100) - 78 == -26
    assert [c.feature for c in point.changes][0] == "risk:inactivity"
    assert [(c.field, c.new) for c in out.deal_changes][-1] == ("stage", "discovery")
    assert isinstance(out.deal_changes[0], DealChange)


def test_a_stage_never_recorded_is_dated_from_the_lead(policy: Policy) -> None:
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    state = seed_state(later)  # stage discovery; the lead event carries no deal payload
    state = state.model_copy(update={"deal": state.deal.model_copy(update={"close_date": None})})  # type: ignore[union-attr]
    warning = next(w for w in assess_risk(state, later, policy) if w.code == "stage_stall")
    assert warning.message == "29 days in stage discovery"
    assert "entered discovery on 2026-11-02 (at lead creation)" in warning.evidence
