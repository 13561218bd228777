from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import (
    analyze_call,
    call_metrics,
    resolve_commitment_due,
    speaker_side,
    speaker_sides,
    track,
)
from sales_operator.meetings.dates import find_due, resolve_due_phrase
from sales_operator.meetings.extract import (
    CallExtraction,
    classify,
    commitment_title,
    split_sentences,
)
from sales_operator.meetings.transcript import Transcript, parse_transcript, read_transcript
from sales_operator.policy import Policy, default_policy
from sales_operator.prompts import prompt_variables, render_prompt
from sales_operator.state import MeetingInsights
from tests.conftest import FakeToolModel, tool_reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)
CALL_DATE = date(2026, 11, 4)  # a Wednesday
REPS = {"Sam Rivera", "Priya Nair", "Jordan Lee"}
CUSTOMERS = {"Dana Whitfield", "Marcus Chen"}


def _discovery(llm: LLM | None = None, policy: Policy | None = None) -> MeetingInsights:
    return analyze_call(
        read_transcript(DISCOVERY),
        call_id="call-1",
        call_date=CALL_DATE,
        rep_names=REPS,
        customer_names=CUSTOMERS,
        policy=policy or default_policy(),
        llm=llm or LLM(),
    )


@pytest.fixture(scope="module")
def discovery() -> MeetingInsights:
    return _discovery()


# --- due dates ------------------------------------------------------------------------------

WED = date(2026, 11, 4)
FRI = date(2026, 11, 6)
SAT = date(2026, 11, 7)
SUN = date(2026, 11, 8)


@pytest.mark.parametrize(
    ("phrase", "call", "due"),
    [
        ("by Friday", WED, date(2026, 11, 6)),
        ("on Friday", WED, date(2026, 11, 6)),
        ("this Friday", WED, date(2026, 11, 6)),
        ("Friday", WED, date(2026, 11, 6)),
        ("by Friday", FRI, date(2026, 11, 13)),  # the same day would be "today"
        ("by Monday", WED, date(2026, 11, 9)),
        ("by wednesday", WED, date(2026, 11, 11)),
        ("next Tuesday", WED, date(2026, 11, 10)),
        ("next Friday", WED, date(2026, 11, 13)),
        ("next Monday", SUN, date(2026, 11, 9)),
        ("Tuesday next week", WED, date(2026, 11, 10)),
        ("tomorrow", WED, date(2026, 11, 5)),
        ("today", WED, WED),
        ("by end of day", WED, WED),
        ("EOD", WED, WED),
        ("end of the week", WED, date(2026, 11, 6)),
        ("by the end of this week", WED, date(2026, 11, 6)),
        ("EOW", WED, date(2026, 11, 6)),
        ("end of the week", SAT, SAT),
        ("next week", WED, date(2026, 11, 13)),
        ("end of next week", WED, date(2026, 11, 13)),
        ("end of the month", WED, date(2026, 11, 30)),
        ("end of month", date(2028, 2, 3), date(2028, 2, 29)),
        ("end of next month", date(2026, 12, 15), date(2027, 1, 31)),
        ("in two weeks", WED, date(2026, 11, 18)),
        ("in 2 weeks", WED, date(2026, 11, 18)),
        ("within 3 days", WED, date(2026, 11, 7)),
        ("within three business days", WED, date(2026, 11, 9)),  # Thu, Fri, Mon
        ("in a week", WED, date(2026, 11, 11)),
        ("in a couple of days", WED, date(2026, 11, 6)),
        ("November 10", WED, date(2026, 11, 10)),
        ("Nov. 10th", WED, date(2026, 11, 10)),
        ("10 November", WED, date(2026, 11, 10)),
        ("the 10th of November", WED, date(2026, 11, 10)),
        ("November 10, 2027", WED, date(2027, 11, 10)),
        ("11/10", WED, date(2026, 11, 10)),
        ("11/10/2026", WED, date(2026, 11, 10)),
        ("11/10/26", WED, date(2026, 11, 10)),
        ("2026-11-10", WED, date(2026, 11, 10)),
        ("January 5", date(2026, 12, 30), date(2027, 1, 5)),  # the next one, not the past one
        ("Feb 29", date(2026, 3, 1), date(2028, 2, 29)),
    ],
)
def test_resolve_due_phrase(phrase: str, call: date, due: date) -> None:
    assert resolve_due_phrase(phrase, call) == due


