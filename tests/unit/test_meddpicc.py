"""MEDDPICC coverage: the cue-phrase engine, the model path, and what reaches the insights."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.extract import CallExtraction, ExtractedInsight
from sales_operator.meetings.meddpicc import (
    CRITERIA,
    MeddpiccExtraction,
    meddpicc_offline,
    meddpicc_variables,
)
from sales_operator.meetings.transcript import parse_transcript, read_transcript
from sales_operator.policy import default_policy
from sales_operator.prompts import render_prompt
from sales_operator.state import MeetingInsights
from tests.conftest import FakeToolModel, tool_reply

DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)
CALL = """\
Alex Kim: Who else would be part of the decision?
Helen Okafor: I'd make the recommendation, but Grace Liu, our CFO, signs anything of this size.
Helen Okafor: She'll want to see payback within twelve months.
Helen Okafor: Refused deliveries cost us around forty thousand dollars last quarter.
Helen Okafor: RouteMax came in about thirty percent lower than you.
Helen Okafor: The committee reviews it, then Grace signs.
Alex Kim: I'll have our legal team send the MSA.
Helen Okafor: I'd like to be able to tell her this works.
Helen Okafor: Budget isn't the issue.
"""
SIDES = {"Alex Kim": "rep", "Helen Okafor": "customer"}


def _offline(text: str = CALL, **kwargs: Any) -> dict[str, Any]:
    found = meddpicc_offline(parse_transcript(text), sides=SIDES, **kwargs)
    assert [f.criterion for f in found.criteria] == list(CRITERIA)
    return found.by_key()


def test_offline_cues_per_criterion() -> None:
    found = _offline()
    metrics = [q.text for q in found["metrics"].quotes]
    assert metrics == [
        "She'll want to see payback within twelve months.",
        "Refused deliveries cost us around forty thousand dollars last quarter.",
    ]  # the competitor's price gap is an objection, not a metric
    assert [q.text for q in found["economic_buyer"].quotes][0].startswith("I'd make the")
    assert found["decision_criteria"].quotes[0].text.startswith("She'll want to see payback")
    assert found["decision_process"].quotes[0].text == "The committee reviews it, then Grace signs."
    assert [(q.speaker, q.text) for q in found["paper_process"].quotes] == [
        ("Alex Kim", "I'll have our legal team send the MSA.")  # either side counts
    ]
    assert found["champion"].evidenced
    # nothing from the extraction and no competitor quotes: not evidenced
    assert not found["identify_pain"].evidenced and not found["competition"].evidenced
    assert found["competition"].note == "Competition: not evidenced on the call"


def test_questions_and_rep_statements_evidence_nothing_but_paper() -> None:
    found = _offline(
        "Alex Kim: Who signs off, and what matters most to you?\n"
        "Alex Kim: Our customers see payback within twelve months.\n"
        "Helen Okafor: Who else owns the budget?\n"
    )
    assert not any(f.evidenced for f in found.values())


def test_pain_and_competition_come_from_the_extraction_and_trackers() -> None:
    pain = ExtractedInsight(text="Manual routing", quote="We plan by hand.", speaker="Helen Okafor")
    found = _offline(
        extraction=CallExtraction(pains=[pain]),
        competitor_quotes=[
            ("Helen Okafor", "We looked at RouteMax."),
            ("X", "We looked at RouteMax."),
        ],
    )
    assert [q.text for q in found["identify_pain"].quotes] == ["We plan by hand."]
    assert [q.text for q in found["competition"].quotes] == ["We looked at RouteMax."]


def _analyze(llm: LLM | None = None) -> MeetingInsights:
    return analyze_call(
        read_transcript(DISCOVERY),
        call_id="call-1",
        call_date=date(2026, 11, 4),
        rep_names={"Sam Rivera"},
        customer_names={"Dana Whitfield", "Marcus Chen"},
        policy=default_policy(),
        llm=llm or LLM(None),
    )


def test_offline_coverage_on_the_seed_call_reaches_insights_and_crm_notes() -> None:
    out = _analyze()
    assert out.meddpicc_engine == "offline:meddpicc-cues"
    assert [c.key for c in out.meddpicc] == list(CRITERIA)
    evidenced = {c.key for c in out.meddpicc if c.evidenced}
    assert {"metrics", "economic_buyer", "identify_pain", "competition"} <= evidenced
    assert "paper_process" not in evidenced
    eb = next(c for c in out.meddpicc if c.key == "economic_buyer")
    assert "Marcus Chen" in eb.quotes[0].text and eb.quotes[0].start is not None
    assert eb.quotes[0].speaker == "Dana Whitfield"
    notes = out.crm_notes
    assert notes["meddpicc_competition"].startswith(
        'Dana Whitfield: "We also had a look at FleetPilot'
    )
    assert "Paper process" in notes["meddpicc_gaps"]
    assert notes["next_step_date"] == "2026-11-06" and "next_step_due" not in notes
    assert notes["action_items"] == (
        "Sam Rivera: Send ROI model and pricing proposal (due 2026-11-06); "
        "Dana Whitfield: Loop in CRO (due 2026-11-10)"
    )
    assert [(a.owner, a.title, a.due) for a in out.action_items] == [
        ("Sam Rivera", "Send ROI model and pricing proposal", date(2026, 11, 6)),
        ("Dana Whitfield", "Loop in CRO", date(2026, 11, 10)),
    ]


def _extraction_args() -> dict[str, Any]:
    return {
        "pains": [
            {
                "text": "Manual route planning",
                "quote": "Our dispatchers spend about three hours a day building routes in "
                "spreadsheets.",
                "speaker": "Dana Whitfield",
            }
        ],
        "commitments": [],
        "summary": "Discovery call.",
        "competitors": [
            {
                "name": "FleetPilot",
                "quote": "We also had a look at FleetPilot earlier this year.",
                "speaker": "Dana Whitfield",
            },
            {"name": "Acme Routing", "quote": "Acme Routing pitched us too.", "speaker": "Dana"},
        ],
    }


def _meddpicc_args() -> dict[str, Any]:
    return {
        "criteria": [
            {
                "criterion": "economic_buyer",
                "evidenced": True,
                "quotes": [
                    {
                        "speaker": "Dana Whitfield",
                        "text": "I own the operations budget, but anything over 25 thousand a "
                        "year needs sign-off from Marcus Chen, our CRO.",
                    }
                ],
                "note": "CRO Marcus Chen signs off above 25k",
            },
            {"criterion": "champion", "evidenced": False, "quotes": [], "note": "No champion yet"},
        ]
    }


def test_model_path_fills_meddpicc_with_one_structured_call() -> None:
    model = FakeToolModel(
        messages=iter(
            [
                tool_reply("CallExtraction", _extraction_args()),
                tool_reply("MeddpiccExtraction", _meddpicc_args()),
            ]
        )
    )
    out = _analyze(LLM(model, name="fake"))
    assert (out.engine, out.meddpicc_engine) == ("llm:fake", "llm:fake")
    by_key = {c.key: c for c in out.meddpicc}
    assert list(by_key) == list(CRITERIA)  # every criterion, missing ones not evidenced
    eb = by_key["economic_buyer"]
    assert eb.evidenced and eb.note == "CRO Marcus Chen signs off above 25k"
    assert eb.quotes[0].start is not None  # located in the transcript
    assert not by_key["champion"].evidenced and by_key["champion"].note == "No champion yet"
    assert not by_key["metrics"].evidenced and by_key["metrics"].note == "Metrics: not assessed"
    assert out.crm_notes["meddpicc_economic_buyer"].startswith('Dana Whitfield: "I own the')
    # the model named a vendor with a quote nobody said: dropped, counted, never used
    assert [h.tracker for h in out.competitors] == ["FleetPilot"]
    assert out.ungrounded.get("competitors") == 1
    assert "Acme Routing" not in out.summary


def test_model_failure_on_meddpicc_falls_back_to_the_cues() -> None:
    model = FakeToolModel(messages=iter([tool_reply("CallExtraction", _extraction_args())]))
    out = _analyze(LLM(model, name="fake"))
    assert out.engine == "llm:fake"
    assert out.meddpicc_engine == "offline:meddpicc-cues (fallback after model error)"
    assert any(c.evidenced for c in out.meddpicc if c.key == "identify_pain")


def test_meddpicc_prompt_renders_with_literal_braces() -> None:
    variables = meddpicc_variables(
        transcript=parse_transcript(CALL),
        call_date="2026-11-04 (Wednesday)",
        rep_names=["Alex Kim"],
        customer_names=["Helen Okafor"],
        competitors=["RouteMax"],
    )
    text = render_prompt("meetings/meddpicc", **variables)
    assert '{"speaker": the label exactly as in the transcript' in text
    assert "Helen Okafor: She'll want to see payback within twelve months." in text
    assert "metrics, economic_buyer, decision_criteria" in text


@pytest.mark.parametrize("name", ["MeddpiccExtraction", "MeddpiccFinding", "MeddpiccQuote"])
def test_schema_describes_its_fields_for_the_model(name: str) -> None:
    from sales_operator.meetings import meddpicc

    schema = getattr(meddpicc, name).model_json_schema()
    assert schema["description"]
    assert all(field.get("description") for field in schema["properties"].values())
    assert MeddpiccExtraction.model_validate({"criteria": []}).by_key() == {}


@pytest.mark.parametrize(
    "line",
    [
        "Daniel Moore: The school board votes on the award.",
        "Daniel Moore: I report to the superintendent, Dr. Angela Ruiz.",
        "Daniel Moore: She'd have to be on board before anything moves.",
        "Kelly Burns: The two-year minimum was a problem for our owner.",
        "Denise Clark: Mr. Tanaka approves the spend.",
    ],
)
def test_economic_buyer_cues(line: str) -> None:
    found = meddpicc_offline(
        parse_transcript(line + "\n"), sides={line.split(":")[0]: "customer"}
    ).by_key()
    assert found["economic_buyer"].evidenced


def test_who_sponsors_it_answered_that_would_be_me_is_a_champion() -> None:
    found = _offline(
        "Alex Kim: Who would sponsor it internally?\n"
        "Helen Okafor: That would be me, and I report to the CFO.\n"
    )
    assert found["champion"].quotes[0].text.startswith("That would be me")
    unanswered = _offline(
        "Alex Kim: Who would sponsor it internally?\nHelen Okafor: We haven't decided that yet.\n"
    )
    assert not unanswered["champion"].evidenced


def test_time_saved_is_a_metric() -> None:
    found = _offline("Helen Okafor: That report alone would save me a week after every storm.\n")
    assert found["metrics"].evidenced


def test_answer_to_what_made_the_difference_is_decision_criteria() -> None:
    found = _offline("Alex Kim: What made the difference?\nHelen Okafor: Parts inventory.\n")
    assert [q.text for q in found["decision_criteria"].quotes] == ["Parts inventory."]


def test_meeting_length_and_hypothetical_approvals_evidence_nothing() -> None:
    found = _offline(
        "Helen Okafor: I have thirty minutes.\n"
        "Helen Okafor: If the board approves the second phase, we'd add the Reno depot.\n"
    )
    assert not found["metrics"].evidenced and not found["decision_process"].evidenced
