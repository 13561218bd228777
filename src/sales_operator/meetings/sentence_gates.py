"""One scan per sentence that tells which commitment and decision rules can fire on it.

The commitment and decision rules each read every sentence of a call: each lower-cases
it, cleans it, scans it for its cue words and, for almost every sentence, finds none. A
meeting of 650 sentences passes through seven such loops. `gates(units)` lower-cases each
sentence once and scans it once (`prefilter.GateTable`) for the cue words of all of them;
the loops then skip a sentence whose gate is shut without calling the rule at all.

Each gate is a necessary condition of its rule, so skipping never changes a result:

* `STATED`: `extract._commitment` needs one of `extract._STATED_CUES` in the cleaned
  sentence (`prefilter.token_needles`, as cleaning only drops whole words);
* `TASK`: `assignments.meeting_commitment` needs one of `assignments._HELPERS`;
* `DECISION`: `decisions.is_decision` needs one of `decisions._PREFILTER`;
* `CANDIDATE`: `decision_model.is_candidate` needs one of its phrases or stems;
* `HEDGED`: `decisions.proposal_text` needs the needles of `decisions._HEDGED` in the
  sentence's plain text (a sentence with spelled letters, "L_C_D_", always opens it).

The literal keys are checked on the same lower-cased text as the rule checks them, and a
sentence that is not ASCII opens every gate.
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


@lru_cache(maxsize=1)
def _table() -> prefilter.GateTable:
    """Return the table of the five gates, in the order of their bits (built once)."""
    from sales_operator.meetings import assignments, decision_model, decisions, extract

    return prefilter.GateTable(
        (
            _one_of(extract._STATED_CUES),
            (frozenset(assignments._HELPERS),),
            (frozenset(decisions._PREFILTER),),
            (frozenset((*decision_model.CANDIDATE_PHRASES, *decision_model.CANDIDATE_STEMS)),),
            prefilter.token_needles(decisions._HEDGED),
        )
    )


def gates(units: Sequence[Sentence]) -> list[int]:
    """Return, per sentence, the mask of the gates it opens (`STATED`, `TASK`, ...)."""
    table = _table()
    out: list[int] = []
    for s in units:
        low = s.text.lower()
        if "\u2019" in low:
            low = low.replace("\u2019", "'")
        mask = table.open(low)
        if "_" in low:  # spelled letters are joined in the plain text ("L_C_D_" -> "LCD")
            mask |= HEDGED
        out.append(mask)
    return out
