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
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sales_operator.errors import InputError
from sales_operator.meetings import prefilter, sentence_gates
from sales_operator.meetings.extract import (
    ExtractedDecision,
    Sentence,
    clean_spoken,
    content_words,
    is_hypothetical,
    straight_quotes,
)

__all__ = [
    "agreed_proposals",
    "checked_statements",
    "decision_text",
    "find_decisions",
    "is_decision",
    "learned_decision",
    "learned_text",
    "plain_text",
    "proposal_text",
]

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
            # round 5 (mq): the group records a conclusion ("maybe we can state that ...")
            r"\bwe\s+can\s+(?:all\s+)?(?:state|say|take it|conclude|note down|write down)\s+that\b",
        )
    ),
    re.IGNORECASE,
)
_POSITIVE = prefilter.start_gated(_POSITIVE)  # same matches, tried at fewer positions
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
_NEGATIVE = prefilter.start_gated(_NEGATIVE)  # same matches, tried at fewer positions
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
# Round 5 (mq). A consensus check after a statement ("No need for a talk-back. Does anybody
# disagree with that?", "Everyone happy with that?", "Any objections?"): the group is asked
# to object, and silence or "no" is consent.
_CHECK = re.compile(
    r"^\W*(?:(?:uh|um|so|okay|ok|and|right|alright)[\s,]+)*(?:(?:does|do|did|is|are|would|will)"
    r"\s+)?(?:any(?:body|one)(?:\s+else)?|every(?:body|one)|we\s+all|all)\s+(?:disagree|object|"
    r"mind|against|have\s+(?:a\s+problem|any\s+(?:problems?|objections?))|(?:happy|okay|ok|fine|"
    r"good|agreed|alright|comfortable)|agree)\b[^?]*\?\s*$"
    r"|^\W*(?:(?:so|okay|ok|and)[\s,]+)*(?:any\s+objections?|(?:all\s+|are\s+we\s+|everyone\s+)?"
    r"agreed|all\s+in\s+favou?r)\s*\?\s*$",
    re.IGNORECASE,
)
# "unless we hear otherwise, we could go ahead with that": consent unless someone objects
_UNLESS_OBJECTION = re.compile(
    r"^\W*unless\s+(?:we\s+hear\s+otherwise|(?:any|some)(?:one|body)\s+(?:objects|disagrees|"
    r"says\s+otherwise)|there(?:'s|\s+is|\s+are)\s+(?:any\s+)?objections?)\s*,?\s*"
    r"(?=(?:we|let's|let\s+us|I\s+think)\b)",
    re.IGNORECASE,
)
_CONDITIONAL_GO = re.compile(
    r"^(?:we\s+(?:could|can|'ll|will|should)|let's|let\s+us)\s+(?:just\s+)?(?:go\s+(?:ahead\s+)?"
    r"(?:with|for)|use|keep|stick\s+with|adopt)\b",
    re.IGNORECASE,
)
# Not `_OBJECT` (proposals): a bare "no" answers "does anybody disagree?" with consent.
_DISSENT = re.compile(
    r"\b(?:I\s+disagree|I\s+don't\s+agree|I'm\s+not\s+sure|actually|I'd\s+rather|what\s+about|"
    r"how\s+about|not\s+a\s+good\s+idea|I\s+don't\s+(?:think|like)|wait)\b|^\W*but\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:[;:?!]|\.(?:\s|$)|,\s+(?:but|so|and then|which)\b|,?\s+(?:because|since|as long as)\b)"
)
_LEAD = re.compile(r"^(?:that|to|on|upon|for|about|with|,)\s+", re.IGNORECASE)
TEXT_MAX_WORDS = 14


_CURLY_TAG = re.compile(r"\{[a-z]+\}")
_SPELLED_LETTERS = re.compile(r"\b((?:[A-Za-z]_)+)")


