"""What was said on a call: pains, objections, risks, triggers, commitments.

`CallExtraction` is the schema both engines fill. The language-model engine fills it in one
structured call (prompt `meetings/extract`); `extract_offline` fills it with cue phrases,
extractively: every item quotes the sentence it rests on, so the offline engine is useful on
its own and its output can be checked against the transcript.

The offline rules, in short:

* Pains, objections, risks and buying triggers come from customer-side statements (never
  from questions, never from the rep's paraphrase); the one exception is a timing event
  a rep states for the customer ("your renewal is coming up on July 1"), a trigger. A
  sentence is classified by its first matching cue list, in the order objection, risk,
  pain, trigger; a cue preceded by a negation ("not a problem", "haven't missed") does not
  count. Adjacent sentences of one kind in one turn form one item (a trigger sentence is
  always its own item: each is a separate event); items of one kind that share most of
  their words are kept once; an item needs a few content words to stand on its own.
* A commitment is a statement with a commitment cue ("I'll", "we will", "let me", "I can
  send", "I'm going to") *and* a due phrase ("by Friday", "next Tuesday"), or with a
  strong cue ("I'll", "we'll", not "I can") followed by a deliverable verb ("I'll send the
  recording") when no date is said; the owner is the speaker. "You'll have the reference
  from me by Friday" and "expect our redlines by December 4th" are the speaker's
  commitments to send it. A request ("Can you have the MSA over by the 24th?") answered
  with a yes in the next turn ("Yes, we can do that.") is the answerer's commitment, unless
  that answer makes its own. Its text is the clause after the cue (or the request) without
  the due phrase, with first names expanded to the full names the caller knows and an
  apposition ("Marcus, our CRO,") turned into "Marcus Chen (CRO)"; its title is a short
  imperative derived from the text.
* Competitors: vendors named as an alternative ("a call from BinRoute", "Loadstar quoted
  us", "RouteMax's pricing", "the FleetPilot folks", "went with X", "switch to X"), never a
  person on the call or our own company; a tracked name spelled apart ("Route Max") is
  reported under the tracked spelling.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.meetings import prefilter
from sales_operator.meetings.dates import DueMatch, find_due, resolve_due_phrase
from sales_operator.meetings.learned import learned_kind
from sales_operator.meetings.transcript import Transcript

__all__ = [
    "CallExtraction",
    "ExtractedCommitment",
    "ExtractedDecision",
    "ExtractedInsight",
    "ExtractedMention",
    "Sentence",
    "classify",
    "clean_spoken",
    "commitment_title",
    "content_words",
    "cue_pattern",
    "extract_offline",
    "is_hypothetical",
    "name_key",
    "sentences",
    "split_sentences",
    "squash",
    "straight_quotes",
]


# --- the schema both engines fill -----------------------------------------------------------


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class ExtractedInsight(_Schema):
    """A pain, objection, risk or buying trigger, with the words it rests on."""

    text: str
    """The insight in one short line, in plain words."""
    quote: str
    """The sentence(s) from the transcript that show it, copied verbatim."""
    speaker: str
    """The speaker of the quote, exactly as labelled in the transcript."""
    start: float | None = None
    """Seconds from the start of the call where the quote is said (timed transcripts);
    null when the transcript has no times."""


class ExtractedCommitment(_Schema):
    """A next step somebody on the call committed to."""

    owner: str
    """The speaker who committed, exactly as labelled in the transcript."""
    title: str
    """A short imperative task title of 2-6 words, e.g. 'Send pricing proposal'."""
    text: str
    """What they committed to, as one imperative sentence with full names where known."""
    due: str | None = None
    """The due date as said ('by Friday', 'next Tuesday'), or an ISO date; null if none."""
    quote: str
    """The sentence from the transcript with the commitment, copied verbatim."""
    start: float | None = None
    """Seconds from the start of the call where the quote is said (timed transcripts);
    null when the transcript has no times."""


class ExtractedMention(_Schema):
    """A competitor or alternative vendor named on the call."""

    name: str
    """The vendor's name as it is usually written (e.g. 'RouteMax' for "Route Max")."""
    quote: str
    """The sentence from the transcript that names it, copied verbatim."""
    speaker: str
    """The speaker of the quote, exactly as labelled in the transcript."""
    start: float | None = None
    """Seconds from the start of the call where the quote is said (timed transcripts);
    null when the transcript has no times."""
    confidence: float | None = None
    """How sure the detection is, 0..1 (set by the offline engine; leave it null)."""
    how: str | None = None
    """What found it (set by the offline engine; leave it null)."""


class ExtractedDecision(_Schema):
    """A decision the people on the call reached ("we'll go with the yellow case")."""

    text: str
    """What was decided, in one short line (e.g. 'Go with the rubber case')."""
    quote: str
    """The sentence from the transcript that states the decision, copied verbatim."""
    speaker: str
    """The speaker of the quote, exactly as labelled in the transcript."""
    start: float | None = None
    """Seconds from the start of the call where the quote is said (timed transcripts);
    null when the transcript has no times."""


class CallExtraction(_Schema):
    """Everything extracted from one sales call."""

    pains: list[ExtractedInsight] = Field(default_factory=list)
    """Problems the customer described in their current way of working."""
    objections: list[ExtractedInsight] = Field(default_factory=list)
    """Customer concerns or pushback about buying (price, risk, fit, incumbents)."""
    risks: list[ExtractedInsight] = Field(default_factory=list)
    """Things that could stall or lose the deal (approvals, freezes, delays)."""
    triggers: list[ExtractedInsight] = Field(default_factory=list)
    """Events that create urgency to buy (growth, new leaders, deadlines)."""
    commitments: list[ExtractedCommitment] = Field(default_factory=list)
    """Next steps somebody committed to, with their due dates."""
    decision_makers: list[str] = Field(default_factory=list)
    """People named as deciding or signing off, as 'Full Name (Title)' when known."""
    competitors: list[ExtractedMention] = Field(default_factory=list)
    """Competing vendors named as an alternative, an incumbent or a price benchmark (not
    our own company or product, not tools that are merely integrated with)."""
    summary: str = ""
    """Three to five sentences summarising the call for the CRM."""
    decisions: list[ExtractedDecision] = Field(default_factory=list)
    """Decisions reached on the call (what was chosen, agreed or ruled out), not proposals
    still open or questions."""


# --- sentences ------------------------------------------------------------------------------

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "inc", "ltd", "co", "approx", "jr"}
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)]*\s+")


# Hesitations: the words um+, uh+, er, erm, uhm, hmm+, mm-hmm (mmhmm), in any case, after no
# word character or apostrophe. Written to start with a plain character class, with the case
# spelled out, so that the engine skips to candidate letters instead of trying every position
# (`re.IGNORECASE` would forbid that skip, and folds no non-ASCII letter to these); it matches
# exactly what `(?<![\w'])(?:um+|uh+|erm?|uhm|hmm+|mm-?hmm)(?![\w'])[,.]?\s*` does, ignoring
# case (`tests/unit/test_meetings_speed.py` holds both to the same answers).
_FILLER_WORDS = re.compile(
    r"[eEhHmMuU](?<![\w'].)"
    r"(?:(?<=[uU])(?:[mM]+|[hH]+|[hH][mM])|(?<=[eE])[rR][mM]?|(?<=[hH])[mM][mM]+"
    r"|(?<=[mM])[mM]-?[hH][mM][mM])"
    r"(?![\w'])[,.]?\s*"
)
_DISCOURSE = re.compile(
    r",\s*(?:like|you know|i mean|how (?:it's|it is|is it) called|how you say|basically|"
    r"honestly|actually|to be honest|sort of|kind of)\s*(?=,)",
    re.IGNORECASE,
)
# possessive (++): a word cut short can never be followed by the comma or space the copy needs
_REPEATED = re.compile(r"\b([\w']++(?:\s++[\w']++)?)(?:,?\s++\1\b)+", re.IGNORECASE)


_FIRST_GROUP = operator.methodcaller("group", 1)
"""`pattern.sub(_FIRST_GROUP, text)` is `pattern.sub(r"\\1", text)` without parsing the
template on every call."""

_ASCII_WORD = r"[a-z0-9_']"
r"""`[\w']` on lower-cased ASCII text."""
_ASCII_SPACE = r"[\s\x1c-\x1f]"
r"""`\s` on ASCII text, under `re.ASCII` (which leaves out the separators \x1c-\x1f)."""
_REPEATED_ASCII = re.compile(
    rf"\b({_ASCII_WORD}++(?:{_ASCII_SPACE}++{_ASCII_WORD}++)?)(?:,?{_ASCII_SPACE}++\1\b)+",
    re.ASCII,
)
"""`_REPEATED` for lower-cased ASCII text (see `sub_repeats`)."""


def sub_repeats(text: str, pattern: re.Pattern[str], ascii_pattern: re.Pattern[str]) -> str:
    r"""Return `pattern.sub(r"\1", text)`: each repeat kept once, as first said.

    `pattern` ignores case and reads `\w` and `\s`; on an ASCII text, `ascii_pattern` is
    the same pattern written for the text lower-cased (`[a-z0-9_']`, ASCII white space, a
    case-sensitive back-reference), which matches at the same places, faster: no Unicode
    table is asked per character and no character is case-folded per comparison. The
    repeats' own text is copied from `text`, so the case is kept.
    """
    if not text.isascii():
        return pattern.sub(_FIRST_GROUP, text)
    out: list[str] = []
    last = 0
    for m in ascii_pattern.finditer(text.lower()):
        out += (text[last : m.start()], text[m.start(1) : m.end(1)])
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


_DOUBLE_COMMA = re.compile(r",\s*,")
_COMMA_BEFORE_PUNCT = re.compile(r"\s*,\s*(?=[,.;?!])")
_COMMA_AT_PUNCT = re.compile(r",\s*(?=[,.;?!])")
r"""Found in a text exactly when `_COMMA_BEFORE_PUNCT` is (its matches are these, with the
white space before the comma): it starts with the comma, so the engine skips to commas,
where `_COMMA_BEFORE_PUNCT`, starting with `\s*`, is tried at every position."""
_LEADING_COMMA = re.compile(r"^\s*,\s*")


