"""Refuse a new event while a lead's first request waits, before the graph records anything.

Under the policy's `speed_to_lead`, a new lead's first request (owner and rep notice) waits
for a decision with the lead's research and drafting deferred (`DealState.deferred`); a new
event on that deal must wait for it (`events.check_event_fits` raises `EventError`).
`runner.send_event` checks this before it runs the graph. A plain `graph.invoke` (Studio,
the LangGraph server, an embedder) reached the same check only inside `ingest_event`, after
LangGraph had written the run's input to the thread: the refused event became the thread's
latest checkpoint and the waiting request dropped out of `pending_request` and `inbox` until
the lead was sent again.

`with_event_guard(..., first_requests=True)` (graphs built with `speed_to_lead` on) gives
the compiled operator a `stream`/`astream` (and so `invoke`/`ainvoke`) that reads the
thread's last checkpoint first when the input is an event, and raises the same `EventError`
there, so nothing is recorded and the request stays waiting and answerable. A thread that
waits on nothing (`deferred` empty: every thread in the default single-request policy, where
a new event joins the waiting actions into its own request) runs as before.

Every operator graph gets `guard_event`, for the two other ways a plain event run used to
lose work:

- approved actions wait for a recovery (a transient failure): the new event is refused with
  `RecoveryNeededError`, as `send_event` refuses it, before anything is recorded;
- the thread's last event run was cut off before its request (its stream closed early): the
  same event sent again finishes that run instead of counting as a repeat that runs nothing
  (`runner.cut_off_event`). A different event runs as before.

All of these checks share one read of the thread per event run (`thread_view`: the saver's
`get_tuple` of the last checkpoint, about a third of a `get_state`); a resume or a recovery
reads nothing here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, TypeVar

from langgraph.types import Command

from sales_operator._subclass import with_subclass

G = TypeVar("G")

_CHECKPOINTER_KEY = "__pregel_checkpointer"  # LangGraph's CONFIG_KEY_CHECKPOINTER (server)


def _event_of(input: Any) -> Any:
    """Return the event an operator run's input carries, or None (a resume, a recovery)."""
    if input is None or isinstance(input, Command):
        return None
    if isinstance(input, Mapping):
        return input.get("event")
    return getattr(input, "event", None)


def _saver(graph: Any, config: Any) -> Any:
    configurable = (config or {}).get("configurable") or {}
    if not configurable.get("thread_id") or configurable.get("checkpoint_ns"):
        return None  # no thread to read, or a nested run (its parent was checked)
    saver = configurable.get(_CHECKPOINTER_KEY) or graph.checkpointer
    return saver if saver not in (None, False, True) else None


def _refuse(values: Mapping[str, Any], event: Any, limits: Any) -> None:
    """Raise `EventError` if the thread waits on a first request and `event` is a new one."""
    if not values.get("deferred"):
        return
    from sales_operator.events import _current_state, check_event_fits, validate_event

    parsed, payload = validate_event(event, limits)
    check_event_fits(_current_state(values), parsed, payload)  # a repeat passes


def _left_to_run(values: Mapping[str, Any]) -> bool:
    """Whether an action of the state is approved but not run, or failed retryably."""
    for action in values.get("proposed_actions") or ():
        status = action.get("status") if isinstance(action, Mapping) else action.status
        if status in ("approved", "retryable"):
            return True
    return False


def _raise_if_recovery(graph: Any, snapshot: Any) -> None:
    """Raise `RecoveryNeededError` when approved actions of the thread wait for a recovery."""
    from sales_operator.leases import deps_of
    from sales_operator.runner import raise_if_recovery

    configurable = snapshot.config.get("configurable", {})
    deal_id = str(snapshot.values.get("deal_id") or configurable.get("thread_id") or "")
    raise_if_recovery(graph, deal_id, getattr(deps_of(graph), "crm", None), snapshot)


def _unfinished(graph: Any, input: Any, snapshot: Any, limits: Any) -> Any:
    """Return the input to run on a thread whose `snapshot` is read (see the module)."""
    if not snapshot.next and not _left_to_run(snapshot.values):
        return input  # the thread's last run finished and left nothing approved to run
    from sales_operator.events import _current_state, check_event_fits, validate_event
    from sales_operator.runner import cut_off_event

    _raise_if_recovery(graph, snapshot)
    cut = cut_off_event(snapshot)
    if cut is None:
        return input
    from sales_operator.events import event_id_for

    parsed, payload = validate_event(_event_of(input), limits)
    fits_id, repeated = check_event_fits(_current_state(snapshot.values), parsed, payload)
    return None if repeated and event_id_for(fits_id, parsed) == cut else input


def guard_event(
    graph: Any, input: Any, config: Any, limits: Any = None, *, first_requests: bool = False
) -> Any:
    """Return the input an event run should run with, or raise before anything is recorded.

    Reads the thread once (`thread_view`) for every check.

    Raises:
        EventError: with `first_requests`, the deal waits on its lead's first request and the
            event is not a repeat of one the thread holds; or the event is malformed or does
            not fit the thread (checked here only in those two cases; otherwise
            `ingest_event` checks it).
        RecoveryNeededError: approved actions of the thread's request wait for a recovery.
    """
    if _event_of(input) is None or _saver(graph, config) is None:
        return input
    from sales_operator.thread_view import thread_view

    snapshot = thread_view(graph, config)
    return _checked(graph, input, snapshot, limits, first_requests)


async def aguard_event(
    graph: Any, input: Any, config: Any, limits: Any = None, *, first_requests: bool = False
) -> Any:
    """Async `guard_event` (reads the thread with `aget_state`)."""
    if _event_of(input) is None or _saver(graph, config) is None:
        return input
    snapshot = await graph.aget_state(config)
    return _checked(graph, input, snapshot, limits, first_requests)


def _checked(graph: Any, input: Any, snapshot: Any, limits: Any, first_requests: bool) -> Any:
    """Run the guard's checks on the thread as read (`snapshot`); return the run's input."""
    if not snapshot.values:
        return input
    if first_requests and snapshot.values.get("deferred"):  # a lead's first request waits
        if snapshot.next or _left_to_run(snapshot.values):
            # its decided actions wait for a recovery: say that, not "decide it" (it was)
            _raise_if_recovery(graph, snapshot)
        _refuse(snapshot.values, _event_of(input), limits)
    return _unfinished(graph, input, snapshot, limits)


def with_event_guard(compiled: G, *, limits: Any = None, first_requests: bool = False) -> G:
    """Give a compiled operator graph `guard_event` before each event run (see the module).

    The graph's class is swapped for a subclass whose `stream`/`astream` (and so `invoke`/
    `ainvoke`) call it before the run starts. `first_requests` (the policy's
    `speed_to_lead`) adds the first-request check to the same read. Nothing else changes.
    """
    base: Any = type(compiled)

    def stream(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
        run_input = guard_event(self, input, config, limits, first_requests=first_requests)
        chunks: Iterator[Any] = base.stream(self, run_input, config, **kwargs)
        return chunks

    async def astream(
        self: Any, input: Any, config: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        run_input = await aguard_event(self, input, config, limits, first_requests=first_requests)
        async for chunk in base.astream(self, run_input, config, **kwargs):
            yield chunk

    return with_subclass(compiled, "_event_guard", {"stream": stream, "astream": astream})
