from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sales_operator.actions import propose
from sales_operator.approval import build_request, check_args, validate_decisions
from sales_operator.errors import ApprovalError
from sales_operator.policy import default_policy
from sales_operator.state import Contact, Deal, DealState, Event, ProposedAction

POLICY = default_policy()


def _state(*actions: ProposedAction) -> DealState:
    return DealState(
        deal_id="D-1",
        event_id="D-1:lead_created:abc",
        event=Event(type="lead_created", at=datetime(2026, 11, 2, tzinfo=UTC)),
        deal=Deal(id="D-1", name="Deal"),
        # the account's contacts: only they (and our own domain) may be addressed
        contacts=[
            Contact(id="C-A", name="A", email="a@x.com"),
            Contact(id="C-B", name="B", email="b@x.com"),
        ],
        proposed_actions=list(actions),
    )


def _email(state: DealState, subject: str = "Hello") -> ProposedAction:
    return propose(
        state,
        kind="send_email",
        args={"to": ["a@x.com"], "from": "me@orbitalfreight.com", "subject": subject, "body": "Hi"},
        description="email",
        proposed_by="workflow_copilot",
        discriminator=subject,
    )


def _stage(state: DealState) -> ProposedAction:
    return propose(
        state,
        kind="change_stage",
        args={"deal_id": "D-1", "stage": "discovery", "reason": "call held"},
        description="stage",
        proposed_by="workflow_copilot",
    )


def test_request_carries_every_pending_action_in_hitl_shape() -> None:
    base = _state()
    state = _state(_email(base, "a"), _email(base, "b"), _stage(base))
    request = build_request(state, POLICY)
    assert [r["name"] for r in request["action_requests"]] == [
        "send_email",
        "send_email",
        "change_stage",
    ]
    assert all({"id", "name", "args", "description"} <= set(r) for r in request["action_requests"])
    configs = {c["action_name"]: c for c in request["review_configs"]}
    assert configs["change_stage"]["reviewer"] == "manager"
    assert configs["change_stage"]["allowed_decisions"] == ["approve", "reject"]
    assert configs["send_email"]["reviewer"] == "rep"


def test_idempotency_key_is_stable_and_distinct() -> None:
    base = _state()
    assert _email(base, "a").idempotency_key == _email(base, "a").idempotency_key
    assert _email(base, "a").idempotency_key != _email(base, "b").idempotency_key


def test_unknown_kind_is_refused_before_asking() -> None:
    base = _state()
    rogue = _email(base).model_copy(update={"kind": "wire_money"})
    with pytest.raises(ApprovalError, match="wire_money"):
        build_request(_state(rogue), POLICY)


def test_kind_missing_from_policy_is_refused() -> None:
    policy = POLICY.model_copy(deep=True)
    del policy.approval.actions["send_email"]
    with pytest.raises(ApprovalError, match="no approval policy"):
        build_request(_state(_email(_state())), policy)


def test_bad_proposed_args_are_refused() -> None:
    base = _state()
    bad = _email(base).model_copy(update={"args": {"to": [], "subject": "x", "body": "y"}})
    with pytest.raises(ApprovalError, match="send_email: bad arguments: to"):
        build_request(_state(bad), POLICY)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (None, "expected"),
        ({}, "expected"),
        ({"decisions": "approve"}, "must be a list"),
        ({"decisions": []}, "expected 2 decision"),
        ({"decisions": [{"type": "approve"}]}, "expected 2 decision"),
        ({"decisions": [{"type": "approve"}, {"type": "ok"}]}, "type must be"),
        ({"decisions": [{"type": "approve"}, "approve"]}, "must be an object"),
        ({"decisions": [{"type": "approve"}, {"type": "edit"}]}, "not allowed for change_stage"),
        ({"decisions": [{"type": "edit"}, {"type": "approve"}]}, "an edit needs"),
        (
            {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "post_slack", "args": {}}},
                    {"type": "approve"},
                ]
            },
            "cannot change the action kind",
        ),
        (
            {
                "decisions": [
                    {"type": "edit", "edited_action": {"args": {"to": "x"}}},
                    {"type": "approve"},
                ]
            },
            "bad arguments",
        ),
    ],
)
def test_malformed_decisions_are_errors_never_approvals(payload: object, match: str) -> None:
    base = _state()
    request = build_request(_state(_email(base), _stage(base)), POLICY)
    with pytest.raises(ApprovalError, match=match):
        validate_decisions(request, payload, policy=POLICY)


def test_valid_decisions_parse_with_edits() -> None:
    base = _state()
    request = build_request(_state(_email(base), _stage(base)), POLICY)
    edited = {"to": ["b@x.com"], "subject": "New", "body": "Better"}
    parsed = validate_decisions(
        request,
        {
            "decisions": [
                {"type": "edit", "edited_action": {"name": "send_email", "args": edited}},
                {"type": "reject", "message": "too early", "reviewer": "jordan"},
            ]
        },
        policy=POLICY,
        reviewer="sam",
    )
    assert parsed[0].type == "edit" and parsed[0].edited_args == edited
    assert parsed[0].reviewer == "sam"
    assert parsed[1].type == "reject" and parsed[1].message == "too early"
    assert parsed[1].reviewer == "jordan"


def test_args_cannot_target_another_deal_or_unknown_stage() -> None:
    with pytest.raises(ApprovalError, match="not this thread's deal"):
        check_args("log_note", {"deal_id": "D-9", "text": "x"}, deal_id="D-1", policy=POLICY)
    with pytest.raises(ApprovalError, match="unknown stage"):
        check_args(
            "change_stage", {"deal_id": "D-1", "stage": "won-ish"}, deal_id="D-1", policy=POLICY
        )
    with pytest.raises(ApprovalError, match="end must be after start"):
        check_args(
            "send_invite",
            {
                "title": "t",
                "start": "2026-11-10T16:00:00Z",
                "end": "2026-11-10T15:00:00Z",
                "attendees": ["a@x.com"],
            },
            deal_id="D-1",
            policy=POLICY,
        )
