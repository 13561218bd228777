"""Cited account briefs: what a rep (or the customer-success manager) must know.

Every source the brief rests on (a document, a CRM record, a web page, the won deal's call)
becomes a `Citation` with a short id (`S1`, `S2`, ...), and every claim cites at least one
of them. Two engines write the claims:

- `offline:extractive` picks the most informative sentences of the sources (numbers,
  growth, priorities, hiring, won and lost deals, competitors, pains, mentions of the account
  and its people), drops near-duplicates and keeps about eight, each citing its source;
- a chat model, through one `LLM.structured` call (prompt `research/brief`). Its claims are
  checked: a claim without citations, or citing an id that is not a source, is dropped and
  counted in `AccountBrief.dropped_claims`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from sales_operator.adapters.base import Document, HistoryRecord, SearchResult
from sales_operator.errors import InputError
from sales_operator.llm import LLM
from sales_operator.state import (
    Account,
    AccountBrief,
    BriefClaim,
    Citation,
    Contact,
    Lead,
    MeetingInsights,
)

logger = logging.getLogger(__name__)

BriefPurpose = Literal["prep", "cs_handoff"]
"""A pre-call brief, or the customer-success handoff brief after a won deal."""

OFFLINE_ENGINE = "offline:extractive"
"""The engine name of the offline brief writer."""

MAX_CLAIMS = 8
"""About how many claims a prep brief keeps."""

MAX_HANDOFF_CLAIMS = 12
"""How many claims a handoff brief keeps (the deal, the call, then the account)."""

MAX_HISTORY = 20
"""The most recent CRM records read for a brief."""

_SOURCE_CHARS = 4000
"""How much of one source the model sees."""

_STRONG = 3.0
"""A sentence scoring this much earns its source a place in the brief."""


class DraftClaim(BaseModel):
    """One claim as the writer proposes it."""

    text: str
    """The claim, one sentence."""
    citations: list[str] = Field(default_factory=list)
    """Ids of the sources (`S1`, `S2`, ...) that support it."""


class BriefDraft(BaseModel):
    """The brief as the writer proposes it, before the citations are checked."""

    headline: str
    """One-line summary of the account."""
    claims: list[DraftClaim] = Field(default_factory=list)
    """Claims, each citing the sources it rests on."""


@dataclass
class _Source:
    citation: Citation
    text: str
    at: datetime | None = None
    sentences: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "ms", "mrs", "dr", "inc", "ltd", "co", "corp", "st", "vs", "e.g", "i.e", "u.s",
    "no", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "etc", "fig", "mt",
}  # fmt: skip
_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def _clean_line(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    return _EMPHASIS.sub("", line).strip()


_ITALIC_BLOCK = re.compile(r"^([*_])(?!\1).*(?<!\1)\1$", re.S)


def _paragraphs(text: str) -> list[str]:
    """Return the prose paragraphs of markdown `text`, one per bullet or quote line.

    Headings, tables, rules and paragraphs wholly in italics (bylines, disclaimers) are
    dropped.
    """
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        raw = " ".join(current).strip()
        current.clear()
        if raw and not _ITALIC_BLOCK.match(raw):
            paragraphs.append(re.sub(r"\s+", " ", _clean_line(raw)).strip())

    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "|", "---", ">")) or set(line) <= {"-", "=", "*"}:
            flush()
            if line.startswith(">"):
                current.append(line.lstrip("> "))
                flush()
            continue
        if _BULLET.match(line):
            flush()
            current.append(_BULLET.sub("", line))
            flush()
            continue
        current.append(line)
    flush()
    return [p for p in paragraphs if p]


def _ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(" ", 1)[-1].rstrip(".").lower()
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def split_sentences(text: str) -> list[str]:
    """Split markdown or plain `text` into sentences (headings, tables and rules dropped)."""
    sentences: list[str] = []
    for paragraph in _paragraphs(text):
        merged: list[str] = []
        for part in _SPLIT.split(paragraph):
            part = part.strip()
            if not part:
                continue
            if merged and _ends_with_abbreviation(merged[-1]):
                merged[-1] = f"{merged[-1]} {part}"
            else:
                merged.append(part)
        sentences.extend(merged)
    return sentences


# --------------------------------------------------------------------------- scoring

_KEYWORD_GROUPS: tuple[tuple[float, tuple[str, ...]], ...] = (
    # growth and change
    (1.0, ("grow", "growth", "expand", "expansion", "new", "launch", "open", "increas", "doubl",
           "acquir", "acquisition", "invest", "fund", "announc")),
    # stated priorities and targets
    (1.5, ("priorit", "target", "goal", "mandate", "strateg", "board", "initiative")),
    # people
    (1.0, ("hire", "hiring", "joins", "joined", "appoint", "named", "promot", "chief",
           "head of")),
    # outcomes and competition
    (1.5, ("lost", "won", "competitor", "chose", "select", "switch", "renew", "churn",
           "price", "pricing")),
    # pains
    (1.5, ("manual", "cost", "delay", "missed", "late", "problem", "challeng", "pain",
           "spreadsheet", "inefficien", "struggl", "pressure", "margin", "below",
           "complain")),
)  # fmt: skip
_KEYWORD_RES = tuple(
    (weight, re.compile(r"\b(?:" + "|".join(re.escape(k) for k in words) + r")", re.I))
    for weight, words in _KEYWORD_GROUPS
)
_NUMBER_RE = re.compile(
    r"(?<![A-Za-z\d])\d[\d,.]*(?:\s*(?:%|percent|per cent|million|billion)|[Mk]\b)?"
    r"(?![A-Za-z\d])|"
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred)\b",
    re.I,
)
_MONEY_RE = re.compile(r"(?:\$|USD|EUR|€|£|%|percent|per cent|million|billion)", re.I)
_BOILERPLATE_RE = re.compile(
    r"(forward-looking|media contact|press contact|all rights reserved|@|https?://|"
    r"for more information|this (?:article|excerpt|document) is fictional)",
    re.I,
)
_STOPWORDS = {
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from",
    "is", "are", "was", "were", "be", "been", "its", "it", "this", "that", "as", "has", "have",
    "will", "their", "our", "we", "they", "s",
}  # fmt: skip


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9%]+", text.lower()) if t not in _STOPWORDS}


def _similar(a: str, b: str, threshold: float = 0.6) -> bool:
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= threshold


def _names(account: Account, contacts: list[Contact]) -> tuple[list[str], list[str]]:
    account_names = [account.name]
    first_word = account.name.split()[0] if account.name.split() else ""
    if len(first_word) >= 4:
        account_names.append(first_word)
    people: list[str] = []
    for contact in contacts:
        people.append(contact.name)
        last = contact.name.split()[-1] if contact.name.split() else ""
        if len(last) >= 3:
            people.append(last)
    return account_names, people


def score_sentence(
    sentence: str, *, account_names: list[str], people: list[str], min_words: int = 6
) -> float:
    """Return how informative `sentence` is for a brief (higher is better; <= 0: skip it)."""
    words = sentence.split()
    if len(words) < min_words or _BOILERPLATE_RE.search(sentence):
        return 0.0
    score = min(len(_NUMBER_RE.findall(sentence)), 2) * 1.5
    if _MONEY_RE.search(sentence):
        score += 0.5
    score += min(
        sum(weight * len({m.lower() for m in rx.findall(sentence)}) for weight, rx in _KEYWORD_RES),
        4.5,
    )
    lowered = sentence.lower()
    if any(name.lower() in lowered for name in account_names):
        score += 1.0
    if any(re.search(rf"\b{re.escape(p.lower())}\b", lowered) for p in people):
        score += 1.5
    if len(words) > 50:
        score -= 1.5
    return score


def _trim(sentence: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", sentence).strip().strip('"“”')
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    if text and text[-1] not in ".!?…":
        text += "."
    return text


# --------------------------------------------------------------------------- sources


def _document_source(doc: Document) -> _Source:
    return _Source(Citation(id="", kind="document", title=doc.title, location=doc.path), doc.text)


def _history_source(record: HistoryRecord) -> _Source:
    title = f"{record.title} ({record.at.date().isoformat()})"
    return _Source(
        Citation(id="", kind="crm", title=title, location=record.ref, snippet=record.text),
        record.text,
        at=record.at,
    )


def _source_units(source: _Source) -> list[str]:
    """Return the sentences of a source; a short CRM record is one unit, led by its title."""
    text = re.sub(r"\s+", " ", source.text).strip()
    if source.citation.kind == "crm" and source.at is not None and len(text) <= 300:
        title = source.citation.title.rsplit(" (", 1)[0]
        return [f"{title}: {text}" if title and not text.startswith(title) else text]
    return split_sentences(source.text)


def _web_source(hit: SearchResult) -> _Source:
    return _Source(Citation(id="", kind="web", title=hit.title, location=hit.url), hit.content)


def _as_meeting(value: Any) -> MeetingInsights | None:
    if value is None or isinstance(value, MeetingInsights):
        return value
    if isinstance(value, dict):
        return MeetingInsights.model_validate(value)
    raise InputError(f"deal_context['meeting'] must be MeetingInsights or a dict, got {value!r}")


def _as_brief(value: Any) -> AccountBrief | None:
    if value is None or isinstance(value, AccountBrief):
        return value
    if isinstance(value, dict):
        return AccountBrief.model_validate(value)
    raise InputError(f"deal_context['prep_brief'] must be AccountBrief or a dict, got {value!r}")


def _money(amount: Any, currency: str) -> str:
    if isinstance(amount, int | float):
        return f"{amount:,.0f} {currency}".strip()
    return "an undisclosed amount"


def _rep_name(rep: Any) -> str:
    if isinstance(rep, dict):
        return str(rep.get("name") or rep.get("id") or "")
    if rep is None:
        return ""
    return str(getattr(rep, "name", rep))


@dataclass
class _HandoffFacts:
    deal_source: _Source | None
    meeting_source: _Source | None
    meeting: MeetingInsights | None
    prep: AccountBrief | None
    deal: dict[str, Any]
    rep: str


def _handoff_facts(account: Account, deal_context: dict[str, Any] | None) -> _HandoffFacts:
    context = deal_context or {}
    deal = dict(context.get("deal") or {})
    meeting = _as_meeting(context.get("meeting"))
    prep = _as_brief(context.get("prep_brief"))
    rep = _rep_name(context.get("rep"))
    deal_source = None
    if deal:
        deal_id = str(deal.get("id") or "deal")
        closed = str(deal.get("closed_at") or deal.get("close_date") or "")[:10]
        text = (
            f"{deal.get('name') or account.name} was closed won"
            + (f" on {closed}" if closed else "")
            + f" at {_money(deal.get('amount'), str(deal.get('currency') or ''))}"
            + (f"; owner {rep}" if rep else "")
            + "."
        )
        deal_source = _Source(
            Citation(
                id="",
                kind="crm",
                title=f"Deal {deal_id}: {deal.get('name') or account.name}",
                location=f"crm:deal/{deal_id}",
                snippet=text,
            ),
            text,
        )
    meeting_source = None
    if meeting is not None:
        parts = [meeting.summary] if meeting.summary else []
        parts += [f'{p.quote.speaker}: "{p.quote.text}"' for p in meeting.pains]
        parts += [f'{o.quote.speaker}: "{o.quote.text}"' for o in meeting.objections]
        parts += [f'{c.quote.speaker}: "{c.quote.text}"' for c in meeting.commitments]
        meeting_source = _Source(
            Citation(
                id="",
                kind="crm",
                title=f"Call {meeting.call_id} ({meeting.call_date.isoformat()})",
                location=f"crm:meeting/{meeting.call_id}",
            ),
            "\n\n".join(parts),
        )
    return _HandoffFacts(deal_source, meeting_source, meeting, prep, deal, rep)


def _collect_sources(
    documents: list[Document],
    history: list[HistoryRecord],
    web: list[SearchResult],
    facts: _HandoffFacts | None,
) -> tuple[list[_Source], dict[str, str]]:
    """Return the numbered sources, and the prep brief's citation ids mapped to the new ones."""
    sources: list[_Source] = []
    if facts is not None:
        sources += [s for s in (facts.deal_source, facts.meeting_source) if s is not None]
        if facts.prep is not None:
            for cited in facts.prep.sources:
                sources.append(_Source(cited.model_copy(), cited.snippet))
    recent = sorted(history, key=lambda r: r.at)[-MAX_HISTORY:]
    sources += [_document_source(d) for d in documents]
    sources += [_history_source(r) for r in recent]
    sources += [_web_source(w) for w in web]

    unique: list[_Source] = []
    seen: dict[str, int] = {}
    prep_map: dict[str, str] = {}
    prep_ids = {c.location: c.id for c in facts.prep.sources} if facts and facts.prep else {}
    for source in sources:
        location = source.citation.location
        if location in seen:
            # a fresh copy of a prep-brief source: keep its full text for extraction
            kept = unique[seen[location]]
            if len(source.text) > len(kept.text):
                kept.text = source.text
            continue
        seen[location] = len(unique)
        unique.append(source)
    for number, source in enumerate(unique, start=1):
        new_id = f"S{number}"
        location = source.citation.location
        if location in prep_ids:
            prep_map[prep_ids[location]] = new_id
        source.citation = source.citation.model_copy(update={"id": new_id})
        source.sentences = _source_units(source)
    return unique, prep_map


