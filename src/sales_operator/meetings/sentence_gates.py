"""One scan per sentence that tells which commitment and decision rules can fire on it.

The commitment and decision rules each read every sentence of a call: each lower-cases
it, cleans it, scans it for its cue words and, for almost every sentence, finds none. A
meeting of 650 sentences passes through seven such loops. `gates(units)` lower-cases each
sentence once and scans it once (`prefilter.GateTable`) for the cue words of all of them;
the loops then skip a sentence whose gate is shut without calling the rule at all.

Each gate is a necessary condition of its rule, so skipping never changes a result:

* `STATED`: `extract._commitment` needs one of `extract._STATED_CUES` in the cleaned
  sentence (`prefilter.token_needles`, as cleaning only drops whole words);
* `TASK`: `assignments.meeting_commitment` needs one of `assignments._HELPERS`, and a
  match of one of its patterns in the sentence's plain text;
* `DECISION`: `decisions.is_decision` needs one of `decisions._PREFILTER`, and a match of
  one of its cues (`_POSITIVE`, `_NEGATIVE`, `_IT_IS`, or `_CONDITIONAL_GO` after
  "unless") in the sentence's plain text;
* `CANDIDATE`: `decision_model.is_candidate` needs one of its phrases or stems;
* `HEDGED`: `decisions.proposal_text` needs a match of `decisions._HEDGED` in the
  sentence's plain text.

A match in the plain text (fillers, repeated words and tags dropped) is read through
`prefilter.branch_token_needles`: one conjunction of word needles per alternative of the
pattern ("we" and "decided", "let's" and "stick"), which the raw sentence holds too; the
gate opens when one conjunction holds. Spelled letters ("L_C_D_") are joined in the plain
text, which can make a new word: a sentence with "_" opens `HEDGED`, and `DECISION` and
`TASK` on their literal keys alone. The literal keys are checked on the same lower-cased
text as the rule checks them, and a sentence that is not ASCII opens every gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import Sentence

__all__ = ["CANDIDATE", "DECISION", "HEDGED", "STATED", "TASK", "gates"]

STATED = 1 << 0
"""`extract._commitment` may find a stated commitment."""
TASK = 1 << 1
"""`assignments.meeting_commitment` may find a meeting-style commitment."""
DECISION = 1 << 2
"""`decisions.is_decision` may find a decision cue."""
CANDIDATE = 1 << 3
"""`decision_model.is_candidate` may hold."""
HEDGED = 1 << 4
"""`decisions.proposal_text` may find a proposal."""


def _one_of(patterns: Sequence[re.Pattern[str]]) -> tuple[frozenset[str], ...]:
    """Return one needle set that any match of any of `patterns` (after cleaning) holds.

    The union of the best `token_needles` set of each; () (always open) when a pattern
    has none.
    """
    union: set[str] = set()
    for pattern in patterns:
        sets = prefilter.token_needles(pattern)
        if not sets:
            return ()
        union |= max(sets, key=lambda s: (min(map(len, s)), -len(s)))  # longest shortest
    return (frozenset(union),)


def _any_branch(
    patterns: Sequence[re.Pattern[str]], also: tuple[frozenset[str], ...] = ()
) -> list[tuple[frozenset[str], ...]]:
    """Return one gate per top-level alternative of each of `patterns` (any one may open).

    Each gate is the alternative's `prefilter.branch_token_needles` conjunction, with the
    sets of `also` (needed whichever alternative matches) added; [()] (one gate, always
    open) when some pattern has an alternative without needles.
    """
    out: list[tuple[frozenset[str], ...]] = []
    for pattern in patterns:
        branches = prefilter.branch_token_needles(pattern)
        if not branches:
            return [()]
        out += [(*also, *sets) for sets in branches]
    return out


class _Table:
    """The gate table and, per mask of its gates, the mask of `STATED`, `TASK`, ... bits."""

    def __init__(self) -> None:
        from sales_operator.meetings import assignments, decision_model, decisions, extract

        keys = (frozenset(decisions._PREFILTER),)
        unless = (*keys, frozenset({"unless"}))  # `_CONDITIONAL_GO` only after "unless ..."
        groups: list[tuple[int, list[tuple[frozenset[str], ...]]]] = [
            (STATED, [_one_of(extract._STATED_CUES)]),
            (
                TASK,
                _any_branch(
                    (
                        assignments._YOU,
                        assignments._YOUR,
                        assignments._SELF,
                        assignments._EVERYONE,
                        assignments._NAMED,
                        assignments._ACTION_ITEM,
                    ),
                    (frozenset(assignments._HELPERS),),
                ),
            ),
            (
                DECISION,
                _any_branch((decisions._POSITIVE, decisions._NEGATIVE, decisions._IT_IS), keys)
                + _any_branch((decisions._CONDITIONAL_GO,), unless),
            ),
            (
                CANDIDATE,
                [
                    (
                        frozenset(
                            (*decision_model.CANDIDATE_PHRASES, *decision_model.CANDIDATE_STEMS)
                        ),
                    )
                ],
            ),
            (HEDGED, _any_branch((decisions._HEDGED,))),
            (_SPELLED_DECISION, [keys]),
            (_SPELLED_TASK, [(frozenset(assignments._HELPERS),)]),
        ]
        gates: list[tuple[frozenset[str], ...]] = []
        self._bits: list[int] = []  # the public bit of each gate of the table
        for bit, group in groups:
            gates += group
            self._bits += [bit] * len(group)
        self.table = prefilter.GateTable(gates)
        self.masks: dict[int, int] = {}
        """Per mask of the table's gates: its `public` mask (filled as they are met)."""

    def public(self, found: int) -> int:
        """Return the mask of `STATED`, `TASK`, ... of the table's mask `found`."""
        mask = 0
        for k, bit in enumerate(self._bits):
            if found >> k & 1:
                mask |= bit
        if len(self.masks) >= 4096:  # (a few dozen distinct masks a call: keep it bounded)
            self.masks.clear()
        self.masks[found] = mask
        return mask


_SPELLED_DECISION = 1 << 5
"""`decisions.is_decision`'s own keys: the gate of a sentence with spelled letters."""
_SPELLED_TASK = 1 << 6
"""`assignments._has_task_word`'s keys: the task gate of a sentence with spelled letters."""


@lru_cache(maxsize=1)
def _table() -> _Table:
    """Return the table of the gates (built once)."""
    return _Table()


def gates(units: Sequence[Sentence]) -> list[int]:
    """Return, per sentence, the mask of the gates it opens (`STATED`, `TASK`, ...)."""
    table = _table()
    scan, masks = table.table.open, table.masks
    out: list[int] = []
    for s in units:
        # (a curly apostrophe makes the text non-ASCII, and such a text opens every gate)
        low = s.text.lower()
        found = scan(low)
        mask = masks.get(found)
        if mask is None:
            mask = table.public(found)
        if "_" in low:  # spelled letters are joined in the plain text ("L_C_D_" -> "LCD")
            mask |= HEDGED | (DECISION if mask & _SPELLED_DECISION else 0)
            mask |= TASK if mask & _SPELLED_TASK else 0
        out.append(mask & _PUBLIC)
    return out


_PUBLIC = STATED | TASK | DECISION | CANDIDATE | HEDGED
