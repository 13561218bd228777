from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from sales_operator.errors import InputError, TranscriptError
from sales_operator.meetings.transcript import (
    decode_transcript,
    detect_format,
    parse_transcript,
    read_transcript,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)


# --- plain ----------------------------------------------------------------------------------


def test_plain_with_the_three_timestamp_styles_and_continuations() -> None:
    text = (
        "[00:00:05] Sam Rivera: Hi Dana.\n"
        "\n"
        "00:00:09 Dana Whitfield: Hi Sam. Agenda: two things.\n"
        "This line continues Dana's turn.\n"
        "Note: so does this one, colon and all.\n"
        "(1:02) Sam Rivera: Great.\n"
        "[1:02:03.5] Dana Whitfield: Late in the call.\n"
    )
    t = parse_transcript(text, name="call.txt")
    assert t.format == "plain"
    assert [turn.speaker for turn in t.turns] == [
        "Sam Rivera",
        "Dana Whitfield",
        "Sam Rivera",
        "Dana Whitfield",
    ]
    assert [turn.start for turn in t.turns] == [5.0, 9.0, 62.0, 3723.5]
    assert all(turn.end is None for turn in t.turns)
    assert t.turns[1].text == (
        "Hi Sam. Agenda: two things. This line continues Dana's turn. "
        "Note: so does this one, colon and all."
    )
    assert [turn.line for turn in t.turns] == [1, 3, 6, 7]
    assert t.timed
    assert t.speakers == ("Sam Rivera", "Dana Whitfield")


def test_plain_without_timestamps() -> None:
    t = parse_transcript("Alex: Hello there.\nmore words\nMaria Lopez (CFO): Hi.\n")
    assert [(x.speaker, x.text, x.start) for x in t.turns] == [
        ("Alex", "Hello there. more words", None),
        ("Maria Lopez (CFO)", "Hi.", None),
    ]
    assert not t.timed


def test_render_round_trips() -> None:
    t = parse_transcript(DISCOVERY.read_text(encoding="utf-8"))
    again = parse_transcript(t.render())
    assert [(x.speaker, x.text, x.start) for x in again.turns] == [
        (x.speaker, x.text, x.start) for x in t.turns
    ]


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\ufeff"])
def test_empty_text_is_an_error(text: str) -> None:
    with pytest.raises(TranscriptError, match="empty"):
        parse_transcript(text, name="empty.txt")


def test_no_speaker_labels_is_an_error() -> None:
    with pytest.raises(TranscriptError, match="no speaker labels"):
        parse_transcript("We talked about routes.\nThen we hung up.\n", name="notes.txt")


def test_text_before_the_first_label_names_the_line() -> None:
    with pytest.raises(TranscriptError, match=r"notes\.txt: line 2: text before the first"):
        parse_transcript("\nDiscovery call with Northwind\nSam: Hi.\n", name="notes.txt")


def test_timestamp_without_speaker_names_the_line() -> None:
    with pytest.raises(TranscriptError, match="line 2: a timestamp without a speaker"):
        parse_transcript("[00:00:01] Sam: Hi.\n[00:00:04] hello?\n")


def test_backwards_timestamp_names_both_lines() -> None:
    text = "[00:00:01] Sam: Hi.\n[00:00:09] Dana: Hi.\n\n[00:00:05] Sam: Oops.\n"
    with pytest.raises(TranscriptError, match=r"line 4: timestamp 00:00:05 goes backwards.*line 2"):
        parse_transcript(text)


def test_transcript_error_is_an_input_error() -> None:
    assert issubclass(TranscriptError, InputError)


# --- WebVTT ---------------------------------------------------------------------------------


