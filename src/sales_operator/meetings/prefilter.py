r"""Literal prefilters: skip a regular expression on text that cannot match it.

Most of the cue patterns of the offline analysis are long alternations of words
(`\b(?:evaluat\w*|compar\w+ ...|pilot(?:ed|ing)?|...)`). Python's `re` tries such a
pattern at every position of every sentence, so a call pays for each pattern about as much
as for reading the whole transcript once. Yet almost every sentence lacks every word the
pattern needs.

`needles(pattern)` reads the pattern's syntax tree once and returns sets of literal
strings (lower-cased) such that every match contains one string of each set: "the <Name>
quote|proposal|..." needs "the " and one of the nouns. Nothing is returned when the
pattern has no such set worth checking (an empty match is possible, or a needed literal is
shorter than `MIN_NEEDLE`). `search`, `finditer` and `could_match` check that set first
and run the pattern only when a needle is there; the answer is always the pattern's own.
Each needle set is one Aho-Corasick automaton (`pyahocorasick`): a text is scanned once
for all the set's needles, in C, and the scan stops at the first one found.

The set is a necessary condition, derived conservatively: case is ignored (a
case-sensitive pattern is checked as if it were not), lookarounds, anchors and optional
parts contribute nothing, needles are ASCII only, and a text holding one of the four
non-ASCII letters that `re.IGNORECASE` matches to an ASCII letter ("İ", "ı", "ſ" and the
Kelvin sign) is always searched with the pattern itself.
"""

from __future__ import annotations

import importlib
import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

__all__ = [
    "MIN_NEEDLE",
    "NON_ASCII_FOLDS",
    "RARE_CHARS",
    "GateTable",
    "NeedleTable",
    "Scope",
    "ScopeTable",
    "branch_needles",
    "branch_token_needles",
    "contains_any",
    "could_match",
    "could_match_any",
    "finditer",
    "needles",
    "search",
    "start_gated",
    "token_needles",
]

MIN_NEEDLE = 2
"""Shortest needle kept: a set with a shorter one (one letter) rules out almost nothing."""

RARE_CHARS = frozenset("$%#@&*+=<>|~^")
"""One-character needles kept all the same: signs most sentences lack ("30%", "$40k")."""

_MAX_SET = 256
"""Most strings a piece's set of exact matches may hold before it is given up (unknown)."""

_MAX_NEEDLES = 8192
"""Most needles one set of alternatives may hold."""

NON_ASCII_FOLDS = "\u0130\u0131\u017f\u212a"
"""The non-ASCII characters `re.IGNORECASE` matches to an ASCII letter (İ ı ſ K)."""
_FOLDS = re.compile(f"[{NON_ASCII_FOLDS}]")

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")


@dataclass(frozen=True)
class _Info:
    """What a piece of a pattern can match."""

    exact: frozenset[str] | None
    """Every string the piece can match (lower-cased), when there are few; else None."""
    required: tuple[frozenset[str], ...] = ()
    """Sets of strings: every match of the piece contains one string of each set."""


_UNKNOWN = _Info(None)
_EMPTY = _Info(frozenset({""}))


@lru_cache(maxsize=4096)
def _score(candidate: frozenset[str]) -> tuple[int, int]:
    """Rank a needle set: longer shortest needle first, then fewer needles."""
    return (min((len(s) for s in candidate), default=0), -len(candidate))


def _useful(candidate: frozenset[str] | None) -> bool:
    return bool(candidate) and candidate is not None and _score(candidate)[0] > 0


