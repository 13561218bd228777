"""Decisions reached on a call or meeting, found offline by cue phrases.

A decision is a sentence in which the group settles something: "we decided to ...", "we've
agreed on ...", "we're all in agreement about ...", "let's go with ...", "we'll use ...",
"we'll stick with ...", "so it's going to be the yellow one", "rubber it is", "that's
settled", "... is the way to go", and the negative ones: "we won't go with ...", "we've
ruled out ...", "no need for an LCD".

Guards: a real question ("Have we decided on the colour?"; a tag question such as "We agree
on that, right?" is a statement), a negated cue ("we haven't decided", "I don't think we
agreed"), a hypothetical ("if we go with the rubber case, ..."), a cue inside a
subordinate clause that reports an open question ("whether we'll use ...", "once we've
decided ..."), and agreement to disagree. Every decision keeps its sentence verbatim, its
speaker and its turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sales_operator.meetings.extract import (
    ExtractedDecision,
    Sentence,
    clean_spoken,
    content_words,
    is_hypothetical,
    straight_quotes,
)

__all__ = ["decision_text", "find_decisions", "is_decision", "plain_text"]

_ADV = r"(?:(?:all|now|just|basically|finally|definitely|really|then|also|probably|I think)\s+)*"
_WE = r"(?:we|we've|we have|we'd|we had|we all|we've all|we have all)"
_FUTURE_WE = (
    r"(?:we'll|we will|we're going to|we are going to|we're gonna|we are gonna|we'd rather)"
)
_KEEP = r"keep(?!\s+(?:you|in touch|posted|going|an eye|it in mind|that in mind|track|at it)\b)"
# A positive decision: what follows the cue is what was decided.
_POSITIVE = re.compile(
    "|".join(
        (
            rf"\b{_WE}\s+{_ADV}(?:decided|agreed|settled|chosen|chose|opted|concluded|"
            rf"determined|picked|selected)(?:\s+(?:on|upon|to|that|for|with))?\b",
            rf"\b(?:we're|we are|we seem to be)\s+{_ADV}(?:in agreement|agreed|settled|"
            r"decided)(?:\s+(?:on|about|that|with|to))?\b",
            rf"\bwe\s+{_ADV}agree\s+(?:on|about|that|to)\b",
            r"\b(?:let's|let us)\s+(?:just\s+|then\s+|definitely\s+)?(?:go (?:with|for|ahead "
            rf"with)|stick with|settle (?:on|for)|choose|pick|opt for|{_KEEP}|use)\b",
            rf"\b{_FUTURE_WE}\s+{_ADV}(?:go (?:with|for|ahead with)|stick with|settle (?:on|for)|"
            rf"use|{_KEEP}|adopt|incorporate|opt for)\b",
            rf"\b(?:we're|we are)\s+{_ADV}(?:going (?:with|for|ahead with)|sticking with|"
            r"settling (?:on|for)|opting for)\b",
            rf"\bwe should\s+{_ADV}(?:go (?:with|for|ahead with)|stick with|settle on|use)\b",
            r"^(?:so|okay so|ok so|right so|alright so|then)?,?\s*(?:it's|it is|that's|that is|"
            r"it'll be|it will be)\s+(?:going to|gonna)\s+be\s+"
            r"(?=(?:a|an|the|one|two|\d+|[A-Z])\b)",
            r"^(?:so|okay so|ok so|right so|then),?\s+we\s+(?:keep|use|take|have|go with|"
            r"stick with|drop|skip)\b",
            r"\b(?:the|our|a|my)\s+(?:final\s+)?decision\s+(?:is|was|has been)\b",
            r"\bwe(?:'ve| have)\s+(?:made|reached|taken)\s+(?:a|the|our)\s+(?:final\s+)?decision\b",
            r"\b(?:that's|that is|it's|it is)\s+(?:all\s+)?(?:settled|decided|agreed|final)\b",
            r"\b(?:is|'s|would be)\s+(?:the|a|our)\s+(?:best\s+)?way\s+to\s+go\b",
        )
    ),
    re.IGNORECASE,
)
# "Triple R it is.", "Yellow it is then."
_IT_IS = re.compile(r"^(?P<what>[\w'-]+(?:\s+[\w'-]+){0,3})\s+it\s+is(?:\s+then)?\s*[.!]?$", re.I)
_NOT_A_CHOICE = frozenset(
    """what whatever where wherever how however as that this who which because if so is was
    whoever when why there here than like know see think""".split()
)
# A negative decision: the cue carries the negation itself.
_NEGATIVE = re.compile(
    "|".join(
        (
            r"\bwe(?:'ll| will)?\s+(?:definitely\s+|just\s+)?(?:won't|will not|"
            r"aren't going to|are not going to|aren't gonna|are not gonna|'re not going to|"
            r"'re not gonna)\s+(?:go (?:with|for|ahead with)|use|include|keep|need)\b",
            rf"\bwe(?:'ve| have)?\s+{_ADV}(?:ruled out|dropped|scrapped|rejected|"
            r"decided against|decided not to|agreed not to)\b",
            r"\b(?:let's|let us)\s+(?:not(?!\s+(?:decide|discuss|worry|talk|get|go into|dwell|"
            r"rush|spend|bother|forget|waste)\b)|drop|skip|forget about|leave out)\b",
            r"^(?:so|okay so|then|I'd say|I would say|I think)?,?\s*(?:there's\s+|there is\s+)?"
            r"no need for\b(?!\s+(?:you|us|me|him|her|them)\b)",
        )
    ),
    re.IGNORECASE,
)
_NEGATORS = frozenset(
    """no not never haven't hasn't hadn't didn't don't doesn't can't cannot won't isn't
    aren't wasn't weren't nobody""".split()
)
# "whether we'll use ...", "once we've decided ...", "before we agree on ...": an open point
_OPEN = re.compile(
    r"\b(?:whether|if|once|when|until|unless|before|after|why|how|what|which)\s+"
    r"(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_TAG = re.compile(
    r",?\s*(?:right|correct|okay|ok|yeah|yes|no|agreed|yes or no|don't you think|isn't it|"
    r"is that ok(?:ay)?|does that work)\s*\?$",
    re.IGNORECASE,
)
_DISAGREE = re.compile(r"\bagree(?:d)? to disagree\b|\bdisagree\b", re.IGNORECASE)
_CLAUSE_END = re.compile(
    r"\s*(?:[;:?!]|\.(?:\s|$)|,\s+(?:but|so|and then|which)\b|,?\s+(?:because|since|as long as)\b)"
)
_LEAD = re.compile(r"^(?:that|to|on|upon|for|about|with|,)\s+", re.IGNORECASE)
TEXT_MAX_WORDS = 14


