"""Real export shapes (issue 9 item 5): each fixture holds the same short call.

Shapes follow the vendors' exports: Otter text ('Name  0:05', then the text, a blank line
between turns), Gong's /v2/calls/transcript JSON (monologues of sentences, times in
milliseconds, `parties` with `speakerId` and `affiliation`), Fireflies' GraphQL transcript
(`sentences` with `speaker_name`, `start_time` in seconds, `date` in epoch milliseconds),
Zoom WebVTT (numbered cues, 'Name: text'), Teams WebVTT (UUID cue ids, `<v>` voice tags,
NOTE blocks), Google Meet text (title, 'Attendees', 'Transcript', timestamp lines), and
lowercase unpunctuated speech-to-text lines.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sales_operator.errors import TranscriptError
from sales_operator.meetings.transcript import Turn, parse_transcript, read_transcript

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts" / "exports"
NAMES = ["Sam Rivera", "Dana Whitfield", "Sam Rivera", "Dana Whitfield"]


@pytest.mark.parametrize(
    ("file", "fmt", "starts"),
    [
        ("otter.txt", "otter", [0, 4, 15, 22]),
        ("headed.txt", "headed", [0, 4, 15, 22]),
        ("meet.txt", "meet", [0, 0, 0, 300]),
        ("zoom.vtt", "vtt", [0, 4.11, 15, 22]),
        ("teams.vtt", "vtt", [0, 4.11, 15, 22]),
        ("gong.json", "gong", [0, 4.11, 15, 22]),
        ("fireflies.json", "fireflies", [0, 4.11, 15, 22]),
    ],
)
def test_each_export_is_detected_and_read_the_same(
    file: str, fmt: str, starts: list[float]
) -> None:
    t = read_transcript(EXPORTS / file)
    assert t.format == fmt
    turns = list(t.turns)
    if file == "teams.vtt":  # Teams splits Dana's turn over two cues: one turn per cue
        assert turns[1].speaker == turns[2].speaker and turns[2].start == pytest.approx(9.2)
        merged = Turn(turns[1].speaker, f"{turns[1].text} {turns[2].text}", turns[1].start)
        turns = [turns[0], merged, *turns[3:]]
    assert [turn.speaker for turn in turns] == NAMES
    assert [turn.start for turn in turns] == pytest.approx(starts)
    dana = turns[1].text
    assert dana.startswith("Happy to.") and dana.endswith("three hours a day.")
    assert "RouteMax right now, but dispatch" in dana  # continuation lines joined once
    assert turns[2].text == "Understood. I'll send the pricing proposal by Friday."


def test_dates_and_sides_the_exports_state() -> None:
    gong = read_transcript(EXPORTS / "gong.json")
    assert gong.call_date == date(2026, 11, 4)
    assert gong.sides == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}
    assert gong.turns[1].end == pytest.approx(14.53)
    assert read_transcript(EXPORTS / "fireflies.json").call_date == date(2026, 11, 4)
    assert read_transcript(EXPORTS / "teams.vtt").call_date == date(2026, 11, 4)
    meet = read_transcript(EXPORTS / "meet.txt")
    assert meet.attendees == ("Dana Whitfield", "Sam Rivera")
    assert meet.call_date == date(2026, 11, 4)  # from the title line


def test_lowercase_unpunctuated_speech_to_text() -> None:
    t = read_transcript(EXPORTS / "stt_lowercase.txt")
    assert t.format == "plain"
    assert t.speakers == ("speaker 1", "speaker 2")
    assert "i'll send the pricing proposal by friday" in t.turns[2].text


def test_gong_without_parties_keeps_the_speaker_ids() -> None:
    data = json.loads((EXPORTS / "gong.json").read_text("utf-8"))
    del data["parties"]
    t = parse_transcript(json.dumps(data))
    assert t.format == "gong"
    assert t.speakers == ("Speaker 6432345678555530067", "Speaker 1959796851891129461")
    assert t.sides == {}


def test_gong_with_several_calls_is_refused() -> None:
    data = json.loads((EXPORTS / "gong.json").read_text("utf-8"))
    data["callTranscripts"].append(data["callTranscripts"][0])
    with pytest.raises(TranscriptError, match="2 calls"):
        parse_transcript(json.dumps(data), name="gong.json")


def test_bad_times_in_exports_are_typed_errors() -> None:
    data = json.loads((EXPORTS / "fireflies.json").read_text("utf-8"))
    data["data"]["transcript"]["sentences"][0]["start_time"] = "soon"
    with pytest.raises(TranscriptError, match="Fireflies sentence 1: time must be a number"):
        parse_transcript(json.dumps(data))
    data["data"]["transcript"]["sentences"][0]["start_time"] = 30.0  # after the next one
    with pytest.raises(TranscriptError, match="segment 1: the turn ends"):
        parse_transcript(json.dumps(data))


def test_an_unknown_format_lists_what_was_tried() -> None:
    with pytest.raises(TranscriptError) as err:
        parse_transcript("We met on Tuesday and talked about pricing.\nIt went well.\n", name="x")
    message = str(err.value)
    assert "unknown transcript format: tried" in message
    for tried in ("WebVTT", "SRT", "Gong", "Fireflies", "Otter", "Google Meet", "'Name: text'"):
        assert tried in message


def test_a_file_that_parses_but_has_no_speakers_names_its_format() -> None:
    empty_gong = {"callTranscripts": [{"callId": "1", "transcript": []}]}
    with pytest.raises(TranscriptError, match="read as gong, but it yields no speakers"):
        parse_transcript(json.dumps(empty_gong), name="gong.json")
    blank = {"data": {"transcript": {"sentences": [{"speaker_name": "Sam", "text": " "}]}}}
    with pytest.raises(TranscriptError, match="read as fireflies, but it yields no speakers"):
        parse_transcript(json.dumps(blank))
    with pytest.raises(TranscriptError, match="read as otter, but it yields no speakers"):
        parse_transcript("Sam Rivera  0:00\n\nDana Whitfield  0:04\n")


def test_an_otter_header_with_text_before_it_is_an_error_naming_the_line() -> None:
    text = "Sam Rivera  0:00\nHello.\n\nDana  0:04\nHi.\n"
    assert parse_transcript(text).format == "otter"
    with pytest.raises(TranscriptError, match="goes backwards"):
        parse_transcript("Sam Rivera  0:10\nHello.\n\nDana  0:04\nHi.\n")


def test_a_huge_otter_export_parses() -> None:
    block = "Sam Rivera  {t}\nWe can talk pricing next week.\n\nDana Whitfield  {u}\nSure.\n\n"

    def hms(seconds: int) -> str:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    text = "".join(block.format(t=hms(60 * i), u=hms(60 * i + 30)) for i in range(3000))
    t = parse_transcript(text)
    assert len(t.turns) == 6000 and t.format == "otter"


def test_other_speaker_and_time_headers_and_a_bare_meet_transcript() -> None:
    dash = parse_transcript("Sam Rivera - 00:00\nHello.\n\nDana Whitfield - 01:02:03\nHi.\n")
    assert dash.format == "headed"
    assert [t.start for t in dash.turns] == [0, 3723]
    meet = parse_transcript("00:00:00\nSam: Hello.\nDana: Hi.\n00:05:00\nSam: Bye.\n")
    assert meet.format == "meet"
    assert [(t.speaker, t.start) for t in meet.turns] == [("Sam", 0), ("Dana", 0), ("Sam", 300)]
    plain = parse_transcript("Sam: Agenda (10:00) first.\nDana: Sure.\n")
    assert plain.format == "plain"


def test_the_call_date_of_an_export_is_taken_in_the_policy_time_zone() -> None:
    data = json.loads((EXPORTS / "gong.json").read_text("utf-8"))
    data["started"] = "2026-11-05T02:30:00Z"  # the evening of the 4th in California
    t = parse_transcript(json.dumps(data))
    assert t.call_date == date(2026, 11, 5)  # as stated, in UTC
    assert t.local_call_date("America/Los_Angeles") == date(2026, 11, 4)
    assert t.local_call_date("Asia/Tokyo") == date(2026, 11, 5)
    plain = read_transcript(EXPORTS / "otter.txt")
    assert plain.started_at is None and plain.local_call_date("Asia/Tokyo") is None


@pytest.mark.parametrize(
    "doc",
    [
        {"data": [None], "sentences": 3},
        {"callTranscripts": [{"callId": "1", "transcript": 2.5}]},
        {
            "callTranscripts": [
                {"callId": "1", "transcript": [{"speakerId": "1", "sentences": 1.5}]}
            ]
        },
        {"transcript": [{"speakerId": "1", "sentences": [{"start": {}, "text": "hi"}]}]},
        {
            "data": {
                "transcript": {"sentences": [{"speaker_name": "A", "text": "hi", "end_time": []}]}
            }
        },
    ],
)
def test_malformed_exports_are_typed_errors(doc: object) -> None:
    with pytest.raises(TranscriptError):
        parse_transcript(json.dumps(doc))
