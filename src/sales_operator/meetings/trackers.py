"""Call trackers: keywords (with word forms and a said-by filter), competitors, concepts.

Every hit is one sentence of the transcript: its quote, speaker and timestamp (the start of
the turn; None for an untimed transcript), and the speaker's side. A tracker fires at most
once per sentence.

* **Keyword trackers** come from the policy's `meetings.keyword_trackers` (said by anyone;
  word forms when `meetings.word_forms` is on) and `meetings.trackers` (with `said_by` and
  `word_forms` per tracker). Matching is whole-word and case-insensitive; a phrase matches
  across spaces or hyphens ("SOC 2", "soc-2"). Word forms follow explicit English
  inflection rules (`word_pattern`), no dictionary: `price` matches prices, priced, pricing,
  price's; `budget` budgets, budgeted, budgeting; `security` securities; `plan` plans,
  planned, planning. Words in capitals (acronyms such as API, SSO) only take a plural or
  possessive `s`; words with digits and words under three letters match as written.
* **The competitor tracker** matches each name in `meetings.competitors` exactly (a
  possessive `'s` allowed; "FleetPilots" is not "FleetPilot").
* **Concept trackers** (`meetings.concept_trackers`: a description of a topic) run through
  the language model in one structured call (prompt `meetings/concept_trackers`); the model
  must quote the transcript, and a quote that cannot be found in it is dropped. Without a
  model, the offline engine matches each tracker's `cues` with word forms (`offline:cues`);
  a tracker without cues is skipped (`offline:skipped (no model)` when none has cues).
* `said_by` keeps only sentences of that side; a speaker the mapping cannot place is never
  counted as rep or customer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.llm import LLM
from sales_operator.meetings import prefilter as literal_prefilter
from sales_operator.meetings.extract import Sentence, sentences, squash
from sales_operator.meetings.transcript import Transcript
from sales_operator.policy import Policy
from sales_operator.state import Quote, TrackerHit

__all__ = [
    "CONCEPT_STEP",
    "ConceptHit",
    "ConceptHits",
    "TrackerSpec",
    "term_pattern",
    "track",
    "track_concepts",
    "track_keywords",
    "tracker_specs",
    "word_pattern",
]

CONCEPT_STEP = "meeting_concept_trackers"
"""The step name (and `DealState.engines` key) of the concept trackers."""

SaidBy = Literal["rep", "customer", "anyone"]


# --- word forms -----------------------------------------------------------------------------

_VOWELS = set("aeiou")
_POSSESSIVE = r"(?:['’]s)?"


def word_pattern(word: str, *, forms: bool = True) -> str:
    """Return a regex (no boundaries) matching `word` and, with `forms`, its inflections.

    The rules, applied to the lower-cased word:

    * ends in a consonant + `y`: y, ies, ied, ying (security: securities);
    * ends in `e` (not `ee`): e, es, ed, er, ers, ing (price: prices, priced, pricing);
    * ends in s, x, z, ch, sh: +es, +ed, +ing (tax: taxes);
    * otherwise: +s, +es, +ed, +er, +ers, +ing, and for a consonant-vowel-consonant end
      also the doubled consonant (plan: planned, planning);
    * a possessive `'s` always.

    Words in capitals take only `s` or `'s`; words with digits, words under three letters
    and words with other characters match as written.
    """
    esc = re.escape(word)
    if not forms or len(word) < 3 or not word.isalpha():
        return esc
    if word.isupper():
        return f"{esc}(?:s|['’]s)?"
    w = word.lower()
    if len(w) > 2 and w.endswith("y") and w[-2] not in _VOWELS:
        return f"{re.escape(w[:-1])}(?:y|ies|ied|ying|y['’]s)"
    if w.endswith("e") and not w.endswith("ee"):
        return f"{re.escape(w[:-1])}(?:e|es|ed|er|ers|ing){_POSSESSIVE}"
    if w.endswith(("s", "x", "z", "ch", "sh")):
        return f"{re.escape(w)}(?:es|ed|ing)?{_POSSESSIVE}"
    tail = "s|es|ed|er|ers|ing"
    cvc = w[-1] not in _VOWELS | set("wxy") and w[-2] in _VOWELS and w[-3] not in _VOWELS
    if cvc:
        return f"{re.escape(w)}(?:{re.escape(w[-1])}(?:ed|er|ers|ing)|{tail})?{_POSSESSIVE}"
    return f"{re.escape(w)}(?:{tail})?{_POSSESSIVE}"


_TERM_SEPARATORS = re.compile(r"[\s\-]+")


def term_pattern(term: str, *, forms: bool = True) -> re.Pattern[str]:
    """Return the whole-word, case-insensitive pattern of a keyword or phrase.

    A possessive ("FleetPilot's") always matches, a longer word ("FleetPilots") only
    through `forms`.

    Args:
        term: A word or phrase; its words match across spaces or hyphens.
        forms: Whether every word also matches its inflections (see `word_pattern`).
    """
    words = [w for w in _TERM_SEPARATORS.split(term.strip()) if w]
    body = r"[\s\-]+".join(_camel_pattern(w, forms=forms) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


_CAMEL_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _camel_pattern(word: str, *, forms: bool) -> str:
    """Match a CamelCase name also written apart ("FleetPilot": "fleet pilot", "Fleet-Pilot").

    Speech-to-text and people write product names as separate words; the inflections
    apply to the last part only.
    """
    parts = _CAMEL_PARTS.findall(word)
    if len(parts) < 2 or "".join(parts) != word or not word[:1].isupper():
        return word_pattern(word, forms=forms)
    head = [re.escape(p) for p in parts[:-1]]
    return r"[\s\-]?".join([*head, word_pattern(parts[-1], forms=forms)])


@dataclass(frozen=True)
class TrackerSpec:
    """One keyword or competitor tracker, ready to match."""

    name: str
    """The tracker's name (for a competitor: the competitor)."""
    kind: Literal["keyword", "competitor"]
    """Tracker type."""
    keywords: tuple[str, ...]
    """The terms, as written in the policy."""
    said_by: SaidBy = "anyone"
    """Whose sentences count."""
    word_forms: bool = False
    """Whether inflected forms match."""


