"""Due dates said on a call ("by Friday", "end of Q1", "after the board meeting").

`find_due(text, call_date)` finds the first due phrase in a sentence and resolves it against
the call date; `resolve_due(phrase, call_date)` does the same for a phrase alone and also
returns what it cannot place on the calendar. Each match carries the phrase as said, the
due date, its **precision** (`day`, `week`, `month` or `quarter`) and, for "after <event>",
the event (the date is then None).

Two calendar settings come from the policy (`calendar.week_start`,
`calendar.fiscal_year_start_month`); `local_date` turns the call's timestamp into the call
date in the policy's `calendar.time_zone`.

The rules, all relative to the call date `d` (weeks start on `week_start`; the working week
is the five days from it, Monday to Friday by default):

* `today`, `tonight`, `EOD`, `COB`, `(by) the end of the day`, `this afternoon`, `in thirty
  minutes`, `in half an hour`, `right after this call`: `d`. "At the end of the day" (the
  idiom) is not a date. `tomorrow`: `d + 1`; `the day after tomorrow`: `d + 2`.
* `Friday`, `by Fri`, `this Friday`, `(this) coming Friday`: the first Friday after `d`.
  `next Tuesday`, `Tuesday (of) next week`: that day of the next week.
  `end of business Friday`, `close of business tomorrow`: that day.
* `this week`, `later this week`: the last working day of `d`'s week (week precision);
  `end of (this) week`, `EOW`: the same day (day precision). `next week`: the last working day
  of the next week (week); `early next week`: its second day; `end of next week`: its last
  working day (day); `the week after next`: the week after (week).
* `in 3 days`, `within 5 business days`, `in a couple of weeks`, `in a fortnight`, `two weeks
  from now`, `a week from Friday`, `within 48 hours`, `in two months`: counted from `d`
  (business days skip the two days outside the working week). Weeks are `week` precision,
  months `month`.
* `December 5`, `Dec. 5th`, `5 December`, `the fifth of December`, `December the fifth`,
  `November twenty first`, `12/5` (US order), `12/05/2026`, `2026-12-05`: that date; without a
  year, the first one on or after `d`. `the 14th`, `on the fourteenth`, `Friday the 13th`:
  the first such day of a month on or after `d`.
* A month alone (`in December`, `sometime in January`): its last day, `month` precision;
  `by`/`before`/`until December`: its first day. `early`/`mid`/`late December`: the 10th,
  15th and last day (`month`). `end of December`, `end of (the) month`, `EOM`, `end of next
  month`: the last day (`day`). `this month`/`next month`: its last day (`month`);
  `beginning of next month`: its first day.
* Quarters follow the fiscal year: `end of (the) quarter`, `EOQ`, `end of Q1`, `end of next
  quarter`: the quarter's last day (`day`); `Q1`, `in Q3`, `Q2 next year`, `Q1 2027`, `the
  second quarter`, `this quarter`, `next quarter`: the quarter's last day (`quarter`), the
  first one that has not ended; `by Q1`: its first day. A year after `Qn` names the fiscal
  year that ends in it.
* `end of the year`, `EOY`, `year end`: December 31. `end of the fiscal (financial) year`,
  `end of FY`: the last day of the fiscal year.
* `after the board meeting`, `following the pilot`, `once legal signs off`, `for the next
  meeting`, `by the end of the meeting`: no date; the event is kept ("the board meeting").

An impossible date (`February 30`, `13/45`) resolves to nothing rather than to a guess.

Library check (issue 9): `dateparser` 1.5.0 (`search_dates`, future dates preferred) and
`parsedatetime` 2.6 were run on the labelled expressions (default calendar): they give the
right date on 63 and 71 of 154 dated rows, and find a date in 12 and 9 of the 14 rows that
name none ("May I ask", "in this day in age"). Neither resolves ordinal days in words ("the
fifth of December"), ends of months, quarters or fiscal years, `Qn`, or "after <event>";
neither knows a week start or reports a precision. So the rules here are our own, tested on
the 200 labelled expressions in `tests/unit/data/due_expressions.tsv` (in-sample: they were
written against that file, after it was labelled).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sales_operator.errors import InputError
from sales_operator.meetings import prefilter

__all__ = [
    "DueMatch",
    "Precision",
    "find_all_due",
    "find_due",
    "local_date",
    "policy_calendar",
    "resolve_due",
    "resolve_due_phrase",
    "use_calendar",
]

Precision = Literal["day", "week", "month", "quarter"]
"""How precise a due phrase is: a day, or only a week, month or quarter."""

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
    "sunday": 6,
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"]
_TEENS += ["seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
_CARDINALS: dict[str, int] = {w: i + 1 for i, w in enumerate(_UNITS)}
_CARDINALS.update({w: i + 10 for i, w in enumerate(_TEENS)})
for _t, _v in _TENS.items():
    _CARDINALS[_t] = _v
    for _i, _u in enumerate(_UNITS):
        _CARDINALS[f"{_t} {_u}"] = _v + _i + 1
_CARDINALS.update({"a": 1, "an": 1, "a couple of": 2, "a couple": 2, "couple of": 2})
_CARDINALS.update({"couple": 2, "a few": 3, "few": 3, "several": 3})

_ORD_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
_ORD_UNITS.append("ninth")
_ORDINALS: dict[str, int] = {w: i + 1 for i, w in enumerate(_ORD_UNITS)}
_ORD_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth"]
_ORD_TEENS += ["sixteenth", "seventeenth", "eighteenth", "nineteenth"]
_ORDINALS.update({w: i + 10 for i, w in enumerate(_ORD_TEENS)})
_ORDINALS.update({"twentieth": 20, "thirtieth": 30})
_ORDINALS.update({f"twenty {w}": 20 + i + 1 for i, w in enumerate(_ORD_UNITS)})
_ORDINALS["thirty first"] = 31


def _alternation(words: list[str]) -> str:
    """Return a regex alternation of `words`, longest first, spaces matching space or hyphen."""
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in ordered) + ")"


_WD_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_WD = rf"(?:{_WD_FULL}\b|(?:mon|tues?|wed|thu(?:rs?)?|fri)\b\.?)"
_MONTH = (
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?)"
)
_ORD_WORD = _alternation(list(_ORDINALS))
_DAYNUM = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORD_WORD})"
_DAYORD = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORD_WORD})"
_CARD = rf"(?:\d{{1,3}}|{_alternation([w for w in _CARDINALS if w not in ('a', 'an')])}|an?)"
_FILL = r"(?:(?:about|around|roughly|like|maybe|just|uh|um|er)\s+)*"
_YEAR = r"(?:,?\s+(?P<y>(?:19|20)\d{2})\b)?"
_QWORD = r"(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th)"

Rule = tuple[str, re.Pattern[str]]


def _rules(*pairs: tuple[str, str]) -> tuple[Rule, ...]:
    return tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in pairs)


# Each rule: (kind, pattern). Among all matches the earliest wins; at one position, the longest.
_RULES = _rules(
    ("iso", r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    ("slash", r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b"),
    ("month_day", rf"\b(?P<mon>{_MONTH})\s+(?:the\s+)?(?P<d>{_DAYNUM})\b{_YEAR}"),
    (
        "day_month",
        rf"\b(?:the\s+)?(?P<d>{_DAYNUM})\s+(?:of\s+)?(?P<mon>{_MONTH})(?![\w])"
        rf"(?!\s+I\b){_YEAR}",
    ),
    ("weekday_day", rf"\b(?P<wd>{_WD_FULL}),?\s+(?:the\s+)?(?P<d>{_DAYORD})\b"),
    (
        "day_only",
        rf"\bthe\s+(?P<d>{_DAYORD})\b"
        r"(?!\s+(?:floor|time|place|row|hub|day|week|month|year|quarter|percent\w*|option|"
        r"item|step|one|point|page|line|slide|version|round|call|meeting)\b)",
    ),
    (  # i9d: the day of the month of this or next month ("the fifteenth of next month")
        "day_of_month_rel",
        rf"\bthe\s+(?P<d>{_DAYORD})\s+of\s+(?P<which>this|next)\s+month\b",
    ),
    (  # i9d: the nth weekday of a month ("the first Monday of March", "last Friday of the month")
        "nth_weekday",
        r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+"
        rf"(?P<wd>{_WD_FULL})\s+(?:of|in)\s+(?:(?P<which>this|next|the)\s+month\b"
        rf"|(?P<mon>{_MONTH}){_YEAR})",
    ),
    (
        "eod_day",
        r"(?:\b(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+)?(?:business|day|play)|\b(?:EOD|COB|EOB))"
        rf"\s+(?:on\s+)?(?P<when>tomorrow|today|(?P<wd>{_WD}))",
    ),
    ("next_weekday", rf"\bnext\s+(?P<wd>{_WD})"),
    ("weekday_next_week", rf"\b(?P<wd>{_WD_FULL})\s+(?:of\s+)?next\s+week\b"),
    (
        "weekday_abbr",
        rf"(?:(?<=\bby )|(?<=\bon )|(?<=\buntil )|(?<=\btill )|(?<=\bthis ))(?P<wd>{_WD})",
    ),
    ("weekday", rf"\b(?:(?:this\s+)?(?:coming\s+)|this\s+|the\s+coming\s+)?(?P<wd>{_WD_FULL})\b"),
    (  # i9d: "the week of the 26th", "the week of November 16": that week's last working day
        "week_of",
        rf"\b(?:the\s+)?week\s+of\s+(?:(?P<mon>{_MONTH})\s+(?:the\s+)?(?P<d>{_DAYNUM})\b"
        rf"|(?:the\s+)?(?P<d2>{_DAYORD})\b(?:\s+of\s+(?P<mon2>{_MONTH}))?)",
    ),
    ("week_after_next", r"\b(?:the\s+)?week\s+after\s+next\b"),
    ("end_next_week", r"\b(?:the\s+)?end\s+of\s+next\s+week\b"),
    ("next_week", r"\b(?:(?P<part>sometime|early|late|later)\s+)?next\s+week\b"),
    ("end_week", r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:work\s*)?week\b|\bEOW\b"),
    ("this_week", r"\b(?:(?:later|sometime|early)\s+)?this\s+week\b"),
    ("end_next_month", r"\b(?:the\s+)?end\s+of\s+next\s+month\b"),
    (
        "end_month",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month\b|\bEOM\b|\bmonth[\s-]end\b",
    ),
    ("start_next_month", r"\b(?:the\s+)?(?:beginning|start)\s+of\s+next\s+month\b"),
    ("early_next_month", r"\b(?:early|mid|late)[\s-]+next\s+month\b"),
    ("this_next_month", r"\b(?P<which>this|next)\s+month\b"),
    ("end_of_month_name", rf"\b(?:the\s+)?end\s+of\s+(?P<mon>{_MONTH})(?P<y2>\s+\d{{4}})?"),
    ("start_of_month_name", rf"\b(?:the\s+)?(?:beginning|start)\s+of\s+(?P<mon>{_MONTH})"),
    ("part_month", rf"\b(?P<part>early|mid|late)[\s-]+(?P<mon>{_MONTH})"),
    ("month_whole", rf"^\s*(?P<mon>{_MONTH})(?:\s+(?P<y>(?:19|20)\d{{2}})\b)?\s*[.!?]?\s*$"),
    (
        "month_alone",
        r"(?:(?<=\bin )|(?<=\bby )|(?<=\bbefore )|(?<=\buntil )|(?<=\btill )|(?<=\bduring )"
        r"|(?<=\bthrough ))"
        rf"(?P<mon>{_MONTH})(?:\s+(?P<y>(?:19|20)\d{{2}})\b)?",
    ),
    ("end_next_quarter", r"\b(?:the\s+)?end\s+of\s+next\s+quarter\b"),
    (
        "end_quarter",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter\b|\bEOQ\b|\bquarter[\s-]end\b",
    ),
    (
        "end_qn",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?Q(?P<q>[1-4])\b(?:\s+(?P<y>(?:19|20)\d{2})\b)?",
    ),
    (
        "qn",
        r"\bQ(?P<q>[1-4])\b(?:\s+(?P<y>(?:19|20)\d{2})\b|\s+(?P<rel>next|this)\s+year\b)?",
    ),
    ("quarter_word", rf"\b(?:the\s+)?{_QWORD}\s+quarter\b"),
    ("this_next_quarter", r"\b(?P<which>this|next)\s+quarter\b"),
    (
        "end_fiscal_year",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:fiscal|financial)\s+year\b"
        r"|\b(?:the\s+)?end\s+of\s+(?:the\s+)?FY(?:\s*'?\d{2,4})?\b|\bfiscal[\s-]year[\s-]end\b",
    ),
    (
        "end_year",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:calendar\s+)?year\b|\bEOY\b"
        r"|\byear[\s-]end\b",
    ),
    (
        "today",
        r"\b(?:today|tonight|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|today)|close\s+of\s+business"
        r"|(?:the\s+)?end\s+of\s+business|EOD|COB|EOB|this\s+(?:morning|afternoon|evening)"
        r"|later\s+today"
        r"|(?:right|straight|just|immediately)\s+after\s+(?:this|the|our)\s+(?:call|meeting)"
        r"|as\s+soon\s+as\s+we\s+hang\s+up)\b",
    ),
    ("day_after_tomorrow", r"\b(?:the\s+)?day\s+after\s+tomorrow\b"),
    ("tomorrow", r"\b(?:tomorrow|tomorow|tmrw|tmr)\b"),
    (
        "minutes",
        rf"\b(?:in|within)\s+(?:the\s+next\s+)?{_FILL}(?:(?:a\s+)?half\s+(?:an\s+)?hour|"
        rf"(?P<n>{_CARD})\s+(?P<unit>minutes?|mins?|hours?|hrs?|secs?|seconds?|moments?))\b",
    ),
    ("fortnight", r"\b(?:in|within)\s+a\s+fortnight\b"),
    (
        "relative",
        rf"\b(?:in|within)\s+(?:the\s+next\s+)?{_FILL}(?P<n>{_CARD})\s+"
        r"(?P<biz>business\s+|working\s+)?(?P<unit>days?|weeks?|months?)\b",
    ),
    (
        "from_anchor",
        rf"\b(?P<n>{_CARD})\s+(?P<unit>days?|weeks?)\s+from\s+"
        rf"(?P<anchor>now|today|tomorrow|(?P<rel>next\s+|this\s+(?:coming\s+)?|coming\s+)?"
        rf"(?P<wd>{_WD_FULL}))\b",
    ),
    (
        "next_event",
        r"\b(?:the\s+|our\s+|your\s+)?next\s+(?:meeting|call|session|sync|catch[\s-]?up|"
        r"check[\s-]?in|conversation|demo|workshop)\b",
    ),
    (
        "end_of_event",
        r"\b(?:the\s+)?end\s+of\s+(?:the|this|our)\s+(?:meeting|call|session|workshop)\b",
    ),
    ("after_event", r"\b(?:after|following|once)\s+(?P<rest>\S.*)$"),
)

_MONTH_NEEDLE = r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_WD_NEEDLE = r"\b(?:mon|tue|wed|thu|fri|sat|sun)"
# A cheap test (on the lower-cased text) a rule needs to pass before it is tried: most
# sentences name no date, and one shared literal-led search costs far less than the rules.
_NEEDLES: dict[str, re.Pattern[str]] = {
    kind: compiled
    for kinds, compiled in (
        (("iso", "slash"), re.compile(r"\d[-/]\d")),
        (
            (
                "month_day",
                "day_month",
                "month_alone",
                "month_whole",
                "end_of_month_name",
                "start_of_month_name",
                "part_month",
            ),
            re.compile(_MONTH_NEEDLE),
        ),
        (
            (
                "weekday_day",
                "next_weekday",
                "weekday_next_week",
                "weekday_abbr",
                "weekday",
                "nth_weekday",
            ),
            re.compile(_WD_NEEDLE),
        ),
        (
            ("day_only", "day_of_month_rel"),
            re.compile(
                r"\bthe\s+(?:\d|first|second|third|fourth|fifth|sixth|seventh|eighth|"
                r"ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
                r"sixteenth|seventeenth|eighteenth|nineteenth|twent|thirt)"
            ),
        ),
        (("from_anchor",), re.compile(r"(?:day|week)s?\s+from\s")),
        (
            ("week_after_next", "end_next_week", "next_week", "end_week", "this_week", "week_of"),
            re.compile(r"week|\beow\b"),
        ),
        (
            (
                "end_next_month",
                "end_month",
                "start_next_month",
                "early_next_month",
                "this_next_month",
            ),
            re.compile(r"month|\beom\b"),
        ),
        (
            ("end_next_quarter", "end_quarter", "this_next_quarter", "quarter_word"),
            re.compile(r"quarter|\beoq\b"),
        ),
        (("end_qn", "qn"), re.compile(r"\bq[1-4]\b")),
        (("end_fiscal_year", "end_year"), re.compile(r"year|\beoy\b|\bfy")),
        (
            ("today",),
            re.compile(
                r"today|tonight|end\s+of|close\s+of|\beo[db]\b|\bcob\b|\bthis\s+[mae]|"
                r"\bafter\s|hang\s+up"
            ),
        ),
        (("day_after_tomorrow", "tomorrow"), re.compile(r"\bto?mo?r|\btmr")),
        (("minutes",), re.compile(r"hour|min|sec|\bhrs?\b|moment")),
        (("fortnight",), re.compile(r"fortnight")),
        (("relative",), re.compile(r"day|week|month")),
        (("next_event",), re.compile(r"\bnext\s")),
        (("end_of_event",), re.compile(r"(?:end|close)\s+of\s")),
        (("eod_day",), re.compile(r"(?:end|close)\s+of\s|\beo[db]\s|\bcob\s")),
        (("after_event",), re.compile(r"\b(?:after|following|once)\s")),
    )
    for kind in kinds
}

# The words that may introduce a due phrase; kept with the phrase so it reads as said.
_LEAD_IN = re.compile(
    r"(?:\b(?:by|on|before|for|until|till|around|no\s+later\s+than|at\s+the\s+latest\s+by"
    r"|latest(?:\s+on)?|in|at|during|sometime\s+in)\s+)$",
    re.IGNORECASE,
)
_DAY_ONLY_LEAD = re.compile(
    r"\b(?:by|on|before|until|till|for|around|than|after)\s+$", re.IGNORECASE
)
_BY_LEAD = re.compile(r"\b(?:by|before|until|till|no\s+later\s+than)\s+$", re.IGNORECASE)
_IDIOM_AT = re.compile(r"\bat\s+$", re.IGNORECASE)

# An "after <event>" phrase ends at punctuation, at one of these words, or after six words.
_EVENT_STOP = {
    "we",
    "i",
    "you",
    "they",
    "he",
    "she",
    "it",
    "we'll",
    "i'll",
    "you'll",
    "they'll",
    "and",
    "but",
    "so",
    "then",
    "or",
    "in",
    "at",
    "to",
    "is",
    "are",
    "was",
    "will",
    "would",
    "can",
    "could",
    "should",
    "because",
    "if",
    "uh",
    "um",
}
_EVENT_STOP_FIRST = _EVENT_STOP - {"we", "i", "you", "they", "he", "she"}
_EVENT_NOT_FIRST = {
    "that",
    "all",
    "which",
    "this",
    "while",
    "a",
    "an",
    "some",
    "each",
    "every",
    "again",
    "or",
    "more",
    "and",
    "what",
    "how",
    "me",
    "him",
    "her",
    "them",
    "us",
    "it",
    "that's",
    "being",
}


@dataclass(frozen=True)
class DueMatch:
    """A due phrase found in a sentence, with what it resolves to."""

    phrase: str
    """The phrase as said, with its lead-in word ("by Friday", "next Tuesday")."""
    due: date | None
    """The resolved date; None for "after <event>"."""
    start: int
    """Start offset of the phrase (lead-in included) in the searched text."""
    end: int
    """End offset of the phrase in the searched text."""
    precision: Precision | None = "day"
    """How precise the date is (None when there is no date)."""
    event: str | None = None
    """The event a date depends on ("the board meeting"), for "after <event>"."""


@dataclass(frozen=True)
class _Ctx:
    call_date: date
    week_start: int
    fiscal_start: int
    before: str
    """The text in front of the match (lower-cased), to read its lead-in."""


_Resolved = tuple[date | None, Precision | None, str | None] | None


def _number(text: str) -> int | None:
    t = " ".join(text.lower().replace("-", " ").split())
    if t.isdigit():
        return int(t)
    return _CARDINALS.get(t)


_LEAD_DIGITS = re.compile(r"(\d{1,2})")


def _day_number(text: str) -> int | None:
    t = " ".join(text.lower().replace("-", " ").split())
    digits = _LEAD_DIGITS.match(t)
    if digits:
        return int(digits.group(1))
    return _ORDINALS.get(t)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _without_year(call_date: date, month: int, day: int) -> date | None:
    """Return the first `month`/`day` on or after `call_date` (None when impossible)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for year in range(call_date.year, call_date.year + 4):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= call_date:
            return candidate
    return None


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


