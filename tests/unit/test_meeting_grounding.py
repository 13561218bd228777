"""The model path is grounded: an item whose quote is not where it is cited is dropped."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call, quote_grounded
from sales_operator.meetings.transcript import parse_transcript, read_transcript
from sales_operator.policy import default_policy
from tests.conftest import FakeToolModel, tool_reply

DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)
PAIN = "Our dispatchers spend about three hours a day building routes in spreadsheets."


PROMPTS: list[str] = []
"""Every prompt the recording model was sent."""


class RecordingModel(FakeToolModel):
    """A scripted model that keeps every prompt it was sent (in `PROMPTS`)."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        PROMPTS.append("\n".join(str(m.content) for m in messages))
        return super()._generate(messages, *args, **kwargs)


def _invented() -> dict[str, Any]:
    return {
        "pains": [
            {"text": "Manual routing", "quote": PAIN, "speaker": "Dana Whitfield"},
            {  # never said
                "text": "Warehouse fire",
                "quote": "Our main warehouse burned down in March and we lost everything.",
                "speaker": "Dana Whitfield",
            },
            {"text": "Said by the other side", "quote": PAIN, "speaker": "Sam Rivera"},
            {  # said, but cited twenty minutes away from where it is
                "text": "Cited at the wrong time",
                "quote": PAIN,
                "speaker": "Dana Whitfield",
                "start": 9999.0,
            },
        ],
        "commitments": [
            {
                "owner": "Sam Rivera",
                "title": "Send ROI model",
                "text": "Send the ROI model and a pricing proposal",
                "quote": "I'll send you the ROI model and a pricing proposal by Friday.",
            },
            {
                "owner": "Sam Rivera",
                "title": "Give a free year",
                "text": "Give Northwind a free first year",
                "due": "Friday",
                "quote": "I'll give you the first year for free, that's a promise.",
            },
        ],
        "competitors": [
            {"name": "Ghost Routing", "quote": "Ghost Routing quoted us half.", "speaker": "Dana"}
        ],
        "decision_makers": ["Marcus Chen (CRO)", "Zed Phantom (CEO)"],
        "summary": "Discovery call.",
    }


def test_invented_quotes_are_dropped_counted_and_never_used() -> None:
    PROMPTS.clear()
    model = RecordingModel(
        messages=iter(
            [
                tool_reply("CallExtraction", _invented()),
                tool_reply("MeddpiccExtraction", {"criteria": []}),
            ]
        )
    )
    out = analyze_call(
        read_transcript(DISCOVERY),
        call_id="g",
        call_date=date(2026, 11, 4),
        rep_names={"Sam Rivera"},
        customer_names={"Dana Whitfield", "Marcus Chen"},
        policy=default_policy(),
        llm=LLM(model, name="fake"),
    )
    assert out.engine == "llm:fake"
    assert [p.text for p in out.pains] == ["Manual routing"]
    assert [c.title for c in out.commitments] == ["Send ROI model"]
    assert out.ungrounded == {
        "pains": 3,
        "commitments": 1,
        "competitors": 1,
        "decision_makers": 1,
    }
    everything = " ".join(
        [out.summary, *out.crm_notes.values(), *(a.title for a in out.action_items)]
    )
    for invented in ("Warehouse fire", "free", "Ghost Routing", "Zed Phantom"):
        assert invented not in everything
    assert "Ghost Routing" not in {h.tracker for h in out.competitors}
    # the later prompt (MEDDPICC) never sees an invented item
    assert len(PROMPTS) == 2
    assert not any(w in PROMPTS[1] for w in ("burned down", "Ghost Routing"))


def test_quote_grounded_rules() -> None:
    t = parse_transcript(
        "[00:00:05] Ana Ruiz: Can you send the export by Monday? We need it.\n"
        "[00:00:12] Bo Park: Sure, I'll do that.\n"
        "[00:09:00] Bo Park: The price is too high for us this year.\n"
    )
    assert quote_grounded(t, "the price is TOO high for us", "Bo Park")  # normalised
    assert quote_grounded(t, "The price is too high for us", "Bo", start=540.0)
    assert not quote_grounded(t, "The price is too high for us", "Bo Park", start=5.0)
    assert not quote_grounded(t, "The price is too high for us", "Ana Ruiz")
    # a request and its answer, across two turns, count for either speaker
    assert quote_grounded(t, "Can you send the export by Monday? Sure, I'll do that.", "Bo Park")
    assert not quote_grounded(t, "Sure", "Bo Park")  # too short to ground anything
    assert not quote_grounded(t, "We need the export by Friday.", "Ana Ruiz")
