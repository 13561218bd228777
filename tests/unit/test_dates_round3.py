"""Due dates, round 3: the classes still missed on colleagues' held-out sales calls.

Labelled by hand BEFORE the rules were changed (issue 9, the i9b hand-over): ordinal days
alone ("by the fifteenth"), "<n> weeks from <day>", the nth weekday of a month ("first Monday
of March"), "sometime in <month>", and "end of day <weekday>" (also EOD, COB). Each class is
written in several phrasings, and some rows are whole spoken sentences from sales calls
(fillers, lower case, long turns). The call is Wednesday 2026-11-04 unless a row says
otherwise; weeks start on Monday.
"""

from __future__ import annotations

from datetime import date

import pytest

from sales_operator.meetings.dates import find_due

WED = date(2026, 11, 4)

# (text, call date, due, precision, a word the phrase must contain)
ROWS: list[tuple[str, date, str, str, str]] = [
    # --- an ordinal day alone: this month, or the next when it is past ------------------------
    ("I'll get you the timeline by the fifteenth.", WED, "2026-11-15", "day", "fifteenth"),
    ("before the twenty-first works for us", WED, "2026-11-21", "day", "twenty-first"),
    ("no later than the 30th", WED, "2026-11-30", "day", "30th"),
    ("we can do it on the second", WED, "2026-12-02", "day", "second"),
    ("I'll have it by the fifteenth of next month.", WED, "2026-12-15", "day", "next month"),
    ("by the 10th of this month", WED, "2026-11-10", "day", "this month"),
    (
        "right so what i'll do is i'll get you a written timeline for when the integration "
        "goes g a, by the fifteenth",
        date(2026, 6, 2),
        "2026-06-15",
        "day",
        "fifteenth",
    ),
    # --- <n> weeks / days from <day> ------------------------------------------------------------
    ("I'll send you that, uh, a week from Monday.", WED, "2026-11-16", "day", "Monday"),
    ("two weeks from Friday", WED, "2026-11-20", "day", "Friday"),
    ("a week from next Tuesday", WED, "2026-11-17", "day", "next Tuesday"),
    ("a week from tomorrow", WED, "2026-11-12", "day", "tomorrow"),
    ("let's say a week from this Friday", WED, "2026-11-13", "day", "this Friday"),
    (
        "I'll, I'll put together a routing scenario and I'll send you that, uh, a week from "
        "Monday.",
        date(2026, 8, 27),
        "2026-09-07",
        "day",
        "week from Monday",
    ),
    # --- the nth weekday of a month -------------------------------------------------------------
    ("the committee meets the first Monday of March", WED, "2027-03-01", "day", "Monday"),
    ("on the first Monday in March", WED, "2027-03-01", "day", "Monday"),
    ("the second Tuesday of next month", WED, "2026-12-08", "day", "Tuesday"),
    ("by the last Friday of the month", WED, "2026-11-27", "day", "last Friday"),
    ("the last Friday of November", WED, "2026-11-27", "day", "November"),
    ("we review it the third Thursday of this month", WED, "2026-11-19", "day", "third"),
    ("the first Friday of December", WED, "2026-12-04", "day", "December"),
    ("the second Monday of January", WED, "2027-01-11", "day", "January"),
    (
        "And I will prepare the scorecard, uh, for the committee, it meets the first Monday "
        "of March.",
        date(2027, 2, 17),
        "2027-03-01",
        "day",
        "first Monday of March",
    ),
    # --- sometime in <month> --------------------------------------------------------------------
    ("I'll send the doc sometime in September.", WED, "2027-09-30", "month", "September"),
    ("some time in December", WED, "2026-12-31", "month", "December"),
    ("at some point in January we'll revisit", WED, "2027-01-31", "month", "January"),
    ("sometime during February", WED, "2027-02-28", "month", "February"),
    (
        "And, uh, I'll send over our requirements doc, um, the Dynamics one, sometime in "
        "September, once the, the data model is frozen.",
        date(2026, 8, 27),
        "2026-09-30",
        "month",
        "September",
    ),
    # --- end of day <weekday> (EOD, COB, close of business) -------------------------------------
    ("I'll have them for you by end of day Friday.", WED, "2026-11-06", "day", "Friday"),
    ("EOD Friday", WED, "2026-11-06", "day", "Friday"),
    ("by COB Thursday", WED, "2026-11-05", "day", "Thursday"),
    ("end of business Tuesday", WED, "2026-11-10", "day", "Tuesday"),
    ("by close of business on Monday", WED, "2026-11-09", "day", "Monday"),
    ("EOD tomorrow", WED, "2026-11-05", "day", "tomorrow"),
    ("by the end of the day on Friday", WED, "2026-11-06", "day", "Friday"),
    ("COB today", WED, "2026-11-04", "day", "today"),
    ("i'll get it to you eod thursday", WED, "2026-11-05", "day", "thursday"),
    # --- the week of <date>: that week's last working day (as "next week" is its Friday) ------
    ("Can we do it the week of the 26th?", date(2026, 10, 13), "2026-10-30", "week", "26th"),
    ("sometime the week of November 16", WED, "2026-11-20", "week", "November 16"),
    ("the week of the twenty-third works", WED, "2026-11-27", "week", "twenty-third"),
    ("during the week of the 7th of December", WED, "2026-12-11", "week", "December"),
]


@pytest.mark.parametrize(
    ("text", "call_date", "due", "precision", "word"),
    ROWS,
    ids=[f"{i:02d}-{r[0][:40]}" for i, r in enumerate(ROWS)],
)
def test_round3_expression(text: str, call_date: date, due: str, precision: str, word: str) -> None:
    m = find_due(text, call_date)
    assert m is not None, text
    assert (m.due.isoformat() if m.due else None, m.precision) == (due, precision), m
    assert word in m.phrase, m.phrase
    assert text[m.start : m.end] == m.phrase


@pytest.mark.parametrize(
    "text",
    [
        "First of all, Monday works for the call.",  # "first" is not a day of the month here
        "She came second in the tender last March.",
        "We spent some time in Chicago with their team.",  # "some time in" + a place
        "The first Monday we met, they were on Chorus.",
    ],
)
def test_round3_lookalikes_are_not_misread(text: str) -> None:
    m = find_due(text, WED)
    assert m is None or "first" not in m.phrase.lower() and "some time" not in m.phrase, m
