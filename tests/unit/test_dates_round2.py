"""Due phrases added in round 2: "this week" and "right after this call"."""

from __future__ import annotations

from datetime import date

import pytest

from sales_operator.meetings.dates import find_due, resolve_due_phrase

WED = date(2026, 9, 30)


@pytest.mark.parametrize(
    ("text", "phrase", "due"),
    [
        ("I'll forward your contact to their ops lead this week.", "this week", date(2026, 10, 2)),
        ("We'll get it to you later this week.", "later this week", date(2026, 10, 2)),
        ("I'm sending the case study right after this call.", "right after this call", WED),
        ("I'll send the file spec straight after the meeting.", "straight after the meeting", WED),
    ],
)
def test_this_week_and_right_after_the_call(text: str, phrase: str, due: date) -> None:
    m = find_due(text, WED)
    assert m is not None and m.phrase == phrase
    assert resolve_due_phrase(m.phrase, WED) == due


def test_this_week_said_on_a_saturday_is_that_day() -> None:
    assert resolve_due_phrase("this week", date(2026, 10, 3)) == date(2026, 10, 3)


def test_a_bare_after_the_call_names_no_date() -> None:
    assert find_due("I'll send the slides after the call.", WED) is None
