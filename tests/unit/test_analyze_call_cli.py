"""`sales-operator analyze-call`: the JSON and Markdown reports, and clear errors."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
DISCOVERY = str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_OPERATOR_MODEL", "offline")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze-call", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_json_report_of_the_discovery_call(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(
        capsys,
        DISCOVERY,
        "--rep",
        "Sam Rivera",
        "--attendee",
        "Dana Whitfield <dana.whitfield@northwind-logistics.com>",
        "--call-date",
        "2026-11-04",
    )
    assert {
        "metrics",
        "trackers",
        "extractions",
        "summary",
        "crm_notes",
        "highlights",
        "participants",
        "call",
    } <= set(data)
    call = data["call"]
    assert (call["date"], call["format"], call["speakers"]) == ("2026-11-04", "plain", 2)
    assert call["duration_s"] is not None and call["duration_s"] > 60
    assert call["source"].endswith("discovery_call.txt")
    rows = {p["name"]: p for p in data["participants"]}
    assert rows["Dana Whitfield"]["side"] == "customer"
    assert rows["Dana Whitfield"]["mapped_by"] and rows["Dana Whitfield"]["mapped_by"] != "none"
    assert rows["Sam Rivera"]["side"] == "rep"
    assert data["highlights"] and "Sam Rivera:" in data["highlights"]
    # the summary is content (brief, key points, next steps), not call metadata
    assert "Talk share" not in data["summary"] and "Next steps:" in data["summary"]
    assert data["summary_detail"]["brief"] and data["summary_detail"]["next_steps"]
    assert data["extractions"]["ungrounded"] == {}
    m = data["metrics"]
    assert m["talk_ratio"] == {"Sam Rivera": 0.733, "Dana Whitfield": 0.267}
    assert m["basis"] == "time" and m["side_ratio"] == {"rep": 0.733, "customer": 0.267}
    assert m["speakers"]["Dana Whitfield"]["side"] == "customer"
    assert m["speakers"]["Dana Whitfield"]["matched_by"] == "full name"
    assert m["call"]["call_date"] == "2026-11-04" and m["call"]["format"] == "plain"
    assert m["longest_monologue"]["speaker"] == "Sam Rivera"
    fleet = [h for h in data["trackers"] if h["kind"] == "competitor"]
    assert [(h["tracker"], h["speaker"], h["time"]) for h in fleet] == [
        ("FleetPilot", "Dana Whitfield", "00:05:31")
    ]
    assert all(h["quote"] and h["timestamp"] is not None for h in data["trackers"])
    ex = data["extractions"]
    assert ex["engine"] == "offline:extractive"
    assert len(ex["pains"]) == 3 and all(p["quote"]["text"] for p in ex["pains"])
    assert [c["due"] for c in ex["commitments"]] == ["2026-11-06", "2026-11-10"]
    assert all(c["quote"]["text"] for c in ex["commitments"])
    assert "FleetPilot" in data["summary"]
    assert data["crm_notes"]["next_step_date"] == "2026-11-06"


def test_account_from_the_crm_places_speakers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _json(
        capsys, DISCOVERY, "--account", "A-NWL", "--workdir", str(tmp_path), "--offline", "--sample"
    )
    speakers = data["metrics"]["speakers"]
    assert {k: v["side"] for k, v in speakers.items()} == {
        "Sam Rivera": "rep",
        "Dana Whitfield": "customer",
    }
    assert data["metrics"]["call"]["call_date"] == date.today().isoformat()


def test_without_participants_speakers_stay_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(FIXTURES / "pricing_call.json"), "--call-date", "2026-12-30")
    assert {v["side"] for v in data["metrics"]["speakers"].values()} == {"unknown"}
    assert data["metrics"]["talk_ratio"]["Ana Souza"] > 0.5
    assert data["extractions"]["pains"] == []  # never guessed who the customer is


def test_untimed_transcript_uses_words(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, str(FIXTURES / "renewal_untimed.txt"), "--rep", "Alex Kim")
    assert data["metrics"]["basis"] == "words"
    assert data["metrics"]["speakers"]["Alex Kim (Vendor)"]["side"] == "rep"
    assert all(h["timestamp"] is None for h in data["trackers"])


def test_transcript_date_is_the_default_call_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "call.json"
    path.write_text(
        json.dumps({"date": "2026-11-04", "segments": [{"speaker": "A", "text": "Hi."}]})
    )
    data = _json(capsys, str(path))
    assert data["metrics"]["call"]["call_date"] == "2026-11-04"
    assert data["metrics"]["call"]["call_id"] == "call"


def test_srt_without_speaker_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "captions.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:04,000\nWhat is the price?\n")
    data = _json(capsys, str(path))
    assert data["metrics"]["talk_ratio"] == {"Unknown speaker": 1.0}
    assert data["trackers"][0]["side"] == "unknown"


def test_markdown_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        DISCOVERY,
        "--format",
        "markdown",
        "--rep",
        "Sam Rivera",
        "--customer",
        "Dana Whitfield",
    )
    assert code == 0
    assert out.startswith("# Call discovery_call (")
    assert "| Sam Rivera | rep | 73 % |" in out and "| Dana Whitfield | customer | 27 % |" in out
    assert "**FleetPilot** (competitor) [00:05:31] Dana Whitfield:" in out
    assert "## Summary" in out and "## CRM notes" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "the transcript is empty"),
        ("latin1.txt", "Sam: Grüße\n".encode("latin-1"), r"cannot decode as UTF-8 \(line 1, byte"),
        (
            "overlap.vtt",
            b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v A>Hi.</v>\n\n"
            b"00:00:02.000 --> 00:00:06.000\n<v B>Yo.</v>\n",
            "line 6: the turn starts at 00:00:02.000, overlapping the turn on line 3",
        ),
        (
            "reversed.srt",
            b"1\n00:00:05,000 --> 00:00:01,000\nSam: Hi.\n",
            r"line 2: the turn ends \(00:00:01\) before it starts",
        ),
        ("notes.docx", b"PK\x03\x04", "unknown transcript format '.docx'"),
        ("notes.txt", b"We met and talked.\n", "no speaker labels found"),
        ("cues.txt", b"00:00:01.000 --> 00:00:02.000\nSam: hi\n", "unknown transcript format"),
    ],
)
def test_bad_files_get_clear_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = _run(capsys, str(path))
    assert code == 1 and out == ""
    assert err.startswith("error: TranscriptError: ")
    assert re.search(message, err), err


def test_missing_file_and_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "/nonexistent/call.vtt")
    assert code == 1 and "transcript file not found: /nonexistent/call.vtt" in err
    code, _, err = _run(capsys, DISCOVERY, "--call-date", "2026-13-01")
    assert code == 1 and "error: InputError: --call-date must be an ISO date" in err


def test_unknown_account(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, DISCOVERY, "--account", "A-NOPE", "--workdir", str(tmp_path))
    assert code == 1 and "holds no CRM" in err
    code, _, err = _run(
        capsys, DISCOVERY, "--account", "A-NOPE", "--workdir", str(tmp_path), "--sample"
    )
    assert code == 1 and "--account A-NOPE: no such account" in err


def test_audio_without_the_extra(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sales_operator.meetings.audio", None)  # import fails
    path = tmp_path / "call.wav"
    path.write_bytes(b"RIFF0000WAVE")
    code, _, err = _run(capsys, str(path))
    assert code == 1
    assert err.startswith("error: ConfigurationError: ")
    assert "pip install 'sales-operator[audio]'" in err


def test_the_crm_account_is_never_a_competitor(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    call = tmp_path / "call.txt"
    call.write_text(
        "Sam Rivera: Where are you today?\n"
        "Dana Whitfield: We compared Northwind Logistics' own tool with Onfleet last month.\n",
        encoding="utf-8",
    )
    data = _json(
        capsys, str(call), "--account", "A-NWL", "--workdir", str(tmp_path), "--offline", "--sample"
    )
    names = {h["tracker"] for h in data["trackers"] if h["kind"] == "competitor"}
    assert names == {"Onfleet"}
    assert all(
        0 < h["confidence"] <= 1 and h["matched_by"]
        for h in data["trackers"]
        if h["kind"] == "competitor"
    )
