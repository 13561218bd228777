"""Competitors found without a policy list: context cues, the vendor lexicon, exclusions."""

from __future__ import annotations

from datetime import date

import pytest

from sales_operator.errors import PolicyError
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.meetings.vendors import lexicon
from sales_operator.policy import Policy, default_policy, parse_policy
from sales_operator.state import MeetingInsights

DAY = date(2026, 10, 13)


def _policy(**meetings: object) -> Policy:
    base = default_policy().model_dump()
    base["company"].update(name="Tallyhand", product="Tallyhand Revenue")
    base["meetings"].update(meetings)
    return parse_policy(base)


def _analyze(text: str, policy: Policy, **kwargs: object) -> MeetingInsights:
    return analyze_call(
        parse_transcript(text),
        call_id="v",
        call_date=DAY,
        rep_names={"Ana Ruiz"},
        customer_names={"Bo Park", "Cy Dunn"},
        policy=policy,
        llm=LLM(None),
        **kwargs,  # type: ignore[arg-type]
    )


def _names(insights: MeetingInsights) -> set[str]:
    return {h.tracker for h in insights.competitors}


NO_LIST = """Ana Ruiz: How do you run pipeline reviews today?
Bo Park: We're currently on HubSpot and every note gets written back into HubSpot by hand.
Bo Park: We piloted Chorus last year, and our CFO wants us to go to Salesforce and use Einstein.
Cy Dunn: Also, um, Sales Loft has quoted us for sequences, and we're replacing Outreach in March.
Cy Dunn: Our outreach to new customers is weak, and the chorus of complaints is loud.
Bo Park: We use QuickBooks for billing. Here at Lumen Analytics we keep it simple.
Ana Ruiz: Tallyhand compares well, and Bo Park evaluated Lumen Analytics' needs already.
"""


def test_no_list_uses_the_lexicon_and_context() -> None:
    insights = _analyze(NO_LIST, _policy(competitors=[]))
    names = _names(insights)
    # aliases and speech-to-text spellings reported under the vendor's name
    assert {"Chorus", "Salesforce", "Salesloft", "Outreach"} <= names
    assert "Einstein" not in names and "Sales Loft" not in names
    # a system only integrated with, an accounting tool, ours, the customer's: never
    assert not names & {"HubSpot", "QuickBooks", "Tallyhand", "Lumen Analytics", "Bo Park"}
    by_name = {h.tracker: h for h in insights.competitors}
    assert by_name["Salesloft"].quote.speaker == "Cy Dunn"
    assert by_name["Salesloft"].side == "customer"
    assert by_name["Salesloft"].confidence is not None and by_name["Salesloft"].confidence > 0.5
    assert by_name["Salesloft"].matched_by == "lexicon+context"
    # the everyday words "outreach" and "chorus" in lower case do not fire
    assert not any("complaints" in h.quote.text for h in insights.competitors)


def test_a_policy_list_turns_the_lexicon_off_unless_asked() -> None:
    listed = _analyze(NO_LIST, _policy(competitors=["Gong"]))
    assert "Salesforce" not in _names(listed)  # lexicon only, no buying verb on it
    assert "Chorus" in _names(listed)  # "piloted Chorus": context, no lexicon needed
    forced = _analyze(
        NO_LIST,
        _policy(
            competitors=["Gong"],
            competitor_detection={"lexicon": "on", "not_competitors": ["Chorus"]},
        ),
    )
    assert "Salesforce" in _names(forced)
    assert "Chorus" not in _names(forced)


def test_account_names_and_categories() -> None:
    text = "Bo Park: We compared Acme Cloud with Pipedrive, and Gong quoted us.\n"
    insights = _analyze(
        text,
        _policy(competitors=[], competitor_detection={"categories": ["crm"]}),
        account_names=["Acme Cloud"],
    )
    assert _names(insights) == {"Pipedrive", "Gong"}  # Gong by its context, not the lexicon
    assert {v.category for v in lexicon(["crm"])} == {"crm"}


CONTEXTS = [
    "We have made a pilot with, uh, Routific last spring.",
    "Paragon have also sent us an offer.",
    "We went back to WorkWave and they sharpened their pencil.",
    "We had a trial of Circuit for two weeks.",
    "I'm building the routes in Roadnet, which, you know, we've been on forever.",
    "We're talking to LinenLogix too, and their quote was lower.",
    "We've been on Descartes for six years and want to move off Descartes.",
    "We compared you with Onfleet.",
]


@pytest.mark.parametrize("sentence", CONTEXTS)
def test_vendor_contexts_without_a_list(sentence: str) -> None:
    insights = _analyze(f"Bo Park: {sentence}\n", default_policy())
    assert len(_names(insights)) == 1, sentence


NOT_VENDORS = [
    "Orders come in from our TMS overnight.",
    "If we ever did a pilot, I'd want to start with the north yard.",
    "We won the Northside Health contract, which starts in February.",
    "We use Excel and Google Sheets for planning.",
    "I'll talk to Mark about it next week.",
]


@pytest.mark.parametrize("sentence", NOT_VENDORS)
def test_not_vendors(sentence: str) -> None:
    assert _names(_analyze(f"Bo Park: {sentence}\n", default_policy())) == set()


def test_lower_case_speech_to_text() -> None:
    text = "\n".join(
        [
            "Ana Ruiz: so how is the fleet doing these days",
            "Bo Park: we are switching to samsara for telematics in july",
            "Bo Park: and samsara is also pitching their own routing add on",
            "Ana Ruiz: got it that is good to know",
            "Cy Dunn: the drivers like the app a lot",
            "Ana Ruiz: okay thanks both",
        ]
    )
    hits = _analyze(text, default_policy()).competitors
    assert {h.tracker for h in hits} == {"Samsara"}
    assert all(h.matched_by == "lower-case" for h in hits)


def test_competitor_detection_policy_is_validated() -> None:
    with pytest.raises(PolicyError):
        _policy(competitor_detection={"lexicon": "sometimes"})
