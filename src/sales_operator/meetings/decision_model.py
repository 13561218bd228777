"""A small learned classifier for decision sentences in meetings, with context features.

The decision rules of `meetings.decisions` read explicit cues ("we decided", "let's go
with") and hedged proposals another speaker accepts. Design meetings decide mostly by
hedged proposals the group goes along with, said in many ways, and the rules tuned on a
dozen meetings miss most of them on meetings they were not written on.

This module scores the sentences that have the form of a group choice or proposal
(`is_candidate`: "we'll", "let's", "maybe", "should", "I think", "gonna", "decided", ...)
with a linear model (binary logistic regression) over their *form*, not their topic: word
classes (hedges, "we", modals, choice verbs, agreement, negation, ...) and their pairs, the
first word, a length band, whether it is a question; and their *context*: place in the
turn, how the next three turns of other speakers answer (agreement, a bare nod, an
objection, a question, two speakers agreeing), whether it answers another speaker's
question, and where in the meeting it is. The weights are shipped as data
(`data/decision_model.json`) and trained by `evals/ami_decision_model.py` on *weak labels*:
sentences of QMSum's AMI meetings aligned to QMSum's reference answers that report a
decision ("the team decided on latex covers"), excluding the 23 hand-labelled meetings of
`evals/ami_actions.py`. Scoring is a dict look-up per feature (no numpy); a sentence whose
form cannot reach the threshold with any context is skipped before its context is read.

`find_decisions` asks it for sentences the rules do not read as decisions; a sentence is a
decision when its probability reaches the shipped threshold (chosen on cross-validation
folds of the weak-labelled meetings) and it is not a decision still to be made
(`decisions.learned_decision`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Sequence
from functools import lru_cache
from importlib import resources
from itertools import chain, repeat
from typing import Any

import ahocorasick

from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import Sentence
from sales_operator.meetings.sentence_gates import CANDIDATE

__all__ = [
    "CANDIDATE_PHRASES",
    "DecisionModel",
    "MeetingContext",
    "is_candidate",
    "load_decision_model",
    "sentence_features",
]

MIN_WORDS = 4
"""Sentences shorter than this are never scored (fillers and backchannels)."""
NEXT_TURNS = 3
"""Turns after the sentence's own whose answers are context features."""

CANDIDATE_PHRASES = (
    "we'll", "we will", "we'd", "we can", "let's", "let us", "maybe", "perhaps", "should",
    "shall", "could", "i think", "i'd", "i would", "how about", "what about", "why don't",
    "gonna", "going to", "have to", "need to", "must", "go with", "go for",
)  # fmt: skip
"""Phrases, as whole words, that give a sentence the form of a group choice or proposal."""
CANDIDATE_STEMS = ("decid", "agree")
"""Word beginnings that do the same ("decided", "agreement")."""


def _automaton() -> Any:
    automaton = ahocorasick.Automaton()
    for phrase in CANDIDATE_PHRASES:
        automaton.add_word(phrase, (len(phrase), True))
    for stem in CANDIDATE_STEMS:
        automaton.add_word(stem, (len(stem), False))
    automaton.make_automaton()
    return automaton


_CANDIDATES = _automaton()


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def is_candidate(text: str) -> bool:
    """Return whether `text` has the form of a group choice or proposal (and is long enough).

    It holds one of `CANDIDATE_PHRASES` as whole words, or a word that begins with one of
    `CANDIDATE_STEMS` (case-blind; one scan of the text), and has `MIN_WORDS` words.
    """
    if text.count(" ") < MIN_WORDS - 1:  # fewer words for certain
        return False
    low = text.lower()
    if "\u2019" in low:
        low = low.replace("\u2019", "'")
    for end, (size, whole) in _CANDIDATES.iter(low):
        start = end - size + 1
        if start > 0 and _word_char(low[start - 1]):
            continue
        if whole and end + 1 < len(low) and _word_char(low[end + 1]):
            continue
        return len(text.split()) >= MIN_WORDS
    return False


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MARK = re.compile(r"\{[a-z]+\}")
WORD_CLASSES: dict[str, frozenset[str]] = {
    "we": frozenset("we we're we'll we've we'd let's us our".split()),
    "you": frozenset("you you're you'll your".split()),
    "i": frozenset("i i'm i'll i'd i've my".split()),
    "hedge": frozenset("maybe perhaps probably think guess suppose could might".split()),
    "modal": frozenset("should will 'll gonna going need must have".split()),
    "choose": frozenset(
        """go use keep stick take have put make choose pick include drop skip add""".split()
    ),
    "decide": frozenset(
        "decided decide decision agreed agree settled chosen final finally conclusion".split()
    ),
    "agree": frozenset("yeah yes okay ok alright right sure good great fine".split()),
    "neg": frozenset("no not never don't doesn't can't won't isn't aren't nothing".split()),
    "wh": frozenset("what which how why where who whether if".split()),
}
_CLASS_OF: dict[str, tuple[str, ...]] = {}
for _name, _words in sorted(WORD_CLASSES.items()):
    for _w in _words:
        _CLASS_OF[_w] = (*_CLASS_OF.get(_w, ()), _name)