def tracker_specs(policy: Policy) -> list[TrackerSpec]:
    """Return the policy's competitor and keyword trackers, competitors first."""
    m = policy.meetings
    specs = [TrackerSpec(name, "competitor", (name,)) for name in m.competitors]
    specs += [
        TrackerSpec(name, "keyword", tuple(words), "anyone", m.word_forms)
        for name, words in m.keyword_trackers.items()
    ]
    specs += [
        TrackerSpec(name, "keyword", tuple(t.keywords), t.said_by, t.word_forms)
        for name, t in m.trackers.items()
    ]
    return specs


def _said_by_ok(said_by: SaidBy, side: str) -> bool:
    return said_by == "anyone" or side == said_by


def _hit(
    s: Sentence, tracker: str, kind: str, keyword: str | None, engine: str | None
) -> TrackerHit:
    side = s.side if s.side in ("rep", "customer") else "unknown"
    return TrackerHit(
        tracker=tracker,
        kind=kind,
        keyword=keyword,
        quote=Quote(speaker=s.speaker, text=s.text, start=s.start),
        side=side,
        engine=engine,
    )


_WORD_START = r"(?<!\w)"


def _any_of(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str]:
    """Return one case-insensitive pattern matching where any of `term_pattern`'s results does.

    The shared word-start look-behind is tested once, outside the alternation: Python's
    engine would otherwise try every branch at every position (several times slower).
    """
    bodies = [p.pattern for p in patterns]
    if not bodies:
        return re.compile(r"(?!)")
    if all(b.startswith(_WORD_START) for b in bodies):
        inner = "|".join(b[len(_WORD_START) :] for b in bodies)
        return re.compile(f"{_WORD_START}(?:{inner})", re.IGNORECASE)
    return re.compile("|".join(f"(?:{b})" for b in bodies), re.IGNORECASE)


