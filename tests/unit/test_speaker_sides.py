"""Sides for speakers nobody named (issue 9 item 6): two-party rest, export, content cues."""

from __future__ import annotations

from pathlib import Path

import pytest

from sales_operator.meetings.speakers import (
    CONFIDENCE,
    map_speakers,
    participant_rows,
    participants,
)
from sales_operator.meetings.transcript import parse_transcript, read_transcript

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts" / "exports"
CALL = (
    "Sam Rivera: Thanks for making the time.\n"
    "Dana Whitfield: Happy to. Our team at Acme Logistics spends hours on dispatch.\n"
    "Sam Rivera: Understood.\n"
)


def test_with_only_the_rep_the_other_of_two_speakers_is_the_customer() -> None:
    t = parse_transcript(CALL)
    m = map_speakers(t.speakers, participants(rep_names=["Sam Rivera"]), transcript=t)
    assert (m["Sam Rivera"].side, m["Sam Rivera"].mapped_by) == ("rep", "full_name")
    dana = m["Dana Whitfield"]
    assert (dana.side, dana.mapped_by) == ("customer", "two_party_rest")
    assert dana.confidence == CONFIDENCE["two_party_rest"] < m["Sam Rivera"].confidence  # type: ignore[operator]
    assert "Sam Rivera" in dana.reason


def test_the_rest_also_works_from_a_known_customer_and_can_be_turned_off() -> None:
    t = parse_transcript(CALL)
    m = map_speakers(t.speakers, participants(customer_names=["Dana Whitfield"]))
    assert m["Sam Rivera"].side == "rep"
    off = map_speakers(t.speakers, participants(rep_names=["Sam Rivera"]), two_party=False)
    assert off["Dana Whitfield"].side == "unknown" and off["Dana Whitfield"].mapped_by == "none"


def test_with_three_speakers_the_rest_is_never_guessed() -> None:
    t = parse_transcript(CALL + "Jamie: Sorry I'm late.\n")
    m = map_speakers(t.speakers, participants(rep_names=["Sam Rivera"]), transcript=t)
    assert m["Dana Whitfield"].side == "unknown" and m["Jamie"].side == "unknown"
    assert m["Dana Whitfield"].confidence == 0.0


def test_an_ambiguous_label_stays_unknown_on_a_two_party_call() -> None:
    t = parse_transcript("Sam: Hi.\nAlex: Hello.\n")
    people = participants(rep_names=["Sam Rivera", "Alex Kim"], customer_names=["Alex Moore"])
    m = map_speakers(t.speakers, people)
    assert m["Alex"].side == "unknown"  # "Alex" is on both sides: not a nobody
    assert m["Alex"].reason == "first name shared across sides"


def test_unlabelled_cues_are_never_placed_and_do_not_count_as_a_party() -> None:
    people = participants(rep_names=["Sam Rivera"])
    m = map_speakers(["Sam Rivera", "Unknown speaker", "Dana"], people)
    assert m["Unknown speaker"].side == "unknown"
    assert m["Dana"].side == "customer"


def test_content_cues_name_the_company() -> None:
    t = parse_transcript(
        "Speaker 1: Hi all, here at Orbital Freight we ship weekly.\n"
        "Speaker 2: Thanks. our team at acme logistics is small\n"
        "Speaker 3: I'm Jo from Brightline, the implementation partner.\n"
    )
    m = map_speakers(
        t.speakers,
        [],
        transcript=t,
        own_names=["Orbital Freight", "Orbital Dispatch"],
        customer_orgs=["Acme Logistics"],
    )
    assert (m["Speaker 1"].side, m["Speaker 1"].mapped_by) == ("rep", "content_cue")
    assert (m["Speaker 2"].side, m["Speaker 2"].mapped_by) == ("customer", "content_cue")
    assert m["Speaker 3"].side == "unknown"  # another company places nobody
    assert "our team at acme logistics" in m["Speaker 2"].reason


def test_a_speaker_naming_both_companies_is_not_placed() -> None:
    t = parse_transcript(
        "A: We at Orbital Freight love it; my team at Acme Logistics too.\nB: Ok.\nC: Ok.\n"
    )
    m = map_speakers(
        t.speakers,
        [],
        transcript=t,
        own_names=["Orbital Freight"],
        customer_orgs=["Acme Logistics"],
    )
    assert m["A"].side == "unknown"


def test_the_export_states_sides() -> None:
    t = read_transcript(EXPORTS / "gong.json")
    m = map_speakers(t.speakers, [], transcript=t)
    assert {s: (x.side, x.mapped_by) for s, x in m.items()} == {
        "Sam Rivera": ("rep", "export"),
        "Dana Whitfield": ("customer", "export"),
    }


def test_crm_and_attendee_matches_carry_how_and_how_sure() -> None:
    people = participants(
        attendees=["Dana Whitfield <dana@acme-logistics.com>", "sam@orbitalfreight.com"],
        rep_email_domains=["orbitalfreight.com"],
    )
    m = map_speakers(
        ["Dana Whitfield", "sam@orbitalfreight.com", "lee@acme-logistics.com"],
        people,
        rep_email_domains=["orbitalfreight.com"],
    )
    assert [(x.side, x.mapped_by, x.confidence) for x in m.values()] == [
        ("customer", "full_name", 0.95),
        ("rep", "email", 0.99),
        ("customer", "email_domain", 0.9),
    ]


def test_participant_rows_follow_the_contract() -> None:
    t = parse_transcript(CALL)
    rows = participant_rows(
        map_speakers(t.speakers, participants(rep_names=["Sam Rivera"]), transcript=t)
    )
    assert [r["name"] for r in rows] == ["Sam Rivera", "Dana Whitfield"]
    assert set(rows[0]) == {
        "name",
        "participant",
        "email",
        "side",
        "mapped_by",
        "confidence",
        "reason",
    }
    assert rows[1]["side"] == "customer" and rows[1]["mapped_by"] == "two_party_rest"
    assert rows[0]["participant"] == "Sam Rivera"


@pytest.mark.parametrize("n", [1, 5000])
def test_many_turns_are_fine(n: int) -> None:
    t = parse_transcript("".join(f"A: line {i} here at Nowhere Inc.\nB: ok\n" for i in range(n)))
    m = map_speakers(t.speakers, participants(rep_names=["A"]), transcript=t, own_names=["Us"])
    assert m["B"].side == "customer"


def test_content_cues_also_read_the_companies_from_mail_domains() -> None:
    t = parse_transcript(
        "Pat: Hi, Pat here.\n"
        "Speaker 2: Our team at Acme Logistics runs twelve depots.\n"
        "Speaker 3: And here at OrbitalFreight we handle the onboarding.\n"
        "Speaker 4: I'm Lee from Gmail, ha.\n"
    )
    people = participants(
        attendees=["Pat Doe <pat@acme-logistics.co.uk>", "kim@gmail.com"],
        rep_email_domains=["orbitalfreight.com"],
    )
    m = map_speakers(t.speakers, people, rep_email_domains=["orbitalfreight.com"], transcript=t)
    assert (m["Speaker 2"].side, m["Speaker 2"].mapped_by) == ("customer", "content_cue")
    assert "Acme Logistics" in m["Speaker 2"].reason
    assert (m["Speaker 3"].side, m["Speaker 3"].mapped_by) == ("rep", "content_cue")
    assert m["Speaker 4"].side == "unknown"  # a free-mail domain names no company
