"""Decisions and meeting-style commitments: cue rules with guards, grounding, JSON output."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from evals.ami_actions import load_gold, load_split

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.cli import render_markdown, report
from sales_operator.meetings.decisions import decision_text, is_decision
from sales_operator.meetings.extract import extract_offline
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.policy import default_policy
from tests.conftest import FakeToolModel, tool_reply

DAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("We decided to ship the blue housing first.", "ship the blue housing"),
        ("Okay so we've agreed on a launch price of forty euros.", "launch price of forty"),
        ("I think we're all in agreement on the solar cell.", "solar cell"),
        ("Right, let's go with the titanium frame.", "titanium frame"),
        ("We'll use the cheaper chip then.", "use the cheaper chip"),
        ("We're going with option B, because it's simpler.", "option B"),
        ("So it's going to be a two-button layout.", "two-button layout"),
        ("Fine, we will stick with the current supplier.", "current supplier"),
        ("Green it is.", "Green"),
        ("The final decision is to drop the speaker.", "drop the speaker"),
        ("We've ruled out the touch screen for cost reasons.", "touch screen"),
        ("we definitely won't go with the voice module", "voice module"),
        ("then a rubber grip is the way to go", "rubber grip"),
        ("We agreed that Maria's sketch is the basis, right?", "Maria's sketch"),
    ],
)
def test_decisions_in_varied_phrasing(sentence: str, words: str) -> None:
    assert is_decision(sentence) is not None, sentence
    assert words.lower() in decision_text(sentence).lower()


@pytest.mark.parametrize(
    "sentence",
    [
        "Have we decided on the colour yet?",  # a question
        "Should we go with the titanium frame?",
        "We haven't decided on the battery.",  # negated
        "I don't think we agreed on anything.",
        "If we go with the rubber case we would need a new mould.",  # hypothetical
        "I'm not sure whether we'll use the new chip.",  # an open point
        "We'll keep you posted on the numbers.",  # an idiom, not a choice
        "We agreed to disagree on the colour.",
        "It's going to be hard to hit that price.",
        "That's what it is.",
        "They decided to go with a competitor last year.",  # someone else's decision
        "We're using Salesforce today.",  # a status, not a decision
        "There's no need for you to send it twice.",
    ],
)
def test_not_decisions(sentence: str) -> None:
    assert is_decision(sentence) is None, sentence


MEETING = """\
[00:00:05] Project Manager: Morning all. So the agenda is the casing and the buttons.
[00:01:10] Industrial Designer: I looked at three casing options and the cheapest is plastic.
[00:02:00] Marketing: People in our survey liked soft materials a lot.
[00:02:40] Project Manager: Okay. So we've decided to go with a soft rubber casing.
[00:03:05] User Interface: Do we want a display? I'm not sure we need one.
[00:03:30] Project Manager: Let's not decide that now.
[00:04:10] Project Manager: For the next meeting, the industrial designer will have to find out\
 the price of the rubber.
[00:04:40] Project Manager: And Marketing, you're going to be looking into what colours\
 teenagers prefer.
