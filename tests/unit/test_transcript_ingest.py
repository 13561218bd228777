"""Transcript ingestion: unlabelled cues, overlaps, stated call dates, clear errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sales_operator.errors import TranscriptError
from sales_operator.meetings.transcript import (
    UNLABELLED,
    format_timestamp,
    parse_transcript,
    read_transcript,
)

SRT_NO_NAMES = (
    "1\n00:00:01,000 --> 00:00:04,000\nThanks for joining.\n\n"
    "2\n00:00:04,500 --> 00:00:08,250\nHappy to be here.\nLet's start.\n\n"
    "3\n00:00:09,000 --> 00:00:10,000\nGreat.\n"
)


def test_srt_without_names_is_refused_by_default() -> None:
    with pytest.raises(TranscriptError, match="no speaker labels found in the SRT cues"):
        parse_transcript(SRT_NO_NAMES, name="captions.srt")


def test_srt_without_names_keeps_one_unknown_turn_per_cue() -> None:
    t = parse_transcript(SRT_NO_NAMES, allow_unlabelled=True)
    assert t.format == "srt"
    assert [(x.speaker, x.text, x.start, x.end) for x in t.turns] == [
        (UNLABELLED, "Thanks for joining.", 1.0, 4.0),
        (UNLABELLED, "Happy to be here. Let's start.", 4.5, 8.25),
        (UNLABELLED, "Great.", 9.0, 10.0),
    ]


def test_srt_with_names_and_unlabelled_continuations() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:04,000\nSam Rivera: Thanks for joining.\n\n"
        "2\n00:00:04,500 --> 00:00:08,000\nDana Whitfield: Happy to.\n\n"
        "3\n00:00:08,000 --> 00:00:10,000\nStill Dana.\n"
    )
    t = parse_transcript(text, allow_unlabelled=True)
    # after a label, an unlabelled cue continues that speaker's turn (as without the flag)
    assert [(x.speaker, x.end) for x in t.turns] == [("Sam Rivera", 4.0), ("Dana Whitfield", 10.0)]


def test_vtt_without_voices_allowed() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello.\n\n00:00:03.000 --> 00:00:04.000\nHi.\n"
    t = parse_transcript(text, allow_unlabelled=True)
    assert [x.speaker for x in t.turns] == [UNLABELLED, UNLABELLED]


def test_plain_with_and_without_timestamps() -> None:
    timed = parse_transcript("(0:05) Sam: Hi.\n00:00:09 - Dana: Hello.\n[1:02:03.5] Sam: Bye.\n")
    assert [x.start for x in timed.turns] == [5.0, 9.0, 3723.5]
    untimed = parse_transcript("Sam: Hi.\nDana Whitfield: Hello.\n")
    assert not untimed.timed and untimed.speakers == ("Sam", "Dana Whitfield")


def test_overlapping_cues_name_both_lines() -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v A>Hi.</v>\n\n"
        "00:00:03.000 --> 00:00:06.000\n<v B>Yo.</v>\n"
    )
    with pytest.raises(
        TranscriptError,
        match=r"call\.vtt: line 6: the turn starts at 00:00:03\.000, overlapping the turn on "
        r"line 3 \(which ends at 00:00:05\.000\)",
    ):
        parse_transcript(text, name="call.vtt")


def test_small_overlaps_and_voices_of_one_cue_are_fine() -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v A>Hi.</v>\n<v B>Hey.</v>\n\n"
        "00:00:04.700 --> 00:00:06.000\n<v A>So.</v>\n"
    )
    assert len(parse_transcript(text).turns) == 3


def test_overlapping_json_segments_name_the_segment() -> None:
    data = [
        {"speaker": "A", "start": 0, "end": 10, "text": "Hi."},
        {"speaker": "B", "start": 4, "end": 12, "text": "Hello."},
    ]
    with pytest.raises(TranscriptError, match="segment 2: the turn starts at 00:00:04.000"):
        parse_transcript(json.dumps(data))


def test_reversed_srt_cue_names_the_line() -> None:
    text = "1\n00:00:09,000 --> 00:00:04,000\nSam: Hi.\n"
    with pytest.raises(TranscriptError, match=r"line 2: the turn ends \(00:00:04\) before"):
        parse_transcript(text)


def test_call_date_from_json_vtt_and_plain() -> None:
    data = {"date": "2026-11-04T16:00:00Z", "segments": [{"speaker": "A", "text": "Hi."}]}
    assert parse_transcript(json.dumps(data)).call_date == date(2026, 11, 4)
    vtt = "WEBVTT\n\nNOTE\nDate: 2026-11-05\n\n00:00:01.000 --> 00:00:02.000\n<v A>Hi.</v>\n"
    assert parse_transcript(vtt).call_date == date(2026, 11, 5)
    plain = parse_transcript("Date: 2026-11-06\n\nSam: Hi.\nDana: Hello.\n")
    assert plain.call_date == date(2026, 11, 6)
    assert [x.speaker for x in plain.turns] == ["Sam", "Dana"]  # the date is no speaker
    assert parse_transcript("Sam: Hi.\n").call_date is None


def test_bad_stated_date_is_an_error() -> None:
    data = {"call_date": "soon", "segments": [{"speaker": "A", "text": "Hi."}]}
    with pytest.raises(TranscriptError, match="'call_date' must be an ISO date"):
        parse_transcript(json.dumps(data))


def test_undecodable_utf16_names_encoding_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_bytes(b"\xff\xfe" + "Sam: Hi.\n".encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(TranscriptError, match=r"cannot decode as UTF-16 \(byte offset \d+"):
        read_transcript(path)


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_empty_transcripts(text: str) -> None:
    with pytest.raises(TranscriptError, match="empty"):
        parse_transcript(text, name="e.txt")


def test_format_timestamp_millis() -> None:
    assert format_timestamp(3.0005, millis=True) == "00:00:03.001"
    assert format_timestamp(59.9999, millis=True) == "00:01:00.000"