# --------------------------------------------------------------------------- offline engine


def _crm_claim(sentence: str, source: _Source) -> str:
    text = _trim(sentence)
    if source.citation.kind == "crm" and source.at and not re.search(r"\b(19|20)\d\d\b", text):
        text = f"{text[:-1]} ({source.at:%b %Y})."
    return text


def _extract_claims(
    sources: list[_Source],
    *,
    account: Account,
    contacts: list[Contact],
    limit: int,
    taken: list[str] | None = None,
) -> list[DraftClaim]:
    account_names, people = _names(account, contacts)
    candidates: list[tuple[float, int, int, str]] = []
    for s_index, source in enumerate(sources):
        crm = source.citation.kind == "crm"
        for t_index, sentence in enumerate(source.sentences):
            score = score_sentence(
                sentence, account_names=account_names, people=people, min_words=4 if crm else 6
            )
            if crm and score > 0:
                score += 0.5
            if score >= 1.5:
                candidates.append((score, s_index, t_index, sentence))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    picked: list[tuple[float, int, int, str]] = []
    texts = list(taken or [])
    per_source: dict[int, int] = {}

    def take(candidate: tuple[float, int, int, str], cap: int) -> None:
        _, s_index, _, sentence = candidate
        if len(picked) >= limit or candidate in picked or per_source.get(s_index, 0) >= cap:
            return
        if any(_similar(sentence, t) for t in texts):
            return
        per_source[s_index] = per_source.get(s_index, 0) + 1
        texts.append(sentence)
        picked.append(candidate)

    # the best strong sentence of every source first, then the rest by score
    for candidate in candidates:
        if candidate[0] >= _STRONG:
            take(candidate, 1)
    for candidate in candidates:
        take(candidate, 1 if sources[candidate[1]].citation.kind == "crm" else 3)
    picked.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [
        DraftClaim(
            text=_crm_claim(sentence, sources[s_index]), citations=[sources[s_index].citation.id]
        )
        for _, s_index, _, sentence in picked
    ]