def single_spaced(text: str) -> str:
    """Return `" ".join(text.split())`: the words of `text` with single spaces between.

    A text whose only white space is single spaces between words is returned as it is,
    without splitting it into words: every white-space character but the space is
    unprintable, so a printable text with no two spaces together and none at an end is
    such a text.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def clean_spoken(text: str) -> str:
    """Return `text` without hesitations, comma-set fillers and repeated words.

    "um", "uh"; ", you know,"; "I'll, I'll", "the, the"; quotes are straightened.
    """
    t = _FILLER_WORDS.sub("", straight_quotes(text))
    for _ in range(2):
        if "," not in t:  # (every comma step below needs a comma)
            break
        t = _DISCOURSE.sub("", t)
    t = sub_repeats(t, _REPEATED, _REPEATED_ASCII)
    if "," in t:
        t = _DOUBLE_COMMA.sub(",", t)
        if _COMMA_AT_PUNCT.search(t):
            t = _COMMA_BEFORE_PUNCT.sub("", t)
        t = _LEADING_COMMA.sub("", t)
    return single_spaced(t)


_ONE_WORD_CHAR = re.compile(r"\w")


def split_sentences(text: str) -> list[str]:
    """Split a turn into sentences (on `.`, `!` or `?` followed by a space)."""
    first = _SENTENCE_END.search(text)
    if first is None:  # (most turns: one sentence, its mark, if any, at the very end)
        whole = text.strip()
        return [whole] if whole else []
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text, first.start()):
        head = text[start : m.start()]
        last = head.rsplit(None, 1)[-1].lower() if head.strip() else ""
        if m.group().startswith(".") and (last in _ABBREVIATIONS or _ONE_WORD_CHAR.fullmatch(last)):
            continue  # "Mr. Chen", "e.g. this", "J. Smith"
        following = text[m.end() : m.end() + 1]
        fragment = m.group().startswith(("?", "!")) or not (len(last) >= 3 and last.isalpha())
        if following and following.islower() and fragment:
            continue  # "approx. ten", "Really? yes": a fragment; "sees. end of ..." splits
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


@dataclass(frozen=True)
class Sentence:
    """One sentence of one turn, with who said it."""

    turn: int
    """Index of the turn in the transcript."""
    index: int
    """Index of the sentence within the turn."""
    speaker: str
    """The speaker label."""
    side: str
    """`rep`, `customer` or `unknown`."""
    text: str
    """The sentence as spoken."""
    start: float | None
    """Start of the turn in seconds, when known."""

    @cached_property  # asked by every rule of every sentence; kept in the instance dict
    def question(self) -> bool:
        """Whether the sentence is a question."""
        return _is_question(self.text)


def _is_question(text: str) -> bool:
    return text.rstrip("\"'”’) ").endswith("?")


_new_object = object.__new__


def _sentence(
    turn: int,
    index: int,
    speaker: str,
    side: str,
    text: str,
    start: float | None,
    question: bool | None = None,
) -> Sentence:
    """Return `Sentence(turn, index, speaker, side, text, start)`, built faster.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`; this
    fills the instance dict at once, with `question` already answered (as the cached
    property would keep it; pass it when known). The result is equal to, and hashes as,
    the plain one.
    """
    s = _new_object(Sentence)
    s.__dict__.update(
        turn=turn,
        index=index,
        speaker=speaker,
        side=side,
        text=text,
        start=start,
        question=_is_question(text) if question is None else question,
    )
    return s


def sentences(transcript: Transcript, sides: Mapping[str, str]) -> list[Sentence]:
    """Return every sentence of the transcript with its speaker and side."""
    out: list[Sentence] = []
    said: dict[str, list[tuple[str, bool]]] = {}  # a turn's text -> its sentences, asked
    for ti, turn in enumerate(transcript.turns):
        side = sides.get(turn.speaker, "unknown")
        speaker, start = turn.speaker, turn.start
        parts = said.get(turn.text)
        if parts is None:  # (a call repeats many short turns: "Yeah.", "Okay.")
            parts = said[turn.text] = [(t, _is_question(t)) for t in split_sentences(turn.text)]
        for si, (text, question) in enumerate(parts):
            out.append(_sentence(ti, si, speaker, side, text, start, question))
    return out


_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own really right same she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up us very was wasn't we we'd we'll
    we're we've well were weren't what what's when when's where where's which while who who's
    whom why why's will with won't would wouldn't yeah yes you you'd you'll you're you've your
    yours yourself yourselves okay ok honestly basically actually thing things one lot get got
    going gonna want know think mean kind sort bit pretty every""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def straight_quotes(text: str) -> str:
    """Return `text` with curly apostrophes (’ ‘) written as straight ones (')."""
    if text.isascii():  # (a flag of the string: no scan) no curly apostrophe in it
        return text
    return text.replace("’", "'").replace("‘", "'")


_LETTER_DIGIT_RUN = re.compile(r"[^\W_]+")
_ASCII_LETTER_DIGIT_RUN = re.compile(r"[a-z0-9]+")
"""`_LETTER_DIGIT_RUN` on lower-cased ASCII text (no Unicode table asked per character)."""
_ASCII_RUNS = bytes(
    c
    if chr(c).isascii() and chr(c).isalnum() and not chr(c).isupper()
    else c + 32
    if chr(c).isascii() and chr(c).isupper()
    else ord(" ")
    for c in range(256)
)
"""Byte table: an ASCII letter lower-cased, a digit kept, any other byte a space; the
`split()` of an ASCII text's bytes so translated is `_ASCII_LETTER_DIGIT_RUN.findall` of
the text lower-cased."""


@lru_cache(maxsize=8192)
def squash(text: str) -> str:
    """Return the lower-cased letter/digit runs of `text` joined by single spaces.

    Two texts that differ only in case, punctuation or spacing squash alike, so a quote
    can be found in the transcript it was copied from.
    """
    if text.isascii():  # the ASCII runs, lower-cased by the byte table: no word is made twice
        return b" ".join(text.encode().translate(_ASCII_RUNS).split()).decode()
    low = text.replace("’", "'").lower()
    return " ".join((_ASCII_LETTER_DIGIT_RUN if low.isascii() else _LETTER_DIGIT_RUN).findall(low))


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def name_key(name: str) -> str:
    """Return the key under which two spellings of a company name are the same.

    Letters and digits only, case-folded: "Route Max", "route-max" and "RouteMax" agree.
    """
    return _NOT_ALNUM.sub("", name.casefold())


def content_words(text: str) -> set[str]:
    """Return the lower-cased words of `text` that carry meaning (no stop words)."""
    return {
        w
        for w in _WORD.findall(straight_quotes(text).lower())
        if w not in _STOPWORDS and len(w) > 2
    }


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


# --- cue lists ------------------------------------------------------------------------------


def cue_pattern(*patterns: str) -> re.Pattern[str]:
    """Return one case-insensitive pattern matching any of `patterns`."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Spoken forms by class (round 4, i9e): hedged refusals, money said plainly, someone else's
# veto, timing that does not fit ("not sure we can", "for us it's a lot of money", "legal is
# gonna have a problem with that", "I don't think we can do it", "she won't do three years").
SPOKEN_OBJECTION_CUES = (
    r"\b(?:a lot of|lots of|too much|serious|big) money\b"
    r"|\b(?:number|price|cost|quote)s? (?:has|have|needs?|must) to (?:be different|come down|"
    r"be lower|drop|change)\b"
    r"|\b(?:have|has|having) (?:a |an |real |big )?(?:problem|issue|concern)s? with "
    r"(?:that|it|this|the|your|how|reading|sharing)\b"
    r"|\b(?:don't|do not|doesn't) think (?:we|I|they|she|he|it) (?:can|could|will|would)\b"
    r"|\b(?:won't|will not|wouldn't|would never|refuses? to) (?:do|sign|accept|agree to|go for|"
    r"approve|pay)\b"
    r"|\b(?:can't|cannot|can not) (?:really )?(?:start|begin|go live|justify|"
    r"afford|do (?:it|that|this|anything))\b"
    r"|\btiming (?:is|isn't|is not) (?:not )?(?:great|good|ideal|right|bad|tough|tricky)\b"
)
# Round 5 (mq), by class, from the misses on the sentence bank (evals/datasets/
# insight_sentences.tsv), never from a held-out call: a third party's reaction foreseen ("my
# CFO is going to ask why", "legal will push back", "the partners won't be thrilled"), users
# who will resist ("they'll just ignore it", "set in their ways", "tired of new tools"), cost
# said against an expectation or a rival ("higher than we had in mind", "paying twice", "out
# of reach"), terms and timing ("not comfortable with the auto-renewal", "wait until the new
# fiscal year", "in the middle of our busy season"), a gap that blocks ("won't work without",
# "a non-starter") and lukewarm trust ("a tough sell", "lukewarm", "cautious").
R5_OBJECTION_CUES = (
    r"\b(?:is|are|'s|'re) (?:going|gonna) to (?:ask|say|want to know|question|push back|"
    r"have (?:a |something )|object)\b"
    r"|\b(?:will|'ll|would|'d) (?:\w+ ){0,2}(?:ask (?:why|whether|if|how)|push back|object|"
    r"have something to say|insist on|want to see a lot|resist|fight|ignore)\b"
    r"|\b(?:not|n't) (?:going|gonna) to (?:love|like|be (?:happy|thrilled|keen|pleased))\b"
    r"|\b(?:won't|wouldn't|may not|might not|will not|would not) (?:\w+ )?(?:be |feel )?"
    r"(?:happy|thrilled|keen|pleased|comfortable|love|like)\b"
    r"|\bnot (?:\w+ )?(?:comfortable|keen|thrilled|happy) (?:with|about|on|to)\b"
    r"|\b(?:set in (?:their|our|his|her) ways|tired of|allergic to|intimidat\w+|apprehensive|"
    r"lukewarm|cautious|reluctant|resist\w*|non-?starter|tough sell|hard sell|"
    r"hard conversation|holding (?:us|me|them) back|put (?:us|them) off)\b"
    r"|\bgo(?:ing)? back to (?:the )?(?:paper|clipboards?|notebooks?|old (?:way|system))\b"
    r"|\b(?:higher|more|bigger|steeper) than (?:\w+ ){0,2}(?:we|I) (?:had in mind|expected|"
    r"imagined|thought|planned|budgeted|are prepared|were hoping|can)\b"
    r"|\bpay(?:ing)? (?:\w+ )?twice for\b|\bpay(?:ing)? for both\b|\bpay(?:ing)? for (?:\w+ ){0,2}"
    r"(?:features|things|modules) (?:we|we'll|we will) (?:never|not|don't)\b"
    r"|\b(?:out of reach|quite a lot for|a lot for (?:a|an|us|our))\b"
    r"|\b(?:there isn't|there is no|there's no) (?:a |any )?budget\b|\bbudget(?:'s| is) "
    r"(?:spent|gone|used up)\b|\bfits? (?:in|into) (?:\w+ )?(?:next year's|this year's|the) "
    r"budget\b"
    r"|\bin the middle of (?:our |the )?(?:busy|peak|high) season\b"
    r"|\b(?:won't|will not|wouldn't|doesn't|does not) work (?:in|for|without|with)\b"
    r"|\bmore than (?:we're|we are|I'm|I am) (?:prepared|willing|ready|able)\b"
    r"|\bhard to ignore\b|\blooked? (?:a bit |quite |pretty |rather )?thin\b"
    r"|\b(?:a lot of|too much|big) change for\b"
    r"|\b(?:don't|do not) (?:think|see) (?:\w+ ){0,3}(?:will|would|'ll) (?:be )?(?:want|use|"
    r"accept|like|love|go for|pick|agree|sign|happy|thrilled|keen|pleased|comfortable)\b"
)
OBJECTION_CUES = cue_pattern(
    r"\btoo (?:expensive|pricey|costly|much|high|complex|complicated|long|risky|early)\b",
    r"\bexpensive\b",
    r"\bconcern(?:s|ed)?\b",
    r"\bnot (?:sure|convinced)\b",
    r"\bworr(?:y|ied|ies|ying)\b",
    r"\b(?:we|I)(?:'ve| have)? already have\b|\balready (?:use|using|pay for|work with|signed)\b",
    r"\b(?:tight|limited|no|over(?: the| our)?|outside(?: the| our)?|beyond(?: the| our)?) budget",
    r"\bbudgets? (?:is|are) (?:tight|limited|spent|gone|frozen|small)\b",
    r"\bmore than (?:we|I) (?:budgeted|planned|expected|pay|spend|wanted)\b",
    r"\b(?:hesitant|hesitat\w*|skeptic\w*|sceptic\w*|doubts?|pushback|deal[- ]?breaker)\b",
    r"\bdon't see (?:the value|how|why)\b",
    r"\bcheaper\b",
    r"\bburned before\b|\bbeen burned\b",
    r"\bhard to (?:swallow|justify|sell)\b|\bsteep\b|\bsticking point\b",
    r"\b(?:won't|can't|cannot|couldn't|wouldn't|will not|would not) accept\b",
    r"\bcame in (?:\w+ ){0,4}(?:under|below|lower|cheaper)\b",
    r"\b(?:quote|price|pricing|offer|bid) (?:was|is|came in) (?:\w+ ){0,2}"
    r"(?:lower|cheaper|under)\b",
    r"\bprice will come up\b|\bquoted us\b",
    r"\b(?:pric\w*|cost|fees?|quote|contract|terms?|minimum)\b(?: \w+){0,4} (?:is|was) "
    r"(?:the |a |our )?(?:problem|issue)\b",
    r"\b(?:upfront|up-front|implementation|onboarding|setup|set-up) fees?\b",
    r"\bdoesn't (?:work|make sense) for (?:us|a|an|our)\b|\bmakes no sense\b",
    r"\brefused to use\b|\b(?:won't|wouldn't) (?:use|adopt)\b",
    r"\bnervous\b|\buneasy\b|\bwary\b",
    r"\byour (?:product|system|tool|software|app|platform|solution)s? (?:doesn't|does not|didn't|"
    r"can't|cannot|couldn't|won't|wouldn't|lacks?|has no|had no)\b",
    SPOKEN_OBJECTION_CUES,
    R5_OBJECTION_CUES,
)
RISK_CUES = cue_pattern(
    r"\bon hold\b|\bfreeze\b|\bfrozen\b",
    # round 5 (mq): a purchase waiting for something else ("wait until the new fiscal year",
    # "no new systems until", "until the merger is done")
    r"\b(?:wait|hold off|sit tight)(?: \w+){0,3} until\b|\buntil (?:after )?the (?:\w+ ){0,2}"
    r"(?:is|are|has|have) (?:done|finished|over|closed|in|completed?)\b|\bno new (?:\w+ )?until\b"
    r"|\b(?:take on|start) (?:a |any )?new (?:project|system)s? until\b",
    r"\bnot a (?:top |high )?priority\b|\b(?:competing|other) priorities\b",
    r"\breorg\w*|\brestructur\w*|\blayoffs?\b",
    r"\bdelay(?:ed|s)?\b|\bpush(?:ed)? (?:back|out)\b|\bslipp?(?:ed|ing)\b",
    r"\blocked in(?:to)?\b|\bunder contract\b",
    r"\bprocurement\b|\blegal review\b|\bsecurity review\b",
    r"\bsign[- ]?off\b|\bsigns? off\b|\bneeds? (?:the )?approval\b|\bapproval from\b",
    r"\bleaving the company\b|\bchampion (?:left|is leaving)\b",
    r"\bcan't (?:promise|commit|guarantee)\b|\bno promises\b",
    r"\b(?:can't|cannot) sign\b",
)
# Spoken forms by class (round 4, i9e): what "kills" or "drives us crazy", a mess, work kept
# on paper or in chat groups, not knowing where things are, things that never arrive, a team
# stretched thin, numbers that are a guess or off by a lot.
SPOKEN_PAIN_CUES = (
    r"\b(?:kills?|killing|hurts?|hurting) (?:us|me)\b|\bdrives? (?:us|me|them|everyone) "
    r"(?:crazy|mad|nuts)\b|\b(?:it's|is|a) (?:a )?(?:real |total |complete |bit of a )?"
    r"(?:mess|chaos|disaster)\b|\bchaotic\b|\bpanic\w*|\bscrambl\w*|\bfirefight\w*"
    r"|\bon paper\b|\bnotebooks?\b|\bwhatsapp\b|\bpost-?its?\b|\bsticky notes\b"
    r"|\b(?:don't|do not|can't|cannot) (?:see|know|tell) (?:where|when|what|which|if|how|who)\b"
    r"|\bno (?:answer|clue)\b|\bnever (?:arrives?|reach(?:es)?|get (?:there|to)|show up|"
    r"make it)\b|\b(?:don't|doesn't|never) (?:update|log|enter|fill in)\b"
    r"|\b(?:overloaded|swamped|drowning|understaffed|short[- ]staffed|burn(?:ed|t) out)\b"
    r"|\b(?:my|our) (?:team|people|staff|planners|guys|dispatchers|ops people) (?:is|are) "
    r"(?:already |really |so |totally |completely )?stretched\b|\bstretched thin\b"
    r"|\bdouble[- ]entry\b|\bdidn't backfill\b|\bnot backfilled\b"
    r"|\b(?:a|just a|basically a) guess\b|\bguesswork\b|\boff by\b"
    r"|\blos(?:e|es|ing|t) (?:\w+ ){0,2}(?:people|staff|drivers|planners|employees|"
    r"coordinators|dispatchers|reps|headcount)\b"
    r"|\btakes? (?:my|our|the) (?:\w+ ){0,2}(?:planners?|team|people|guys|staff|dispatchers?)"
    r" (?:until|till|all|hours|half)\b"
)
# Round 5 (mq), by class, from the sentence bank's misses: what goes wrong as a consequence
# ("the schedule falls apart", "patients turn up for cancelled appointments", "leads sit
# untouched", "we write off five percent", "we had to refund"), work kept in the wrong place
# ("a whiteboard", "photos of timesheets", "a sticky note", "a quote typed in Word") and
# things nobody does or knows ("nobody writes them down", "we only find out when").
R5_PAIN_CUES = (
    r"\bfalls? apart\b|\bgoes? with (?:them|him|her)\b|\bturns? up (?:without|for|to|at) \w+"
    r"|\bcomes? back (?:unreadable|wrong|damaged|late|empty|wet|torn)\b|\bsits? untouched\b"
    r"|\bslips? through\b|\b(?:nobody|no one|no-one) (?:\w+ )?(?:writes|calls|gets|tells|checks|"
    r"updates|follows|answers|reads)\b|\bthrows? (?:\w+ )?away\b|\bthrow(?:s|ing)? out\b"
    r"|\bwrite(?:s)? off\b|\bwritten off\b|\bhad to (?:refund|cancel|pay back|redo|re-?do)\b"
    r"|\b(?:fines?|penalt(?:y|ies)) (?:for|from|last)\b|\bwait (?:\w+ )?(?:minutes|hours|days) "
    r"(?:on hold|for)\b|\bon hold for\b"
    r"|\bstill (?:emailing|printing|faxing|typing|writing|phoning|posting|re-?keying)\b"
    r"|\b(?:on|lives on|kept on|written on) (?:a|the) whiteboard\b"
    r"|\bphotos of (?:the |their |our )?(?:\w+ )?(?:sheets?|timesheets?|notes?|"
    r"forms?|rota|board|delivery notes?|tickets?)\b|\bsticky note\b|\bby phone and\b"
    r"|\bonly (?:find out|know|hear|notice)\b|\binstead of (?:selling|driving|working|"
    r"serving|planning)\b|\bnever know\b|\b(?:don't|do not) trust\b|\bkeep (?:their|our|his|her)"
    r" own (?:lists?|spreadsheets?|notes|records)\b|\b(?:\w+ ){0,1}screens open\b"
    r"|\b(?:three|four|five|several|two) times a day\b|\bevery (?:night|evening|weekend)\b"
    r"|\b(?:in|into) (?:Word|a Word document|email)\b|\bout of date\b"
)
PAIN_CUES = cue_pattern(
    r"\bwe spend\b|\bspend(?:s|ing)?\s+(?:about |around |roughly |over |nearly |almost |up to )?"
    r"(?:\w+ )?(?:minutes|hours?|days?|weeks?|half)\b",
    r"\btakes? us\b|\btaking us\b|\btook us\b",
    r"\bmanual(?:ly)?\b|\bby hand\b|\bre-?key\w*",
    r"\bspreadsheets?\b|\bexcel\b",
    r"\bstruggl\w*",
    r"\bproblems?\b|\bissues?\b",
    r"\bpain(?:ful| points?)?\b",
    r"\bmiss(?:ed|ing|es)?\b",
    r"\bno (?:\w+ )?(?:visibility|insight|view|way to)\b|\bblind\b",
    r"\bcan't\b|\bcannot\b|\bcan not\b|\bunable to\b",
    r"\bfrustrat\w*",
    r"\bcost(?:s|ing)? us\b",
    r"\bwast(?:e|es|ed|ing)\b",
    r"\bbottlenecks?\b|\bheadaches?\b|\berror[- ]prone\b|\binefficien\w*|\bbroken\b",
    r"\btoo slow\b|\bslow down\b",
    r"\bchasing\b|\blate deliver\w*",
    r"\blos(?:e|es|ing|t) (?:\w+ ){0,3}(?:hours|time|money|customers?|deals|track|accounts?|"
    r"clients?|business)\b",
    r"\bget(?:s)? lost\b|\bgot lost\b|\ball in (?:my|his|her|our|their|someone's) head\b",
    r"\bwrong (?:truck|driver|address|part|site|van|order|stop)s?\b",
    r"\b(?:run|runs|running|go|goes|went|going) (?:out )?(?:\w+ ){0,2}late\b",
    r"\b(?:they|customers|people|drivers) hate\b|\bhates? it\b",
    r"\bno idea\b|\b(?:nobody|no one) (?:sees|knows|checks|plans|tracks)\b",
    r"\buseless\b|\bqueu(?:e|ed|es|ing) for\b",
    r"\bcomplain\w*",
    r"\bchalleng\w*|\btedious\b|\btime[- ]consuming\b|\bnightmare\b|\bcumbersome\b|\bclunky\b",
    r"\bhard to\b|\bdifficult\b",
    r"\bstuck (?:at|with|on)\b|\bdouble[- ]?book\w*|\bdon't talk(?: to each other)?\b",
    r"\bwithout the right\b|\bruns? (?:long|over)\b|\b(?:jobs?|everything|it all) slides?\b",
    r"\bspend(?:s|ing)? (?:the |a |an |all |half |the whole |a whole )?(?:whole )?"
    r"(?:morning|afternoon|evening|day|week)\b",
    r"\bcome back empty\b|\bfor nothing\b|\bhaven't changed in\b|\bout of date\b",
    SPOKEN_PAIN_CUES,
    R5_PAIN_CUES,
)
# Events that create urgency even when the sentence also names a pain ("We're opening a second
# location in June, and I can't run two whiteboards"): checked before the pain cues.
TRIGGER_EVENT_CUES = cue_pattern(
    r"\bacqui(?:red|sition)\b|\bmerg(?:er|ing)\b|\bjust (?:bought|took on|won|signed|landed)\b",
    r"\b(?:took|taking|take) on (?:\w+ ){0,2}(?:more|new|another)\b",
    r"\bopen(?:ing|s)? (?:a |an |two |three )?(?:second|third|new|another)\b",
    r"\b(?:signed|won) (?:a|the|an) (?:\w+ ){0,3}contract\b",
    r"\bapproved (?:a|the|our|an)? ?(?:[\w-]+ ){0,2}budget\b|\bbudget (?:approved|allocated)\b",
    r"\bnew (?:[\w-]+ ){0,3}(?:director|manager|head|chief|vp|ceo|cfo|coo|cro|cio|president)\b",
    r"\bmandate\b|\bnow requires?\b|\brequires? (?:\w+ ){0,4}from (?:january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b",
    r"\bwon (?:a|the|an|our) (?:\w+ ){0,3}(?:tender|bid|rfp|account|deal)\b",  # round 4
)
# Round 5 (mq), by class, from the sentence bank's misses: a contract, licence or system
# that ends ("our contract with the old supplier ends in June", "is being switched off"), a
# rule that starts ("from October every visit has to be logged", "the council has told us
# all contractors must"), growth said with other verbs ("doubling", "launching in Germany",
# "taking over the contract", "picking up their customers"), ownership changes ("bought by",
# "merged with"), a customer's new demand ("just told us they want"), money with a deadline.
_MONTH_WORDS = (
    r"january|february|march|april|may|june|july|august|september|october|november|"
    r"december|spring|summer|autumn|fall|winter|the new year|next year"
)
_MONTH = f"(?:{_MONTH_WORDS})"
R5_TRIGGER_CUES = (
    r"\b(?:contract|licen[cs]e|agreement|subscription|lease|support)\b(?: [\w']+){0,5} "
    r"(?:ends|expires|runs out|is up|renews|lapses)\b|\bruns? out (?:at|in|on|by) (?:the )?"
    r"(?:end|" + _MONTH_WORDS + r")"
    r"|\b(?:being|be|is|are) (?:switched off|discontinued|retired|sunset|end of life)\b"
    r"|\bno longer (?:be )?supported\b"
    r"|\b(?:regulator|regulation|law|rules?|council|government|authority|ministry|insurer|"
    r"auditors?)\b(?: [\w']+){0,4} (?:has |have )?(?:changed|requires?|told us|"
    r"now (?:requires?|wants|says|insists)|applies|insists?|mandates?)\b"
    r"|\bfrom " + _MONTH + r"\b(?: [\w']+){0,6} (?:has to|have to|must|needs? to)\b"
    r"|\b(?:must|has to|have to) (?:\w+ ){0,4}from " + _MONTH + r"\b"
    r"|\b(?:doubling|tripling|launching|rolling out|taking over|picking up)\b"
    r"|\bshortlisted\b|\bwon (?:a|the|an|our) (?:\w+ ){0,3}(?:framework|agreement|contract)\b"
    r"|\b(?:bought|acquired|taken over) by\b|\bmerged with\b"
    r"|\b(?:just )?told us (?:that )?(?:they|we) (?:want|need|must|require)\b"
    r"|\bhas to be spent by\b|\bas a condition of\b"
    r"|\b(?:client|customer|contract|site|account)s? (?:\w+ ){0,2}starts? (?:sending|in|on|next|"
    r"from|with)\b"
)
TRIGGER_CUES = cue_pattern(
    r"\bgrow(?:ing|th)?\b|\bexpan(?:d|ding|sion)\b|\bscal(?:e|ing) up\b",
    r"\bnew (?:distribution|warehouse|hub|site|location|market|region|depot|facility|"
    r"cro|ceo|cfo|coo|vp|head|leadership)",
    r"\bopen(?:ing|s)? (?:\w+ )?(?:new|distribution|centres?|centers?|sites?|hubs?|"
    r"warehouses?|depots?)\b",
    r"\bhiring\b|\bacqui(?:red|sition)\b|\bmerger\b|\bjust joined\b",
    r"\bmandate\b|\bdeadline\b|\b(?:first|top) priority\b|\bpriority this year\b",
    r"\bpeak season\b",
    r"\bcontract (?:ends|expires|is up|renews)\b|\bbudget (?:approved|allocated)\b",
    r"\b(?:signed|won) (?:a|the|an) (?:\w+ ){0,3}contract\b",
    r"\b(?:budget|budgeting|planning) (?:round|cycle)\b",
    r"\bneed (?:this|it) (?:running|live|in place|up and running) (?:before|by)\b",
    r"\bhas to be live\b|\brenewal (?:is|comes) (?:coming )?(?:up|due|on)\b",
    TRIGGER_EVENT_CUES.pattern,
    # round 4 (i9e), after the pain cues: audits and certifications, documentation duties,
    # people joining, system migrations ending
    r"\b(?:audit|certification|accreditation|inspection)\b",
    r"\bmust be (?:documented|certified|compliant|audited|recorded|traceable)\b",
    r"\b(?:joins|joining|starts|starting|came on board|comes on board) (?:us )?(?:in|on|next|"
    r"this) (?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|week|month|quarter|monday|tuesday|wednesday|thursday|friday)\b",
    r"\bmigration (?:finishes|ends|is done|completes|goes live)\b",
    R5_TRIGGER_CUES,
)
# Timing events a rep may state for the customer ("your renewal is coming up on ...").
_REP_TRIGGER = cue_pattern(
    r"\brenewal (?:is|comes) (?:coming )?(?:up|due|on)\b",
    r"\bcontract (?:ends|expires|is up|renews)\b",
)
# same matches, tried at fewer positions (after `TRIGGER_CUES`, which embeds the source of
# `TRIGGER_EVENT_CUES`; `PAIN_CUES` and `TRIGGER_CUES` have branches no literal begins)
OBJECTION_CUES = prefilter.start_gated(OBJECTION_CUES)
RISK_CUES = prefilter.start_gated(RISK_CUES)
TRIGGER_EVENT_CUES = prefilter.start_gated(TRIGGER_EVENT_CUES)
_REP_TRIGGER = prefilter.start_gated(_REP_TRIGGER)
_KIND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("objection", OBJECTION_CUES),
    ("risk", RISK_CUES),
    ("trigger", TRIGGER_EVENT_CUES),
    ("pain", PAIN_CUES),
    ("trigger", TRIGGER_CUES),
)
# Phrases that contain a cue but never carry one ("no problem", "can't wait").
_NEUTRAL = cue_pattern(
    r"\bno (?:problem|problems|issue|issues|worries|concerns?)\b",
    r"\bcan't (?:wait|complain|remember|thank|stress|emphasi[sz]e|hear|see (?:you|your|the) "
    r"screen)\b",
    r"\bpain in the\b",
    r"\b(?:not|never) (?:an? )?(?:\w+ )?(?:problem|issue)\b",
    r"\b(?:sorry,? )?(?:I'm|I am|we're|we are) running (?:a (?:bit|little) )?late\b",
)
_NEGATORS = frozenset(
    """no not never isn't wasn't aren't weren't don't doesn't didn't haven't hasn't hadn't
    without won't wouldn't hardly barely nothing nobody""".split()
)

COMMITMENT_CUES = re.compile(
    r"\b(?:I'll|I will|I shall|we'll|we will|I'm going to|I am going to|I'm gonna|"
    r"we're going to|we are going to|we're gonna|let me|let us|"
    r"(?:I|we) can(?=\s+(?:send|share|get|have|set up|book|schedule|forward|email|intro\w*)\b)|"
    r"(?:I'm|I am|we're|we are)(?=\s+(?:sending|forwarding|emailing|sharing)\b))\s+",
    re.IGNORECASE,
)
COMMITMENT_CUES = prefilter.start_gated(COMMITMENT_CUES)  # same matches, tried at fewer positions
# "I'm sending you the case study right after this call": a commitment only with a due date.
_PROGRESSIVE = re.compile(r"^(?:I'm|I am|we're|we are)\s*$", re.IGNORECASE)
_BASE_FORM = {"sending": "send", "forwarding": "forward", "emailing": "email", "sharing": "share"}
_NOT_A_COMMITMENT = re.compile(
    r"^(?:be (?:honest|frank|out|away|off|on (?:vacation|holiday|leave|pto)|travel\w*|in|at|"
    r"there|back|around|happy|glad|fine|able)|have to see|see\b|think\b|know\b|admit\b|say\b)",
    re.IGNORECASE,
)


_LAST_CLAUSE = re.compile(r"[,;:]\s*[^,;:]*$")


def _negated(text: str, start: int) -> bool:
    before = _WORD.findall(straight_quotes(text[:start]).lower())[-3:]
    clause_break = _LAST_CLAUSE.search(text[:start])
    if clause_break is not None:
        before = _WORD.findall(straight_quotes(clause_break.group()).lower())[-3:]
    return any(w in _NEGATORS or w.endswith("n't") for w in before)


@lru_cache(maxsize=4096)
def _masked(text: str) -> str:
    """Return `text` with its neutral phrases blanked out (same length; each text once)."""
    text = straight_quotes(text)
    if not prefilter.could_match(_NEUTRAL, text):  # (most texts: no neutral phrase to blank)
        return text
    return _NEUTRAL.sub(lambda m: " " * len(m.group()), text)


def _cue_hit(pattern: re.Pattern[str], text: str) -> bool:
    masked = _masked(text)
    if not prefilter.could_match(pattern, masked):
        return False
    return _masked_hit(pattern, masked)


def _masked_hit(pattern: re.Pattern[str], masked: str) -> bool:
    """Return whether `pattern` has a match in the `_masked` text that no negation governs."""
    return any(not _negated(masked, m.start()) for m in pattern.finditer(masked))


# A statement that reassures ("that's not really an issue for us") raises nothing.
_REASSURANCE = cue_pattern(
    r"\b(?:not|never|isn't|wasn't|won't be)\s+(?:really\s+|much\s+of\s+|that\s+)?(?:an?\s+)?"
    r"(?:big\s+|real\s+|major\s+)?(?:problem|issue|concern|worry|risk|blocker)s?\b",
    r"\bno (?:problem|issue|concern|worry|risk|blocker)s?\b",
    r"\b(?:aren't|weren't|isn't|wasn't|is not|are not)\s+(?:really\s+)?(?:the|an?|our|a big)\s+"
    r"(?:\w+\s+)?(?:problem|issue|concern|worry|blocker)s?\b",
    r"\b(?:wouldn't|don't|didn't|would not|do not|did not)\s+(?:really\s+)?(?:say|call|think|"
    r"consider)\b[^.;!?]*?\b(?:problem|issue|concern|worry|blocker|pain)s?\b",
    r"\bnot (?:really )?(?:a factor|an obstacle)\b|\b(?:weren't|wasn't) unhappy\b",
)
_REASSURANCE = prefilter.start_gated(_REASSURANCE)  # same matches, tried at fewer positions
# A hypothetical ("If FleetPilot misses the go-live, maybe we'd come back") raises nothing.
_HYPOTHETICAL = cue_pattern(
    r"^\W*(?:(?:and|but|so|well|honestly|oh),?\s+)*(?:if|unless|once|assuming|suppose|"
    r"supposing|in case)\b[^.!?]*(?:\b(?:would|might|maybe|probably|perhaps)\b|'d\b|"
    r"\b(?:we|I|you) could\b)",
    r"\bif (?:we|they|you|I) (?:ever|were to)\b|\bdown the road\b",
)
# HYPO_GATE


def is_hypothetical(sentence: str) -> bool:
    """Return whether a sentence is a hypothetical ("If X, maybe we'd ...", "if we ever ...")."""
    return prefilter.search(_HYPOTHETICAL, straight_quotes(sentence)) is not None


def classify(sentence: str, *, learned: bool = True) -> str | None:
    """Return `objection`, `risk`, `pain` or `trigger` for a statement, or None.

    A sentence that reassures ("that's not really an issue for us") is none of them. The cue
    lexicons decide first; a statement none of them classifies goes to the learned sentence
    classifier (`meetings.learned`, unless `learned` is False), which answers only when
    confident.
    """
    return _classify(sentence, learned=learned)[0]


_KIND_PATTERNS = tuple(pattern for _, pattern in _KIND_CUES)
_NOT_RAISED = (_REASSURANCE, _HYPOTHETICAL)


@lru_cache(maxsize=1)
def _kind_table() -> prefilter.GateTable:
    """Return one gate per pattern of `_KIND_CUES`: its needle sets (`prefilter.needles`).

    Bit `k` of `open(lower-cased text)` is set when `_KIND_CUES[k]` may match the text.
    """
    return prefilter.GateTable([prefilter.needles(pattern) for pattern in _KIND_PATTERNS])


def _classify(sentence: str, *, learned: bool = True) -> tuple[str | None, bool]:
    """Return `classify`'s answer and whether the learned classifier gave it."""
    plain = straight_quotes(sentence)
    if prefilter.could_match_any(_NOT_RAISED, plain) and (
        prefilter.search(_REASSURANCE, plain) or prefilter.search(_HYPOTHETICAL, plain)
    ):
        return None, False
    # one scan of the masked text says which kinds' cues can match (`_cue_hit` reads it)
    masked = _masked(sentence)
    maybe = _kind_table().open(masked.lower())
    for k, (kind, pattern) in enumerate(_KIND_CUES):
        if maybe >> k & 1 and _masked_hit(pattern, masked):
            return kind, False
    if learned and learnable(plain):
        found = learned_kind(plain)
        return found, found is not None
    return None, False


LEARNED_MIN_WORDS = 6
"""Shortest statement the learned classifier is asked about (greetings, fragments are not)."""
LEARNED_MAX_WORDS = 35
"""Longest one: a long rambling sentence sums many weak word weights (on 30 AMI meetings,
sentences over 35 words made half of the model's answers, nearly all wrong)."""
# "I'll brief my managers next Monday", "we'll get the signed form back to you": a plan of
# one's own, never a pain or an objection ("we'll have to see" stays a candidate).
_OWN_PLAN = re.compile(
    r"^\W*(?:(?:and|so|but|okay|ok|then|right|well),?\s+)*(?:I'll|I will|I'm going to|"
    r"I am going to|I'm gonna|let me|let's|we'll(?! have to| need to| see)|we will(?! have to|"
    r" need to| see))\b",
    re.IGNORECASE,
)


def learnable(sentence: str) -> bool:
    """Return whether the learned classifier may classify a statement the cues left alone.

    Not a question, `LEARNED_MIN_WORDS` to `LEARNED_MAX_WORDS` words, not a plan of the
    speaker's own.
    """
    text = sentence.strip()
    return (
        not text.endswith("?")
        and LEARNED_MIN_WORDS <= len(text.split()) <= LEARNED_MAX_WORDS
        and _OWN_PLAN.match(text) is None
    )


def rules_decline(sentence: str) -> bool:
    """Return whether a statement reassures or is hypothetical (so it raises nothing)."""
    plain = straight_quotes(sentence)
    return bool(prefilter.search(_REASSURANCE, plain) or prefilter.search(_HYPOTHETICAL, plain))


# --- cleaning -------------------------------------------------------------------------------

_FILLER = re.compile(
    r"^(?:(?:and|but|so|well|yeah|yes|yep|okay|ok|look|honestly|frankly|basically|right|"
    r"i mean|to be honest|to be fair|sure|oh|um|uh|like|also|plus|then)\b[,\s]*)+",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    t = _FILLER.sub("", text.strip()).strip()
    return t[:1].upper() + t[1:] if t else text.strip()


# --- insights -------------------------------------------------------------------------------


# "..., and our new director wants ...": a trigger sentence may join two separate events.
_CLAUSE_JOIN = re.compile(r",\s+and\s+(?=(?:our|we|we're|the|their|my|a|an)\b)", re.IGNORECASE)
# "They hate it": a pain said about the thing named in the sentence before.
_ANAPHOR = re.compile(r"^\W*(?:(?:and|but|so),?\s+)?(?:they|it|that|this|which)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:we|we're|we've|we'd|our|us|ours)\b", re.IGNORECASE)


def _trigger_clauses(s: Sentence) -> list[Sentence]:
    """Split a trigger sentence into its clauses when each one names an event."""
    parts = _CLAUSE_JOIN.split(s.text)
    if len(parts) < 2 or not all(_cue_hit(TRIGGER_CUES, p) for p in parts):
        return [s]
    return [replace(s, text=p.strip()) for p in parts]


RUN_ON_WORDS = 30
"""A customer sentence this long (spoken style: one comma-spliced turn) is read clause by
clause, so it can hold a pain, an objection and a trigger at once."""
# ", and honestly the thing ...", ", so we can't ...", ", because our legal team ...": a new
# clause with its own subject
_RUN_ON_SPLIT = re.compile(
    r",\s+(?=(?:(?:and|but|so|because|otherwise|also|plus|then|honestly|anyway)\s+)*"
    r"(?:we|we're|we've|we'd|i|i'm|i've|it|it's|they|they're|he|she|our|my|this|that|there|"
    r"the \w+ (?:is|are|was|were|finishes|starts))\b)",
    re.IGNORECASE,
)


def _run_on_clauses(unit: Sentence) -> list[Sentence]:
    """Split a long comma-spliced customer sentence into clauses of four words or more."""
    if unit.side != "customer" or len(unit.text.split()) < RUN_ON_WORDS:
        return [unit]
    parts: list[str] = []
    for part in _RUN_ON_SPLIT.split(unit.text):
        if parts and len(part.split()) < 4:
            parts[-1] = f"{parts[-1]}, {part}"
        else:
            parts.append(part)
    return [replace(unit, text=p.strip()) for p in parts if p.strip()]


def _mixed_clauses(unit: Sentence) -> list[Sentence]:
    """Return the clauses of a run-on sentence when they say different kinds of things.

    A sentence whose clauses all raise one kind (or none) stays whole, quote and all.
    """
    clauses = _run_on_clauses(unit)
    if len(clauses) == 1:
        return clauses
    kinds = {k for c in clauses if (k := classify(c.text)) is not None}
    return clauses if len(kinds) > 1 else [unit]


# "the second thing", "another problem", "one more": the speaker announces a new item
_NEW_ITEM = re.compile(
    r"\b(?:(?:the )?(?:second|third|fourth|other|next|last) (?:thing|point|issue|problem|one|"
    r"concern)|another (?:thing|point|issue|problem|concern)|one more\b)",
    re.IGNORECASE,
)


def _elaborates(unit: Sentence, kind: str, last: tuple[str, list[Sentence]]) -> bool:
    """Return whether a sentence only the learned classifier read elaborates the last item.

    It does when it follows that item in the same turn ("I'm a little worried about
    adoption. Our drivers like their paper manifests.": it joins the item's quote), or when
    the same speaker goes on with the same kind and topic (two content words shared) after
    another speaker's interjection ("Per dispatcher, yes. And when a driver calls in sick or
    changes an order, they start over.": it is folded into the item, whose quote stays its
    own), unless it announces a new item ("the second thing ...").
    """
    prev = last[1][-1]
    if _NEW_ITEM.search(unit.text):
        return False
    if prev.turn == unit.turn:
        return unit.index - prev.index in (0, 1)
    if last[0] != kind or prev.speaker != unit.speaker or unit.turn - prev.turn > 2:
        return False
    stems = {w.rstrip("s") for s in last[1] for w in content_words(s.text)}
    return len(stems & {w.rstrip("s") for w in content_words(unit.text)}) >= 2


def _antecedent_of_next(unit: Sentence, following: list[Sentence]) -> bool:
    """Return whether the next sentence is a cue pain/objection pointing back at `unit`."""
    return bool(
        following
        and following[0].turn == unit.turn
        and following[0].index - unit.index == 1
        and _ANAPHOR.match(following[0].text)
        and classify(following[0].text, learned=False) in ("pain", "objection")
    )


def _insights(
    units: list[Sentence], vendor_quotes: frozenset[str] = frozenset()
) -> dict[str, list[ExtractedInsight]]:
    groups: list[tuple[str, list[Sentence]]] = []
    learned_units: set[Sentence] = set()  # read by the learned classifier, not by a cue
    previous: Sentence | None = None  # the last unclassified statement
    # (only a customer's run-on sentence is split: any other stays whole)
    units = [c for u in units for c in (_mixed_clauses(u) if u.side == "customer" else (u,))]
    for i, unit in enumerate(units):
        if unit.question:
            previous = None
            continue
        by_model = False
        if unit.side == "customer":
            kind, by_model = _classify(unit.text)
            if by_model and _antecedent_of_next(unit, units[i + 1 : i + 2]):
                kind = None  # "Our drivers juggle two apps. They hate it.": one cue item
        elif unit.side == "rep" and _cue_hit(_REP_TRIGGER, unit.text):
            kind = "trigger"
        else:
            previous = None
            continue
        if kind is None:
            previous = unit
            continue
        if (
            kind == "pain"
            and unit.text in vendor_quotes
            and not _FIRST_PERSON.search(straight_quotes(unit.text))
        ):
            previous = None
            continue  # "My cousin's company uses DispatchHub and hates it": not their pain
        antecedent = (
            previous
            if kind in ("pain", "objection")
            and previous is not None
            and previous.turn == unit.turn
            and unit.index - previous.index == 1
            and _ANAPHOR.match(unit.text)
            else None
        )
        previous = None
        if antecedent is not None:
            groups.append((kind, [antecedent, unit]))
            continue
        last = groups[-1] if groups else None
        if by_model and last is not None and _elaborates(unit, kind, last):
            if last[1][-1].turn == unit.turn:  # the quote stays one verbatim span
                last[1].append(unit)
                learned_units.add(unit)
            continue
        if by_model:
            learned_units.add(unit)
        if kind == "trigger":
            groups.extend(("trigger", [c]) for c in _trigger_clauses(unit))
            continue
        s = unit
        last = groups[-1] if groups else None
        if (
            last is not None
            and kind != "trigger"  # every sentence with a trigger is its own event
            and last[0] == kind
            and last[1][-1].turn == s.turn
            and s.index - last[1][-1].index in (0, 1)  # 0: the next clause of a run-on
        ):
            last[1].append(s)
        else:
            groups.append((kind, [s]))
    out: dict[str, list[ExtractedInsight]] = {k: [] for k, _ in _KIND_CUES}
    kept_words: dict[str, list[set[str]]] = {k: [] for k, _ in _KIND_CUES}
    for kind, group in groups:
        words = set().union(*(content_words(s.text) for s in group))
        if len(words) < 3:
            continue
        if any(_jaccard(words, other) >= 0.5 for other in kept_words[kind]):
            continue
        kept_words[kind].append(words)
        # The first sentence that says something on its own, else the wordiest one (a cue
        # sentence before one only the learned classifier read).
        named = [s for s in group if s not in learned_units] or group
        best = next(
            (s for s in named if len(content_words(s.text)) >= 5),
            max(named, key=lambda s: len(content_words(s.text))),
        )
        out[kind].append(
            ExtractedInsight(
                text=_clean(best.text),
                quote="".join(
                    (", " if i and s.index == group[i - 1].index else " " if i else "") + s.text
                    for i, s in enumerate(group)
                ),
                speaker=group[0].speaker,
            )
        )
    return out


# --- names ----------------------------------------------------------------------------------


def _first_names(known: Iterable[str]) -> dict[str, str]:
    """Map a first name to the one full name it abbreviates (ambiguous names dropped)."""
    seen: dict[str, set[str]] = {}
    for full in known:
        parts = full.split()
        if len(parts) >= 2:
            seen.setdefault(parts[0].lower(), set()).add(" ".join(parts))
    return {first: next(iter(fulls)) for first, fulls in seen.items() if len(fulls) == 1}


_TITLE_WORDS = r"[A-Za-z][\w&'-]*(?:\s+(?:of|for|and|&)?\s*[A-Za-z][\w&'-]*){0,3}"
_NAME = r"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"
_APPOSITION = re.compile(
    rf"\b(?P<name>{_NAME}),\s+(?:our|my|the|their|his|her)\s+"
    rf"(?:new\s+)?(?P<title>{_TITLE_WORDS}?)\s*(?:,|(?=[.;!?])|$|(?=\s+(?:and|who|to|so|for)\b))"
)
_REVERSE_APPOSITION = re.compile(
    rf"\b(?:our|my|the|their|his|her)\s+(?:new\s+)?(?P<title>{_TITLE_WORDS}?),\s+"
    rf"(?P<name>{_NAME})\b,?"
)
_ROLE = re.compile(
    r"\b(?:CEO|CFO|COO|CRO|CTO|CIO|CPO|CISO|VP|SVP|EVP|President|Chief|Head|Director|Manager|"
    r"Lead|Officer|Controller|Owner|Founder|Engineer|Analyst|Admin\w*|Buyer|Counsel|Partner|"
    r"Coordinator|Supervisor|Specialist|Architect)\b",
    re.IGNORECASE,
)


def _appositions(text: str) -> list[tuple[re.Match[str], str, str]]:
    """Return (match, name, title) for "Name, our Title," and "our Title, Name"."""
    found: list[tuple[re.Match[str], str, str]] = []
    if "," not in text or not prefilter.could_match(_ROLE, text):
        # both patterns need a comma; a title is kept only when it holds a role, and a role
        # in the title is one in `text` (the title stands between a space and a non-word)
        return found
    for pattern in (_APPOSITION, _REVERSE_APPOSITION):
        for m in pattern.finditer(text):
            title = m.group("title").strip()
            if _ROLE.search(title):
                found.append((m, m.group("name"), title))
    return found


@lru_cache(maxsize=1024)  # keyed by the call's people: compiled once per name, not per sentence
def _first_name_alone(first: str, last: str) -> re.Pattern[str]:
    """Return the pattern of `first` not followed by `last` (a first name said alone)."""
    return re.compile(rf"\b{re.escape(first)}\b(?!\s+{re.escape(last)}\b)", re.IGNORECASE)


def _expand_names(text: str, known: Iterable[str]) -> str:
    """Expand first names to full names and "Name, our CRO," to "Full Name (CRO)"."""
    known = list(known)
    firsts = _first_names(known)

    def full(name: str) -> str:
        parts = name.split()
        if len(parts) == 1 and parts[0].lower() in firsts:
            return firsts[parts[0].lower()]
        return name

    known_lower = {k.lower() for k in known}

    for m, name, title in sorted(_appositions(text), key=lambda f: -f[0].start()):
        name = full(name)
        if name.lower() in known_lower:
            tail = "," if m.group().endswith(",") and m.re is _REVERSE_APPOSITION else ""
            text = f"{text[: m.start()]}{name} ({title}){tail}{text[m.end() :]}"
    for first, name in firsts.items():
        last = name.split(None, 1)[1]
        text = _first_name_alone(first, last).sub(name, text)
    return text


# --- commitments ----------------------------------------------------------------------------

_CALL_WITH = re.compile(
    r",?\s+and\s+(?:set\s+up|schedule|book|arrange)\s+(?:a|an)\s+(?P<what>call|meeting|demo|"
    r"session|review)\s+with\s+(?:him|her|them|us|me)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:[;:—–]|\s-\s|,?\s+and\s+(?=(?:you|he|she|they|we|I|it)\b)|"
    r",?\s+(?:so that|so|because|since|but|which|while|once|when|if|"
    r"as long as|as soon as|assuming)\b)",
    re.IGNORECASE,
)
_INDIRECT_OBJECT = re.compile(
    r"\b(send|share|email|forward|give|show|get)\s+(?:you guys|you all|y'all|you|over)\s+",
    re.IGNORECASE,
)
_VERBS = (
    "send share set schedule book loop follow get put check review introduce talk call email "
    "circle come confirm prepare draft run pull walk sign ask bring make give update forward "
    "invite reach connect organise organize arrange line build write take start kick"
).split()
_AND_VERB = re.compile(rf",?\s+and\s+(?=(?:{'|'.join(_VERBS)})\b)", re.IGNORECASE)
_TITLE_TAIL = re.compile(
    r"\s+(?:with|for|to discuss|to talk|to review|to walk|so|because|once|when|after)\b.*$",
    re.IGNORECASE,
)
_TAIL_WORD = re.compile(_TITLE_TAIL.pattern.removesuffix(r".*$"), re.IGNORECASE)
_DETERMINERS = re.compile(r"\b(?:the|a|an|your|our|my|his|her|their|some|this|that)\s+", re.I)


def _cut_tail(text: str) -> str:
    """Cut `text` before a trailing "with ...", "for ...", "because ..." (`_TITLE_TAIL`).

    The cut keeps at least two words: "work with Play-doh on that" stays a verb phrase,
    not "Work".
    """
    for m in _TAIL_WORD.finditer(text):
        head = [w for w in text[: m.start()].split() if w.lower() not in {"be", "just"}]
        if len(head) >= 2:
            return text[: m.start()]
    return text


_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;!?])")


def _tidy(text: str) -> str:
    t = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))
    t = _DOUBLE_COMMA.sub(",", t).strip(" ,;:-")
    t = t.rstrip(".!?").strip(" ,")
    return t[:1].upper() + t[1:] if t else t


_COMMA_CLAUSE = re.compile(
    r",\s+(?:(?:he|she|they|it|we|I|you|who|which|that|this|there)\b|(?:but|so|because)\b)",
    re.IGNORECASE,
)
_TITLE_BOUNDARY = frozenset(
    "with for from to about on in by after before using so and once via".split()
)
_DANGLING = frozenset(
    """a an the and or to of for with from by in on at about another other others some any
    this that these those your our my their his her its as than into after before plus
    also every more less very just anyway too though then""".split()
)
TITLE_MAX_WORDS = 10
"""A title longer than this is shortened at a phrase boundary (never mid-phrase)."""


def _drop_dangling(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
        words = words[:-1]
    return words


_NAME_WITH_TITLE = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*\s+\(([^)]+)\)")
_AND_OR = re.compile(r"\b(?:and|or)\b")


def commitment_title(text: str) -> str:
    """Derive a short imperative task title from a commitment's text.

    The title is a complete verb phrase: the first clause, cut only at a clause or
    phrase boundary ("..., he signs off", "... and set up a call"), never ending on an
    article, preposition or conjunction; a clause still over `TITLE_MAX_WORDS` words is cut
    before its last preposition that keeps the object whole, else kept whole.

    "Loop in Marcus Chen (CRO) and set up a call with him" becomes "Loop in CRO";
    "Send the ROI model and a pricing proposal" becomes "Send ROI model and pricing proposal".
    """
    t = _NAME_WITH_TITLE.sub(r"\1", text)
    t = _COMMA_CLAUSE.split(t, maxsplit=1)[0]
    t = _AND_VERB.split(t, maxsplit=1)[0]
    t = _cut_tail(t)
    t = _INDIRECT_OBJECT.sub(r"\1 ", t)
    t = _DETERMINERS.sub("", t)
    head, comma, rest = t.partition(",")
    if comma and len(head.split()) >= 2 and not _AND_OR.search(rest):
        t = head  # "Loop in CFO, Mark Diaz": the apposition goes, a list ("a, b and c") stays
    words = _drop_dangling(_tidy(t).split())
    if len(words) > TITLE_MAX_WORDS:
        cuts = [
            i
            for i in range(2, TITLE_MAX_WORDS + 1)
            if words[i].lower() in _TITLE_BOUNDARY
            and words[i - 1].lower().strip(",;:") not in _DANGLING
        ]
        if cuts:
            words = _drop_dangling(words[: cuts[-1]])
    return " ".join(words).strip(" ,;:")


# A strong cue followed by one of these verbs is a next step even without a due date.
_DELIVERABLE = re.compile(
    r"^(?:(?:also|just|personally|then|quickly|go ahead and|make sure to|definitely|still|"
    r"first|immediately)\s+)*"
    r"(?:send|e-?mail|forward|share(?!\s+(?:my|the|our|your)\s+screen)|set up|put together|"
    r"draft|get back|get (?:you|y'all|over)|follow up|loop in|introduce|circle back|"
    r"check with|check in|check on|book|"
    r"schedule|write up|ask|prepare|pull|export|review|confirm|ping|reach out|find|look into|"
    r"work on|run|make(?! sure)|build|update|arrange|organi[sz]e|call|phone|talk to|"
    r"speak (?:to|with)|brief|bring|invite|reserve|order|provide|deliver|finali[sz]e|"
    r"set a reminder|"
    r"take (?:it|this|that|the)|come back to)\b",
    re.IGNORECASE,
)
# "you'll send me the export": the addressee's commitment (not "you'll have it from me").
_ADDRESSEE_CUE = re.compile(
    r"\b(?:you'll|you will|you're going to)\s+(?=(?:also\s+|then\s+)?(?:send|e-?mail|forward|"
    r"share|set up|put together|draft|get back|follow up|loop in|introduce|check|book|schedule|"
    r"ask|prepare|pull|export|review|confirm|ping|reach out|talk to|bring|invite|provide)\b)",
    re.IGNORECASE,
)
_ADDRESSEE_CUE = prefilter.start_gated(_ADDRESSEE_CUE)  # same matches, tried at fewer positions
# "Let's talk again next Tuesday": a meeting the speaker proposes, with a date.
_LETS_MEET = re.compile(
    r"\b(?:let's|let us)\s+(?P<what>(?:talk|meet|catch up|reconvene|regroup|sync|reconnect|"
    r"touch base|speak|get together|review|go through|pick (?:this|it) up)\b.*)",
    re.IGNORECASE,
)
_LETS_MEET = prefilter.start_gated(_LETS_MEET)  # same matches, tried at fewer positions
_VOCATIVE = re.compile(r"^(?:and |so |okay |ok )?(?P<name>[A-Z][\w'-]+),\s")
_WEAK_CUE = re.compile(r"^(?:I|we) can\b", re.IGNORECASE)
# "You'll have the reference from me by Friday", "expect our redlines by December 4th".
_DELIVERY = re.compile(
    r"\b(?:you'll|you will) (?:have|get|receive) (?P<what>.+?) from (?:me|us)\b"
    r"|\bexpect (?P<what2>(?:our|the|my|a|an|some)\b[^,.;!?]+)",
    re.IGNORECASE,
)
_HEAR_BACK = re.compile(r"\b(?:you'll|you will) hear (?:back )?from (?:me|us)\b", re.IGNORECASE)
# "Can you have the MSA over by the 24th?" answered "Yes, we can do that.": the answerer owns it.
_REQUEST = re.compile(
    r"\b(?:can|could|would|will) you(?:\s+(?:also|please|guys|possibly|maybe))*\s+"
    r"(?P<ask>(?:send|e-?mail|forward|share|get|have|set up|book|schedule|put together|prepare|"
    r"draft|confirm|come|join|introduce|loop in|pull|export|provide|give)\b[^?]*)\?",
    re.IGNORECASE,
)
_ACCEPT = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|absolutely|of course|definitely|certainly|will do|no problem|"
    r"consider it done|happy to|can do|we can do that|I can do that|that works|okay|ok)\b",
    re.IGNORECASE,
)


def _body(clause: str, known: Iterable[str]) -> str:
    clause = _CALL_WITH.sub(lambda m: f" for a {m.group('what').lower()}", clause)
    clause = _CLAUSE_END.split(clause, maxsplit=1)[0]
    clause = _INDIRECT_OBJECT.sub(r"\1 ", clause)
    return " ".join(_drop_dangling(_tidy(_expand_names(clause, known)).split()))


def _without(text: str, start: int, end: int) -> str:
    return f"{text[:start]} {text[end:]}"


_STATED_CUES = (COMMITMENT_CUES, _ADDRESSEE_CUE, _LETS_MEET, _DELIVERY, _HEAR_BACK)
"""The cues a stated commitment needs one of (`_commitment`)."""


@lru_cache(maxsize=1)
def _stated_table() -> prefilter.GateTable:
    """Return one gate per pattern of `_STATED_CUES`: its needle sets (`prefilter.needles`).

    Bit `k` of `open(lower-cased text)` is set when `_STATED_CUES[k]` may match the text.
    """
    return prefilter.GateTable([prefilter.needles(cue) for cue in _STATED_CUES])


def _commitment(
    s: Sentence, call_date: date, known: Iterable[str], addressee: str | None = None
) -> ExtractedCommitment | None:
    text = clean_spoken(s.text)
    if s.question and not _TAG_QUESTION.search(text):
        return None  # a real question; "you'll send it by Monday, right?" is a statement
    # one scan for the needles of all the cues: which of them can match (most: none)
    maybe = _stated_table().open(text.lower())
    if not any(maybe >> k & 1 and cue.search(text) for k, cue in enumerate(_STATED_CUES)):
        return None
    found = _addressed(s, text, call_date, known, addressee)
    if found is not None:
        return found
    # the due phrase is read only when a rule below asks for it (most cue sentences are
    # ruled out before: the same result, without the date scans)
    due: DueMatch | None = None
    due_read = False
    for cue in COMMITMENT_CUES.finditer(text):
        rest = text[cue.end() :]
        if _NOT_A_COMMITMENT.match(rest) or _negated(text, cue.start()):
            continue  # "I can't promise we'll sign this quarter" (i9a: wider due dates)
        if not due_read:
            due, due_read = _best_due(text, call_date), True
        progressive = _PROGRESSIVE.match(cue.group()) is not None
        if due is None and (
            progressive
            or _WEAK_CUE.match(cue.group())
            or not _DELIVERABLE.match(rest)
            or _PRONOUN_OBJECT.match(rest)
            or _negated(text, cue.start())
        ):
            continue  # no date: only "I'll send the deck", "we'll set up a call" and the like
        clause = rest
        if due is not None and due.start >= cue.end():
            clause = _without(rest, due.start - cue.end(), due.end - cue.end())
        if progressive:  # "sending you the deck" -> "send you the deck"
            verb = clause.split(None, 1)[0]
            clause = _BASE_FORM.get(verb.lower(), verb) + clause[len(verb) :]
        body = _body(clause, known)
        if len(body.split()) < 2:
            continue
        return ExtractedCommitment(
            owner=s.speaker,
            title=commitment_title(body),
            text=body,
            due=due.phrase if due else None,
            quote=s.text,
        )
    if not (_DELIVERY.search(text) or _HEAR_BACK.search(text) or _LETS_MEET.search(text)):
        return None  # (`_delivery` and `_lets_meet` each need one of these: no date to read)
    if not due_read:
        due = _best_due(text, call_date)
    return _delivery(s, text, due, known) or _lets_meet(s, text, due, known)


_PRONOUN_OBJECT = re.compile(
    r"^(?:\w+\s+){1,2}?(?:it|that|this|them|those)\b(?!\s+(?:\w+\s+)?(?:to|for)\b)"
)
_BARE_OBJECT = re.compile(r"^\w+(?: \w+)? (?:it|that|this|them|those)$", re.IGNORECASE)
_TO_ME = re.compile(r"\b(send|e-?mail|forward|give|share|get)\s+(?:me|us)\s+", re.I)
_TAG_QUESTION = re.compile(
    r",\s*(?:right|correct|okay|ok|yeah|yes|no|agreed|fair|is that ok(?:ay)?)\s*\?$", re.I
)
_DEADLINE_WORD = re.compile(
    r"\b(?:by|before|until|till|no later than|on|for|within|in)\s+(?:the\s+)?$", re.I
)


_DEADLINE_LEAD = re.compile(r"(?:by|before|until|no later than)\b", re.I)


def _best_due(text: str, call_date: date) -> DueMatch | None:
    """Return the due phrase of `text`: a deadline ("by Thursday") first, else the first.

    "What we heard today, ... by Thursday" is due Thursday.
    """
    found: list[DueMatch] = []
    masked = text
    while len(found) < 4:
        m = find_due(masked, call_date)
        if m is None:
            break
        found.append(m)
        masked = masked[: m.start] + " " * (m.end - m.start) + masked[m.end :]
    if not found:
        return None
    found.sort(key=lambda m: m.start)
    for m in found:
        if _DEADLINE_WORD.search(text[: m.start]) or _DEADLINE_LEAD.match(m.phrase):
            return m
    return found[0]


_ME = re.compile(r"\bme\b")


def _addressed(
    s: Sentence, text: str, call_date: date, known: Iterable[str], addressee: str | None
) -> ExtractedCommitment | None:
    """Return "Raj, you'll send me the export by Monday" as the addressee's commitment."""
    cue = _ADDRESSEE_CUE.search(text)
    if cue is None or addressee is None or addressee == s.speaker or _negated(text, cue.start()):
        return None
    clause = text[cue.end() :]
    due = _best_due(clause, call_date)  # only a date said for the addressee's part
    if due is not None:
        clause = _without(clause, due.start, due.end)
    clause = _TO_ME.sub(r"\1 ", clause)
    clause = _ME.sub(s.speaker, clause)
    body = _body(clause, known)
    if len(body.split()) < 2:
        return None
    return ExtractedCommitment(
        owner=addressee,
        title=commitment_title(body),
        text=body,
        due=due.phrase if due else None,
        quote=s.text,
    )


def _lets_meet(
    s: Sentence, text: str, due: DueMatch | None, known: Iterable[str]
) -> ExtractedCommitment | None:
    """Return "Let's talk again next Tuesday" (a dated follow-up) as the speaker's."""
    m = _LETS_MEET.search(text)
    if m is None or due is None or due.start < m.start():
        return None
    what = _without(text, due.start, due.end)[m.start("what") :]
    body = _body(what, known)
    if len(body.split()) < 1:
        return None
    body = body if len(body.split()) >= 2 else f"{body} again"
    return ExtractedCommitment(
        owner=s.speaker, title=commitment_title(body), text=body, due=due.phrase, quote=s.text
    )


_FROM_US_END = re.compile(r"\s+from us$")


def _delivery(
    s: Sentence, text: str, due: DueMatch | None, known: Iterable[str]
) -> ExtractedCommitment | None:
    """Return "you'll have X from me by Friday" as the speaker's commitment to send X."""
    if due is None:
        return None
    m = _DELIVERY.search(text)
    if m is not None:
        group = "what" if m.group("what") else "what2"
        start, end = m.start(group), m.end(group)
        if start <= due.start < end:
            end = due.start  # "expect our redlines on the DPA by December 4th"
        what = _FROM_US_END.sub("", text[start:end].strip())
        body = _tidy(_expand_names(f"Send {what}", known))
    elif _HEAR_BACK.search(text):
        body = "Get back to you"
    else:
        return None
    if len(body.split()) < 2:
        return None
    return ExtractedCommitment(
        owner=s.speaker, title=commitment_title(body), text=body, due=due.phrase, quote=s.text
    )


def _accepted_request(
    question: Sentence,
    answer: list[Sentence],
    call_date: date,
    known: Iterable[str],
) -> ExtractedCommitment | None:
    """Return the commitment made by answering a request ("Can you ...?" "Sure.")."""
    if not answer or answer[0].speaker == question.speaker:
        return None
    if not _ACCEPT.match(_clean_lead(answer[0].text)):
        return None
    m = _REQUEST.search(straight_quotes(question.text))
    if m is None:
        return None
    ask = m.group("ask")
    due = find_due(ask, call_date)
    if due is not None:
        ask = _without(ask, due.start, due.end)
    else:
        due = next((d for a in answer if (d := find_due(straight_quotes(a.text), call_date))), None)
    ask = _ME.sub(question.speaker, ask)
    body = _body(ask, known)
    if len(body.split()) < 2:
        return None
    return ExtractedCommitment(
        owner=answer[0].speaker,
        title=commitment_title(body),
        text=body,
        due=due.phrase if due else None,
        quote=f"{question.text} {answer[0].text}",
    )


_LEAD_FILLER = re.compile(r"^(?:oh|um|uh|well|and|so)[,\s]+", re.IGNORECASE)


def _clean_lead(text: str) -> str:
    return _LEAD_FILLER.sub("", text.strip())


def _addressee(
    s: Sentence, by_turn: Mapping[int, list[Sentence]], speakers: list[str], known: Iterable[str]
) -> str | None:
    """Return who "you" is in `s`.

    A name the sentence opens with, the other party of a two-party call, else the speaker
    of the turn before (or after).
    """
    m = _VOCATIVE.match(straight_quotes(s.text))
    if m is not None:
        first = m.group("name").lower()
        named = [p for p in [*speakers, *known] if p.split()[0].lower() == first]
        if named and named[0] != s.speaker:
            return named[0]
    others = [p for p in speakers if p != s.speaker]
    if len(others) == 1:
        return others[0]
    for turn in (s.turn - 1, s.turn + 1):
        for other in by_turn.get(turn, []):
            if other.speaker != s.speaker:
                return other.speaker
    return None


def _commitments(
    units: list[Sentence],
    call_date: date,
    known: Iterable[str],
    opened: list[int] | None = None,
) -> list[ExtractedCommitment]:
    """Return the commitments of `units` (`opened`: their `sentence_gates.gates`, if known)."""
    from sales_operator.meetings import sentence_gates  # imports this module

    known = list(known)
    by_turn: dict[int, list[Sentence]] = {}
    for s in units:
        by_turn.setdefault(s.turn, []).append(s)
    speakers = list(dict.fromkeys(s.speaker for s in units))
    # one scan per sentence: a sentence that no commitment rule can read is skipped whole
    # (its addressee is only asked by those rules)
    if opened is None:
        opened = sentence_gates.gates(units)
    either = sentence_gates.STATED | sentence_gates.TASK
    addressees = [
        _addressee(s, by_turn, speakers, known) if gate & either else None
        for s, gate in zip(units, opened, strict=True)
    ]
    stated = [
        _commitment(s, call_date, known, who) if gate & sentence_gates.STATED else None
        for s, who, gate in zip(units, addressees, opened, strict=True)
    ]
    stated = _with_meeting_commitments(
        units, stated, addressees, speakers, known, call_date, opened
    )
    own = {s.turn for s, c in zip(units, stated, strict=True) if c is not None}
    asked_in: dict[int, list[Sentence]] = {}

    def requests_in(turn: int) -> list[Sentence]:
        """Return the requests ("Can you send ...?") of `turn` (read once per turn)."""
        hits = asked_in.get(turn)
        if hits is None:
            hits = asked_in[turn] = [
                q
                for q in by_turn.get(turn, [])
                if q.question and prefilter.search(_REQUEST, q.text)
            ]
        return hits

    found: list[ExtractedCommitment] = []
    for s, c in zip(units, stated, strict=True):
        if c is None and s.question:
            requests = requests_in(s.turn)
            answer = by_turn.get(s.turn + 1, [])
            if requests and s is requests[-1] and s.turn + 1 not in own:
                c = _accepted_request(s, answer, call_date, known)
        if c is not None and _BARE_OBJECT.match(c.text) and s.index == 0:
            # "Can you send me the driver guide?" "Yes, I'll send it tomorrow.": the request
            # says what "it" is
            asked = requests_in(s.turn - 1)
            if asked and asked[-1].speaker != s.speaker:
                better = _accepted_request(asked[-1], by_turn[s.turn], call_date, known)
                if better is not None:
                    c = better.model_copy(update={"due": c.due or better.due})
        if c is not None:
            found.append(c)
    kept: list[tuple[ExtractedCommitment, date | None, set[str]]] = []
    for c in found:
        due = resolve_due_phrase(c.due or "", call_date)
        words = content_words(c.text)
        duplicate = any(
            other.owner == c.owner
            and (
                (other_due == due and _jaccard(words, other_words) >= 0.2)
                or (
                    (due is None or other_due is None)
                    and len(words & other_words) >= 2
                    and _jaccard(words, other_words) >= 0.3
                )
                or _jaccard(words, other_words) >= 0.5
            )
            for other, other_due, other_words in kept
        )
        if not duplicate:
            kept.append((c, due, words))
    from sales_operator.meetings.carried_due import carry_due  # imports this module

    return carry_due(units, [c for c, _, _ in kept], call_date)


def _with_meeting_commitments(
    units: list[Sentence],
    stated: list[ExtractedCommitment | None],
    addressees: list[str | None],
    speakers: list[str],
    known: list[str],
    call_date: date,
    opened: list[int],
) -> list[ExtractedCommitment | None]:
    """Fill the sentences no sales-call rule read with meeting-style commitments.

    "You're gonna be working on the design", "the designer has to look at ...", "I'll check
    the figures", "for the next meeting ..." (`meetings.assignments`). `opened`: the
    sentences' `sentence_gates.gates` (a sentence whose `TASK` gate is shut is skipped).
    """
    from sales_operator.meetings import sentence_gates
    from sales_operator.meetings.assignments import meeting_commitment, participant_heads

    heads = participant_heads(speakers, known)
    out: list[ExtractedCommitment | None] = []
    for i, (s, c, who) in enumerate(zip(units, stated, addressees, strict=True)):
        if c is None and opened[i] & sentence_gates.TASK and not s.question:
            context = [u for u in units[max(0, i - 2) : i] if u.turn == s.turn]
            c = meeting_commitment(s, call_date, heads=heads, addressee=who, context=context)
        out.append(c)
    return out


# --- decision makers ------------------------------------------------------------------------

_DECISION = cue_pattern(
    r"\bsign[- ]?off\b|\bsigns? off\b|\bapprov\w*|\bdecision\w*|\bdecides?\b|\bfinal say\b",
    r"\bbudget holder\b|\beconomic buyer\b|\bowns? the budget\b",
)
_DECISION = prefilter.start_gated(_DECISION)  # same matches, tried at fewer positions
_SENIOR = re.compile(
    r"\b(?:CEO|CFO|COO|CRO|CTO|CIO|CPO|VP|SVP|EVP|President|Chief|Head of|Director|Owner)\b"
)


@lru_cache(maxsize=256)  # keyed by the call's customers: compiled once, not per call
def _mention_patterns(
    customers: tuple[str, ...],
) -> tuple[dict[str, re.Pattern[str]], re.Pattern[str]]:
    """Return each customer's mention pattern, and one pattern for any of them."""
    firsts = _first_names(customers)
    mentions: dict[str, re.Pattern[str]] = {}
    for full in customers:  # the full name, or the first name when it is unambiguous
        alternatives = [re.escape(full)]
        first = full.split()[0]
        if firsts.get(first.lower()) == full:
            alternatives.append(re.escape(first))
        mentions[full] = re.compile(rf"\b(?:{'|'.join(alternatives)})\b", re.IGNORECASE)
    # one search over every name rules out a sentence that mentions nobody (same result)
    anyone = re.compile("|".join(f"(?:{m.pattern})" for m in mentions.values()) or r"(?!)", re.I)
    return mentions, anyone


def _decision_makers(units: list[Sentence], customers: Iterable[str]) -> list[str]:
    customers = [c for c in customers if c.strip()]
    firsts = _first_names(customers)
    titles: dict[str, str] = {}
    texts = [straight_quotes(s.text) for s in units]
    # an apposition needs a comma and a role: one needle scan of the call for the role
    commas = [text for text in texts if "," in text]
    for text, role in zip(commas, prefilter.could_match_each(_ROLE, commas), strict=True):
        for _, name, title in _appositions(text) if role else ():
            full = firsts.get(name.lower(), name) if len(name.split()) == 1 else name
            titles.setdefault(full.lower(), title)
    mentions, anyone = _mention_patterns(tuple(customers))
    found: list[str] = []
    # (nobody to mention: no sentence to read)
    named = prefilter.could_match_each(anyone, texts) if mentions else ()
    for text, maybe in zip(texts, named, strict=False):
        if not maybe or anyone.search(text) is None:
            continue
        decisive = _DECISION.search(text) is not None
        for full, mention in mentions.items():
            if mention.search(text) is None:
                continue
            known_title = titles.get(full.lower())
            senior = known_title is not None and _SENIOR.search(known_title) is not None
            if not (decisive or senior):
                continue
            label = f"{full} ({known_title})" if known_title else full
            if all(not f.startswith(full) for f in found):
                found.append(label)
    return found


# --- competitor mentions -------------------------------------------------------------------


def _competitor_mentions(
    units: list[Sentence],
    *,
    people: Iterable[str],
    own_names: Iterable[str],
    tracked: Iterable[str],
    account_names: Iterable[str] = (),
    vendors: Sequence[Any] = (),
    not_competitors: Iterable[str] = (),
    min_confidence: float = 0.5,
) -> list[ExtractedMention]:
    """Find vendors named as alternatives, one mention per sentence (`meetings.vendors`).

    A name that squashes to a tracked competitor ("Route Max") is reported under the
    tracked spelling. People on the call, our own company and the customer's are never
    vendors.
    """
    from sales_operator.meetings.vendors import find_vendors

    found = find_vendors(
        units,
        excluded=[*people, *own_names],
        account_names=account_names,
        tracked=tracked,
        vendors=vendors,
        not_competitors=not_competitors,
        min_confidence=min_confidence,
    )
    return [
        ExtractedMention(
            name=m.name,
            quote=m.sentence.text,
            speaker=m.sentence.speaker,
            confidence=m.confidence,
            how=m.how,
        )
        for m in found
    ]


# --- the offline engine ---------------------------------------------------------------------


def extract_offline(
    transcript: Transcript,
    *,
    call_date: date,
    sides: Mapping[str, str],
    rep_names: Iterable[str] = (),
    customer_names: Iterable[str] = (),
    own_names: Iterable[str] = (),
    competitors: Iterable[str] = (),
    units: Sequence[Sentence] | None = None,
    account_names: Iterable[str] = (),
    vendors: Sequence[Any] = (),
    not_competitors: Iterable[str] = (),
    min_confidence: float = 0.5,
) -> CallExtraction:
    """Extract pains, objections, risks, triggers and commitments with cue phrases.

    Args:
        transcript: The parsed call.
        call_date: The date of the call; due phrases are resolved against it.
        sides: Speaker label to `rep`, `customer` or `unknown`.
        rep_names: Full names of our reps (for name expansion).
        customer_names: Full names of the customer's contacts.
        own_names: Our company and product names (never reported as competitors).
        competitors: The tracked competitors (a mention spelled differently, such as
            "Route Max", is reported under the tracked name).
        units: The transcript's `sentences` under `sides`, when the caller has them.
        account_names: The customer's own company names (never competitors).
        vendors: The vendor lexicon in use (`meetings.vendors.lexicon`; empty: none).
        not_competitors: Vendors never reported as competitors.
        min_confidence: Vendors found with less confidence are not reported.

    Returns:
        The extraction, without a summary (the caller writes it from the metrics).
    """
    units = list(units) if units is not None else sentences(transcript, sides)
    known = [*rep_names, *customer_names]
    mentions = _competitor_mentions(
        units,
        people=known,
        own_names=own_names,
        tracked=competitors,
        account_names=account_names,
        vendors=vendors,
        not_competitors=not_competitors,
        min_confidence=min_confidence,
    )
    found = _insights(units, frozenset(m.quote for m in mentions))
    from sales_operator.meetings import sentence_gates  # imports this module
    from sales_operator.meetings.decisions import find_decisions

    opened = sentence_gates.gates(units)  # one scan per sentence for both kinds of rules
    return CallExtraction(
        pains=found["pain"],
        objections=found["objection"],
        risks=found["risk"],
        triggers=found["trigger"],
        commitments=_commitments(units, call_date, known, opened),
        decision_makers=_decision_makers(units, customer_names),
        competitors=mentions,
        decisions=find_decisions(units, opened=opened),
    )
