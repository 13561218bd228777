"""Decisions reached as a hedged proposal that another speaker accepts (no objection between)."""

from __future__ import annotations

import json

import pytest

from sales_operator.meetings.decisions import find_decisions, proposal_text
from sales_operator.meetings.extract import Sentence, sentences
from sales_operator.meetings.transcript import parse_transcript


def _units(lines: list[tuple[str, str]]) -> list[Sentence]:
    segs = [{"speaker": w, "text": text, "start": float(i)} for i, (w, text) in enumerate(lines)]
    transcript = parse_transcript(json.dumps(segs), name="m", format="json")
    return sentences(transcript, {})


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("So maybe we should go with the rubber case?", "go with the rubber case"),
        ("Um so maybe uh a sort of plastic with a latex sheath?", "plastic with a latex sheath"),
        ("I think we should drop the LCD screen to save money.", "drop the LCD screen"),
        ("How about a yellow case with the company logo?", "yellow case with the company logo"),
        ("Why don't we use two AA batteries", "use two AA batteries"),
        ("I'd go with the kinetic charger.", "kinetic charger"),
        ("My suggestion is that we keep the scroll wheel.", "keep the scroll wheel"),
        ("I think it would be a good idea to keep the curve.", "keep the curve"),
    ],
)
def test_hedged_proposals_in_varied_phrasing(sentence: str, words: str) -> None:
    assert words.lower() in proposal_text(sentence).lower()


@pytest.mark.parametrize(
    "sentence",
    [
        "Maybe we should move on to the next slide.",  # meeting process
        "How about a quick break?",
        "If we had more money, maybe we could use a titanium frame.",  # hypothetical
        "Maybe it's too expensive anyway.",  # an opinion, not a proposal
        "We could have used a better chip.",  # past
        "I don't think we should go with rubber.",  # negated
        "Maybe we should think about the colour.",  # a task, not a choice
    ],
)
def test_not_proposals(sentence: str) -> None:
    assert proposal_text(sentence) == ""


def test_a_proposal_accepted_by_another_speaker_is_a_decision() -> None:
    units = _units(
        [
            ("Anna", "The rubber feels nicer. So maybe we should go with the rubber case?"),
            ("Ben", "Sounds good to me."),
            ("Cleo", "Now the buttons."),
        ]
    )
    (decision,) = find_decisions(units)
    assert "rubber case" in decision.text
    assert decision.speaker == "Anna"
    assert decision.quote.startswith("So maybe we should go with")


def test_a_bare_yeah_takes_up_the_proposal_or_needs_two_speakers() -> None:
    proposal = ("Anna", "Maybe a sort of plastic case with a latex sheath?")
    uptake = _units([proposal, ("Ben", "Okay so, a plastic, latex one.")])
    assert len(find_decisions(uptake)) == 1
    backchannel = _units([proposal, ("Ben", "Yeah."), ("Anna", "And the colour is...")])
    assert find_decisions(backchannel) == []
    two_nods = _units([proposal, ("Ben", "Yeah."), ("Cleo", "Yep, okay.")])
    assert len(find_decisions(two_nods)) == 1


@pytest.mark.parametrize(
    "reply",
    [
        "Yeah, but that's too expensive.",
        "No, I don't think so.",
        "What about a wooden case instead?",
    ],
)
def test_an_objection_before_agreement_blocks_the_decision(reply: str) -> None:
    units = _units(
        [
            ("Anna", "How about a rubber case with a soft grip?"),
            ("Ben", reply),
            ("Cleo", "Sounds good."),
        ]
    )
    assert all("rubber" not in d.text for d in find_decisions(units))


def test_the_proposer_agreeing_with_themself_is_not_agreement() -> None:
    units = _units(
        [
            ("Anna", "How about a rubber case with a soft grip?"),
            ("Anna", "Yeah, sounds good."),
        ]
    )
    assert find_decisions(units) == []


def test_a_proposal_early_in_a_long_turn_is_not_what_the_reply_accepts() -> None:
    units = _units(
        [
            (
                "Anna",
                "How about a rubber case with a soft grip? Then the logo goes on the back. "
                "The battery sits in the middle. And the screen is small.",
            ),
            ("Ben", "Sounds good."),
        ]
    )
    assert find_decisions(units) == []