def _describe(account: Account) -> str:
    parts = [account.industry or ""]
    if account.employees:
        parts.append(f"{account.employees:,} employees")
    parts = [p for p in parts if p]
    return f"{account.name} ({', '.join(parts)})" if parts else account.name


def _shorten(text: str, limit: int = 160) -> str:
    text = text.rstrip(".")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _offline_prep(sources: list[_Source], account: Account, contacts: list[Contact]) -> BriefDraft:
    claims = _extract_claims(sources, account=account, contacts=contacts, limit=MAX_CLAIMS)
    return BriefDraft(headline=_headline(account, claims, sources), claims=claims)


_HEADLINE_WORDS = re.compile(r"\b(grow|expan|new|announc|open|hir|launch|acquir)", re.I)


def _headline(account: Account, claims: list[DraftClaim], sources: list[_Source]) -> str:
    """Return a one-line summary led by the most newsworthy public claim about the account."""
    if not claims:
        return f"{_describe(account)}: no documents, CRM history or web results were found."
    kinds = {s.citation.id: s.citation.kind for s in sources}
    public = [c for c in claims if all(kinds.get(i) in ("document", "web") for i in c.citations)]
    named = [c for c in public if account.name.lower() in c.text.lower()]
    news = sorted(
        (c for c in named if _HEADLINE_WORDS.search(c.text)),
        key=lambda c: -len(_HEADLINE_WORDS.findall(c.text)),
    )
    pick = (news or named or public or claims)[0].text
    pick = re.sub(r"\btoday (?=announced\b)", "", pick)
    if pick.startswith(account.name):
        return _describe(account) + _shorten(pick[len(account.name) :])
    return f"{_describe(account)}: {_shorten(pick)}"


