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
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any, Literal

from sales_operator.llm import LLM
from sales_operator.meetings.dates import (
    find_due,
    policy_calendar,
    resolve_due,
    resolve_due_phrase,
)
from sales_operator.meetings.extract import (
    CallExtraction,
    ExtractedCommitment,
    ExtractedDecision,
    ExtractedInsight,
    commitment_title,
    extract_offline,
    name_key,
    sentences,
    split_sentences,
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
from sales_operator.meetings.quote_index import Joined, TurnIndex, searchable
from sales_operator.meetings.speakers import (
    Participant,
    Side,
    SpeakerMatch,
    map_speakers,
    participants,
    speaker_side,
    speaker_sides_from,
)
from sales_operator.meetings.summarize import brief_and_key_points, summarize_meeting
from sales_operator.meetings.trackers import track, track_concepts
from sales_operator.meetings.transcript import Transcript, Turn
from sales_operator.meetings.vendors import vendor_lexicon
from sales_operator.policy import Policy
from sales_operator.state import (
    ActionItem,
    CallInfo,
    Commitment,
    Insight,
    KeyPoint,
    MeddpiccCriterion,
    MeetingDecision,
    MeetingInsights,
    MeetingSummary,
    Quote,
    SpeakerMapping,
    TrackerHit,
)

__all__ = [
    "CallMetrics",
    "action_items",
    "Side",
    "analyze_call",
    "call_metrics",
    "call_info",
    "content_summary",
    "ground_extraction",
    "quote_grounded",
    "crm_notes",
    "participant_mappings",
    "render_summary",
    "speaker_matches",
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
    own_names: Iterable[str] = (),
) -> dict[str, Side]:
    """Return every speaker of the transcript mapped to a side (never guessed).

    Args:
        transcript: The parsed call.
        rep_names: Names of our reps.
        customer_names: Names of the customer's contacts.
        people: More participants (CRM contacts and reps, calendar attendees; see
            `meetings.speakers.participants`).
        rep_email_domains: Our email domains, for speakers labelled with an email address.
        own_names: Our company and product names, for content cues ("here at <us>").
    """
    return speaker_sides_from(
        speaker_matches(
            transcript,
            rep_names,
            customer_names,
            people=people,
            rep_email_domains=rep_email_domains,
            own_names=own_names,
        )
    )


def speaker_matches(
    transcript: Transcript,
    rep_names: Iterable[str],
    customer_names: Iterable[str],
    *,
    people: Iterable[Participant] = (),
    rep_email_domains: Iterable[str] = (),
    own_names: Iterable[str] = (),
    account_names: Iterable[str] = (),
) -> dict[str, SpeakerMatch]:
    """Return every speaker label of the transcript with where it was placed, and why.

    `account_names` are the CRM account's name and web domain (customer-company cues).
    """
    everyone = participants(rep_names=rep_names, customer_names=customer_names, people=people)
    return map_speakers(
        transcript.speakers,
        everyone,
        rep_email_domains=rep_email_domains,
        transcript=transcript,  # export sides, content cues, the two-party rest
        own_names=own_names,
        account_names=account_names,
    )


_CONFIDENCE_BY_REASON = (("email", 0.99), ("full name", 0.95), ("first name", 0.85))


def participant_mappings(matches: Mapping[str, SpeakerMatch]) -> list[SpeakerMapping]:
    """Return one row per speaker label: name, person, side and how it was mapped.

    Uses the `mapped_by` and `confidence` the speaker mapping gives; where it gives none,
    they are read from its `reason`.
    """
    rows: list[SpeakerMapping] = []
    for label, m in matches.items():
        mapped_by = getattr(m, "mapped_by", None)
        confidence = getattr(m, "confidence", None)
        if mapped_by is None:
            reason = m.reason.lower()
            found = next(
                ((k, c) for k, c in _CONFIDENCE_BY_REASON if k in reason and m.side != "unknown"),
                None,
            )
            mapped_by = found[0].replace(" ", "_") if found else "none"
            confidence = found[1] if found else 0.0
        person = m.participant
        rows.append(
            SpeakerMapping(
                name=label,
                participant=(person.name or None) if person else None,
                email=person.email if person else None,
                side=m.side,
                mapped_by=str(mapped_by),
                confidence=float(confidence or 0.0),
                reason=m.reason,
            )
        )
    return rows


_SPACES = bytes(ord(" ") if chr(c).isspace() else ord("a") for c in range(128)) + b"a" * 128
"""Byte table: ASCII white space (as `str.split` reads it) -> a space, any other byte -> `a`."""


def _words(transcript: Transcript) -> int:
    """Return `sum(len(t.text.split()) for t in transcript.turns)`.

    A space keeps two turns' words apart, so it is the number of words of the turns joined
    by spaces; on ASCII text, that is the number of word starts (an `a` at the start or
    after a space) once the text is mapped through `_SPACES`: no word is made.
    """
    text = " ".join([t.text for t in transcript.turns])
    if not text.isascii():
        return len(text.split())
    starts = text.encode().translate(_SPACES)
    return starts.count(b" a") + starts.startswith(b"a")


def call_info(transcript: Transcript, call_id: str, call_date: date) -> CallInfo:
    """Return the call's metadata: date, source, format, duration, speakers, words."""
    starts = [t.start for t in transcript.turns if t.start is not None]
    ends = [t.end if t.end is not None else t.start for t in transcript.turns]
    ends_known = [e for e in ends if e is not None]
    duration = (max(ends_known) - min(starts)) if starts and ends_known else None
    source = transcript.name if transcript.name and transcript.name != "<transcript>" else None
    return CallInfo(
        call_id=call_id,
        date=call_date,
        source=source,
        format=str(transcript.format) if transcript.format else None,
        duration_s=round(duration, 1) if duration is not None and duration >= 0 else None,
        speakers=len(transcript.speakers),
        words=_words(transcript),
    )


# --- from the extraction to the insights ----------------------------------------------------


_TURN_INDEXES: dict[int, TurnIndex] = {}
"""Per transcript alive (by `id`; dropped when it is collected): its squashed turns, joined."""


def _turn_index(transcript: Transcript) -> TurnIndex:
    """Return the transcript's `TurnIndex`, built on first use and kept while it lives."""
    key = id(transcript)
    index = _TURN_INDEXES.get(key)
    if index is None:
        turns = transcript.turns
        index = TurnIndex([squash(t.text) for t in turns], [t.speaker for t in turns])
        _TURN_INDEXES[key] = index
        weakref.finalize(transcript, _TURN_INDEXES.pop, key, None)
    return index


def _locate(transcript: Transcript, quote: str, speaker: str) -> Turn | None:
    """Find the turn a quote comes from (the speaker's own turns first)."""
    needle = squash(quote)
    if not needle:
        return None
    short = " ".join(needle.split()[:8])
    index = _turn_index(transcript)
    for probe in (needle, short):
        found = index.locate(probe, speaker)  # (squashed text holds no newline)
        if found is not None:
            return transcript.turns[found]
    return None


def _quote(transcript: Transcript, text: str, speaker: str) -> Quote:
    turn = _locate(transcript, text, speaker)
    if turn is None:
        return Quote(speaker=speaker, text=text)
    return Quote(speaker=turn.speaker, text=text, start=turn.start)


GROUNDING_WINDOW_S = 120.0
"""A quote's cited time may be this far from the start of the turn it is found in."""


_Span = tuple[str, set[str], float | None, float | None, tuple[str, ...]]


def _pair_text(a: str, b: str) -> str:
    """Return `" ".join(x for x in (a, b) if x)`, with no generator to run."""
    return f"{a} {b}" if a and b else a or b


class _Spans(list[_Span]):
    """`_spans`' list, with its texts joined for search (on first use)."""

    joined: Joined | None = None

    @staticmethod
    def containing(spans: list[_Span], probe: str) -> Iterator[int]:
        """Yield, in order, the index of every span whose text holds `probe`."""
        if not isinstance(spans, _Spans) or not searchable(probe):
            return (k for k, span in enumerate(spans) if probe in span[0])
        if spans.joined is None:
            spans.joined = Joined([span[0] for span in spans])
        return spans.joined.containing(probe)


def _spans(transcript: Transcript) -> list[_Span]:
    """Return the squashed text of every turn and of every two consecutive turns."""
    turns = transcript.turns
    squashed = [squash(t.text) for t in turns]
    out: list[_Span] = _Spans()
    for i, t in enumerate(turns):
        out.append((squashed[i], {t.speaker}, t.start, t.end, ()))
        if i + 1 < len(turns):
            n = turns[i + 1]
            out.append(
                (
                    # = squash(f"{t.text} {n.text}"): the space keeps their words apart
                    _pair_text(squashed[i], squashed[i + 1]),
                    {t.speaker, n.speaker},
                    t.start,
                    n.end or n.start,
                    (squashed[i], squashed[i + 1]),
                )
            )
    return out


def squashed_call(transcript: Transcript) -> str:
    """Return `squash` of the whole call's text (its turns joined by spaces).

    Joined from the turns' own squashed texts (cached; grounding has them): a space keeps
    two turns' words apart, so squashing the joined text gives the same string.
    """
    return " ".join(x for x in (squash(t.text) for t in transcript.turns) if x)


def _same_speaker(cited: str, label: str) -> bool:
    """Whether a cited speaker names the label ("Dana" for "Dana Whitfield")."""
    if not cited or not label:
        return False
    return cited == label or label.split()[0] == cited or cited.split()[0] == label


def quote_grounded(
    transcript: Transcript,
    quote: str,
    speaker: str,
    start: float | None = None,
    *,
    spans: list[_Span] | None = None,
) -> bool:
    """Return whether `quote` is in the transcript, said by `speaker`, near `start`.

    The quote and the turns are compared normalised (lower case, letters and digits, single
    spaces); it must lie within one turn of `speaker`, or within two consecutive turns one
    of which is theirs (a request and its answer). With a cited `start` on a timed
    transcript, the turn must begin within `GROUNDING_WINDOW_S` of it (or contain it).
    A quote of fewer than three words grounds nothing.
    """
    needle = squash(quote)
    if len(needle.split()) < 3:
        return False
    pieces = [p for p in (squash(x) for x in split_sentences(quote)) if p] or [needle]
    cited = squash(speaker)
    first = pieces[0]
    spans = spans if spans is not None else _spans(transcript)
    for k in _Spans.containing(spans, first):
        text, who, t0, t1, parts = spans[k]
        if not all(p in text for p in pieces):
            continue  # every sentence of the quote is in this turn (or this turn and the next)
        if parts and any(all(p in part for p in pieces) for part in parts):
            continue  # within one turn: that turn's own speaker must be the cited one
        if not any(_same_speaker(cited, squash(w)) for w in who):
            continue
        if start is None or t0 is None:
            return True
        if abs(t0 - start) <= GROUNDING_WINDOW_S or (t1 is not None and t0 <= start <= t1):
            return True
    return False


_PARENTHESISED = re.compile(r"\([^)]*\)")


def ground_extraction(
    extraction: CallExtraction, transcript: Transcript, *, known: Iterable[str] = ()
) -> tuple[CallExtraction, dict[str, int]]:
    """Drop every extracted item whose quote is not in the transcript where it is cited.

    Pains, objections, risks, triggers and competitor mentions need their quote said by
    their speaker; commitments by their owner, in a request and answer the owner is part
    of, or to the owner in the turn next to theirs ("Raj, you'll send me ..."); a decision
    maker's name must be said on the call or be a known participant.

    Returns:
        (the extraction with grounded items only, the number dropped per kind; kinds with
        nothing dropped are left out).
    """
    spans = _spans(transcript)
    dropped: dict[str, int] = {}

    def keep(kind: str, items: list[Any], speaker: Callable[[Any], str]) -> list[Any]:
        out = [
            i
            for i in items
            if quote_grounded(
                transcript, i.quote, speaker(i), getattr(i, "start", None), spans=spans
            )
        ]
        if len(out) < len(items):
            dropped[kind] = len(items) - len(out)
        return out

    squashed = [span[0] for span in spans[::2]]  # each turn's squashed text (see `_spans`)

    def addressed(c: ExtractedCommitment) -> bool:
        """Return whether the quote is said to its owner ("Raj, you'll send me ...")."""
        pieces = [p for p in (squash(x) for x in split_sentences(c.quote)) if p]
        if not pieces:
            return False
        turns = transcript.turns
        owner = squash(c.owner)
        for i in _turn_index(transcript).containing(pieces[0]):  # turns that hold the first
            if all(p in squashed[i] for p in pieces):
                near = turns[max(i - 1, 0) : i + 2]
                if any(_same_speaker(owner, squash(n.speaker)) for n in near):
                    return True
        return False

    commitments = [
        c
        for c in extraction.commitments
        if quote_grounded(transcript, c.quote, c.owner, c.start, spans=spans)
        or (len(squash(c.quote).split()) >= 3 and addressed(c))
    ]
    if len(commitments) < len(extraction.commitments):
        dropped["commitments"] = len(extraction.commitments) - len(commitments)
    # (the whole call squashed is read only to check a decision maker's name)
    said = squashed_call(transcript) if extraction.decision_makers else ""
    people = {squash(k) for k in known}
    makers = [
        d
        for d in extraction.decision_makers
        if (name := squash(_PARENTHESISED.sub(" ", d))) and (name in people or name in said)
    ]
    if len(makers) < len(extraction.decision_makers):
        dropped["decision_makers"] = len(extraction.decision_makers) - len(makers)
    grounded = extraction.model_copy(
        update={
            "pains": keep("pains", extraction.pains, lambda i: i.speaker),
            "objections": keep("objections", extraction.objections, lambda i: i.speaker),
            "risks": keep("risks", extraction.risks, lambda i: i.speaker),
            "triggers": keep("triggers", extraction.triggers, lambda i: i.speaker),
            "commitments": commitments,
            "competitors": keep("competitors", extraction.competitors, lambda i: i.speaker),
            "decision_makers": makers,
            "decisions": keep("decisions", extraction.decisions, lambda i: i.speaker),
        }
    )
    return grounded, dropped


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
            iso = date.fromisoformat(text[:10]) if _ISO_DATE.fullmatch(text) else None
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


def _decision(item: ExtractedDecision, transcript: Transcript) -> MeetingDecision:
    return MeetingDecision(
        text=item.text.strip().rstrip("."), quote=_quote(transcript, item.quote, item.speaker)
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
    said = resolve_due(phrase or item.due or item.quote, call_date)  # i9a: precision/event
    text = item.text.strip().rstrip(".")
    title = (item.title or "").strip().rstrip(".") or commitment_title(text)
    return Commitment(
        owner=item.owner,
        side=side,
        text=text,
        due=due,
        due_phrase=phrase or (said.phrase if said and said.event else None),
        due_precision=said.precision if due is not None and said and said.due == due else None,
        due_event=said.event if due is None and said else None,
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


SUMMARY_WORDS = 200
"""Word budget of `MeetingInsights.summary` (brief, key points and next steps together)."""

OFFLINE_SUMMARY_ENGINE = "offline:central-sentences"
"""The engine name recorded for the offline brief."""


def _items_line(items: Iterable[Insight]) -> str:
    return "; ".join(i.text.rstrip(".") for i in items)


def content_summary(
    transcript: Transcript,
    insights: MeetingInsights,
    *,
    brief: str | None = None,
    engine: str = OFFLINE_SUMMARY_ENGINE,
    max_words: int = SUMMARY_WORDS,
) -> MeetingSummary:
    """Write the content summary of a call: a brief, key points by topic, next steps.

    The brief is `brief` when a model wrote one, else the call's two to four most central
    sentences (`summarize.brief_and_key_points`), fillers removed, each with its speaker.
    Key points: the extraction's pains, objections, buying triggers, risks and competitors,
    each a topic, then central sentences grouped under the word they are about. Next
    steps: the action items, with owners and due dates. Sentences are dropped from the key
    points until the rendered summary fits `max_words`.
    """
    picked, central = brief_and_key_points(transcript)
    quotes: list[Quote] = []
    if brief is None or not brief.strip():
        brief = " ".join(f"{p.text[:-1]} ({p.speaker}){p.text[-1]}" for p in picked)
        quotes = [
            Quote(speaker=p.speaker, text=p.text, start=transcript.turns[p.turn].start)
            for p in picked
        ]
        engine = OFFLINE_SUMMARY_ENGINE
    points: list[KeyPoint] = []
    names = list(dict.fromkeys(h.tracker for h in insights.competitors))
    if names:
        first = insights.competitors[0].quote
        points.append(KeyPoint(topic="Competitors", text=", ".join(names), quote=first))
    for topic, items in (
        ("Pains", insights.pains),
        ("Objections", insights.objections),
        ("Buying triggers", insights.triggers),
        ("Risks", insights.risks),
    ):
        if items:
            points.append(KeyPoint(topic=topic, text=_items_line(items), quote=items[0].quote))
    by_topic: dict[str, list[KeyPoint]] = {}
    for p in central:
        by_topic.setdefault(p.topic, []).append(
            KeyPoint(
                topic=p.topic[:1].upper() + p.topic[1:],
                text=f"{p.text} ({p.speaker})",
                quote=Quote(speaker=p.speaker, text=p.text, start=transcript.turns[p.turn].start),
            )
        )
    fixed = len(points)
    points += [kp for group in by_topic.values() for kp in group]
    out = MeetingSummary(
        brief=brief.strip(),
        brief_quotes=quotes,
        key_points=points,
        next_steps=insights.action_items or action_items(insights.commitments),
        engine=engine,
    )
    while len(render_summary(out).split()) > max_words and len(out.key_points) > fixed:
        out.key_points.pop()
    while len(render_summary(out).split()) > max_words and out.key_points:
        out.key_points.pop()
    while len(render_summary(out).split()) > max_words and out.next_steps:
        out.next_steps.pop()
    over = len(render_summary(out).split()) - max_words
    if over > 0:  # a model's (or one huge sentence's) brief: cut to the budget
        words = out.brief.split()
        out.brief = " ".join(words[: max(len(words) - over - 1, 1)]) + " ..."
    return out


def render_summary(summary: MeetingSummary) -> str:
    """Render a `MeetingSummary` as text: the brief, "Key points:", "Next steps:"."""
    parts = [summary.brief] if summary.brief else []
    if summary.key_points:
        lines: dict[str, list[str]] = {}
        for kp in summary.key_points:
            lines.setdefault(kp.topic, []).append(kp.text)
        parts.append("Key points:\n" + "\n".join(f"- {t}: {' '.join(v)}" for t, v in lines.items()))
    if summary.next_steps:
        parts.append(
            "Next steps:\n"
            + "\n".join(
                f"- {a.owner}: {a.title}" + (f" (due {a.due.isoformat()})" if a.due else "")
                for a in summary.next_steps
            )
        )
    return "\n".join(parts)


def _joined(items: Iterable[Insight]) -> str:
    return "; ".join(i.text.rstrip(".") for i in items)


def crm_notes(insights: MeetingInsights, decision_makers: Iterable[str] = ()) -> dict[str, str]:
    """Return the CRM fields the call fills: only those with a value, plus `call_summary`.

    The fields: `pains`, `objections`, `buying_triggers`, `risks` (one line each, items
    separated by "; "), `competitors`, `next_step` with `next_step_date`, `action_items`,
    `call_summary`, `decision_makers`, and for a
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


@policy_calendar  # i9a: due dates use the policy's week start and fiscal year
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
    account_domains: Iterable[str] = (),
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
        account_names: The customer's company names (never reported as competitors; a
            speaker who says "here at <name>" is the customer).
        account_domains: The CRM account's web domains ("acmelogistics.com"): a speaker
            labelled with an address there, or naming the company the domain spells, is
            the customer.

    Returns:
        The insights, with `engine` naming what wrote the text parts.
    """
    everyone = list(people)
    account_names = [n for n in account_names if n.strip()]
    reps = sorted({*rep_names, *(p.name for p in everyone if p.side == "rep" and p.name)})
    customers = sorted(
        {*customer_names, *(p.name for p in everyone if p.side == "customer" and p.name)}
    )
    matches = speaker_matches(
        transcript,
        reps,
        customers,
        people=everyone,
        rep_email_domains=policy.company.rep_email_domains,
        own_names=(policy.company.name, policy.company.product),
        account_names=[*account_names, *(d for d in account_domains if d and d.strip())],
    )
    sides = speaker_sides_from(matches)
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
        return extraction

    extraction, engine = llm.structured(
        step="meeting_intelligence",
        prompt="meetings/extract",
        schema=CallExtraction,
        # the prompt's values are read only by a model: offline, the transcript is not rendered
        variables={
            "transcript": transcript.render(),
            "call_date": f"{call_date.isoformat()} ({call_date.strftime('%A')})",
            "rep_names": ", ".join(reps) or "(none known)",
            "customer_names": ", ".join(customers) or "(none known)",
            "competitors": ", ".join(policy.meetings.competitors) or "(none)",
        }
        if llm.online
        else {},
        offline=offline,
        offline_engine=OFFLINE_ENGINE,
    )
    # every item must quote the transcript: what cannot be found is dropped (and counted)
    # before anything downstream (MEDDPICC, CRM notes, the summary) reads the extraction
    extraction, ungrounded = ground_extraction(extraction, transcript, known=[*reps, *customers])
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
        )
        if llm.online
        else {},
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
        engine=engine,
        speakers=dict(sides),
        ungrounded=ungrounded,
        decisions=[_decision(d, transcript) for d in extraction.decisions],
        call=call_info(transcript, call_id, call_date),
        participants=participant_mappings(matches),
    )
    insights.highlights = summarize_meeting(transcript, max_words=HIGHLIGHT_WORDS)
    insights.meddpicc = _meddpicc(coverage, transcript)
    insights.meddpicc_engine = meddpicc_engine
    insights.action_items = action_items(insights.commitments)
    model_brief = extraction.summary.strip() if engine.startswith("llm:") else None
    insights.summary_detail = content_summary(
        transcript, insights, brief=model_brief, engine=engine
    )
    insights.summary = render_summary(insights.summary_detail)
    insights.crm_notes = crm_notes(insights, extraction.decision_makers)
    return insights
