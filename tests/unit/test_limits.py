"""Input limits and policy validation: oversized, deep, far-dated or mis-encoded input gets a
typed error, never MemoryError, RecursionError, OverflowError or UnicodeDecodeError."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from sales_operator.cli import main
from sales_operator.demo import lifecycle_events
from sales_operator.errors import (
    EventError,
    InputError,
    LimitError,
    PolicyError,
    TranscriptError,
)
from sales_operator.events import parse_event
from sales_operator.limits import allowed_transcript_path, check_limits, load_json
from sales_operator.patterns.meetings import load_event_transcript
from sales_operator.policy import LimitsPolicy, default_policy_text, parse_policy

LEAD = lifecycle_events()[0]


def _lead(**payload_changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(LEAD)
    for dotted, value in payload_changes.items():
        target = event["payload"]
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return event


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):  # built iteratively: the test itself must not recurse
        value = {"x": value}
    return value


# --- events ---------------------------------------------------------------------------------


def test_a_10_mb_field_is_refused_by_name() -> None:
    with pytest.raises(LimitError, match=r"payload\.deal\.name is 10485760 bytes") as info:
        parse_event(_lead(deal__name="x" * (10 * 1024 * 1024)))
    assert info.value.limit == "max_field_bytes" and info.value.maximum == 64 * 1024


def test_a_payload_over_1_mb_is_refused_even_in_small_fields() -> None:
    signals = {f"s{i}": "y" * 1000 for i in range(1200)}
    with pytest.raises(LimitError, match="larger than 1048576 bytes"):
        parse_event(_lead(lead__signals=signals))


@pytest.mark.parametrize("levels", [25, 100_000])
def test_deep_nesting_is_a_limit_error_not_a_recursion_error(levels: int) -> None:
    with pytest.raises(LimitError, match="nested deeper than 20"):
        parse_event(_lead(lead__signals=_deep(levels)))


def test_a_deep_json_file_is_refused_before_parsing() -> None:
    text = "[" * 200_000 + "]" * 200_000
    with pytest.raises(LimitError, match="nested 200000 levels deep"):
        load_json(text, name="deep.json")
    # brackets inside strings do not count
    assert load_json(json.dumps({"a": "[[[[[[" * 100}), name="ok.json") == {"a": "[[[[[[" * 100}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"deal__close_date": "9999-12-31"}, "outside the years 1970-2100"),
        ({"lead__created_at": "1066-10-14T09:00:00Z"}, "outside the years 1970-2100"),
        ({"lead__signals": {"last_visit": "9999-01-01"}}, "outside the years"),
    ],
)
def test_far_dates_are_limit_errors_not_overflow(change: dict[str, Any], match: str) -> None:
    with pytest.raises(LimitError, match=match):
        parse_event(_lead(**change))


def test_text_that_only_starts_like_a_date_is_text() -> None:
    parse_event(_lead(deal__name="1200-05-06 units shipped"))


def test_an_event_time_in_year_9999_is_refused() -> None:
    event = {**_lead(), "at": "9999-12-31T23:59:59Z"}
    with pytest.raises(LimitError, match="9999"):
        parse_event(event)


def test_a_lone_surrogate_is_an_event_error_before_anything_runs() -> None:
    with pytest.raises(EventError, match=r"payload\.deal\.name is not valid Unicode"):
        parse_event(_lead(deal__name=json.loads('"Deal \\ud800"')))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"deal__amount": float("inf")}, "not a finite number"),
        ({"lead__signals": {"pages_visited": float("nan")}}, "not a finite number"),
        ({"account__employees": 10**30}, "64-bit integer"),
    ],
)
def test_numbers_no_store_can_hold_are_event_errors(change: dict[str, Any], match: str) -> None:
    with pytest.raises(EventError, match=match):
        parse_event(_lead(**change))


def test_limits_come_from_the_policy() -> None:
    tight = LimitsPolicy(max_field_bytes=10)
    with pytest.raises(LimitError, match="at most 10"):
        parse_event(LEAD, tight)
    parse_event(LEAD)  # the defaults take it


# --- transcripts ------------------------------------------------------------------------------


def test_a_100k_line_transcript_is_a_limit_error() -> None:
    text = "\n".join(f"{'Sam' if i % 2 else 'Dana'}: line {i}." for i in range(100_000))
    with pytest.raises(LimitError, match="100000 turns") as info:
        load_event_transcript({"transcript": text}, call_id="c")
    assert info.value.limit == "max_transcript_turns"


def test_an_oversized_transcript_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(6 * 1024 * 1024)  # sparse: 6 MB without writing them
    with pytest.raises(LimitError, match="transcripts may be at most 5242880"):
        load_event_transcript({"transcript_path": str(big)}, call_id="c")


def test_an_inline_transcript_over_5_mb_is_refused_by_the_event_check() -> None:
    payload = {"deal_id": "D-2001", "call_id": "c", "transcript": "Sam: hi\n" * 700_000}
    event = {"type": "meeting_completed", "at": "2026-11-04T16:00:00Z", "payload": payload}
    with pytest.raises(LimitError, match="transcripts may be at most"):
        parse_event(event)


def test_a_latin1_transcript_file_is_a_transcript_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "call.txt"
    path.write_bytes("Sam: Grüße aus München\nDana: Très bien\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match="cannot decode as UTF-8"):
        load_event_transcript({"transcript_path": str(path)}, call_id="c")


def test_transcript_path_is_confined_to_the_configured_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed = tmp_path / "calls"
    allowed.mkdir()
    (allowed / "ok.txt").write_text("Sam: hello\nDana: hi\n", "utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n", "utf-8")
    os.symlink(secret, allowed / "link.txt")
    limits = LimitsPolicy(transcript_dirs=[str(allowed)])
    text, _ = load_event_transcript(
        {"transcript_path": str(allowed / "ok.txt")}, call_id="c", limits=limits
    )
    assert "hello" in text
    for path in (secret, allowed / "link.txt", allowed / ".." / "secret.txt", Path("/etc/passwd")):
        with pytest.raises(TranscriptError, match="outside the folders"):
            load_event_transcript({"transcript_path": str(path)}, call_id="c", limits=limits)
    # the bundled samples stay readable whatever the folders
    with pytest.raises(TranscriptError, match="outside the folders"):
        allowed_transcript_path(secret, LimitsPolicy(transcript_dirs=[]))
    text, _ = load_event_transcript(
        {"transcript_path": "transcripts/discovery_call.txt"}, call_id="c", limits=limits
    )
    assert text


# --- the CLI's event files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"type": "lead_created", "payload": {"deal": "Caf\xe9"}}'.encode("latin-1"), "not UTF-8"),
        (b"[" * 50_000 + b"]" * 50_000, "LimitError"),
        (
            b'{"type": "lead_created", "at": "2026-01-01", "payload": {"n": 1'
            + b"0" * 5000
            + b"}}",
            "EventError",
        ),
    ],
)
def test_the_cli_answers_bad_event_files_with_typed_errors(
    content: bytes, match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(content)
    code = main(["event", str(path), "--workdir", str(tmp_path / "w"), "--offline", "--sample"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot read event file" in err and match in err


def test_check_limits_walks_without_recursion() -> None:
    with pytest.raises(LimitError):
        check_limits([_deep(300_000)])
    assert issubclass(LimitError, InputError) and not issubclass(LimitError, EventError)


# --- policy validation ------------------------------------------------------------------------


def _policy(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(default_policy_text())
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"approval__actions__send_email__allowed_decisions": []}, "must not be empty"),
        (
            {"approval__actions__change_stage__allowed_decisions": ["approve"]},
            "must include reject",
        ),
        ({"scoring__bands": {"A": 0.5, "B": 0.7, "C": 0.3}}, "ordered A > B > C"),
        ({"scoring__bands": {"A": 1.5, "B": 0.5, "C": 0.3}}, "within \\[0, 1\\]"),
        ({"scoring__bands": {"A": 0.7, "B": 0.5, "C": -0.1}}, "within \\[0, 1\\]"),
        ({"risk__at_risk_below": 1.5}, "at_risk_below"),
        ({"risk__inactivity_days": 0}, "inactivity_days"),
        ({"risk__penalties": {"inactivity": -1.0}}, "penalties"),
        ({"limits__min_year": 2200}, "min_year"),
        ({"limits__max_depth": 0}, "max_depth"),
        ({"contracts__unknown": 1}, "contracts.unknown"),
    ],
)
def test_a_policy_that_cannot_work_does_not_load(change: dict[str, Any], match: str) -> None:
    with pytest.raises(PolicyError, match=match):
        parse_policy(_policy(**change))


def test_the_bundled_policy_loads_with_its_limits_and_contracts() -> None:
    policy = parse_policy(_policy())
    assert policy.limits.max_field_bytes == 64 * 1024
    assert policy.limits.max_transcript_turns == 50_000
    assert policy.contracts.protected_fields[0] == "stage"
    assert all("reject" in r.allowed_decisions for r in policy.approval.actions.values())
