"""Research sources: documents, CRM history and web pages as one kind of thing.

Every adapter's output becomes a `Source` (kind, title, location, date and readable text),
and every source is split into sentence `Passage`s, each flagged when it is boilerplate or
when it addresses an AI (an injection). Sources are data, never instructions: a flagged
passage is never shown to a model and never becomes a claim.

A claim's quote is verified against `Source.text`, the source's readable text (HTML and
markdown already reduced to plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable
from urllib.parse import urlparse

from sales_operator.adapters.base import Document, HistoryRecord, SearchResult
from sales_operator.research.reuse import is_complete_sentence
from sales_operator.research.text import (
    find_dates,
    is_boilerplate,
    is_dangling,
    is_injection,
    normalise,
    split_sentences,
)
from sales_operator.state import Account, BriefSource, Contact, SourceKind

MIN_WORDS = 6
"""Shorter sentences are not claims."""

MAX_WORDS = 60
"""Longer sentences are not claims (a reader skips them)."""


@dataclass
class Passage:
    """One sentence of a source."""

    source: Source
    """Where it comes from."""
    text: str
    """The sentence, whitespace normalised, verbatim in the source's readable text."""
    position: int
    """Its index among the source's sentences."""
    boilerplate: bool = False
    """Legal or filing boilerplate: never used."""
    injection: bool = False
    """Addresses an AI or asks for something to be sent: never used."""

    @property
    def usable(self) -> bool:
        """Whether the passage may become a claim (not flagged, a readable length)."""
        n = len(self.text.split())
        return (
            not (self.boilerplate or self.injection or is_dangling(self.text))
            and MIN_WORDS <= n <= MAX_WORDS
            and is_complete_sentence(self.sentence)
        )

    @property
    def sentence(self) -> str:
        """The passage as a claim: a CRM record's text gets its missing final full stop."""
        if self.source.kind == "crm" and not self.text.rstrip().endswith((".", "!", "?")):
            return self.text.rstrip() + "."
        return self.text

    @property
    def date(self) -> date | None:
        """The first date the sentence names, else its source's date."""
        found = find_dates(self.text)
        return found[0] if found else self.source.date


@dataclass
class Source:
    """One source a brief may cite."""

    kind: SourceKind
    """`document`, `crm` or `web`."""
    title: str
    """Title."""
    location: str
    """File path, CRM reference or URL."""
    text: str
    """Readable text; quotes are verified against it."""
    date: date | None = None
    """When it was written or happened."""
    role: str = ""
    """What it is for the brief: `business`, `risk`, `event`, `contact`, `lost_deal`,
    `history` or `web`."""
    id: str = ""
    """Short id (`S1`, ...), given when the brief is assembled."""
    passages: list[Passage] = field(default_factory=list)
    """Its sentences."""
    normalised: str = ""
    """`normalise(text)`, for quote checks."""

    def __post_init__(self) -> None:
        """Split the text into passages and flag them."""
        self.normalised = normalise(self.text)
        units = [self.normalised] if self.role in ("contact", "lost_deal") else None
        sentences = units or [normalise(s) for s in split_sentences(self.text)]
        self.passages = [
            Passage(self, s, i, boilerplate=is_boilerplate(s), injection=is_injection(s))
            for i, s in enumerate(sentences)
        ]

    @property
    def public(self) -> bool:
        """Whether the source is public (a document or a web page, not the CRM)."""
        return self.kind != "crm"

    def contains(self, quote: str) -> bool:
        """Return True when `quote` is found verbatim (after normalising) in the text."""
        q = normalise(quote).strip()
        return bool(q) and q in self.normalised

    def brief_source(self) -> BriefSource:
        """Return the source as the brief lists it."""
        return BriefSource(
            id=self.id, kind=self.kind, title=self.title, location=self.location, date=self.date
        )


@runtime_checkable
class SimilarDealsReader(Protocol):
    """A CRM that can list lost deals of similar accounts (`SQLiteCRM`, `InMemoryCRM`)."""

    def similar_lost_deals(self, account_id: str, *, limit: int = 20) -> list[HistoryRecord]:
        """Return lost deals of accounts in the same industry or segment, newest first."""
        ...


_RISK = re.compile(r"risk", re.I)
_EVENT = re.compile(r"\b(?:8-?k|news|press|release|announce)", re.I)


def document_source(doc: Document) -> Source:
    """Return a document as a source; its role comes from its name (risk, event, business)."""
    name = f"{doc.path} {doc.title}"
    if _RISK.search(name):
        role = "risk"
    elif _EVENT.search(name):
        role = "event"
    else:
        role = "business"
    return Source("document", doc.title, doc.path, doc.text, doc.date, role)


def history_source(record: HistoryRecord) -> Source:
    """Return a CRM history record (activity, note, task, deal) as a source."""
    return Source("crm", record.title, record.ref, record.text, record.at.date(), "history")


def lost_deal_source(record: HistoryRecord) -> Source:
    """Return a similar account's lost deal as a source (one passage: its whole text)."""
    return Source("crm", record.title, record.ref, record.text, record.at.date(), "lost_deal")


def contact_source(contact: Contact, account: Account) -> Source:
    """Return a CRM contact as a source whose one passage names the person and role."""
    parts = [contact.name]
    if contact.title:
        parts.append(f"is {contact.title} at {account.name}")
    else:
        parts.append(f"is a contact at {account.name}")
    text = " ".join(parts)
    if contact.role:
        text += f" (buying role: {contact.role.replace('_', ' ')})"
    return Source(
        "crm", f"Contact {contact.name}", f"crm:contact/{contact.id}", text + ".", None, "contact"
    )


def web_source(hit: SearchResult, when: date | None = None) -> Source:
    """Return a web result (or an extracted page) as a source."""
    found = find_dates(hit.content[:2000])
    return Source(
        "web", hit.title, hit.url, hit.content, when or (found[0] if found else None), "web"
    )


def host_of(url: str) -> str:
    """Return the host of `url` without `www.` (empty when it has none)."""
    host = urlparse(url if "://" in url else f"https://{url}").netloc.lower()
    return host[4:] if host.startswith("www.") else host