@lru_cache(maxsize=8192)  # every decision rule reads a sentence through it, some twice
def plain_text(text: str) -> str:
    """Return `text` straightened, without fillers and transcription marks.

    "{vocalsound}" goes; spelled letters "L_C_D_" become "LCD" (AMI-style transcripts).
    """
    text = straight_quotes(text)
    if "{" in text:  # (each pattern needs its character: skip the pass without it)
        text = _CURLY_TAG.sub(" ", text)
    if "_" in text:
        text = _SPELLED_LETTERS.sub(lambda m: m.group(1).replace("_", ""), text)
    return clean_spoken(text)


_CLAUSE_BREAK = re.compile(r"[,;:]")
_APOS_WORD = re.compile(r"[a-z']+")


def _negated(text: str, start: int) -> bool:
    clause = _CLAUSE_BREAK.split(text[:start])[-1]
    words = _APOS_WORD.findall(clause.lower())[-4:]
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
    "won't", "we can", "unless",
)  # fmt: skip


_CONDITIONAL_START = re.compile(r"^\W*(?:if|unless|whether|in case|suppose)\b", re.IGNORECASE)


def is_decision(sentence: str) -> re.Match[str] | None:
    """Return the decision cue of `sentence`, or None when it states no decision.

    A question (other than a tag question), a hypothetical, a negated cue and a cue
    inside an open subordinate clause ("whether we'll use ...") are not decisions.
    """
    low = sentence.lower().replace("\u2019", "'")
    if not prefilter.contains_any(_PREFILTER, low):  # any(key in low for key in _PREFILTER)
        return None
    plain = plain_text(sentence)
    text = _UNLESS_OBJECTION.sub("", plain).strip(" ,")
    if not text:
        return None
    # the cue first: almost no sentence has one, and the guards below only turn a cue down
    cue = _cue(text, cut=text != plain.strip(" ,"))  # an "unless nobody objects" was cut off
    if cue is None or _question(text) or is_hypothetical(text):
        return None
    if _DISAGREE.search(text) and not _CHECK.search(text):
        return None
    if _CONDITIONAL_START.match(text):
        return None
    return cue


@lru_cache(maxsize=1)
def _positive_table() -> prefilter.GateTable:
    """Return one gate per alternative of `_POSITIVE` (a text that opens none cannot match).

    Its needles as a whole (`prefilter.needles`) are a union that holds in most sentences
    with a decision key word; an alternative's own conjunction ("we" and "decided", "let's"
    and "stick") rules out half of them without running the pattern.
    """
    branches = prefilter.branch_needles(_POSITIVE)
    return prefilter.GateTable(branches if branches else [()])  # (no needles: always open)


def _cue(text: str, *, cut: bool) -> re.Match[str] | None:
    """Return the first decision cue of `text` that no negation or open clause governs.

    `cut`: an "unless nobody objects" lead was cut off the sentence (a conditional "we could
    go ahead with that" then decides).
    """
    if cut:
        go = _CONDITIONAL_GO.match(text)
        if go is not None:
            return go
    for m in prefilter.finditer(_NEGATIVE, text):  # (its needles: in few sentences)
        if not _OPEN.search(text[: m.start()]):
            return m
    for m in _POSITIVE.finditer(text) if _positive_table().open(text.lower()) else ():
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
    r"(?:(?:all|just|definitely|really|then|finally|probably|going to|gonna|should|could|can)\s+)*",
    re.IGNORECASE,
)
_WAY_TO_GO = re.compile(r"way\s+to\s+go$", re.IGNORECASE)


_HEDGE_LEAD = re.compile(r"^(?:(?:so|then|maybe|perhaps|I think)[\s,]+)+")


def decision_text(sentence: str, cue: re.Match[str] | None = None) -> str:
    """Return what was decided, in a short line ("go with the rubber case")."""
    text = _UNLESS_OBJECTION.sub("", plain_text(sentence)).strip(" ,")
    cue = cue or is_decision(sentence)
    if cue is None:
        return ""
    if cue.re is _IT_IS:
        return cue.group("what").strip()
    rest = text[cue.end() :]
    if _WAY_TO_GO.search(cue.group()):
        rest = _HEDGE_LEAD.sub("", text[: cue.start()])
    elif _VERB_CUE.search(cue.group()):
        rest = f"{_SUBJECT.sub('', cue.group())} {rest}"  # keep the verb: "go with the ..."
    rest = _CLAUSE_END.split(rest.strip(), maxsplit=1)[0]
    rest = _TAG.sub("", _LEAD.sub("", rest.strip(" ,"))).strip(" ,;:")
    if len(content_words(rest)) < 1 or len(rest.split()) < 2:
        rest = _TAG.sub("", text.rstrip(".!")).strip(" ,;:")
    return " ".join(rest.split()[:TEXT_MAX_WORDS])