def test_vtt_with_voice_tags_notes_and_untagged_continuation() -> None:
    t = read_transcript(FIXTURES / "onboarding_check.vtt")
    assert t.format == "vtt"
    assert [x.speaker for x in t.turns] == [
        "Priya Nair",
        "Ken Ito",
        "Priya Nair",
        "Ken Ito",
        "Ken Ito",
        "Priya Nair",
        "Ken Ito",
    ]
    ken = t.turns[1]
    assert ken.text.endswith(
        "especially at night. And the dispatch team says the new screens are fast."
    )
    assert (ken.start, ken.end) == (7.0, 21.0)  # the untagged cue extends the turn


def test_vtt_with_name_prefixes_and_cue_ids() -> None:
    text = (
        "WEBVTT - recorded\n\n"
        "intro\n00:01.000 --> 00:04.000 align:start\nSam: Hello <b>Dana</b>.\n\n"
        "00:04.500 --> 00:09.000\nDana: Hi Sam.\nHow are you?\n"
    )
    t = parse_transcript(text)
    assert [(x.speaker, x.text, x.start, x.end) for x in t.turns] == [
        ("Sam", "Hello Dana.", 1.0, 4.0),
        ("Dana", "Hi Sam. How are you?", 4.5, 9.0),
    ]


def test_vtt_several_voices_in_one_cue() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Sam>Hi.</v>\n<v.loud Dana>Hello!</v>\n"
    t = parse_transcript(text)
    assert [(x.speaker, x.text) for x in t.turns] == [("Sam", "Hi."), ("Dana", "Hello!")]


def test_vtt_without_speakers_is_an_error() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello.\n"
    with pytest.raises(TranscriptError, match="no speaker labels found in the WebVTT cues"):
        parse_transcript(text)


def test_vtt_text_before_the_first_label_is_an_error() -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n[music]\n\n"
        "00:00:04.000 --> 00:00:05.000\n<v Sam>Hi.</v>\n"
    )
    with pytest.raises(TranscriptError, match="line 4: cue text before the first speaker"):
        parse_transcript(text)


def test_vtt_cue_ending_before_it_starts() -> None:
    text = "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v Sam>Hi.</v>\n"
    with pytest.raises(TranscriptError, match="line 3: the turn ends"):
        parse_transcript(text)


def test_vtt_going_backwards() -> None:
    text = (
        "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\n<v Sam>Hi.</v>\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Dana>Hi.</v>\n"
    )
    with pytest.raises(TranscriptError, match="line 6: timestamp 00:00:01 goes backwards"):
        parse_transcript(text)


def test_vtt_garbage_block_names_the_line() -> None:
    with pytest.raises(TranscriptError, match="line 3: expected a WebVTT cue timing"):
        parse_transcript("WEBVTT\n\nnot a cue\nstill not\n")


# --- SRT ------------------------------------------------------------------------------------


def test_srt() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:04,000\nSam Rivera: Thanks for joining.\n\n"
        "2\n00:00:04,500 --> 00:00:08,250\nDana Whitfield: Happy to.\n\n"
        "3\n00:00:08,300 --> 00:00:10,000\nStill Dana here.\n"
    )
    t = parse_transcript(text)
    assert t.format == "srt"
    assert [(x.speaker, x.text, x.start, x.end) for x in t.turns] == [
        ("Sam Rivera", "Thanks for joining.", 1.0, 4.0),
        ("Dana Whitfield", "Happy to. Still Dana here.", 4.5, 10.0),
    ]


def test_srt_cue_without_number() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:04,000\nSam: Hi.\n\n00:00:05,000 --> 00:00:06,000\nDana: Hi.\n"
    )
    with pytest.raises(TranscriptError, match="line 5: an SRT cue must start with its number"):
        parse_transcript(text)


# --- JSON -----------------------------------------------------------------------------------


def test_json_segments() -> None:
    t = read_transcript(FIXTURES / "pricing_call.json")
    assert t.format == "json"
    assert len(t.turns) == 7
    assert (t.turns[1].speaker, t.turns[1].start, t.turns[1].end) == ("Ana Souza", 6.5, 20.0)


