"""`competitor_detection.lexicon: auto` with a competitor list (issue 9, round 7): the
listed competitors' lexicon categories are the seller's market, and their vendors count only
with a context cue, at a lower confidence. Sentences written for these tests."""

from __future__ import annotations

from sales_operator.meetings.vendors import LEXICON_FRAMED, vendor_lexicon
from tests.unit.test_meeting_vendors import _policy
from tests.unit.test_vendor_frames import _analyze, _names

GONG_SELLER = _policy(competitors=["Gong"])  # conversation intelligence


def test_a_listed_competitor_brings_its_category_framed() -> None:
    # Jiminny (conversation intelligence, like Gong) is not listed
    found = _analyze("We've been using jiminny for note taking since May.", GONG_SELLER)
    (hit,) = [h for h in found.competitors if h.tracker == "Jiminny"]
    assert hit.confidence == LEXICON_FRAMED
    assert hit.matched_by == "lexicon+context"
    # the same vendor said with no context cue is not a competitor under a list
    bare = "Jiminny joins every meeting, which is fine."
    assert _names(bare, GONG_SELLER) == set()
    # ...but is one with no list (the whole lexicon, as before)
    assert "Jiminny" in _names(bare, _policy(competitors=[]))


def test_other_categories_stay_off_under_a_list() -> None:
    # HubSpot is a CRM: for a conversation-intelligence seller it is a system, not a rival
    assert "HubSpot" not in _names("We're currently on Hub Spot for the CRM.", GONG_SELLER)
    # a list of names the lexicon does not know gives it no market: no lexicon at all
    assert vendor_lexicon(_policy(competitors=["FleetPilot"])) == []
    # an explicit category list is used, framed
    routing = vendor_lexicon(
        _policy(competitors=["FleetPilot"], competitor_detection={"categories": ["crm"]})
    )
    assert routing and all(v.framed and v.category == "crm" for v in routing)
    assert "HubSpot" in _names(
        "We're currently on Hub Spot for the CRM.",
        _policy(competitors=["FleetPilot"], competitor_detection={"categories": ["crm"]}),
    )


def test_on_and_off_keep_their_meaning_with_a_list() -> None:
    on = vendor_lexicon(_policy(competitors=["FleetPilot"], competitor_detection={"lexicon": "on"}))
    assert on and not any(v.framed for v in on)
    off = vendor_lexicon(_policy(competitors=["Gong"], competitor_detection={"lexicon": "off"}))
    assert off == []