# --- proposal then agreement --------------------------------------------------------------
# "maybe we should go with the rubber case" ... "yeah, okay": a hedged proposal by one speaker
# that another speaker accepts within `AGREE_TURNS` turns, with nobody objecting in between.

_HEDGED = re.compile(
    "|".join(
        (
            r"\b(?:maybe|perhaps)\s+(?:(?:we\s+(?:should|could|can|might|need to)|just)\s+"
            r"(?:just\s+|also\s+|all\s+)?)?(?:(?:[a-z]|like|sort of|kind of)\s+)?"
            r"(?=(?:go|use|have|make|keep|put|add|take|stick|drop|leave|include|incorporate|"
            r"a|an|some|two|three|one)\b)",
            r"\bI think\s+(?:we\s+(?:should|could|can)\s+(?:just\s+|also\s+)?|it(?:'d| would)\s+"
            r"be\s+(?:a\s+)?(?:good|better|best|nice|great)\s+(?:idea\s+)?(?:to\s+|if we\s+))",
            r"\b(?:how|what)\s+about\s+",
            r"\bwhy\s+don't\s+we\s+",
            r"\bshall\s+we\s+",
            r"\bI(?:'d| would)\s+(?:suggest|propose|go (?:with|for)|vote for|recommend)\s+",
            r"\b(?:I|we)\s+(?:suggest|propose|recommend)\s+(?:that\s+)?(?:we\s+)?",
            r"\b(?:my|our)\s+(?:suggestion|proposal|recommendation)\s+(?:is|would be)\s+"
            r"(?:that\s+|to\s+)?(?:we\s+)?",
        )
    ),
    re.IGNORECASE,
)
_HEDGED = prefilter.start_gated(_HEDGED)  # same matches, tried at fewer positions
# Meeting process, not a choice: "maybe we should move on", "how about a break?"
_PROCESS = re.compile(
    r"\b(?:move on|go on|go back|come back|carry on|continue|start|begin|finish|wrap up|"
    r"stop|end|talk|discuss|present|presentation|slides?|agenda|meeting|break|lunch|coffee|"
    r"ask|wait|see|look|show|read|check|email|mail|minutes|later|next one|think|decide|"
    r"decisions?|information|you|yourself|him|her|them|anyone|anybody|everybody|everyone|"
    r"have (?:been|had|done|used|made|gone|lost|put)|I don't know)\b",
    re.IGNORECASE,
)
_WEAK_ACCEPT = re.compile(
    r"^\W*(?:(?:so|well|oh|mm-hmm|uh-huh)[\s,.!]+)*(?:yeah|yes|yep|yup|okay|ok|alright|"
    r"all right|right|good|great|cool)\b",
    re.IGNORECASE,
)
_STRONG_ACCEPT = re.compile(
    r"^\W*(?:(?:so|well|oh|okay|ok|yeah|yes|yep|yup|right|mm-hmm|uh-huh)[\s,.!]+)*"
    r"(?:i agree|we agree|agreed|sounds (?:good|great|fine|like a plan)|good idea|"
    r"great idea|that(?:'s| is| would be| sounds)\s+(?:fine|good|great|a good idea|perfect|"
    r"sensible|the way to go)|that works|let's do (?:it|that)|i like (?:that|it|the idea)|"
    r"go for it|there we go|fair enough|makes sense|definitely|absolutely|exactly|perfect|"
    r"fine|sure)\b",
    re.IGNORECASE,
)
_OBJECT = re.compile(
    r"^\W*(?:no|nope|nah|but|hmm+,? but|not really|I don't|I'm not|I disagree|actually no|"
    r"wait|hang on|well,? no)\b|\b(?:but|though|however|I disagree|don't think|not sure|"
    r"rather|instead|too (?:expensive|much|complex|complicated|big|small)|what about|"
    r"how about|I don't like|don't agree|not a good idea)\b",
    re.IGNORECASE,
)
_LEADING_JOIN = re.compile(
    r"^(?:because|cause|'cause|since|so|and|but|or|if|that|which|it|it's|they|he|she)\b", re.I
)
AGREE_TURNS = 3
"""A proposal is accepted when another speaker agrees within this many turns after it."""
PROPOSAL_TAIL = 2
"""Only one of the last this many sentences of its turn can be accepted by the next turns."""