def plain_text(text: str) -> str:
    """Return `text` straightened, without fillers and transcription marks.

    "{vocalsound}" goes; spelled letters "L_C_D_" become "LCD" (AMI-style transcripts).
    """
    text = re.sub(r"\{[a-z]+\}", " ", straight_quotes(text))
    text = re.sub(r"\b((?:[A-Za-z]_)+)", lambda m: m.group(1).replace("_", ""), text)
    return clean_spoken(text)


def _negated(text: str, start: int) -> bool:
    clause = re.split(r"[,;:]", text[:start])[-1]
    words = re.findall(r"[a-z']+", clause.lower())[-4:]
    return any(w in _NEGATORS or w.endswith("n't") for w in words)


def _question(text: str) -> bool:
    stripped = text.rstrip("\"') ")
    return stripped.endswith("?") and _TAG.search(stripped) is None


# Every cue above holds one of these (lower case): a sentence without any is skipped cheaply.
_PREFILTER = (
    "decid", "agree", "settl", "chos", "opted", "conclud", "determin", "picked", "selected",
    "let's", "let us", "we'll", "we will", "we're", "we are", "we should", "going to", "gonna",
    "decision",
    "ruled out", "dropped", "scrapped", "rejected", "need for", "way to go", "it is", "we keep",
    "we use", "we take", "we have", "we go", "we stick", "we drop", "we skip", "we'd rather",
    "won't",
)  # fmt: skip


