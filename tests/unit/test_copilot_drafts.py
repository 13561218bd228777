"""Copilot drafts a rep would send: facts, voice, checks, the latest state, zones, learning."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field

from sales_operator.adapters.base import Rep
from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.adapters.sqlite_crm import SQLiteCRM
from sales_operator.copilot.check import check_draft, untraceable
from sales_operator.copilot.facts import FactSheet
from sales_operator.copilot.requests import call_requests
from sales_operator.copilot.voice import has_first_person, restate, restate_question
from sales_operator.demo import discovery_call_transcript
from sales_operator.deps import PatternDeps
from sales_operator.llm import LLM
from sales_operator.research import FolderDocuments
from sales_operator.state import (
    Activity,
    AuditEntry,
    Deal,
    DealState,
    Insight,
    ProposedAction,
    Quote,
    Receipt,
)
from tests.conftest import FakeToolModel
from tests.seed import ACCOUNT, DANA, MARCUS
from tests.unit.test_copilot import (
    LEAD,
    POLICY,
    REPS,
    by_kind,
    check_contracts,
    lead_state,
    meeting,
    meeting_state,
    review_state,
    run,
)

SPEAKERS = {"Sam Rivera": "rep", "Dana Whitfield": "customer"}


class RecordingModel(FakeToolModel):
    """A scripted model that also keeps the messages it was sent."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def model_reply(subject: str, body: str) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": "EmailDraft", "args": {"subject": subject, "body": body}, "id": "1"}],
    )


def deps_with(
    *, llm: LLM | None = None, reps: list[Rep] | None = None, crm: InMemoryCRM | None = None,
    policy: Any = None, contacts: list[Any] | None = None,
) -> PatternDeps:  # fmt: skip
    people = contacts or [DANA, MARCUS]
    crm = crm or InMemoryCRM(
        reps=reps or REPS,
        accounts=[ACCOUNT],
        contacts=people,
        leads=[LEAD],
        account_of={c.id: ACCOUNT.id for c in people},
    )
    return fake_pattern_deps(
        crm=crm, policy=policy or POLICY, llm=llm, documents=FolderDocuments.bundled()
    )


def first_person_meeting() -> Any:
    m = meeting()

    def pain(text: str) -> Insight:
        return Insight(kind="pain", text=text, quote=Quote(speaker="Dana Whitfield", text=text))

    return m.model_copy(
        update={
            "pains": [
                pain("Our dispatchers spend about three hours a day building routes."),
                pain("We missed too many delivery windows, and my team takes the ETA calls."),
            ],
            "objections": [
                Insight(
                    kind="objection",
                    text="My concern is that the savings are on a slide and the invoice is real.",
                    quote=Quote(speaker="Dana Whitfield", text="My concern is ..."),
                )
            ],
            "speakers": SPEAKERS,
        }
    )


def call_state(**extra: Any) -> DealState:
    state = meeting_state()
    return state.model_copy(
        update={
            "meeting": first_person_meeting(),
            "transcript": discovery_call_transcript(),
            **extra,
        }  # fmt: skip
    )


def follow_up(out: DealState) -> ProposedAction:
    return next(
        a for a in by_kind(out.proposed_actions)["send_email"] if "follow-up" in a.description
    )


# --------------------------------------------------------------------------- voice


def test_restatements_are_in_the_second_person() -> None:
    assert restate("Honestly, our dispatchers spend three hours a day in Excel.") == (
        "Your dispatchers spend three hours a day in Excel."
    )
    assert restate("No live visibility of trucks.") == "No live visibility of trucks."
    assert restate_question("How do you handle security?") == "how we handle security"
    assert restate_question("Can we see on-time rate per contract?") == (
        "whether you can see on-time rate per contract"
    )
    assert restate_question("How does it work, per truck?") == "how it works, per truck"
    assert not has_first_person(restate("We'd want my team and our drivers trained by me."))


def test_the_follow_up_never_pastes_first_person_quotes() -> None:
    out = run(call_state())
    body = follow_up(out).args["body"]
    assert "Our dispatchers" not in body and "My concern" not in body
    assert "- Your dispatchers spend about three hours a day building routes." in body
    assert "your team takes the ETA calls" in body
    assert "- You're concerned that the savings are on a slide and the invoice is real." in body