_NOT_TAIL = re.compile(r"^(?:not|n't)\b.*", re.IGNORECASE)


def proposal_text(sentence: str) -> str:
    """Return what `sentence` proposes ("go with the rubber case"), or "" when it proposes nothing.

    A hedged proposal: "maybe we should ...", "so maybe a plastic case with a latex sheath?",
    "I think we should ...", "how about ...", "why don't we ...", "we could just use ...", "I'd
    go with ...", "I suggest ...". A hypothetical, a negated proposal and meeting process
    ("maybe we should move on", "how about a break?") propose nothing.
    """
    text = plain_text(sentence)
    if not text or not prefilter.could_match(_HEDGED, text) or is_hypothetical(text):
        return ""  # (no cue: "" whatever the other checks say)
    if _CONDITIONAL_START.match(text):
        return ""
    m = _HEDGED.search(text)
    if m is None or _negated(text, m.start()) or _OPEN.search(text[: m.start()]):
        return ""
    rest = _CLAUSE_END.split(text[m.end() :].strip(" ,"), maxsplit=1)[0]
    rest = _TAG.sub("", rest).strip(" ,;:?.!")
    rest = _NOT_TAIL.sub("", rest)
    if len(content_words(rest)) < 2 or _PROCESS.search(rest) or _LEADING_JOIN.match(rest):
        return ""
    return " ".join(rest.split()[:TEXT_MAX_WORDS])


def _accepts(turn: list[Sentence], proposal: str) -> bool:
    """Whether `turn` accepts `proposal` with no objection in it.

    An explicit agreement ("I agree", "good idea", "sounds good", "sure", "fine") accepts; a
    bare "yeah" or "okay" (a backchannel in most meetings) accepts only when the turn takes
    up a content word of the proposal ("Okay, so a plastic, latex ...").
    """
    first = plain_text(turn[0].text) if turn else ""
    whole = " ".join(plain_text(s.text) for s in turn)
    if not first or _OBJECT.search(whole) is not None:
        return False
    if _STRONG_ACCEPT.match(first):
        return True
    weak = _WEAK_ACCEPT.match(first) is not None
    return weak and bool(content_words(whole) & content_words(proposal))


_BARE_NOD = re.compile(
    r"\W*(?:(?:yeah|yes|yep|yup|okay|ok|sure|alright|right|good|fine|mm-hmm)\W*)+", re.I
)


def _nod(turn: list[Sentence]) -> str:
    """Return who said `turn` when it is a bare agreement ("Yeah.", "Okay, yeah."), else ""."""
    text = " ".join(plain_text(s.text) for s in turn)
    bare = _BARE_NOD.fullmatch(text)
    return turn[0].speaker if turn and bare else ""


def _objects(turn: list[Sentence]) -> bool:
    return bool(turn) and _OBJECT.search(" ".join(plain_text(s.text) for s in turn)) is not None


def agreed_proposals(units: Iterable[Sentence]) -> list[tuple[Sentence, str]]:
    """Return the hedged proposals another speaker accepted, with what each proposes.

    The proposal must be one of the last `PROPOSAL_TAIL` sentences of its turn; within the
    next `AGREE_TURNS` turns another speaker's turn must open with an agreement ("yeah",
    "okay", "sounds good", "good idea") that holds no objection, or two other speakers must
    each say a bare "yeah" / "okay"; no turn before may object ("no", "but ...", "I don't
    think", "what about ...").
    """
    units = list(units)
    return _agreed_proposals(units, sentence_gates.gates(units))


