"""Driving the operator from code: send events, read the review inbox, decide, resume.

These helpers wrap `graph.invoke` for embedders and the CLI. They validate before they touch
the graph, so a malformed event or decision raises a typed error and leaves the thread as it
was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from langgraph.types import Command

from sales_operator.approval import validate_decisions
from sales_operator.context import Context
from sales_operator.errors import ApprovalError
from sales_operator.events import parse_event
from sales_operator.policy import Policy
from sales_operator.review_ui import read_answer, request_from_interrupt
from sales_operator.state import DealState


def thread_config(deal_id: str) -> dict[str, Any]:
    """Return the run config for a deal's thread."""
    return {"configurable": {"thread_id": deal_id}}


def deal_id_of(event: dict[str, Any]) -> str:
    """Return the deal id an event belongs to (the payload's deal, or `payload.deal_id`)."""
    payload = event.get("payload") or {}
    if event.get("type") == "lead_created":
        deal = payload.get("deal") or {}
        return str(deal.get("id", ""))
    return str(payload.get("deal_id", ""))


def send_event(
    graph: Any,
    event: dict[str, Any],
    *,
    deal_id: str | None = None,
    context: Context | None = None,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Validate `event` and run it on its deal's thread; return the final values.

    Args:
        graph: The compiled operator (with a checkpointer).
        event: `{"type", "at", "payload"}`.
        deal_id: The deal's thread; read from the event when None.
        context: Run-time settings.
        on_update: Called with `(node, update)` as each node finishes (progress).

    Raises:
        EventError: for a malformed event, before the graph runs.
    """
    parse_event(event)
    tid = deal_id or deal_id_of(event)
    payload = {"event": event}
    return _run(graph, payload, tid, context, on_update)


def _run(
    graph: Any,
    payload: Any,
    deal_id: str,
    context: Context | None,
    on_update: Callable[[str, dict[str, Any]], None] | None,
) -> dict[str, Any]:
    config = thread_config(deal_id)
    for chunk in graph.stream(
        payload, config, context=context or Context(), stream_mode="updates", subgraphs=False
    ):
        if on_update is None:
            continue
        for node, update in chunk.items():
            on_update(node, update if isinstance(update, dict) else {"value": update})
    return dict(graph.get_state(config).values)


def pending_request(graph: Any, deal_id: str) -> dict[str, Any] | None:
    """Return the approval request waiting on a deal's thread, or None."""
    snapshot = graph.get_state(thread_config(deal_id))
    for task in snapshot.tasks:
        for intr in task.interrupts:
            request = request_from_interrupt(intr.value)  # either interrupt shape (review_ui)
            if request is not None:
                return request
    return None


def resume_deal(
    graph: Any,
    deal_id: str,
    decisions: dict[str, Any],
    *,
    policy: Policy,
    reviewer: str = "reviewer",
    context: Context | None = None,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Check `decisions` against the pending request, then resume the deal's thread.

    Raises:
        ApprovalError: when nothing is pending or the decisions are malformed; the request
            stays pending and nothing runs.
    """
    request = pending_request(graph, deal_id)
    if request is None:
        raise ApprovalError(f"deal {deal_id!r} has no pending approval request")
    validate_decisions(request, read_answer(request, decisions), policy=policy, reviewer=reviewer)
    ctx = context or Context(reviewer=reviewer)
    return _run(graph, Command(resume=decisions), deal_id, ctx, on_update)


@dataclass(frozen=True)
class InboxItem:
    """One pending approval request."""

    deal_id: str
    """The deal (thread)."""
    request: dict[str, Any]
    """The interrupt's value: `action_requests`, `review_configs`, ..."""


def list_thread_ids(checkpointer: Any) -> list[str]:
    """Return every thread id the checkpointer holds."""
    seen: dict[str, None] = {}
    for item in checkpointer.list(None):
        tid = item.config.get("configurable", {}).get("thread_id")
        if tid and item.config.get("configurable", {}).get("checkpoint_ns", "") == "":
            seen.setdefault(str(tid), None)
    return sorted(seen)


def inbox(graph: Any, checkpointer: Any) -> Iterator[InboxItem]:
    """Yield the pending approval requests across every deal."""
    for tid in list_thread_ids(checkpointer):
        request = pending_request(graph, tid)
        if request is not None:
            yield InboxItem(deal_id=tid, request=request)


def deal_state(graph: Any, deal_id: str) -> DealState:
    """Return a deal's state as a validated `DealState`."""
    values = graph.get_state(thread_config(deal_id)).values
    if not values:
        raise ApprovalError(f"no thread for deal {deal_id!r}")
    return DealState.model_validate(values)