_Matchers = tuple[
    Mapping[tuple[str, str], re.Pattern[str]], tuple[re.Pattern[str], ...], re.Pattern[str]
]


@lru_cache(maxsize=32)  # keyed by a policy's trackers: however many terms, compiled once
def _matchers(specs: tuple[TrackerSpec, ...]) -> _Matchers:
    """Return each term's pattern by (tracker, term), one alternation per tracker, and one of all.

    Held here rather than in `re`'s module cache (512 patterns, shared with the whole process),
    so a policy with hundreds of terms never recompiles them call after call.
    """
    compiled = {
        (spec.name, term): term_pattern(term, forms=spec.word_forms)
        for spec in specs
        for term in spec.keywords
    }
    # one alternation per tracker (and one over all of them) rules a sentence out in one pass;
    # only a sentence that matches is searched term by term, so the first term listed wins
    any_term = tuple(_any_of([compiled[spec.name, t] for t in spec.keywords]) for spec in specs)
    every_term = _any_of([compiled[spec.name, t] for spec in specs for t in spec.keywords])
    return MappingProxyType(compiled), any_term, every_term


@lru_cache(maxsize=16)
def _tracker_table(sources: tuple[tuple[str, int], ...]) -> literal_prefilter.NeedleTable:
    """Return a needle table of the trackers' alternations, keyed by source and flags.

    The same needles, and so the same answers, as the patterns compiled for the call.
    """
    return literal_prefilter.NeedleTable(re.compile(source, flags) for source, flags in sources)


def track_keywords(
    transcript: Transcript,
    specs: Iterable[TrackerSpec],
    sides: Mapping[str, str] | None = None,
    *,
    units: Sequence[Sentence] | None = None,
) -> list[TrackerHit]:
    """Return the hits of `specs` in the order spoken, one per sentence and tracker.

    Args:
        transcript: The parsed call.
        specs: The trackers (see `tracker_specs`).
        sides: Speaker label to side, for `said_by`.
        units: The transcript's `sentences` under `sides`, when the caller has them.
    """
    specs = tuple(specs)
    compiled, any_term, every_term = _matchers(specs)
    hits: list[TrackerHit] = []
    units = sentences(transcript, sides or {}) if units is None else units
    # a call none of whose sentences holds a needle of any term is not read sentence by sentence
    if not literal_prefilter.Scope(s.text for s in units).live(every_term):
        units = ()
    table = _tracker_table(tuple((p.pattern, p.flags) for p in any_term))
    # = literal_prefilter.search(every_term, s.text) per sentence, the needles of all
    # sentences found in one scan
    maybe = literal_prefilter.could_match_each(every_term, [s.text for s in units])
    for s, could_hit in zip(units, maybe, strict=True):
        if not could_hit or every_term.search(s.text) is None:
            continue
        possible = table.possible(s.text)  # one needle scan for every tracker's alternation
        for spec, prefilter, could in zip(specs, any_term, possible, strict=True):
            if (
                not (_said_by_ok(spec.said_by, s.side) and could)
                or prefilter.search(s.text) is None
            ):
                continue
            matched = next(
                (t for t in spec.keywords if compiled[spec.name, t].search(s.text)), None
            )
            if matched is not None:
                hit = _hit(s, spec.name, spec.kind, matched, None)
                if spec.kind == "competitor":
                    hit = hit.model_copy(update={"confidence": 1.0, "matched_by": "policy"})
                hits.append(hit)
    return hits


def track(
    transcript: Transcript,
    policy: Policy,
    sides: Mapping[str, str] | None = None,
    *,
    units: Sequence[Sentence] | None = None,
) -> tuple[list[TrackerHit], list[TrackerHit]]:
    """Find competitor mentions and keyword-tracker hits, one per sentence and tracker.

    Args:
        transcript: The parsed call.
        policy: The policy (its competitors and keyword trackers).
        sides: Speaker label to side, for `said_by`.
        units: The transcript's `sentences` under `sides`, when the caller has them.

    Returns:
        (competitor hits, keyword hits), each in the order spoken.
    """
    hits = track_keywords(transcript, tracker_specs(policy), sides, units=units)
    return (
        [h for h in hits if h.kind == "competitor"],
        [h for h in hits if h.kind == "keyword"],
    )


