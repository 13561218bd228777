"""Speakers mapped to participants from the CRM, the calendar and the policy; never guessed."""

from __future__ import annotations

import pytest

from sales_operator.adapters.base import Rep
from sales_operator.meetings.analyze import speaker_sides
from sales_operator.meetings.speakers import (
    Participant,
    map_speakers,
    parse_attendee,
    participants,
    speaker_side,
)
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.state import Contact

DANA = Contact(id="C-DW", name="Dana Whitfield", email="Dana.Whitfield@northwind-logistics.com")
MARCUS = Contact(id="C-MC", name="Marcus Chen", email="marcus.chen@northwind-logistics.com")
SAM = Rep(id="rep-sam", name="Sam Rivera", email="sam.rivera@orbitalfreight.com")
QUEUE = Rep(id="queue-inbound", name="Inbound", email="inbound@orbitalfreight.com", role="queue")
OURS = ["orbitalfreight.com"]


def _people(**kwargs: object) -> list[Participant]:
    base: dict[str, object] = {
        "contacts": [DANA, MARCUS],
        "reps": [SAM, QUEUE],
        "rep_email_domains": OURS,
    }
    return participants(**(base | kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Dana Whitfield <Dana@NW.com>", ("Dana Whitfield", "dana@nw.com")),
        ('"Chen, Marcus" <m@nw.com>', ("Chen, Marcus", "m@nw.com")),
        ("jordan.lee@orbitalfreight.com", ("", "jordan.lee@orbitalfreight.com")),
        ("Ana Souza", ("Ana Souza", None)),
    ],
)
def test_parse_attendee(value: str, parsed: tuple[str, str | None]) -> None:
    assert parse_attendee(value) == parsed


def test_crm_sources_and_queue_skipped() -> None:
    people = _people()
    assert {(p.name, p.side, p.source) for p in people} == {
        ("Dana Whitfield", "customer", "crm_contact"),
        ("Marcus Chen", "customer", "crm_contact"),
        ("Sam Rivera", "rep", "crm_rep"),
    }


def test_full_name_first_name_email_and_unknown_labels() -> None:
    people = _people()
    m = map_speakers(
        [
            "Sam Rivera",
            "dana whitfield (Northwind)",
            "Marcus",
            "sam.rivera@orbitalfreight.com",
            "SPEAKER_00",
            "Speaker 1",
            "Chen",
            "D. Whitfield",
        ],
        people,
    )
    assert {k: (v.side, v.reason) for k, v in m.items()} == {
        "Sam Rivera": ("rep", "full name"),
        "dana whitfield (Northwind)": ("customer", "full name"),
        "Marcus": ("customer", "first name"),
        "sam.rivera@orbitalfreight.com": ("rep", "email"),
        "SPEAKER_00": ("unknown", "no participant matches"),
        "Speaker 1": ("unknown", "no participant matches"),
        "Chen": ("unknown", "no participant matches"),  # a last name alone is not matched
        "D. Whitfield": ("unknown", "no participant matches"),
    }
    assert m["Marcus"].participant is not None
    assert m["Marcus"].participant.email == "marcus.chen@northwind-logistics.com"


def test_calendar_attendees_take_their_side_from_the_domain() -> None:
    people = _people(
        contacts=[],
        reps=[],
        attendees=[
            "Jordan Lee <jordan.lee@orbitalfreight.com>",
            "Ana Souza <ana@acme-freight.com>",
            "Kim Park",  # no email: no side
        ],
    )
    m = map_speakers(["Jordan", "Ana Souza", "Kim Park"], people)
    assert [x.side for x in m.values()] == ["rep", "customer", "unknown"]


def test_attendee_without_email_learns_its_side_from_the_crm() -> None:
    people = _people(attendees=["Dana Whitfield"])
    assert map_speakers(["Dana"], people)["Dana"].side == "customer"


def test_shared_first_name_is_never_guessed() -> None:
    people = _people(attendees=["Dana Lopez <dana@orbitalfreight.com>"])
    m = map_speakers(["Dana", "Dana Lopez", "Dana Whitfield"], people)
    assert m["Dana"].side == "unknown" and m["Dana"].participant is None
    assert m["Dana Lopez"].side == "rep"
    assert m["Dana Whitfield"].side == "customer"


