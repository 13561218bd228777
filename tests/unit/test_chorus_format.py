"""Chorus conversation exports (JSON:API recording with utterances)."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import TranscriptError
from sales_operator.meetings.transcript import detect_format, parse_transcript, read_transcript

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts" / "exports"
CHORUS = FIXTURE / "chorus.json"


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CHORUS.read_text("utf-8"))
    return data


def test_a_chorus_export_is_detected_and_read() -> None:
    t = read_transcript(CHORUS)
    assert detect_format(CHORUS.read_text("utf-8")) == "json"  # the JSON reader tells which
    assert t.format == "chorus"
    assert [x.speaker for x in t.turns] == [
        "Sam Rivera",
        "Dana Whitfield",  # named from the cluster of speaker_id 8
        "Speaker 9",  # a cluster without a name
        "Sam Rivera",
    ]
    first, dana = t.turns[0], t.turns[1]
    assert first.text == "Thanks for making the time, Dana. What does dispatch look like today?"
    assert (first.start, first.end) == (0.0, 6.0)  # consecutive snippets make one turn
    assert dana.text.endswith("second depot in March.") and dana.start == 6.5
    assert t.sides == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}
    assert t.call_date == date(2026, 11, 4)


def test_the_attributes_alone_and_a_forced_format_read_the_same() -> None:
    whole = read_transcript(CHORUS)
    bare = json.dumps(_data()["data"]["attributes"])
    assert parse_transcript(bare, format="chorus").turns == whole.turns


def test_is_my_team_places_a_speaker_without_a_type() -> None:
    data = _data()
    for u in data["data"]["attributes"]["recording"]["utterances"]:
        u["speaker_type"] = None
    for c in data["data"]["attributes"]["recording"]["clusters"]:
        c["type"] = "unknown"
    t = parse_transcript(json.dumps(data))
    assert t.sides == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"speaker_id": None, "speaker_name": None}, "no speaker_name and no speaker_id"),
        ({"snippet_time": -3}, "snippet_time"),
        ({"snippet_time": "soon"}, "snippet_time"),
    ],
)
def test_bad_utterances_are_refused_by_number(change: dict[str, Any], message: str) -> None:
    data = deepcopy(_data())
    data["data"]["attributes"]["recording"]["utterances"][2].update(change)
    with pytest.raises(TranscriptError, match=rf"Chorus utterance 3: .*{message}"):
        parse_transcript(json.dumps(data), name="call.json")


def test_a_chorus_export_without_words_says_so() -> None:
    data = _data()
    for u in data["data"]["attributes"]["recording"]["utterances"]:
        u["snippet"] = ""
    with pytest.raises(TranscriptError, match="read as chorus, but it yields no speakers"):
        parse_transcript(json.dumps(data))


def test_the_analysis_reads_a_chorus_export(tmp_path: Path) -> None:
    from sales_operator.llm import LLM
    from sales_operator.meetings.analyze import analyze_call
    from sales_operator.policy import default_policy

    t = read_transcript(CHORUS)
    insights = analyze_call(
        t,
        call_id="chorus",
        call_date=t.call_date or date(2026, 11, 4),
        rep_names=[],
        customer_names=[],
        policy=default_policy(),
        llm=LLM(None),
    )
    assert insights.speakers["Dana Whitfield"] == "customer"  # the export's own side
    assert any("spreadsheets" in p.quote.text for p in insights.pains)
    assert [c.due for c in insights.commitments] == [date(2026, 11, 6)]