_ACCEPT = re.compile(
    r"^\W*(?:(?:so|well|oh|mm-hmm|uh-huh|uh|um)[\s,.!]+)*(?:yeah|yes|yep|yup|okay|ok|alright|"
    r"all right|right|good|great|cool|sure|fine|agreed|definitely|exactly|absolutely|i agree|"
    r"sounds good|that's good|that's fine|perfect)\b",
    re.IGNORECASE,
)
_OBJECTS = re.compile(
    r"^\W*(?:no|nope|but|well,? no|i don't|not really)\b|\b(?:but|don't think|not sure|"
    r"instead|rather|too expensive|what about|how about)\b",
    re.IGNORECASE,
)


def _tokens(text: str) -> list[str]:
    t = text.lower()
    if "{" in t:  # each pass only when its character is there
        t = _MARK.sub(" ", t)
    if "_" in t:
        t = t.replace("_", "")
    if "\u2019" in t:
        t = t.replace("\u2019", "'")
    words: list[str] = _WORD.findall(t)
    if "'ll" not in t:
        return words
    out: list[str] = []
    for w in words:
        if w.endswith("'ll"):
            out += [w[:-3], "'ll"]
        else:
            out.append(w)
    return out


@lru_cache(maxsize=1024)
def _class_features(classes: tuple[str, ...]) -> tuple[str, ...]:
    """Return `c:<class>` for each class and `cc:<a>+<b>` for each pair (a few hundred sets)."""
    pairs = [f"cc:{a}+{b}" for i, a in enumerate(classes) for b in classes[i + 1 :]]
    return (*(f"c:{c}" for c in classes), *pairs)


