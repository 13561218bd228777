"""Verification: a claim stays only if the code finds its quotes in the cited sources.

Both engines go through `verify_claim`. A claim is kept when:

- it is one complete sentence (capital or digit first, final stop, no ellipsis);
- it has at least one citation, and every citation names a known source;
- every quote has at least `MIN_QUOTE_WORDS` words and is found verbatim in the cited source
  (after normalising whitespace, quote marks and dashes);
- every number in the claim, and every capitalised name after its first word, appears in one
  of its quotes (the account's own name and the brief's field words excepted);
- neither the claim nor a quote is boilerplate or addresses an AI (an injection).

Dropped claims are counted by reason (`DROP_REASONS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sales_operator.research.reuse import is_complete_sentence
from sales_operator.research.sources import Source
from sales_operator.research.text import is_boilerplate, is_injection, normalise, numbers
from sales_operator.state import BriefClaim

MIN_QUOTE_WORDS = 5
"""A quote shorter than this proves nothing."""

DROP_REASONS: tuple[str, ...] = (
    "incomplete_sentence",
    "no_citation",
    "unknown_source",
    "short_quote",
    "quote_not_found",
    "unsupported_number",
    "unsupported_name",
    "boilerplate",
    "injection",
    "duplicate",
)
"""Why a claim can be dropped."""

_NAME = re.compile(r"\b[A-Z][A-Za-z0-9&'\-]*(?:\.[A-Z])*\b")
_COMMON = frozenset(
    """A An The This That These Those It Its In On At For Of And Or But As By To With From
    We Our Ask How What Who When Where Why Which Would Could Should Is Are Was Were Has Have
    Do Does Did Will Can May If I""".split()
)


def _names(text: str) -> list[str]:
    words = _NAME.findall(text)
    # the first word of the sentence is capitalised anyway
    first = text.strip().split(" ", 1)[0].strip("\"'(“")
    return [w for i, w in enumerate(words) if w not in _COMMON and not (i == 0 and w == first)]


def verify_claim(
    claim: BriefClaim, sources: Mapping[str, Source], *, allowed_names: Iterable[str] = ()
) -> str | None:
    """Return why `claim` must be dropped, or None when every check passes.

    Args:
        claim: The claim with its `{source, quote}` citations.
        sources: The brief's sources by id.
        allowed_names: Words a claim may use without quoting them (the account's name, the
            product profile's words used by templated questions).
    """
    text = normalise(claim.text)
    if not is_complete_sentence(text):
        return "incomplete_sentence"
    if not claim.citations:
        return "no_citation"
    quotes: list[str] = []
    for citation in claim.citations:
        source = sources.get(citation.source.strip().strip("[]").upper())
        if source is None:
            return "unknown_source"
        quote = normalise(citation.quote)
        if len(quote.split()) < MIN_QUOTE_WORDS:
            return "short_quote"
        if not source.contains(quote):
            return "quote_not_found"
        if is_injection(quote):
            return "injection"
        if is_boilerplate(quote):
            return "boilerplate"
        quotes.append(quote)
    if is_injection(text):
        return "injection"
    if is_boilerplate(text):
        return "boilerplate"
    quoted = " ".join(quotes)
    quoted_numbers = set(numbers(quoted))
    if any(n not in quoted_numbers for n in numbers(text)):
        return "unsupported_number"
    allowed = {w.lower() for name in allowed_names for w in re.findall(r"[A-Za-z0-9&'\-]+", name)}
    lowered = quoted.lower()
    for name in _names(text):
        bare = re.sub(r"'s$", "", name.lower())
        if bare not in lowered and bare not in allowed:
            return "unsupported_name"
    return None