# --- concept trackers -----------------------------------------------------------------------


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class ConceptHit(_Schema):
    """One place in the transcript where a concept tracker's topic comes up."""

    tracker: str
    """The tracker's name, exactly as listed."""
    quote: str
    """The sentence from the transcript, copied verbatim."""
    speaker: str
    """The speaker of the quote, exactly as labelled in the transcript."""


class ConceptHits(_Schema):
    """Every concept-tracker hit in one call."""

    hits: list[ConceptHit] = Field(default_factory=list)
    """The hits, in the order spoken; empty when no topic comes up."""


def _locate(all_sentences: list[Sentence], quote: str, speaker: str) -> Sentence | None:
    """Return the sentence a quote comes from (the speaker's own first), or None."""
    needle = squash(quote)
    if not needle:
        return None
    ordered = sorted(all_sentences, key=lambda s: s.speaker != speaker)
    for s in ordered:
        hay = squash(s.text)
        if needle in hay or (len(hay.split()) >= 4 and hay in needle):
            return s
    return None


def track_concepts(
    transcript: Transcript,
    policy: Policy,
    sides: Mapping[str, str] | None,
    llm: LLM,
    *,
    units: Sequence[Sentence] | None = None,
) -> tuple[list[TrackerHit], str | None]:
    """Run the policy's concept trackers.

    Args:
        transcript: The parsed call.
        policy: The policy (its `meetings.concept_trackers`).
        sides: Speaker label to side, for `said_by`.
        llm: The language engine; offline, the trackers' cues are matched.
        units: The transcript's `sentences` under `sides`, when the caller has them.

    Returns:
        (hits in the order spoken, the engine), the engine None when the policy has no
        concept trackers.
    """
    concepts = policy.meetings.concept_trackers
    if not concepts:
        return [], None
    all_sentences = list(units) if units is not None else sentences(transcript, sides or {})
    cued = {name: c for name, c in concepts.items() if c.cues}
    offline_engine = "offline:cues" if cued else "offline:skipped (no model)"

    specs = tuple(
        TrackerSpec(name, "keyword", tuple(c.cues), c.said_by, True) for name, c in cued.items()
    )

    def offline() -> ConceptHits:
        found = track_keywords(transcript, specs, sides, units=all_sentences)
        return ConceptHits(
            hits=[
                ConceptHit(tracker=h.tracker, quote=h.quote.text, speaker=h.quote.speaker)
                for h in found
            ]
        )

    listing = "\n".join(
        f"- {name} (said by: {c.said_by}): {c.description}" for name, c in concepts.items()
    )
    result, engine = llm.structured(
        step=CONCEPT_STEP,
        prompt="meetings/concept_trackers",
        schema=ConceptHits,
        variables={"trackers": listing, "transcript": transcript.render()},
        offline=offline,
        offline_engine=offline_engine,
    )
    cue_patterns = _matchers(specs)[0]
    located: list[tuple[int, int, TrackerHit]] = []
    seen: set[tuple[str, int, int]] = set()
    for item in result.hits:
        spec = concepts.get(item.tracker.strip())
        if spec is None:
            continue
        s = _locate(all_sentences, item.quote, item.speaker)
        if s is None or not _said_by_ok(spec.said_by, s.side):
            continue
        key = (item.tracker.strip(), s.turn, s.index)
        if key in seen:
            continue
        seen.add(key)
        keyword = None
        if not engine.startswith("llm:"):
            keyword = next((c for c in spec.cues if cue_patterns[key[0], c].search(s.text)), None)
        located.append((s.turn, s.index, _hit(s, key[0], "concept", keyword, engine)))
    located.sort(key=lambda x: (x[0], x[1]))
    return [h for _, _, h in located], engine
