"""Workflow Copilot: proposed actions per event, their argument contracts, idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import getaddresses
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from langchain_core.messages import AIMessage

from sales_operator.adapters.base import CRMReader, Rep
from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.approval import check_args
from sales_operator.deps import PatternDeps
from sales_operator.llm import LLM
from sales_operator.patterns import copilot
from sales_operator.patterns.copilot import business_days_after
from sales_operator.policy import default_policy
from sales_operator.research import FolderDocuments
from sales_operator.state import (
    AccountBrief,
    Activity,
    Assignment,
    BriefClaim,
    BriefSection,
    BriefSource,
    Citation,
    Commitment,
    Deal,
    DealState,
    Event,
    Insight,
    Lead,
    LeadScore,
    MeetingInsights,
    ProposedAction,
    Quote,
    RiskWarning,
    ScoreFactor,
    ScorePoint,
    TrackerHit,
)
from tests.conftest import FakeToolModel
from tests.seed import ACCOUNT, DANA, MARCUS

POLICY = default_policy()

REPS = [
    Rep(
        id="rep-sam",
        name="Sam Rivera",
        email="sam.rivera@orbitalfreight.com",
        role="ae",
        territory="NA-East",
        segments=["mid_market"],
        manager_id="mgr-jordan",
        slack="@sam.rivera",
    ),
    Rep(
        id="rep-priya",
        name="Priya Nair",
        email="priya.nair@orbitalfreight.com",
        role="ae",
        manager_id="mgr-jordan",
        slack="@priya.nair",
    ),
    Rep(
        id="mgr-jordan",
        name="Jordan Lee",
        email="jordan.lee@orbitalfreight.com",
        role="manager",
        slack="@jordan.lee",
    ),
    Rep(
        id="cs-maya",
        name="Maya Brooks",
        email="maya.brooks@orbitalfreight.com",
        role="cs",
        slack="@maya.brooks",
    ),
    Rep(
        id="queue-inbound",
        name="Inbound SDR queue",
        email="inbound@orbitalfreight.com",
        role="queue",
    ),
]

LEAD = Lead(
    id="L-5001",
    contact_id="C-DW",
    source="demo_request",
    created_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
    signals={
        "pages_visited": 7,
        "pricing_page_visits": 2,
        "emails_opened": 3,
        "demo_requested": True,
        "webinar_attended": False,
    },
)
ASSIGNMENT = Assignment(
    rep_id="rep-sam",
    rep_name="Sam Rivera",
    rule="territory and segment",
    reason="NA-East mid-market lead; Priya Nair is at capacity",
    assigned_at=datetime(2026, 11, 2, 14, 8, tzinfo=UTC),
)
BRIEF = AccountBrief(
    account="Northwind Logistics",
    account_id="A-NWL",
    as_of=date(2026, 11, 2),
    headline="Northwind will grow its fleet from 220 to 300 trucks by mid-2027.",
    sections=[
        BriefSection(
            name="overview",
            claims=[
                BriefClaim(
                    text="Northwind will grow its fleet from 220 to 300 trucks by mid-2027.",
                    citations=[
                        Citation(
                            source="S1",
                            quote="Northwind will grow its fleet from 220 to 300 trucks by "
                            "mid-2027.",
                        )
                    ],
                )
            ],
        ),
        BriefSection(
            name="objections",
            claims=[
                BriefClaim(
                    text="Deal D-1450 closed lost: Lost to RouteMax on price (Sep 2025).",
                    citations=[Citation(source="S2", quote="Lost to RouteMax on price")],
                )
            ],
        ),
    ],
    sources=[
        BriefSource(
            id="S1",
            kind="document",
            title="Northwind Logistics announces three new distribution centres",
            location="northwind-logistics/press-release-2026-10-expansion.md",
        ),
        BriefSource(
            id="S2", kind="crm", title="Deal D-1450 closed lost", location="crm:deal/D-1450"
        ),
    ],
    engine="offline:extractive",
    written_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
)
SCORE = LeadScore(
    probability=0.78,
    band="A",
    factors=[
        ScoreFactor(feature="demo_requested", label="requested a demo", points=20),
        ScoreFactor(feature="seniority", label="VP-level contact", points=25),
        ScoreFactor(feature="webinar_attended", label="no webinar", points=-3),
    ],
    model_version="rules-1",
    engine="rules",
    scored_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
    reason="first score",
)

OPTIONAL: dict[str, set[str]] = {
    "change_stage": {"at"},
    "create_task": {"created_at"},
    "send_email": {"in_reply_to", "references", "attachments"},
    "send_invite": {"timezone"},
}

CONTRACTS: dict[str, set[str]] = {
    "assign_owner": {"deal_id", "rep_id", "rep_name", "reason"},
    "update_crm": {"deal_id", "fields"},
    "change_stage": {"deal_id", "stage", "reason"},
    "create_task": {"deal_id", "title", "owner_id", "due", "notes"},
    "log_note": {"deal_id", "text"},
    "send_email": {"to", "cc", "from", "subject", "body"},
    "post_slack": {"channel", "text"},
    "send_invite": {"title", "start", "end", "attendees", "organizer", "description"},
}


def make_deps(llm: LLM | None = None, reps: list[Rep] | None = None) -> PatternDeps:
    crm = InMemoryCRM(
        reps=REPS if reps is None else reps,
        accounts=[ACCOUNT],
        contacts=[DANA, MARCUS],
        leads=[LEAD],
        account_of={DANA.id: ACCOUNT.id, MARCUS.id: ACCOUNT.id},
    )
    assert isinstance(crm, CRMReader)
    # The copilot never scores: the default rules scorer is never called.
    return fake_pattern_deps(crm=crm, policy=POLICY, llm=llm, documents=FolderDocuments.bundled())


def deal_state(event_type: str, at: datetime, payload: dict[str, Any], **extra: Any) -> DealState:
    values: dict[str, Any] = {
        "event": Event(type=event_type, at=at, payload=payload),  # type: ignore[arg-type]
        "event_id": f"D-2001:{event_type}:{at:%Y%m%d}",
        "deal_id": "D-2001",
        "deal": Deal(
            id="D-2001",
            name="Northwind Logistics - Orbital Dispatch",
            amount=48000,
            close_date=date(2026, 11, 27),
            owner_id="rep-sam",
        ),
        "lead": LEAD,
        "account": ACCOUNT,
        "contacts": [DANA, MARCUS],
        "assignment": ASSIGNMENT,
        "score": SCORE,
        "brief": BRIEF,
    }
    values.update(extra)
    return DealState(**values)


def meeting() -> MeetingInsights:
    def q(speaker: str, text: str) -> Quote:
        return Quote(speaker=speaker, text=text)

    return MeetingInsights(
        call_id="call-2026-11-04",
        call_date=date(2026, 11, 4),
        talk_ratio={"Sam Rivera": 0.42, "Dana Whitfield": 0.58},
        pains=[
            Insight(
                kind="pain",
                text="Dispatchers spend about three hours a day building routes in spreadsheets",
                quote=q("Dana Whitfield", "My dispatchers spend three hours a day in Excel."),
            ),
            Insight(
                kind="pain",
                text="Missed delivery windows: the on-time rate is 91%",
                quote=q("Dana Whitfield", "We're at 91% on time."),
            ),
            Insight(
                kind="pain",
                text="No live visibility of trucks; customers call for ETAs",
                quote=q("Dana Whitfield", "Customers call us to ask where the truck is."),
            ),
        ],
        objections=[
            Insight(
                kind="objection",
                text="Worried about driver adoption",
                quote=q("Dana Whitfield", "I'm a little worried about driver adoption."),
            )
        ],
        competitors=[
            TrackerHit(
                tracker="FleetPilot",
                kind="competitor",
                quote=q("Dana Whitfield", "We looked at FleetPilot."),
            )
        ],
        commitments=[
            Commitment(
                owner="Sam Rivera",
                side="rep",
                text="Send the ROI model and pricing proposal",
                due=date(2026, 11, 6),
                quote=q("Sam Rivera", "I'll send the ROI model and pricing by Friday."),
            ),
            Commitment(
                owner="Dana Whitfield",
                side="customer",
                text="Loop in Marcus, the CRO, on a call next Tuesday",
                due=date(2026, 11, 10),
                quote=q("Dana Whitfield", "I'll loop in Marcus, our CRO, next Tuesday."),
            ),
        ],
        summary="Discovery call: manual routing, 91% on-time, no live visibility; "
        "ROI model by Friday, CRO call next Tuesday.",
        crm_notes={
            "pains": "manual routing; missed delivery windows; no live visibility",
            "competitors": "FleetPilot",
            "next_step": "ROI model and pricing proposal by 2026-11-06",
        },
        engine="offline:extractive",
    )


def run(state: DealState, deps: PatternDeps | None = None) -> DealState:
    graph = copilot.build(deps or make_deps()).compile()
    return DealState.model_validate(graph.invoke(state))


def emails(addresses: list[str]) -> list[str]:
    return [email for _, email in getaddresses(addresses)]


def by_kind(actions: list[ProposedAction]) -> dict[str, list[ProposedAction]]:
    grouped: dict[str, list[ProposedAction]] = {}
    for action in actions:
        grouped.setdefault(action.kind, []).append(action)
    return grouped


def check_contracts(actions: list[ProposedAction]) -> None:
    for action in actions:
        assert CONTRACTS[action.kind] <= set(action.args), action.kind
        assert set(action.args) <= CONTRACTS[action.kind] | OPTIONAL.get(action.kind, set())
        # the executor's own argument check accepts it
        check_args(action.kind, action.args, deal_id="D-2001", policy=POLICY)
        assert action.proposed_by == "workflow_copilot"
        assert action.status == "pending"
        assert action.description and len(action.description.split(". Review:")[0]) < 200
        args = action.args
        if action.kind == "change_stage":
            assert args["stage"] in POLICY.stages
        if action.kind == "update_crm":
            assert isinstance(args["fields"], dict) and args["fields"]
        if action.kind == "create_task" and args["due"] is not None:
            date.fromisoformat(args["due"])
        if action.kind == "send_email":
            assert args["to"] and all("@" in e for e in args["to"] + args["cc"])
            assert not args["subject"].startswith(" ")
            assert "@" in args["from"] and args["subject"] and args["body"]
        if action.kind == "send_invite":
            start = datetime.fromisoformat(args["start"])
            end = datetime.fromisoformat(args["end"])
            assert start.utcoffset() is not None and end > start
            assert args["organizer"] in args["attendees"]
            assert start.astimezone(ZoneInfo(args["timezone"])).utcoffset() == start.utcoffset()
    keys = [a.idempotency_key for a in actions]
    assert len(keys) == len(set(keys))


# --------------------------------------------------------------------------- lead_created


def lead_state() -> DealState:
    return deal_state(
        "lead_created", datetime(2026, 11, 2, 14, 8, tzinfo=UTC), {}, brief=BRIEF, score=SCORE
    )


def test_lead_created_proposals() -> None:
    out = run(lead_state())
    actions = out.proposed_actions
    check_contracts(actions)
    kinds = by_kind(actions)
    assert sorted(kinds) == ["assign_owner", "post_slack", "send_email", "update_crm"]
    assert all(len(v) == 1 for v in kinds.values())

    assign = kinds["assign_owner"][0]
    assert assign.args == {
        "deal_id": "D-2001",
        "rep_id": "rep-sam",
        "rep_name": "Sam Rivera",
        "reason": ASSIGNMENT.reason,
    }
    assert "Sam Rivera" in assign.description

    slack = kinds["post_slack"][0]
    assert slack.args["channel"] == "@sam.rivera"
    text = slack.args["text"]
    for part in ("Dana Whitfield", "Northwind Logistics", "78%", "band A", BRIEF.headline):
        assert part in text
    assert "Speed-to-lead: 3 min" in text
    assert text.index("VP-level contact") < text.index("requested a demo")  # by points

    email = kinds["send_email"][0]
    assert emails(email.args["to"]) == ["dana.whitfield@northwind-logistics.com"]
    assert email.args["from"] == "Sam Rivera <sam.rivera@orbitalfreight.com>"
    assert email.args["cc"] == []
    body = email.args["body"]
    assert body.startswith("Hi Dana,")
    assert "demo of Orbital Dispatch" in body
    assert "pricing" not in body.lower()  # never reveal that we tracked the pricing page
    assert "220 to 300 trucks" in body  # the public claim from the brief
    assert "RouteMax" not in body  # never quote internal CRM history to the prospect
    assert body.rstrip().endswith("sam.rivera@orbitalfreight.com")
    assert email.description == "Email Dana Whitfield: first touch after the demo request"

    crm = kinds["update_crm"][0]
    assert crm.args["fields"]["lead_score"] == 78
    assert crm.args["fields"]["score_band"] == "A"
    assert "VP-level contact (+25 pts)" in crm.args["fields"]["score_factors"]
    assert out.engines["workflow_copilot"] == "offline:template"


def test_a_held_lead_says_until_when_in_the_notice() -> None:
    state = lead_state()
    assert state.assignment is not None
    plain = by_kind(run(state).proposed_actions)["post_slack"][0]
    assert "held" not in plain.args["text"]
    held = state.assignment.model_copy(
        update={"held_until": datetime(2026, 11, 3, 13, 0, tzinfo=UTC)}
    )
    out = run(state.model_copy(update={"assignment": held}))
    slack = by_kind(out.proposed_actions)["post_slack"][0]
    assert (
        "outside working hours and is held for you until 2026-11-03 13:00 UTC"
        in (slack.args["text"])
    )


def test_lead_created_without_a_slack_handle_emails_the_rep() -> None:
    reps = [r.model_copy(update={"slack": None}) if r.id == "rep-sam" else r for r in REPS]
    out = run(lead_state(), make_deps(reps=reps))
    kinds = by_kind(out.proposed_actions)
    assert "post_slack" not in kinds
    notices = [a for a in kinds["send_email"] if a.args["to"] == ["sam.rivera@orbitalfreight.com"]]
    assert len(notices) == 1 and "78%" in notices[0].args["body"]
    check_contracts(out.proposed_actions)


def test_model_drafts_the_first_touch_email() -> None:
    message = AIMessage(
        content="",
        tool_calls=[
            {
                "name": "EmailDraft",
                "args": {
                    "subject": "Three new centres, one dispatch plan",
                    "body": "Hi Dana,\n\nCongratulations on the expansion.\n\nSam",
                },
                "id": "1",
            }
        ],
    )
    llm = LLM(FakeToolModel(messages=iter([message])), name="fake")
    out = run(lead_state(), make_deps(llm=llm))
    email = by_kind(out.proposed_actions)["send_email"][0]
    assert email.args["subject"] == "Three new centres, one dispatch plan"
    assert email.args["body"].startswith("Hi Dana,\n\nCongratulations")
    assert emails(email.args["to"]) == ["dana.whitfield@northwind-logistics.com"]
    assert "llm:fake" in out.engines["workflow_copilot"]
    check_contracts(out.proposed_actions)


# --------------------------------------------------------------------------- meeting_completed


def meeting_state(stage: str = "new") -> DealState:
    state = deal_state(
        "meeting_completed",
        datetime(2026, 11, 4, 16, 0, tzinfo=UTC),
        {"call_id": "call-2026-11-04", "transcript": "..."},
        meeting=meeting(),
    )
    assert state.deal is not None
    state.deal = state.deal.model_copy(update={"stage": stage})
    return state


def test_meeting_completed_proposals() -> None:
    out = run(meeting_state())
    check_contracts(out.proposed_actions)
    kinds = by_kind(out.proposed_actions)
    assert {k: len(v) for k, v in kinds.items()} == {
        "update_crm": 1,
        "log_note": 1,
        "change_stage": 1,
        "send_email": 1,
        "create_task": 2,
        "send_invite": 1,
    }
    assert kinds["update_crm"][0].args["fields"] == meeting().crm_notes
    assert meeting().summary in kinds["log_note"][0].args["text"]
    assert kinds["change_stage"][0].args["stage"] == "discovery"

    email = kinds["send_email"][0]
    assert emails(email.args["to"]) == ["dana.whitfield@northwind-logistics.com"]
    assert email.args["from"] == "Sam Rivera <sam.rivera@orbitalfreight.com>"
    body = email.args["body"]
    for pain in meeting().pains:
        assert pain.text in body
    assert "- I'll send the ROI model and pricing proposal by Friday 6 November." in body
    assert (
        "- You'll loop in Marcus, the CRO, on a call next Tuesday by Tuesday 10 November." in body
    )
    assert "- Worried about driver adoption." in body
    # the invite's time, in Dana's zone (the policy's default for the US)
    assert "invite for Tuesday 10 November at 10:00 EST (your time)" in body
    assert email.description == "Email Dana Whitfield: follow-up after the 2026-11-04 call"

    rep_task, customer_task = kinds["create_task"]
    assert rep_task.args["title"] == "Send the ROI model and pricing proposal"
    assert rep_task.args["owner_id"] == "rep-sam" and rep_task.args["due"] == "2026-11-06"
    assert customer_task.args["title"].startswith("Follow up: Dana Whitfield to loop in Marcus")
    assert customer_task.args["owner_id"] == "rep-sam"
    assert customer_task.args["due"] == "2026-11-10"
    assert "I'll loop in Marcus" in customer_task.args["notes"]

    invite = kinds["send_invite"][0].args
    assert invite["start"] == "2026-11-10T10:00:00-05:00"
    assert invite["end"] == "2026-11-10T10:30:00-05:00"
    assert invite["timezone"] == "America/New_York"
    assert invite["organizer"] == "Sam Rivera <sam.rivera@orbitalfreight.com>"
    assert set(emails(invite["attendees"])) == {
        "sam.rivera@orbitalfreight.com",
        "dana.whitfield@northwind-logistics.com",
        "marcus.chen@northwind-logistics.com",
    }
    assert "Marcus Chen" in invite["title"]


def test_meeting_completed_keeps_a_later_stage() -> None:
    out = run(meeting_state(stage="proposal"))
    assert "change_stage" not in by_kind(out.proposed_actions)


def test_commitment_title_field_is_used_when_present() -> None:
    state = meeting_state()
    assert state.meeting is not None
    titled = state.meeting.commitments[1].model_copy(update={"title": "Loop in CRO"})
    state.meeting = state.meeting.model_copy(update={"commitments": [titled]})
    out = run(state)
    tasks = by_kind(out.proposed_actions)["create_task"]
    assert [t.args["title"] for t in tasks] == ["Loop in CRO"]


def test_activity_logged_proposes_nothing() -> None:
    state = deal_state(
        "activity_logged",
        datetime(2026, 11, 7, 10, 30, tzinfo=UTC),
        {"kind": "reply", "summary": "Reviewing the proposal with Marcus"},
        meeting=meeting(),
    )
    out = run(state)
    assert out.proposed_actions == [] and "workflow_copilot" not in out.engines


# --------------------------------------------------------------------------- pipeline_review


def review_state(probability: float, risks: bool = True) -> DealState:
    at = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    score = SCORE.model_copy(
        update={
            "probability": probability,
            "band": "B",
            "reason": "nine quiet days and a close date eleven days away",
        }
    )
    warnings = [
        RiskWarning(
            code="inactivity",
            severity="high",
            message="No activity for 9 days",
            evidence="last activity 2026-11-07",
            raised_at=at,
        ),
        RiskWarning(
            code="close_date_near",
            severity="medium",
            message="Close date 2026-11-27 is 11 days away and the deal is in discovery",
            evidence="stage discovery",
            raised_at=at,
        ),
    ]
    return deal_state(
        "pipeline_review",
        at,
        {},
        score=score,
        risks=warnings if risks else [],
        meeting=meeting(),
        score_history=[
            ScorePoint(at=SCORE.scored_at, probability=0.78, event="lead_created"),
            ScorePoint(at=at, probability=probability, event="pipeline_review"),
        ],
        activities=[
            Activity(at=datetime(2026, 11, 7, 10, 30, tzinfo=UTC), kind="reply", summary="x")
        ],
    )


def test_pipeline_review_at_risk_proposals() -> None:
    out = run(review_state(0.52))
    check_contracts(out.proposed_actions)
    kinds = by_kind(out.proposed_actions)
    assert sorted(kinds) == ["post_slack", "send_email"]
    email = kinds["send_email"][0]
    assert emails(email.args["to"]) == ["dana.whitfield@northwind-logistics.com"]
    body = email.args["body"]
    assert "three hours a day" in body  # the value from the call
    # the rep's overdue deliverable is owned, not listed as an agreed next step
    assert "I'm sorry: I promised to send the ROI model and pricing proposal by Friday 6 " in body
    assert "loop in Marcus" not in body.lower()  # its date has passed: superseded
    assert "you and Marcus" in body
    assert "Tuesday 17 November at 10:00 EST" in body  # slots in Dana's zone
    slack = kinds["post_slack"][0]
    assert slack.args["channel"] == "@jordan.lee"
    text = slack.args["text"]
    assert "78% → 52%" in text and "Nine quiet days and a close date" in text
    assert "No activity for 9 days" in text and "11 days away" in text
    assert "Jordan Lee" in slack.description


@pytest.mark.parametrize(("probability", "risks"), [(0.7, True), (0.52, False)])
def test_pipeline_review_healthy_deal_proposes_nothing(probability: float, risks: bool) -> None:
    out = run(review_state(probability, risks))
    assert out.proposed_actions == []


# --------------------------------------------------------------------------- deal_closed


HANDOFF = AccountBrief(
    account="Northwind Logistics",
    account_id="A-NWL",
    as_of=date(2026, 12, 1),
    headline="Northwind Logistics closed won on 2026-12-01 at 52,000 USD",
    sections=[
        BriefSection(
            name="deal",
            claims=[
                BriefClaim(
                    text="Northwind Logistics closed won at 52,000 USD.",
                    citations=[
                        Citation(source="S1", quote="Northwind Logistics closed won at 52,000 USD.")
                    ],
                )
            ],
        ),
        BriefSection(
            name="call",
            claims=[
                BriefClaim(
                    text="Pain heard on the call: manual routing.",
                    citations=[
                        Citation(source="S2", quote="Pain heard on the call: manual routing.")
                    ],
                )
            ],
        ),
    ],
    sources=[
        BriefSource(id="S1", kind="crm", title="Deal D-2001", location="crm:deal/D-2001"),
        BriefSource(id="S2", kind="crm", title="Call", location="crm:meeting/call-2026-11-04"),
    ],
    engine="offline:extractive",
    written_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
    purpose="cs_handoff",
)


def closed_state(outcome: str) -> DealState:
    payload: dict[str, Any] = {"outcome": outcome}
    if outcome == "won":
        payload["amount"] = 52000
    else:
        payload["reason"] = "chose RouteMax on price"
    state = deal_state(
        "deal_closed",
        datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        payload,
        meeting=meeting(),
        handoff=HANDOFF if outcome == "won" else None,
    )
    assert state.deal is not None
    state.deal = state.deal.model_copy(update={"stage": "negotiation", "outcome": outcome})
    return state


def test_business_days() -> None:
    assert business_days_after(date(2026, 12, 1), 3) == date(2026, 12, 4)  # Tue -> Fri
    assert business_days_after(date(2026, 12, 4), 3) == date(2026, 12, 9)  # Fri -> Wed


def test_deal_closed_won_proposals() -> None:
    out = run(closed_state("won"))
    check_contracts(out.proposed_actions)
    kinds = by_kind(out.proposed_actions)
    assert {k: len(v) for k, v in kinds.items()} == {
        "change_stage": 1,
        "update_crm": 1,
        "send_email": 1,
        "post_slack": 1,
        "create_task": 1,
        "send_invite": 1,
    }
    assert kinds["change_stage"][0].args["stage"] == "closed_won"
    # business time: the deal_closed event, not the approval
    assert kinds["update_crm"][0].args["fields"] == {
        "amount": 52000,
        "closed_at": "2026-12-01T17:00:00+00:00",
    }
    assert kinds["change_stage"][0].args["at"] == "2026-12-01T17:00:00+00:00"
    email = kinds["send_email"][0].args
    assert emails(email["to"]) == ["maya.brooks@orbitalfreight.com"]
    assert emails(email["cc"]) == ["sam.rivera@orbitalfreight.com"]
    assert emails([email["from"]]) == ["sam.rivera@orbitalfreight.com"]
    assert HANDOFF.headline in email["body"]
    assert "- Pain heard on the call: manual routing. [S2]" in email["body"]
    assert "[S2] Call (crm:meeting/call-2026-11-04)" in email["body"]
    assert kinds["post_slack"][0].args["channel"] == "@maya.brooks"
    task = kinds["create_task"][0].args
    assert task["title"] == "Kickoff call with Northwind Logistics"
    assert task["owner_id"] == "cs-maya" and task["due"] == "2026-12-04"
    invite = kinds["send_invite"][0].args
    assert invite["start"] == "2026-12-04T10:00:00-05:00"  # in the customer's zone
    assert emails([invite["organizer"]]) == ["maya.brooks@orbitalfreight.com"]
    assert "dana.whitfield@northwind-logistics.com" in emails(invite["attendees"])


def test_deal_closed_lost_proposals() -> None:
    out = run(closed_state("lost"))
    check_contracts(out.proposed_actions)
    kinds = by_kind(out.proposed_actions)
    assert sorted(kinds) == ["change_stage", "log_note", "update_crm"]
    assert kinds["change_stage"][0].args["stage"] == "closed_lost"
    assert kinds["update_crm"][0].args["fields"] == {
        "loss_reason": "chose RouteMax on price",
        "closed_at": "2026-12-01T17:00:00+00:00",
    }
    assert "chose RouteMax on price" in kinds["log_note"][0].args["text"]


# --------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize(
    "make_state",
    [lead_state, meeting_state, lambda: review_state(0.52), lambda: closed_state("won")],
)
def test_running_twice_proposes_nothing_new(make_state: Any) -> None:
    deps = make_deps()
    first = run(make_state(), deps)
    assert first.proposed_actions
    second = run(first, deps)
    assert second.proposed_actions == first.proposed_actions
    # a decided action stays as it is
    decided = first.model_copy(
        update={
            "proposed_actions": [
                a.model_copy(update={"status": "approved"}) for a in first.proposed_actions
            ]
        }
    )
    third = run(decided, deps)
    assert third.proposed_actions == decided.proposed_actions


def test_the_next_event_gets_its_own_keys() -> None:
    first = run(lead_state())
    later = first.model_copy(
        update={
            "event": Event(type="meeting_completed", at=datetime(2026, 11, 4, 16, tzinfo=UTC)),
            "event_id": "D-2001:meeting_completed:x",
            "meeting": meeting(),
        }
    )
    out = run(later)
    assert out.proposed_actions[: len(first.proposed_actions)] == first.proposed_actions
    new = out.proposed_actions[len(first.proposed_actions) :]
    assert new and all(a.event_id == "D-2001:meeting_completed:x" for a in new)
    check_contracts(out.proposed_actions)


@pytest.mark.parametrize(
    ("make_state", "recipient"),
    [
        (meeting_state, "dana.whitfield@northwind-logistics.com"),
        (lambda: review_state(0.52), "dana.whitfield@northwind-logistics.com"),
        (lambda: closed_state("won"), "maya.brooks@orbitalfreight.com"),
    ],
)
def test_model_drafts_every_email_prompt(make_state: Any, recipient: str) -> None:
    message = AIMessage(
        content="",
        tool_calls=[
            {
                "name": "EmailDraft",
                "args": {"subject": "Model subject", "body": "Model body"},
                "id": "1",
            }
        ],
    )
    llm = LLM(FakeToolModel(messages=iter([message])), name="fake")
    out = run(make_state(), make_deps(llm=llm))
    sent = by_kind(out.proposed_actions)["send_email"]
    emails_of = emails
    assert [(emails_of(e.args["to"]), e.args["subject"], e.args["body"]) for e in sent] == [
        ([recipient], "Model subject", "Model body")
    ]
    assert "llm:fake" in out.engines["workflow_copilot"]


def test_context_offline_forces_the_templates() -> None:
    from sales_operator.context import Context

    message = AIMessage(
        content="",
        tool_calls=[{"name": "EmailDraft", "args": {"subject": "S", "body": "B"}, "id": "1"}],
    )
    llm = LLM(FakeToolModel(messages=iter([message])), name="fake")
    graph = copilot.build(make_deps(llm=llm)).compile()
    out = DealState.model_validate(graph.invoke(lead_state(), context=Context(offline=True)))
    assert out.engines["workflow_copilot"] == "offline:template"
    email = by_kind(out.proposed_actions)["send_email"][0]
    assert email.args["subject"] == "Your Orbital Dispatch demo, Dana"