# --------------------------------------------------------------------------- the call covered


def test_requests_are_found_with_the_reps_answers() -> None:
    found = call_requests(
        discovery_call_transcript(), SPEAKERS, trackers={"integration": ["TMS", "API"]}
    )
    kinds = {r.kind for r in found}
    assert {"question", "ask", "answer", "need"} <= kinds
    security = next(r for r in found if "security" in r.text)
    assert security.answer.startswith("We're SOC 2 Type II")
    assert any("rollout plan by hub" in r.text for r in found)
    assert any("March" in r.text for r in found)
    assert all(not r.text.startswith("Can you hear") for r in found)
    assert call_requests(None, SPEAKERS) == [] and call_requests("   ", SPEAKERS) == []


def test_the_follow_up_covers_every_request_and_attaches_the_promised_pack() -> None:
    out = run(call_state())
    check_contracts(out.proposed_actions)
    email = follow_up(out)
    body = email.args["body"]
    assert "You asked how we handle security: we're SOC 2 Type II" in body
    assert "You also asked for a rollout plan by hub." in body
    assert (
        "You'd like the first hub live before the Ohio distribution centre opens in March." in body
    )
    assert "On your TMS integration: we have a standard McLeod integration" in body
    assert "so I'll put that in the model too" in body
    assert "I've attached our security pack." in body
    assert "https://orbitalfreight.com/pricing" in body
    assert [Path(p).name for p in email.args["attachments"]] == [
        "orbital-dispatch-security-pack.pdf"
    ]
    assert "FleetPilot" not in body  # competitor intelligence stays internal


def test_a_missing_collateral_file_is_said_in_the_draft_and_noted(tmp_path: Path) -> None:
    policy = POLICY.model_copy(
        update={"copilot": POLICY.copilot.model_copy(update={"collateral_folder": str(tmp_path)})}
    )
    out = run(call_state(), deps_with(policy=policy))
    email = follow_up(out)
    assert "I'll send our security pack separately." in email.args["body"]
    assert "attachments" not in email.args
    assert "Review: collateral file missing" in email.description


# --------------------------------------------------------------------------- model drafts


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Hi Dana,\n\nWe can offer a 40% discount until Friday 13 November.\n\nSam", "number 40"),
        ("Hi Dana,\n\nBook here: https://evil.example/login now.\n\nSam", "link https://evil"),
        ("Hi Dana,\n\nYour win probability is 78% so act now.\n\nSam", "internal term"),
        ("Hi Dana,\n\nFleetPilot cannot connect to McLeod, we can.\n\nSam", "'FleetPilot'"),
        ("Hi Dana,\n\nThanks. Jennifer Ortiz from our team will join.\n\nSam", "name Ortiz"),
        (
            "Hi Dana,\n\nAs you said: our dispatchers spend about three hours a day.\n\nSam",
            "first-person customer quote",
        ),
    ],
)
def test_a_model_draft_with_facts_not_on_the_sheet_falls_back(body: str, reason: str) -> None:
    llm = LLM(FakeToolModel(messages=iter([model_reply("Next steps", body)])), name="fake")
    out = run(call_state(), deps_with(llm=llm))
    offline = follow_up(run(call_state()))
    email = follow_up(out)
    assert email.args["body"] == offline.args["body"]
    assert email.args["subject"] == offline.args["subject"]
    assert "Review: model draft replaced by the template" in email.description
    assert reason in email.description
    assert "fallback" in out.engines["workflow_copilot"]


def test_a_model_draft_from_the_sheet_is_kept() -> None:
    body = (
        "Hi Dana,\n\nThank you for requesting a demo of Orbital Dispatch. Would you have 30 "
        "minutes this week or next?\n\nBest regards,\nSam Rivera"
    )
    llm = LLM(FakeToolModel(messages=iter([model_reply("Your demo", body)])), name="fake")
    out = run(lead_state(), deps_with(llm=llm))
    email = by_kind(out.proposed_actions)["send_email"][0]
    assert email.args["body"] == body and "Review" not in email.description
    assert "llm:fake" in out.engines["workflow_copilot"]
    assert "fallback" not in out.engines["workflow_copilot"]


