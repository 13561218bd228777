"""Analyse one call: deterministic metrics and trackers, then the extracted text parts.

`analyze_call` returns a `MeetingInsights`. The metrics (talk ratios, longest monologue,
questions) and the trackers (competitors, keywords from the policy) are computed the same
way in every mode. The text parts (pains, objections, risks, triggers, commitments,
summary) come from one `LLM.structured` call (prompt `meetings/extract`) when a chat model
is configured, and from the cue-phrase engine in `meetings.extract` otherwise. Either way,
due dates are resolved against the call date here, by `meetings.dates`, and every quote is
located in the transcript to recover its speaker and time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from sales_operator.llm import LLM
from sales_operator.meetings.dates import find_due, resolve_due_phrase
from sales_operator.meetings.extract import (
    CallExtraction,
    ExtractedCommitment,
    ExtractedInsight,
    commitment_title,
    extract_offline,
    sentences,
)
from sales_operator.meetings.transcript import Transcript, Turn
from sales_operator.policy import Policy
from sales_operator.state import Commitment, Insight, MeetingInsights, Quote, TrackerHit

__all__ = [
    "CallMetrics",
    "Side",
    "analyze_call",
    "call_metrics",
    "crm_notes",
    "offline_summary",
    "resolve_commitment_due",
    "speaker_side",
    "speaker_sides",
    "track",
]

Side = Literal["rep", "customer", "unknown"]
"""Which side of the table a speaker sits on."""

OFFLINE_ENGINE = "offline:extractive"
"""The engine name recorded for the cue-phrase extraction."""

_SECONDS_PER_WORD = 0.4
"""Speaking pace (150 words a minute) used for a last turn with no end time."""


# --- speakers -------------------------------------------------------------------------------


def _norm_name(name: str) -> str:
    name = re.sub(r"\([^)]*\)", " ", name)
    return " ".join(name.replace("’", "'").strip(" .,:;-").lower().split())


def speaker_side(speaker: str, rep_names: Iterable[str], customer_names: Iterable[str]) -> Side:
    """Return the side of `speaker`: `rep`, `customer`, or `unknown` (never guessed).

    A speaker matches a person when the label equals the person's full name, or when the
    label is one word equal to the person's first name (case-insensitive; a parenthesis in
    the label such as "(Orbital Freight)" is ignored). A label that matches people on both
    sides, or nobody, is `unknown`.
    """
    label = _norm_name(speaker)
    if not label:
        return "unknown"
    reps = [_norm_name(n) for n in rep_names if _norm_name(n)]
    customers = [_norm_name(n) for n in customer_names if _norm_name(n)]

    def matches(names: list[str]) -> tuple[bool, bool]:
        full = label in names
        first = " " not in label and any(n.split()[0] == label for n in names)
        return full, first

    rep_full, rep_first = matches(reps)
    cust_full, cust_first = matches(customers)
    if rep_full != cust_full:
        return "rep" if rep_full else "customer"
    if rep_full and cust_full:
        return "unknown"
    if rep_first != cust_first:
        return "rep" if rep_first else "customer"
    return "unknown"


def speaker_sides(
    transcript: Transcript, rep_names: Iterable[str], customer_names: Iterable[str]
) -> dict[str, Side]:
    """Return every speaker of the transcript mapped to a side."""
    reps, customers = list(rep_names), list(customer_names)
    return {s: speaker_side(s, reps, customers) for s in transcript.speakers}


# --- metrics --------------------------------------------------------------------------------

_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _word_count(text: str) -> int:
    return len(_WORDS.findall(text))


def _durations(turns: tuple[Turn, ...]) -> list[tuple[float, float]] | None:
    """Return (start, end) of every turn, or None when a turn has no start time.

    A turn without an end ends where the next one starts; the last one, when it has no
    end, lasts as long as its words take at the call's own pace.
    """
    if not turns or any(t.start is None for t in turns):
        return None
    spans: list[tuple[float, float | None]] = []
    for i, turn in enumerate(turns):
        assert turn.start is not None
        end = turn.end
        if end is None and i + 1 < len(turns):
            end = turns[i + 1].start
        spans.append((turn.start, end))
    known = [(e - s, _word_count(t.text)) for (s, e), t in zip(spans, turns, strict=True) if e]
    seconds = sum(d for d, _ in known)
    words = sum(w for _, w in known)
    pace = seconds / words if seconds > 0 and words > 0 else _SECONDS_PER_WORD
    out: list[tuple[float, float]] = []
    for (start, end), turn in zip(spans, turns, strict=True):
        out.append((start, end if end is not None else start + pace * _word_count(turn.text)))
    return out


@dataclass(frozen=True)
class CallMetrics:
    """The deterministic conversation metrics of one call."""

    talk_ratio: dict[str, float]
    """Speaker to share of talk (of time when every turn is timed, else of words)."""
    side_ratio: dict[str, float]
    """Side to share of talk."""
    longest_monologue_s: float | None
    """Longest stretch of one speaker in seconds; None without timestamps."""
    questions: dict[str, int]
    """Side to the number of questions asked."""
    basis: Literal["time", "words"] = "words"
    """What the ratios measure."""
    sides: dict[str, Side] = field(default_factory=dict)
    """Speaker to side."""


def call_metrics(transcript: Transcript, sides: Mapping[str, Side]) -> CallMetrics:
    """Compute talk ratios, the longest monologue and questions per side.

    Args:
        transcript: The parsed call.
        sides: Speaker label to side (see `speaker_sides`).
    """
    turns = transcript.turns
    spans = _durations(turns)
    weights: dict[str, float] = {}
    basis: Literal["time", "words"] = "words"
    if spans is not None and sum(max(e - s, 0.0) for s, e in spans) > 0:
        basis = "time"
        for (s, e), turn in zip(spans, turns, strict=True):
            weights[turn.speaker] = weights.get(turn.speaker, 0.0) + max(e - s, 0.0)
    else:
        for turn in turns:
            weights[turn.speaker] = weights.get(turn.speaker, 0.0) + _word_count(turn.text)
    total = sum(weights.values())
    talk = {k: round(v / total, 3) if total else 0.0 for k, v in weights.items()}
    side_weights: dict[str, float] = {}
    for speaker, value in weights.items():
        side = sides.get(speaker, "unknown")
        side_weights[side] = side_weights.get(side, 0.0) + value
    side_ratio = {k: round(v / total, 3) if total else 0.0 for k, v in side_weights.items()}

    longest: float | None = None
    if spans is not None:
        longest = 0.0
        i = 0
        while i < len(turns):
            j = i
            while j + 1 < len(turns) and turns[j + 1].speaker == turns[i].speaker:
                j += 1
            longest = max(longest, spans[j][1] - spans[i][0])
            i = j + 1
        longest = round(longest, 1)

    questions: dict[str, int] = {"rep": 0, "customer": 0}
    for sentence in sentences(transcript, sides):
        if sentence.question:
            questions[sentence.side] = questions.get(sentence.side, 0) + 1
    return CallMetrics(
        talk_ratio=talk,
        side_ratio=side_ratio,
        longest_monologue_s=longest,
        questions=questions,
        basis=basis,
        sides=dict(sides),
    )


# --- trackers -------------------------------------------------------------------------------


def _term(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def track(
    transcript: Transcript, policy: Policy, sides: Mapping[str, Side] | None = None
) -> tuple[list[TrackerHit], list[TrackerHit]]:
    """Find competitor mentions and keyword-tracker hits, one per sentence and tracker.

    Matches are whole words, case-insensitive (`FleetPilot` does not fire on
    `FleetPilots`; `SOC 2` matches `soc 2` and `SOC-2`).

    Returns:
        (competitor hits, keyword hits), in the order spoken.
    """
    competitors = [(name, [name]) for name in policy.meetings.competitors]
    keywords = list(policy.meetings.keyword_trackers.items())
    compiled = {t: _term(t) for _, terms in competitors + keywords for t in terms}
    comp_hits: list[TrackerHit] = []
    kw_hits: list[TrackerHit] = []
    for s in sentences(transcript, sides or {}):
        for kind, trackers, hits in (
            ("competitor", competitors, comp_hits),
            ("keyword", keywords, kw_hits),
        ):
            for tracker, terms in trackers:
                matched = next((t for t in terms if compiled[t].search(s.text)), None)
                if matched is None:
                    continue
                hits.append(
                    TrackerHit(
                        tracker=tracker,
                        kind=kind,
                        keyword=matched,
                        quote=Quote(speaker=s.speaker, text=s.text, start=s.start),
                    )
                )
    return comp_hits, kw_hits


# --- from the extraction to the insights ----------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.replace("’", "'").lower()))


def _locate(transcript: Transcript, quote: str, speaker: str) -> Turn | None:
    """Find the turn a quote comes from (the speaker's own turns first)."""
    needle = _squash(quote)
    if not needle:
        return None
    short = " ".join(needle.split()[:8])
    ordered = sorted(transcript.turns, key=lambda t: t.speaker != speaker)
    for probe in (needle, short):
        for turn in ordered:
            if probe in _squash(turn.text):
                return turn
    return None


def _quote(transcript: Transcript, text: str, speaker: str) -> Quote:
    turn = _locate(transcript, text, speaker)
    if turn is None:
        return Quote(speaker=speaker, text=text)
    return Quote(speaker=turn.speaker, text=text, start=turn.start)


def resolve_commitment_due(
    due: str | None, quote: str, call_date: date
) -> tuple[date | None, str | None]:
    """Resolve a commitment's due date deterministically against the call date.

    In order: the due phrase as given ("by Friday"); the due phrase found in the quote;
    an ISO date as given, when it is on or after the call date and within three years.

    Returns:
        (due date or None, the phrase as said or None).
    """
    iso: date | None = None
    if due and due.strip():
        text = due.strip()
        try:
            iso = (
                date.fromisoformat(text[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
            )
        except ValueError:
            iso = None
        if iso is None:
            resolved = resolve_due_phrase(text, call_date)
            if resolved is not None:
                return resolved, text
    found = find_due(quote, call_date)
    if found is not None:
        return found.due, found.phrase
    if iso is not None and call_date <= iso <= call_date + timedelta(days=3 * 366):
        return iso, None
    return None, None


def _insight(
    kind: Literal["pain", "objection", "risk", "trigger"],
    item: ExtractedInsight,
    transcript: Transcript,
) -> Insight:
    return Insight(
        kind=kind, text=item.text.strip(), quote=_quote(transcript, item.quote, item.speaker)
    )


def _commitment(
    item: ExtractedCommitment,
    transcript: Transcript,
    sides: Mapping[str, Side],
    rep_names: list[str],
    customer_names: list[str],
    call_date: date,
) -> Commitment:
    quote = _quote(transcript, item.quote, item.owner)
    side = sides.get(item.owner) or speaker_side(item.owner, rep_names, customer_names)
    due, phrase = resolve_commitment_due(item.due, item.quote, call_date)
    text = item.text.strip().rstrip(".")
    title = (item.title or "").strip().rstrip(".") or commitment_title(text)
    return Commitment(
        owner=item.owner,
        side=side,
        text=text,
        due=due,
        due_phrase=phrase,
        quote=quote,
        title=title,
    )


# --- summary and CRM notes ------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text  # "CRO", "ROI ..." stay as they are
    return text[:1].lower() + text[1:]


def offline_summary(
    call_id: str,
    call_date: date,
    metrics: CallMetrics,
    extraction: CallExtraction,
    competitors: list[TrackerHit],
) -> str:
    """Write the extractive summary from the metrics, pains, competitors and commitments."""
    people = ", ".join(f"{s} ({side})" for s, side in metrics.sides.items())
    parts = [f"Call {call_id} on {call_date.isoformat()} with {people}."]
    shares = ", ".join(f"{side} {_pct(v)}" for side, v in metrics.side_ratio.items())
    parts.append(f"Talk share ({metrics.basis}): {shares}.")
    if extraction.pains:
        parts.append("Pains: " + "; ".join(p.text.rstrip(".") for p in extraction.pains) + ".")
    if extraction.objections:
        parts.append(
            "Objections: " + "; ".join(o.text.rstrip(".") for o in extraction.objections) + "."
        )
    names = list(dict.fromkeys(h.tracker for h in competitors))
    if names:
        parts.append("Competitors mentioned: " + ", ".join(names) + ".")
    steps = []
    for c in extraction.commitments:
        due = resolve_due_phrase(c.due, call_date) if c.due else None
        when = f" by {due.isoformat()}" if due else ""
        steps.append(f"{c.owner} to {_lower_first(c.title or c.text)}{when}")
    if steps:
        parts.append("Next steps: " + "; ".join(steps) + ".")
    return " ".join(parts)


def crm_notes(insights: MeetingInsights, decision_makers: Iterable[str] = ()) -> dict[str, str]:
    """Return the CRM fields the call fills: only those with a value, plus `call_summary`.

    `next_step` is the commitment due first (undated ones last; the rep's first on a tie).
    """
    notes: dict[str, str] = {}
    if insights.pains:
        notes["pains"] = "; ".join(p.text.rstrip(".") for p in insights.pains)
    names = list(dict.fromkeys(h.tracker for h in insights.competitors))
    if names:
        notes["competitors"] = ", ".join(names)
    if insights.commitments:
        first = min(
            insights.commitments,
            key=lambda c: (c.due is None, c.due or date.max, c.side != "rep"),
        )
        notes["next_step"] = f"{first.title or first.text} ({first.owner})"
        if first.due is not None:
            notes["next_step_due"] = first.due.isoformat()
    notes["call_summary"] = insights.summary
    people = [d.strip() for d in decision_makers if d.strip()]
    if people:
        notes["decision_makers"] = ", ".join(dict.fromkeys(people))
    return notes


# --- the whole analysis ---------------------------------------------------------------------


def analyze_call(
    transcript: Transcript,
    *,
    call_id: str,
    call_date: date,
    rep_names: set[str],
    customer_names: set[str],
    policy: Policy,
    llm: LLM,
) -> MeetingInsights:
    """Analyse one call.

    Args:
        transcript: The parsed call (see `parse_transcript`).
        call_id: Identifier of the call.
        call_date: Date of the call; due dates are resolved against it.
        rep_names: Full names of our reps; matching speakers are on the `rep` side.
        customer_names: Full names of the customer's contacts.
        policy: The RevOps policy (competitors and keyword trackers).
        llm: The language engine; offline, the cue-phrase engine writes the text parts.

    Returns:
        The insights, with `engine` naming what wrote the text parts.
    """
    reps, customers = sorted(rep_names), sorted(customer_names)
    sides = speaker_sides(transcript, reps, customers)
    metrics = call_metrics(transcript, sides)
    competitors, keywords = track(transcript, policy, sides)

    def offline() -> CallExtraction:
        extraction = extract_offline(
            transcript,
            call_date=call_date,
            sides=sides,
            rep_names=reps,
            customer_names=customers,
        )
        summary = offline_summary(call_id, call_date, metrics, extraction, competitors)
        return extraction.model_copy(update={"summary": summary})

    extraction, engine = llm.structured(
        step="meeting_intelligence",
        prompt="meetings/extract",
        schema=CallExtraction,
        variables={
            "transcript": transcript.render(),
            "call_date": f"{call_date.isoformat()} ({call_date.strftime('%A')})",
            "rep_names": ", ".join(reps) or "(none known)",
            "customer_names": ", ".join(customers) or "(none known)",
            "competitors": ", ".join(policy.meetings.competitors) or "(none)",
        },
        offline=offline,
        offline_engine=OFFLINE_ENGINE,
    )
    insights = MeetingInsights(
        call_id=call_id,
        call_date=call_date,
        talk_ratio=metrics.talk_ratio,
        side_ratio=metrics.side_ratio,
        longest_monologue_s=metrics.longest_monologue_s,
        questions=metrics.questions,
        competitors=competitors,
        trackers=keywords,
        pains=[_insight("pain", i, transcript) for i in extraction.pains],
        objections=[_insight("objection", i, transcript) for i in extraction.objections],
        risks=[_insight("risk", i, transcript) for i in extraction.risks],
        triggers=[_insight("trigger", i, transcript) for i in extraction.triggers],
        commitments=[
            _commitment(c, transcript, sides, reps, customers, call_date)
            for c in extraction.commitments
        ],
        summary=extraction.summary.strip(),
        engine=engine,
        speakers=dict(sides),
    )
    if not insights.summary:
        insights.summary = offline_summary(call_id, call_date, metrics, extraction, competitors)
    insights.crm_notes = crm_notes(insights, extraction.decision_makers)
    return insights
