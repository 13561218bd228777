"""The speed-ups of the meeting analysis give what the plain rules give (issue 9, item 9).

Each fast path (a prefilter, a possessive regex, a cache) is checked against the plain
version it replaced, on tricky strings and on the project's own sales calls.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sales_operator.meetings import extract, summarize, vendors
from sales_operator.meetings.extract import sentences
from sales_operator.meetings.trackers import TrackerSpec, track_keywords
from sales_operator.meetings.transcript import parse_transcript, read_transcript

CALLS = Path(__file__).resolve().parents[2] / "evals" / "datasets" / "sales_calls"
TRICKY = [
    "the the the plan",
    "I I I think so",
    "it's s s fine",
    "Abc abc ABC",
    "no, no, no",
    "we'll we'll send it",
    "a b a b a b c",
    "x'y y",
    "don't don't",
    "O'Neil o'neil",
    "send send, send the the deck deck",
    "thethe the",
    "ab abc",
    "abc ab",
    "in in-house",
]


def _sentences() -> list[str]:
    out = list(TRICKY)
    for path in sorted(CALLS.glob("sc*")):
        out += [s.text for s in sentences(read_transcript(path), {})]
    return out


@pytest.mark.parametrize(
    ("fast", "plain"),
    [
        (extract._REPEATED, r"\b([\w']+(?:\s+[\w']+)?)(?:,?\s+\1\b)+"),
        (summarize._STUTTER, r"\b((?:[\w']+\s+){0,2}[\w']+)(?:\s+\1\b)+"),
    ],
)
def test_possessive_repeat_patterns_remove_what_the_greedy_ones_did(
    fast: re.Pattern[str], plain: str
) -> None:
    greedy = re.compile(plain, re.IGNORECASE)
    texts = _sentences()
    assert len(texts) > 200
    for text in texts:
        assert fast.sub(r"\1", text) == greedy.sub(r"\1", text), text


def test_vendor_patterns_skipped_without_a_context_cue_never_match_without_one() -> None:
    assert len(vendors._CUE_FIRST) == 2
    probes = [
        *_sentences(),
        "We evaluated Gong last year.",
        "we're currently on Salesforce",
        "They compared us with RouteMax.",
        "vs. FleetPilot",
        "We are using HubSpot, which we like.",
    ]
    hits = 0
    for text in probes:
        cleaned = extract.clean_spoken(text)
        for pattern in vendors._CUE_FIRST:
            if pattern.search(cleaned):
                hits += 1
                assert vendors._ANY_CONTEXT.search(cleaned), cleaned
    assert hits >= 5


def test_a_tracker_reports_its_first_listed_term_whatever_the_prefilter() -> None:
    t = parse_transcript("Ana: Pricing matters, and the budget is set.\nSam: Fine, C++ it is.")
    specs = [
        TrackerSpec("money", "keyword", ("budget", "pricing")),
        TrackerSpec("money2", "keyword", ("pricing", "budget")),
        TrackerSpec("lang", "keyword", ("C++",)),
        TrackerSpec("nothing", "keyword", ()),
    ]
    hits = track_keywords(t, specs)
    assert [(h.tracker, h.keyword) for h in hits] == [
        ("money", "budget"),
        ("money2", "pricing"),
        ("lang", "C++"),
    ]


def test_decision_makers_are_found_with_or_without_a_comma() -> None:
    units = sentences(
        parse_transcript(
            "Ana Souza: Ken Ito, our CFO, signs off on this.\n"
            "Ana Souza: Paulo Reis approves the budget\n"
            "Ana Souza: Nobody else decides"
        ),
        {"Ana Souza": "customer"},
    )
    found = extract._decision_makers(units, ["Ken Ito", "Paulo Reis", "Dana Whitfield"])
    assert found == ["Ken Ito (CFO)", "Paulo Reis"]
