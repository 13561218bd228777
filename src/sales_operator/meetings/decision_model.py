"""A small learned classifier for decision sentences in meetings, with context features.

The decision rules of `meetings.decisions` read explicit cues ("we decided", "let's go
with") and hedged proposals another speaker accepts. Design meetings decide mostly by
hedged proposals the group goes along with, said in many ways, and the rules tuned on a
dozen meetings miss most of them on meetings they were not written on.

This module scores each sentence of a meeting with a linear model (binary logistic
regression) over its words, word pairs, word classes (hedges, "we", modals, choices, ...),
what the rules say of it, and its context: its place in the turn, and how the next turns of
other speakers answer (agreement, a bare nod, an objection, a question). The weights are
shipped as data (`data/decision_model.json`) and trained by `evals/ami_decision_model.py` on
*weak labels*: sentences of QMSum's AMI meetings aligned to QMSum's reference answers that
report a decision ("the team decided on latex covers"), excluding the 23 hand-labelled
meetings of `evals/ami_actions.py`. Scoring is a dict look-up per feature: no numpy.

`find_decisions` asks it for sentences the rules do not read as decisions; a sentence is a
decision when its probability reaches the shipped threshold (chosen on cross-validation
folds of the weak-labelled meetings).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from sales_operator.meetings.extract import Sentence, content_words

__all__ = [
    "CANDIDATE",
    "DecisionModel",
    "context_features",
    "is_candidate",
    "load_decision_model",
    "sentence_features",
]

MIN_WORDS = 4
"""Sentences shorter than this are never scored (fillers and backchannels)."""
NEXT_TURNS = 3
"""Turns after the sentence's own whose answers are context features."""
ECHO_TURNS = 5
"""Turns before the sentence's own in which another speaker's words it takes up count."""

CANDIDATE = re.compile(
    r"\b(?:we|we're|we'll|we've|we'd|let's|let\s+us|us|our|maybe|perhaps|should|shall|could|"
    r"I\s+think|I'd|I\s+would|how\s+about|what\s+about|why\s+don't|gonna|going\s+to|"
    r"have\s+to|need\s+to|must|decid\w*|agree\w*|go\s+(?:with|for))\b",
    re.IGNORECASE,
)
"""The form of a sentence that can state or propose a group choice: only these are scored."""


def is_candidate(text: str) -> bool:
    """Return whether `text` has the form of a group choice or proposal (and is long enough)."""
    return len(text.split()) >= MIN_WORDS and CANDIDATE.search(text) is not None


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
    t = _MARK.sub(" ", text.replace("\u2019", "'").replace("_", "").lower())
    out: list[str] = []
    for w in _WORD.findall(t):
        if w.endswith("'ll"):
            out += [w[:-3], "'ll"]
        else:
            out.append(w)
    return out


def sentence_features(text: str) -> list[str]:
    """Return the features of one sentence alone: its form, not its topic.

    Word classes present and their pairs, the first word, a length band and whether it is a
    question. No other word is a feature: topic words fit the training meetings and
    nothing else.
    """
    toks = _tokens(text)
    feats: list[str] = []
    classes = sorted({c for w in toks for c in _CLASS_OF.get(w, ())})
    feats += [f"c:{c}" for c in classes]
    feats += [f"cc:{a}+{b}" for i, a in enumerate(classes) for b in classes[i + 1 :]]
    if toks[:1]:
        feats.append(f"first:{toks[0]}")
    n = len(toks)
    feats.append("len:short" if n < 8 else "len:mid" if n < 20 else "len:long")
    if text.rstrip("\"') ").endswith("?"):
        feats.append("q")
    return feats


