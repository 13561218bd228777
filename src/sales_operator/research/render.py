"""The brief as markdown (about four minutes of reading: the policy's `max_words`)."""

from __future__ import annotations

from collections.abc import Sequence

from sales_operator.state import AccountBrief, BriefClaim, BriefSection

TITLES: dict[str, str] = {
    "overview": "Overview",
    "recent_changes": "Recent changes",
    "stakeholders": "Stakeholders",
    "priorities": "Priorities",
    "objections": "Likely objections",
    "questions": "Questions for the first call",
    "deal": "The deal",
    "call": "The call",
    "account": "The account",
}
"""Section headings."""


def claim_line(claim: BriefClaim) -> str:
    """Return one bullet: the claim, its date and its source ids."""
    when = f" ({claim.date.isoformat()})" if claim.date else ""
    ids = ", ".join(dict.fromkeys(c.source for c in claim.citations))
    return f"- {claim.text}{when} [{ids}]"


def body_lines(sections: Sequence[BriefSection]) -> list[str]:
    """Return the sections as markdown lines (empty sections say so)."""
    lines: list[str] = []
    for section in sections:
        lines += ["", f"## {TITLES.get(section.name, section.name.replace('_', ' ').title())}"]
        lines += [claim_line(c) for c in section.claims] or ["- (nothing found)"]
    return lines


def markdown_words(header: str, sections: Sequence[BriefSection]) -> int:
    """Return how many words the header and sections make (the sources list not counted)."""
    return len(" ".join([header, *body_lines(sections)]).split())


def render_markdown(brief: AccountBrief) -> str:
    """Return the brief as markdown: header, sections, sources, what was missing."""
    lines = [
        f"# {brief.account}: account brief as of {brief.as_of.isoformat()}",
        "",
        f"_Engine: {brief.engine}. {len(brief.sources)} sources cited"
        + (f", {brief.searches} web searches" if brief.searches else "")
        + "._",
    ]
    lines += body_lines(brief.sections)
    if brief.sources:
        lines += ["", "## Sources"]
        for s in brief.sources:
            when = f", {s.date.isoformat()}" if s.date else ""
            lines.append(f"- [{s.id}] {s.title} ({s.kind}{when}): {s.location}")
    if brief.dropped:
        dropped = ", ".join(f"{k} {v}" for k, v in brief.dropped.items())
        lines += ["", f"_Dropped claims: {dropped}._"]
    if brief.missing:
        lines += ["", "_Not found: " + "; ".join(brief.missing) + "._"]
    return "\n".join(lines) + "\n"
