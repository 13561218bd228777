"""Due phrases added in round 6 (issue 9, cmp): a weekday a week on, and the weekend."""

from __future__ import annotations

from datetime import date

import pytest

from sales_operator.meetings.dates import find_due

WED = date(2026, 3, 11)  # a Wednesday; weeks start on Monday
SAT = date(2026, 3, 14)


@pytest.mark.parametrize(
    ("text", "call_date", "due", "phrase"),
    [
        ("we'll confirm the head count Monday week", WED, date(2026, 3, 23), "Monday week"),
        ("can we pencil it in for Wednesday week?", WED, date(2026, 3, 25), "Wednesday week"),
        ("I'll have it to you a week on Friday", WED, date(2026, 3, 20), "a week on Friday"),
        ("the trial starts a week Tuesday", WED, date(2026, 3, 24), "a week Tuesday"),
        (
            "I'll sort the logins out before the weekend",
            WED,
            date(2026, 3, 13),
            "before the weekend",
        ),
        ("we should hear back by the weekend", WED, date(2026, 3, 13), "by the weekend"),
        ("I'll chase it ahead of the weekend", SAT, SAT, "ahead of the weekend"),
    ],
)
def test_weekday_week_and_weekend(text: str, call_date: date, due: date, phrase: str) -> None:
    m = find_due(text, call_date)
    assert m is not None
    assert (m.due, m.precision) == (due, "day")
    assert phrase in m.phrase


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("we have a Friday weekly call with the drivers", date(2026, 3, 13)),  # not "Friday week"
        ("Thursday weekend shifts are the worst", date(2026, 3, 12)),
    ],
)
def test_weekly_and_weekend_words_are_not_a_week_on(text: str, due: date) -> None:
    m = find_due(text, WED)
    assert m is not None and m.due == due


def test_the_weekend_without_a_lead_is_no_date() -> None:
    assert find_due("the weekend was busy for the depot", WED) is None