def test_the_model_is_never_handed_internal_data() -> None:
    model = RecordingModel(messages=iter([model_reply("s", "b")] * 3))
    run(call_state(), deps_with(llm=LLM(model, name="fake")))
    prompt = "\n".join(str(m.content) for m in model.seen[0])
    assert "three hours a day" in prompt
    for secret in ("FleetPilot", "78%", "band A", "pricing_page_visits", "Talk share", "60%"):
        assert secret not in prompt, secret


def test_the_check_finds_untraceable_facts() -> None:
    sheet = FactSheet()
    sheet.add("Call on Wednesday 4 November with Dana Whitfield", audience="customer",
              source="call")  # fmt: skip
    sheet.add("Competitors: RouteMax", audience="internal", source="call", terms=["RouteMax"])
    assert untraceable("Dana, see you Wednesday 4 November.", sheet.allowed_text()) == []
    assert untraceable("Thanks for Dana Whitfield's time.", sheet.allowed_text()) == []
    problems = check_draft("Hi", "Dana, RouteMax is worse. See you Thursday 5 May.", sheet)
    assert "internal term 'RouteMax'" in problems
    assert "untraceable number 5" in problems and "untraceable date Thursday" in problems


# --------------------------------------------------------------------------- latest state


def reply(at: datetime, summary: str) -> Activity:
    return Activity(at=at, kind="reply", direction="inbound", summary=summary)


def test_the_re_engagement_answers_the_latest_reply_and_drops_what_is_done() -> None:
    state = review_state(0.52)
    assert state.score is not None
    state = state.model_copy(
        update={
            "score": state.score.model_copy(
                update={"scored_at": datetime(2026, 11, 16, 9, tzinfo=UTC)}
            ),
            "activities": [
                reply(
                    datetime(2026, 11, 7, 10, 30, tzinfo=UTC),
                    "Dana Whitfield: thanks, reviewing the proposal with Marcus",
                )
            ],
        }
    )
    out = run(state)
    body = by_kind(out.proposed_actions)["send_email"][0].args["body"]
    assert (
        "Thank you for your note on Saturday 7 November; good to hear you're reviewing the "
        "proposal with Marcus." in body
    )
    assert "I'm sorry" not in body  # the proposal reached them: done
    assert "loop in" not in body.lower() and "agreed" not in body.lower()
    assert "you and Marcus" in body


def test_a_reply_after_the_score_means_no_draft_before_a_rescore() -> None:
    state = review_state(0.52)
    state = state.model_copy(
        update={"activities": [reply(datetime(2026, 11, 15, 8, tzinfo=UTC), "Call me Monday")]}
    )
    assert state.score is not None and state.score.scored_at < datetime(2026, 11, 15, tzinfo=UTC)
    out = run(state)
    assert "send_email" not in by_kind(out.proposed_actions)


def test_an_email_threads_on_the_last_message_with_the_contact() -> None:
    first = run(lead_state())
    sent = by_kind(first.proposed_actions)["send_email"][0]
    receipt = Receipt(
        action_id=sent.id,
        idempotency_key=sent.idempotency_key,
        kind="send_email",
        status="done",
        result={"message_id": "<so-first@orbitalfreight.com>"},
        executed_at=datetime(2026, 11, 2, 15, tzinfo=UTC),
    )
    later = call_state(
        proposed_actions=[
            a.model_copy(update={"status": "executed"}) for a in first.proposed_actions
        ],
    )
    deps = deps_with()
    # the receipt is where the executor keeps it: in the CRM, under the action's key
    getattr(deps.crm, "_crm", deps.crm).record_receipt(later.deal_id, receipt)
    email = follow_up(run(later, deps))
    assert email.args["in_reply_to"] == "<so-first@orbitalfreight.com>"
    assert email.args["references"] == ["<so-first@orbitalfreight.com>"]


# --------------------------------------------------------------------------- time zones


