"""A date's lead-in is read from a window behind it, with the answers of the whole text."""

from __future__ import annotations

import random
from datetime import date

import pytest

from sales_operator.meetings import dates
from sales_operator.meetings.dates import _lead_window, find_all_due

_LEADS = (
    dates._LEAD_IN,
    dates._BY_LEAD,
    dates._DAY_ONLY_LEAD,
    dates._IDIOM_AT,
    dates._LEAD_IN_PREPOSITION,
)
_WORDS = (
    "by on before for until till around no later than at the latest in during sometime "
    "after through we will send it next friday end of march x.by (by İstanbul ſo café "
    "K-by \u00a0 quote"
).split(" ")
_SPACES = (" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\x1c", " \u3000 ")


def _text(rng: random.Random, words: int) -> str:
    out: list[str] = []
    for _ in range(words):
        out.append(rng.choice(_WORDS) if rng.random() < 0.99 else "w" * rng.randint(300, 5000))
        out.append(rng.choice(_SPACES) if rng.random() < 0.3 else " ")
    return "".join(out)


@pytest.mark.parametrize("seed", range(3))
def test_every_lead_in_pattern_finds_the_same_match_in_the_window(seed: int) -> None:
    rng = random.Random(seed)
    text = _text(rng, 1500)
    after_space = [i for i in range(1, len(text) + 1) if text[i - 1].isspace()]
    ends = rng.sample(after_space, 200) + rng.sample(range(len(text) + 1), 50) + [len(text)]
    checked = matched = 0
    for end in sorted(ends):
        window = _lead_window(text, end)
        assert text[:end].endswith(window)
        offset = end - len(window)
        for variant in (text, text.lower()):
            head = variant[:end]
            window = _lead_window(variant, end)
            for pattern in _LEADS:
                whole, cut = pattern.search(head), pattern.search(window)
                assert (whole is None) == (cut is None), (pattern.pattern, head[-80:])
                if whole is not None and cut is not None:
                    assert whole.start() == cut.start() + end - len(window)
                    matched += 1
                checked += 1
        assert offset >= 0
    assert checked > 2500 and matched > 100  # both answers were exercised


def test_a_monologue_without_full_stops_reads_each_lead_in_locally() -> None:
    # before the window, every date searched the whole turn in front of it: quadratic
    said = " ".join(f"item {i} we will send the quote by next friday then" for i in range(3000))
    found = find_all_due(said, date(2026, 11, 4))
    assert len(found) == 3000
    assert all(said[m.start : m.end] == m.phrase == "by next friday" for m in found)
    assert {m.due for m in found} == {date(2026, 11, 13)}
    one = find_all_due("item 7 we will send the quote by next friday then", date(2026, 11, 4))
    assert [(m.phrase, m.due, m.precision) for m in one] == [
        (found[7].phrase, found[7].due, found[7].precision)
    ]