def test_json_object_with_segments_and_missing_times() -> None:
    data = {
        "segments": [{"speaker": "A", "text": "Hi."}, {"speaker": "B", "text": "Yo.", "start": 2}]
    }
    t = parse_transcript(json.dumps(data))
    assert [(x.speaker, x.start) for x in t.turns] == [("A", None), ("B", 2.0)]
    assert not t.timed


def test_json_missing_speaker_names_the_segment() -> None:
    data = [{"speaker": "A", "text": "Hi."}, {"text": "Who am I?"}]
    with pytest.raises(TranscriptError, match="segment 2: missing speaker"):
        parse_transcript(json.dumps(data))


def test_json_bad_time_names_the_segment() -> None:
    data = [{"speaker": "A", "text": "Hi.", "start": "soon"}]
    with pytest.raises(TranscriptError, match="segment 1: 'start' must be a non-negative number"):
        parse_transcript(json.dumps(data))


def test_json_going_backwards_names_the_segment() -> None:
    data = [
        {"speaker": "A", "text": "Hi.", "start": 5},
        {"speaker": "B", "text": "Hi.", "start": 1},
    ]
    with pytest.raises(TranscriptError, match="segment 2: timestamp 00:00:01 goes backwards"):
        parse_transcript(json.dumps(data))


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(TranscriptError, match="line 2, column"):
        parse_transcript('{"segments":\n [oops]}')


def test_json_of_the_wrong_shape_is_an_unknown_format() -> None:
    with pytest.raises(TranscriptError, match="unknown transcript format"):
        parse_transcript('{"speaker": "A", "text": "Hi"}')


# --- formats and encodings ------------------------------------------------------------------


def test_detect_format() -> None:
    assert detect_format("WEBVTT\n") == "vtt"
    assert detect_format("1\n00:00:01,000 --> 00:00:02,000\nA: x\n") == "srt"
    assert detect_format('[{"speaker": "A", "text": "x"}]') == "json"
    assert detect_format("[00:00:01] A: x\n") == "plain"


def test_cue_timings_without_a_header_are_an_unknown_format() -> None:
    with pytest.raises(TranscriptError, match="unknown transcript format: line 1"):
        parse_transcript("00:00:01.000 --> 00:00:02.000\nSam: hi\n", name="x.txt")


def test_unknown_format_argument() -> None:
    with pytest.raises(TranscriptError, match="unknown transcript format 'docx'"):
        parse_transcript("Sam: hi", format="docx")


def test_explicit_format_overrides_detection() -> None:
    with pytest.raises(TranscriptError, match="must start with 'WEBVTT'"):
        parse_transcript("Sam: hi", format="vtt")


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.encode("utf-16"),  # with a BOM
        lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
        lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
    ],
)
def test_read_transcript_encodings(tmp_path: Path, encode: object) -> None:
    text = "[00:00:01] Zoë Müller: Grüße — ça va?\n[00:00:03] Sam: Fine.\n"
    path = tmp_path / "call.txt"
    path.write_bytes(encode(text))  # type: ignore[operator]
    t = read_transcript(path)
    assert t.turns[0].speaker == "Zoë Müller"
    assert t.turns[0].text == "Grüße — ça va?"
    assert t.name == str(path)


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Sam: Hi.\nDana: Grüße.\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match=r"latin1\.txt: cannot decode as UTF-8 \(line 2"):
        read_transcript(path)


def test_decode_transcript_rejects_broken_utf16() -> None:
    with pytest.raises(TranscriptError, match="cannot decode as UTF-16"):
        decode_transcript(b"\xff\xfe\x00\xd8", name="x")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="transcript file not found"):
        read_transcript(tmp_path / "nope.txt")


# --- the bundled discovery call -------------------------------------------------------------


def test_discovery_fixture_shape() -> None:
    t = read_transcript(DISCOVERY)
    assert t.format == "plain"
    assert t.timed
    assert 45 <= len(t.turns) <= 70
    assert set(t.speakers) == {"Sam Rivera", "Dana Whitfield"}
    last = t.turns[-1].start
    assert last is not None and 25 * 60 <= last <= 30 * 60
