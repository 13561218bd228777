"""Pains, objections and triggers said in spoken style: broadened cue classes, run-on turns."""

from __future__ import annotations

from datetime import date

import pytest

from sales_operator.meetings.extract import classify, extract_offline
from sales_operator.meetings.transcript import parse_transcript


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("what really kills us is the invoicing at month end", "pain"),
        ("the returns process drives everyone crazy", "pain"),
        ("honestly the dispatch board is a total mess", "pain"),
        ("the techs write the jobs on paper and hand it in on friday", "pain"),
        ("we don't know where the parts are until somebody calls", "pain"),
        ("half the updates never reach the field team", "pain"),
        ("the reps never log their calls", "pain"),
        ("my coordinators are completely swamped", "pain"),
        ("our dispatchers are already stretched", "pain"),
        ("we lost three dispatchers this spring", "pain"),
        ("the pipeline number is basically a guess", "pain"),
        ("for a shop our size that's a lot of money", "objection"),
        ("the price has to come down before I can show it", "objection"),
        ("our works council will have a problem with that", "objection"),
        ("I don't think we can roll it out to all depots", "objection"),
        ("our cfo won't sign a two year deal", "objection"),
        ("we can't really start before the summer", "objection"),
        ("the timing is not ideal for us", "objection"),
        ("we just won the tender for the city buses", "trigger"),
        ("the insurer's audit is in september", "trigger"),
        ("every batch must be documented from now on", "trigger"),
        ("our new ops lead starts in january", "trigger"),
        ("the erp migration finishes in june", "trigger"),
    ],
)
def test_spoken_cue_classes(sentence: str, kind: str) -> None:
    assert classify(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "no, that's not a mess at all, it runs fine",  # reassurance
        "we do know where the trucks are, that part works",
        "she said the audit went fine, no findings",  # not a pain (and no cue for one)
        "everyone is a little stretched this week",  # small talk, not the team's load
    ],
)
def test_not_pains(sentence: str) -> None:
    assert classify(sentence) != "pain"


def test_a_run_on_turn_yields_each_kind_once_with_its_own_quote() -> None:
    turn = (
        "Dana: yeah so the thing is the morning planning it kills us every day, it takes my "
        "planners until ten before the first van leaves, and we won the tender for the "
        "hospital group in march, so we can't really start anything before april\n"
        "Sam: understood\n"
    )
    t = parse_transcript(turn)
    found = extract_offline(
        t, call_date=date(2027, 1, 20), sides={"Dana": "customer", "Sam": "rep"}
    )
    assert len(found.pains) == 1 and "kills us" in found.pains[0].quote
    assert len(found.triggers) == 1 and "tender" in found.triggers[0].quote
    assert len(found.objections) == 1 and "start anything" in found.objections[0].quote
    assert "tender" not in found.pains[0].quote  # each clause quoted on its own


def test_a_run_on_turn_of_one_kind_stays_whole() -> None:
    turn = (
        "Dana: it's a mess to be honest, somebody writes it on paper, somebody puts it in the "
        "group chat, and then half of the changes they never arrive at the driver at all\n"
    )
    t = parse_transcript(turn)
    found = extract_offline(t, call_date=date(2027, 1, 20), sides={"Dana": "customer"})
    assert len(found.pains) == 1
    assert found.pains[0].quote.startswith("it's a mess") and "never arrive" in found.pains[0].quote