def test_invites_use_the_contacts_crm_zone_inside_both_working_days() -> None:
    dana = DANA.model_copy(update={"timezone": "America/Los_Angeles"})
    reps = [r.model_copy(update={"timezone": "America/Chicago"}) if r.id == "rep-sam" else r
            for r in REPS]  # fmt: skip
    state = call_state(contacts=[dana, MARCUS])
    out = run(state, deps_with(reps=reps, contacts=[dana, MARCUS]))
    invite = by_kind(out.proposed_actions)["send_invite"][0]
    assert invite.args["start"] == "2026-11-10T10:00:00-08:00"
    assert invite.args["timezone"] == "America/Los_Angeles"
    assert "Tuesday 10 November at 10:00 PST (your time)" in follow_up(out).args["body"]


def test_no_common_hours_and_a_rep_without_a_zone_are_review_notes() -> None:
    dana = DANA.model_copy(update={"timezone": "Pacific/Honolulu"})
    reps = [r.model_copy(update={"timezone": "Asia/Tokyo"}) if r.id == "rep-sam" else r
            for r in REPS]  # fmt: skip
    out = run(call_state(contacts=[dana, MARCUS]), deps_with(reps=reps, contacts=[dana, MARCUS]))
    invite = by_kind(out.proposed_actions)["send_invite"][0]
    assert "no time inside everyone's working hours" in invite.description
    reps = [r.model_copy(update={"timezone": ""}) if r.id == "rep-sam" else r for r in REPS]
    out = run(call_state(), deps_with(reps=reps))
    invite = by_kind(out.proposed_actions)["send_invite"][0]
    assert "Sam Rivera has no valid time zone" in invite.description


# --------------------------------------------------------------------------- bad input


def test_a_contact_without_an_email_gets_a_task_carrying_the_draft() -> None:
    dana = DANA.model_copy(update={"email": None})
    state = lead_state().model_copy(update={"contacts": [dana, MARCUS]})
    out = run(state, deps_with(contacts=[dana, MARCUS]))
    kinds = by_kind(out.proposed_actions)
    assert "send_email" not in kinds
    task = kinds["create_task"][0]
    assert task.args["title"].startswith("Find an email address for Dana Whitfield")
    assert "Subject: Your Orbital Dispatch demo, Dana" in task.args["notes"]
    assert "Review: no email address for Dana Whitfield" in task.description
    check_contracts(out.proposed_actions)


# --------------------------------------------------------------------------- learning


def edit_entry(action_id: str, original: dict[str, Any], edited: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=datetime(2026, 11, 3, tzinfo=UTC),
        actor="Sam Rivera",
        action_id=action_id,
        kind="send_email",
        decision="edit",
        original_args=original,
        edited_args=edited,
    )


def test_a_reps_edits_shape_the_next_draft_of_that_kind() -> None:
    crm = InMemoryCRM(
        reps=REPS, accounts=[ACCOUNT], contacts=[DANA, MARCUS], leads=[LEAD],
        account_of={DANA.id: ACCOUNT.id, MARCUS.id: ACCOUNT.id},
    )  # fmt: skip
    old = follow_up(run(call_state())).args
    edited = dict(old)
    edited["body"] = (
        old["body"]
        .replace("Hi Dana,", "Hello Dana,")
        .replace("Best regards,", "Cheers,")
        .replace("If I missed or misread anything, tell me and I'll correct it.", "")
    )
    crm.append_audit("D-1999", edit_entry("a-1", old, edited))
    priya = dict(old, **{"from": "Priya Nair <priya.nair@orbitalfreight.com>"})
    crm.append_audit("D-1998", edit_entry("a-2", priya, dict(priya, body="Yo Dana,\n\nx")))
    out = run(call_state(), deps_with(crm=crm))
    body = follow_up(out).args["body"]
    assert body.startswith("Hello Dana,")  # Sam's greeting, not Priya's "Yo"
    assert "\n\nCheers,\nSam Rivera" in body
    assert "If I missed or misread anything" not in body

    model = RecordingModel(messages=iter([model_reply("s", "b")]))
    run(call_state(), deps_with(crm=crm, llm=LLM(model, name="fake")))
    prompt = "\n".join(str(m.content) for m in model.seen[0])
    assert "Drafts this sender approved after editing" in prompt and "Hello Dana," in prompt
    assert "Yo Dana" not in prompt


# --------------------------------------------------------------------------- business dates


