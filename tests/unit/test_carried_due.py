"""Due phrases said outside the commitment's sentence: next sentence, "when?" answers, wrap-ups."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sales_operator.meetings.extract import commitment_title, extract_offline
from sales_operator.meetings.transcript import parse_transcript

DAY = date(2026, 3, 2)  # a Monday


def _commitments(lines: list[tuple[str, str]]) -> dict[str, str | None]:
    segs = [{"speaker": w, "text": text, "start": float(i)} for i, (w, text) in enumerate(lines)]
    transcript = parse_transcript(json.dumps(segs), name="m", format="json")
    sides = {"Sam": "rep", "Dana": "customer", "Lee": "unknown", "Kim": "unknown"}
    found = extract_offline(transcript, call_date=DAY, sides=sides, rep_names=["Sam"])
    return {c.title: c.due for c in found.commitments}


@pytest.mark.parametrize(
    "follow",
    [
        "Hopefully by Friday.",
        "Should be early next week, I think.",
        "That'll be by the end of the month at the latest.",
        "Um, say Thursday.",
    ],
)
def test_deadline_in_the_same_speakers_next_sentence(follow: str) -> None:
    found = _commitments([("Sam", f"I'll send the revised security questionnaire. {follow}")])
    (due,) = found.values()
    assert due is not None and due.split()[-1].lower() in follow.lower()


def test_deadline_in_the_same_speakers_next_turn() -> None:
    found = _commitments(
        [
            ("Sam", "I'll put together the migration plan for the depot team."),
            ("Dana", "Great."),
            ("Sam", "Probably by next Wednesday."),
        ]
    )
    assert list(found.values()) == ["by next Wednesday"]


@pytest.mark.parametrize("question", ["By when?", "When can we expect that?", "What's the ETA?"])
def test_answer_to_when(question: str) -> None:
    found = _commitments(
        [
            ("Sam", "I'll put together the migration plan for the depot team."),
            ("Dana", question),
            ("Sam", "End of next week."),
        ]
    )
    assert list(found.values()) == ["End of next week"]


def test_another_speakers_date_or_a_new_topic_lends_nothing() -> None:
    found = _commitments(
        [
            ("Sam", "I'll put together the migration plan for the depot team."),
            ("Dana", "Our board meets on Friday."),
            ("Sam", "We rolled out the routing module last March to three regions at once."),
        ]
    )
    assert list(found.values()) == [None]


def test_the_next_commitment_keeps_its_own_date() -> None:
    found = _commitments(
        [("Sam", "I'll send the pricing sheet. I'll book the onsite visit by Friday.")]
    )
    assert found == {"Send pricing sheet": None, "Book onsite visit": "by Friday"}


def test_wrap_up_time_carries_to_the_tasks_that_follow() -> None:
    found = _commitments(
        [
            ("Lee", "Okay, the next meeting starts in thirty minutes."),
            ("Kim", "Right."),
            (
                "Lee",
                "So between now and then, Kim, you're gonna be working on the button layout.",
            ),
        ]
    )
    assert list(found.values()) == ["in thirty minutes"]


def test_a_meeting_time_said_long_before_is_not_carried() -> None:
    lines = [("Lee", "The next meeting starts in thirty minutes.")]
    lines += [("Kim" if i % 2 else "Lee", f"Point number {i} about the casing.") for i in range(8)]
    lines.append(("Lee", "Kim, you're gonna be working on the button layout."))
    assert list(_commitments(lines).values()) == [None]


def test_titles_keep_a_verb_with_its_object() -> None:
    assert commitment_title("work with Play-doh on that") == "Work with Play-doh"
    assert commitment_title("send the deck with the pricing for Anna") == "Send deck"


def test_a_date_offered_as_a_question_in_the_next_sentence() -> None:
    found = _commitments(
        [("Dana", "i will send you our cost comparison sheet. end of this week is fine?")]
    )
    assert list(found.values()) == ["end of this week"]


def test_a_confirmation_of_another_persons_date_is_not_my_deadline() -> None:
    found = _commitments(
        [
            ("Sam", "and i'll ask my manager if we can do a flat renewal"),
            ("Dana", "that would help. can we talk again by friday?"),
            ("Sam", "yeah friday is perfect"),
        ]
    )
    assert found.get("Ask my manager") is None