@pytest.mark.parametrize(
    "phrase", ["", "soon", "when we can", "February 30", "13/45", "2026-02-30", "in the spring"]
)
def test_unresolvable_phrases(phrase: str) -> None:
    assert resolve_due_phrase(phrase, WED) is None


def test_find_due_keeps_the_lead_in_and_offsets() -> None:
    text = "I'll send you the ROI model and a pricing proposal by Friday."
    found = find_due(text, WED)
    assert found is not None
    assert (found.phrase, found.due) == ("by Friday", date(2026, 11, 6))
    assert text[found.start : found.end] == "by Friday"


def test_find_due_prefers_the_longer_phrase_at_a_position() -> None:
    found = find_due("Let's aim for the end of next week, or Tuesday.", WED)
    assert found is not None and found.phrase == "for the end of next week"
    assert found.due == date(2026, 11, 13)


def test_find_due_skips_an_impossible_date() -> None:
    found = find_due("Either February 30 or tomorrow.", WED)
    assert found is not None and found.phrase == "tomorrow"


def test_resolve_commitment_due() -> None:
    quote = "I'll send the proposal by Friday."
    # the phrase as given wins
    assert resolve_commitment_due("next Tuesday", quote, WED) == (
        date(2026, 11, 10),
        "next Tuesday",
    )
    # a model's ISO date is checked against the words of the quote
    assert resolve_commitment_due("2026-11-07", quote, WED) == (date(2026, 11, 6), "by Friday")
    # an ISO date alone is kept when it is plausible ...
    assert resolve_commitment_due("2026-11-20", "I'll do it.", WED) == (date(2026, 11, 20), None)
    # ... and dropped when it is before the call, or nonsense
    assert resolve_commitment_due("2026-10-01", "I'll do it.", WED) == (None, None)
    assert resolve_commitment_due("2026-13-01", "I'll do it.", WED) == (None, None)
    assert resolve_commitment_due(None, "I'll do it.", WED) == (None, None)


# --- speakers and metrics -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speaker", "side"),
    [
        ("Sam Rivera", "rep"),
        ("sam rivera", "rep"),
        ("Sam", "rep"),
        ("SAM", "rep"),
        ("Sam Rivera (Orbital Freight)", "rep"),
        ("Dana", "customer"),
        ("Marcus Chen", "customer"),
        ("Sam Jones", "unknown"),  # a first name alone does not make a full name match
        ("Speaker 1", "unknown"),
        ("Luis", "unknown"),
        ("", "unknown"),
    ],
)
def test_speaker_side(speaker: str, side: str) -> None:
    assert speaker_side(speaker, REPS, CUSTOMERS) == side


def test_speaker_side_never_guesses_an_ambiguous_name() -> None:
    assert speaker_side("Alex", {"Alex Kim"}, {"Alex Romero"}) == "unknown"
    assert speaker_side("Alex Kim", {"Alex Kim"}, {"Alex Romero"}) == "rep"
    assert speaker_side("Pat Lee", {"Pat Lee"}, {"Pat Lee"}) == "unknown"


