"""A small learned sentence classifier for pains, objections and buying triggers.

The cue lexicons of `meetings.extract` find what they were written for and little else: on
calls written by other hands their recall for objections was 0.10-0.25. This module adds a
linear model (multinomial logistic regression) over words, word pairs and word *classes*
(a third party whose reaction is anticipated, money, hedges, change events, ...), shipped as
data (`data/insight_model.json`) and trained at eval time by `evals/insight_model.py` on
labelled sentences of the tune material only: the sentence bank
`evals/datasets/insight_sentences.tsv` and the customer sentences of the tuned-on sales
calls (their gold evidence spans). The held-out calls are never read by the training.

It is a fallback: `extract.classify` asks it only for a customer statement that no cue
classifies, and only a class whose probability reaches the model's threshold (chosen on
cross-validation folds of the tune material, for precision) is returned. Scoring is a dict
look-up per feature: no numpy, a few microseconds per sentence.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["KINDS", "Model", "features", "learned_kind", "load_model"]

KINDS = ("none", "objection", "pain", "trigger")
"""The classes, in the order of each weight vector."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

WORD_CLASSES: dict[str, frozenset[str]] = {
    # someone whose reaction the speaker anticipates ("my CFO will ask", "the union will")
    "party": frozenset(
        """cfo ceo coo cto cio vp board boss owner owners partner partners director directors
        finance procurement legal compliance security it union trustees accountant accountants
        insurer auditors auditor lawyers management head manager managers founder founders
        investors council""".split()
    ),
    # the people who would have to use it
    "users": frozenset(
        """drivers staff guys people team teams nurses doctors teachers chefs technicians
        engineers reps brokers agents users workers crews cleaners volunteers planners
        dispatchers employees colleagues""".split()
    ),
    "money": frozenset(
        """price prices pricing cost costs costly quote quoted fee fees budget budgets pay
        paying paid expensive cheap cheaper money thousand grand seat per subscription
        invoice discount spend spending afford""".split()
    ),
    "hedge": frozenset(
        """sure wonder afraid feeling worry worried worries concern concerned concerns
        hesitant wary nervous apprehensive comfortable uncomfortable skeptical sceptical keen
        doubt suspect honestly frankly lukewarm cautious reluctant risk risky""".split()
    ),
    "resist": frozenset(
        """resist ignore refuse hate allergic intimidating tired fight complain push back
        won't wouldn't never non""".split()
    ),
    "commit": frozenset(
        """contract term terms years commitment renewal clause auto signing sign signed lock
        locked tender""".split()
    ),
    "compare": frozenset(
        """competitor competitors vendor vendors another other alternative already
        twice""".split()
    ),
    "change": frozenset(
        """opening open launching launch moving move hiring hire merged merger acquired
        acquisition bought won landed starting starts started ends expires expire runs
        requires require required regulator law rules new doubling growing taking joined
        certification accreditation audit inspection grant deadline switched""".split()
    ),
    "when": frozenset(
        """january february march april may june july august september october november
        december spring summer autumn fall winter quarter year month next from""".split()
    ),
    "trouble": frozenset(
        """lose lost losing wrong late never nobody chaos paper hand whiteboard spreadsheet
        spreadsheets excel phone rings ring calls complain complaints waste throw fines
        refund manually manual errors error mistakes slip lost guess twice again back""".split()
    ),
    "neg": frozenset(
        """no not never don't doesn't didn't can't cannot won't wouldn't isn't aren't
        nobody nothing without""".split()
    ),
    "future": frozenset("""will going gonna would might may 'll""".split()),
    "first": frozenset("""we our us i my me""".split()),
    "size": frozenset("""small size family charity smaller""".split()),
}
"""Word classes: each word also yields the feature `c:<class>` (and one per class pair)."""


_CLASS_OF: dict[str, tuple[str, ...]] = {}
for _name, _words in sorted(WORD_CLASSES.items()):
    for _w in _words:
        _CLASS_OF[_w] = (*_CLASS_OF.get(_w, ()), _name)


def _tokens(text: str) -> list[str]:
    t = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    out: list[str] = []
    for w in _WORD.findall(t):
        if w.endswith("'ll"):
            out += [w[:-3], "'ll"]
        else:
            out.append(w)
    return out


def features(text: str) -> list[str]:
    """Return the features of a sentence: words, word pairs and word classes present."""
    toks = _tokens(text)
    feats = [f"w:{w}" for w in toks]
    feats += [f"b:{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)]
    classes = sorted({c for w in toks for c in _CLASS_OF.get(w, ())})
    feats += [f"c:{c}" for c in classes]
    feats += [f"cc:{a}+{b}" for i, a in enumerate(classes) for b in classes[i + 1 :]]
    if len(toks) < 6:
        feats.append("len:short")
    return feats


class Model:
    """A linear classifier: per-feature weight vectors over `KINDS`, a bias, a threshold."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Build the model from its JSON form (`weights`, `bias`, `threshold`)."""
        self.weights: dict[str, list[float]] = {k: list(v) for k, v in data["weights"].items()}
        self.bias: list[float] = list(data["bias"])
        self.threshold: float = float(data["threshold"])
        self.kinds: tuple[str, ...] = tuple(data.get("kinds", KINDS))

    def probabilities(self, text: str) -> dict[str, float]:
        """Return the probability of each kind for `text` (softmax of the linear scores)."""
        scores = list(self.bias)
        n = len(scores)
        get = self.weights.get
        for f in set(features(text)):
            w = get(f)
            if w is not None:
                for i in range(n):
                    scores[i] += w[i]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {k: e / total for k, e in zip(self.kinds, exps, strict=True)}

    def kind(self, text: str, threshold: float | None = None) -> str | None:
        """Return the most probable kind other than `none` when it reaches the threshold."""
        probs = self.probabilities(text)
        best = max((k for k in self.kinds if k != "none"), key=probs.__getitem__)
        limit = self.threshold if threshold is None else threshold
        return best if probs[best] >= limit and probs[best] > probs["none"] else None


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    """Return the bundled model, or None when the data file is absent."""
    res = resources.files("sales_operator").joinpath("data/insight_model.json")
    if not res.is_file():
        return None
    return Model(json.loads(res.read_text("utf-8")))


@lru_cache(maxsize=4096)
def learned_kind(text: str) -> str | None:
    """Return `objection`, `pain` or `trigger` when the bundled model is confident, else None."""
    model = load_model()
    return model.kind(text) if model is not None else None