def context_features(
    units: Sequence[Sentence], i: int, by_turn: dict[int, list[Sentence]], order: list[int]
) -> list[str]:
    """Return the features of sentence `units[i]` in its meeting (rules, turn, answers).

    `by_turn` maps a turn to its sentences and `order` lists the turns in order (as
    `meetings.decisions` builds them).
    """
    from sales_operator.meetings.decisions import is_decision, proposal_text

    s = units[i]
    feats = sentence_features(s.text)
    if is_decision(s.text) is not None:
        feats.append("rule:decision")
    if proposal_text(s.text):
        feats.append("rule:proposal")
    turn = by_turn[s.turn]
    feats.append("pos:last" if s is turn[-1] else "pos:inner")
    if len(turn) == 1:
        feats.append("pos:alone")
    pos = _position(order, s.turn)
    nods: set[str] = set()
    for k, t in enumerate(order[pos + 1 : pos + 1 + NEXT_TURNS], start=1):
        reply = by_turn[t]
        if reply[0].speaker == s.speaker:
            feats.append(f"next{k}:same")
            continue
        first = reply[0].text
        if _ACCEPT.match(first):
            feats.append(f"next{k}:accept")
            nods.add(reply[0].speaker)
            if len(reply) == 1 and len(first.split()) <= 3:
                feats.append(f"next{k}:nod")
        if _OBJECTS.search(" ".join(r.text for r in reply)):
            feats.append(f"next{k}:object")
        if reply[-1].question:
            feats.append(f"next{k}:question")
    if len(nods) >= 2:
        feats.append("next:nods2")
    own = content_words(s.text)
    if own:
        later = [x for t in order[pos + 1 : pos + 1 + NEXT_TURNS] for x in by_turn[t]]
        if any(x.speaker != s.speaker and own & content_words(x.text) for x in later):
            feats.append("uptake:next")
        earlier = [x for t in order[max(0, pos - ECHO_TURNS) : pos] for x in by_turn[t]]
        if any(x.speaker != s.speaker and len(own & content_words(x.text)) >= 2 for x in earlier):
            feats.append("echo:prev")
    feats.append(f"at:{min(3, int(4 * pos / max(1, len(order))))}")
    if pos > 0:
        prev = by_turn[order[pos - 1]]
        if prev[-1].question and prev[0].speaker != s.speaker:
            feats.append("prev:question")
    return feats


def _position(order: list[int], turn: int) -> int:
    lo, hi = 0, len(order)
    while lo < hi:  # bisect (order is sorted)
        mid = (lo + hi) // 2
        if order[mid] < turn:
            lo = mid + 1
        else:
            hi = mid
    return lo


class DecisionModel:
    """A binary linear classifier: one weight per feature, a bias and a threshold."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Build the model from its JSON form (`weights`, `bias`, `threshold`)."""
        self.weights: dict[str, float] = {k: float(v) for k, v in data["weights"].items()}
        self.bias: float = float(data["bias"])
        self.threshold: float = float(data["threshold"])

    def probability(self, feats: Sequence[str]) -> float:
        """Return the probability that the sentence with `feats` states a decision."""
        get = self.weights.get
        score = self.bias + sum(get(f, 0.0) for f in set(feats))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def scores(self, units: Sequence[Sentence]) -> list[float | None]:
        """Return each sentence's probability (None for one too short to be scored)."""
        units = list(units)
        by_turn: dict[int, list[Sentence]] = {}
        for s in units:
            by_turn.setdefault(s.turn, []).append(s)
        order = sorted(by_turn)
        return [
            self.probability(context_features(units, i, by_turn, order))
            if is_candidate(s.text)
            else None
            for i, s in enumerate(units)
        ]

    def candidates(
        self, units: Sequence[Sentence], skip: Container[tuple[int, int]] = ()
    ) -> list[Sentence]:
        """Return the sentences that reach the threshold, but for those keyed in `skip`.

        Keys are `(turn, index)`. A sentence the rules already read as a decision is not
        returned (the rules give its line).
        """
        units = list(units)
        by_turn: dict[int, list[Sentence]] = {}
        for s in units:
            by_turn.setdefault(s.turn, []).append(s)
        order = sorted(by_turn)
        out: list[Sentence] = []
        for i, s in enumerate(units):
            if (s.turn, s.index) in skip or not is_candidate(s.text):
                continue
            feats = context_features(units, i, by_turn, order)
            if "rule:decision" not in feats and self.probability(feats) >= self.threshold:
                out.append(s)
        return out


@lru_cache(maxsize=1)
def load_decision_model() -> DecisionModel | None:
    """Return the bundled model, or None when the data file is absent."""
    res = resources.files("sales_operator").joinpath("data/decision_model.json")
    if not res.is_file():
        return None
    return DecisionModel(json.loads(res.read_text("utf-8")))
