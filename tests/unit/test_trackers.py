"""Trackers: word forms, said-by, competitors, concept trackers on both engines."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import PolicyError
from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call, speaker_sides
from sales_operator.meetings.trackers import (
    CONCEPT_STEP,
    term_pattern,
    track,
    track_concepts,
    word_pattern,
)
from sales_operator.meetings.transcript import parse_transcript, read_transcript
from sales_operator.policy import Policy, default_policy, parse_policy
from sales_operator.prompts import prompt_variables, render_prompt
from tests.conftest import FakeToolModel, tool_reply

DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)

CALL = parse_transcript(
    "[00:00:01] Sam Rivera: Our pricing is per truck. Any budget questions?\n"
    "[00:00:09] Dana Whitfield: The prices you quoted are high; we budgeted less.\n"
    "[00:00:20] Dana Whitfield: Frankly it's too expensive compared to FleetPilot's offer.\n"
    "[00:00:31] Luis: Security reviews take a month. FleetPilots were cheaper.\n"
)
SIDES = speaker_sides(CALL, {"Sam Rivera"}, {"Dana Whitfield"})


def _policy(meetings: dict[str, Any]) -> Policy:
    return parse_policy({"meetings": meetings})


@pytest.mark.parametrize(
    ("keyword", "yes", "no"),
    [
        ("price", ["prices", "priced", "pricing", "Price's", "PRICE"], ["priceless", "spice"]),
        ("budget", ["budgets", "budgeted", "budgeting"], ["budgetary"]),
        ("security", ["securities"], ["secure"]),
        ("plan", ["planned", "planning", "plans"], ["plane", "planet"]),
        ("tax", ["taxes", "taxed"], ["taxi"]),
        ("API", ["APIs", "api", "API's"], ["apiary"]),
        ("SOC 2", ["soc-2", "SOC  2"], ["SOC 22"]),
        ("go-live", ["go live", "Go-Live", "go lives"], ["going live"]),
    ],
)
def test_word_forms(keyword: str, yes: list[str], no: list[str]) -> None:
    pattern = term_pattern(keyword)
    assert all(pattern.search(f"the {w} here") for w in yes), yes
    assert not any(pattern.search(f"the {w} here") for w in no), no


def test_without_forms_only_the_word_and_its_possessive() -> None:
    pattern = term_pattern("FleetPilot", forms=False)
    assert pattern.search("FleetPilot's offer") and pattern.search("fleetpilot.")
    assert not pattern.search("FleetPilots")
    assert word_pattern("x1", forms=True) == "x1"


def test_keyword_trackers_with_said_by_and_word_forms() -> None:
    policy = _policy(
        {
            "competitors": ["FleetPilot"],
            "trackers": {
                "pricing": {"keywords": ["price", "budget"], "said_by": "customer"},
                "rep_pricing": {"keywords": ["price"], "said_by": "rep"},
                "security": {"keywords": ["security review"]},
            },
        }
    )
    competitors, keywords = track(CALL, policy, SIDES)
    assert [(h.tracker, h.quote.speaker, h.quote.start) for h in competitors] == [
        ("FleetPilot", "Dana Whitfield", 20.0),  # "FleetPilots" is not the name
    ]
    assert [(h.tracker, h.keyword, h.side, h.quote.start) for h in keywords] == [
        ("rep_pricing", "price", "rep", 1.0),  # "pricing", said by the rep
        ("pricing", "price", "customer", 9.0),  # one hit per sentence: "prices", "budgeted"
        ("security", "security review", "unknown", 31.0),
    ]
    assert keywords[1].quote.text == "The prices you quoted are high; we budgeted less."


def test_unknown_speakers_never_count_as_a_side() -> None:
    policy = _policy({"trackers": {"sec": {"keywords": ["security"], "said_by": "customer"}}})
    assert track(CALL, policy, SIDES)[1] == []


def test_legacy_keyword_trackers_are_exact_unless_word_forms_is_on() -> None:
    exact = _policy({"keyword_trackers": {"pricing": ["price"]}})
    assert [h.quote.start for h in track(CALL, exact, SIDES)[1]] == []
    forms = _policy({"keyword_trackers": {"pricing": ["price"]}, "word_forms": True})
    assert [h.quote.start for h in track(CALL, forms, SIDES)[1]] == [1.0, 9.0]


def test_untimed_hits_have_no_timestamp() -> None:
    t = parse_transcript("Sam: What is your budget?\nDana: Tight.\n")
    hits = track(t, _policy({"trackers": {"b": {"keywords": ["budget"]}}}))[1]
    assert [(h.quote.speaker, h.quote.start) for h in hits] == [("Sam", None)]


def test_tracker_names_must_be_unique_and_settings_valid() -> None:
    with pytest.raises(PolicyError, match=r"tracker name\(s\) \['pricing'\] defined more"):
        _policy(
            {
                "keyword_trackers": {"pricing": ["price"]},
                "trackers": {"pricing": {"keywords": ["x"]}},
            }
        )
    with pytest.raises(PolicyError, match="said_by"):
        _policy({"trackers": {"p": {"keywords": ["x"], "said_by": "boss"}}})
    with pytest.raises(PolicyError, match="keywords"):
        _policy({"trackers": {"p": {"keywords": []}}})


def test_bundled_policy_trackers() -> None:
    m = default_policy().meetings
    assert m.word_forms and "timeline" in m.trackers and m.concept_trackers == {}
    assert m.filler_words[:2] == ["um", "umm"]


# --- concept trackers -----------------------------------------------------------------------

CONCEPTS = {
    "competitors": [],
    "concept_trackers": {
        "budget_concern": {
            "description": "The customer worries about price or budget.",
            "said_by": "customer",
            "cues": ["too expensive", "over budget"],
        },
        "timing": "The customer mentions when they need to go live.",  # shorthand, no cues
    },
}


def test_concept_shorthand_is_a_description() -> None:
    policy = _policy(CONCEPTS)
    assert policy.meetings.concept_trackers["timing"].description.startswith("The customer")
    assert policy.meetings.concept_trackers["timing"].cues == []


def test_concepts_offline_match_cues_and_skip_the_rest() -> None:
    hits, engine = track_concepts(CALL, _policy(CONCEPTS), SIDES, LLM())
    assert engine == "offline:cues"
    assert [(h.tracker, h.kind, h.keyword, h.quote.speaker, h.quote.start) for h in hits] == [
        ("budget_concern", "concept", "too expensive", "Dana Whitfield", 20.0)
    ]
    assert hits[0].engine == "offline:cues"


def test_concepts_offline_without_cues_are_skipped_and_say_so() -> None:
    policy = _policy({"concept_trackers": {"timing": "When they go live."}})
    assert track_concepts(CALL, policy, SIDES, LLM()) == ([], "offline:skipped (no model)")
    assert track_concepts(CALL, _policy({}), SIDES, LLM()) == ([], None)


def test_concepts_model_path_keeps_only_real_quotes_and_said_by() -> None:
    args = {
        "hits": [
            {
                "tracker": "budget_concern",
                "quote": "frankly it's too expensive compared to FleetPilot's offer",
                "speaker": "Dana",
            },
            {"tracker": "budget_concern", "quote": "Any budget questions?", "speaker": "Sam"},
            {"tracker": "timing", "quote": "We go live in March.", "speaker": "Dana"},  # invented
            {"tracker": "nonsense", "quote": "Our pricing is per truck.", "speaker": "Sam"},
            {"tracker": "timing", "quote": "Security reviews take a month.", "speaker": "Luis"},
            {
                "tracker": "budget_concern",
                "quote": "The prices you quoted are high; we budgeted less.",
                "speaker": "Dana Whitfield",
            },
        ]
    }
    model = FakeToolModel(messages=iter([tool_reply("ConceptHits", args)]))
    hits, engine = track_concepts(CALL, _policy(CONCEPTS), SIDES, LLM(model, name="fake"))
    assert engine == "llm:fake"
    assert [(h.tracker, h.quote.speaker, h.quote.start, h.keyword) for h in hits] == [
        ("budget_concern", "Dana Whitfield", 9.0, None),  # sorted in the order spoken
        ("budget_concern", "Dana Whitfield", 20.0, None),
        ("timing", "Luis", 31.0, None),
    ]
    assert hits[1].quote.text == "Frankly it's too expensive compared to FleetPilot's offer."
    assert all(h.engine == "llm:fake" for h in hits)


def test_concepts_model_failure_falls_back_to_cues() -> None:
    model = FakeToolModel(messages=iter([]))
    hits, engine = track_concepts(CALL, _policy(CONCEPTS), SIDES, LLM(model, name="fake"))
    assert engine == "offline:cues (fallback after model error)"
    assert [h.keyword for h in hits] == ["too expensive"]


def test_concept_prompt_renders() -> None:
    from sales_operator.prompts import load_prompt

    assert prompt_variables(load_prompt("meetings/concept_trackers")) == {"trackers", "transcript"}
    text = render_prompt("meetings/concept_trackers", trackers="- a: b", transcript="Sam: hi")
    assert "- a: b" in text and "Sam: hi" in text and "\n---\n" in text


def test_analyze_call_records_concepts_and_metrics() -> None:
    policy = default_policy().model_copy(deep=True)
    policy.meetings.concept_trackers = _policy(CONCEPTS).meetings.concept_trackers
    out = analyze_call(
        read_transcript(DISCOVERY),
        call_id="c",
        call_date=date(2026, 11, 4),
        rep_names={"Sam Rivera"},
        customer_names={"Dana Whitfield"},
        policy=policy,
        llm=LLM(),
    )
    assert out.concept_engine == "offline:cues"
    assert out.metrics is not None and out.metrics.basis == "time"
    assert {h.kind for h in out.trackers} >= {"keyword"}
    assert all(h.quote.start is not None and h.side for h in out.trackers + out.competitors)
    assert CONCEPT_STEP == "meeting_concept_trackers"


@pytest.mark.parametrize(
    ("name", "text", "hit"),
    [
        ("FleetPilot", "we looked at fleet pilot last spring", True),  # as speech-to-text writes it
        ("FleetPilot", "the Fleet-Pilot rollout", True),
        ("FleetPilot", "FleetPilot's pricing", True),
        ("FleetPilot", "our fleet grew and the pilot ended", False),
        ("FleetPilot", "the fleet is large", False),
        ("RouteMax", "routemax quoted less", True),
        ("McLeod", "it syncs with mc leod", True),
    ],
)
def test_camel_case_names_match_when_written_apart(name: str, text: str, hit: bool) -> None:
    from sales_operator.meetings.trackers import term_pattern

    assert bool(term_pattern(name).search(text)) is hit