def test_shared_first_name_on_one_side_knows_the_side_not_the_person() -> None:
    people = _people(contacts=[DANA, Contact(id="x", name="Dana Moss")])
    m = map_speakers(["Dana"], people)["Dana"]
    assert (m.side, m.participant) == ("customer", None)


def test_one_person_on_both_sides_is_unknown() -> None:
    people = participants(rep_names=["Pat Lee"], customer_names=["Pat Lee"])
    assert map_speakers(["Pat Lee", "Pat"], people)["Pat Lee"].side == "unknown"
    assert speaker_side("Pat", ["Pat Lee"], ["Pat Lee"]) == "unknown"


def test_a_name_known_on_one_side_stays_there_when_an_attendee_without_email_repeats_it() -> None:
    attendee = Participant("Dana Whitfield", None, "unknown", "calendar")
    t = parse_transcript("Sam Rivera: Hi Dana.\nDana Whitfield: Hello.\n")
    sides = speaker_sides(t, ["Sam Rivera"], ["Dana Whitfield"], people=[attendee])
    assert sides == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}
    merged = participants(customer_names=["Dana Whitfield"], people=[attendee])
    assert [(p.name, p.side) for p in merged] == [("Dana Whitfield", "customer")]


def test_unknown_email_is_placed_by_its_domain_only_when_domains_are_given() -> None:
    labels = ["someone@orbitalfreight.com", "x@elsewhere.io"]
    assert [m.side for m in map_speakers(labels, _people()).values()] == ["unknown", "unknown"]
    m = map_speakers(labels, _people(), rep_email_domains=OURS)
    assert [(x.side, x.reason) for x in m.values()] == [
        ("rep", "email domain"),
        ("customer", "email domain"),
    ]


def test_a_contact_with_our_domain_is_ours() -> None:
    ghost = Contact(id="x", name="Lee Park", email="lee@orbitalfreight.com")
    m = map_speakers(["Lee Park"], _people(contacts=[ghost]))
    assert m["Lee Park"].side == "rep"


# --- in the Meeting Intelligence pattern ----------------------------------------------------


def _pattern_state(payload: dict[str, object]) -> object:
    from datetime import UTC, datetime

    from sales_operator.state import DealState, Event

    return DealState(
        event=Event(
            type="meeting_completed", at=datetime(2026, 11, 4, 16, tzinfo=UTC), payload=payload
        ),
        event_id="D-2001:2:meeting_completed",
        deal_id="D-2001",
        contacts=[DANA],
    )


def _run_pattern(payload: dict[str, object]) -> object:
    from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
    from sales_operator.patterns import meetings
    from sales_operator.state import DealState

    deps = fake_pattern_deps(crm=InMemoryCRM(reps=[SAM, QUEUE]))
    graph = meetings.build(deps).compile(name="meeting_intelligence")
    return DealState.model_validate(graph.invoke(_pattern_state(payload)))


def test_pattern_places_speakers_from_crm_and_calendar_attendees() -> None:
    text = (
        "[00:00:01] Sam: Hi all.\n"
        "[00:00:05] Dana: Hello.\n"
        "[00:00:09] Jordan Lee: I'm Sam's manager.\n"
        "[00:00:15] Ana: I run IT at Northwind.\n"
        "[00:00:20] SPEAKER_03: Hi.\n"
    )
    out = _run_pattern(
        {
            "call_id": "c1",
            "transcript": text,
            "attendees": [
                "Jordan Lee <jordan.lee@orbitalfreight.com>",
                "Ana Souza <ana.souza@northwind-logistics.com>",
            ],
        }
    )
    assert out.meeting.speakers == {  # type: ignore[attr-defined]
        "Sam": "rep",
        "Dana": "customer",
        "Jordan Lee": "rep",
        "Ana": "customer",
        "SPEAKER_03": "unknown",
    }
    assert out.meeting.metrics.speakers["Jordan Lee"].side == "rep"  # type: ignore[attr-defined]


def test_pattern_rejects_malformed_attendees() -> None:
    from sales_operator.errors import EventError

    with pytest.raises(EventError, match="'attendees' must be a list"):
        _run_pattern({"call_id": "c1", "transcript": "Sam: Hi.\n", "attendees": "everyone"})