def _month_of(text: str) -> int:
    return _MONTHS[text.lower().rstrip(".")]


def _week_first(d: date, week_start: int) -> date:
    return d - timedelta(days=(d.weekday() - week_start) % 7)


def _working(d: date, week_start: int) -> bool:
    return (d.weekday() - week_start) % 7 < 5


def _add_business_days(d: date, n: int, week_start: int) -> date:
    out = d
    while n > 0:
        out += timedelta(days=1)
        if _working(out, week_start):
            n -= 1
    return out


def _next_weekday(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7 or 7)


def _month_ahead(call_date: date, month: int) -> tuple[int, int]:
    """Return (year, month): the first such month that has not ended by `call_date`."""
    year = call_date.year if month >= call_date.month else call_date.year + 1
    return year, month


def _quarter_bounds(year: int, month: int) -> tuple[date, date]:
    """Return the first and last day of the three months starting at `year`/`month`."""
    first = date(year, month, 1)
    last_month = _add_months(first, 2)
    return first, _month_end(last_month.year, last_month.month)


def _quarter_containing(d: date, fiscal_start: int) -> tuple[date, date]:
    offset = (d.month - fiscal_start) % 12 // 3 * 3
    start = _add_months(date(d.year, d.month, 1), -((d.month - fiscal_start) % 12 - offset))
    return _quarter_bounds(start.year, start.month)


