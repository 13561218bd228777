"""Context: the run-time knobs a person can edit (in Studio, or per `invoke`).

Only JSON values live here; adapter objects live in `Deps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Context:
    """Per-run settings, passed as `context=` to `invoke` or edited in Studio."""

    reviewer: str = field(
        default="reviewer",
        metadata={"description": "Name recorded in the audit trail for decisions of this run."},
    )
    offline: bool = field(
        default=False,
        metadata={
            "description": "Force the deterministic offline engine even when a model is set."
        },
    )
