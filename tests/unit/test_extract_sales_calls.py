"""Offline extraction on sales calls: commitments phrased many ways, negations, competitors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from evals import meetings as meeting_evals

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.dates import find_due, resolve_due_phrase
from sales_operator.meetings.extract import classify, extract_offline
from sales_operator.meetings.transcript import detect_format, parse_transcript, read_transcript
from sales_operator.policy import default_policy
from sales_operator.state import MeetingInsights

REPO = Path(__file__).resolve().parents[2]
SALES_CALLS = REPO / "evals" / "datasets" / "sales_calls"
WED = date(2026, 11, 18)


def _extract(text: str, reps: dict[str, str], call_date: date = WED) -> Any:
    transcript = parse_transcript(text)
    sides = {s: reps.get(s, "customer") for s in transcript.speakers}
    return extract_offline(
        transcript,
        call_date=call_date,
        sides=sides,
        rep_names=[n for n, side in reps.items() if side == "rep"],
        customer_names=[
            *(s for s in transcript.speakers if s not in reps),
            *(n for n, side in reps.items() if side == "customer"),
        ],
        own_names=("Orbital Freight", "Orbital Dispatch"),
        competitors=("FleetPilot", "RouteMax", "ShipSmart"),
    )


REP = {"Alex Kim": "rep"}


# --- due dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("by the 24th", date(2026, 11, 24)),
        ("by the 2nd", date(2026, 12, 2)),  # the 2nd of this month has passed
        ("for Tuesday the 8th", date(2026, 12, 8)),
        ("this afternoon", WED),
        ("later today", WED),
    ],
)
def test_day_of_month_and_part_of_day(phrase: str, due: date) -> None:
    assert resolve_due_phrase(phrase, WED) == due


def test_a_bare_ordinal_is_not_a_due_date() -> None:
    assert find_due("The crane goes to the 4th floor.", WED) is None
    assert find_due("She came 2nd in the tender.", WED) is None


# --- commitments ----------------------------------------------------------------------------


def test_a_request_accepted_by_the_other_side_is_the_answerers_commitment() -> None:
    out = _extract(
        "Natalie Fischer: Then can you have the revised MSA over by the 24th? Our committee "
        "meets on the 2nd.\nAlex Kim: Yes, we can do that. You'll have it by the 24th.\n",
        REP,
    )
    (c,) = out.commitments
    assert c.owner == "Alex Kim"
    assert c.text == "Have the revised MSA over"
    assert resolve_due_phrase(c.due or "", WED) == date(2026, 11, 24)
    assert c.quote.startswith("Then can you have the revised MSA")


def test_a_refused_or_unanswered_request_is_nobodys_commitment() -> None:
    refused = _extract(
        "Natalie Fischer: Can you send the MSA by Friday?\nAlex Kim: Not by Friday, sorry.\n", REP
    )
    assert refused.commitments == []
    unanswered = _extract("Natalie Fischer: Can you send the MSA by Friday?\n", REP)
    assert unanswered.commitments == []


def test_an_answer_with_its_own_commitment_is_not_counted_twice() -> None:
    out = _extract(
        "Rosa Jimenez: Could you send me one?\n"
        "Alex Kim: Absolutely. You'll have a reference customer from me by the end of the week.\n",
        REP,
    )
    (c,) = out.commitments
    assert (c.owner, c.text) == ("Alex Kim", "Send a reference customer")
    assert resolve_due_phrase(c.due or "", WED) == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("line", "owner", "text", "due"),
    [
        (
            "Natalie Fischer: Separately, expect our redlines on the DPA by December 4th.",
            "Natalie Fischer",
            "Send our redlines on the DPA",
            date(2026, 12, 4),
        ),
        (
            "Derek Olsen: Let me check with our finance team and get back to you by the 14th.",
            "Derek Olsen",
            "Check with our finance team and get back to you",
            date(2026, 12, 14),
        ),
        (
            "Linda Brooks: We'll loop in Kevin Marsh, our IT lead, next week.",
            "Linda Brooks",
            "Loop in Kevin Marsh (IT lead)",
            date(2026, 11, 27),
        ),
        (
            "Alex Kim: Sure, I'll email both this afternoon.",
            "Alex Kim",
            "Email both",
            WED,
        ),
        (
            "Alex Kim: I'll send the recording and the slides to both of you after the call.",
            "Alex Kim",
            "Send the recording and the slides to both of you after the call",
            None,
        ),
    ],
)
def test_commitments_phrased_many_ways(line: str, owner: str, text: str, due: date | None) -> None:
    extra = "" if line.startswith("Alex Kim") else "Alex Kim: Thanks.\n"
    out = _extract(line + "\n" + extra, REP | {"Kevin Marsh": "customer"})
    (c,) = out.commitments
    assert (c.owner, c.text) == (owner, text)
    assert (resolve_due_phrase(c.due, WED) if c.due else None) == due


@pytest.mark.parametrize(
    "line",
    [
        "Tony Russo: If we ever did a pilot, I'd want to start with the north yard.",
        "Derek Olsen: If you added the blocked-bin code, I'd roll it out the same day.",
        "Victor Hale: I can't promise we'll sign this quarter, though.",
        "Chris Duffy: I won't be pushing for a re-evaluation this year.",
        "Oliver Grant: I'll be honest with you, I'm not a software guy.",
        "Alex Kim: Let me share my screen.",
        "Alex Kim: I'll make sure product hears that.",
    ],
)
def test_hypotheticals_negations_and_asides_are_not_commitments(line: str) -> None:
    assert _extract(line + "\n", REP).commitments == []


# --- insights -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Eight percent is hard to swallow this year.", "objection"),
        ("ShipSmart came in about fifteen percent under your number.", "objection"),
        ("Our legal team won't accept a cap at twelve months of fees.", "objection"),
        ("The pricing model is the problem.", "objection"),
        ("What matters is that it runs on the tablets the drivers already have.", None),
        ("We already use RouteMax for the east coast.", "objection"),
        ("I can't promise we'll sign this quarter, though.", "risk"),
        ("We have no idea which routes make money and which ones lose it.", "pain"),
        ("Paper tickets get lost in the cab, so invoices go out a week late.", "pain"),
        ("Sorry, I'm running late today.", None),
        ("We signed a contract with a regional grocery chain that starts in January.", "trigger"),
        ("Honestly no, turnover isn't a problem for us.", None),
    ],
)
def test_classify_sales_call_sentences(sentence: str, kind: str | None) -> None:
    assert classify(sentence) == kind


def test_each_trigger_sentence_is_its_own_item_and_a_rep_can_state_a_renewal() -> None:
    out = _extract(
        "Alex Kim: Your renewal is coming up on September 1, so I wanted to check in.\n"
        "Rosa Jimenez: We just acquired a craft distributor in Denver. And our new COO started "
        "in September and wants one routing system.\n",
        REP,
    )
    assert [t.speaker for t in out.triggers] == ["Alex Kim", "Rosa Jimenez", "Rosa Jimenez"]
    assert "acquired" in out.triggers[1].text and "new COO" in out.triggers[2].text


# --- competitors ----------------------------------------------------------------------------


def test_competitors_named_several_ways() -> None:
    out = _extract(
        "Derek Olsen: We've had a call from BinRoute, they're offering six months free.\n"
        "Emily Sandoval: Loadstar quoted us a seasonal plan.\n"
        "Patricia Gomez: We saw the Route Max demo in the fall.\n"
        "Alex Kim: Orbital Dispatch's pricing is per truck. Their quote was lower.\n",
        REP,
    )
    assert [m.name for m in out.competitors] == ["BinRoute", "Loadstar", "RouteMax"]
    assert out.competitors[2].quote == "We saw the Route Max demo in the fall."


def test_untracked_competitor_reaches_the_insights_and_crm_notes() -> None:
    gold = _gold("sc04")
    out = _analyze(gold)
    names = [h.tracker for h in out.competitors]
    assert names == ["BinRoute"]
    assert out.competitors[0].quote.speaker == "Derek Olsen"
    assert out.crm_notes["competitors"] == "BinRoute"


# --- the labelled set -----------------------------------------------------------------------


def _gold(call_id: str) -> dict[str, Any]:
    for line in (SALES_CALLS / "gold.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["call_id"] == call_id:
            return row
    raise KeyError(call_id)


def _analyze(gold: dict[str, Any]) -> MeetingInsights:
    return analyze_call(
        read_transcript(REPO / gold["path"]),
        call_id=gold["call_id"],
        call_date=date.fromisoformat(gold["call_date"]),
        rep_names=gold["rep_names"],
        customer_names=gold["customer_names"],
        policy=default_policy(),
        llm=LLM(None),
    )


def test_the_labelled_set_is_well_formed() -> None:
    golds = meeting_evals.load_gold(SALES_CALLS / "gold.jsonl")
    assert len(golds) >= 12
    assert {g["call_type"] for g in golds} == {
        "discovery",
        "demo",
        "negotiation",
        "renewal",
        "lost",
        "evaluation",
        "stalled follow-up",
    }
    assert {g["format"] for g in golds} == {"plain", "vtt", "json", "otter", "headed", "meet"}
    assert {g["split"] for g in golds} == {
        "tune",
        "heldout",
        "holdout2",
        "holdout3",
        "tune_spoken",
        "holdout4",
        "holdout5",
        "holdout6",
    }
    assert len([g for g in golds if g["split"] == "holdout2"]) >= 6
    assert len([g for g in golds if g["split"] == "holdout3"]) >= 8
    assert len([g for g in golds if g["split"] == "holdout4"]) >= 8
    assert len([g for g in golds if g["split"] == "holdout5"]) >= 8
    assert len([g for g in golds if g["split"] == "holdout6"]) >= 8
    for g in golds:
        transcript = read_transcript(REPO / g["path"])
        assert detect_format((REPO / g["path"]).read_text("utf-8")) == g["format"], g["call_id"]
        assert set(transcript.speakers) == {p["name"] for p in g["participants"]}
        squashed = " ".join(transcript.render().replace("’", "'").split())
        for field in ("pains", "objections", "triggers", "commitments"):
            for item in g[field]:
                assert item["evidence"] in squashed, (g["call_id"], item["evidence"])
        assert set(g["meddpicc"]) <= set(meeting_evals.SALES_FIELD_NAMES) | {
            "metrics",
            "economic_buyer",
            "decision_criteria",
            "decision_process",
            "paper_process",
            "identify_pain",
            "champion",
            "competition",
        }


def test_negotiation_call_commitments_and_due_dates() -> None:
    out = _analyze(_gold("sc03"))
    got = [(c.owner, c.due) for c in out.commitments]
    assert got == [
        ("Jordan Lee", date(2026, 11, 20)),
        ("Alex Kim", date(2026, 11, 24)),
        ("Natalie Fischer", date(2026, 12, 4)),
    ]
    assert all(c.quote.start is not None for c in out.commitments)
    assert [a.due for a in out.action_items] == sorted(d for _, d in got)


def test_scoring_counts_a_perfect_and_an_empty_prediction() -> None:
    gold = _gold("sc06")
    out = _analyze(gold)
    perfect = meeting_evals.score_sales_call(gold, out, set(gold["meddpicc"]))
    assert perfect["meddpicc"]["f1"] == 1.0
    empty = out.model_copy(
        update={"pains": [], "objections": [], "triggers": [], "commitments": [], "competitors": []}
    )
    scored = meeting_evals.score_sales_call(gold, empty, set())
    for field in ("pains", "objections", "commitments", "competitors", "meddpicc"):
        assert scored[field]["recall"] == 0.0 and scored[field]["tp"] == 0
