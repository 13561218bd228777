"""meetings.sentence_gates and the prefilter pieces under it never skip a rule that fires.

`prefilter.token_needles` (needles that survive cleaning), `prefilter.GateTable` (one scan
for several gates), `prefilter.start_gated` (same matches, fewer start positions), and the
gates of the commitment and decision rules built from them.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from sales_operator.errors import InputError
from sales_operator.meetings import prefilter, sentence_gates
from sales_operator.meetings.assignments import meeting_commitment, participant_heads
from sales_operator.meetings.decision_model import is_candidate
from sales_operator.meetings.decisions import (
    find_decisions,
    is_decision,
    plain_text,
    proposal_text,
)
from sales_operator.meetings.extract import (
    Sentence,
    _commitment,
    _commitments,
    clean_spoken,
    straight_quotes,
)
from tests.unit.test_prefilter import _patterns, _sentences

_DAY = date(2026, 11, 4)

# sentences the rules fire on, in the hostile spellings the cleaning undoes
_FIRING = [
    "So, um, we we decided to go with the rubber case.",
    "Let's um go with the, like, yellow one.",
    "I'll uh send you the the revised quote by Friday.",
    "Raj, you'll send me the export by Monday.",
    "Maybe um we should go with a kinetic battery?",
    "Perhaps we could just use the L_C_D_ display.",
    "The industrial designer has to look at the working design.",
    "You're gonna be working on the {vocalsound} user interface.",
    "Action item for Ana: find the supplier list.",
    "We won't go with the titanium, it's too expensive.",
    "I think it's gonna be yellow, hmm, and round.",
    "Let's talk again next Tuesday.",
    "You'll have the reference from me by Friday.",
    "We\u2019ll go with the spongy one.",
]


def _units() -> list[Sentence]:
    """Our transcripts' sentences (raw, cleaned, re-cased, hostile), three to a turn, and the
    firing ones above, each a turn of its own."""
    texts = _sentences()[:1200]
    speakers = ("Raj Patel", "Speaker A", "Industrial Designer")
    units = [
        Sentence(i // 3, i % 3, speakers[i // 3 % 3], "rep", text, None)
        for i, text in enumerate(texts)
    ]
    turn = len(texts) // 3 + 1
    for i, text in enumerate(_FIRING):
        speaker = "Speaker A" if i % 2 else "Raj Patel"
        units.append(Sentence(turn + i, 0, speaker, "rep", text, None))
    return units


def test_token_needles_hold_in_the_text_before_cleaning() -> None:
    texts = [t for t in _sentences() if t.isascii()] + _FIRING
    checked = 0
    for name, pattern in _patterns():
        sets = prefilter.token_needles(pattern)
        if not sets:
            continue
        assert all(re.fullmatch(r"[\w']+", n) for s in sets for n in s), name
        for text in texts[:1500]:
            low = straight_quotes(text).lower()
            for cleaned in {clean_spoken(text), plain_text(text)}:
                if "_" in text or pattern.search(cleaned) is None:
                    continue
                checked += 1
                for strings in sets:
                    assert any(n in low for n in strings), (name, text)
    assert checked > 500


def test_token_needles_cut_a_needle_to_its_longest_word() -> None:
    pattern = re.compile(r"\b(?:go with|stick with)\s+the\b", re.I)
    assert prefilter.needles(pattern)[0] == frozenset({"go with", "stick with"})
    assert frozenset({"with", "stick"}) in prefilter.token_needles(pattern)  # longest word
    # a set with a one-letter word ("I am") says nothing after cleaning: dropped
    assert prefilter.token_needles(re.compile(r"\b(?:I a)\b")) == ()


def test_a_gate_table_opens_a_gate_only_with_a_needle_of_each_set() -> None:
    table = prefilter.GateTable(
        [
            (frozenset({"maybe", "perhaps"}),),
            (frozenset({"we"}), frozenset({"decid", "agree"})),
            (),  # no set: always open
        ]
    )
    assert table.all_open == 0b111
    assert table.open("maybe later") == 0b101
    assert table.open("we decided") == 0b110
    assert table.open("perhaps we agree") == 0b111
    assert table.open("decided") == 0b100  # "we" is missing
    assert table.open("") == 0b100
    assert table.open("we decided") == 0b110  # the same answer from the kept mask
    assert table.open("caf\u00e9 au lait") == 0b111  # not ASCII: every gate open
    assert prefilter.GateTable([()]).open("anything") == 0b1


def test_start_gated_patterns_match_as_the_originals() -> None:
    texts = [*_sentences()[:800], *_FIRING, "", "\u0130t is settled", "\u017fo we keep it"]
    gated = 0
    for name, pattern in _patterns():
        fast = prefilter.start_gated(pattern)
        if fast is pattern:
            continue
        gated += 1
        assert prefilter.needles(fast) == prefilter.needles(pattern), name
        for text in texts:
            assert [(m.span(), m.groups()) for m in fast.finditer(text)] == [
                (m.span(), m.groups()) for m in pattern.finditer(text)
            ], (name, text)
            want = pattern.match(text)
            got = fast.match(text)
            assert (got and got.span()) == (want and want.span()), (name, text)
    assert gated >= 8  # the long cue alternations of the commitment and decision rules


@pytest.mark.parametrize(
    ("source", "flags"),
    [
        (r"\w+ing", re.I),  # begins with a class: not gated
        (r"(?:we)?\s*decided", re.I),  # may begin anywhere
        (r"a|", 0),  # may be empty
        (r"(?i)\bwe (?:decided|agreed)", 0),  # a global inline flag must stay first
        (r"\bwe  # the group\n decided", re.X),
    ],
)
def test_start_gated_leaves_other_shapes_alone(source: str, flags: int) -> None:
    pattern = re.compile(source, flags)
    assert prefilter.start_gated(pattern) is pattern


def test_start_gated_keeps_anchored_branches_and_case() -> None:
    pattern = re.compile(r"^(?:so,?\s+)?it's settled|\bwe (?:decided|agreed)\b", re.I)
    fast = prefilter.start_gated(pattern)
    assert fast is not pattern
    for text in ["So, it's settled", "well WE DECIDED", "it's settled", "they agreed", ""]:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in pattern.finditer(text)]
    case = re.compile(r"\bWe decided")  # case-sensitive stays so
    assert prefilter.start_gated(case).search("we decided") is None
    lines = re.compile(r"^we decided|\bthe plan", re.M)  # "^" at every line start
    text = "so\nwe decided\nthe plan"
    assert [m.span() for m in prefilter.start_gated(lines).finditer(text)] == [(3, 13), (14, 22)]
    scoped = re.compile(r"\b(?i:we) decided")  # a flag of its own: not read, not gated
    assert prefilter.start_gated(scoped) is scoped


def test_a_shut_gate_means_the_rule_finds_nothing() -> None:
    units = _units()
    heads = participant_heads({u.speaker for u in units})
    opened = sentence_gates.gates(units)
    assert len(opened) == len(units) > 1000
    shut = {g: 0 for g in ("stated", "task", "decision", "candidate", "hedged")}
    for s, gate in zip(units, opened, strict=True):
        if not gate & sentence_gates.STATED:
            shut["stated"] += 1
            assert _commitment(s, _DAY, ["Raj Patel"], "Speaker A") is None, s.text
        if not gate & sentence_gates.TASK:
            shut["task"] += 1
            assert meeting_commitment(s, _DAY, heads=heads, addressee="Speaker A") is None
        if not gate & sentence_gates.DECISION:
            shut["decision"] += 1
            assert is_decision(s.text) is None, s.text
        if not gate & sentence_gates.CANDIDATE:
            shut["candidate"] += 1
            assert not is_candidate(s.text), s.text
        if not gate & sentence_gates.HEDGED:
            shut["hedged"] += 1
            assert proposal_text(s.text) == "", s.text
    # the gates shut most sentences out of each rule (else they would save nothing)
    assert all(n > len(units) // 2 for n in shut.values()), shut
    # and every firing sentence passes the gate of the rule it fires
    firing = opened[-len(_FIRING) :]
    assert is_decision(_FIRING[0]) and is_decision(_FIRING[1]) and is_decision(_FIRING[-1])
    assert all(g & sentence_gates.DECISION for g in (*firing[:2], firing[-1]))
    assert proposal_text(_FIRING[4]) and proposal_text(_FIRING[5])
    assert firing[4] & sentence_gates.HEDGED and firing[5] & sentence_gates.HEDGED
    stated = units[-len(_FIRING) + 2]
    assert _commitment(stated, _DAY, ["Raj Patel"], "Speaker A") is not None
    assert firing[2] & sentence_gates.STATED


def test_gated_and_ungated_runs_find_the_same() -> None:
    units = _units()
    every = [sentence_gates.STATED | sentence_gates.TASK | sentence_gates.DECISION] * len(units)
    every = [m | sentence_gates.CANDIDATE | sentence_gates.HEDGED for m in every]
    opened = sentence_gates.gates(units)
    known = ["Raj Patel", "Ana Souza"]
    assert _commitments(units, _DAY, known, opened) == _commitments(units, _DAY, known, every)
    assert _commitments(units, _DAY, known) == _commitments(units, _DAY, known, every)
    found = find_decisions(units, opened=every)
    assert find_decisions(units) == found == find_decisions(units, opened=opened)
    assert found, "the fixtures hold decisions"


def test_gates_of_another_length_are_refused() -> None:
    units = _units()[:10]
    with pytest.raises(InputError, match="10 sentences"):
        find_decisions(units, opened=[0] * 9)
