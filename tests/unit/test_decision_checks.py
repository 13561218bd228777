"""Decisions put to the group (consensus checks, conditional consent), round 5."""

from __future__ import annotations

import json

import pytest

from sales_operator.meetings.decisions import (
    checked_statements,
    decision_text,
    find_decisions,
    is_decision,
)
from sales_operator.meetings.extract import Sentence, sentences
from sales_operator.meetings.transcript import parse_transcript


def _units(lines: list[tuple[str, str]]) -> list[Sentence]:
    segs = [{"speaker": w, "text": text, "start": float(i)} for i, (w, text) in enumerate(lines)]
    return sentences(parse_transcript(json.dumps(segs), name="m", format="json"), {})


@pytest.mark.parametrize(
    "check",
    [
        "Does anybody disagree with that?",
        "Uh, is everyone happy with that?",
        "Any objections?",
        "Everybody okay with that?",
        "Are we all agreed?",
        "Anyone against?",
    ],
)
def test_a_statement_put_to_the_group_is_a_decision(check: str) -> None:
    units = _units(
        [
            ("PM", f"So the case will be made of recycled plastic in dark blue. {check}"),
            ("ID", "No, fine by me."),
            ("UI", "Mm-hmm."),
        ]
    )
    found = find_decisions(units)
    assert [d.quote for d in found] == [
        "So the case will be made of recycled plastic in dark blue."
    ]
    assert "recycled plastic in dark blue" in found[0].text


def test_a_dissent_after_the_check_voids_it() -> None:
    units = _units(
        [
            ("PM", "So the case will be made of recycled plastic in dark blue. Any objections?"),
            ("ID", "Actually I'd rather keep the rubber one, it's cheaper."),
        ]
    )
    assert checked_statements(units) == []
    assert find_decisions(units) == []


@pytest.mark.parametrize(
    "lines",
    [
        # meeting process and questions are not put to a vote here
        [("PM", "Let's move on to the next presentation. Everybody okay with that?")],
        [("PM", "Should the case be blue or green? Does anybody disagree?")],
        [("PM", "Okay. Any objections?")],  # nothing stated before the check
    ],
)
def test_checks_that_carry_no_decision(lines: list[tuple[str, str]]) -> None:
    assert checked_statements(_units(lines)) == []


def test_a_consensus_check_alone_is_not_a_disagreement_nor_a_decision() -> None:
    assert is_decision("Does anybody disagree with that?") is None
    units = _units([("PM", "I would say no need for a talk-back. Does anybody disagree?")])
    assert [d.text for d in find_decisions(units)] == ["no need for a talk-back"]
    assert is_decision("I disagree, we need the talk-back.") is None


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("Unless we hear otherwise, we could go ahead with the solar cells.", "solar cells"),
        ("Unless anybody objects, let's use the rubber case.", "rubber case"),
        ("Unless there are any objections we'll stick with the curved design.", "curved design"),
        ("So maybe we can state that the single curve still allows articulation.", "single curve"),
    ],
)
def test_conditional_consent_and_stated_conclusions(sentence: str, words: str) -> None:
    assert is_decision(sentence) is not None
    assert words in decision_text(sentence)


def test_unless_without_consent_is_still_not_a_decision() -> None:
    assert is_decision("Unless the price drops, we could go ahead with the solar cells.") is None


def test_going_ahead_with_that_proposal_confirms_the_decision_just_made() -> None:
    units = _units(
        [
            ("PM", "So maybe we can state that the single curve still allows articulation."),
            ("ME", "Mm."),
            ("PM", "Unless we hear otherwise we could go ahead with that proposal."),
        ]
    )
    found = find_decisions(units)
    assert len(found) == 1 and "single curve" in found[0].text
