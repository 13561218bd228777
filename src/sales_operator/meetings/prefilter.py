"""Literal prefilters: skip a regular expression on text that cannot match it.

Most of the cue patterns of the offline analysis are long alternations of words
(`\\b(?:evaluat\\w*|compar\\w+ ...|pilot(?:ed|ing)?|...)`). Python's `re` tries such a
pattern at every position of every sentence, so a call pays for each pattern about as much
as for reading the whole transcript once. Yet almost every sentence lacks every word the
pattern needs.

`needles(pattern)` reads the pattern's syntax tree once and returns a set of literal
strings of which every match must contain at least one (lower-cased), or None when the
pattern has no such set worth checking (an empty match is possible, or a needed literal is
shorter than `MIN_NEEDLE`). `search`, `finditer` and `could_match` check that set first
and run the pattern only when a needle is there; the answer is always the pattern's own.
The needles of every pattern checked so far sit in one Aho-Corasick automaton
(`pyahocorasick`), so a sentence is read once for all of them, however many patterns then
ask about it.

The set is a necessary condition, derived conservatively: case is ignored (a
case-sensitive pattern is checked as if it were not), lookarounds, anchors and optional
parts contribute nothing, needles are ASCII only, and a text holding one of the four
non-ASCII letters that `re.IGNORECASE` matches to an ASCII letter ("İ", "ı", "ſ" and the
Kelvin sign) is always searched with the pattern itself.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

__all__ = ["MIN_NEEDLE", "NON_ASCII_FOLDS", "could_match", "finditer", "needles", "search"]

MIN_NEEDLE = 3
"""Shortest literal worth a prefilter: with shorter needles nearly every text passes."""

_MAX_SET = 256
"""Most strings a set of alternatives may hold before it is given up (as unknown)."""

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
    required: frozenset[str] | None
    """Strings one of which every match of the piece contains; None when there are none."""


_UNKNOWN = _Info(None, None)
_EMPTY = _Info(frozenset({""}), None)


@lru_cache(maxsize=4096)
def _score(candidate: frozenset[str] | None) -> tuple[int, int]:
    """Rank a needle set: longer shortest needle first, then fewer needles."""
    if not candidate:
        return (0, 0)
    return (min(len(s) for s in candidate), -len(candidate))


def _best(*candidates: frozenset[str] | None) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    for c in candidates:
        if c and _score(c)[0] > 0 and _score(c) > _score(best):
            best = c
    return best


def _char(code: int) -> str | None:
    ch = chr(code)
    return ch.lower() if ch.isascii() else None  # a non-ASCII literal may fold to ASCII


def _sequence(items: Any) -> _Info:
    run: frozenset[str] = frozenset({""})
    text = ""  # literal characters not yet appended to `run`
    broken = False
    best: frozenset[str] | None = None
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
        best = _best(best, run, info.required)
        run = info.exact if info.exact is not None else frozenset({""})
    if text:
        run = frozenset(a + text for a in run)
    best = _best(best, run)
    return _Info(None if broken else run, best)


def _item(op: Any, av: Any) -> _Info:  # noqa: PLR0911 - one return per kind of node
    if op is _c.LITERAL:
        ch = _char(av)
        return _UNKNOWN if ch is None else _Info(frozenset({ch}), None)
    if op is _c.IN:
        chars = set()
        for kind, value in av:
            if kind is not _c.LITERAL or (ch := _char(value)) is None:
                return _UNKNOWN
            chars.add(ch)
        return _Info(frozenset(chars), None)
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
        picks = [_best(b.required, b.exact) for b in branches]
        required = None
        if all(picks):
            union = frozenset().union(*(p for p in picks if p))
            required = union if len(union) <= _MAX_SET else None
        return _Info(exact, required)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        inner = _sequence(sub)
        if low == high == 1:
            return inner
        if low == 0:
            if high == 1 and inner.exact is not None:
                return _Info(inner.exact | {""}, None)
            return _EMPTY if high == 0 else _UNKNOWN
        return _Info(None, _best(inner.required, inner.exact))
    return _UNKNOWN


_Index = tuple[int, Any, dict[str, int]]
"""(version, automaton, needle -> id): one immutable snapshot, swapped whole."""

_LOCK = threading.Lock()
_INDEX: _Index = (0, None, {})
_PATTERNS: dict[re.Pattern[str], frozenset[int] | None] = {}


def _needle_strings(pattern: re.Pattern[str]) -> frozenset[str] | None:
    try:
        info = _sequence(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unreadable tree only means no prefilter
        return None
    strings = _best(info.required, info.exact)
    if not strings or min(len(s) for s in strings) < MIN_NEEDLE:
        return None
    # a text with "evaluating" has "evaluat": a needle holding another is never needed
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


def _ids(pattern: re.Pattern[str]) -> frozenset[int] | None:
    """Return the ids of `pattern`'s needles in the shared automaton (adding them once)."""
    try:
        return _PATTERNS[pattern]
    except KeyError:
        pass
    global _INDEX
    strings = _needle_strings(pattern)
    with _LOCK:
        version, automaton, ids = _INDEX
        if strings is not None and not strings <= ids.keys():
            ids = dict(ids)
            for s in sorted(strings - ids.keys()):
                ids[s] = len(ids)
            automaton = ahocorasick.Automaton()
            for s, i in ids.items():
                automaton.add_word(s, i)
            automaton.make_automaton()
            _INDEX = (version + 1, automaton, ids)
        found = None if strings is None else frozenset(ids[s] for s in strings)
        _PATTERNS[pattern] = found
    return found


@lru_cache(maxsize=8)
def _present(text: str, version: int) -> frozenset[int] | None:
    """Return the ids of the needles in `text`: one pass for every pattern's needles.

    Only the last few texts are kept (the patterns of one sentence are checked in a row).
    None when the index has changed since `version` was read (then every pattern runs).
    """
    index_version, automaton, _ = _INDEX
    if automaton is None or index_version != version:
        return None
    return frozenset(i for _, i in automaton.iter(text.lower()))


def needles(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Return strings one of which every match of `pattern` contains (lower-cased).

    None when the pattern has no such set with every string at least `MIN_NEEDLE` long.
    """
    return _needle_strings(pattern)


def could_match(pattern: re.Pattern[str], text: str) -> bool:
    """Return False only when `pattern` cannot match anywhere in `text`."""
    wanted = _ids(pattern)
    if wanted is None or (not text.isascii() and _FOLDS.search(text) is not None):
        return True
    present = _present(text, _INDEX[0])
    return present is None or not wanted.isdisjoint(present)


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """Return `pattern.search(text)`, skipping the search when no needle is in `text`."""
    return pattern.search(text) if could_match(pattern, text) else None


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Return `pattern.finditer(text)`, empty when no needle is in `text`."""
    return pattern.finditer(text) if could_match(pattern, text) else iter(())