def _fiscal_quarter(n: int, fy_end_year: int, fiscal_start: int) -> tuple[date, date]:
    """Return quarter `n` of the fiscal year that ends in `fy_end_year`."""
    fy_first = date(fy_end_year if fiscal_start == 1 else fy_end_year - 1, fiscal_start, 1)
    start = _add_months(fy_first, 3 * (n - 1))
    return _quarter_bounds(start.year, start.month)


def _fiscal_year_end(d: date, fiscal_start: int) -> date:
    end_month = (fiscal_start - 2) % 12 + 1
    year = d.year if end_month >= d.month else d.year + 1
    return _month_end(year, end_month)


def _qn(n: int, ctx: _Ctx, year: int | None, rel: str | None) -> tuple[date, date]:
    d = ctx.call_date
    fy_now = _fiscal_year_end(d, ctx.fiscal_start).year
    if year is not None:
        return _fiscal_quarter(n, year, ctx.fiscal_start)
    if rel == "next":
        return _fiscal_quarter(n, fy_now + 1, ctx.fiscal_start)
    for fy in (fy_now, fy_now + 1):
        first, last = _fiscal_quarter(n, fy, ctx.fiscal_start)
        if last >= d:
            return first, last
    raise AssertionError("unreachable")  # pragma: no cover


