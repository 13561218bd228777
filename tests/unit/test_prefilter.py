"""meetings.prefilter: literal needles never rule out a text the pattern matches."""

from __future__ import annotations

import importlib
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import clean_spoken, split_sentences
from sales_operator.meetings.transcript import read_transcript

_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
_MODULES = (
    "extract",
    "vendors",
    "meddpicc",
    "decisions",
    "assignments",
    "dates",
    "summarize",
    "trackers",
    "speakers",
)


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every compiled pattern the meetings modules hold at module level (also in tuples)."""
    out: list[tuple[str, re.Pattern[str]]] = []

    def walk(name: str, value: object, depth: int = 0) -> None:
        if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            out.append((name, value))
        elif isinstance(value, tuple | list | frozenset) and depth < 3:
            for i, item in enumerate(value):
                walk(f"{name}[{i}]", item, depth + 1)
        elif isinstance(value, dict) and depth < 3:
            for key, item in value.items():
                walk(f"{name}[{key}]", item, depth + 1)

    for module in _MODULES:
        mod = importlib.import_module(f"sales_operator.meetings.{module}")
        for name, value in vars(mod).items():
            walk(f"{module}.{name}", value)
    return out


def _sentences() -> list[str]:
    """Sentences of every transcript we ship or test with, raw, cleaned and re-cased."""
    paths = [p for p in _FIXTURES.rglob("*") if p.is_file()]
    bundled = resources.files("sales_operator").joinpath("data/transcripts")
    paths += [Path(str(p)) for p in bundled.iterdir() if p.is_file()]
    texts: list[str] = []
    for path in sorted(paths):
        try:
            transcript = read_transcript(path)
        except Exception:  # noqa: BLE001, S112 - a fixture of a refused format
            continue
        for turn in transcript.turns:
            texts += split_sentences(turn.text)
    texts += [clean_spoken(t) for t in texts]
    texts += [t.upper() for t in texts[:400]] + [t.lower() for t in texts[:400]]
    # hostile: curly quotes, and the non-ASCII letters that IGNORECASE folds to ASCII
    texts += [t.replace("'", "\u2019") for t in texts[:400]]
    texts += [t.replace("s", "\u017f").replace("k", "\u212a") for t in texts[:400]]
    texts += [t.replace("i", "\u0131").replace("I", "\u0130") for t in texts[:400]]
    return texts


def test_no_pattern_is_ruled_out_on_a_text_it_matches() -> None:
    texts = _sentences()
    patterns = _patterns()
    with_needles = [(n, p) for n, p in patterns if prefilter.needles(p)]
    assert len(texts) > 1000
    assert len(with_needles) > 100  # the prefilter has something to say about most cues
    wrong = [
        (name, text)
        for name, pattern in with_needles
        for text in texts
        if pattern.search(text) is not None and not prefilter.could_match(pattern, text)
    ]
    assert wrong == []


def _assert_same_answers(finder: Any, patterns: list[re.Pattern[str]], texts: list[str]) -> None:
    """`finder.search` and `finder.finditer` answer as each pattern does on each text."""
    for pattern in patterns:
        for text in texts:
            got = finder.search(pattern, text)
            want = pattern.search(text)
            assert (got and got.span()) == (want and want.span())
            assert [m.span() for m in finder.finditer(pattern, text)] == [
                m.span() for m in pattern.finditer(text)
            ]


def test_search_and_finditer_give_the_patterns_own_answers() -> None:
    with_needles = [p for _, p in _patterns() if prefilter.needles(p)]
    _assert_same_answers(prefilter, with_needles, _sentences()[:600])


def test_needles_of_a_sequence_are_a_conjunction() -> None:
    pattern = re.compile(r"\bthe (?P<v>[A-Z]\w+) (?:quote|proposal)s?\b")
    assert set(prefilter.needles(pattern)) == {
        frozenset({"the "}),
        frozenset({" quote", " proposal"}),
    }
    assert prefilter.could_match(pattern, "We got THE RouteMax QUOTE yesterday")
    assert not prefilter.could_match(pattern, "the RouteMax offer")  # no noun
    assert not prefilter.could_match(pattern, "a RouteMax quote")  # no "the "
    assert prefilter.search(pattern, "the RouteMax quotes came in") is not None


def test_a_needle_extending_another_is_dropped() -> None:
    pattern = re.compile(r"\b(?:evaluat\w*|evaluating|pilot(?:ed|ing)?)\b", re.I)
    (needles,) = prefilter.needles(pattern)
    assert needles == {"evaluat", "pilot"}


@pytest.mark.parametrize(
    "source",
    [
        r"a*",  # may match the empty string
        r"\w+\d",  # nothing literal
        r"(?:ab|c)d?",  # one alternative is a single letter
        r"(\w+) \1",  # a back-reference
    ],
)
def test_no_needles_means_every_text_passes(source: str) -> None:
    pattern = re.compile(source)
    assert prefilter.needles(pattern) == ()
    assert prefilter.could_match(pattern, "zzz")


def test_optional_and_repeated_parts() -> None:
    pattern = re.compile(r"(?:very )*(?:quick(?:ly)?|fast)(?:er)+ than", re.I)
    sets = set(prefilter.needles(pattern))
    assert frozenset({"quick", "fast"}) in sets
    assert frozenset({"er"}) in sets or any("er than" in s for n in sets for s in n)
    assert prefilter.could_match(pattern, "Quicker than expected")
    assert not prefilter.could_match(pattern, "slower than expected")


def test_non_ascii_letters_that_fold_to_ascii_are_never_ruled_out() -> None:
    pattern = re.compile(r"\bkit\b", re.IGNORECASE)
    text = "the \u212ait is here"  # KELVIN SIGN + "it": IGNORECASE matches it as "kit"
    assert pattern.search(text) is not None
    assert prefilter.could_match(pattern, text)
    long_s = re.compile(r"\bsend\b", re.IGNORECASE)
    assert long_s.search("\u017fend it") is not None
    assert prefilter.search(long_s, "\u017fend it") is not None


def test_a_non_ascii_literal_gives_no_needle() -> None:
    pattern = re.compile(r"caf\u00e9 au lait", re.IGNORECASE)
    assert all(s.isascii() for n in prefilter.needles(pattern) for s in n)
    assert prefilter.could_match(pattern, "CAF\u00c9 AU LAIT")


def test_patterns_added_later_join_the_shared_index() -> None:
    first = re.compile(r"\bzebra crossing\b")
    second = re.compile(r"\bquokka (?:smile|grin)\b")
    text = "a quokka grin at the zebra crossing"
    assert prefilter.could_match(first, text)
    assert prefilter.could_match(second, text)  # its needles were added after `first`'s
    assert not prefilter.could_match(second, "a quokka frown")
    assert not prefilter.could_match(first, "a zebra")


def test_a_scope_gives_the_patterns_own_answers_on_its_texts() -> None:
    texts = _sentences()[:300]
    scope = prefilter.Scope(texts)
    patterns = [p for _, p in _patterns()]
    dead = [p for p in patterns if not scope.live(p)]
    assert dead, "some cue has no needle in these texts: the scope rules it out at once"
    _assert_same_answers(scope, patterns, texts)


def test_a_scope_rules_out_only_patterns_absent_from_every_text() -> None:
    pattern = re.compile(r"\bswitch(?:ing|ed)? from (?P<v>[A-Z]\w+)")
    scope = prefilter.Scope(["We use spreadsheets.", "Nothing else."])
    assert not scope.live(pattern)
    assert scope.search(pattern, "We use spreadsheets.") is None
    both = prefilter.Scope(["We use spreadsheets.", "We are switching from RouteMax."])
    assert both.live(pattern)
    assert both.search(pattern, "We are switching from RouteMax.") is not None
    # a needle split across two texts does not make either match: answers stay the pattern's
    split = prefilter.Scope(["switching", "from RouteMax"])
    assert split.search(pattern, "switching") is None
    # the non-ASCII letters IGNORECASE folds to ASCII keep every pattern alive
    folded = prefilter.Scope(["\u017fwitching from RouteMax"])
    assert folded.live(re.compile(r"switching from", re.I))


def test_rare_one_character_needles_are_kept() -> None:
    pattern = re.compile(r"\d+\s*%|\$\s*\d+|\bpayback\b", re.I)
    assert prefilter.needles(pattern) == (frozenset({"%", "$", "payback"}),)
    assert not prefilter.could_match(pattern, "we cut it by a third")
    assert prefilter.search(pattern, "we cut it by 30 %") is not None
    assert prefilter.search(pattern, "it costs $40 a seat") is not None
    # a common one-letter needle still rules nothing out
    assert prefilter.needles(re.compile(r"\d+-\d+|\bweek\b")) == ()


def test_contains_any_is_any_key_in_the_text() -> None:
    keys = ("decid", "let's", "we will", "ruled out")
    for text in ("so we decided", "let's go", "we will", "nothing here", "", "ruled ou"):
        assert prefilter.contains_any(keys, text) == any(k in text for k in keys)
    assert prefilter.contains_any(("",), "anything")  # "" is in every text
    assert not prefilter.contains_any((), "anything")


def test_patterns_are_told_apart_by_identity_not_by_id_alone() -> None:
    first = re.compile(r"\bquarterly business review\b")
    assert not prefilter.could_match(first, "see you at the QBR")
    key = id(first)
    del first
    # a new pattern may reuse the id of a collected one: its own needles are used
    for _ in range(50):
        other = re.compile(r"\bQBR\b|\bq" + "b" * (_ + 1) + "r\\b", re.I)
        assert prefilter.could_match(other, "see you at the QBR")
        if id(other) == key:
            break


def test_a_needle_table_answers_as_could_match_for_every_pattern() -> None:
    patterns = [p for _, p in _patterns()][:120]
    table = prefilter.NeedleTable(patterns)
    texts = [*_sentences()[:400], "", "\u017fwitching from RouteMax", "CAF\u00c9 AU LAIT"]
    ruled_out = 0
    for text in texts:
        possible = table.possible(text)
        assert len(possible) == len(patterns)
        for pattern, answer in zip(patterns, possible, strict=True):
            assert answer == prefilter.could_match(pattern, text), (pattern.pattern, text)
            if not answer:
                ruled_out += 1
                assert pattern.search(text) is None  # never rules out a real match
    assert ruled_out > len(texts), "the table rules most cues out of most sentences"


def test_a_needle_table_needs_every_set_of_a_pattern() -> None:
    both = re.compile(r"\bthe (?P<v>[A-Z]\w+) (?:quote|proposal)s?\b")
    either = re.compile(r"\bswitch(?:ing|ed)? from\b|\bmoving off\b")
    blind = re.compile(r"\w+")  # no needle: every text could match
    table = prefilter.NeedleTable([both, either, blind])
    assert table.possible("the RouteMax quote") == (True, False, True)
    assert table.possible("a quote for the team") == (True, False, True)  # both sets present
    assert table.possible("a quote") == (False, False, True)  # "the " is missing
    assert table.possible("we are moving off it") == (False, True, True)
    assert prefilter.NeedleTable([blind]).possible("anything") == (True,)


def test_could_match_any_rules_out_only_texts_no_pattern_can_match() -> None:
    cues = (
        re.compile(r"\bI'll (?:send|share)\b", re.I),
        re.compile(r"\blet's (?:meet|talk)\b", re.I),
        re.compile(r"\bthe (?P<v>[A-Z]\w+) (?:quote|proposal)s?\b"),
    )
    texts = [*_sentences()[:400], "I'LL SEND it", "Let's talk Monday", "the Acme quote", ""]
    for text in texts:
        any_match = any(p.search(text) for p in cues)
        gate = prefilter.could_match_any(cues, text)
        assert gate or not any_match, text
        # a pattern whose needles are all there keeps the gate open (it holds one set of each)
        assert gate >= any(prefilter.could_match(p, text) for p in cues), text
    assert not prefilter.could_match_any(cues, "we will think about it")
    # a pattern with no needles keeps every text open; so do the folding letters
    assert prefilter.could_match_any((*cues, re.compile(r"\w+")), "nothing at all")
    assert prefilter.could_match_any(cues, "\u017fend it")


def test_a_scope_table_answers_live_as_a_scope_does() -> None:
    patterns = [p for _, p in _patterns()]
    texts = _sentences()
    groups = [texts[i : i + 60] for i in range(0, 3000, 60)] + [
        ["We use spreadsheets.", "We are switching from RouteMax."],
        ["\u017fwitching from RouteMax"],  # a letter IGNORECASE folds to ASCII: all live
        [],
    ]
    listed = patterns[: len(patterns) // 2]  # the others are asked as a Scope asks them
    dead = 0
    for group in groups:
        table = prefilter.ScopeTable(group, [*listed, listed[0]])
        plain = prefilter.Scope(group)
        answers = [table.live(p) for p in patterns]
        assert answers == [plain.live(p) for p in patterns]
        dead += answers.count(False)
    assert dead > 1000  # it does rule patterns out


def test_a_scope_table_needs_every_set_of_a_pattern() -> None:
    pattern = re.compile(r"\brenewal\w* .*contract")  # "renewal" and "contract"
    other = re.compile(r"\bwe use\b", re.I)
    assert len(prefilter.needles(pattern)) == 2
    half = prefilter.ScopeTable(["the renewal is near", "no deal"], [other, pattern])
    assert not half.live(pattern) and not half.live(other)
    both = prefilter.ScopeTable(["we use it", "renewals of the contract"], [pattern, other])
    assert both.live(pattern) and both.live(other)
    assert both.search(pattern, "renewals of the contract") is not None
    apart = prefilter.ScopeTable(["the renewal", "the contract"], [pattern])
    assert apart.live(pattern)  # needles in two texts: live, but no text matches
    assert apart.search(pattern, "the renewal") is None


def test_could_match_each_answers_as_could_match_on_each_text() -> None:
    from sales_operator.meetings import trackers
    from sales_operator.policy import default_policy

    specs = trackers.tracker_specs(default_policy())
    every_term = trackers._matchers(tuple(specs))[2]
    both = re.compile(r"\bthe (?P<v>[A-Z]\w+) (?:quote|proposal)s?\b")
    patterns = [every_term, both, *(p for _, p in _patterns()[:60])]
    texts = [*_sentences()[:1500], "", "a\x00quote", "the RouteMax\x00 quote"]
    texts += ["\u0130\u0130 the X quote"]  # "İ" lower-cases to two characters
    texts += ["\u212aey the Acme quote", "CAF\u00c9 the Acme proposal", "the\x00"]
    kept = ruled_out = 0
    for pattern in patterns:
        got = prefilter.could_match_each(pattern, texts)
        assert got == [prefilter.could_match(pattern, t) for t in texts], pattern.pattern
        kept += sum(got)
        ruled_out += len(got) - sum(got)
    assert kept > 500 and ruled_out > 500
    assert prefilter.could_match_each(both, []) == []
    with_nul = re.compile("a\x00quote")  # a needle holding the separator: asked text by text
    assert prefilter.could_match_each(with_nul, ["a\x00quote", "a quote", "A\x00QUOTE"]) == [
        True,
        False,
        True,
    ]


def test_needle_sets_are_read_once_per_pattern_and_told_apart_by_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    read = prefilter._read_needle_sets

    def counted(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
        reads.append(pattern.pattern)
        return read(pattern)

    monkeypatch.setattr(prefilter, "_read_needle_sets", counted)
    monkeypatch.setattr(prefilter, "_SETS", {})
    pattern = re.compile(r"\b(?:evaluating|piloting) (?P<v>\w+)")
    first = prefilter.needles(pattern)
    assert prefilter.needles(pattern) is first and reads == [pattern.pattern]
    for _ in range(3):  # could_match_each asked per call: the tree is not read again
        assert prefilter.could_match_each(pattern, ["we are piloting Gong", "no"]) == [True, False]
    assert reads == [pattern.pattern]
    other = re.compile(r"\b(?:quoted|bundled) (?P<v>\w+)", re.IGNORECASE)
    assert prefilter.needles(other) != first and len(reads) == 2
    monkeypatch.setattr(prefilter, "_MAX_PATTERNS", 2)
    third = re.compile(r"\bswitching from (?P<v>\w+)")
    assert prefilter.needles(third) == prefilter._read_needle_sets(third)
    assert len(prefilter._SETS) == 1  # full: dropped, then this one kept
