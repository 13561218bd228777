from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.adapters.base import CRMReader, Rep
from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.context import Context
from sales_operator.deps import PatternDeps
from sales_operator.errors import EventError, TranscriptError
from sales_operator.llm import LLM
from sales_operator.patterns import meetings
from sales_operator.state import (
    Activity,
    Contact,
    DealState,
    Event,
    MeetingInsights,
)
from tests.conftest import FakeToolModel, tool_reply

DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)
MEETING_AT = datetime(2026, 11, 4, 16, 0, tzinfo=UTC)
DANA = Contact(id="C-DW", name="Dana Whitfield", title="VP of Operations")
MARCUS = Contact(id="C-MC", name="Marcus Chen", title="Chief Revenue Officer (CRO)")


REPS = [
    Rep(id="rep-sam", name="Sam Rivera", email="sam.rivera@orbitalfreight.com"),
    Rep(id="rep-priya", name="Priya Nair", email="priya.nair@orbitalfreight.com"),
    Rep(id="queue-inbound", name="Dana Queue", email="q@orbitalfreight.com", role="queue"),
]


def make_deps(llm: LLM | None = None) -> PatternDeps:
    crm = InMemoryCRM(reps=REPS)  # a CRM that knows the reps and nothing else
    assert isinstance(crm, CRMReader)
    # Meeting intelligence reads no documents and never scores.
    return fake_pattern_deps(crm=crm, llm=llm)


def state(
    event_type: str, payload: dict[str, Any], *, at: datetime = MEETING_AT, **extra: Any
) -> DealState:
    values: dict[str, Any] = {
        "event": Event(type=event_type, at=at, payload=payload),  # type: ignore[arg-type]
        "event_id": f"D-2001:2:{event_type}",
        "deal_id": "D-2001",
        "contacts": [DANA, MARCUS],
        "activities": [Activity(at=datetime(2026, 11, 2, 15, tzinfo=UTC), kind="email")],
        "engines": {"scoring_routing": "rules"},
    }
    values.update(extra)
    return DealState(**values)


def run(s: DealState, deps: PatternDeps | None = None, context: Context | None = None) -> DealState:
    graph = meetings.build(deps or make_deps()).compile(name="meeting_intelligence")
    out = graph.invoke(s, context=context) if context is not None else graph.invoke(s)
    return DealState.model_validate(out)


def test_the_graph_has_one_node_named_after_its_function() -> None:
    graph = meetings.build(make_deps()).compile()
    assert set(graph.get_graph().nodes) == {"__start__", "analyze_call", "__end__"}


@pytest.mark.parametrize("event_type", ["lead_created", "activity_logged", "pipeline_review"])
def test_other_events_change_nothing(event_type: str) -> None:
    before = state(event_type, {"transcript_path": "transcripts/discovery_call.txt"})
    after = run(before)
    assert after == before


def test_meeting_completed_with_the_bundled_transcript_path() -> None:
    after = run(
        state(
            "meeting_completed",
            {"call_id": "call-1", "transcript_path": "transcripts/discovery_call.txt"},
        )
    )
    meeting = after.meeting
    assert isinstance(meeting, MeetingInsights)
    assert meeting.call_id == "call-1"
    assert meeting.call_date == date(2026, 11, 4)
    assert meeting.engine == "offline:extractive"
    assert len(meeting.pains) == 3
    assert [h.tracker for h in meeting.competitors] == ["FleetPilot"]
    assert [(c.title, c.due) for c in meeting.commitments] == [
        ("Send ROI model and pricing proposal", date(2026, 11, 6)),
        ("Loop in CRO", date(2026, 11, 10)),
    ]
    assert after.meetings == [meeting]
    assert after.transcript == DISCOVERY.read_text(encoding="utf-8")
    assert after.engines == {
        "scoring_routing": "rules",
        "meeting_intelligence": "offline:extractive",
    }
    assert len(after.activities) == 2
    activity = after.activities[-1]
    assert (activity.kind, activity.direction, activity.at) == ("meeting", "outbound", MEETING_AT)
    assert "call-1" in activity.summary and "FleetPilot" in activity.summary
    # a queue is not a rep: its name never puts a speaker on the rep side
    assert meeting.speakers == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}


def test_transcript_text_and_call_date_override() -> None:
    text = "[00:00:01] Sam: I'll send the proposal by Friday.\n[00:00:05] Dana: Great, thanks.\n"
    after = run(
        state(
            "meeting_completed",
            {"call_id": "c-2", "transcript": text, "call_date": "2026-11-09"},  # a Monday
        )
    )
    assert after.meeting is not None
    assert after.meeting.call_date == date(2026, 11, 9)
    assert [(c.owner, c.side, c.due) for c in after.meeting.commitments] == [
        ("Sam", "rep", date(2026, 11, 13))
    ]
    assert after.transcript == text


def test_format_from_the_payload() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n"
        "<v Dana>We spend hours on manual routing every day.</v>\n"
    )
    after = run(state("meeting_completed", {"call_id": "c-3", "transcript": vtt, "format": "vtt"}))
    assert after.meeting is not None and len(after.meeting.pains) == 1
    with pytest.raises(TranscriptError, match="must start with 'WEBVTT'"):
        run(
            state(
                "meeting_completed", {"call_id": "c-3", "transcript": "Dana: hi", "format": "vtt"}
            )
        )


