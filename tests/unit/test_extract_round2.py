"""Offline extraction rules added in round 2: negations, hypotheticals, triggers, vendors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sales_operator.meetings.dates import resolve_due_phrase
from sales_operator.meetings.extract import classify, extract_offline
from sales_operator.meetings.transcript import parse_transcript

WED = date(2026, 9, 30)
REP = {"Alex Kim": "rep"}


def _extract(text: str, call_date: date = WED) -> Any:
    transcript = parse_transcript(text)
    sides = {s: REP.get(s, "customer") for s in transcript.speakers}
    return extract_offline(
        transcript,
        call_date=call_date,
        sides=sides,
        rep_names=["Alex Kim"],
        customer_names=[s for s in transcript.speakers if s not in REP],
        own_names=("Orbital Freight", "Orbital Dispatch"),
        competitors=("FleetPilot", "RouteMax", "ShipSmart"),
    )


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # negations and hypotheticals
        ("I wouldn't say onboarding has been an issue at all, the team picked it up fast.", None),
        ("The drivers aren't the problem, they're great.", None),
        ("If FleetPilot misses the go-live, maybe we'd come back to you.", None),
        ("If the trial goes well, we'd probably roll it out to every depot.", None),
        ("Not really, you were in the same range, so price was not a factor.", None),
        # pains phrased without the old cues
        ("Our first-time fix rate is stuck at seventy percent.", "pain"),
        ("Our techs get double-booked two or three times a week.", "pain"),
        ("When a job runs long, the next three jobs slide.", "pain"),
        ("Our trucks come back empty from Pittsburgh almost every time.", "pain"),
        # objections about the product, nervousness
        ("Your product doesn't track parts on the van at all.", "objection"),
        ("Our IT department is nervous about anything in the cloud.", "objection"),
        # events outrank a pain cue in the same sentence
        ("We're opening a second location in June, and I can't run two whiteboards.", "trigger"),
        ("We just took on three more districts, so the routing job doubles.", "trigger"),
        ("The council approved a smart-city budget in January.", "trigger"),
        ("Our largest customer now requires live temperature data from April 1.", "trigger"),
        ("We can't sign multi-year software without going through procurement.", "risk"),
    ],
)
def test_round2_classification(sentence: str, kind: str | None) -> None:
    assert classify(sentence) == kind


def test_a_trigger_sentence_with_two_events_gives_two_triggers() -> None:
    out = _extract(
        "Patricia Gomez: The council approved a smart-city budget in January, and our new public "
        "works director, Harold Finch, wants the winter program first.\n"
        "Alex Kim: Thanks.\n"
    )
    assert [t.quote for t in out.triggers] == [
        "The council approved a smart-city budget in January",
        "our new public works director, Harold Finch, wants the winter program first.",
    ]


def test_a_pain_said_with_a_pronoun_quotes_the_sentence_it_refers_to() -> None:
    out = _extract(
        "Jasmine Reed: And our drivers are juggling two apps for every stop. "
        "They hate it, and it slows every stop.\n"
        "Alex Kim: Understood.\n"
    )
    (pain,) = out.pains
    assert pain.text == "Our drivers are juggling two apps for every stop."
    assert pain.quote.endswith("They hate it, and it slows every stop.")


def test_competitors_named_by_use_possessive_or_lower_case() -> None:
    out = _extract(
        "Oliver Grant: My cousin's moving company uses DispatchHub and hates it.\n"
        "Carl Jensen: We didn't go with routemax either, too generic for us.\n"
        "Nina Patel: We use Excel for the depots and Google Maps for the drivers.\n"
        "Victor Hale: The price is still higher than PartsRunner's quote.\n"
        "Alex Kim: Thanks.\n"
    )
    assert sorted(m.name for m in out.competitors) == ["DispatchHub", "PartsRunner", "RouteMax"]
    # a pain of somebody else's company, said about a vendor, is not the customer's pain
    assert all("DispatchHub" not in p.quote for p in out.pains)


def test_progressive_send_with_a_due_phrase_is_a_commitment() -> None:
    out = _extract(
        "Alex Kim: I'm sending you the case study from Lakeside District right after this call.\n"
        "Daniel Moore: Great.\n"
    )
    (c,) = out.commitments
    assert (c.owner, c.text) == ("Alex Kim", "Send the case study from Lakeside District")
    assert resolve_due_phrase(c.due or "", WED) == WED
    # without a date, "we're sending" is a description, not a promise
    assert (
        _extract("Daniel Moore: We're sending most of our freight by rail now.\n").commitments == []
    )
