"""MEDDPICC coverage of one sales call: which criteria the call evidenced, with quotes.

MEDDPICC is a B2B qualification checklist: Metrics, Economic buyer, Decision criteria,
Decision process, Paper process, Identify pain, Champion, Competition. For each criterion
this module says whether the call *evidenced* it (somebody said something that answers
it) and quotes where.

Two engines fill the same schema, `MeddpiccExtraction`:

* the language model, in one structured call (prompt `meetings/meddpicc`), through
  `LLM.structured`;
* `meddpicc_offline`, with cue phrases. Its rules, in short (a question never counts;
  statements are the customer's unless said otherwise):

  - Metrics: a quantity with a unit of business impact ("three hours a day", "91 percent",
    "forty thousand dollars", "sixty-minute turnaround", "save me a week") or ROI, payback,
    "in half"; not in a sentence that is an objection (a competitor's price gap is not a
    metric), nor the length of the meeting ("I have thirty minutes").
  - Economic buyer: who signs, owns the budget, approves the spend or makes the final call
    ("Grace Liu, our CFO, signs anything of this size", "Ben owns the budget", "the school
    board votes on the award", "she'd have to be on board", "I report to the
    superintendent", "a problem for our owner").
  - Decision criteria: what the choice will be judged on ("what matters for us in choosing
    a system is ...", "payback within twelve months", "the requirements we'll score vendors
    on", "it came down to price"), or the customer's answer to "What made the difference?",
    "What matters most?" and the like.
  - Decision process: the steps and bodies of the decision ("the committee reviews it, then
    Victor signs", "Samuel reviews security", "IT will ...", "at its February meeting"); not
    in a hypothetical ("If the board approves the second phase, we'd ...").
  - Paper process (either side): contracts and purchasing paperwork (MSA, order form,
    redlines, DPA, legal team, procurement, vendor setup, W-9, RFP, purchase order).
  - Identify pain: the pains the extraction found (their quotes).
  - Champion: a customer who runs the evaluation or wants to sell it inside ("I'd like to
    be able to tell him this works", "I'll be the one running the evaluation"), or who
    answers "That would be me" to a question about who sponsors or runs it.
  - Competition: the competitor mentions the trackers and the extraction found.

Each criterion keeps at most `MAX_QUOTES` quotes, in the order spoken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import (
    CallExtraction,
    Sentence,
    classify,
    cue_pattern,
    is_hypothetical,
    sentences,
    straight_quotes,
)
from sales_operator.meetings.transcript import Transcript

__all__ = [
    "CRITERIA",
    "CRITERION_NAMES",
    "MAX_QUOTES",
    "OFFLINE_ENGINE",
    "Criterion",
    "MeddpiccExtraction",
    "MeddpiccFinding",
    "MeddpiccQuote",
    "meddpicc_offline",
    "meddpicc_variables",
]

Criterion = Literal[
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "identify_pain",
    "champion",
    "competition",
]
"""A MEDDPICC criterion key."""

CRITERIA: tuple[Criterion, ...] = get_args(Criterion)
"""The eight criteria, in MEDDPICC order."""

CRITERION_NAMES: dict[str, str] = {
    "metrics": "Metrics",
    "economic_buyer": "Economic buyer",
    "decision_criteria": "Decision criteria",
    "decision_process": "Decision process",
    "paper_process": "Paper process",
    "identify_pain": "Identify pain",
    "champion": "Champion",
    "competition": "Competition",
}
"""Criterion key to its display name."""

MAX_QUOTES = 3
"""Most quotes kept per criterion."""

OFFLINE_ENGINE = "offline:meddpicc-cues"
"""The engine name recorded for the cue-phrase assessment."""


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class MeddpiccQuote(_Schema):
    """A sentence of the transcript that evidences a criterion."""

    speaker: str
    """The speaker, exactly as labelled in the transcript."""
    text: str
    """The sentence, copied verbatim."""


class MeddpiccFinding(_Schema):
    """Whether one criterion was evidenced on the call, and where."""

    criterion: Criterion
    """The criterion key."""
    evidenced: bool
    """True when something said on the call answers the criterion."""
    quotes: list[MeddpiccQuote] = Field(default_factory=list)
    """The sentences that show it (empty when not evidenced), at most three."""
    note: str = ""
    """One short line: what the evidence says ('CFO Grace Liu signs'), or what is missing."""


class MeddpiccExtraction(_Schema):
    """MEDDPICC coverage of one call: one finding per criterion."""

    criteria: list[MeddpiccFinding] = Field(default_factory=list)
    """One finding for each of the eight criteria."""

    def by_key(self) -> dict[str, MeddpiccFinding]:
        """Return the findings by criterion (the first one wins on a repeat)."""
        out: dict[str, MeddpiccFinding] = {}
        for finding in self.criteria:
            out.setdefault(finding.criterion, finding)
        return out


# --- cue rules ------------------------------------------------------------------------------


_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a few|a couple of|dozens of)"
)
_METRICS = cue_pattern(
    rf"\b{_NUMBER}(?:[\s-]+(?:\w+[\s-]+){{0,2}}?)(?:percent|per cent|dollars|thousand|million|"
    r"hours?|minutes?|days?|weeks?|months?)\b",
    r"\d\s*%|\$\s*\d",
    r"\bROI\b|\bpayback\b|\bin half\b",
    r"\bsav(?:e|es|ed|ing) (?:me |us |them )?(?:about |around )?(?:a|an|one|\w+) "
    r"(?:hours?|days?|weeks?|months?)\b",
)
_ECONOMIC_BUYER = cue_pattern(
    r"\bsigns\b|\bsign(?:s|ed)?[- ]off\b|\bI sign\b|\bwho signs\b",
    r"\bowns? the budget\b|\bbudget (?:holder|owner)\b|\beconomic buyer\b",
    r"\bfinal (?:say|call|decision)\b|\bmakes? the (?:final )?call\b",
    r"\bour board\b",
    r"\bthe (?:[\w-]+ )?(?:board|council) (?:approves|votes|decides|signs|wants|will)\b",
    r"\bapproves? (?:the spend|the budget|the purchase|anything|any spend|all spend)\b",
    r"\b(?:she|he|they)(?:'d| would) (?:have|need) to (?:be on board|approve|sign)\b",
    r"\bour (?:owner|founder|ceo|cfo|president|managing director)\b",
    r"\breport(?:s)? (?:in)?to (?:the|our) (?:superintendent|ceo|cfo|owner|president|"
    r"managing director|board)\b",
)
_DECISION_CRITERIA = cue_pattern(
    r"\bwhat matters\b|\bcriteria\b|\bmust[- ]haves?\b|\brequirements?\b|\bpayback\b",
    r"\bthe test\b|\bbenchmark\b|\bmost important\b|\bscore (?:vendors|you|them)\b",
    r"\bwould be happy\b|\bcame down to\b|\bdeciding factor\b|\bmade the difference\b",
    r"\bon features\b|\bmostly (?:price|cost)\b",
)
_DECISION_PROCESS = cue_pattern(
    r"\bcommittee\b|\bthe board (?:votes|approves|meets)\b|\bat its \w+ meeting\b",
    r"\b(?:then|and then) \w+ (?:signs|approves|decides|votes)\b",
    r"\breviews? (?:security|it|the \w+)\b",
    r"\b(?:IT|security|legal)(?: team)? (?:will|needs? to|has to|reviews?)\b",
    r"\bquestion from IT\b|\bvotes? on\b|\bdecision process\b",
)
_PAPER_PROCESS = cue_pattern(
    r"\bMSA\b|\border form\b|\bredlines?\b|\bDPA\b|\bdata processing agreement\b",
    r"\blegal team\b|\blegal review\b|\blawyers?\b|\bprocurement\b",
    r"\bvendor (?:setup|set-up|form|record|onboarding|registration)\b",
    r"\bW-9\b|\binsurance certificate\b|\bRFP\b|\bpurchase order\b|\bpaperwork\b",
)
_CHAMPION = cue_pattern(
    r"\bI'd like to (?:be able to )?(?:tell|show|convince)\b",
    r"\b(?:I'm|I am|I'll be) (?:the one )?(?:running|leading|driving|sponsoring|pushing)\b",
    r"\bsponsor\b|\bchampion\b|\bI'll (?:push|fight|advocate|make the case)\b",
)
# "What made the difference?" / "What matters most?": the customer's answer is the criteria.
_CRITERIA_QUESTION = cue_pattern(
    r"\bwhat (?:made|makes|would make) the difference\b|\bwhat tipped it\b",
    r"\bwhat (?:matters|would matter|mattered)(?: most)?\b|\bwhat are you looking for\b",
    r"\bhow (?:will|would) you (?:decide|choose|pick|compare)\b",
)
# "I have thirty minutes": the meeting's length, not a business metric.
_NOT_A_METRIC = cue_pattern(
    r"\b(?:I|we)(?:'ve)? (?:only )?(?:have|got) (?:about |maybe |just )?\w+ minutes\b",
)
# "Who would sponsor it internally?" answered "That would be me": the answerer champions it.
_CHAMPION_QUESTION = cue_pattern(
    r"\bsponsor\w*|\bchampion\w*|\b(?:drive|run|lead|own) (?:this|it|the evaluation)\b",
)
_SELF_ANSWER = cue_pattern(
    r"^\W*(?:that(?:'d| would| will)? be me|that's me|it(?:'d| would)? be me|me\b|"
    r"I (?:would|will)\b)"
)

_CUSTOMER_RULES: tuple[tuple[Criterion, re.Pattern[str]], ...] = (
    ("metrics", _METRICS),
    ("economic_buyer", _ECONOMIC_BUYER),
    ("decision_criteria", _DECISION_CRITERIA),
    ("decision_process", _DECISION_PROCESS),
    ("champion", _CHAMPION),
)


def _quote(s: Sentence) -> MeddpiccQuote:
    return MeddpiccQuote(speaker=s.speaker, text=s.text)


def meddpicc_offline(
    transcript: Transcript,
    *,
    sides: Mapping[str, str],
    extraction: CallExtraction | None = None,
    competitor_quotes: Iterable[tuple[str, str]] = (),
    units: Sequence[Sentence] | None = None,
) -> MeddpiccExtraction:
    """Assess MEDDPICC coverage with cue phrases.

    Args:
        transcript: The parsed call.
        sides: Speaker label to `rep`, `customer` or `unknown`.
        extraction: The call's extraction; its pains evidence *Identify pain*.
        competitor_quotes: (speaker, sentence) of every competitor mention found.
        units: The transcript's `sentences` under `sides`, when the caller has them.

    Returns:
        One finding per criterion, in MEDDPICC order.
    """
    found: dict[str, list[MeddpiccQuote]] = {c: [] for c in CRITERIA}
    previous: Sentence | None = None
    units = sentences(transcript, sides) if units is None else units
    # the paper-process cue is tried on every sentence: not at all when no sentence holds it
    paper = prefilter.Scope(straight_quotes(s.text) for s in units).live(_PAPER_PROCESS)
    for s in units:
        asked, previous = previous, s
        if s.question:
            continue
        # the customer's first sentence right after someone else's question answers it
        question = (
            asked.text
            if s.side == "customer"
            and asked is not None
            and asked.question
            and asked.speaker != s.speaker
            and s.index == 0
            else None
        )
        if (
            question is not None
            and _CHAMPION_QUESTION.search(question)
            and _SELF_ANSWER.search(straight_quotes(s.text))
        ):
            found["champion"].append(_quote(s))
        if question is not None and _CRITERIA_QUESTION.search(question):
            found["decision_criteria"].append(_quote(s))
        text = straight_quotes(s.text)
        if paper and prefilter.search(_PAPER_PROCESS, text):
            found["paper_process"].append(_quote(s))
        if s.side != "customer":
            continue
        for criterion, pattern in _CUSTOMER_RULES:
            if not prefilter.search(pattern, text):
                continue
            if criterion == "metrics" and (
                classify(text) == "objection" or _NOT_A_METRIC.search(text)
            ):
                continue  # "they came in thirty percent lower" is a price gap, not a metric
            if criterion == "decision_process" and is_hypothetical(text):
                continue  # "If the board approves the second phase, we'd ..." is no process
            found[criterion].append(_quote(s))
    if extraction is not None:
        found["identify_pain"] = [
            MeddpiccQuote(speaker=p.speaker, text=p.quote) for p in extraction.pains
        ]
    seen: set[str] = set()
    for speaker, text in competitor_quotes:
        if text not in seen:
            seen.add(text)
            found["competition"].append(MeddpiccQuote(speaker=speaker, text=text))
    return MeddpiccExtraction(
        criteria=[
            MeddpiccFinding(
                criterion=c,
                evidenced=bool(found[c]),
                quotes=found[c][:MAX_QUOTES],
                note=_note(c, found[c]),
            )
            for c in CRITERIA
        ]
    )


def _note(criterion: str, quotes: Sequence[MeddpiccQuote]) -> str:
    name = CRITERION_NAMES[criterion]
    if not quotes:
        return f"{name}: not evidenced on the call"
    more = f" (+{len(quotes) - 1} more)" if len(quotes) > 1 else ""
    return f"{name}: {quotes[0].speaker}: {quotes[0].text}{more}"


def meddpicc_variables(
    *,
    transcript: Transcript,
    call_date: str,
    rep_names: Iterable[str],
    customer_names: Iterable[str],
    competitors: Iterable[str],
) -> dict[str, str]:
    """Return the placeholders of the `meetings/meddpicc` prompt."""
    return {
        "transcript": transcript.render(),
        "call_date": call_date,
        "rep_names": ", ".join(rep_names) or "(none known)",
        "customer_names": ", ".join(customer_names) or "(none known)",
        "competitors": ", ".join(competitors) or "(none)",
        "criteria": ", ".join(CRITERIA),
    }