def test_crm_writes_carry_business_times(tmp_path: Path) -> None:
    crm = SQLiteCRM(tmp_path / "crm.sqlite", clock=lambda: datetime(2026, 12, 24, tzinfo=UTC))
    crm.upsert_records(
        deal=Deal(id="D-1", name="x", stage="negotiation"),
        account=ACCOUNT,
        contacts=[DANA],
        lead=None,
        idempotency_key="records-D-1",
    )
    closed = datetime(2026, 12, 1, 17, tzinfo=UTC)
    crm.change_stage("D-1", "closed_won", idempotency_key="k1", at=closed)
    crm.create_task(
        "D-1", title="t", owner_id=None, due=date(2026, 11, 6), notes="",
        idempotency_key="k2", created_at=datetime(2026, 11, 4, 16, tzinfo=UTC),
    )  # fmt: skip
    crm.close()
    db = sqlite3.connect(tmp_path / "crm.sqlite")
    assert db.execute("SELECT closed_at FROM deals").fetchone()[0].startswith("2026-12-01T17:00")
    created, due = db.execute("SELECT created_at, due FROM tasks").fetchone()
    assert created.startswith("2026-11-04T16:00") and created[:10] < due


def test_only_customer_facing_activities_mark_a_commitment_done() -> None:
    from sales_operator.patterns.copilot import commitment_status

    rep_item = meeting().commitments[0]  # send the ROI model and pricing proposal, due 11-06
    analysis = Activity(
        at=datetime(2026, 11, 4, 16, tzinfo=UTC),
        kind="meeting",
        summary="Call analysed; next step: Send ROI model and pricing proposal",
    )
    args = {"call_date": date(2026, 11, 4), "contacts": [DANA, MARCUS], "today": date(2026, 11, 16)}
    assert commitment_status(rep_item, activities=[analysis], **args) == "overdue"
    sent = Activity(at=datetime(2026, 11, 6, 9, tzinfo=UTC), kind="email",
                    summary="Email sent: your ROI model and pricing proposal")  # fmt: skip
    assert commitment_status(rep_item, activities=[analysis, sent], **args) == "done"
    customer_item = meeting().commitments[1]  # loop in Marcus next Tuesday
    assert commitment_status(customer_item, activities=[], **args) == "superseded"
    early = {**args, "today": date(2026, 11, 5)}
    assert commitment_status(customer_item, activities=[], **early) == "open"


def test_a_queue_never_signs_a_first_touch_as_a_person() -> None:
    from sales_operator.state import Assignment

    state = lead_state().model_copy(
        update={
            "assignment": Assignment(
                rep_id="queue-inbound",
                rep_name="Inbound SDR queue",
                rule="fallback",
                reason="no rule",
                assigned_at=datetime(2026, 11, 2, 14, 8, tzinfo=UTC),
            )
        }
    )
    out = run(state)
    email = next(
        a for a in by_kind(out.proposed_actions)["send_email"] if "first touch" in a.description
    )
    assert "I'm Inbound SDR queue" not in email.args["body"]
    assert email.args["body"].rstrip().endswith("The Orbital Freight team")
    assert "Review: the lead sits in a queue" in email.description


def test_a_malformed_or_huge_transcript_gives_no_requests_and_no_crash() -> None:
    assert call_requests("no speaker labels here, just words", SPEAKERS) == []
    line = "[00:00:01] Dana Whitfield: How do you handle security?\n"
    found = call_requests(line * 5000, SPEAKERS, limit=10)
    assert [r.text for r in found] == ["How do you handle security?"]  # asked once, listed once


def test_a_reply_that_cannot_be_restated_is_thanked_and_flagged() -> None:
    state = review_state(0.52)
    assert state.score is not None
    state = state.model_copy(
        update={
            "score": state.score.model_copy(
                update={"scored_at": datetime(2026, 11, 16, 9, tzinfo=UTC)}
            ),
            "activities": [
                reply(datetime(2026, 11, 15, 8, tzinfo=UTC), "Dana Whitfield: Call me Monday")
            ],
        }
    )
    email = by_kind(run(state).proposed_actions)["send_email"][0]
    assert "Thank you for your note on Sunday 15 November.\n" in email.args["body"]
    assert "Call me Monday" not in email.args["body"]
    assert "Review: answer their reply: 'Dana Whitfield: Call me Monday'" in email.description
