"""Grounded, sectioned account briefs from documents, CRM history and the web.

```text
sources (documents, CRM history and contacts, similar accounts' lost deals, web pages)
  -> passages (sentences; boilerplate and injections flagged, never used)
  -> retrieval per section (BM25 over whole sources, against the product profile)
  -> claims (offline: extractive, sentence-complete; model: structured output with quotes,
     plus reflection rounds that fill empty sections)
  -> verification (every quote found verbatim in its source, numbers and names quoted)
  -> AccountBrief (sections, cited sources, dropped claims counted by reason)
```

Two engines write the claims; both go through the same verification:

- `offline:extractive` picks whole sentences of the sources, each its own quote;
- a chat model, through `LLM.structured` (prompt `research/brief`), sees the best passages of
  each section inside delimited blocks and must quote them; empty sections get up to
  `research.reflection_rounds` more calls with the next passages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from sales_operator.adapters.base import Document, HistoryRecord, SearchResult
from sales_operator.errors import InputError
from sales_operator.llm import LLM
from sales_operator.policy import ProductProfile, ResearchPolicy
from sales_operator.research.render import markdown_words
from sales_operator.research.retrieve import SECTION_QUERIES, Retriever, profile_query
from sales_operator.research.sources import (
    Passage,
    Source,
    contact_source,
    document_source,
    history_source,
    host_of,
    lost_deal_source,
    web_source,
)
from sales_operator.research.text import find_dates, stem_set
from sales_operator.research.verify import verify_claim
from sales_operator.state import (
    BRIEF_SECTIONS,
    Account,
    AccountBrief,
    BriefClaim,
    BriefSection,
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

HANDOFF_SECTIONS: tuple[str, ...] = ("deal", "call", "account")
"""The sections of a customer-success handoff brief."""

MAX_HISTORY = 20
"""The most recent CRM records read for a brief."""

SECTION_PURPOSE: dict[str, str] = {
    "overview": "what the company does, its size (employees, revenue) and its segments",
    "recent_changes": "dated events of the last months: results, leadership changes, "
    "acquisitions, launches, expansions, relevant hiring",
    "stakeholders": "the people: our contacts and their roles, newly appointed executives",
    "priorities": "pains and priorities relevant to what we sell",
    "objections": "likely objections: similar accounts' lost reasons, relevant risk factors",
    "questions": "questions to ask on the first call, each grounded in a quoted passage",
}
"""What each section of a pre-call brief is for (also told to the model)."""


class DraftCitation(BaseModel):
    """A quote as the writer proposes it."""

    source: str
    """Source id (`S1`, ...)."""
    quote: str
    """Words copied verbatim from that source (at least five)."""


class DraftClaim(BaseModel):
    """A claim as the writer proposes it."""

    text: str
    """One complete sentence."""
    date: str | None = None
    """ISO date of what it reports, when the source gives one."""
    citations: list[DraftCitation] = Field(default_factory=list)
    """Its quotes."""


class DraftSection(BaseModel):
    """A section as the writer proposes it."""

    name: str
    """Section name."""
    claims: list[DraftClaim] = Field(default_factory=list)
    """Its claims."""


class BriefDraft(BaseModel):
    """The brief as the writer proposes it, before verification."""

    sections: list[DraftSection] = Field(default_factory=list)
    """Sections with claims."""


# --------------------------------------------------------------------------- sources


@dataclass
class Gathered:
    """The sources of one brief, and what could not be used."""

    sources: list[Source]
    missing: list[str] = field(default_factory=list)


def gather_sources(
    *,
    account: Account,
    contacts: Sequence[Contact],
    documents: Sequence[Document],
    history: Sequence[HistoryRecord],
    similar: Sequence[HistoryRecord],
    web: Sequence[SearchResult],
    as_of: date,
    months: int,
) -> Gathered:
    """Return the brief's sources: dated after `as_of` left out, old events left out.

    Documents of the `event` role (8-Ks, news, press releases) older than `months` before
    `as_of` are not read; a business or risk document is read whatever its age, unless it is
    dated after `as_of`.
    """
    start = as_of - timedelta(days=round(months * 30.44))
    out: list[Source] = []
    missing: list[str] = []
    late = 0
    for doc in documents:
        source = document_source(doc)
        if source.date is not None and source.date > as_of:
            late += 1
            continue
        if source.role == "event" and source.date is not None and source.date <= start:
            continue
        out.append(source)
    if late:
        missing.append(f"{late} document(s) dated after {as_of.isoformat()} not read")
    out += [contact_source(c, account) for c in contacts]
    recent = sorted((r for r in history if r.at.date() <= as_of), key=lambda r: r.at)
    for record in recent[-MAX_HISTORY:]:
        own_loss = record.kind == "deal" and "lost" in record.text.lower()
        out.append(lost_deal_source(record) if own_loss else history_source(record))
    out += [lost_deal_source(r) for r in similar if r.at.date() <= as_of]
    out += [web_source(w) for w in web]
    for n, source in enumerate(out, start=1):
        source.id = f"S{n}"
    if not documents:
        missing.append("no documents")
    if not history and not contacts:
        missing.append("no CRM history")
    return Gathered(out, missing)


# --------------------------------------------------------------------------- retrieval


_AS_OF = re.compile(r"\b(?:as of|as at|at the end of|ended|ending)\s+(?:[A-Z][a-z]+ \d|\d)", re.I)
_MOVE = re.compile(
    r"\b(?:appoint|name[ds]?\b|elect|promot|hire[ds]?\b|join|resign|retire|step(?:s|ped)? down|"
    r"succeed|successor|depart|terminat|transition|will serve|serves? as|served as)",
    re.I,
)
_PERSON = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'’]+)+\b")
_OFFICE = re.compile(
    r"\b(?:Chief|President|Director|Officer|Vice|Chair(?:man|woman)?|Head|Treasurer|"
    r"Secretary|Controller|CEO|CFO|COO|CTO|CIO)\b"
)


def _similar(a: str, b: str, threshold: float = 0.6) -> bool:
    sa, sb = stem_set(a), stem_set(b)
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= threshold


@dataclass
class Ranked:
    """Passages ranked per section (best first), before any is picked."""

    sections: dict[str, list[Passage]]
    lost_deals: list[Passage]
    contacts: list[Passage]


def rank_sections(
    sources: Sequence[Source],
    *,
    account: Account,
    profile: ProductProfile,
    as_of: date,
    months: int,
    official_host: str = "",
) -> Ranked:
    """Rank every usable passage for each section.

    `overview` prefers early sentences of business documents and pages on the official
    domain; `recent_changes` keeps passages dated within `months` before `as_of`, from public
    sources; `priorities` and `objections` need the product profile's words; `objections`
    reads risk documents; CRM contacts and lost deals of similar accounts come as they are.
    """
    passages = [p for s in sources for p in s.passages]
    retriever = Retriever(passages)
    relevance = retriever.scores(profile_query(profile))
    query = {name: retriever.scores(q) for name, q in SECTION_QUERIES.items()}
    names = stem_set(account.name)
    start = as_of - timedelta(days=round(months * 30.44))

    def official(p: Passage) -> bool:
        return bool(official_host) and host_of(p.source.location).endswith(official_host)

    scored: dict[str, list[tuple[float, int]]] = {name: [] for name in SECTION_QUERIES}
    for i, p in enumerate(passages):
        if not p.usable:
            continue
        role, kind = p.source.role, p.source.kind
        named = 0.3 if names & stem_set(p.text) or p.text.startswith(("We ", "Our ")) else 0.0
        if role == "business" or (kind == "web" and official(p)):
            prior = 0.9 * 0.85 ** min(p.position, 40) if role == "business" else 0.4
            scored["overview"].append((0.6 * query["overview"][i] + prior + named, i))
        when = p.date
        dated_in_text = bool(find_dates(p.text)) and not _AS_OF.search(p.text)
        if (
            p.source.public
            and when is not None
            and start < when <= as_of
            and (role in ("event", "web") or dated_in_text)
        ):
            lead = 0.6 * 0.6 ** min(p.position, 20) if role in ("event", "web") else 0.0
            scored["recent_changes"].append(
                (query["recent_changes"][i] + 0.3 * relevance[i] + 0.2 * named + lead, i)
            )
            if _PERSON.search(p.text) and _OFFICE.search(p.text) and _MOVE.search(p.text):
                scored["stakeholders"].append((query["stakeholders"][i] + 0.2 * named, i))
        if relevance[i] > 0 and role in ("business", "web", "history"):
            scored["priorities"].append(
                (0.6 * relevance[i] + 0.4 * query["priorities"][i] + 0.2 * named, i)
            )
        if relevance[i] > 0 and role == "risk":
            scored["objections"].append((0.6 * relevance[i] + 0.4 * query["objections"][i], i))
    sections = {
        name: [passages[i] for _, i in sorted(items, key=lambda t: (-t[0], t[1]))]
        for name, items in scored.items()
    }
    lost = [p for p in passages if p.source.role == "lost_deal" and p.usable]
    contacts = [p for p in passages if p.source.role == "contact" and not p.injection]
    return Ranked(sections, lost, contacts)


# --------------------------------------------------------------------------- offline engine


def _claim(p: Passage, *, dated: bool) -> DraftClaim:
    when = p.date if dated or p.source.kind == "crm" else None
    return DraftClaim(
        text=p.sentence,
        date=when.isoformat() if when else None,
        citations=[DraftCitation(source=p.source.id, quote=p.text)],
    )


def _pick(
    candidates: Sequence[Passage],
    limit: int,
    taken: list[str],
    *,
    per_source: int = 1,
) -> list[Passage]:
    picked: list[Passage] = []
    counts: dict[str, int] = {}
    for p in candidates:
        if len(picked) >= limit:
            break
        if counts.get(p.source.id, 0) >= per_source or any(_similar(p.text, t) for t in taken):
            continue
        counts[p.source.id] = counts.get(p.source.id, 0) + 1
        taken.append(p.text)
        picked.append(p)
    return picked


def _best_problem(text: str, profile: ProductProfile) -> str | None:
    words = stem_set(text)
    best, overlap = None, 0
    for problem in profile.problems:
        n = len(stem_set(problem) & words)
        if n > overlap:
            best, overlap = problem, n
    return best


def offline_draft(
    ranked: Ranked, *, account: Account, profile: ProductProfile, settings: ResearchPolicy
) -> BriefDraft:
    """Return the extractive draft: whole sentences, each quoting itself, per section."""
    n = settings.claims_per_section
    taken: list[str] = []
    sections: dict[str, list[Passage]] = {}
    sections["overview"] = _pick(ranked.sections["overview"], n, taken, per_source=n)
    recent = _pick(ranked.sections["recent_changes"], settings.recent_changes_claims, taken)
    recent.sort(key=lambda p: p.date or date.min, reverse=True)
    sections["recent_changes"] = recent
    people = _pick(ranked.contacts, n, taken, per_source=1)
    people += _pick(ranked.sections["stakeholders"], n - len(people), taken)
    sections["stakeholders"] = people
    sections["priorities"] = _pick(ranked.sections["priorities"], n, taken, per_source=2)
    # a lost deal is its own kind of fact: compared with other lost deals only
    objections = _pick(ranked.lost_deals, min(2, n), [])
    taken += [p.text for p in objections]
    objections += _pick(ranked.sections["objections"], n - len(objections), taken, per_source=2)
    sections["objections"] = objections
    draft = BriefDraft(
        sections=[
            DraftSection(
                name=name, claims=[_claim(p, dated=name == "recent_changes") for p in picked]
            )
            for name, picked in sections.items()
        ]
    )
    questions: list[DraftClaim] = []
    asked: set[str] = set()
    for p in [*sections["priorities"], *sections["objections"]]:
        problem = _best_problem(p.text, profile)
        if problem is None or problem in asked or len(questions) >= n:
            continue
        asked.add(problem)
        questions.append(
            DraftClaim(
                text=f"How is {account.name} handling {problem} today?",
                citations=[DraftCitation(source=p.source.id, quote=p.text)],
            )
        )
    draft.sections.append(DraftSection(name="questions", claims=questions))
    return draft


# --------------------------------------------------------------------------- model engine


def _passage_blocks(passages: Sequence[Passage]) -> str:
    if not passages:
        return "(no passages)"
    blocks = []
    for p in passages:
        s = p.source
        when = s.date.isoformat() if s.date else "undated"
        blocks.append(
            f'<<<PASSAGE source="{s.id}" kind="{s.kind}" date="{when}" title="{s.title}">>>\n'
            f"{p.text}\n<<<END PASSAGE>>>"
        )
    return "\n".join(blocks)


def _context(
    ranked: Ranked, names: Sequence[str], *, skip: int, take: int
) -> tuple[str, list[Passage]]:
    chosen: list[Passage] = []
    seen: set[int] = set()
    pools = {name: ranked.sections.get(name, []) for name in names}
    if "objections" in names:
        pools["objections"] = [*ranked.lost_deals, *pools["objections"]]
    if "stakeholders" in names:
        pools["stakeholders"] = [*ranked.contacts, *pools["stakeholders"]]
    if "questions" in names:
        pools["questions"] = [*ranked.sections["priorities"], *ranked.sections["objections"]]
    for name in names:
        for p in pools.get(name, [])[skip : skip + take]:
            if id(p) not in seen and not p.injection and not p.boilerplate:
                seen.add(id(p))
                chosen.append(p)
    return _passage_blocks(chosen), chosen


def _profile_text(profile: ProductProfile) -> str:
    return (
        f"{profile.name}: {profile.what_we_sell}\n"
        f"Problems it solves: {'; '.join(profile.problems)}\n"
        f"Buyer roles: {', '.join(profile.buyer_roles)}"
    )


# --------------------------------------------------------------------------- assembly


def _to_claim(draft: DraftClaim, sources: dict[str, Source], section: str) -> BriefClaim | None:
    citations = [
        Citation(source=c.source.strip().strip("[]").upper(), quote=c.quote)
        for c in draft.citations
        if c.source.strip()
    ]
    when: date | None = None
    if draft.date:
        found = find_dates(draft.date)
        when = found[0] if found else None
    if when is None and section == "recent_changes" and citations:
        first = sources.get(citations[0].source)
        when = first.date if first else None
    if not citations:
        return None
    return BriefClaim(text=draft.text.strip(), date=when, citations=citations)


@dataclass
class _Assembler:
    sources: dict[str, Source]
    allowed_names: list[str]
    limits: dict[str, int]
    dropped: dict[str, int] = field(default_factory=dict)
    sections: dict[str, list[BriefClaim]] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def add(self, draft: BriefDraft, allowed: Sequence[str]) -> None:
        for section in draft.sections:
            name = section.name.strip().lower()
            if name not in self.limits:
                for _ in section.claims:
                    self.drop("unknown_section")
                continue
            kept = self.sections.setdefault(name, [])
            for proposed in section.claims:
                claim = _to_claim(proposed, self.sources, name)
                if claim is None:
                    self.drop("no_citation")
                    continue
                reason = verify_claim(claim, self.sources, allowed_names=self.allowed_names)
                if reason is None and any(
                    _similar(claim.text, k.text, 0.8) for ks in self.sections.values() for k in ks
                ):
                    reason = "duplicate"
                if reason is not None:
                    self.drop(reason)
                    continue
                if len(kept) >= self.limits[name]:
                    self.drop("over_section_limit")
                    continue
                kept.append(claim)

    def empty(self) -> list[str]:
        return [name for name in self.limits if not self.sections.get(name)]


def _fit_words(sections: list[BriefSection], header: str, max_words: int) -> int:
    """Drop the last claims of the later sections until the markdown fits; return how many."""
    removed = 0
    order = [s for s in reversed(sections)]
    while markdown_words(header, sections) > max_words:
        fullest = max(order, key=lambda s: (len(s.claims) > 1, len(s.claims)))
        if not fullest.claims:
            break
        fullest.claims.pop()
        removed += 1
    return removed


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
    similar: Sequence[HistoryRecord] = (),
    settings: ResearchPolicy | None = None,
    as_of: date | None = None,
    official_domain: str | None = None,
    searches: int = 0,
    missing: Sequence[str] = (),
    engine_note: str | None = None,
) -> AccountBrief:
    """Write a grounded, sectioned account brief.

    Args:
        account: The account the brief is about.
        contacts: Its CRM contacts (the stakeholders section).
        lead: The lead that opened the deal, when there is one.
        documents: Its documents (filings, press releases, notes), each dated when possible.
        history: Its CRM records (activities, notes, tasks, closed deals).
        web: Web results and extracted pages, already checked to be about the account.
        llm: The language engine; offline it runs the extractive writer.
        now: When the brief is written.
        purpose: `prep` for the pre-call brief, `cs_handoff` for the handoff after a win.
        deal_context: For `cs_handoff`: `deal` (a dict with `id`, `name`, `amount`,
            `currency`, `closed_at`), `meeting` (`MeetingInsights` or its dict) and `rep`.
        similar: Lost deals of similar accounts (likely objections).
        settings: The policy's research block (default: the bundled one).
        as_of: Nothing dated after this day is read (default: `now`'s date).
        official_domain: The account's web domain (pages on it rank first for the overview).
        searches: Web searches run for this brief.
        missing: What the caller could not find or read, in words.
        engine_note: Added to the engine name (for example a failed web search).

    Returns:
        The brief: only verified claims, only cited sources (renumbered `S1`, ...), drops
        counted by reason, and what could not be found.

    Raises:
        InputError: for an unknown purpose or a malformed `deal_context`.
    """
    if purpose not in ("prep", "cs_handoff"):
        raise InputError(f"unknown brief purpose {purpose!r}; use 'prep' or 'cs_handoff'")
    settings = settings or ResearchPolicy()
    profile = settings.product_profile
    day = as_of or now.date()
    gathered = gather_sources(
        account=account,
        contacts=contacts,
        documents=documents,
        history=history,
        similar=similar if purpose == "prep" else (),
        web=web,
        as_of=day,
        months=settings.history_months,
    )
    sources = gathered.sources
    by_id = {s.id: s for s in sources}
    ranked = rank_sections(
        sources,
        account=account,
        profile=profile,
        as_of=day,
        months=settings.history_months,
        official_host=host_of(official_domain or account.domain or ""),
    )
    allowed = [account.name, *profile.problems]
    if purpose == "cs_handoff":
        names: tuple[str, ...] = HANDOFF_SECTIONS
        limits = {"deal": 1, "call": 8, "account": 4}
    else:
        names = BRIEF_SECTIONS
        limits = {name: settings.claims_per_section for name in names}
        limits["recent_changes"] = settings.recent_changes_claims
    assembler = _Assembler(by_id, allowed, limits)

    if purpose == "cs_handoff":
        extra = _handoff_sources(account, deal_context, start=len(sources) + 1)
        for source in extra:
            by_id[source.id] = source
        sources = [*extra, *sources]
        engine = OFFLINE_ENGINE
        assembler.add(_handoff_draft(extra, ranked, account, profile, settings), allowed)
    else:
        engine = _write_prep(assembler, ranked, account, profile, settings, llm, day)

    sections = [BriefSection(name=n, claims=assembler.sections.get(n, [])) for n in names]
    cited = {c.source for s in sections for claim in s.claims for c in claim.citations}
    order = [s for s in sources if s.id in cited]
    mapping = {s.id: f"S{n}" for n, s in enumerate(order, start=1)}
    for section in sections:
        section.claims = [
            claim.model_copy(
                update={
                    "citations": [
                        c.model_copy(update={"source": mapping[c.source]}) for c in claim.citations
                    ]
                }
            )
            for claim in section.claims
        ]
    header = f"{account.name} {day.isoformat()} {engine}"
    over = _fit_words(sections, header, settings.max_words)
    if over:
        assembler.dropped["word_budget"] = over
    cited_after = {c.source for s in sections for claim in s.claims for c in claim.citations}
    brief_sources = []
    for s in order:
        listed = s.brief_source().model_copy(update={"id": mapping[s.id]})
        if listed.id in cited_after:
            brief_sources.append(listed)
    headline = next((c.text for s in sections for c in s.claims), "")
    notes = [*missing, *gathered.missing]
    if not headline:
        notes.append(f"nothing verifiable was found about {account.name}")
    if engine_note:
        engine = f"{engine}; {engine_note}"
    return AccountBrief(
        account=account.name,
        account_id=account.id,
        as_of=day,
        engine=engine,
        headline=headline,
        sections=sections,
        sources=brief_sources,
        dropped=dict(sorted(assembler.dropped.items())),
        purpose=purpose,
        written_at=now,
        searches=searches,
        missing=list(dict.fromkeys(notes)),
    )


def _write_prep(
    assembler: _Assembler,
    ranked: Ranked,
    account: Account,
    profile: ProductProfile,
    settings: ResearchPolicy,
    llm: LLM,
    day: date,
) -> str:
    """Fill `assembler` with the prep brief's claims; return the engine name."""

    def offline() -> BriefDraft:
        return offline_draft(ranked, account=account, profile=profile, settings=settings)

    def ask(names: Sequence[str], skip: int) -> tuple[BriefDraft, str]:
        blocks, _ = _context(ranked, names, skip=skip, take=settings.passages_per_section)

        def fallback() -> BriefDraft:
            full = offline()
            return BriefDraft(sections=[s for s in full.sections if s.name in names])

        return llm.structured(
            step="generative_research",
            prompt="research/brief",
            schema=BriefDraft,
            variables={
                "account": account.name,
                "domain": account.domain or "(unknown)",
                "as_of": day.isoformat(),
                "profile": _profile_text(profile),
                "sections": "\n".join(f"- {n}: {SECTION_PURPOSE[n]}" for n in names),
                "claims_per_section": settings.claims_per_section,
                "passages": blocks,
            },
            offline=fallback,
            offline_engine=OFFLINE_ENGINE,
        )

    draft, engine = ask(BRIEF_SECTIONS, 0)
    assembler.add(draft, assembler.allowed_names)
    if not llm.online or not engine.startswith("llm:"):
        return engine
    for round_no in range(1, settings.reflection_rounds + 1):
        empty = assembler.empty()
        if not empty:
            break
        logger.info("brief for %s: reflection round %d on %s", account.name, round_no, empty)
        more, _ = ask(empty, round_no * settings.passages_per_section)
        assembler.add(more, assembler.allowed_names)
    return engine


# --------------------------------------------------------------------------- handoff


def _as_meeting(value: Any) -> MeetingInsights | None:
    if value is None or isinstance(value, MeetingInsights):
        return value
    if isinstance(value, dict):
        return MeetingInsights.model_validate(value)
    raise InputError(f"deal_context['meeting'] must be MeetingInsights or a dict, got {value!r}")


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


def _handoff_sources(
    account: Account, context: dict[str, Any] | None, *, start: int
) -> list[Source]:
    context = context or {}
    deal = dict(context.get("deal") or {})
    meeting = _as_meeting(context.get("meeting"))
    rep = _rep_name(context.get("rep"))
    out: list[Source] = []
    if deal:
        closed = str(deal.get("closed_at") or deal.get("close_date") or "")[:10]
        name = deal.get("name") or account.name
        text = (
            f"{name} was closed won"
            + (f" on {closed}" if closed else "")
            + f" at {_money(deal.get('amount'), str(deal.get('currency') or ''))}"
            + (f"; owner {rep}" if rep else "")
            + "."
        )
        deal_id = str(deal.get("id") or "deal")
        found = find_dates(closed)
        src = Source(
            "crm",
            f"Deal {deal_id}: {name}",
            f"crm:deal/{deal_id}",
            text,
            found[0] if found else None,
            "contact",
        )
        out.append(src)
    if meeting is not None:
        lines = [f"Pain heard on the call: {p.text.rstrip('.')}." for p in meeting.pains]
        lines += [f"Concern raised on the call: {o.text.rstrip('.')}." for o in meeting.objections]
        competitors = sorted({hit.tracker for hit in meeting.competitors})
        if competitors:
            lines.append(f"Competitors mentioned on the call: {', '.join(competitors)}.")
        for c in meeting.commitments:
            due = f", due {c.due.isoformat()}" if c.due else ""
            lines.append(f"Commitment ({c.owner}{due}): {c.text.rstrip('.')}.")
        if meeting.summary and not lines:
            lines.append(f"Summary of the call: {meeting.summary.rstrip('.')}.")
        src = Source(
            "crm",
            f"Call {meeting.call_id} ({meeting.call_date.isoformat()})",
            f"crm:meeting/{meeting.call_id}",
            "\n".join(lines),
            meeting.call_date,
            "history",
        )
        # one passage per line, whole
        src.passages = [Passage(src, line, i) for i, line in enumerate(lines) if line.strip()]
        out.append(src)
    for n, source in enumerate(out, start=start):
        source.id = f"S{n}"
    return out


def _handoff_draft(
    extra: list[Source],
    ranked: Ranked,
    account: Account,
    profile: ProductProfile,
    settings: ResearchPolicy,
) -> BriefDraft:
    sections: list[DraftSection] = []
    for source in extra:
        name = "deal" if source.location.startswith("crm:deal/") else "call"
        claims = [
            DraftClaim(text=p.text, citations=[DraftCitation(source=source.id, quote=p.text)])
            for p in source.passages
        ]
        sections.append(DraftSection(name=name, claims=claims))
    prep = offline_draft(ranked, account=account, profile=profile, settings=settings)
    account_claims = [
        c
        for s in prep.sections
        if s.name in ("overview", "recent_changes", "priorities")
        for c in s.claims
    ]
    sections.append(DraftSection(name="account", claims=account_claims[:4]))
    return BriefDraft(sections=sections)
