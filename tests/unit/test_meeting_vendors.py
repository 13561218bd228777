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


# --- round 8: more ways of naming a vendor, and more things that are not one -----------------

ROUND8_CONTEXTS = [
    ("We benchmarked the new reports against Quillstone last month.", "Quillstone"),
    ("Our agreement with Tessaline ends in June, so timing works.", "Tessaline"),
    ("The incumbent is Brackwater and nobody loves them.", "Brackwater"),
    ("Marrowgate is the incumbent at the moment.", "Marrowgate"),
    ("Voltrana is giving us a discount if we sign this quarter.", "Voltrana"),
    ("Pennywhistle did a demo for the leadership team on Monday.", "Pennywhistle"),
    ("Halvard keeps emailing me about a trial.", "Halvard"),
    ("Dunmore is also in the mix, to be fair.", "Dunmore"),
    ("Honestly we want a Corvidian-style dashboard for the managers.", "Corvidian"),
    ("We started a pilot with 4Sight in the spring.", "4Sight"),
    ("Before I joined they had Rotaplan at the head office.", "Rotaplan"),
    ("Fenwright got ditched after about a month.", "Fenwright"),
    ("We shortlisted Quillory and one other.", "Quillory"),
]


@pytest.mark.parametrize(("sentence", "name"), ROUND8_CONTEXTS)
def test_round8_contexts_find_unlisted_vendors(sentence: str, name: str) -> None:
    insights = _analyze(f"Bo Park: {sentence}\n", _policy(competitors=[]))
    assert _names(insights) == {name}, sentence
    (hit,) = insights.competitors
    assert hit.side == "customer" and hit.quote.speaker == "Bo Park"
    assert hit.confidence is not None and 0.5 <= hit.confidence <= 1.0


ROUND8_NOT_VENDORS = [
    # the customer's own customers and suppliers, under a buying noun
    "Our biggest account is the Greggs contract, about a fifth of turnover.",
    "We've just won a contract with Sainsbury to supply forty stores.",
    # places and teams, under a people noun or a contract
    "The Leeds guys are our best billers.",
    "Honestly the Halifax contract is the one that keeps me up at night.",
    # technologies and everyday products in a usage frame
    "We could use Bluetooth instead of infrared for the remote.",
    "I was used to use Linux before, so that was fine.",
    # a capitalised word at the start of a sentence, and another name that starts like a
    # lexicon vendor ("Apollo")
    "Frankly, we use paper for most of it.",
    "We supply to Apollo Hospitals under a three-year contract.",
]


@pytest.mark.parametrize("sentence", ROUND8_NOT_VENDORS)
def test_round8_not_vendors(sentence: str) -> None:
    assert _names(_analyze(f"Bo Park: {sentence}\n", _policy(competitors=[]))) == set()


def test_a_person_addressed_on_the_call_is_not_a_vendor() -> None:
    text = "\n".join(
        [
            "Ana Ruiz: Then we start with a presentation from Raj.",
            "Bo Park: Thanks, Raj, that was useful.",
            "Cy Dunn: Raj, could you send the slides round?",
            "Cy Dunn: The guys from Plannerly said six weeks, and Sorry, Deputy quoted us.",
        ]
    )
    # Raj is someone; a vendor that "said" something, or follows "Sorry,", is still one
    assert _names(_analyze(text, _policy(competitors=[]))) == {"Plannerly", "Deputy"}
    # the same context with no sign of a person: a vendor
    alone = "Ana Ruiz: Then we start with a presentation from Rajware.\n"
    assert _names(_analyze(alone, _policy(competitors=[]))) == {"Rajware"}


def test_a_short_first_name_addressed_on_the_call_is_a_person() -> None:
    # "Steph" is in no census list; being addressed at the end of a sentence says who it is
    text = "\n".join(
        [
            "Ana Ruiz: Why don't you go next, Steph.",
            "Bo Park: Steph has given us a demo of the new remote.",
            "Cy Dunn: And then Steph did a second presentation on the buttons.",
        ]
    )
    assert _names(_analyze(text, _policy(competitors=[]))) == set()
    # a vendor that gives a demo is still one
    vendor = "Bo Park: Stephenson Labs has given us a demo of the new remote.\n"
    assert _names(_analyze(vendor, _policy(competitors=[]))) == {"Stephenson Labs"}


def test_a_listed_competitors_category_is_the_sellers_market() -> None:
    """Listing DocuSign makes the e-signature category the market: its vendors need a
    context cue, and other categories' vendors are not matched by the lexicon at all."""
    policy = _policy(competitors=["DocuSign"])
    text = "\n".join(
        [
            "Bo Park: The agents tried HelloSign for a while.",
            "Bo Park: Our contract with Adobe Sign runs out in May.",
            "Bo Park: PandaDoc is great, everyone says so.",
            "Cy Dunn: Salesforce is our CRM and Datadog watches the servers.",
        ]
    )
    names = _names(_analyze(text, policy))
    assert names == {"Dropbox Sign", "Adobe Sign"}  # HelloSign is Dropbox Sign's product
    assert {v.category for v in lexicon(["surveys", "cpq"])} == {"surveys", "cpq"}


def test_policy_extends_the_lexicon_with_a_new_category_vendor() -> None:
    policy = _policy(
        competitors=[],
        competitor_detection={
            "categories": ["observability"],
            "vendors": [{"name": "Tracewise", "aliases": ["Tracewise APM"]}],
        },
    )
    text = "Bo Park: We're on Tracewise APM today and New Relic quoted us too.\n"
    assert _names(_analyze(text, policy)) == {"Tracewise", "New Relic"}


def test_lexicon_categories_are_real_and_checked() -> None:
    every = lexicon(
        ["e_signature", "procurement", "observability", "help_desk", "cpq", "data_warehouse"]
    )
    assert len(every) >= 60 and all(v.name.strip() for v in every)
    with pytest.raises(PolicyError, match="unknown vendor lexicon categories"):
        lexicon(["point_of_sale"])


def test_lower_case_lexicon_words_in_a_buying_frame() -> None:
    """Speech-to-text in lower case: a lexicon name that is an everyday word counts only in
    a frame (a contract with, came in cheaper, benchmarked against), never as the word."""
    text = "\n".join(
        [
            "Ana Ruiz: so how do you review calls today",
            "Bo Park: honestly our contract with fathom ends in may",
            "Bo Park: and grain came in cheaper than the rest of them",
            "Cy Dunn: we also benchmarked against momentum for a week",
            "Cy Dunn: the momentum in the team is good though",
            "Ana Ruiz: okay thanks both",
        ]
    )
    hits = _analyze(text, _policy(competitors=[])).competitors
    assert {h.tracker for h in hits} == {"Fathom", "Grain", "Momentum"}
    assert not any("in the team" in h.quote.text for h in hits)
