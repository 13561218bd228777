"""Competitors said by product, spelled apart or in lower case, and with verbs of use,
evaluation or replacement beyond the first cue list (issue 9, round 6). Sentences written
for these tests, not taken from the eval banks."""

from __future__ import annotations

import pytest

from sales_operator.errors import PolicyError
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.meetings.vendors import Vendor, folded_mentions, lexicon
from sales_operator.policy import Policy
from sales_operator.state import MeetingInsights
from tests.unit.test_meeting_vendors import DAY, _policy  # the seller "Tallyhand"

NO_LIST = _policy(competitors=[])
LISTED = _policy(competitors=["FleetPilot"])


def _analyze(line: str, policy: Policy = NO_LIST) -> MeetingInsights:
    text = f"Ana Ruiz: Where are you today?\nBo Park: {line}\n"
    transcript = parse_transcript(text)
    people = {"rep_names": {"Ana Ruiz"}, "customer_names": {"Bo Park"}}
    return analyze_call(
        transcript,
        call_id="v",
        call_date=DAY,
        policy=policy,
        llm=LLM(None),
        account_names=["Lumen Analytics"],
        **people,  # type: ignore[arg-type]
    )


def _names(line: str, policy: Policy = NO_LIST) -> set[str]:
    return {h.tracker for h in _analyze(line, policy).competitors}


@pytest.mark.parametrize(
    ("line", "vendor"),
    [
        # spelled apart by speech-to-text, in a verb frame
        ("honestly we migrated off sales force two years back", "Salesforce"),
        ("we're still paying for pipe drive, sadly", "Pipedrive"),
        ("we tried sales loft for about a month", "Salesloft"),
        # an everyday word in lower case, in a frame of use or replacement
        ("we're replacing outreach when the contract ends", "Outreach"),
        ("most of the team use fire flies to record calls", "Fireflies"),
        # a product named without its vendor
        ("the Marketing Hub invoice is the biggest line we have", "HubSpot"),
        ("we moved off Sugar Sell last winter", "SugarCRM"),
        ("our ops lead set up Pardot years ago", "Salesforce"),
        ("we run the whole pipeline on Dynamics", "Microsoft Dynamics"),
    ],
)
def test_products_split_and_lower_case_names_in_a_frame(line: str, vendor: str) -> None:
    assert vendor in _names(line)


@pytest.mark.parametrize(
    "line",
    [
        "our sales force here is twelve people across two states",
        "we need better outreach to the clinics",
        "the team dynamics are good, no complaints",
        "The Dynamics of the market changed after the merger.",
        "we pay for everything by card",
        "we run payroll on Fridays",
        "we ran it through Chrome and it was fine",
        "it syncs with sales force, right?",
        "we're using Tallyhand Revenue on a trial already",
        "we tried Lumen Analytics' own tool first",
    ],
)
def test_everyday_words_integrations_ours_and_theirs_are_not_vendors(line: str) -> None:
    assert _names(line) == set()


@pytest.mark.parametrize(
    ("line", "vendor"),
    [
        ("we ditched Workwave last spring", "Workwave"),
        ("We pay Teletrac about forty a truck.", "Teletrac"),
        ("we run dispatch through Trimble today", "Trimble"),
        ("we're renewing with Geotab unless this works out", "Geotab"),
        ("we demoed Onfleet in June", "Onfleet"),
    ],
)
def test_unlisted_vendors_by_more_verbs_of_use_and_replacement(line: str, vendor: str) -> None:
    assert vendor in _names(line, LISTED)


def test_a_folded_mention_keeps_speaker_side_confidence_and_how_it_was_found() -> None:
    (mention,) = _analyze("we've been running sales force for six years").competitors
    assert mention.tracker == "Salesforce"
    assert mention.quote.speaker == "Bo Park"
    assert mention.side == "customer"
    assert mention.confidence is not None and mention.confidence >= 0.9
    assert mention.matched_by == "lexicon+context:folded"


def test_folding_is_generic_over_any_lexicon_entry() -> None:
    vendors = [Vendor(name="Kestrelpay", aliases=("Kestrel Payroll",))]
    hits = folded_mentions("we switched to kestrel pay last year", vendors)
    assert [(v.name, s, e) for v, s, e in hits] == [("Kestrelpay", 15, 26)]
    assert folded_mentions("a kestrel pay rise", vendors) == []  # no verb frame
    assert folded_mentions("we switched to kestrel pay", []) == []


def test_common_aliases_come_from_the_lexicon_data() -> None:
    dynamics = next(v for v in lexicon(["crm"]) if v.name == "Microsoft Dynamics")
    assert ("Dynamics", True) in dynamics.spellings()
    assert ("Dynamics 365", False) in dynamics.spellings()


def test_a_policy_vendor_brings_its_products_and_spellings() -> None:
    policy = _policy(
        competitors=[],
        competitor_detection={
            "vendors": ["Brightvault", {"name": "Kestrel", "aliases": ["Kestrel Payroll Cloud"]}]
        },
    )
    assert "Kestrel" in _names("we pay for Kestrel Payroll Cloud per head", policy)
    assert "Kestrel" in _names("honestly we've been running kestrel pay roll cloud", policy)
    assert "Brightvault" in _names("we're on Brightvault for the backups", policy)


def test_a_tracked_competitor_brings_its_products_from_any_category() -> None:
    tracked = _policy(competitors=["ADP"])
    assert _names("we're on Workforce Now for the whole group", tracked) == {"ADP"}
    off = _policy(competitors=["ADP"], competitor_detection={"lexicon": "off"})
    assert "ADP" not in _names("the Workforce Now renewal is in May", off)


def test_other_categories_only_on_request() -> None:
    line = "the Veeam licences cost us a fortune"
    assert _names(line) == {"Veeam"}  # a buying frame ("licences") finds it by context
    assert _names("Veeam is in the rack next to the switch") == set()
    backup = _policy(competitors=[], competitor_detection={"categories": ["data_protection"]})
    assert _names("Veeam is in the rack next to the switch", backup) == {"Veeam"}


def test_an_unknown_lexicon_category_is_a_policy_error() -> None:
    policy = _policy(competitors=[], competitor_detection={"categories": ["payrol"]})
    with pytest.raises(PolicyError, match="payrol"):
        _analyze("we use Gusto", policy)
