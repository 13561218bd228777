"""Argument contracts: hostile proposals and edits are refused, at the gate and before it."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from sales_operator.actions import propose
from sales_operator.adapters.base import Rep
from sales_operator.adapters.calendar import ICSCalendar
from sales_operator.adapters.slack import SlackLogMessenger, SlackWebhookMessenger
from sales_operator.approval import build_request, validate_decisions
from sales_operator.cli import main
from sales_operator.contracts import parse_address
from sales_operator.demo import lifecycle_events
from sales_operator.deps import Deps
from sales_operator.errors import ApprovalError, ContractError, PermanentAdapterError
from sales_operator.escaping import csv_cell, ics_text, slack_text
from sales_operator.graph import build_operator
from sales_operator.policy import default_policy
from sales_operator.runner import (
    deal_state,
    pending_request,
    resume_deal,
    send_event,
    thread_config,
)
from sales_operator.state import Assignment, Contact, Deal, DealState, Event, ProposedAction
from tests.unit.test_scoring_cli import leads, model_dir, run, write_csv  # noqa: F401
from tests.unit.test_write_adapters import _Hook, webhook  # noqa: F401

POLICY = default_policy()
AT = datetime(2026, 11, 2, 14, tzinfo=UTC)
REPS = [
    Rep(id="rep-sam", name="Sam Rivera", email="sam.rivera@orbitalfreight.com"),
    Rep(id="mgr-jordan", name="Jordan Lee", email="jordan.lee@orbitalfreight.com", role="manager"),
    Rep(id="cs-maya", name="Maya Brooks", email="maya.brooks@orbitalfreight.com", role="cs"),
]
DANA = "dana@northwind.example"


def _state(*actions: ProposedAction, outcome: str | None = None) -> DealState:
    return DealState(
        deal_id="D-1",
        event_id="D-1:lead_created:abc",
        event=Event(type="lead_created", at=AT),
        deal=Deal(id="D-1", name="Deal", owner_id="rep-sam", outcome=outcome),  # type: ignore[arg-type]
        contacts=[Contact(id="C-1", name="Dana", email=DANA)],
        assignment=Assignment(
            rep_id="rep-sam", rep_name="Sam Rivera", rule="r", reason="r", assigned_at=AT
        ),
        proposed_actions=list(actions),
    )


def _action(kind: str, args: dict[str, Any], tag: str = "") -> ProposedAction:
    return propose(
        _state(),
        kind=kind,
        args=args,
        description=f"{kind} {tag}",
        proposed_by="workflow_copilot",
        discriminator=tag,
    )


def _email(**over: Any) -> dict[str, Any]:
    return {
        "to": [DANA],
        "cc": [],
        "from": "sam.rivera@orbitalfreight.com",
        "subject": "Hello",
        "body": "Hi Dana",
        **over,
    }


def _request(*actions: ProposedAction, outcome: str | None = None) -> dict[str, Any]:
    return build_request(_state(*actions, outcome=outcome), POLICY, REPS)


# --- one parsed address each ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [DANA, f"<{DANA}>", f"Dana Whitfield <{DANA}>", "Dana@Northwind.Example"]
)
def test_one_plain_address_is_accepted(value: str) -> None:
    assert parse_address(value, where="to") == DANA


@pytest.mark.parametrize(
    "value",
    [
        f"{DANA}, evil@outside.example",  # a list
        f"{DANA};evil@outside.example",
        f"team: {DANA}, evil@outside.example;",  # group syntax
        f'"{DANA}" <evil@outside.example>',  # a quoted display name naming someone else
        f"{DANA} <evil@outside.example>",  # an unquoted one
        f"{DANA} (boss)",  # a comment
        f"{DANA}\r\nBcc: evil@outside.example",  # header injection
        f"{DANA}\u202e",  # an invisible format character
        "not an address",
        "a@b@c.example",
        "dana@localhost",
        "",
        42,
    ],
)
def test_anything_but_one_plain_address_is_refused(value: object) -> None:
    with pytest.raises(ContractError):
        parse_address(value, where="to")


# --- recipients, senders, protected fields: proposals --------------------------------------


def test_a_proper_proposal_passes_and_carries_its_facts() -> None:
    request = _request(_action("send_email", _email()))
    assert request["contract"]["owners"] == ["sam.rivera@orbitalfreight.com"]
    assert request["contract"]["contacts"] == [DANA]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (_email(to=["evil@outside.example"]), "neither a contact"),
        (_email(cc=["evil@outside.example"]), "cc\\[0\\].*neither a contact"),
        (_email(to=[f"{DANA}, evil@outside.example"]), "not one plain address"),
        (_email(**{"from": "ceo@orbitalfreight.com"}), "owning rep"),
        (_email(**{"from": "sam.rivera@orbitalfreight.com.evil.example"}), "owning rep"),
        (_email(**{"from": "jordan.lee@orbitalfreight.com"}), "owning rep"),
    ],
)
def test_a_proposed_email_to_an_outsider_or_from_a_spoofed_sender_is_refused(
    args: dict[str, Any], match: str
) -> None:
    with pytest.raises(ContractError, match=match):
        _request(_action("send_email", args))


def test_internal_mail_may_come_from_any_known_rep_but_not_a_stranger() -> None:
    note = _email(to=["sam.rivera@orbitalfreight.com"], **{"from": "jordan.lee@orbitalfreight.com"})
    _request(_action("send_email", note))
    stranger = {**note, "from": "nobody@orbitalfreight.com"}
    with pytest.raises(ContractError, match="not one of our reps"):
        _request(_action("send_email", stranger))


def test_after_a_won_deal_customer_success_may_organise_the_kickoff() -> None:
    invite = {
        "title": "Kickoff",
        "start": "2026-12-01T16:00:00Z",
        "end": "2026-12-01T16:45:00Z",
        "attendees": [DANA, "maya.brooks@orbitalfreight.com"],
        "organizer": "maya.brooks@orbitalfreight.com",
    }
    _request(_action("send_invite", invite), outcome="won")
    with pytest.raises(ContractError, match="owning rep"):
        _request(_action("send_invite", invite))  # not won: only the owner writes to customers


def test_invite_attendee_names_cannot_smuggle_lines() -> None:
    invite = {
        "title": "Call",
        "start": "2026-12-01T16:00:00Z",
        "end": "2026-12-01T16:45:00Z",
        "attendees": [f"Dana\r\nATTENDEE:mailto:evil@outside.example <{DANA}>"],
        "organizer": "sam.rivera@orbitalfreight.com",
    }
    with pytest.raises(ContractError, match="control"):
        _request(_action("send_invite", invite))


@pytest.mark.parametrize("field", ["stage", "Stage", " stage ", "STAGE", "owner_id", "owner-id"])
def test_update_crm_never_sets_a_protected_field(field: str) -> None:
    update = {"deal_id": "D-1", "fields": {"next_step": "demo", field: "closed_won"}}
    with pytest.raises(ContractError, match="protected"):
        _request(_action("update_crm", update))


def test_assign_owner_names_a_known_rep() -> None:
    with pytest.raises(ContractError, match="not a rep the CRM knows"):
        _request(_action("assign_owner", {"deal_id": "D-1", "rep_id": "rep-x", "rep_name": "X"}))


# --- edits meet the same contract -----------------------------------------------------------


def _edit(request: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    [action] = request["action_requests"]
    return {
        "decisions": [{"type": "edit", "edited_action": {"name": action["name"], "args": args}}]
    }


@pytest.mark.parametrize(
    ("kind", "original", "edited", "match"),
    [
        ("send_email", _email(), _email(to=["evil@outside.example"]), "neither a contact"),
        ("send_email", _email(), _email(**{"from": "ceo@orbitalfreight.com"}), "owning rep"),
        ("send_email", _email(), _email(body="x" * (70 * 1024)), "max|at most"),
        (
            "update_crm",
            {"deal_id": "D-1", "fields": {"next_step": "demo"}},
            {"deal_id": "D-1", "fields": {"stage": "closed_won"}},
            "use change_stage",
        ),
    ],
)
def test_a_hostile_edit_is_refused(
    kind: str, original: dict[str, Any], edited: dict[str, Any], match: str
) -> None:
    request = _request(_action(kind, original))
    with pytest.raises(ContractError, match=match):
        validate_decisions(request, _edit(request, edited), policy=POLICY)
    # the same edit to a contact, from the owner, passes
    if kind == "send_email":
        fine = _email(subject="Better")
        assert validate_decisions(request, _edit(request, fine), policy=POLICY)[0].type == "edit"


# --- end to end: nothing leaves the building ----------------------------------------------


@pytest.fixture
def operator(tmp_path: Path) -> tuple[Any, Deps]:
    deps = Deps.offline(tmp_path / "work", sample=True)
    return build_operator(deps, checkpointer=deps.checkpointer()), deps


def _lead_to_its_email(graph: Any, deps: Deps) -> dict[str, Any]:
    """Send the seed lead, approve its first request (owner, notice); return the second.

    Under `speed_to_lead` (the default) the first-touch email is in the lead's second request.
    """
    send_event(graph, lifecycle_events()[0])
    first = pending_request(graph, "D-2001")
    assert first is not None
    assert [a["name"] for a in first["action_requests"]] == ["assign_owner", "post_slack"]
    approve = {"decisions": [{"type": "approve"} for _ in first["action_requests"]]}
    resume_deal(graph, "D-2001", approve, policy=deps.policy, reviewer="mgr-jordan")
    request = pending_request(graph, "D-2001")
    assert request is not None and "send_email" in [a["name"] for a in request["action_requests"]]
    return request


def _outsider_edit(request: dict[str, Any]) -> dict[str, Any]:
    decisions = []
    for a in request["action_requests"]:
        if a["name"] == "send_email":
            args = {**a["args"], "to": ["evil@outside.example"]}
            decisions.append(
                {
                    "type": "edit",
                    "edited_action": {"name": a["name"], "args": args},
                    "reviewer": "mgr-jordan",
                }
            )
        else:
            decisions.append({"type": "reject", "message": "no", "reviewer": "mgr-jordan"})
    return {"decisions": decisions}


def test_an_edit_to_an_outsider_sends_nothing_through_the_runner_or_the_gate(
    operator: tuple[Any, Deps], tmp_path: Path
) -> None:
    graph, deps = operator
    request = _lead_to_its_email(graph, deps)
    payload = _outsider_edit(request)
    with pytest.raises(ContractError, match="evil@outside.example"):
        resume_deal(graph, "D-2001", payload, policy=deps.policy)
    # straight to the graph, past the runner: the gate asks again, with the error
    graph.invoke(Command(resume=payload), thread_config("D-2001"))
    again = pending_request(graph, "D-2001")
    assert again is not None and "evil@outside.example" in again["error"]
    outbox = tmp_path / "work" / "outbox"
    assert not outbox.exists() or not any(outbox.iterdir())
    # only the first request's actions (owner, notice) ran; nothing of the second did
    asked = {a["id"] for a in request["action_requests"]}
    assert not [e for e in deps.crm.audit_log("D-2001") if e.idempotency_key in asked]


def test_the_cli_refuses_an_outsider_edit(
    operator: tuple[Any, Deps], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph, deps = operator
    request = _lead_to_its_email(graph, deps)
    email = next(a for a in request["action_requests"] if a["name"] == "send_email")
    spoofed = {**email["args"], "from": "ceo@orbitalfreight.com"}
    w = ["--workdir", str(tmp_path / "work"), "--offline", "--sample", "--reviewer", "mgr-jordan"]
    code = main(
        ["edit", "D-2001", email["id"], "--args", json.dumps(spoofed), "--rest", "reject", *w]
    )
    assert code == 1
    assert "ContractError" in capsys.readouterr().err
    assert pending_request(graph, "D-2001") == request  # still waiting, nothing ran


# --- rendering: Slack, ICS, CSV -----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["<!channel> now", "hey <!here|here>", "<!everyone>", "<!subteam^S123|@sales>"]
)
def test_slack_broadcast_mentions_are_escaped_unless_allowed(text: str, tmp_path: Path) -> None:
    assert "<!" not in slack_text(text)
    assert slack_text(text, allow_mentions=True) == text
    quiet = SlackLogMessenger(tmp_path / "a.jsonl")
    quiet.post(channel="#deals", text=text, idempotency_key="k")
    assert "<!" not in quiet.messages()[0]["text"] and "&lt;!" in quiet.messages()[0]["text"]
    loud = SlackLogMessenger(tmp_path / "b.jsonl", allow_mentions=True)
    loud.post(channel="#deals", text=text, idempotency_key="k")
    assert loud.messages()[0]["text"] == text


def test_the_webhook_posts_escaped_mentions(
    webhook: tuple[str, type[_Hook]],  # noqa: F811
    tmp_path: Path,
) -> None:
    url, hook = webhook
    SlackWebhookMessenger(url, tmp_path / "l1.jsonl").post(
        channel="#deals", text="<!channel> deal won", idempotency_key="w1"
    )
    SlackWebhookMessenger(url, tmp_path / "l2.jsonl", allow_mentions=True).post(
        channel="#deals", text="<!here> standup", idempotency_key="w2"
    )
    assert hook.requests == [{"text": "&lt;!channel&gt; deal won"}, {"text": "<!here> standup"}]


def test_slack_links_and_user_mentions_are_kept() -> None:
    text = "see <https://example.com|the deal> and ask <@U123>"
    assert slack_text(text) == text


def test_ics_escapes_text_and_strips_param_breakouts() -> None:
    assert ics_text("a;b,c\\d\r\nATTENDEE:x\x07") == "a\\;b\\,c\\\\d\\nATTENDEE:x"
    cal = ICSCalendar("unused")
    invite: dict[str, Any] = {
        "title": "Call\r\nATTENDEE:mailto:evil@outside.example",
        "start": AT,
        "end": AT.replace(hour=15),
        "attendees": [f'"Dana \\"x\\";ROLE=CHAIR" <{DANA}>'],
        "description": "line1\nline2",
        "organizer": "sam.rivera@orbitalfreight.com",
        "uid": "u1",
    }
    lines = cal.render(**invite).replace("\r\n ", "").split("\r\n")
    assert [ln for ln in lines if ln.startswith("ATTENDEE")] == [
        f'ATTENDEE;CN="Dana x;ROLE=CHAIR";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;'
        f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{DANA}"  # quoted: no new param
    ]
    assert "SUMMARY:Call\\nATTENDEE:mailto:evil@outside.example" in lines
    # a line break in an attendee is refused by the adapter too (parseaddr would pick the
    # outsider's address out of it)
    invite["attendees"] = [f"Dana\r\nATTENDEE:mailto:evil@outside.example <{DANA}>"]
    with pytest.raises(PermanentAdapterError, match="not an email address"):
        cal.render(**invite)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-3.5", "-3.5"),
        ("0.4200", "0.4200"),
        ("lead-7", "lead-7"),
    ],
)
def test_csv_cells_are_neutralised(cell: str, safe: str) -> None:
    assert csv_cell(cell) == safe


def test_score_output_carries_no_formula(
    model_dir: Path,  # noqa: F811
    leads: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    with leads.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:5]
    rows[0]["lead_id"] = '=HYPERLINK("http://evil.example","click")'
    rows[1]["lead_id"] = "@SUM(1+1)"
    hostile = write_csv(tmp_path / "hostile.csv", rows)
    out = tmp_path / "scores.csv"
    assert run("score", "--model", str(model_dir), "--leads", str(hostile), "--out", str(out)) == 0
    with out.open(encoding="utf-8") as fh:
        scored = list(csv.DictReader(fh))
    assert scored[0]["id"] == "'" + rows[0]["lead_id"]
    assert scored[1]["id"] == "'@SUM(1+1)"
    for row in scored:
        assert not any(str(v).startswith(("=", "+", "@")) for v in row.values())


def test_request_is_refused_not_implicitly_approved_when_contract_facts_are_broken() -> None:
    request = _request(_action("send_email", _email()))
    request["contract"] = "tampered"
    with pytest.raises(ApprovalError, match="contract facts"):
        validate_decisions(request, _edit(request, _email()), policy=POLICY)


def test_the_executor_refuses_arguments_that_break_the_contract_at_run_time(
    tmp_path: Path,
) -> None:
    from sales_operator.approval import _run_one

    deps = Deps.offline(tmp_path / "work", sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    _lead_to_its_email(graph, deps)
    state = deal_state(graph, "D-2001")
    email = next(a for a in state.proposed_actions if a.kind == "send_email")
    outsider = {**email.args, "to": ["evil@outside.example"]}
    receipt = _run_one(deps, state, email.id, "send_email", "k-outsider", outsider)
    assert receipt.status == "failed" and "evil@outside.example" in receipt.result["error"]
    outbox = tmp_path / "work" / "outbox"
    assert not outbox.exists() or not any(outbox.iterdir())
    fine = _run_one(deps, state, email.id, "send_email", "k-fine", dict(email.args))
    assert fine.status == "done"