def _by(ctx: _Ctx) -> bool:
    return _BY_LEAD.search(ctx.before) is not None


_SPACES = re.compile(r"\s+")
_ENDS_IN_PUNCT = re.compile(r"[,.;:!?)\]]$")


def _event_words(rest: str) -> str | None:
    words: list[str] = []
    for token in _SPACES.split(rest.strip()):
        bare = token.strip()
        end = bool(_ENDS_IN_PUNCT.search(bare))
        word = bare.rstrip(",.;:!?)]")
        if not word or (words and word.lower() in _EVENT_STOP):
            break
        if not words and (word.lower() in _EVENT_NOT_FIRST or word.lower() in _EVENT_STOP_FIRST):
            return None
        words.append(word)
        if end or len(words) == 6:
            break
    return " ".join(words) if words else None


def _resolve_weekdays(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d, ws = ctx.call_date, ctx.week_start
    wd = _WEEKDAYS[(g["wd"] or "").lower().rstrip(".")]
    if kind in ("next_weekday", "weekday_next_week"):
        return _week_first(d, ws) + timedelta(days=7 + (wd - ws) % 7), "day", None
    return _next_weekday(d, wd), "day", None


def _resolve_weeks(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d, ws = ctx.call_date, ctx.week_start
    first = _week_first(d, ws)
    if kind == "this_week":
        return max(first + timedelta(days=4), d), "week", None
    if kind == "end_week":
        return max(first + timedelta(days=4), d), "day", None
    if kind == "end_next_week":
        return first + timedelta(days=11), "day", None
    if kind == "week_after_next":
        return first + timedelta(days=18), "week", None
    part = (g.get("part") or "").lower()
    return first + timedelta(days=8 if part == "early" else 11), "week", None


_LEAD_IN_PREPOSITION = re.compile(r"\b(?:in|by|before|until|till|during|through)\s+$")


def _resolve_months(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d = ctx.call_date
    if kind == "end_month":
        return _month_end(d.year, d.month), "day", None
    nxt = _add_months(date(d.year, d.month, 1), 1)
    if kind == "end_next_month":
        return _month_end(nxt.year, nxt.month), "day", None
    if kind == "start_next_month":
        return nxt, "day", None
    if kind == "early_next_month":
        text = (g.get("_text") or "").lower()
        day = 10 if text.startswith("early") else 15
        if text.startswith("late"):
            return _month_end(nxt.year, nxt.month), "month", None
        return nxt.replace(day=day), "month", None
    if kind == "this_next_month":
        target = nxt if (g["which"] or "").lower() == "next" else date(d.year, d.month, 1)
        return _month_end(target.year, target.month), "month", None
    month = _month_of(g["mon"] or "")
    year_text = g.get("y") or (g.get("y2") or "").strip() or None
    if year_text:
        year = int(year_text)
    else:
        year, month = _month_ahead(d, month)
    end = _month_end(year, month)
    if kind == "end_of_month_name":
        return end, "day", None
    if kind == "start_of_month_name":
        return date(year, month, 1), "day", None
    if kind == "part_month":
        part = (g["part"] or "").lower()
        if part == "late":
            return end, "month", None
        return date(year, month, 10 if part == "early" else 15), "month", None
    # month_alone, month_whole
    if (
        kind == "month_alone"
        and (g["mon"] or "").lower().rstrip(".") == "may"
        and not _LEAD_IN_PREPOSITION.search(ctx.before)
    ):
        return None
    return (date(year, month, 1) if _by(ctx) else end), "month", None


def _resolve_quarters(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d, fs = ctx.call_date, ctx.fiscal_start
    if kind == "end_quarter":
        return _quarter_containing(d, fs)[1], "day", None
    if kind == "end_next_quarter":
        nxt = _quarter_containing(d, fs)[1] + timedelta(days=1)
        return _quarter_containing(nxt, fs)[1], "day", None
    if kind == "this_next_quarter":
        first, last = _quarter_containing(d, fs)
        if (g["which"] or "").lower() == "next":
            first, last = _quarter_containing(last + timedelta(days=1), fs)
        return (first if _by(ctx) else last), "quarter", None
    if kind == "quarter_word":
        word = (g["qw"] or "1").lower()
        n = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get(word) or int(word[0])
        first, last = _qn(n, ctx, None, None)
        return (first if _by(ctx) else last), "quarter", None
    n = int(g["q"] or "1")
    first, last = _qn(n, ctx, _year(g.get("y")), (g.get("rel") or "").lower() or None)
    if kind == "end_qn":
        return last, "day", None
    return (first if _by(ctx) else last), "quarter", None


def _resolve_relative(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d, ws = ctx.call_date, ctx.week_start
    if kind == "minutes":
        n = _number(g["n"] or "") if g.get("n") else 0
        unit = (g.get("unit") or "").lower()
        if n is None or (n == 1 and unit[:3] in ("sec", "min", "mom")):
            return None  # "in a second", "in a minute": talk about the call, not a due date
        hours = n if unit.startswith("h") else 0
        return d + timedelta(days=hours // 24), "day", None
    if kind == "fortnight":
        return d + timedelta(days=14), "week", None
    n = _number(g["n"] or "")
    if n is None or n > 400:
        return None
    unit = (g["unit"] or "").lower()
    if kind == "from_anchor":
        anchor = (g["anchor"] or "").lower()
        base = d
        if anchor == "tomorrow":
            base = d + timedelta(days=1)
        elif g.get("wd"):
            wd = _WEEKDAYS[(g["wd"] or "").lower()]
            if (g.get("rel") or "").lower().startswith("next"):  # "a week from next Tuesday"
                base = _week_first(d, ws) + timedelta(days=7 + (wd - ws) % 7)
            else:
                base = _next_weekday(d, wd)
        days = n * 7 if unit.startswith("week") else n
        precision: Precision = "week" if anchor == "now" and unit.startswith("week") else "day"
        return base + timedelta(days=days), precision, None
    if unit.startswith("month"):
        return _add_months(d, n), "month", None
    if unit.startswith("week"):
        return d + timedelta(days=7 * n), "week", None
    if g.get("biz"):
        return _add_business_days(d, n, ws), "day", None
    return d + timedelta(days=n), "day", None


def _resolve_dates(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d = ctx.call_date
    if kind == "day_only" and not _DAY_ONLY_LEAD.search(ctx.before):
        return None  # "the 4th floor", "came 2nd": only "by/on/before ... the 14th"
    if kind in ("day_only", "weekday_day"):
        day = _day_number(g["d"] or "")
        return (_next_day_of_month(d, day) if day else None), "day", None
    month = _month_of(g["mon"] or "") if g.get("mon") else int(g["m"] or "0")
    day = _day_number(g["d"] or "")
    if day is None:
        return None
    year = _year(g.get("y"))
    due = _without_year(d, month, day) if year is None else _safe_date(year, month, day)
    return due, "day", None


_NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}


def _resolve_month_days(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    """Resolve "the 15th of next month", "the first Monday of March", "the week of the 26th"."""
    d = ctx.call_date
    if kind == "week_of":
        day = _day_number(g.get("d") or g.get("d2") or "")
        mon = g.get("mon") or g.get("mon2")
        if day is None:
            return None
        when = _without_year(d, _month_of(mon), day) if mon else _next_day_of_month(d, day)
        if when is None:
            return None
        return _week_first(when, ctx.week_start) + timedelta(days=4), "week", None
    which = (g.get("which") or "").lower()
    if which in ("this", "the") or (kind == "day_of_month_rel" and which != "next"):
        year, month = d.year, d.month
    elif which == "next":
        nxt = _add_months(date(d.year, d.month, 1), 1)
        year, month = nxt.year, nxt.month
    else:
        month = _month_of(g["mon"] or "")
        year = _year(g.get("y")) or _month_ahead(d, month)[0]
    if kind == "day_of_month_rel":
        day = _day_number(g["d"] or "")
        return (_safe_date(year, month, day) if day else None), "day", None
    nth_text = (g["nth"] or "").lower()
    nth = _NTH.get(nth_text) or int(nth_text[0])
    wd = _WEEKDAYS[(g["wd"] or "").lower()]

    def nth_weekday(year: int, month: int) -> date | None:
        if nth == -1:
            last = _month_end(year, month)
            return last - timedelta(days=(last.weekday() - wd) % 7)
        first = date(year, month, 1)
        return _safe_date(year, month, 1 + (wd - first.weekday()) % 7 + 7 * (nth - 1))

    due = nth_weekday(year, month)
    if due is not None and due < d and g.get("mon") and not g.get("y"):
        due = nth_weekday(year + 1, month)  # "the first Monday of November" said after it
    return due, "day", None


_DIGIT = re.compile(r"\d")


def _resolve_events(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    text = " ".join((g.get("_text") or "").split())
    if kind in ("next_event", "end_of_event"):
        return None, None, text
    rest = g.get("rest") or ""
    first = rest.split(None, 1)[0].lower().rstrip(",.;:!?") if rest.strip() else ""
    if first in _WEEKDAYS or first in _MONTHS or first in ("tomorrow", "today", "next"):
        return None
    if _DIGIT.match(first) or first in _CARDINALS or first in _ORDINALS:
        return None
    event = _event_words(rest)
    if event is None:
        return None
    return None, None, event


def _resolve_today(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d = ctx.call_date
    if kind == "today":
        text = (g.get("_text") or "").lower()
        if "end of" in text and _IDIOM_AT.search(ctx.before):
            return None  # "at the end of the day" is the idiom
        return d, "day", None
    if kind == "tomorrow":
        return d + timedelta(days=1), "day", None
    if kind == "day_after_tomorrow":
        return d + timedelta(days=2), "day", None
    # eod_day
    if (g.get("when") or "").lower() == "tomorrow":
        return d + timedelta(days=1), "day", None
    if (g.get("when") or "").lower() == "today":
        return d, "day", None
    return _next_weekday(d, _WEEKDAYS[(g["wd"] or "").lower().rstrip(".")]), "day", None


_RESOLVERS: dict[str, Callable[[str, dict[str, str | None], _Ctx], _Resolved]] = {
    **dict.fromkeys(
        ("next_weekday", "weekday_next_week", "weekday", "weekday_abbr"), _resolve_weekdays
    ),
    **dict.fromkeys(
        ("this_week", "end_week", "end_next_week", "week_after_next", "next_week"),
        _resolve_weeks,
    ),
    **dict.fromkeys(
        (
            "end_month",
            "end_next_month",
            "start_next_month",
            "early_next_month",
            "this_next_month",
            "end_of_month_name",
            "start_of_month_name",
            "part_month",
            "month_alone",
            "month_whole",
        ),
        _resolve_months,
    ),
    **dict.fromkeys(
        ("end_quarter", "end_next_quarter", "this_next_quarter", "quarter_word", "end_qn", "qn"),
        _resolve_quarters,
    ),
    **dict.fromkeys(("minutes", "fortnight", "relative", "from_anchor"), _resolve_relative),
    **dict.fromkeys(
        ("iso", "slash", "month_day", "day_month", "day_only", "weekday_day"), _resolve_dates
    ),
    **dict.fromkeys(("next_event", "end_of_event", "after_event"), _resolve_events),
    **dict.fromkeys(("day_of_month_rel", "nth_weekday", "week_of"), _resolve_month_days),
    **dict.fromkeys(("today", "tomorrow", "day_after_tomorrow", "eod_day"), _resolve_today),
}


def _resolve_year(kind: str, ctx: _Ctx) -> _Resolved:
    d = ctx.call_date
    if kind == "end_year":
        return date(d.year, 12, 31), "day", None
    return _fiscal_year_end(d, ctx.fiscal_start), "day", None


# --- round 6 (issue 9, cmp): a weekday a week on, and the weekend ---------------------------
# "Thursday week", "a week on Thursday", "a week Thursday" (British): the coming such day
# plus seven days. "before the weekend", "by the weekend", "ahead of the weekend": the last
# working day of the call's week (day precision; the call date itself once it has passed).
_RULES = (
    *_RULES,
    *_rules(
        (
            "weekday_week",
            rf"\b(?P<wd>{_WD_FULL})\s+week\b(?!\s*(?:end|day|night))"
            rf"|\ba\s+week\s+(?:on\s+)?(?P<wd2>{_WD_FULL})\b",
        ),
        ("weekend", r"\b(?:before|by|ahead\s+of|for)\s+the\s+weekend\b"),
    ),
)
_NEEDLES["weekday_week"] = _NEEDLES["weekday"]
_NEEDLES["weekend"] = re.compile(r"weekend")


def _resolve_round6(kind: str, g: dict[str, str | None], ctx: _Ctx) -> _Resolved:
    d, ws = ctx.call_date, ctx.week_start
    if kind == "weekend":
        return max(_week_first(d, ws) + timedelta(days=4), d), "day", None
    wd = _WEEKDAYS[(g.get("wd") or g.get("wd2") or "").lower()]
    return _next_weekday(d, wd) + timedelta(days=7), "day", None


_RESOLVERS.update(dict.fromkeys(("weekday_week", "weekend"), _resolve_round6))


@functools.lru_cache(maxsize=1)
def _rule_needles() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """Return every rule with its needle, in rule order (looked up once, not per text)."""
    return tuple((kind, pattern, _NEEDLES[kind]) for kind, pattern in _RULES)


@functools.lru_cache(maxsize=1)
def _needle_gate() -> tuple[re.Pattern[str] | None, tuple[re.Pattern[str], ...]]:
    """Return the needles as one alternation with literal needles of its own, and the rest.

    A text that the alternation cannot match (by `prefilter.could_match`) and that no other
    needle matches can match no rule.
    """
    distinct = list({id(n): n for _, _, n in _rule_needles()}.values())
    literal = [n for n in distinct if prefilter.needles(n) and n.flags == re.UNICODE]
    rest = tuple(n for n in distinct if not any(n is m for m in literal))
    union = re.compile("|".join(f"(?:{n.pattern})" for n in literal)) if literal else None
    return union, rest


@functools.lru_cache(maxsize=1)
def _needle_table() -> tuple[prefilter.NeedleTable, dict[int, int]]:
    """Return one table of the rules' distinct needles, and each needle's place in it (by id).

    `possible(lower)[place[id(needle)]]` is `prefilter.could_match(needle, lower)`: one scan
    of a text answers for every needle.
    """
    distinct = list({id(n): n for _, _, n in _rule_needles()}.values())
    return prefilter.NeedleTable(distinct), {id(n): k for k, n in enumerate(distinct)}


_LEAD_WORDS = 4
"""Most words of a lead-in read in front of a date ("at the latest by")."""
_LEAD_SCAN = 4096
"""Characters looked at first, behind a match, for the words a lead-in can hold."""


def _lead_window(text: str, end: int) -> str:
    r"""Return the end of `text[:end]` that every lead-in pattern reads, as they read it all.

    The lead-in patterns (`_LEAD_IN`, `_BY_LEAD`, `_DAY_ONLY_LEAD`, `_IDIOM_AT`,
    `_LEAD_IN_PREPOSITION`) are anchored at the end and match at most `_LEAD_WORDS` words,
    each after `\b` and followed by white space, so a match starts inside the last
    `_LEAD_WORDS` white-space-separated tokens. Searched whole, a long text (a monologue with
    no full stop) was scanned from its start for every date in it: quadratic. The window
    kept starts at the white space before the last `_LEAD_WORDS + 2` tokens, so each pattern
    finds the same match (at an offset `end - len(window)` lower) or none.
    """
    if end <= 256:
        return text[:end]
    for lo in (max(0, end - _LEAD_SCAN), 0):
        head = text[lo:end]
        rest = head.rsplit(None, _LEAD_WORDS + 2)
        if len(rest) == _LEAD_WORDS + 3:
            return head[len(rest[0]) :]  # rest[0] ends where a token ends: white space follows
        if lo == 0:
            break
    return text[:end]


@functools.lru_cache(maxsize=1024)  # a phrase is found in its sentence, then resolved alone
def _candidates(
    text: str, call_date: date, week_start: int, fiscal_start: int
) -> tuple[tuple[int, int, DueMatch], ...]:
    found: list[tuple[int, int, DueMatch]] = []
    lower = text.lower()
    union, rest = _needle_gate()
    if (union is None or not prefilter.could_match(union, lower)) and not any(
        n.search(lower) for n in rest
    ):
        return ()  # most sentences name no date: one scan rules every rule out
    # keyed by id: hashing a compiled pattern hashes its whole code, every time
    passed: dict[int, bool] = {}
    table, place = _needle_table()
    possible = table.possible(lower)  # one scan for the needles of every rule
    for kind, pattern, needle in _rule_needles():
        ok = passed.get(id(needle))
        if ok is None:
            ok = possible[place[id(needle)]] and needle.search(lower) is not None
            passed[id(needle)] = ok
        if not ok:
            continue
        for m in pattern.finditer(text):
            groups: dict[str, str | None] = dict(m.groupdict())
            groups["_text"] = m.group(0)
            ctx = _Ctx(call_date, week_start, fiscal_start, _lead_window(lower, m.start()))
            if kind in ("end_year", "end_fiscal_year"):
                resolved = _resolve_year(kind, ctx)
            else:
                resolved = _RESOLVERS[kind](kind, groups, ctx)
            if resolved is None:
                continue
            due, precision, event = resolved
            if due is None and event is None:
                continue
            end = m.end()
            if kind == "after_event" and event is not None:
                end = _event_end(text, m.start("rest"), event)
            before = _lead_window(text, m.start())
            lead = _LEAD_IN.search(before)
            begin = m.start() - len(before) + lead.start() if lead else m.start()
            match = DueMatch(
                phrase=text[begin:end].strip(),
                due=due,
                start=begin,
                end=end,
                precision=precision,
                event=event,
            )
            found.append((m.start(), -(end - m.start()), match))
    found.sort(key=lambda c: (c[0], c[1]))
    return tuple(found)


def _event_end(text: str, rest_start: int, event: str) -> int:
    """Return the offset where `event` (the first words after `rest_start`) ends."""
    pos = rest_start
    for word in event.split():
        pos = text.index(word, pos) + len(word)
    return pos


_CALENDAR: ContextVar[tuple[int, int]] = ContextVar("due_calendar", default=(0, 1))


@contextmanager
def use_calendar(week_start: int = 0, fiscal_year_start: int = 1) -> Iterator[None]:
    """Resolve due phrases with these settings inside the block (the policy's `calendar`).

    Calls that pass `week_start` or `fiscal_year_start` themselves keep their values. The
    setting is a context variable: other threads and tasks are not affected.

    Example:
        with use_calendar(policy.calendar.week_start, policy.calendar.fiscal_year_start_month):
            extraction = extract_offline(...)
    """
    _check(week_start, fiscal_year_start)
    token = _CALENDAR.set((week_start, fiscal_year_start))
    try:
        yield
    finally:
        _CALENDAR.reset(token)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def policy_calendar(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run `fn` under `use_calendar` with the `calendar` of its `policy=` keyword argument."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        calendar_policy = getattr(kwargs.get("policy"), "calendar", None)
        if calendar_policy is None:
            return fn(*args, **kwargs)
        with use_calendar(calendar_policy.week_start, calendar_policy.fiscal_year_start_month):
            return fn(*args, **kwargs)

    return wrapper


def _settings(week_start: int | None, fiscal_year_start: int | None) -> tuple[int, int]:
    default_week, default_fiscal = _CALENDAR.get()
    return (
        default_week if week_start is None else week_start,
        default_fiscal if fiscal_year_start is None else fiscal_year_start,
    )


def _check(week_start: int, fiscal_year_start: int) -> None:
    if not 0 <= week_start <= 6:
        raise InputError(f"week_start must be 0 (Monday) to 6 (Sunday), got {week_start}")
    if not 1 <= fiscal_year_start <= 12:
        raise InputError(f"fiscal_year_start must be a month 1 to 12, got {fiscal_year_start}")


def find_all_due(
    text: str,
    call_date: date,
    *,
    week_start: int | None = None,
    fiscal_year_start: int | None = None,
    events: bool = False,
) -> list[DueMatch]:
    """Return every due phrase in `text`, in order, without overlaps.

    Args:
        text: A sentence or a turn.
        call_date: The date of the call.
        week_start: The first day of the week (0 = Monday ... 6 = Sunday); default: the
            `use_calendar` setting, else Monday.
        fiscal_year_start: The month the fiscal year starts in; default: the `use_calendar`
            setting, else January.
        events: Also return "after <event>" phrases (their `due` is None).

    Raises:
        InputError: when `week_start` or `fiscal_year_start` is out of range.
    """
    week_start, fiscal_year_start = _settings(week_start, fiscal_year_start)
    _check(week_start, fiscal_year_start)
    out: list[DueMatch] = []
    taken_until = -1
    for start, _, match in _candidates(text, call_date, week_start, fiscal_year_start):
        if start < taken_until or (match.due is None and not events):
            continue
        out.append(match)
        taken_until = match.end
    return out


def find_due(
    text: str,
    call_date: date,
    *,
    week_start: int | None = None,
    fiscal_year_start: int | None = None,
    events: bool = False,
) -> DueMatch | None:
    """Find the first due phrase in `text` and resolve it against `call_date`.

    A phrase that names an impossible date is skipped, and the search goes on. Without
    `events`, "after <event>" phrases are skipped too, so `due` is always a date; with
    `events`, an event is returned only when the text names no date ("Next meeting starts
    in thirty minutes" is today).

    Args:
        text: A sentence, for example "I'll send the proposal by Friday."
        call_date: The date of the call.
        week_start: The first day of the week (0 = Monday ... 6 = Sunday).
        fiscal_year_start: The month the fiscal year starts in (1 = January).
        events: Also return "after <event>" phrases (their `due` is None).

    Returns:
        The phrase (with its lead-in such as "by"), its date, precision and offsets; None
        when the text names no due date.
    """
    found = find_all_due(
        text,
        call_date,
        week_start=week_start,
        fiscal_year_start=fiscal_year_start,
        events=events,
    )
    dated = [m for m in found if m.due is not None]
    if dated:
        return dated[0]
    return found[0] if found else None


def resolve_due(
    phrase: str,
    call_date: date,
    *,
    week_start: int | None = None,
    fiscal_year_start: int | None = None,
) -> DueMatch | None:
    """Resolve a due phrase, keeping "after <event>" phrases (with `due` None).

    Returns:
        The match, or None when the phrase names neither a date nor an event.
    """
    return find_due(
        phrase,
        call_date,
        week_start=week_start,
        fiscal_year_start=fiscal_year_start,
        events=True,
    )


def resolve_due_phrase(
    phrase: str,
    call_date: date,
    *,
    week_start: int | None = None,
    fiscal_year_start: int | None = None,
) -> date | None:
    """Resolve a due phrase ("by Friday", "next Tuesday", "2026-11-10") against `call_date`.

    Args:
        phrase: The phrase as said, or an ISO date.
        call_date: The date of the call.
        week_start: The first day of the week (0 = Monday ... 6 = Sunday).
        fiscal_year_start: The month the fiscal year starts in (1 = January).

    Returns:
        The date, or None when the phrase names no date this module understands.
    """
    found = find_due(phrase, call_date, week_start=week_start, fiscal_year_start=fiscal_year_start)
    return found.due if found else None


def local_date(when: datetime | date, time_zone: str = "UTC") -> date:
    """Return the calendar date of `when` in `time_zone` (the call date due dates count from).

    A naive datetime is taken as UTC; a date is returned as it is.

    Raises:
        InputError: when `time_zone` is not an IANA time zone name.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(
            f"unknown time zone {time_zone!r}; use an IANA name such as 'Europe/Berlin'"
        ) from err
    if not isinstance(when, datetime):
        return when
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()
