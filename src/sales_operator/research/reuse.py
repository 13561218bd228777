"""What the copilot may reuse from a brief in a customer email.

Only verified public claims qualify: claims in `overview` or `recent_changes` whose every
citation is a document (a filing) or a web page, written as a complete sentence, not flagged as
an injection, and relevant to the seller's product profile. CRM facts never do: what a customer
told us, or what we lost a deal over, is not ours to repeat back.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.policy import ProductProfile
from sales_operator.research.text import is_boilerplate, is_injection, stem_set
from sales_operator.state import AccountBrief, BriefClaim, BriefSource

REUSABLE_SECTIONS: tuple[str, ...] = ("overview", "recent_changes")
"""The sections whose claims may appear in a customer draft."""

PUBLIC_KINDS: tuple[str, ...] = ("document", "web")
"""Source kinds that are public (filings and other documents, web pages)."""


class ReusableClaim(BaseModel):
    """A brief claim a customer draft may quote, with its attribution."""

    model_config = ConfigDict(extra="forbid")

    text: str
    """The claim as the brief holds it (a complete sentence)."""
    attributed: str
    """The claim as one complete sentence naming its source, ready for a draft."""
    section: str
    """`overview` or `recent_changes`."""
    claim: BriefClaim
    """The brief's claim, with its verified quotes."""
    sources: list[BriefSource] = Field(default_factory=list)
    """The public sources it cites."""
    matched: list[str] = Field(default_factory=list)
    """Product-profile words (stems) it mentions: why it is relevant."""


_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]urs?|us|[Mm]y)\b")  # "US" is the country
_COMPLETE = re.compile(r"^[\"'(]?[A-Z0-9$]")


def is_complete_sentence(text: str) -> bool:
    """Return True when `text` reads as one complete sentence.

    It starts with a capital or digit, ends with `.`, `!` or `?`, has at least six words and
    was not cut short (no ellipsis).
    """
    text = text.strip()
    closed = text.rstrip("\"')\u201d\u2019")
    return (
        bool(_COMPLETE.match(text))
        and closed.endswith((".", "!", "?"))
        and "…" not in text
        and not text.endswith("...")
        and len(text.split()) >= 6
    )


def profile_stems(profile: ProductProfile) -> set[str]:
    """Return the stems of the profile's keywords and problems (what makes a claim relevant)."""
    return stem_set(" ".join([*profile.keywords, *profile.problems]))


def attribute(text: str, sources: list[BriefSource]) -> str:
    """Return `text` as one sentence that names its first source (and the source's date)."""
    body = text.strip().rstrip(".!?")
    if not sources:
        return f"{body}."
    first = sources[0]
    when = f", {first.date:%B %Y}" if first.date else ""
    return f"{body} (source: {first.title}{when})."


def customer_safe_claims(
    brief: AccountBrief | None, profile: ProductProfile
) -> list[ReusableClaim]:
    """Return the brief's claims a customer draft may use, most relevant first.

    A claim qualifies when it sits in `overview` or `recent_changes`, every one of its
    citations points to a public source (`document` or `web`, never `crm`), it is a complete
    sentence, it is neither boilerplate nor an instruction aimed at an AI, and it mentions at
    least one word of the product profile's keywords or problems (the account's own name does
    not count).

    Args:
        brief: The account brief (None: no claims).
        profile: The seller's product profile (`Policy.research.product_profile`).

    Claims in the first person ("our rates") are left out: in a draft they would read as
    the seller's own words.

    Returns:
        The qualifying claims, those naming the account first, then by how many profile words
        they mention, then brief order; each with a ready, attributed sentence.
    """
    if brief is None:
        return []
    wanted = profile_stems(profile)
    # "Acme Freight" does not make a claim about freight: the name itself is left out
    own = re.compile(re.escape(brief.account), re.I) if brief.account else re.compile(r"(?!)")
    sources = {s.id: s for s in brief.sources}
    ranked: list[tuple[bool, int, int, ReusableClaim]] = []
    order = 0
    for section in brief.sections:
        if section.name not in REUSABLE_SECTIONS:
            continue
        for claim in section.claims:
            order += 1
            cited = [sources.get(c.source) for c in claim.citations]
            if not cited or any(s is None or s.kind not in PUBLIC_KINDS for s in cited):
                continue
            public = [s for s in cited if s is not None]
            text = claim.text.strip()
            if not is_complete_sentence(text) or is_boilerplate(text) or is_injection(text):
                continue
            if _FIRST_PERSON.search(text):  # "our rates" would read as the seller's own
                continue
            if any(is_injection(c.quote) for c in claim.citations):
                continue
            matched = sorted(stem_set(own.sub(" ", text)) & wanted)
            if not matched:
                continue
            reusable = ReusableClaim(
                text=text,
                attributed=attribute(text, public),
                section=section.name,
                claim=claim,
                sources=public,
                matched=matched,
            )
            named = bool(own.search(text))
            ranked.append((not named, -len(matched), order, reusable))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]
