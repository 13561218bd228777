"""Evaluations of sales-operator: `python -m evals.run` writes `evals/reports/`.

Each section module (`lifecycle`, `scoring`, `meetings`) exposes `run(out_dir, data_dir)`
returning a `Section`: its status, a markdown body, the JSON-ready figures and the plots it
wrote under `out_dir`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "ok", "partial", "skipped"]
"""`pass`/`fail` for sections with hard checks, `ok` for measurements, `skipped` without data."""


@dataclass
class Section:
    """One section of the report."""

    key: str
    """Machine name (`lifecycle`, `scoring`, `meetings`)."""
    title: str
    """Heading in the report."""
    status: Status
    """Overall outcome."""
    markdown: str = ""
    """The section body (tables, notes, image links relative to the report)."""
    results: dict[str, Any] = field(default_factory=dict)
    """The same figures, JSON-ready."""
    figures: list[str] = field(default_factory=list)
    """File names of the plots written next to the report."""
    summary: list[str] = field(default_factory=list)
    """Headline lines for the console."""
    seconds: float = 0.0
    """Wall time the section took."""


def fmt(value: Any, digits: int = 3) -> str:
    """Format a cell: floats rounded, None as an em dash, booleans as pass/fail."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "pass" if value else "**FAIL**"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """Return a markdown table."""
    lines = [
        "| " + " | ".join(h.replace("|", "\\|") for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(v, digits) for v in row) + " |")
    return "\n".join(lines)


def skipped(key: str, title: str, what: str) -> Section:
    """Return a section (or part) that was skipped because `what` is absent."""
    text = f"skipped: data not found at {what}"
    return Section(
        key=key,
        title=title,
        status="skipped",
        markdown=text,
        results={"status": "skipped", "reason": text},
        summary=[f"{title}: {text}"],
    )


def pyplot() -> Any:
    """Return matplotlib's pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