def _offline_handoff(
    sources: list[_Source],
    facts: _HandoffFacts,
    prep_map: dict[str, str],
    account: Account,
    contacts: list[Contact],
) -> BriefDraft:
    claims: list[DraftClaim] = []
    if facts.deal_source is not None:
        claims.append(
            DraftClaim(text=facts.deal_source.text, citations=[facts.deal_source.citation.id])
        )
    meeting, m_source = facts.meeting, facts.meeting_source
    if meeting is not None and m_source is not None:
        cite = [m_source.citation.id]
        when = meeting.call_date.isoformat()
        if meeting.summary and not (meeting.pains or meeting.commitments):
            claims.append(
                DraftClaim(text=f"Call on {when}: {_trim(meeting.summary)}", citations=cite)
            )
        for pain in meeting.pains:
            claims.append(
                DraftClaim(text=f"Pain heard on the call: {_trim(pain.text)}", citations=cite)
            )
        for objection in meeting.objections:
            claims.append(
                DraftClaim(
                    text=f"Concern raised on the call: {_trim(objection.text)}", citations=cite
                )
            )
        names = sorted({hit.tracker for hit in meeting.competitors})
        if names:
            claims.append(
                DraftClaim(
                    text=f"Competitors mentioned on the call: {', '.join(names)}.", citations=cite
                )
            )
        for commitment in meeting.commitments:
            due = f", due {commitment.due.isoformat()}" if commitment.due else ""
            claims.append(
                DraftClaim(
                    text=f"Commitment ({commitment.owner}{due}): {_trim(commitment.text)}",
                    citations=cite,
                )
            )
    claims = claims[:MAX_HANDOFF_CLAIMS]
    room = MAX_HANDOFF_CLAIMS - len(claims)
    account_claims: list[DraftClaim] = []
    if facts.prep is not None:
        for claim in facts.prep.claims:
            cited = [prep_map[c] for c in claim.citations if c in prep_map]
            if cited and len(account_claims) < min(room, 4):
                account_claims.append(DraftClaim(text=claim.text, citations=cited))
    if len(account_claims) < min(room, 4):
        account_sources = [
            s for s in sources if s is not facts.deal_source and s is not facts.meeting_source
        ]
        account_claims += _extract_claims(
            account_sources,
            account=account,
            contacts=contacts,
            limit=min(room, 4) - len(account_claims),
            taken=[c.text for c in claims + account_claims],
        )
    claims += account_claims
    amount = _money(facts.deal.get("amount"), str(facts.deal.get("currency") or ""))
    closed = str(facts.deal.get("closed_at") or facts.deal.get("close_date") or "")[:10]
    headline = f"{account.name} closed won" + (f" on {closed}" if closed else "") + f" at {amount}"
    if meeting is not None and meeting.pains:
        headline += f"; first pain to solve: {_shorten(meeting.pains[0].text, 120)}"
    return BriefDraft(headline=headline, claims=claims)