[00:05:00] User Interface: I'll check the button layout against the manual.
[00:05:20] Marketing: If we had more time we would maybe run a second survey.
[00:05:40] Project Manager: Everybody should think about the name of the product.
[00:06:00] Industrial Designer: The user has to press the button twice, that's the problem.
[00:06:20] User Interface: You're gonna love the new prototype.
[00:06:40] Project Manager: Your job is to draw up the button map before Friday.
"""


def _meeting() -> Any:
    return parse_transcript(MEETING, name="design-meeting")


def test_meeting_style_commitments_and_decisions_offline() -> None:
    t = _meeting()
    ex = extract_offline(t, call_date=DAY, sides=dict.fromkeys(t.speakers, "unknown"))
    got = {(c.owner, c.title.lower()) for c in ex.commitments}
    owners = {c.owner: c for c in ex.commitments}
    assert "Industrial Designer" in owners  # named by role, "will have to", next meeting
    assert "price of the rubber" in owners["Industrial Designer"].text
    assert owners["Industrial Designer"].due and "next meeting" in owners["Industrial Designer"].due
    assert "Marketing" in owners  # addressed by role: "you're going to be looking into"
    assert owners["Marketing"].text.lower().startswith("look into")
    assert "User Interface" in owners  # "I'll check the button layout"
    assert "everyone" in owners  # "Everybody should think about the name"
    assert any("button map" in c.text for c in ex.commitments)  # "your job is to draw up"
    texts = " ".join(c.text.lower() for c in ex.commitments)
    for never in ("second survey", "press the button", "love the new prototype"):
        assert never not in texts, got
    assert [d.text for d in ex.decisions] == ["go with a soft rubber casing"]
    decision = ex.decisions[0]
    assert decision.speaker == "Project Manager" and decision.start == 160.0


def test_decisions_in_the_analysis_and_json_offline() -> None:
    t = _meeting()
    out = analyze_call(
        t,
        call_id="m1",
        call_date=DAY,
        rep_names=set(),
        customer_names=set(),
        policy=default_policy(),
        llm=LLM(),
    )
    assert [(d.text, d.quote.speaker, d.quote.start) for d in out.decisions] == [
        ("go with a soft rubber casing", "Project Manager", 160.0)
    ]
    assert "soft rubber casing" in out.decisions[0].quote.text
    data = json.loads(json.dumps(report(out, t)))
    assert data["extractions"]["decisions"][0]["quote"]["speaker"] == "Project Manager"
    markdown = render_markdown(data)
    assert "### Decisions" in markdown and "go with a soft rubber casing" in markdown


def test_model_decisions_are_grounded() -> None:
    t = _meeting()
    extraction = {
        "decisions": [
            {  # said, by that speaker
                "text": "Soft rubber casing",
                "quote": "So we've decided to go with a soft rubber casing.",
                "speaker": "Project Manager",
            },
            {  # never said
                "text": "Add a display",
                "quote": "We decided to add a colour display.",
                "speaker": "Project Manager",
            },
            {  # said, but by someone else
                "text": "Soft rubber casing",
                "quote": "So we've decided to go with a soft rubber casing.",
                "speaker": "Marketing",
            },
        ],
        "summary": "Design meeting.",
    }
    model = FakeToolModel(
        messages=iter(
            [
                tool_reply("CallExtraction", extraction),
                tool_reply("MeddpiccExtraction", {"criteria": []}),
            ]
        )
    )
    out = analyze_call(
        t,
        call_id="m2",
        call_date=DAY,
        rep_names=set(),
        customer_names=set(),
        policy=default_policy(),
        llm=LLM(model, name="fake"),
    )
    assert [d.text for d in out.decisions] == ["Soft rubber casing"]
    assert out.decisions[0].quote.start == 160.0
    assert out.ungrounded.get("decisions") == 2


def test_the_ami_halves_are_fixed_disjoint_and_cover_the_gold() -> None:
    split = load_split()
    tune, held = set(split["tune"]), set(split["heldout"])
    assert tune and held and not tune & held
    assert tune | held == {r["meeting"] for r in load_gold()}
    assert abs(len(tune) - len(held)) <= 1


@pytest.mark.parametrize(
    ("line", "owner", "words"),
    [
        ("Lena: Tom, you will have to review the supplier contract.", "Tom", "review the supplier"),
        ("Lena: So your task is to sketch three handle shapes.", "Tom", "sketch three handle"),
        ("Lena: Tom needs to contact the factory in Porto.", "Tom", "contact the factory"),
        ("Tom: I'm gonna research battery suppliers this week.", "Tom", "research battery"),
        ("Lena: Action item for Tom: compile the test results.", "Tom", "compile the test"),
        ("Tom: we'll take care of the packaging for next meeting.", "Tom", "packaging"),
    ],
)
def test_meeting_commitments_in_varied_phrasing(line: str, owner: str, words: str) -> None:
    other = "Tom: Okay." if line.startswith("Lena") else "Lena: Okay."
    t = parse_transcript(f"Lena: Right, the plan.\n{line}\n{other}\n", name="m")
    ex = extract_offline(t, call_date=DAY, sides=dict.fromkeys(t.speakers, "unknown"))
    found = [c for c in ex.commitments if words in c.text.lower()]
    assert found, [c.text for c in ex.commitments]
    assert found[0].owner == owner


@pytest.mark.parametrize(
    "line",
    [
        "Lena: You'll get the instructions by email.",  # receiving, not doing
        "Lena: If you look at the sketch you would see the curve.",  # hypothetical
        "Lena: You're gonna love this design.",  # no task verb
        "Lena: Tom doesn't have to check the colours.",  # negated
        "Lena: Will you check the colours?",  # a question
        "Lena: I'll look into it.",  # a pronoun object with no deadline
        "Lena: The user will have to press two buttons.",  # not a participant
        "Lena: We'll have to make sure it floats.",  # a caution, not a task
    ],
)
def test_not_meeting_commitments(line: str) -> None:
    t = parse_transcript(f"Tom: So.\n{line}\nTom: Okay.\n", name="m")
    ex = extract_offline(t, call_date=DAY, sides=dict.fromkeys(t.speakers, "unknown"))
    assert ex.commitments == [], [c.text for c in ex.commitments]