def is_decision(sentence: str) -> re.Match[str] | None:
    """Return the decision cue of `sentence`, or None when it states no decision.

    A question (other than a tag question), a hypothetical, a negated cue and a cue
    inside an open subordinate clause ("whether we'll use ...") are not decisions.
    """
    low = sentence.lower().replace("\u2019", "'")
    if not any(key in low for key in _PREFILTER):
        return None
    text = plain_text(sentence)
    if not text or _question(text) or is_hypothetical(text) or _DISAGREE.search(text):
        return None
    if re.match(r"^\W*(?:if|unless|whether|in case|suppose)\b", text, re.IGNORECASE):
        return None
    for m in _NEGATIVE.finditer(text):
        if not _OPEN.search(text[: m.start()]):
            return m
    for m in _POSITIVE.finditer(text):
        if _negated(text, m.start()) or _OPEN.search(text[: m.start()]):
            continue
        return m
    chosen = _IT_IS.match(text)
    if chosen is not None:
        words = chosen.group("what").lower().split()
        if not (set(words) & _NOT_A_CHOICE) and words[0] not in {"it", "i", "he", "she", "they"}:
            return chosen
    return None


_VERB_CUE = re.compile(
    r"(?:go|going|stick|sticking|keep|use|incorporate|adopt|opt|choose|pick|settle|settling|"
    r"ruled out|dropped|scrapped|rejected|against|not to|need|include|have|drop|skip|leave out|"
    r"forget about|not|no need for)(?:\s+(?:with|for|on|ahead with|out))?$",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"^(?:(?:so|okay|ok|right|alright|then|I think|I'd say|I would say)[\s,]+)*"
    r"(?:(?:we|we've|we have|we'll|we will|we're|we are|let's|let us|there's|there is)\s+)?"
    r"(?:(?:all|just|definitely|really|then|finally|probably|going to|gonna|should)\s+)*",
    re.IGNORECASE,
)
_WAY_TO_GO = re.compile(r"way\s+to\s+go$", re.IGNORECASE)


def decision_text(sentence: str, cue: re.Match[str] | None = None) -> str:
    """Return what was decided, in a short line ("go with the rubber case")."""
    text = plain_text(sentence)
    cue = cue or is_decision(sentence)
    if cue is None:
        return ""
    if cue.re is _IT_IS:
        return cue.group("what").strip()
    rest = text[cue.end() :]
    if _WAY_TO_GO.search(cue.group()):
        rest = re.sub(r"^(?:(?:so|then|maybe|perhaps|I think)[\s,]+)+", "", text[: cue.start()])
    elif _VERB_CUE.search(cue.group()):
        rest = f"{_SUBJECT.sub('', cue.group())} {rest}"  # keep the verb: "go with the ..."
    rest = _CLAUSE_END.split(rest.strip(), maxsplit=1)[0]
    rest = _TAG.sub("", _LEAD.sub("", rest.strip(" ,"))).strip(" ,;:")
    if len(content_words(rest)) < 1 or len(rest.split()) < 2:
        rest = _TAG.sub("", text.rstrip(".!")).strip(" ,;:")
    return " ".join(rest.split()[:TEXT_MAX_WORDS])


REPEAT_TURNS = 10
"""A decision restated within this many turns (same content) is the same decision."""
CONFIRM_TURNS = 3
"""An agreement with no content of its own ("We agree on that, right?", "That's settled")
within this many turns after a decision confirms it: it is not a second decision."""


def find_decisions(units: Iterable[Sentence]) -> list[ExtractedDecision]:
    """Return the decisions stated in `units`, one per sentence.

    A restatement (same content within `REPEAT_TURNS` turns) and a bare confirmation of the
    decision just made are dropped.
    """
    found: list[ExtractedDecision] = []
    seen: list[tuple[int, set[str]]] = []
    for s in units:
        cue = is_decision(s.text)
        if cue is None:
            continue
        text = decision_text(s.text, cue)
        words = content_words(text)
        bare = text == _TAG.sub("", plain_text(s.text).rstrip(".!")).strip(" ,;:")
        repeat = any(
            s.turn - turn <= REPEAT_TURNS
            and words
            and len(words & other) / len(words | other) >= 0.5
            or (bare and s.turn - turn <= CONFIRM_TURNS)
            for turn, other in seen
        )
        if repeat or not text:
            continue
        seen.append((s.turn, words))
        found.append(ExtractedDecision(text=text, quote=s.text, speaker=s.speaker, start=s.start))
    return found