def test_word_based_metrics_without_timestamps() -> None:
    t = parse_transcript(
        "Sam: One two three four five six? Seven eight.\nDana: One two.\nLuis: Who? One.\n"
    )
    m = call_metrics(t, speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"}))
    assert m.basis == "words"
    assert m.talk_ratio == {"Sam": 0.667, "Dana": 0.167, "Luis": 0.167}
    assert m.side_ratio == {"rep": 0.667, "customer": 0.167, "unknown": 0.167}
    assert m.longest_monologue_s is None
    assert m.questions == {"rep": 1, "customer": 0, "unknown": 1}


def test_time_based_metrics_and_longest_monologue() -> None:
    t = parse_transcript(
        "[00:00:00] Sam: Hi.\n"
        "[00:00:10] Dana: Let me tell you a story.\n"
        "[00:00:40] Dana: And another one.\n"
        "[00:01:30] Sam: Wow. Really?\n"
        "[00:01:40] Dana: Yes.\n"
    )
    m = call_metrics(t, speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"}))
    assert m.basis == "time"
    # Dana's last turn has no end: one word at the call's own pace (100 s / 12 words)
    dana = 80 + 100 / 12
    assert m.talk_ratio["Dana"] == round(dana / (20 + dana), 3)
    assert m.longest_monologue_s == 80.0  # two consecutive turns, 00:10 to 01:30
    assert m.questions == {"rep": 1, "customer": 0}


def test_vtt_metrics_use_cue_ends() -> None:
    t = read_transcript(FIXTURES / "onboarding_check.vtt")
    m = call_metrics(t, speaker_sides(t, {"Priya Nair"}, {"Ken Ito"}))
    # Priya: 5.5 + 8 + 11 s; Ken: 14 + 11 + 7 + 7 s (silences are nobody's)
    assert m.talk_ratio == {"Priya Nair": round(24.5 / 63.5, 3), "Ken Ito": round(39 / 63.5, 3)}
    assert m.longest_monologue_s == 19.0


def test_discovery_metrics(discovery: MeetingInsights) -> None:
    assert set(discovery.talk_ratio) == {"Sam Rivera", "Dana Whitfield"}
    assert sum(discovery.talk_ratio.values()) == pytest.approx(1.0, abs=0.002)
    assert discovery.side_ratio["rep"] == discovery.talk_ratio["Sam Rivera"]
    assert discovery.longest_monologue_s is not None and discovery.longest_monologue_s > 60
    assert discovery.questions["rep"] > discovery.questions["customer"] > 0
    assert discovery.speakers == {"Sam Rivera": "rep", "Dana Whitfield": "customer"}


# --- trackers -------------------------------------------------------------------------------


def test_trackers_match_whole_words_once_per_sentence() -> None:
    policy = Policy.model_validate(
        {
            "meetings": {
                "competitors": ["FleetPilot", "Route Max"],
                "keyword_trackers": {"security": ["SOC 2", "SSO"], "pricing": ["price"]},
            }
        }
    )
    t = parse_transcript(
        "[00:00:01] Dana: We tried fleetpilot and FleetPilot again. FleetPilots are not a thing.\n"
        "[00:00:09] Sam: Route-Max or route max? Do you need soc-2 and SSO? Prices vary.\n"
    )
    competitors, keywords = track(t, policy)
    assert [(h.tracker, h.quote.speaker, h.quote.start) for h in competitors] == [
        ("FleetPilot", "Dana", 1.0),
        ("Route Max", "Sam", 9.0),
    ]
    assert competitors[0].quote.text == "We tried fleetpilot and FleetPilot again."
    assert all(h.kind == "competitor" for h in competitors)
    assert [(h.tracker, h.keyword, h.kind) for h in keywords] == [("security", "SOC 2", "keyword")]


def test_discovery_competitor_mention(discovery: MeetingInsights) -> None:
    assert len(discovery.competitors) == 1
    hit = discovery.competitors[0]
    assert hit.tracker == "FleetPilot"
    assert hit.quote.speaker == "Dana Whitfield"
    assert "we also had a look at fleetpilot" in hit.quote.text.lower()
    assert hit.quote.start is not None
    trackers = {h.tracker for h in discovery.trackers}
    assert {"pricing", "security", "integration"} <= trackers


# --- the offline extraction -----------------------------------------------------------------


def test_split_sentences() -> None:
    assert split_sentences("Mr. Chen signs off. Rate is 91.5 percent! Really? yes") == [
        "Mr. Chen signs off.",
        "Rate is 91.5 percent!",
        "Really? yes",
    ]


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("We spend about three hours a day on it.", "pain"),
        ("It takes us two weeks to close the books.", "pain"),
        ("We have no real visibility of our drivers.", "pain"),
        ("Our biggest challenge is getting invoices out on time.", "pain"),
        ("We haven't missed a delivery window in months.", None),
        ("That's not really a problem for us.", None),
        ("No problem at all, happy to help.", None),
        ("I can't wait to see it.", None),
        ("Honestly, it's too expensive for us.", "objection"),
        ("I'm not worried about that.", None),
        ("We already use RouteMax for the east coast.", "objection"),
        ("The project is on hold until the reorg is done.", "risk"),
        ("We're opening two new warehouses next year.", "trigger"),
        ("The weather is nice today.", None),
    ],
)
def test_classify(sentence: str, kind: str | None) -> None:
    assert classify(sentence) == kind


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Loop in Marcus Chen (CRO) for a call", "Loop in CRO"),
        ("Send the ROI model and a pricing proposal", "Send ROI model and pricing proposal"),
        ("Send the deck and set up a demo with the team", "Send deck"),
        ("Confirm the go-live date", "Confirm go-live date"),
        # never cut mid-phrase: a comma clause goes whole, a long phrase ends on its object
        ("Loop in CFO, Mark Diaz, he signs off", "Loop in CFO"),
        (
            "Send the ROI model and the pricing sheet and case study from another customer "
            "in food distribution",
            "Send ROI model and pricing sheet and case study",
        ),
        ("Get a written timeline for", "Get written timeline"),
        ("Ask Jonas from IT about his calendar and come back", "Ask Jonas from IT about calendar"),
    ],
)
def test_commitment_title(text: str, title: str) -> None:
    assert commitment_title(text) == title


