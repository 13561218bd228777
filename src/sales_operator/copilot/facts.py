"""The fact sheet of one draft: every fact it may use, with its audience and its source.

A customer-facing draft is written from the customer-safe facts only, by either engine. The
internal facts are on the sheet too, so the check after generation knows what must never
appear: the win probability and band, talk shares, risk warnings, competitor intelligence,
policy thresholds and tracking signals (pages visited, pricing-page visits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Audience = Literal["customer", "internal"]
"""Who may read a fact: the customer (customer-safe) or only our side (internal)."""

SourceKind = Literal["call", "crm", "brief", "policy", "score", "signal", "reply", "template"]
"""Where a fact comes from: a call quote, a CRM record, a verified public brief claim, the
policy, the scorer, a tracking signal, an inbound reply, or our own fixed wording."""

INTERNAL_VOCABULARY: Final[tuple[str, ...]] = (
    "win probability",
    "probability",
    "lead score",
    "score band",
    "talk share",
    "talk ratio",
    "talk time",
    "single-threaded",
    "single threaded",
    "at risk",
    "deal risk",
    "risk warning",
    "looking at pricing",
    "looking at our pricing",
    "pricing page visit",
    "pricing_page_visits",
    "pages_visited",
    "page visits",
    "you visited",
    "you have been looking",
    "you've been looking",
    "been browsing",
    "emails_opened",
    "opened our emails",
    "meddpicc",
    "competitor",
    "economic buyer",
    "champion",
    "quota",
    "pipeline review",
)
"""Words that mark internal sales data; none may appear in a customer draft."""


@dataclass(frozen=True)
class Fact:
    """One fact a draft may rest on."""

    text: str
    """The fact in words."""
    audience: Audience
    """`customer` (may appear in a customer draft) or `internal` (never)."""
    source: SourceKind
    """Where it comes from."""
    ref: str = ""
    """A reference to the source (`call:<id>`, `crm:deal/<id>`, a citation id, ...)."""
    terms: tuple[str, ...] = ()
    """For an internal fact: the strings that betray it (a competitor's name, "52%")."""


@dataclass
class FactSheet:
    """The facts of one draft, in the order they were added."""

    facts: list[Fact] = field(default_factory=list)
    """Every fact."""

    def add(
        self,
        text: str,
        *,
        audience: Audience,
        source: SourceKind,
        ref: str = "",
        terms: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Add one fact (empty texts are skipped)."""
        text = " ".join(str(text).split())
        if text:
            self.facts.append(Fact(text, audience, source, ref, tuple(t for t in terms if t)))

    def customer(self) -> list[Fact]:
        """Return the customer-safe facts."""
        return [f for f in self.facts if f.audience == "customer"]

    def internal(self) -> list[Fact]:
        """Return the internal facts."""
        return [f for f in self.facts if f.audience == "internal"]

    def render(self, audience: Audience = "customer") -> str:
        """Return the facts for `audience` as prompt lines (`- text [source ref]`)."""
        chosen = self.customer() if audience == "customer" else self.facts
        return "\n".join(f"- {f.text} [{f.source}{': ' + f.ref if f.ref else ''}]" for f in chosen)

    def allowed_text(self) -> str:
        """Return the customer-safe facts' text, one fact a line (what a draft may say)."""
        return "\n".join(f.text for f in self.customer())

    def forbidden_terms(self) -> list[str]:
        """Return the strings that betray internal facts, plus the internal vocabulary."""
        terms = [t for f in self.internal() for t in f.terms]
        return list(dict.fromkeys([*terms, *INTERNAL_VOCABULARY]))

    def sanitize(self) -> list[Fact]:
        """Demote customer facts that carry an internal term to internal; return them.

        A call quote that names a competitor, say, stays on the sheet for the reviewer but
        can no longer reach the customer.
        """
        from sales_operator.copilot.check import find_terms

        terms = self.forbidden_terms()
        demoted: list[Fact] = []
        kept: list[Fact] = []
        for fact in self.facts:
            if fact.audience == "customer" and find_terms(fact.text, terms):
                fact = Fact(fact.text, "internal", fact.source, fact.ref, fact.terms)
                demoted.append(fact)
            kept.append(fact)
        self.facts = kept
        return demoted