def _best(candidates: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """Return the set that says the most alone (see `_score`), or None."""
    useful = [c for c in candidates if c is not None and _useful(c)]
    return max(useful, key=_score) if useful else None


def _char(code: int) -> str | None:
    ch = chr(code)
    return ch.lower() if ch.isascii() else None  # a non-ASCII literal may fold to ASCII


def _sequence(items: Any) -> _Info:
    run: frozenset[str] = frozenset({""})
    text = ""  # literal characters not yet appended to `run`
    broken = False
    required: list[frozenset[str]] = []
    for op, av in items:
        if op is _c.LITERAL and (ch := _char(av)) is not None:
            text += ch
            continue
        if text:
            run, text = frozenset(a + text for a in run), ""
        info = _item(op, av)
        if info.exact is not None and len(run) * len(info.exact) <= _MAX_SET:
            run = frozenset(a + b for a in run for b in info.exact)
            continue
        broken = True
        required += [run, *info.required] if _useful(run) else info.required
        run = info.exact if info.exact is not None else frozenset({""})
    if text:
        run = frozenset(a + text for a in run)
    if _useful(run):
        required.append(run)
    return _Info(None if broken else run, tuple(dict.fromkeys(required)))


def _item(op: Any, av: Any) -> _Info:  # noqa: PLR0911 - one return per kind of node
    if op is _c.LITERAL:
        ch = _char(av)
        return _UNKNOWN if ch is None else _Info(frozenset({ch}))
    if op is _c.IN:
        chars = set()
        for kind, value in av:
            if kind is not _c.LITERAL or (ch := _char(value)) is None:
                return _UNKNOWN
            chars.add(ch)
        return _Info(frozenset(chars))
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _EMPTY  # zero width: nothing consumed
    if op is _c.SUBPATTERN:
        return _sequence(av[3])
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    if op is _c.BRANCH:
        branches = [_sequence(b) for b in av[1]]
        exact: frozenset[str] | None = None
        if all(b.exact is not None for b in branches):
            union = frozenset().union(*(b.exact for b in branches if b.exact is not None))
            exact = union if len(union) <= _MAX_SET else None
        # a match holds one needle of the branch it took: the union of one set per branch
        picks = [_best((*b.required, b.exact)) for b in branches]
        if not all(picks):
            return _Info(exact)
        union = frozenset().union(*(p for p in picks if p))
        return _Info(exact, (union,) if len(union) <= _MAX_NEEDLES else ())
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        inner = _sequence(sub)
        if low == high == 1:
            return inner
        if low == 0:
            if high == 1 and inner.exact is not None:
                return _Info(inner.exact | {""})
            return _EMPTY if high == 0 else _UNKNOWN
        at_least_once = inner.required + ((inner.exact,) if _useful(inner.exact) else ())
        return _Info(None, tuple(s for s in at_least_once if s is not None))
    return _UNKNOWN


_MAX_PATTERNS = 4096
"""Most patterns whose automata are kept (all are dropped, and rebuilt on use, past it)."""

_FILTERS: dict[int, tuple[re.Pattern[str], tuple[Any, ...]]] = {}
"""Per pattern (by `id`, with the pattern itself, so a reused id is noticed): one Aho-Corasick
automaton per needle set (empty: no prefilter). Keyed by `id` because hashing a compiled
pattern hashes its whole compiled code, every time: microseconds for a long alternation."""


_SETS: dict[int, tuple[re.Pattern[str], tuple[frozenset[str], ...]]] = {}
"""Per pattern (by `id`, with the pattern itself): its needle sets (reading a pattern's tree
costs milliseconds for a long alternation, and some callers ask on every call)."""


def _needle_sets(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Return the needle sets of `pattern` (a match holds a needle of each); () if none."""
    entry = _SETS.get(id(pattern))
    if entry is not None and entry[0] is pattern:
        return entry[1]
    found = _read_needle_sets(pattern)
    if len(_SETS) >= _MAX_PATTERNS:  # patterns compiled per call: keep memory bounded
        _SETS.clear()
    _SETS[id(pattern)] = (pattern, found)  # a race only reads the same tree twice
    return found


def _read_needle_sets(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Read the needle sets of `pattern` from its parsed tree (uncached)."""
    try:
        info = _sequence(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unreadable tree only means no prefilter
        return ()
    return tuple(_kept_sets(info))


def _kept_sets(info: _Info) -> list[frozenset[str]]:
    """Return the needle sets `info` says a match holds that are worth scanning for.

    Each set once, every needle at least `MIN_NEEDLE` long or one of `RARE_CHARS`, and no
    needle that extends another of its set.
    """
    return [
        _without_extensions(strings)
        for strings in dict.fromkeys((*info.required, info.exact))
        if strings and all(len(s) >= MIN_NEEDLE or s in RARE_CHARS for s in strings)
    ]


def _without_extensions(strings: frozenset[str]) -> frozenset[str]:
    """Drop every needle that starts with another one of the set.

    A text with "evaluating" has "evaluat": the longer needle is never needed.
    """
    kept: list[str] = []
    for s in sorted(strings):  # a needle's extensions follow it in sorted order
        if not kept or not s.startswith(kept[-1]):
            kept.append(s)
    return frozenset(kept)


def _automata(pattern: re.Pattern[str]) -> tuple[Any, ...]:
    """Return `pattern`'s needle sets as Aho-Corasick automata (built on first use)."""
    entry = _FILTERS.get(id(pattern))
    if entry is not None and entry[0] is pattern:
        return entry[1]
    automata = []
    for strings in _needle_sets(pattern):
        automaton = ahocorasick.Automaton()
        for s in strings:
            automaton.add_word(s, len(s))
        automaton.make_automaton()
        automata.append(automaton)
    found = tuple(automata)
    if len(_FILTERS) >= _MAX_PATTERNS:  # patterns compiled per call: keep memory bounded
        _FILTERS.clear()
    _FILTERS[id(pattern)] = (pattern, found)  # a race only builds the same thing twice
    return found


@lru_cache(maxsize=8)
def _lower(text: str) -> str:
    """Return `text` lower-cased (the last few: a sentence is checked by several patterns)."""
    return text.lower()


def needles(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Return sets of strings such that every match of `pattern` holds one of each set.

    Lower-cased; every string at least `MIN_NEEDLE` long or one of `RARE_CHARS`; () when
    there is no such set.
    """
    return _needle_sets(pattern)


def could_match(pattern: re.Pattern[str], text: str) -> bool:
    """Return False only when `pattern` cannot match anywhere in `text`."""
    entry = _FILTERS.get(id(pattern))
    automata = entry[1] if entry is not None and entry[0] is pattern else _automata(pattern)
    if not automata or (not text.isascii() and _FOLDS.search(text) is not None):
        return True
    low = _lower(text)
    for automaton in automata:  # every set needs one of its needles; the scan stops at one
        if next(automaton.iter(low), None) is None:
            return False
    return True


_ANY_OF: dict[int, tuple[tuple[re.Pattern[str], ...], Any]] = {}
"""Per tuple of patterns (by `id`, with the tuple itself): one automaton of a needle set of
each (None: some pattern has no needle set, so every text could match)."""


def could_match_any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    """Return False only when no pattern of `patterns` can match anywhere in `text`.

    One scan of `text` for the needles of all the patterns (one needle set of each: the one
    that says the most), instead of one scan per pattern, to rule out a text that none of
    a chain of alternatives (`a.search(t) or b.search(t) or ...`) can match. `patterns` is
    a tuple kept at module level (its automaton is built once, on first use).
    """
    entry = _ANY_OF.get(id(patterns))
    if entry is None or entry[0] is not patterns:
        union: set[str] | None = set()
        for pattern in patterns:
            sets = _needle_sets(pattern)
            if not sets or union is None:
                union = None
                continue
            union |= max(sets, key=_score)
        automaton = None
        if union:
            automaton = ahocorasick.Automaton()
            for s in _without_extensions(frozenset(union)):
                automaton.add_word(s, len(s))
            automaton.make_automaton()
        if len(_ANY_OF) >= _MAX_PATTERNS:
            _ANY_OF.clear()
        entry = _ANY_OF[id(patterns)] = (patterns, automaton)
    automaton = entry[1]
    if automaton is None or (not text.isascii() and _FOLDS.search(text) is not None):
        return True
    return next(automaton.iter(_lower(text)), None) is not None


class NeedleTable:
    """Several patterns tried on the same texts: one scan of a text answers for all of them.

    `NeedleTable(patterns).possible(text)[k]` is `could_match(patterns[k], text)`, from one
    Aho-Corasick pass over `text` for the needles of every pattern (each needle tells which
    needle sets it belongs to) instead of one pass per pattern. It pays where most of the
    patterns are asked of every text, as a cue loop over a call's sentences does.
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        """Build one automaton of every needle of every pattern (a table is built once)."""
        self.patterns = tuple(patterns)
        ids: dict[frozenset[str], int] = {}
        members: dict[str, set[int]] = {}
        needs: list[frozenset[int]] = []
        for pattern in self.patterns:
            need = set()
            for strings in _needle_sets(pattern):
                number = ids.setdefault(strings, len(ids))
                need.add(number)
                for needle in _without_extensions(strings):
                    members.setdefault(needle, set()).add(number)
            needs.append(frozenset(need))
        self._needs = tuple(needs)
        self._automaton: Any = None
        if members:
            self._automaton = ahocorasick.Automaton()
            for needle, sets in members.items():
                self._automaton.add_word(needle, frozenset(sets))
            self._automaton.make_automaton()
        self._all = tuple(True for _ in self.patterns)

    def possible(self, text: str) -> tuple[bool, ...]:
        """Return, per pattern, False only when it cannot match anywhere in `text`."""
        if self._automaton is None or (not text.isascii() and _FOLDS.search(text) is not None):
            return self._all
        present: set[int] = set()
        for _, sets in self._automaton.iter(_lower(text)):
            present |= sets
        return tuple(need <= present for need in self._needs)


def _has_all(automata: tuple[Any, ...], low: str) -> bool:
    """Return whether the lower-cased `low` holds a needle of every set."""
    for automaton in automata:  # every set needs one of its needles; the scan stops at one
        if next(automaton.iter(low), None) is None:
            return False
    return True


class Scope:
    """The texts of one call: a pattern that none of them can match is never tried again.

    A call's sentences are checked by dozens of patterns each, and most patterns have no
    needle anywhere in the call (no "redline", no "switching from"). `Scope(texts)` asks
    once per pattern whether the texts *together* hold its needles; when they do not,
    `could_match` (and so `search` and `finditer`) says no for every text of the scope
    without scanning it. A match inside one text has its needles inside that text, so the
    answers are those of the module's functions, **provided every text passed in is one
    of `texts` or a part of one** (the caller's promise; nothing checks it).
    """

    def __init__(self, texts: Iterable[str]) -> None:
        """Join and lower-case `texts` once (see the class doc for the promise they carry)."""
        whole = "\n".join(texts)
        self._folds = not whole.isascii() and _FOLDS.search(whole) is not None
        self._low = whole.lower()
        self._live: dict[int, tuple[re.Pattern[str], bool]] = {}

    def live(self, pattern: re.Pattern[str]) -> bool:
        """Return False only when `pattern` cannot match in any text of the scope."""
        entry = self._live.get(id(pattern))
        if entry is None or entry[0] is not pattern:
            found = _FILTERS.get(id(pattern))
            automata = found[1] if found is not None and found[0] is pattern else _automata(pattern)
            ok = not automata or self._folds or _has_all(automata, self._low)
            entry = self._live[id(pattern)] = (pattern, ok)
        return entry[1]

    def could_match(self, pattern: re.Pattern[str], text: str) -> bool:
        """Return False only when `pattern` cannot match anywhere in `text` (a scope text)."""
        return self.live(pattern) and could_match(pattern, text)

    def search(self, pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
        """Return `pattern.search(text)` (`text`: a scope text or part of one)."""
        return pattern.search(text) if self.could_match(pattern, text) else None

    def finditer(self, pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
        """Return `pattern.finditer(text)` (`text`: a scope text or part of one)."""
        return pattern.finditer(text) if self.could_match(pattern, text) else iter(())


_SCOPE_TABLES: dict[tuple[int, ...], tuple[tuple[re.Pattern[str], ...], Any, tuple[int, ...]]] = {}
"""Per tuple of patterns (by the `id`s of its patterns, with the patterns themselves): one
automaton of every needle of every pattern, each needle mapped to the bits of the needle
sets it belongs to, and per pattern the bits of all its sets (0: no set, always live)."""


def _scope_table(patterns: tuple[re.Pattern[str], ...]) -> tuple[Any, tuple[int, ...]]:
    """Return (automaton, needs) of `patterns` for `ScopeTable` (built once per tuple)."""
    key = tuple(map(id, patterns))
    entry = _SCOPE_TABLES.get(key)
    if entry is not None and all(a is b for a, b in zip(entry[0], patterns, strict=True)):
        return entry[1], entry[2]
    masks: dict[str, int] = {}
    needs: list[int] = []
    bit = 0
    for pattern in patterns:
        need = 0
        # the needle sets as `Scope.live` reads them: the pattern's own automata (built once,
        # shared with `could_match`, so a pattern's tree is read once per process)
        for automaton in _automata(pattern):
            for needle in automaton.keys():
                masks[needle] = masks.get(needle, 0) | 1 << bit
            need |= 1 << bit
            bit += 1
        needs.append(need)
    automaton = None
    if masks:
        automaton = ahocorasick.Automaton()
        for needle, mask in masks.items():
            automaton.add_word(needle, mask)
        automaton.make_automaton()
    if len(_SCOPE_TABLES) >= _MAX_PATTERNS:
        _SCOPE_TABLES.clear()
    _SCOPE_TABLES[key] = (patterns, automaton, tuple(needs))  # a race builds it twice
    return automaton, tuple(needs)


class ScopeTable(Scope):
    """A `Scope` that answers `live` for many known patterns from one scan of its texts.

    `Scope.live` scans the call's joined text once per pattern, to its end when a needle
    is missing, as it mostly is. `ScopeTable(texts, patterns).live(pattern)` is the same
    answer; for a pattern of `patterns` it comes from one Aho-Corasick pass over the joined
    text for every needle of every one of them (which needle sets are present), made on the
    first `live`. Other patterns are asked as `Scope` asks them. `patterns` may be built per
    call (its automaton is kept per tuple of the same pattern objects).
    """

    def __init__(self, texts: Iterable[str], patterns: Iterable[re.Pattern[str]]) -> None:
        """Join and lower-case `texts` (as `Scope` does); `patterns` are scanned for at once."""
        super().__init__(texts)
        # the same pattern listed twice is scanned for once (told apart by identity: hashing
        # a compiled pattern hashes its whole code)
        self._patterns = tuple({id(p): p for p in patterns}.values())
        self._scanned = False

    def _scan(self) -> None:
        automaton, needs = _scope_table(self._patterns)
        present = 0
        if automaton is not None and not self._folds:
            for _, mask in automaton.iter(self._low):
                present |= mask
        for pattern, need in zip(self._patterns, needs, strict=True):
            ok = self._folds or need & present == need
            self._live.setdefault(id(pattern), (pattern, ok))
        self._scanned = True

    def live(self, pattern: re.Pattern[str]) -> bool:
        """Return False only when `pattern` cannot match in any text of the scope."""
        if not self._scanned:
            self._scan()
        return super().live(pattern)


def could_match_each(pattern: re.Pattern[str], texts: Sequence[str]) -> list[bool]:
    """Return `[could_match(pattern, text) for text in texts]`, from one scan per needle set.

    The texts, lower-cased, are joined by NUL and each needle set's automaton runs once over
    them all; a needle never holds a NUL (else each text is asked alone), so a needle found
    lies in one text. Meant for a pattern most texts have no needle of: every needle found
    is looked at.
    """
    automata = _automata(pattern)
    if not automata or any("\0" in s for sets in _needle_sets(pattern) for s in sets):
        return [could_match(pattern, text) for text in texts]
    lows = [text.lower() for text in texts]
    starts = list(itertools.accumulate((len(low) + 1 for low in lows), initial=0))
    joined = "\0".join(lows)
    found: set[int] | None = None
    for automaton in automata:  # every set needs one of its needles
        hit = {bisect_right(starts, end - size + 1) - 1 for end, size in automaton.iter(joined)}
        found = hit if found is None else found & hit
    assert found is not None
    return [
        i in found or (not text.isascii() and _FOLDS.search(text) is not None)
        for i, text in enumerate(texts)
    ]


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """Return `pattern.search(text)`, skipping the search when no needle is in `text`."""
    return pattern.search(text) if could_match(pattern, text) else None


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Return `pattern.finditer(text)`, empty when no needle is in `text`."""
    return pattern.finditer(text) if could_match(pattern, text) else iter(())


_KEY_SETS: dict[int, tuple[tuple[str, ...], Any]] = {}
"""Per tuple of keys (by `id`, with the tuple itself): one automaton of all its keys."""


def contains_any(keys: tuple[str, ...], text: str) -> bool:
    """Return `any(key in text for key in keys)`, with one scan of `text` for all the keys.

    `keys` is a tuple kept at module level (its automaton is built once, on first use);
    matching is exact (as `in`): lower-case the text first for a case-blind test.
    """
    entry = _KEY_SETS.get(id(keys))
    if entry is None or entry[0] is not keys:
        automaton = ahocorasick.Automaton()
        for key in keys:
            automaton.add_word(key, len(key))
        if "" in keys or not keys:
            automaton = None  # "" is in every text; no key is in none
        else:
            automaton.make_automaton()
        if len(_KEY_SETS) >= _MAX_PATTERNS:
            _KEY_SETS.clear()
        entry = _KEY_SETS[id(keys)] = (keys, automaton)
    automaton = entry[1]
    if automaton is None:
        return "" in keys
    return next(automaton.iter(text), None) is not None


_TOKEN_RUN = re.compile(r"[\w']+")


def token_needles(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Return needle sets of `pattern` that still hold after a text is cleaned of whole words.

    Each needle of `needles(pattern)` is cut to its longest run of word characters and
    apostrophes (a set with a needle whose run is shorter than `MIN_NEEDLE` is dropped):
    "go with" becomes "with". Such a run lies inside one word of the text it is found in.
    So when `clean` only removes whole words, spaces and punctuation, or splits a word, and
    never joins two words (filler and repeated-word removal: `extract.clean_spoken`), every
    match of `pattern` in `clean(text)` holds a needle of each set, and that needle is found
    in `text` too (both lower-cased; a text with non-ASCII letters is not ruled out).
    """
    out: list[frozenset[str]] = []
    for strings in _needle_sets(pattern):
        runs = [max(_TOKEN_RUN.findall(s), key=len, default="") for s in strings]
        if all(len(run) >= MIN_NEEDLE for run in runs):
            out.append(_without_extensions(frozenset(runs)))
    return tuple(dict.fromkeys(out))


def _top_branches(items: Any) -> list[list[Any]]:
    """Return the item sequences of the top-level alternatives of a parsed pattern.

    The last top-level item that is an alternation (bare, or in a group without flags of
    its own) is expanded, the items around it kept in each alternative; a pattern with no
    such item is one alternative.
    """
    items = list(items)
    for k in range(len(items) - 1, -1, -1):
        op, av = items[k]
        inner = None
        if op is _c.BRANCH:
            inner = av[1]
        elif op is _c.SUBPATTERN and not (av[1] or av[2]):
            body = list(av[3])
            if len(body) == 1 and body[0][0] is _c.BRANCH:
                inner = body[0][1][1]
        if inner is not None:
            return [[*items[:k], *branch, *items[k + 1 :]] for branch in inner]
    return [items]


def branch_needles(pattern: re.Pattern[str]) -> tuple[tuple[frozenset[str], ...], ...]:
    """Return, per top-level alternative of `pattern`, the needle sets a match by it holds.

    `needles` gives sets that every match of the whole pattern holds: for an alternation,
    the union of one set per alternative, which says little when one alternative needs a
    common word. Here each alternative keeps its own conjunction, so a text can match only
    when one conjunction holds (a `GateTable` of them answers for all at once). () when
    some alternative has no needle set (every text could match).
    """
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an unreadable tree only means no gate
        return ()
    out: list[tuple[frozenset[str], ...]] = []
    for branch in _top_branches(tree):
        sets = _kept_sets(_sequence(branch))
        if not sets:
            return ()
        out.append(tuple(sets))
    return tuple(dict.fromkeys(out))


def branch_token_needles(pattern: re.Pattern[str]) -> tuple[tuple[frozenset[str], ...], ...]:
    """Return, per top-level alternative of `pattern`, needle sets that hold after cleaning.

    Like `token_needles`, but one conjunction per alternative (`branch_needles`) instead of
    one for the whole pattern: a match of `pattern` in the cleaned text is a match of one
    alternative, so the text holds a needle of every set of that alternative's
    conjunction, each cut to its longest word. Any one conjunction holding is then a
    necessary condition, and a much stronger one than the union `token_needles` gives
    ("we" and "decided", or "let's" and "stick", rather than "we" or "let's" or "decided"
    ...). () when some alternative has no needle set (every text could match).
    """
    out: list[tuple[frozenset[str], ...]] = []
    for conjunction in branch_needles(pattern):
        sets: list[frozenset[str]] = []
        for strings in conjunction:
            runs = [max(_TOKEN_RUN.findall(s), key=len, default="") for s in strings]
            if all(len(run) >= MIN_NEEDLE for run in runs):
                sets.append(_without_extensions(frozenset(runs)))
        if not sets:
            return ()
        out.append(tuple(dict.fromkeys(sets)))
    return tuple(dict.fromkeys(out))


class GateTable:
    """Gates over one lower-cased text, all answered by one Aho-Corasick scan of it.

    A gate is a tuple of needle sets: a text can pass it only when it holds a needle of
    every set (no set: always open). `GateTable(gates).open(low)` returns a bit mask, bit
    `k` set when gate `k` may pass; the caller runs gate `k`'s checks only on such texts.
    The needle sets come from `needles` (for checks on the text itself), `token_needles`
    (for checks on the text cleaned of whole words), or are literal keys (`contains_any`).
    A text that is not ASCII opens every gate.
    """

    def __init__(self, gates: Iterable[Iterable[frozenset[str]]]) -> None:
        """Build one automaton of every needle (each knows the needle sets it belongs to)."""
        ids: dict[frozenset[str], int] = {}
        needs: list[int] = []
        members: dict[str, int] = {}
        for gate in gates:
            need = 0
            for strings in gate:
                bit = 1 << ids.setdefault(strings, len(ids))
                need |= bit
                for needle in _without_extensions(strings):
                    members[needle] = members.get(needle, 0) | bit
            needs.append(need)
        self._needs = tuple(needs)
        self._masks: dict[int, int] = {}
        self.all_open = (1 << len(needs)) - 1
        """The mask with every gate open."""
        self._automaton: Any = None
        if members:
            self._automaton = ahocorasick.Automaton()
            for needle, bits in members.items():
                self._automaton.add_word(needle, bits)
            self._automaton.make_automaton()

    def open(self, low: str) -> int:
        """Return the mask of the gates that lower-cased `low` may pass."""
        if self._automaton is None or not low.isascii():
            return self.all_open
        present = 0
        for _, bits in self._automaton.iter(low):
            present |= bits
        mask = self._masks.get(present)
        if mask is None:  # a handful of distinct sets of needle sets per call
            mask = 0
            for k, need in enumerate(self._needs):
                if need & present == need:
                    mask |= 1 << k
            if len(self._masks) >= _MAX_PATTERNS:  # many needle sets: keep memory bounded
                self._masks.clear()
            self._masks[present] = mask
        return mask


_AT_START = ""
"""In a set of first characters: a match may begin where `^` holds (any character)."""


def _starts(items: Any) -> frozenset[str] | None:
    r"""Return the characters a match of `items` can begin with (`_AT_START`: where `^` holds).

    None when unknown: anything but literals, `\b`, `^`, groups and alternations before
    the first character, a group with flags of its own, or a possibly empty match.
    """
    for op, av in items:
        if op is _c.AT and av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            continue  # zero width: the first character comes after it
        if op is _c.AT and av is _c.AT_BEGINNING:
            return frozenset({_AT_START})
        if op is _c.LITERAL:
            return frozenset({chr(av)})
        if op is _c.SUBPATTERN:  # (group, flags added, flags removed, items)
            return _starts(av[3]) if not (av[1] or av[2]) else None  # "(?i:...)": not read
        if op is _c.BRANCH:
            found = [_starts(branch) for branch in av[1]]
            if any(f is None for f in found):
                return None
            return frozenset().union(*(f for f in found if f is not None))
        return None
    return None  # nothing consumed: an empty match


def start_gated(pattern: re.Pattern[str]) -> re.Pattern[str]:
    r"""Return a pattern with the matches of `pattern` that rejects most positions at once.

    `re` tries a long alternation at every position of a text, branch by branch. When
    every branch begins with a literal (after `\b`) or with `^`, the returned pattern
    first checks, with one lookahead, that the position's character is one of those
    literals (or that `^` holds there): a position where `pattern` can match passes the
    check, so `search`, `finditer` and `match` give the same spans and groups. A pattern
    of another shape is returned as it is.
    """
    if pattern.flags & re.VERBOSE:
        return pattern
    try:
        starts = _starts(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unreadable tree only means no gate
        return pattern
    chars = sorted((starts or frozenset()) - {_AT_START})
    if not starts or not chars:
        return pattern
    ahead = f"(?=[{''.join(re.escape(c) for c in chars)}])"
    prefix = f"(?:^|{ahead})" if _AT_START in starts else ahead
    try:
        return re.compile(f"{prefix}(?:{pattern.pattern})", pattern.flags)
    except re.error:  # a global inline flag ("(?i)...") must stay first
        return pattern