def test_discovery_pains_exactly_three(discovery: MeetingInsights) -> None:
    assert discovery.engine == "offline:extractive"
    assert len(discovery.pains) == 3
    routes, windows, visibility = (p.text.lower() for p in discovery.pains)
    assert "three hours a day" in routes and "spreadsheets" in routes
    assert "delivery windows" in windows and "91 percent" in windows
    assert "no live visibility" in visibility and "etas" in visibility
    for pain in discovery.pains:
        assert pain.kind == "pain"
        assert pain.quote.speaker == "Dana Whitfield"
        assert pain.quote.start is not None
    # the merged evidence of the first pain carries the "all manual" sentence too
    assert "manual" in discovery.pains[0].quote.text


def test_discovery_objections_are_not_pains(discovery: MeetingInsights) -> None:
    assert 1 <= len(discovery.objections) <= 2
    pain_quotes = {p.quote.text for p in discovery.pains}
    for objection in discovery.objections:
        assert objection.kind == "objection"
        assert objection.quote.text not in pain_quotes
    text = " ".join(o.quote.text for o in discovery.objections).lower()
    assert "budgeted" in text and "worried about driver adoption" in text
    assert [r.kind for r in discovery.risks] == ["risk"]
    assert "sign-off from marcus chen" in discovery.risks[0].text.lower()
    assert any("growing the fleet" in t.text for t in discovery.triggers)


def test_discovery_commitments(discovery: MeetingInsights) -> None:
    assert len(discovery.commitments) == 2  # the rep's recap repeats his, and is merged
    sam, dana = discovery.commitments
    assert (sam.owner, sam.side, sam.due, sam.due_phrase) == (
        "Sam Rivera",
        "rep",
        date(2026, 11, 6),
        "by Friday",
    )
    assert sam.title == "Send ROI model and pricing proposal"
    assert sam.text == "Send the ROI model and a pricing proposal"
    assert sam.quote.text.startswith("I'll send you the ROI model")
    assert (dana.owner, dana.side, dana.due) == ("Dana Whitfield", "customer", date(2026, 11, 10))
    assert dana.title == "Loop in CRO"
    assert dana.text == "Loop in Marcus Chen (CRO) for a call"
    assert dana.quote.speaker == "Dana Whitfield" and dana.quote.start is not None


def test_discovery_summary_and_crm_notes(discovery: MeetingInsights) -> None:
    notes = discovery.crm_notes
    assert {
        "pains",
        "competitors",
        "next_step",
        "next_step_date",
        "action_items",
        "call_summary",
        "decision_makers",
        "meddpicc_economic_buyer",
        "meddpicc_competition",
    } <= set(notes)
    assert notes["competitors"] == "FleetPilot"
    assert notes["next_step"] == "Send ROI model and pricing proposal (Sam Rivera)"
    assert notes["next_step_date"] == "2026-11-06" and "next_step_due" not in notes
    assert notes["decision_makers"] == "Marcus Chen (CRO)"
    assert notes["pains"].count(";") == 2
    assert notes["call_summary"] == discovery.summary
    summary = discovery.summary
    assert "FleetPilot" in summary and "2026-11-06" in summary and "2026-11-10" in summary
    assert "three hours a day" in summary