def test_rerunning_the_same_call_replaces_it() -> None:
    payload = {"call_id": "call-1", "transcript_path": str(DISCOVERY)}
    first = run(state("meeting_completed", payload))
    second = run(first.model_copy(update={"event": first.event}))
    assert [m.call_id for m in second.meetings] == ["call-1"]
    assert len(second.activities) == 2  # the same activity is not logged twice


def test_a_second_call_is_appended() -> None:
    first = run(
        state("meeting_completed", {"call_id": "call-1", "transcript_path": str(DISCOVERY)})
    )
    later = datetime(2026, 11, 10, 17, tzinfo=UTC)
    text = (
        "[00:00:01] Marcus Chen: I'm not sure we can justify the price this year.\n"
        "[00:00:04] Sam Rivera: Understood.\n"
    )
    second = run(
        first.model_copy(
            update={
                "event": Event(
                    type="meeting_completed",
                    at=later,
                    payload={"call_id": "call-2", "transcript": text},
                )
            }
        )
    )
    assert [m.call_id for m in second.meetings] == ["call-1", "call-2"]
    assert second.meeting is not None and second.meeting.call_id == "call-2"
    assert [o.quote.speaker for o in second.meeting.objections] == ["Marcus Chen"]
    assert [a.at for a in second.activities][-2:] == [MEETING_AT, later]


def test_deal_closed_without_a_transcript_is_ignored() -> None:
    before = state("deal_closed", {"outcome": "won", "amount": 52000})
    assert run(before) == before


def test_deal_closed_with_a_transcript_is_analysed() -> None:
    at = datetime(2026, 12, 1, 17, tzinfo=UTC)
    text = "[00:00:01] Dana Whitfield: We'll sign the order form tomorrow.\n"
    after = run(
        state("deal_closed", {"outcome": "won", "call_id": "close", "transcript": text}, at=at)
    )
    assert after.meeting is not None
    assert [(c.owner, c.due) for c in after.meeting.commitments] == [
        ("Dana Whitfield", date(2026, 12, 2))
    ]


def test_missing_transcript_is_an_event_error() -> None:
    with pytest.raises(EventError, match="'transcript' .* or 'transcript_path'"):
        run(state("meeting_completed", {"call_id": "call-1"}))


def test_bad_call_date_is_an_event_error() -> None:
    with pytest.raises(EventError, match="'call_date' must be an ISO date, got 'next week'"):
        run(state("meeting_completed", {"transcript": "Sam: hi", "call_date": "next week"}))


def test_wrong_transcript_type_is_an_event_error() -> None:
    with pytest.raises(EventError, match="'transcript' must be the transcript text"):
        run(state("meeting_completed", {"transcript": ["Sam: hi"]}))


def test_missing_file_is_a_transcript_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # inside the allowed folders (the working directory)
    with pytest.raises(TranscriptError, match="transcript file not found"):
        run(state("meeting_completed", {"transcript_path": str(tmp_path / "gone.txt")}))


def test_malformed_transcript_is_a_transcript_error() -> None:
    with pytest.raises(TranscriptError, match="no speaker labels"):
        run(state("meeting_completed", {"call_id": "x", "transcript": "We talked. It went well."}))


def test_call_id_defaults_to_the_event_id() -> None:
    after = run(state("meeting_completed", {"transcript": "Sam: Hi Dana."}))
    assert after.meeting is not None and after.meeting.call_id == "D-2001:2:meeting_completed:call"


def _fake_llm() -> LLM:
    args = {
        "pains": [
            {
                "text": "Manual route planning",
                "quote": (
                    "Our dispatchers spend about three hours a day building routes in spreadsheets."
                ),
                "speaker": "Dana Whitfield",
            }
        ],
        "commitments": [
            {
                "owner": "Dana Whitfield",
                "title": "Loop in CRO",
                "text": "Loop in Marcus Chen (CRO) for a call",
                "due": "next Tuesday",
                "quote": (
                    "And I'll loop in Marcus, our CRO, and set up a call with him for next "
                    "Tuesday so he can walk through it with us."
                ),
            }
        ],
        "summary": "Discovery call.",
    }
    return LLM(FakeToolModel(messages=iter([tool_reply("CallExtraction", args)])), name="fake")


def test_model_engine_is_recorded() -> None:
    after = run(
        state("meeting_completed", {"call_id": "call-1", "transcript_path": str(DISCOVERY)}),
        deps=make_deps(_fake_llm()),
    )
    assert after.engines["meeting_intelligence"] == "llm:fake"
    assert after.meeting is not None and after.meeting.engine == "llm:fake"
    assert [p.text for p in after.meeting.pains] == ["Manual route planning"]
    assert after.meeting.commitments[0].due == date(2026, 11, 10)
    assert [h.tracker for h in after.meeting.competitors] == ["FleetPilot"]  # deterministic


def test_context_offline_forces_the_offline_engine() -> None:
    after = run(
        state("meeting_completed", {"call_id": "call-1", "transcript_path": str(DISCOVERY)}),
        deps=make_deps(_fake_llm()),
        context=Context(offline=True),
    )
    assert after.engines["meeting_intelligence"] == "offline:extractive"
    assert after.meeting is not None and len(after.meeting.pains) == 3
