"""Competitors named with other phrasings (issue 9, round 7): past tools, offers and
approaches said with other verbs, "the X guys", possessives with a product noun,
comparisons; never a person, a kept system, or a team. Sentences written for these tests,
not taken from the eval banks or the held-out calls."""

from __future__ import annotations

import pytest

from sales_operator.meetings.vendors import _person
from tests.unit.test_meeting_vendors import _policy
from tests.unit.test_vendor_frames import LISTED, _analyze, _names

FOUND = [
    ("We used to be on Kwikroute, years ago.", "Kwikroute"),
    ("They used to use Plannerly for the rota.", "Plannerly"),
    ("We started out with Vanvoyage when we had one truck.", "Vanvoyage"),
    ("Back when we had Dropwise, the app crashed daily.", "Dropwise"),
    ("We had Fleetnest until the spring.", "Fleetnest"),
    ("Routewell was our previous provider.", "Routewell"),
    ("Kwikroute made us an offer we nearly took.", "Kwikroute"),
    ("Plannerly sent over a proposal this morning.", "Plannerly"),
    ("Vanvoyage reached out after the expo.", "Vanvoyage"),
    ("Dropwise have been calling our CFO every week.", "Dropwise"),
    ("Fleetnest came in and gave us a demo on Monday.", "Fleetnest"),
    ("We ran a proof of concept with Routewell in March.", "Routewell"),
    ("We've got a call with Kwikroute tomorrow.", "Kwikroute"),
    ("The guys from Plannerly said six weeks.", "Plannerly"),
    ("The Vanvoyage folks seemed keen.", "Vanvoyage"),
    ("Dropwise's mobile app is what the drivers know.", "Dropwise"),
    ("Fleetnest's invoice doubled this year.", "Fleetnest"),
    ("How are you different from Routewell?", "Routewell"),
    ("It's cheaper than Kwikroute, at least.", "Kwikroute"),
    ("That's roughly what Plannerly does too.", "Plannerly"),
]


@pytest.mark.parametrize(("sentence", "vendor"), FOUND)
def test_other_phrasings_name_a_vendor_under_a_list(sentence: str, vendor: str) -> None:
    assert _names(sentence, LISTED) == {vendor}


NOT_FOUND = [
    "Mark reached out to us after the expo.",  # a person
    "We've got a call with Susan tomorrow.",  # a person
    "Jennifer Walsh has been calling our CFO.",  # a person, first name and surname
    "Priya's team plans the routes.",  # a possessive team, not a product
    "Most people here would agree.",  # a capitalised first word
    "Sorry guys, the link broke.",
    "We used to be on paper forms.",  # lower case: no name
    "We had three vans until the spring.",
    "Xerafin stays for the accounting, nobody touches that.",  # a system they keep
    "We'll keep Ledgerly for payroll either way, so you'd sync with it.",
]


@pytest.mark.parametrize("sentence", NOT_FOUND)
def test_people_kept_systems_and_teams_are_not_vendors(sentence: str) -> None:
    assert _names(sentence, LISTED) == set()


def test_a_kept_system_is_still_a_competitor_when_it_is_also_evaluated() -> None:
    text = "We're currently on Ledgerly and it stays for now, but Ledgerly quoted us a renewal."
    assert _names(text, LISTED) == {"Ledgerly"}


def test_census_names_tell_people_from_vendors() -> None:
    assert _person("Mark", {}, {})
    assert _person("Jennifer Walsh", {}, {})
    assert not _person("Kwikroute", {}, {})
    assert not _person("Wise Systems", {}, {})
    assert _person("Paul Smith", {}, {})
    assert not _person("Sage", {"sage": "Sage"}, {})  # a lexicon name is never a person


ARIBA_SELLER = _policy(competitors=["SAP Ariba", "SAP Concur", "Oracle NetSuite"])


def test_a_listed_name_said_without_its_parent_vendor() -> None:
    hits = _analyze("We do the sourcing events in Ariba today.", ARIBA_SELLER).competitors
    assert [(h.tracker, h.matched_by) for h in hits] == [("SAP Ariba", "policy:product")]
    assert _names("We looked at NetSuite's pricing.", ARIBA_SELLER) == {"Oracle NetSuite"}
    # the rest alone counts only as written: "I concur" is not SAP Concur
    assert _names("I concur, that was painful.", ARIBA_SELLER) == set()
    # a parent that is not a vendor keeps the whole name ("Blue Harbor" is not "Harbor")
    assert _names("We like Harbor a lot.", _policy(competitors=["Blue Harbor"])) == set()


@pytest.mark.parametrize(
    "sentence",
    [
        "We're never going to move off Ledgerly, it runs the whole plant.",
        "We are not replacing Xerafin, it just has to sync.",
        "Honestly we won't switch from Ledgerly in my lifetime.",
    ],
)
def test_a_system_they_will_not_leave_is_kept(sentence: str) -> None:
    assert _names(sentence, LISTED) == set()


def test_leaving_said_plainly_still_counts() -> None:
    assert _names("We're moving off Ledgerly next year.", LISTED) == {"Ledgerly"}
    assert _names("We're not happy, so we're replacing Ledgerly.", LISTED) == {"Ledgerly"}


def test_lower_case_call_past_tool_said_twice() -> None:
    from datetime import date

    from sales_operator.llm import LLM
    from sales_operator.meetings.analyze import analyze_call
    from sales_operator.meetings.transcript import parse_transcript

    lines = [
        "ana ruiz: so how did you plan before",
        "bo park: we used to be on kwikroute for about two years",
        "ana ruiz: and why did you stop",
        "bo park: we had a call with kwikroute about the price and it went nowhere",
        "ana ruiz: ok understood",
        "bo park: yes and we used to be on paper before that",
    ]
    insights = analyze_call(
        parse_transcript("\n".join(lines) + "\n"),
        call_id="v",
        call_date=date(2026, 10, 13),
        rep_names={"ana ruiz"},
        customer_names={"bo park"},
        policy=LISTED,
        llm=LLM(None),
    )
    assert {h.tracker for h in insights.competitors} == {"Kwikroute"}