def test_renewal_call_plain_untimed_with_three_people() -> None:
    t = read_transcript(FIXTURES / "renewal_untimed.txt")
    out = analyze_call(
        t,
        call_id="renewal",
        call_date=date(2026, 3, 12),  # a Thursday
        rep_names={"Alex Kim"},
        customer_names={"Maria Lopez", "Tom Becker"},
        policy=default_policy(),
        llm=LLM(),
    )
    assert out.speakers == {
        "Alex Kim (Vendor)": "rep",
        "Maria": "customer",
        "Tom": "customer",
        "Jamie": "unknown",
    }
    assert [p.quote.speaker for p in out.pains] == ["Maria", "Maria", "Tom"]
    assert "two weeks" in out.pains[0].text and "PDFs" in out.pains[0].text  # joined lines
    assert "chasing carriers" in out.pains[1].text
    assert "re-keys every order" in out.pains[2].text
    assert [o.quote.speaker for o in out.objections] == ["Maria"]
    assert out.risks == []  # "that's not really an issue for us" reassures
    assert [h.tracker for h in out.competitors] == ["RouteMax"]
    assert [(c.owner, c.side, c.due) for c in out.commitments] == [
        ("Alex Kim (Vendor)", "rep", date(2026, 3, 13)),
        ("Tom", "customer", date(2026, 3, 15)),
        ("Maria", "customer", date(2026, 3, 20)),  # not "on vacation next week"
    ]
    assert out.commitments[0].title == "Put together quote"
    assert out.questions["unknown"] == 1
    assert out.longest_monologue_s is None


def test_onboarding_call_vtt() -> None:
    out = analyze_call(
        read_transcript(FIXTURES / "onboarding_check.vtt"),
        call_id="onboarding",
        call_date=date(2026, 6, 30),
        rep_names={"Priya Nair"},
        customer_names={"Ken Ito"},
        policy=default_policy(),
        llm=LLM(),
    )
    assert len(out.pains) == 2
    assert "struggle with the scanning" in out.pains[0].text
    assert "losing time" in out.pains[1].text
    assert [r.quote.start for r in out.risks] == [43.0]
    assert [(c.owner, c.title, c.due) for c in out.commitments] == [
        ("Priya Nair", "Send updated training guide", date(2026, 7, 1)),
        ("Ken Ito", "Confirm go-live date", date(2026, 7, 14)),
    ]
    assert out.competitors == []
    assert "competitors" not in out.crm_notes and "decision_makers" not in out.crm_notes


def test_pricing_call_json_across_the_new_year() -> None:
    out = analyze_call(
        read_transcript(FIXTURES / "pricing_call.json"),
        call_id="pricing",
        call_date=date(2026, 12, 30),
        rep_names={"Jordan Lee"},
        customer_names={"Ana Souza", "Paulo Reis"},
        policy=default_policy(),
        llm=LLM(),
    )
    assert len(out.pains) == 1 and "fuel cards by hand" in out.pains[0].text
    assert len(out.objections) == 1 and "too expensive" in out.objections[0].text
    assert [(c.owner, c.due) for c in out.commitments] == [
        ("Jordan Lee", date(2027, 1, 5)),
        ("Ana Souza", date(2026, 12, 31)),
    ]
    assert out.commitments[1].text == "Review it with Paulo Reis (CFO)"
    assert out.crm_notes["decision_makers"] == "Paulo Reis (CFO)"
    assert out.crm_notes["next_step_date"] == "2026-12-31"  # the earliest due date


def test_with_only_the_rep_known_the_other_speaker_on_a_two_party_call_is_the_customer() -> None:
    t = read_transcript(DISCOVERY)
    out = analyze_call(
        t,
        call_id="c",
        call_date=CALL_DATE,
        rep_names={"Sam Rivera"},
        customer_names=set(),  # nobody named on the customer side (issue 9: only --rep)
        policy=default_policy(),
        llm=LLM(),
    )
    assert out.speakers["Dana Whitfield"] == "customer"  # the other of two speakers
    assert out.pains and out.objections
    assert [c.side for c in out.commitments] == ["rep", "customer"]


# --- the language-model path ----------------------------------------------------------------