# --------------------------------------------------------------------------- checks


def _normalise_id(raw: str) -> str:
    return raw.strip().strip("[]()").strip().upper()


def check_claims(draft: BriefDraft, source_ids: set[str]) -> tuple[list[BriefClaim], int]:
    """Keep the claims that cite only known sources; return them and how many were dropped.

    A claim with no citation, or with any citation that is not in `source_ids`, is dropped.
    Repeated claims are kept once (and not counted as dropped).
    """
    kept: list[BriefClaim] = []
    dropped = 0
    for claim in draft.claims:
        text = claim.text.strip()
        if not text:
            continue
        cited = list(dict.fromkeys(_normalise_id(c) for c in claim.citations if c.strip()))
        if not cited or any(c not in source_ids for c in cited):
            dropped += 1
            logger.info("dropping a brief claim with citations %s: %s", claim.citations, text)
            continue
        if any(k.text == text for k in kept):
            continue
        kept.append(BriefClaim(text=text, citations=cited))
    return kept, dropped


def _renumber(
    claims: list[BriefClaim], sources: list[_Source]
) -> tuple[list[BriefClaim], list[_Source]]:
    """Keep only the cited sources, numbered S1, S2, ... in source order, and re-point claims."""
    used = {c for claim in claims for c in claim.citations}
    cited = [s for s in sources if s.citation.id in used]
    mapping = {s.citation.id: f"S{n}" for n, s in enumerate(cited, start=1)}
    renumbered = [
        _Source(
            s.citation.model_copy(update={"id": mapping[s.citation.id]}), s.text, s.at, s.sentences
        )
        for s in cited
    ]
    claims = [BriefClaim(text=c.text, citations=[mapping[i] for i in c.citations]) for c in claims]
    return claims, renumbered


