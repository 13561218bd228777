"""Due dates said on a call ("by Friday", "next Tuesday"), resolved against the call date.

The rules, all relative to the call date `d`:

* `today`, `end of (the) day`, `EOD`, `tonight`: `d`.
* `tomorrow`: `d + 1`.
* `Friday`, `by Friday`, `on Friday`, `this Friday`: the first Friday *after* `d`. Said on a
  Wednesday, that week's Friday; said on a Friday, the next one (the same day is "today").
* `next Tuesday`, `Tuesday next week`: the Tuesday of the week after `d`'s week (weeks
  start on Monday).
* `end of (the/this) week`, `EOW`, `this week`: the Friday of `d`'s week (`d` itself on a
  weekend).
* `next week`, `end of next week`: the Friday of the next week.
* `end of (the/this) month`, `EOM`: the last day of `d`'s month.
* `end of next month`: the last day of the next month.
* `in two weeks`, `within 3 days`, `in a couple of days`: `d` plus that many days or weeks.
* `November 10`, `Nov. 10th`, `10 November`, `11/10` (US order), `11/10/2026`, `2026-11-10`:
  that date; without a year, the first such date on or after `d`.
* `the 14th`, `Tuesday the 8th`: the first day of that number on or after `d` (this month,
  else the next month that has it).
* `this morning`, `this afternoon`, `this evening`, `later today`, `right after this call`,
  `straight after the meeting`: `d` (a bare "after the call" names no date).

An impossible date (`February 30`, `13/45`) resolves to nothing rather than to a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DueMatch", "find_due", "resolve_due_phrase"]

_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
}

_WD_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WD = rf"(?:{_WD_FULL[3:-1]}|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"
)
_NUM = (
    r"(?:\d{1,3}|a couple of|a couple|couple of|a few|an?|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|fourteen)"
)
_ORD = r"(?:st|nd|rd|th)?"

# Each rule: (kind, pattern). The first pattern that matches at the earliest position wins;
# among patterns matching at the same position the longest match wins.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("iso", r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
        ("slash", r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b"),
        (
            "month_day",
            rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y>\d{{4}})\b)?",
        ),
        (
            "day_month",
            rf"\b(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon>{_MONTH})\b\.?"
            rf"(?:,?\s+(?P<y>\d{{4}})\b)?",
        ),
        (
            "weekday_day",
            rf"\b(?P<wd>{_WD_FULL}),?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)\b",
        ),
        (
            "day_only",
            r"(?:(?<=\bby )|(?<=\bon )|(?<=\bbefore )|(?<=\buntil )|(?<=\bfor ))"
            r"the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b"
            r"(?!\s+(?:floor|time|place|row|hub|day|week|month|year|quarter|percent\w*)\b)",
        ),
        ("next_weekday", rf"\bnext\s+(?P<wd>{_WD_FULL}|{_WD})\b"),
        ("weekday_next_week", rf"\b(?P<wd>{_WD_FULL})\s+(?:of\s+)?next\s+week\b"),
        ("end_next_week", r"\b(?:the\s+)?end\s+of\s+next\s+week\b"),
        ("next_week", r"\bnext\s+week\b"),
        (
            "end_week",
            r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week\b|\bEOW\b"
            r"|\b(?:later\s+)?this\s+week\b",
        ),
        ("end_next_month", r"\b(?:the\s+)?end\s+of\s+next\s+month\b"),
        ("end_month", r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month\b|\bEOM\b"),
        (
            "today",
            r"\b(?:today|tonight|(?:the\s+)?end\s+of\s+(?:the\s+)?day|close\s+of\s+business"
            r"|EOD|COB|this\s+(?:morning|afternoon|evening)|later\s+today"
            r"|(?:right|straight|just|immediately)\s+after\s+(?:this|the|our)\s+(?:call|meeting)"
            r"|as\s+soon\s+as\s+we\s+hang\s+up)\b",
        ),
        ("tomorrow", r"\btomorrow\b"),
        ("weekday", rf"\b(?:this\s+)?(?P<wd>{_WD_FULL})\b"),
        (
            "relative",
            rf"\b(?:in|within)\s+(?:the\s+next\s+)?(?P<n>{_NUM})\s+"
            r"(?:business\s+|working\s+)?(?P<unit>days?|weeks?)\b",
        ),
    )
)

# The words that may introduce a due phrase; kept with the phrase so it reads as said.
_LEAD_IN = re.compile(
    r"(?:\b(?:by|on|before|for|until|till|no\s+later\s+than|at\s+the\s+latest\s+by|latest)\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DueMatch:
    """A due phrase found in a sentence, with the date it resolves to."""

    phrase: str
    """The phrase as said, with its lead-in word ("by Friday", "next Tuesday")."""
    due: date
    """The resolved date."""
    start: int
    """Start offset of the phrase (lead-in included) in the searched text."""
    end: int
    """End offset of the phrase in the searched text."""


def _number(text: str) -> int | None:
    t = " ".join(text.lower().split())
    if t.isdigit():
        return int(t)
    return _NUMBERS.get(t)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without_year(call_date: date, month: int, day: int) -> date | None:
    """Return the first `month`/`day` on or after `call_date` (None when impossible)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for year in (call_date.year, call_date.year + 1, call_date.year + 2, call_date.year + 3):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= call_date:
            return candidate
    return None  # February 29 with no leap year in reach, or an impossible day