def _form(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Return a sentence's word classes (sorted) and its other form features."""
    toks = _tokens(text)
    # (each word's classes looked up and gathered in C: no Python step per word)
    classes = tuple(sorted(set(chain.from_iterable(map(_CLASS_OF.get, toks, repeat(()))))))
    rest = [f"first:{toks[0]}"] if toks else []
    n = len(toks)
    rest.append("len:short" if n < 8 else "len:mid" if n < 20 else "len:long")
    if text.rstrip("\"') ").endswith("?"):
        rest.append("q")
    return classes, rest


def sentence_features(text: str) -> list[str]:
    """Return the features of one sentence alone: its form, not its topic.

    Word classes present and their pairs, the first word, a length band and whether it is a
    question. No other word is a feature: topic words fit the training meetings and
    nothing else.
    """
    classes, rest = _form(text)
    return [*_class_features(classes), *rest]


class MeetingContext:
    """A meeting's sentences by turn, with what the features ask of each turn kept once.

    `ruled`: the `(turn, index)` keys of the sentences the rules read as decisions, when the
    caller has them (`find_decisions` does); else `is_decision` is asked per sentence.
    """

    def __init__(
        self, units: Sequence[Sentence], ruled: Container[tuple[int, int]] | None = None
    ) -> None:
        """Index `units` by turn."""
        self.units = list(units)
        self.by_turn: dict[int, list[Sentence]] = {}
        for s in self.units:
            self.by_turn.setdefault(s.turn, []).append(s)
        self.order = sorted(self.by_turn)
        self.position = {t: k for k, t in enumerate(self.order)}
        self.ruled = ruled
        self._replies: dict[int, tuple[bool, bool, bool, bool]] = {}

    def reply(self, turn: int) -> tuple[bool, bool, bool, bool]:
        """Return whether `turn` opens with an agreement, is a bare nod, objects, asks."""
        found = self._replies.get(turn)
        if found is None:
            reply = self.by_turn[turn]
            first = reply[0].text
            accept = _ACCEPT.match(first) is not None
            nod = accept and len(reply) == 1 and len(first.split()) <= 3
            objects = prefilter.search(_OBJECTS, " ".join(r.text for r in reply)) is not None
            found = self._replies[turn] = (accept, nod, objects, reply[-1].question)
        return found

    def features(self, i: int) -> list[str]:
        """Return the features of sentence `units[i]` in its meeting.

        Its form (`sentence_features`), the rules' reading, and its context
        (`context_features`).
        """
        s = self.units[i]
        feats = sentence_features(s.text)
        if self.rule_decision(s):
            feats.append("rule:decision")
        return [*feats, *self.context_features(i)]

    def rule_decision(self, s: Sentence) -> bool:
        """Whether the rules read `s` as a decision."""
        from sales_operator.meetings.decisions import is_decision

        if self.ruled is not None:
            return (s.turn, s.index) in self.ruled
        return is_decision(s.text) is not None

    def context_features(self, i: int) -> list[str]:
        """Return the context features of `units[i]`.

        Its place in its turn, how the next turns answer (agreement, a bare nod, an
        objection, a question; two speakers agreeing), whether it answers another speaker's
        question, and where in the meeting it is.
        """
        s = self.units[i]
        feats: list[str] = []
        by_turn, order = self.by_turn, self.order
        turn = by_turn[s.turn]
        feats.append("pos:last" if s is turn[-1] else "pos:inner")
        if len(turn) == 1:
            feats.append("pos:alone")
        pos = self.position[s.turn]
        nods: set[str] = set()
        for k, t in enumerate(order[pos + 1 : pos + 1 + NEXT_TURNS], start=1):
            speaker = by_turn[t][0].speaker
            if speaker == s.speaker:
                feats.append(f"next{k}:same")
                continue
            accept, nod, objects, asks = self.reply(t)
            if accept:
                feats.append(f"next{k}:accept")
                nods.add(speaker)
            if nod:
                feats.append(f"next{k}:nod")
            if objects:
                feats.append(f"next{k}:object")
            if asks:
                feats.append(f"next{k}:question")
        if len(nods) >= 2:
            feats.append("next:nods2")
        feats.append(f"at:{min(3, int(4 * pos / max(1, len(order))))}")
        if pos > 0:
            prev = by_turn[order[pos - 1]]
            if prev[-1].question and prev[0].speaker != s.speaker:
                feats.append("prev:question")
        return feats


class DecisionModel:
    """A binary linear classifier: one weight per feature, a bias and a threshold."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Build the model from its JSON form (`weights`, `bias`, `threshold`)."""
        self.weights: dict[str, float] = {k: float(v) for k, v in data["weights"].items()}
        self.bias: float = float(data["bias"])
        self.threshold: float = float(data["threshold"])
        self._room: float | None = None

    def probability(self, feats: Sequence[str]) -> float:
        """Return the probability that the sentence with `feats` states a decision."""
        get = self.weights.get
        score = self.bias + sum(map(get, set(feats), repeat(0.0)))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def context_room(self) -> float:
        """Return the most `MeetingContext.context_features` can add to a sentence's score.

        Per group of features that can hold together: one of `pos:last`/`pos:inner` (and
        `pos:alone`); per next turn, `same` or the sum of its answers; one `at:`; the rest.
        """
        if self._room is None:

            def up(*names: str) -> float:
                return sum(max(0.0, self.weights.get(n, 0.0)) for n in names)

            answers = ("accept", "nod", "object", "question")
            self._room = (
                max(up("pos:last"), up("pos:inner"))
                + up("pos:alone", "next:nods2", "prev:question")
                + sum(
                    max(up(f"next{k}:same"), up(*(f"next{k}:{a}" for a in answers)))
                    for k in range(1, NEXT_TURNS + 1)
                )
                + max(up(f"at:{q}") for q in range(4))
                + 1e-9
            )
        return self._room

    def scores(self, units: Sequence[Sentence]) -> list[float | None]:
        """Return each sentence's probability (None for one that is not a candidate)."""
        meeting = MeetingContext(units)
        return [
            self.probability(meeting.features(i)) if is_candidate(s.text) else None
            for i, s in enumerate(meeting.units)
        ]

    def candidates(
        self,
        units: Sequence[Sentence],
        skip: Container[tuple[int, int]] = (),
        ruled: Container[tuple[int, int]] | None = None,
        opened: Sequence[int] | None = None,
    ) -> list[Sentence]:
        """Return the sentences that reach the threshold, but for those keyed in `skip`.

        Keys are `(turn, index)`. A sentence the rules already read as a decision (keyed in
        `ruled`, when given) is not returned: the rules give its line. `opened`: the
        sentences' `sentence_gates.gates`, when the caller has them (a sentence whose
        `CANDIDATE` gate is shut is no candidate).
        """
        meeting = MeetingContext(units, ruled)
        get = self.weights.get
        # a sentence whose form alone falls short of the threshold by more than any context
        # can add is skipped before its context is read (same result, less work)
        room = self.context_room()
        class_scores: dict[tuple[str, ...], float] = {}
        limit = math.log(self.threshold / (1.0 - self.threshold)) if 0 < self.threshold < 1 else 0
        out: list[Sentence] = []
        for i, s in enumerate(meeting.units):
            if opened is not None and not opened[i] & CANDIDATE:
                continue
            key = (s.turn, s.index)
            if key in skip or (ruled is not None and key in ruled) or not is_candidate(s.text):
                continue
            classes, rest = _form(s.text)
            by_classes = class_scores.get(classes)
            if by_classes is None:
                by_classes = class_scores[classes] = sum(
                    get(f, 0.0) for f in _class_features(classes)
                )
            if self.bias + by_classes + sum(map(get, rest, repeat(0.0))) + room < limit:
                continue
            form = [*_class_features(classes), *rest]
            if meeting.rule_decision(s):
                continue  # the rules give its line
            feats = [*form, *meeting.context_features(i)]
            if self.probability(feats) >= self.threshold:
                out.append(s)
        return out


@lru_cache(maxsize=1)
def load_decision_model() -> DecisionModel | None:
    """Return the bundled model, or None when the data file is absent."""
    res = resources.files("sales_operator").joinpath("data/decision_model.json")
    if not res.is_file():
        return None
    return DecisionModel(json.loads(res.read_text("utf-8")))