def _model_args() -> dict[str, Any]:
    return {
        "pains": [
            {
                "text": "Route planning is manual and slow",
                "quote": (
                    "Our dispatchers spend about three hours a day building routes in spreadsheets."
                ),
                "speaker": "Dana Whitfield",
            },
            {
                "text": "No live truck visibility",
                "quote": "We have no live visibility of the trucks",
                "speaker": "Dana",
            },
            {
                "text": "Invented pain",
                "quote": "This sentence was never said.",
                "speaker": "Dana Whitfield",
            },
        ],
        "objections": [
            {
                "text": "Price above budget",
                "quote": "that's more than we budgeted for this year.",
                "speaker": "Dana Whitfield",
            }
        ],
        "risks": [],
        "commitments": [
            {
                "owner": "Sam Rivera",
                "title": "Send ROI model and pricing proposal",
                "text": "Send the ROI model and a pricing proposal",
                "due": "2026-11-07",  # wrong: the quote says "by Friday"
                "quote": "I'll send you the ROI model and a pricing proposal by Friday.",
            },
            {
                "owner": "Dana Whitfield",
                "title": "",
                "text": "Loop in Marcus Chen (CRO) for a call",
                "due": "next Tuesday",
                "quote": "And I'll loop in Marcus, our CRO, and set up a call with him.",
            },
        ],
        "decision_makers": ["Marcus Chen (CRO)"],
        "summary": "Sam and Dana discussed routing pains; next steps agreed.",
    }


def test_model_path_one_structured_call(discovery: MeetingInsights) -> None:
    model = FakeToolModel(messages=iter([tool_reply("CallExtraction", _model_args())]))
    out = _discovery(llm=LLM(model, name="fake"))
    assert out.engine == "llm:fake"
    # metrics and trackers are the deterministic ones
    for field in ("talk_ratio", "side_ratio", "longest_monologue_s", "questions", "competitors"):
        assert getattr(out, field) == getattr(discovery, field)
    assert out.trackers == discovery.trackers
    # text parts come from the model, quotes are located in the transcript
    # the invented pain's quote is nowhere in the transcript: dropped and counted
    assert [p.text for p in out.pains] == [
        "Route planning is manual and slow",
        "No live truck visibility",
    ]
    assert out.ungrounded == {"pains": 1}
    assert out.pains[0].quote.start == discovery.pains[0].quote.start
    assert out.pains[1].quote.speaker == "Dana Whitfield"  # the transcript's label wins
    sam, dana = out.commitments
    assert (sam.due, sam.due_phrase, sam.side) == (date(2026, 11, 6), "by Friday", "rep")
    assert (dana.due, dana.title, dana.side) == (date(2026, 11, 10), "Loop in CRO", "customer")
    assert out.summary_detail is not None
    assert out.summary_detail.brief == "Sam and Dana discussed routing pains; next steps agreed."
    assert out.summary_detail.engine == "llm:fake"
    assert out.summary.startswith("Sam and Dana discussed routing pains; next steps agreed.")
    assert "Invented pain" not in out.summary
    assert out.crm_notes["call_summary"] == out.summary
    assert out.crm_notes["next_step_date"] == "2026-11-06"
    assert out.crm_notes["decision_makers"] == "Marcus Chen (CRO)"


def test_model_path_without_summary_gets_the_extractive_one() -> None:
    args = _model_args() | {"summary": ""}
    model = FakeToolModel(messages=iter([tool_reply("CallExtraction", args)]))
    out = _discovery(llm=LLM(model, name="fake"))
    assert out.engine == "llm:fake"
    assert out.summary_detail is not None
    assert out.summary_detail.engine == "offline:central-sentences"
    assert out.summary_detail.brief and out.summary_detail.brief_quotes
    # the metadata has its own keys, not the summary
    assert "2026-11-04" not in out.summary and "Talk share" not in out.summary
    assert out.call is not None and (out.call.call_id, out.call.date) == ("call-1", CALL_DATE)


def test_extractive_summary_gives_the_same_due_date_as_the_commitment() -> None:
    args = _model_args() | {"summary": ""}
    args["commitments"][0]["due"] = None  # the date is only in the quote ("by Friday")
    model = FakeToolModel(messages=iter([tool_reply("CallExtraction", args)]))
    out = _discovery(llm=LLM(model, name="fake"))
    assert out.commitments[0].due == date(2026, 11, 6)
    assert "Sam Rivera: Send ROI model and pricing proposal (due 2026-11-06)" in out.summary