def _next_day_of_month(call_date: date, day: int) -> date | None:
    """Return the first date on or after `call_date` whose day of the month is `day`."""
    if not 1 <= day <= 31:
        return None
    year, month = call_date.year, call_date.month
    for _ in range(3):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= call_date:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _week_monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve(kind: str, m: re.Match[str], call_date: date) -> date | None:
    g = m.groupdict()
    if kind in ("iso", "slash", "month_day", "day_month"):
        month = _MONTHS[g["mon"].lower().rstrip(".")] if g.get("mon") else int(g["m"])
        day = int(g["d"])
        year = _year(g.get("y"))
        if year is None:
            return _without_year(call_date, month, day)
        return _safe_date(year, month, day)
    if kind in ("day_only", "weekday_day"):
        return _next_day_of_month(call_date, int(g["d"]))
    if kind == "today":
        return call_date
    if kind == "tomorrow":
        return call_date + timedelta(days=1)
    if kind == "weekday":
        target = _WEEKDAYS[g["wd"].lower()]
        ahead = (target - call_date.weekday()) % 7 or 7
        return call_date + timedelta(days=ahead)
    if kind in ("next_weekday", "weekday_next_week"):
        target = _WEEKDAYS[g["wd"].lower()]
        return _week_monday(call_date) + timedelta(days=7 + target)
    if kind in ("next_week", "end_next_week"):
        return _week_monday(call_date) + timedelta(days=7 + 4)
    if kind == "end_week":
        return max(_week_monday(call_date) + timedelta(days=4), call_date)
    if kind == "end_month":
        return _month_end(call_date.year, call_date.month)
    if kind == "end_next_month":
        year, month = (
            (call_date.year + 1, 1)
            if call_date.month == 12
            else (
                call_date.year,
                call_date.month + 1,
            )
        )
        return _month_end(year, month)
    if kind == "relative":
        n = _number(g["n"])
        if n is None:
            return None
        days = n * 7 if g["unit"].lower().startswith("week") else n
        return call_date + timedelta(days=days)
    raise AssertionError(f"unhandled due-date rule {kind!r}")  # pragma: no cover


def find_due(text: str, call_date: date) -> DueMatch | None:
    """Find the first due phrase in `text` and resolve it against `call_date`.

    A phrase that names an impossible date is skipped, and the search goes on.

    Args:
        text: A sentence, for example "I'll send the proposal by Friday."
        call_date: The date of the call.

    Returns:
        The phrase (with its lead-in such as "by"), its date and its offsets; None when
        the text names no due date.
    """
    candidates: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in _RULES:
        for m in pattern.finditer(text):
            candidates.append((m.start(), -(m.end() - m.start()), kind, m))
    candidates.sort(key=lambda c: (c[0], c[1]))
    for start, _, kind, m in candidates:
        due = _resolve(kind, m, call_date)
        if due is None:
            continue
        lead = _LEAD_IN.search(text[:start])
        begin = lead.start() if lead else start
        return DueMatch(phrase=text[begin : m.end()].strip(), due=due, start=begin, end=m.end())
    return None


def resolve_due_phrase(phrase: str, call_date: date) -> date | None:
    """Resolve a due phrase ("by Friday", "next Tuesday", "2026-11-10") against `call_date`.

    Args:
        phrase: The phrase as said, or an ISO date.
        call_date: The date of the call.

    Returns:
        The date, or None when the phrase names no date this module understands.
    """
    found = find_due(phrase, call_date)
    return found.due if found else None