def _agreed_proposals(units: list[Sentence], opened: Sequence[int]) -> list[tuple[Sentence, str]]:
    """Return `agreed_proposals(units)`, given the sentences' `sentence_gates.gates`."""
    by_turn: dict[int, list[Sentence]] = {}
    for s in units:
        by_turn.setdefault(s.turn, []).append(s)
    # (by identity: `units` holds every sentence while this runs)
    hedged = {id(s) for s, gate in zip(units, opened, strict=True) if gate & sentence_gates.HEDGED}
    order = sorted(by_turn)
    found: list[tuple[Sentence, str]] = []
    for pos, t in enumerate(order):
        turn = by_turn[t]
        for s in turn[-PROPOSAL_TAIL:]:
            if id(s) not in hedged:
                continue  # no cue word of a proposal: `proposal_text` would say ""
            what = proposal_text(s.text)
            if not what or is_decision(s.text) is not None:
                continue
            nodded: set[str] = set()  # speakers who said a bare "yeah" / "okay"
            for nxt in order[pos + 1 : pos + 1 + AGREE_TURNS]:
                reply = by_turn[nxt]
                if reply[0].speaker == s.speaker:
                    continue
                if _objects(reply):
                    break
                nod = _nod(reply)
                if _accepts(reply, what) or (nod and len(nodded | {nod}) >= 2):
                    found.append((s, what))
                    break
                if nod:
                    nodded.add(nod)
            break  # one proposal per turn
    return found


# Round 5 (mq): a decision that only points back at what was just decided
_POINTS_BACK = re.compile(
    r"^(?:\w+\s+){0,3}(?:that|this|the|it)\s*(?:one|proposal|idea|option|plan|suggestion)?\s*$",
    re.IGNORECASE,
)
CHECK_TURNS = 2
"""Turns after a consensus check in which an explicit dissent ("I disagree", "actually",
"what about ...") voids it."""


def checked_statements(units: Iterable[Sentence]) -> list[tuple[Sentence, str]]:
    """Return the statements put to the group by a consensus check that nobody contested.

    The statement is the sentence right before the check in the same turn ("I would say no
    need for a talk-back. Does anybody disagree with that?"); it must say something (three
    content words, not a question, not meeting process); a dissent by another speaker in the
    next `CHECK_TURNS` turns voids it, a bare "no" to "does anybody disagree" does not.
    """
    by_turn: dict[int, list[Sentence]] = {}
    for s in units:
        by_turn.setdefault(s.turn, []).append(s)
    order = sorted(by_turn)
    found: list[tuple[Sentence, str]] = []
    for pos, t in enumerate(order):
        turn = by_turn[t]
        for i, s in enumerate(turn[1:], start=1):
            if "?" not in s.text or not _CHECK.search(plain_text(s.text)):  # a check asks
                continue
            stated = turn[i - 1]
            text = _TAG.sub("", plain_text(stated.text)).strip(" ,;:.!")
            if (
                _question(plain_text(stated.text))
                or len(content_words(text)) < 3
                or _PROCESS.search(text)
                or is_hypothetical(text)
            ):
                continue
            replies = [by_turn[n] for n in order[pos + 1 : pos + 1 + CHECK_TURNS]]
            if any(
                r[0].speaker != s.speaker
                and _DISSENT.search(" ".join(plain_text(x.text) for x in r))
                for r in replies
            ):
                continue
            found.append((stated, " ".join(text.split()[:TEXT_MAX_WORDS])))
    return found


REPEAT_TURNS = 10
"""A decision restated within this many turns (same content) is the same decision."""
CONFIRM_TURNS = 3
"""An agreement with no content of its own ("We agree on that, right?", "That's settled")
within this many turns after a decision confirms it: it is not a second decision."""


