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
    name_key,
    sentences,
    squash,
)
from sales_operator.meetings.meddpicc import (
    CRITERIA,
    CRITERION_NAMES,
    MAX_QUOTES,
    MeddpiccExtraction,
    meddpicc_offline,
    meddpicc_variables,
)
from sales_operator.meetings.meddpicc import OFFLINE_ENGINE as MEDDPICC_OFFLINE_ENGINE
from sales_operator.meetings.metrics import CallMetrics, call_metrics
from sales_operator.meetings.speakers import (
    Participant,
    Side,
    map_speakers,
    participants,
    speaker_side,
    speaker_sides_from,
)
from sales_operator.meetings.summarize import summarize_meeting
from sales_operator.meetings.trackers import track, track_concepts
from sales_operator.meetings.transcript import Transcript, Turn
from sales_operator.meetings.vendors import vendor_lexicon
from sales_operator.policy import Policy
from sales_operator.state import (
    ActionItem,
    Commitment,
    Insight,
    MeddpiccCriterion,
    MeetingInsights,
    Quote,
    TrackerHit,
)

__all__ = [
    "CallMetrics",
    "action_items",
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

OFFLINE_ENGINE = "offline:extractive"
"""The engine name recorded for the cue-phrase extraction."""

HIGHLIGHT_WORDS = 120
"""Word budget of `MeetingInsights.highlights` (the length QMSum's general summaries have;
`make evals` scores the same function on the AMI meetings)."""


# --- speakers, metrics and trackers (see meetings.speakers, .metrics, .trackers) ------------


def speaker_sides(
    transcript: Transcript,
    rep_names: Iterable[str],
    customer_names: Iterable[str],
    *,
    people: Iterable[Participant] = (),
    rep_email_domains: Iterable[str] = (),
) -> dict[str, Side]:
    """Return every speaker of the transcript mapped to a side (never guessed).

    Args:
        transcript: The parsed call.
        rep_names: Names of our reps.
        customer_names: Names of the customer's contacts.
        people: More participants (CRM contacts and reps, calendar attendees; see
            `meetings.speakers.participants`).
        rep_email_domains: Our email domains, for speakers labelled with an email address.
    """
    everyone = participants(rep_names=rep_names, customer_names=customer_names, people=people)
    matches = map_speakers(transcript.speakers, everyone, rep_email_domains=rep_email_domains)
    return speaker_sides_from(matches)


# --- from the extraction to the insights ----------------------------------------------------


def _locate(transcript: Transcript, quote: str, speaker: str) -> Turn | None:
    """Find the turn a quote comes from (the speaker's own turns first)."""
    needle = squash(quote)
    if not needle:
        return None
    short = " ".join(needle.split()[:8])
    ordered = sorted(transcript.turns, key=lambda t: t.speaker != speaker)
    for probe in (needle, short):
        for turn in ordered:
            if probe in squash(turn.text):
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


def _mention_hits(
    extraction: CallExtraction,
    tracked: list[TrackerHit],
    transcript: Transcript,
    sides: Mapping[str, Side],
    engine: str,
) -> list[TrackerHit]:
    """Return competitor hits for the extraction's mentions that no tracker hit covers.

    One hit per (vendor, sentence); a mention in a sentence the policy tracker already
    reported for that vendor is not repeated.
    """
    seen = {(name_key(h.tracker), squash(h.quote.text)) for h in tracked}
    out: list[TrackerHit] = []
    for mention in extraction.competitors:
        key = name_key(mention.name)
        if not key or (key, squash(mention.quote)) in seen:
            continue
        seen.add((key, squash(mention.quote)))
        quote = _quote(transcript, mention.quote, mention.speaker)
        llm_made = engine.startswith("llm:")
        out.append(
            TrackerHit(
                tracker=mention.name.strip(),
                kind="competitor",
                quote=quote,
                side=sides.get(quote.speaker, "unknown"),
                engine=engine,
                confidence=mention.confidence if mention.confidence is not None else 0.8,
                matched_by=engine if llm_made or not mention.how else mention.how,
            )
        )
    return out


def _meddpicc(found: MeddpiccExtraction, transcript: Transcript) -> list[MeddpiccCriterion]:
    """Return one criterion per MEDDPICC key, its quotes located in the transcript."""
    by_key = found.by_key()
    out: list[MeddpiccCriterion] = []
    for key in CRITERIA:
        finding = by_key.get(key)
        quotes = [_quote(transcript, q.text, q.speaker) for q in finding.quotes] if finding else []
        out.append(
            MeddpiccCriterion(
                key=key,
                name=CRITERION_NAMES[key],
                evidenced=bool(finding and finding.evidenced),
                quotes=quotes[:MAX_QUOTES] if finding and finding.evidenced else [],
                note=(finding.note.strip() if finding else "")
                or f"{CRITERION_NAMES[key]}: not assessed",
            )
        )
    return out


def _due_order(c: Commitment) -> tuple[bool, date, bool]:
    """Sort key of commitments: earliest due first, undated last, the rep's first on a tie."""
    return (c.due is None, c.due or date.max, c.side != "rep")


def action_items(commitments: Iterable[Commitment]) -> list[ActionItem]:
    """Return one action item per commitment: earliest due first, undated last, rep first."""
    ordered = sorted(commitments, key=_due_order)
    return [
        ActionItem(
            owner=c.owner,
            side=c.side,
            title=(c.title or commitment_title(c.text)).strip(),
            due=c.due,
            text=c.text,
        )
        for c in ordered
    ]


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
    if extraction.triggers:
        parts.append(
            "Buying triggers: " + "; ".join(t.text.rstrip(".") for t in extraction.triggers) + "."
        )
    names = list(dict.fromkeys(h.tracker for h in competitors))
    if names:
        parts.append("Competitors mentioned: " + ", ".join(names) + ".")
    steps = []
    for c in extraction.commitments:
        due, _ = resolve_commitment_due(c.due, c.quote, call_date)
        when = f" by {due.isoformat()}" if due else ""
        steps.append(f"{c.owner} to {_lower_first(c.title or c.text)}{when}")
    if steps:
        parts.append("Next steps: " + "; ".join(steps) + ".")
    return " ".join(parts)


def _joined(items: Iterable[Insight]) -> str:
    return "; ".join(i.text.rstrip(".") for i in items)


def crm_notes(insights: MeetingInsights, decision_makers: Iterable[str] = ()) -> dict[str, str]:
    """Return the CRM fields the call fills: only those with a value, plus `call_summary`.

    The fields: `pains`, `objections`, `buying_triggers`, `risks` (one line each, items
    separated by "; "), `competitors`, `next_step` with `next_step_date` (and the older
    name `next_step_due`), `action_items`, `call_summary`, `decision_makers`, and for a
    call with a MEDDPICC assessment one `meddpicc_<criterion>` per evidenced criterion
    (its first quote) plus `meddpicc_gaps` (the criteria not evidenced).

    `next_step` is the commitment due first (undated ones last; the rep's first on a tie).
    """
    notes: dict[str, str] = {}
    if insights.pains:
        notes["pains"] = _joined(insights.pains)
    if insights.objections:
        notes["objections"] = _joined(insights.objections)
    if insights.triggers:
        notes["buying_triggers"] = _joined(insights.triggers)
    if insights.risks:
        notes["risks"] = _joined(insights.risks)
    names = list(dict.fromkeys(h.tracker for h in insights.competitors))
    if names:
        notes["competitors"] = ", ".join(names)
    if insights.commitments:
        first = min(insights.commitments, key=_due_order)
        notes["next_step"] = f"{first.title or first.text} ({first.owner})"
        if first.due is not None:
            notes["next_step_date"] = first.due.isoformat()
            notes["next_step_due"] = first.due.isoformat()
    items = insights.action_items or action_items(insights.commitments)
    if items:
        notes["action_items"] = "; ".join(
            f"{a.owner}: {a.title}" + (f" (due {a.due.isoformat()})" if a.due else "")
            for a in items
        )
    notes["call_summary"] = insights.summary
    people = [d.strip() for d in decision_makers if d.strip()]
    if people:
        notes["decision_makers"] = ", ".join(dict.fromkeys(people))
    for criterion in insights.meddpicc:
        if criterion.evidenced and criterion.quotes:
            q = criterion.quotes[0]
            notes[f"meddpicc_{criterion.key}"] = f'{q.speaker}: "{q.text}"'
    gaps = [c.name for c in insights.meddpicc if not c.evidenced]
    if insights.meddpicc and gaps:
        notes["meddpicc_gaps"] = ", ".join(gaps)
    return notes


# --- the whole analysis ---------------------------------------------------------------------


def analyze_call(
    transcript: Transcript,
    *,
    call_id: str,
    call_date: date,
    rep_names: Iterable[str],
    customer_names: Iterable[str],
    policy: Policy,
    llm: LLM,
    people: Iterable[Participant] = (),
    account_names: Iterable[str] = (),
) -> MeetingInsights:
    """Analyse one call.

    Args:
        transcript: The parsed call (see `parse_transcript`).
        call_id: Identifier of the call.
        call_date: Date of the call; due dates are resolved against it.
        rep_names: Full names of our reps; matching speakers are on the `rep` side.
        customer_names: Full names of the customer's contacts.
        policy: The RevOps policy (competitors, keyword and concept trackers, fillers).
        llm: The language engine; offline, the cue-phrase engine writes the text parts.
        people: More participants for the speaker mapping: CRM contacts and reps, calendar
            attendees (see `meetings.speakers.participants`).
        account_names: The customer's company names (never reported as competitors).

    Returns:
        The insights, with `engine` naming what wrote the text parts.
    """
    everyone = list(people)
    account_names = [n for n in account_names if n.strip()]
    reps = sorted({*rep_names, *(p.name for p in everyone if p.side == "rep" and p.name)})
    customers = sorted(
        {*customer_names, *(p.name for p in everyone if p.side == "customer" and p.name)}
    )
    sides = speaker_sides(
        transcript,
        reps,
        customers,
        people=everyone,
        rep_email_domains=policy.company.rep_email_domains,
    )
    units = sentences(transcript, sides)
    metrics = call_metrics(
        transcript, sides, filler_words=policy.meetings.filler_words, units=units
    )
    competitors, keywords = track(transcript, policy, sides, units=units)
    concepts, concept_engine = track_concepts(transcript, policy, sides, llm, units=units)

    def offline() -> CallExtraction:
        extraction = extract_offline(
            transcript,
            call_date=call_date,
            sides=sides,
            rep_names=reps,
            customer_names=customers,
            own_names=(policy.company.name, policy.company.product),
            competitors=policy.meetings.competitors,
            units=units,
            account_names=account_names,
            vendors=vendor_lexicon(policy),
            not_competitors=policy.meetings.competitor_detection.not_competitors,
            min_confidence=policy.meetings.competitor_detection.min_confidence,
        )
        mentioned = _mention_hits(extraction, competitors, transcript, sides, OFFLINE_ENGINE)
        summary = offline_summary(call_id, call_date, metrics, extraction, competitors + mentioned)
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
    competitors = competitors + _mention_hits(extraction, competitors, transcript, sides, engine)

    def meddpicc_fallback() -> MeddpiccExtraction:
        return meddpicc_offline(
            transcript,
            sides=sides,
            extraction=extraction,
            competitor_quotes=[(h.quote.speaker, h.quote.text) for h in competitors],
            units=units,
        )

    coverage, meddpicc_engine = llm.structured(
        step="meeting_meddpicc",
        prompt="meetings/meddpicc",
        schema=MeddpiccExtraction,
        variables=meddpicc_variables(
            transcript=transcript,
            call_date=f"{call_date.isoformat()} ({call_date.strftime('%A')})",
            rep_names=reps,
            customer_names=customers,
            competitors=policy.meetings.competitors,
        ),
        offline=meddpicc_fallback,
        offline_engine=MEDDPICC_OFFLINE_ENGINE,
    )
    insights = MeetingInsights(
        call_id=call_id,
        call_date=call_date,
        talk_ratio=metrics.talk_ratio,
        side_ratio=metrics.side_ratio,
        longest_monologue_s=metrics.longest_monologue_s,
        questions=metrics.questions,
        competitors=competitors,
        trackers=keywords + concepts,
        metrics=metrics.detail,
        concept_engine=concept_engine,
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
    insights.highlights = summarize_meeting(transcript, max_words=HIGHLIGHT_WORDS)
    insights.meddpicc = _meddpicc(coverage, transcript)
    insights.meddpicc_engine = meddpicc_engine
    insights.action_items = action_items(insights.commitments)
    insights.crm_notes = crm_notes(insights, extraction.decision_makers)
    return insights
