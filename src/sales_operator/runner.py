"""Driving the operator from code: send events, read the review inbox, decide, resume.

These helpers wrap `graph.invoke` for embedders and the CLI. They validate before they touch
the graph, so a malformed event or decision raises a typed error and leaves the thread as it
was. Each holds the deal's lease (`sales_operator.leases`) while it runs: one writer per deal.
`recover_deal()` finishes a thread that stopped inside `execute_actions`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from langgraph.types import Command

from sales_operator.adapters._records import request_decisions
from sales_operator.approval import (
    already_decided,
    request_id_for,
    unfinished_actions,
    validate_decisions,
)
from sales_operator.context import Context
from sales_operator.errors import ApprovalError, EventError, RecoveryNeededError
from sales_operator.events import (
    CONTINUE_NODE,
    FIRST_REQUEST_PLANS,
    check_event_fits,
    event_id_for,
    validate_event,
)
from sales_operator.leases import DEFAULT_WAIT_S, deal_lease, deps_of
from sales_operator.policy import Policy
from sales_operator.review_ui import read_answer, request_from_interrupt
from sales_operator.state import PATTERN_ORDER, AuditEntry, DealState, Event, Receipt
from sales_operator.thread_view import thread_view

if TYPE_CHECKING:
    from sales_operator.blobs import CollectReport


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


def _deps(graph: Any, deps: Any) -> Any:
    return deps if deps is not None else deps_of(graph)


def send_event(
    graph: Any,
    event: dict[str, Any],
    *,
    deal_id: str | None = None,
    context: Context | None = None,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
    deps: Any = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> dict[str, Any]:
    """Validate `event` and run it on its deal's thread; return the final values.

    Under the deal's lease (one writer per deal): a concurrent writer waits up to `wait_s`,
    then gets `DealBusyError` (retryable, nothing recorded). The same event sent again
    returns the thread's state and runs nothing. If a pattern fails, the thread is put back as
    it was before the event, the failure is recorded in the audit (`event_failed`), the error
    is raised, and the corrected event can be sent.

    Args:
        graph: The compiled operator (with a checkpointer).
        event: `{"type", "at", "payload"}`.
        deal_id: The deal's thread; read from the event when None.
        context: Run-time settings.
        on_update: Called with `(node, update)` as each node finishes (progress).
        deps: The graph's `Deps` (lease, audit); `build_operator()` graphs know theirs.
        wait_s: How long to wait for another writer on the same deal.

    Raises:
        EventError: for a malformed event, or one that does not fit the thread (a second
            lead, an event before the lead, another deal's id), before anything is recorded.
        DealBusyError: when another writer keeps the deal busy for `wait_s`.
        RecoveryNeededError: when the thread stopped inside `execute_actions`; run
            `recover_deal()` (`sales-operator resume DEAL`) first.
    """
    d = _deps(graph, deps)
    policy = getattr(d, "policy", None)
    parsed, payload = validate_event(event, policy.limits if policy is not None else None)
    tid = deal_id or deal_id_of(event)
    event = _externalized(event, d)  # a long transcript never enters a checkpoint
    with deal_lease(getattr(d, "crm", None), tid, wait_s=wait_s):
        config = thread_config(tid)
        before = thread_view(graph, config)
        current = DealState.model_validate(
            {k: v for k, v in (before.values or {}).items() if k != "event"}
        )
        try:
            _, repeated = check_event_fits(current, parsed, payload)
        except EventError:
            # "waits on the first request: decide it" is wrong when it was decided and its
            # actions wait for a recovery: say that instead
            raise_if_recovery(graph, tid, getattr(d, "crm", None), before)
            raise
        if repeated:
            if cut_off_event(before) == event_id_for(tid, parsed):
                # its run was cut off before its request (a closed stream): finish it, once
                values = _run(graph, None, tid, context, on_update)
                sync_inbox_index(graph, tid, deps=d)
                return values
            return dict(before.values)  # the same event again: nothing runs twice
        raise_if_recovery(graph, tid, getattr(d, "crm", None), before)
        try:
            values = _run(graph, {"event": event}, tid, context, on_update)
        except Exception as err:
            _mark_failed(graph, tid, before, parsed, err, d)
            raise
        sync_inbox_index(graph, tid, deps=d)
        return values


_AFTER_DECISION = ("approval_gate", "execute_actions")


def _externalized(event: dict[str, Any], deps: Any) -> dict[str, Any]:
    """Return `event` with a long inline transcript moved to the deps' blob folder.

    The graph's input is written to the first checkpoint of the run, so the move happens
    here, before the graph sees the event; `ingest_event` does the same for plain
    `graph.invoke`. The event keeps its id (`event_id_for` counts a transcript by its blob
    reference either way).
    """
    from sales_operator.blobs import externalize_payload

    blobs = getattr(deps, "blobs", None)
    payload = event.get("payload") if isinstance(event, dict) else None
    if blobs is None or not isinstance(payload, dict):
        return event
    stored = externalize_payload(payload, blobs, min_bytes=deps.policy.limits.blob_min_bytes)
    return event if stored is payload else {**event, "payload": stored}


def _mark_failed(
    graph: Any, deal_id: str, before: Any, event: Event, err: Exception, deps: Any
) -> None:
    """Put a thread whose event failed inside a pattern back as it was, and record why."""
    config = thread_config(deal_id)
    after = graph.get_state(config)
    if any(node in _AFTER_DECISION for node in after.next):
        return  # failed at the gate or the executor: the request or recovery stays visible
    blank = DealState()
    values = {
        name: before.values.get(name, getattr(blank, name)) for name in DealState.model_fields
    }
    graph.update_state(config, values, as_node="execute_actions")
    if deps is not None:
        eid = event_id_for(deal_id, event)
        deps.crm.append_audit(
            deal_id,
            AuditEntry(
                at=datetime.now(UTC),
                actor="system",
                action_id=eid,
                kind=event.type,
                decision="event_failed",
                message=f"{type(err).__name__}: {err}"[:2000],
                request_id=eid,
            ),
        )


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
    return thread_view(graph, config).values


def _interrupt_value(snapshot: Any) -> dict[str, Any] | None:
    for task in snapshot.tasks:
        for intr in task.interrupts:
            request = request_from_interrupt(intr.value)  # either interrupt shape (review_ui)
            if request is not None:
                return request
    return None


def _decisions_on_record(crm: Any, deal_id: str, request_id: str) -> list[AuditEntry]:
    return request_decisions(crm.audit_log(deal_id), request_id)


def _recovery_needed(
    graph: Any, deal_id: str, crm: Any, snapshot: Any = None
) -> dict[str, Any] | None:
    """Return a recovery item when the thread's request is decided but not fully run.

    `snapshot` is the thread as read (`thread_view` or `get_state`); read here when None.
    The deal's audit log is read at most once.
    """
    snapshot = snapshot if snapshot is not None else thread_view(graph, thread_config(deal_id))
    if not snapshot.values:
        return None
    request_id = _current_request_id(snapshot.values)
    if not request_id:
        return None
    interrupted = _interrupt_value(snapshot)
    if cut_off_event(snapshot):
        item = _recovery_item(
            deal_id, request_id, [], "the run of its last event stopped before its request"
        )
        return {**item, "cut_off": True}
    if interrupted is None and _follow_up_stopped(snapshot):
        return _recovery_item(
            deal_id,
            request_id,
            [],
            "the event's deferred patterns (research, drafting after its first request) "
            "stopped before their request",
        )
    log = crm.audit_log(deal_id)
    decided_at_gate = interrupted is not None and bool(request_decisions(log, request_id))
    todo = unfinished_actions(crm, deal_id, request_id, log=log)
    stopped_in_executor = "execute_actions" in snapshot.next and any(
        e.request_id == request_id and e.decision in ("approve", "edit") for e in log
    )
    if not todo and not decided_at_gate and not stopped_in_executor:
        return None
    unfinished = [{"id": e.action_id, "name": e.kind} for e in todo]
    if todo:
        message = f"{len(todo)} approved action(s) not yet run"
    elif decided_at_gate:
        message = "decisions are recorded but the run stopped before applying them"
    else:
        message = "the run stopped before recording its results"
    return _recovery_item(deal_id, request_id, unfinished, message)


def recovery_error(deal_id: str, stuck: dict[str, Any]) -> RecoveryNeededError:
    """Return the error that refuses a new event while `stuck` (a recovery item) waits."""
    return RecoveryNeededError(
        f"deal {deal_id!r}: {stuck['message']}; the event was not recorded",
        deal_id=deal_id,
        action_ids=[a["id"] for a in stuck["unfinished"]],
    )


def raise_if_recovery(graph: Any, deal_id: str, crm: Any, snapshot: Any) -> None:
    """Raise `recovery_error` when approved actions of the thread wait for a recovery.

    A run cut off before its request is not refused here: the event's repeat finishes it.
    Without a CRM (`crm` None) nothing can be checked and nothing is raised.
    """
    if crm is None:
        return
    stuck = _recovery_needed(graph, deal_id, crm, snapshot)
    if stuck is not None and not stuck.get("cut_off"):
        raise recovery_error(deal_id, stuck)


def _recovery_item(
    deal_id: str, request_id: str, unfinished: list[dict[str, Any]], message: str
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "request_id": request_id,
        "recovery": True,
        "unfinished": unfinished,
        "message": f"{message}; run `sales-operator resume {deal_id}`",
        "action_requests": [],
        "review_configs": [],
    }


def _current_request_id(values: dict[str, Any]) -> str:
    """Return the id of the request a thread's values ask (or asked) now."""
    event_id = str(values.get("event_id") or "")
    return request_id_for(event_id, values.get("deferred")) if event_id else ""


def cut_off_event(snapshot: Any) -> str | None:
    """Return the event id whose run stopped short of its request, or None.

    A run whose caller closed its stream early (a client that went away), or that a crash or
    an error stopped in the patterns, leaves the thread checkpointed mid-event: nodes still to
    run, nothing asked. The event is on the thread, so sending it again would count as a
    repeat; `send_event` and the graph's own guard finish the run instead, and
    `pending_request` reports it as a recovery (`recover_deal` finishes it too).
    """
    upcoming = set(snapshot.next)
    if not upcoming or "execute_actions" in upcoming or _follow_up_stopped(snapshot):
        return None  # nothing left, or a recovery of another kind
    if "ingest_event" in upcoming:
        return None  # the event itself was refused (malformed): nothing of it was recorded
    if any(task.interrupts for task in snapshot.tasks):
        return None  # a request waits
    values = snapshot.values or {}
    return str(values.get("event_id") or "") or None


def _follow_up_stopped(snapshot: Any) -> bool:
    """Whether a resumed run stopped in the patterns an event deferred past its first request.

    A resume runs with "sync" durability, so a crash (or a failed pattern) after the first
    request's executor leaves the thread checkpointed before `continue_event` or before a
    deferred pattern, with nothing pending and nothing to ask: `recover_deal` runs the rest.
    """
    upcoming = set(snapshot.next)
    if CONTINUE_NODE in upcoming:
        return True
    values = snapshot.values or {}
    event = values.get("event")
    kind = event.get("type") if isinstance(event, dict) else getattr(event, "type", None)
    first = FIRST_REQUEST_PLANS.get(str(kind))
    plan = set(values.get("plan") or [])
    # the deferred patterns run with the event's first patterns out of the plan
    return bool(first) and bool(upcoming & set(PATTERN_ORDER)) and not plan & set(first or ())


def pending_request(graph: Any, deal_id: str, *, deps: Any = None) -> dict[str, Any] | None:
    """Return what waits on a deal's thread: the approval request, a recovery, or None.

    A thread stopped inside `execute_actions` (or decided but not applied) gives a recovery
    item: `{"recovery": True, "unfinished": [{"id", "name"}], "message": "N approved
    action(s) not yet run; ...", "action_requests": []}`; `recover_deal()` finishes it.
    """
    snapshot = thread_view(graph, thread_config(deal_id))
    d = _deps(graph, deps)
    if d is not None:
        stuck = _recovery_needed(graph, deal_id, d.crm, snapshot)
        if stuck is not None:
            return stuck
    return _interrupt_value(snapshot)


def resume_deal(
    graph: Any,
    deal_id: str,
    decisions: dict[str, Any],
    *,
    policy: Policy,
    reviewer: str = "reviewer",
    context: Context | None = None,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
    deps: Any = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> dict[str, Any]:
    """Check `decisions` against the pending request, then resume the deal's thread.

    Under the deal's lease. `decisions` may carry the `request_id` it answers (the CLI sends
    it); an answer to a request someone else decided raises "already decided by X at T".

    Raises:
        ApprovalError: when nothing is pending, the request was already decided, a reviewer is
            unknown or not allowed, or the decisions are malformed; nothing changes.
        RecoveryNeededError: when the thread must be recovered first (`recover_deal`).
        DealBusyError: when another writer keeps the deal busy for `wait_s`.
    """
    d = _deps(graph, deps)
    with deal_lease(getattr(d, "crm", None), deal_id, wait_s=wait_s):
        request = pending_request(graph, deal_id, deps=d)
        answered = decisions.get("request_id") if isinstance(decisions, dict) else None
        if d is not None:
            asked = answered
            if asked is None and (request is None or request.get("recovery")):
                values = graph.get_state(thread_config(deal_id)).values or {}
                asked = _current_request_id(values) or None
            pending_id = request.get("request_id") if request else None
            recorded = _decisions_on_record(d.crm, deal_id, asked) if asked else []
            if recorded and (asked != pending_id or (request or {}).get("recovery")):
                raise ApprovalError(already_decided(recorded) + "; this answer changed nothing")
        if request is None:
            raise ApprovalError(f"deal {deal_id!r} has no pending approval request")
        if request.get("recovery"):
            raise RecoveryNeededError(
                f"deal {deal_id!r}: {request['message']}",
                deal_id=deal_id,
                action_ids=[a["id"] for a in request["unfinished"]],
            )
        authorize = d.authorizer() if d is not None else None
        validate_decisions(
            request,
            read_answer(request, decisions),
            policy=policy,
            reviewer=reviewer,
            authorize=authorize,
        )
        ctx = context or Context(reviewer=reviewer)
        values = _run(graph, Command(resume=decisions), deal_id, ctx, on_update)
        sync_inbox_index(graph, deal_id, deps=d)
        return values


def recover_deal(
    graph: Any,
    deal_id: str,
    *,
    context: Context | None = None,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
    deps: Any = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> dict[str, Any]:
    """Finish a deal whose run stopped after its decisions were recorded.

    Runs only the approved actions of the thread's current request that have no final
    receipt (none, or `retryable`), each once; decisions recorded at the gate but not applied
    are applied as recorded. Nothing else is decided or run.

    Raises:
        ApprovalError: when there is nothing to recover.
        DealBusyError: when another writer keeps the deal busy for `wait_s`.
    """
    d = _deps(graph, deps)
    if d is None:
        raise ApprovalError("recover_deal needs the graph's deps (pass deps=...)")
    with deal_lease(d.crm, deal_id, wait_s=wait_s):
        config = thread_config(deal_id)
        snapshot = graph.get_state(config)
        stuck = _recovery_needed(graph, deal_id, d.crm, snapshot)
        if stuck is None:
            raise ApprovalError(f"deal {deal_id!r}: nothing to recover")
        ctx = context or Context()
        interrupted = _interrupt_value(snapshot)
        if (
            "execute_actions" in snapshot.next
            or _follow_up_stopped(snapshot)
            or stuck.get("cut_off")
        ):
            values = _run(graph, None, deal_id, ctx, on_update)
        elif interrupted is not None:
            recorded = {
                e.action_id: e for e in _decisions_on_record(d.crm, deal_id, stuck["request_id"])
            }
            payload = {
                "decisions": [_as_decision(recorded, a) for a in interrupted["action_requests"]]
            }
            values = _run(graph, Command(resume=payload), deal_id, ctx, on_update)
        else:
            graph.update_state(config, None, as_node="approval_gate")
            values = _run(graph, None, deal_id, ctx, on_update)
        sync_inbox_index(graph, deal_id, deps=d)
        return values


def _as_decision(recorded: dict[str, AuditEntry], action: dict[str, Any]) -> dict[str, Any]:
    entry = recorded.get(action["id"])
    if entry is None:
        raise ApprovalError(
            f"action {action['id']} has no recorded decision; answer the request instead"
        )
    decision: dict[str, Any] = {"type": entry.decision, "reviewer": entry.actor}
    if entry.decision == "edit":
        decision["edited_action"] = {"name": entry.kind, "args": entry.edited_args or {}}
    if entry.message is not None:
        decision["message"] = entry.message
    return decision


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


def _index_of(deps: Any) -> Any:
    """Return the CRM that keeps the inbox index (`index_request` and friends), or None."""
    crm = getattr(deps, "crm", None)
    methods = ("index_request", "indexed_requests", "unindex_request")
    return crm if all(callable(getattr(crm, m, None)) for m in methods) else None


def sync_inbox_index(graph: Any, deal_id: str, *, deps: Any = None) -> None:
    """Drop the deal's inbox-index entry when nothing waits on its thread any more.

    The runner calls it after each run under the deal's lease, once the run's checkpoints
    are written; `inbox()` does the same for every entry it finds stale (a run driven by
    plain `graph.invoke`, or a crash after the gate wrote the entry). An entry is removed
    only by the token it was read with, so a request indexed meanwhile stays.
    """
    d = _deps(graph, deps)
    crm = _index_of(d)
    if crm is None:
        return
    for entry in crm.indexed_requests(deal_id):
        if pending_request(graph, deal_id, deps=d) is None:
            crm.unindex_request(deal_id, entry["token"])


def _scan(graph: Any, checkpointer: Any, deps: Any) -> Iterator[InboxItem]:
    for tid in list_thread_ids(checkpointer):
        request = pending_request(graph, tid, deps=deps)
        if request is not None:
            yield InboxItem(deal_id=tid, request=request)


def inbox(
    graph: Any, checkpointer: Any, *, deps: Any = None, scan: bool = False
) -> Iterator[InboxItem]:
    """Yield the pending approval requests (and recoveries) across every deal.

    With a CRM that keeps the inbox index (`SQLiteCRM`), only the indexed deals are read
    (the gate indexes each request before it interrupts), so the cost follows the number of
    pending requests, not of deals or checkpoints; entries found stale are removed. Each
    item is still read from the deal's thread, so the inbox shows exactly what `scan` would.

    Args:
        graph: The compiled operator.
        checkpointer: Its checkpointer (read only when scanning).
        deps: The graph's `Deps`; `build_operator()` graphs know theirs.
        scan: Read every thread instead, and index what is pending (a repair, or for
            stores written before the index existed). Always the case without an index.
    """
    d = _deps(graph, deps)
    crm = _index_of(d)
    if crm is None:
        yield from _scan(graph, checkpointer, d)
        return
    if scan:
        before = crm.indexed_requests()  # entries indexed during the scan are kept
        indexed = {e["deal_id"] for e in before}
        found = list(_scan(graph, checkpointer, d))
        for item in found:
            if item.deal_id not in indexed:
                request_id = item.request.get("request_id") or ""
                crm.index_request(item.deal_id, str(request_id))
        pending = {item.deal_id for item in found}
        for entry in before:
            if entry["deal_id"] not in pending:
                crm.unindex_request(entry["deal_id"], entry["token"])
        yield from found
        return
    for entry in crm.indexed_requests():
        request = pending_request(graph, entry["deal_id"], deps=d)
        if request is None:
            crm.unindex_request(entry["deal_id"], entry["token"])  # stale: nothing waits
            continue
        yield InboxItem(deal_id=entry["deal_id"], request=request)


def blob_references(checkpointer: Any, crm: Any = None) -> set[str]:
    """Return every blob reference the checkpoints (all threads, all versions) and audit hold.

    Reads every checkpoint of every thread and namespace, with its pending writes and
    metadata, and the whole audit log: for `collect_blobs`, not for a request path. On
    SQLite and Postgres the stored rows are scanned once, no state rebuilt.
    """
    return _blob_references(checkpointer, crm)[0]


def _blob_references(checkpointer: Any, crm: Any) -> tuple[set[str], int]:
    """Return the references `blob_references` finds, and how many checkpoints it read.

    SQLite and Postgres savers are read row by row without rebuilding states
    (`blob_scan.checkpoint_references`); any other saver through its `list(None)`.
    """
    from sales_operator.blob_scan import checkpoint_references, rebuilt_references
    from sales_operator.blobs import references_in

    found: set[str] = set()
    checkpoints = checkpoint_references(checkpointer, found)
    if checkpoints is None:
        checkpoints = rebuilt_references(checkpointer, found)
    if callable(getattr(crm, "audit_blob_references", None)):
        found |= crm.audit_blob_references()  # the stored text, no entry validated
    elif crm is not None and callable(getattr(crm, "audit_log", None)):
        for entry in crm.audit_log():
            references_in(entry, found)
    return found, checkpoints


def collect_blobs(
    graph: Any = None,
    *,
    deps: Any = None,
    checkpointer: Any = None,
    grace_s: float | None = None,
    dry_run: bool = True,
) -> CollectReport:
    """Find, and with `dry_run=False` delete, blobs that no checkpoint or audit entry references.

    An executor that crashes between storing an action's text and writing the checkpoint
    that references it leaves such a blob behind (so does a failed event's transcript).
    Only blobs older than `grace_s` are collected, so a running executor's fresh blob is
    never taken: run it from cron, like `sales-operator gc --delete`.

    Args:
        graph: The compiled operator (its deps and checkpointer are used when not given).
        deps: The `Deps` whose blob folder and CRM are read.
        checkpointer: Where the checkpoints are (`deps.checkpointer()` by default).
        grace_s: Minimum age of a blob to collect (`blobs.DEFAULT_GRACE_S`, a day).
        dry_run: Only report (the default).

    Raises:
        ConfigurationError: when the deps have no blob folder, or when deleting while the
            checkpointer holds no checkpoint at all but the folder holds blobs (the wrong
            store: the LangGraph server's own, say; deleting would take every blob).
    """
    from sales_operator.blobs import DEFAULT_GRACE_S
    from sales_operator.errors import ConfigurationError

    d = _deps(graph, deps) if graph is not None else deps
    blobs = getattr(d, "blobs", None)
    if blobs is None:
        raise ConfigurationError("collect_blobs needs deps with a blob folder (Deps.blobs)")
    if checkpointer is None:
        checkpointer = getattr(graph, "checkpointer", None) or d.checkpointer()
    grace = DEFAULT_GRACE_S if grace_s is None else grace_s
    now = time.time()  # the grace period counts from before the references are read
    referenced, checkpoints = _blob_references(checkpointer, getattr(d, "crm", None))
    if not dry_run and checkpoints == 0 and next(iter(blobs.iter_blobs()), None) is not None:
        raise ConfigurationError(
            f"the checkpointer holds no checkpoint, but {blobs.root} holds blobs: is it the "
            "store the graph runs on? Nothing was deleted; pass the graph's checkpointer"
        )
    report: CollectReport = blobs.collect(referenced, grace_s=grace, dry_run=dry_run, now=now)
    return report


def deal_state(graph: Any, deal_id: str) -> DealState:
    """Return a deal's state as a validated `DealState`."""
    values = graph.get_state(thread_config(deal_id)).values
    if not values:
        raise ApprovalError(f"no thread for deal {deal_id!r}")
    return DealState.model_validate(values)


def deal_receipts(graph: Any, deal_id: str, *, deps: Any = None) -> list[Receipt]:
    """Return a deal's receipts, oldest first, from the CRM (the state holds only their keys).

    Args:
        graph: The compiled operator (its `Deps` are used when `deps` is None).
        deal_id: The deal.
        deps: The graph's `Deps`; `build_operator()` graphs know theirs.

    Raises:
        ApprovalError: when the graph has no deps to read the CRM from.
    """
    crm = _crm_of(graph, deps)
    if hasattr(crm, "list_receipts"):
        return list(crm.list_receipts(deal_id))
    keys = [a.idempotency_key for a in deal_state(graph, deal_id).proposed_actions]
    found = [r for r in (crm.get_receipt(k) for k in keys) if r is not None]
    return sorted(found, key=lambda r: r.executed_at)


def deal_audit(graph: Any, deal_id: str, *, deps: Any = None) -> list[AuditEntry]:
    """Return a deal's audit trail, oldest first, from the CRM (`crm.audit_log(deal_id)`).

    Raises:
        ApprovalError: when the graph has no deps to read the CRM from.
    """
    return list(_crm_of(graph, deps).audit_log(deal_id))


def _crm_of(graph: Any, deps: Any) -> Any:
    d = _deps(graph, deps)
    crm = getattr(d, "crm", None)
    if crm is None:
        raise ApprovalError(
            "the graph has no deps to read receipts and audit from: pass deps=, or build the "
            "graph with build_operator(deps)"
        )
    return crm
