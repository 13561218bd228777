"""Building proposed actions. Patterns call `propose()`; nothing here has side effects."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sales_operator.state import ACTION_KINDS, DealState, PatternName, ProposedAction

NEW_LEAD_NOTICE = "new_lead_notice"
"""Discriminator of the action that tells the assigned rep about a new lead; its execution
stops the assignment's speed-to-lead timer."""


def idempotency_key(deal_id: str, event_id: str, kind: str, discriminator: str = "") -> str:
    """Return a stable key for one action of one event on one deal."""
    raw = json.dumps([deal_id, event_id, kind, discriminator])
    return f"{kind}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def propose(
    state: DealState,
    *,
    kind: str,
    args: dict[str, Any],
    description: str,
    proposed_by: PatternName,
    discriminator: str = "",
) -> ProposedAction:
    """Build a pending `ProposedAction` for the current event.

    Args:
        state: The deal state (gives the deal id and the current event id).
        kind: One of `ACTION_KINDS`.
        args: Arguments for the executor (JSON values only).
        description: What the action does, for the reviewer.
        proposed_by: The pattern proposing it.
        discriminator: Tells apart two actions of the same kind from one event
            (for example the task title).

    Raises:
        ValueError: for an unknown action kind.
    """
    if kind not in ACTION_KINDS:
        raise ValueError(f"unknown action kind {kind!r}; known kinds are {list(ACTION_KINDS)}")
    key = idempotency_key(state.deal_id, state.event_id, kind, discriminator)
    json.dumps(args)  # fail early on arguments that cannot be stored
    return ProposedAction(
        id=key,
        kind=kind,
        args=args,
        description=description,
        proposed_by=proposed_by,
        event_id=state.event_id,
        idempotency_key=key,
    )