def test_model_failure_falls_back_to_the_offline_engine(discovery: MeetingInsights) -> None:
    model = FakeToolModel(messages=iter([]))  # raises when called
    out = _discovery(llm=LLM(model, name="fake"))
    assert out.engine == "offline:extractive (fallback after model error)"
    assert out.pains == discovery.pains and out.commitments == discovery.commitments


def test_extract_prompt_variables_and_rendering() -> None:
    from sales_operator.prompts import load_prompt

    text = load_prompt("meetings/extract")
    assert prompt_variables(text) == {
        "transcript",
        "call_date",
        "rep_names",
        "customer_names",
        "competitors",
    }
    assert "\n---\n" in text
    rendered = render_prompt(
        "meetings/extract",
        transcript="[00:00:01] Sam: {braces} stay",
        call_date="2026-11-04 (Wednesday)",
        rep_names="Sam Rivera",
        customer_names="Dana Whitfield",
        competitors="FleetPilot",
    )
    assert "{braces} stay" in rendered and "2026-11-04 (Wednesday)" in rendered


def test_schema_describes_its_fields_for_the_model() -> None:
    schema = CallExtraction.model_json_schema()
    commitment = schema["$defs"]["ExtractedCommitment"]["properties"]
    assert "ISO date" in commitment["due"]["description"]
    assert "imperative" in commitment["title"]["description"]


def test_transcript_fixture_is_a_transcript() -> None:
    assert isinstance(read_transcript(DISCOVERY), Transcript)


# --- commitments: owners by addressee, undated kept, spoken style ------------------------------

COMMITMENT_CALL = """\
Ana Ruiz: Raj, you'll send me the export of last quarter's orders by Monday, right?
Raj Patel: Yes. And, um, I'll, I'll ask our IT lead about the, the ERP interface.
Ana Ruiz: Great. I'll prepare the security documents for your IT lead before that meeting.
Ana Ruiz: I can't promise we'll sign off on a discount. Let's talk again next Tuesday.
"""


def test_commitment_owners_addressees_and_undated() -> None:
    out = analyze_call(
        parse_transcript(COMMITMENT_CALL),
        call_id="c",
        call_date=CALL_DATE,  # Wednesday 2026-11-04
        rep_names={"Ana Ruiz"},
        customer_names={"Raj Patel"},
        policy=default_policy(),
        llm=LLM(None),
    )
    got = {(c.owner, c.title, c.due.isoformat() if c.due else None) for c in out.commitments}
    titles = {c.title for c in out.commitments}
    # "Raj, you'll send me ..." is Raj's, due Monday; the filler-laden "I'll, I'll ask" is kept
    # undated; "Let's talk again next Tuesday" is the speaker's, dated
    assert ("Raj Patel", "Send export of last quarter's orders", "2026-11-09") in got
    assert any(o == "Raj Patel" and t.startswith("Ask IT lead") and d is None for o, t, d in got)
    assert any(o == "Ana Ruiz" and t.startswith("Prepare security documents") for o, t, _ in got)
    assert ("Ana Ruiz", "Talk again", "2026-11-10") in got
    # a negated promise is not a commitment; no title ends on a dangling word
    assert not any("discount" in t.lower() for t in titles)
    dangling = {"a", "the", "and", "or", "to", "of", "for", "with", "from", "by", "another"}
    assert all(t.split()[-1].lower() not in dangling for t in titles)
    assert all("um" not in t.lower().split() for t in titles)


def test_summary_stays_within_its_budget_on_one_huge_unpunctuated_turn() -> None:
    words = "we are looking at routing for the north yard and the drivers like it".split()
    text = "Ana Ruiz: " + " ".join(words[i % len(words)] for i in range(6000)) + "\n"
    out = analyze_call(
        parse_transcript(text + "Raj Patel: ok thanks\n"),
        call_id="huge",
        call_date=CALL_DATE,
        rep_names={"Ana Ruiz"},
        customer_names={"Raj Patel"},
        policy=default_policy(),
        llm=LLM(None),
    )
    assert 0 < len(out.summary.split()) <= 200
    assert out.summary_detail is not None and out.summary_detail.brief