def _snippets(claims: list[BriefClaim], sources: list[_Source]) -> list[Citation]:
    citations: list[Citation] = []
    for source in sources:
        chosen: list[str] = []
        for claim in claims:
            if source.citation.id not in claim.citations or not source.sentences:
                continue
            words = _tokens(claim.text)
            best = max(source.sentences, key=lambda s: len(words & _tokens(s)))
            if best not in chosen:
                chosen.append(best)
        snippet = source.citation.snippet or ""
        if chosen:
            snippet = " … ".join(chosen[:3])
        elif not snippet:
            snippet = " ".join(source.sentences[:2]) or source.text.strip()
        citations.append(source.citation.model_copy(update={"snippet": _shorten(snippet, 600)}))
    return citations


# --------------------------------------------------------------------------- prompt text


def _account_text(account: Account) -> str:
    fields = account.model_dump(exclude_none=True)
    return "\n".join(f"- {k}: {v}" for k, v in fields.items())


def _contacts_text(contacts: list[Contact]) -> str:
    if not contacts:
        return "(none)"
    return "\n".join(
        f"- {c.name}" + (f", {c.title}" if c.title else "") + (f" ({c.role})" if c.role else "")
        for c in contacts
    )


def _lead_text(lead: Lead | None) -> str:
    if lead is None:
        return "(no lead)"
    signals = ", ".join(f"{k}={v}" for k, v in lead.signals.items()) or "none"
    return f"source {lead.source}, created {lead.created_at.isoformat()}, signals: {signals}"


def _deal_context_text(facts: _HandoffFacts | None) -> str:
    if facts is None:
        return "(none: this is a pre-call brief)"
    lines = []
    if facts.deal:
        lines.append(f"Deal: {facts.deal}")
    if facts.rep:
        lines.append(f"Rep: {facts.rep}")
    if facts.meeting is not None:
        m = facts.meeting
        lines.append(f"Call {m.call_id} on {m.call_date.isoformat()}: {m.summary}")
        lines += [f"- pain: {p.text}" for p in m.pains]
        lines += [f"- concern: {o.text}" for o in m.objections]
        lines += [f"- competitor: {c.tracker}" for c in m.competitors]
        lines += [
            f"- commitment: {c.owner} ({c.side}): {c.text}"
            + (f" (due {c.due.isoformat()})" if c.due else "")
            for c in m.commitments
        ]
    return "\n".join(lines) or "(none)"