# A decision still to be made ("now we need to discuss and come to a decision on ...", "we
# have to decide what ...", "it depends"): the model's form features can take it for one.
_STILL_OPEN = re.compile(
    r"\b(?:need|needs|have|has|got|going|gonna|want|should|must|will|'ll|let's|let\s+us|"
    r"try|trying)\s+(?:to\s+)?(?:\w+\s+){0,2}?(?:discuss|decide|talk|think|consider|figure|"
    r"look\s+(?:at|into)|find\s+out|come\s+to\s+(?:a|an|the)\s+(?:decision|agreement|"
    r"conclusion))\b|\bit\s+(?:all\s+)?depends\b|\bI'm\s+(?:not\s+sure|assuming)\b|"
    r"\b(?:for|in)\s+the\s+purposes?\s+of\s+(?:this|the)\s+meeting\b",
    re.IGNORECASE,
)


def learned_decision(sentence: str) -> bool:
    """Whether a sentence the learned model picked can state a decision.

    Not a question, a hypothetical, or a decision still to be made (`_STILL_OPEN`).
    """
    text = plain_text(sentence)
    return not (_question(text) or is_hypothetical(text) or _STILL_OPEN.search(text))


def learned_text(sentence: str) -> str:
    """Return the line for a decision only the learned model found.

    What it proposes when it is a hedged proposal; else the sentence without fillers, its
    tag question and its trailing stop, up to its first clause end. A line longer than
    `TEXT_MAX_WORDS` ends at its last comma within them (when that leaves three words).
    """
    what = proposal_text(sentence)
    if what:
        return what
    text = _TAG.sub("", plain_text(sentence).rstrip(" .!")).rstrip(" .!?").strip(" ,;:")
    text = _CLAUSE_END.split(text, maxsplit=1)[0].strip(" ,;:")
    words = text.split()
    if len(words) <= TEXT_MAX_WORDS:
        return text
    head = " ".join(words[:TEXT_MAX_WORDS])
    cut = head.rfind(",")
    return head[:cut].rstrip(" ,") if cut > 0 and len(head[:cut].split()) >= 3 else head


def find_decisions(
    units: Iterable[Sentence], *, learned: bool = True, opened: Sequence[int] | None = None
) -> list[ExtractedDecision]:
    """Return the decisions stated in `units`, one per sentence.

    A restatement (same content within `REPEAT_TURNS` turns) and a bare confirmation of the
    decision just made are dropped. With `learned` (the default), a sentence the rules do not
    read as a decision is one when the shipped classifier of `meetings.decision_model` is
    confident (a meeting's hedged proposals the group goes along with). `opened`: the
    sentences' `sentence_gates.gates`, when the caller has them.
    """
    units = list(units)
    if opened is None:  # one scan per sentence: the rules it may fire
        opened = sentence_gates.gates(units)
    elif len(opened) != len(units):
        raise InputError(f"opened has {len(opened)} gate masks for {len(units)} sentences")
    proposed = {(s.turn, s.index): what for s, what in _agreed_proposals(units, opened)}
    for s, what in checked_statements(units):
        proposed.setdefault((s.turn, s.index), what)
    cues = [
        is_decision(s.text) if gate & sentence_gates.DECISION else None
        for s, gate in zip(units, opened, strict=True)
    ]
    if learned:
        from sales_operator.meetings.decision_model import load_decision_model

        model = load_decision_model()
        if model is not None:
            ruled = {(s.turn, s.index) for s, cue in zip(units, cues, strict=True) if cue}
            for s in model.candidates(units, skip=proposed, ruled=ruled, opened=opened):
                if learned_decision(s.text):
                    proposed.setdefault((s.turn, s.index), learned_text(s.text))
    found: list[ExtractedDecision] = []
    seen: list[tuple[int, set[str]]] = []
    for s, cue in zip(units, cues, strict=True):
        if cue is not None:
            text = decision_text(s.text, cue)
        elif (s.turn, s.index) in proposed:
            text = proposed[(s.turn, s.index)]
        else:
            continue
        words = content_words(text)
        bare = text == _TAG.sub("", plain_text(s.text).rstrip(".!")).strip(" ,;:") or bool(
            _POINTS_BACK.search(text)  # "go ahead with that proposal": the one just made
        )
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