def _sources_text(sources: list[_Source]) -> str:
    if not sources:
        return "(no sources)"
    blocks = []
    for s in sources:
        c = s.citation
        body = s.text.strip()[:_SOURCE_CHARS]
        blocks.append(f"[{c.id}] ({c.kind}) {c.title} <{c.location}>\n{body}")
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------- entry point


def write_brief(
    *,
    account: Account,
    contacts: list[Contact],
    lead: Lead | None,
    documents: list[Document],
    history: list[HistoryRecord],
    web: list[SearchResult],
    llm: LLM,
    now: datetime,
    purpose: BriefPurpose = "prep",
    deal_context: dict[str, Any] | None = None,
) -> AccountBrief:
    """Write a cited account brief from documents, CRM history and web results.

    Args:
        account: The account the brief is about.
        contacts: Its contacts (mentions of them make a sentence more informative).
        lead: The lead that opened the deal, when there is one.
        documents: Local documents about the account.
        history: CRM records about the account (activities, notes, past deals).
        web: Web search results.
        llm: The language engine; offline it runs the extractive writer.
        now: When the brief is written.
        purpose: `prep` for the pre-call brief, `cs_handoff` for the customer-success
            handoff after a won deal.
        deal_context: For `cs_handoff`: `deal` (a dict with `id`, `name`, `amount`,
            `currency`, `closed_at`), `meeting` (the call's `MeetingInsights`, or its dict),
            `rep` (a name, or a dict with `name`) and `prep_brief` (the pre-call
            `AccountBrief`, whose sources and claims are carried over). Ignored for `prep`.

    Returns:
        The brief. Every claim cites at least one of its `sources`, and its `sources` are
        exactly the cited ones, numbered `S1`, `S2`, ... in the order they were read
        (the prep brief's, documents, CRM history, web).

    Raises:
        InputError: for an unknown purpose or a malformed `deal_context`.
    """
    if purpose not in ("prep", "cs_handoff"):
        raise InputError(f"unknown brief purpose {purpose!r}; use 'prep' or 'cs_handoff'")
    facts = _handoff_facts(account, deal_context) if purpose == "cs_handoff" else None
    sources, prep_map = _collect_sources(documents, history, web, facts)

    def offline() -> BriefDraft:
        if facts is not None:
            return _offline_handoff(sources, facts, prep_map, account, contacts)
        return _offline_prep(sources, account, contacts)

    draft, engine = llm.structured(
        step="generative_research" if purpose == "prep" else "generative_research.handoff",
        prompt="research/brief",
        schema=BriefDraft,
        variables={
            "purpose": "pre-call brief for the account executive"
            if purpose == "prep"
            else "customer-success handoff brief after a won deal",
            "account": _account_text(account),
            "contacts": _contacts_text(contacts),
            "lead": _lead_text(lead),
            "deal_context": _deal_context_text(facts),
            "sources": _sources_text(sources),
            "max_claims": MAX_CLAIMS if purpose == "prep" else MAX_HANDOFF_CLAIMS,
        },
        offline=offline,
        offline_engine=OFFLINE_ENGINE,
    )
    claims, dropped = check_claims(draft, {s.citation.id for s in sources})
    if dropped:
        logger.warning("brief for %s: dropped %d uncited claim(s)", account.id, dropped)
    headline = draft.headline.strip() or offline().headline
    claims, cited = _renumber(claims, sources)
    return AccountBrief(
        account_id=account.id,
        headline=headline,
        claims=claims,
        sources=_snippets(claims, cited),
        engine=engine,
        written_at=now,
        purpose=purpose,
        dropped_claims=dropped,
    )
