"""A thread's latest checkpoint read the short way: values, next nodes, pending interrupts.

`pending_request` (after every run, for each inbox item) and the graph's event guard (before
every event run) need three things of a deal's thread: its values, which nodes run next, and
the interrupts that wait. LangGraph's `get_state` gives them, but builds every next task for
execution on the way (its config, runnable and scratchpad, a copy of every channel): about
two thirds of its cost on the operator's state. `thread_view` reads the same checkpoint with
the saver's `get_tuple` and works the three out directly:

- values: the checkpoint's values of the state's channels (the operator's state has no
  reducers, so each channel stores its value as it is);
- next: the nodes one of whose trigger channels holds a value of a version the node has not
  seen (LangGraph's own rule for the next step's tasks, `_algo._triggers`);
- interrupts: the `__interrupt__` writes pending on the checkpoint, each under its task.

Any checkpoint it cannot read that way exactly is read with `get_state` instead: a nested
namespace, an older checkpoint format, scheduled `Send` tasks, and pending writes other than
interrupts (a resume's answer, a task's output saved before a crash, an error), since those
would change the values or the next tasks. Set `VERIFY = True` (the test suite does) to check
every short read against `get_state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_INTERRUPT = "__interrupt__"  # LangGraph's INTERRUPT channel
_TASKS = "__pregel_tasks"  # LangGraph's TASKS channel (Send)
_CHECKPOINTER_KEY = "__pregel_checkpointer"  # LangGraph's CONFIG_KEY_CHECKPOINTER (server)
_FORMAT = 4  # the checkpoint format (`v`) this reads; LangGraph migrates older ones

VERIFY = False
"""Check every short read against LangGraph's own snapshot of the same checkpoint (what
`get_state` builds; raises `AssertionError`)."""


@dataclass(frozen=True)
class ViewTask:
    """One next task, as far as the operator reads it: its node and its interrupts."""

    name: str
    """The node."""
    interrupts: tuple[Any, ...] = ()
    """LangGraph `Interrupt`s (each with its `value`) the task raised and waits on."""


@dataclass(frozen=True)
class ThreadView:
    """The parts of LangGraph's `StateSnapshot` the operator reads (same names)."""

    values: dict[str, Any]
    """The state's values (empty for a thread with no checkpoint)."""
    next: tuple[str, ...]
    """The nodes that run next."""
    tasks: tuple[Any, ...]
    """The next tasks (`ViewTask`, or LangGraph's `PregelTask` when read with `get_state`)."""
    config: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's config (thread id, checkpoint id)."""


def _saver(graph: Any, config: Mapping[str, Any]) -> Any:
    configurable = config.get("configurable") or {}
    saver = configurable.get(_CHECKPOINTER_KEY) or graph.checkpointer
    return saver if saver not in (None, False, True) else None


def _from_state(snapshot: Any) -> ThreadView:
    return ThreadView(
        values=dict(snapshot.values or {}),
        next=tuple(snapshot.next),
        tasks=tuple(snapshot.tasks),
        config=dict(snapshot.config or {}),
    )


def _short(graph: Any, saved: Any) -> ThreadView | None:
    """Return the view of a saved checkpoint tuple, or None when it needs `get_state`."""
    checkpoint = saved.checkpoint
    if checkpoint.get("v") != _FORMAT:
        return None
    values: Mapping[str, Any] = checkpoint.get("channel_values") or {}
    if values.get(_TASKS):
        return None  # scheduled Send tasks
    pending = saved.pending_writes or []
    if any(write[1] != _INTERRUPT for write in pending):
        return None  # writes that change the values or the next tasks
    versions: Mapping[str, Any] = checkpoint.get("channel_versions") or {}
    seen_all: Mapping[str, Mapping[str, Any]] = checkpoint.get("versions_seen") or {}
    null = next((type(v)() for v in versions.values()), None)
    upcoming: list[str] = []
    for name, node in graph.nodes.items():
        seen = seen_all.get(name)
        for chan in node.triggers:
            if chan in values and (seen is None or versions.get(chan, null) > seen.get(chan, null)):
                upcoming.append(name)
                break
    asked: list[Any] = []
    for _, _, value in pending:
        asked.extend(value if isinstance(value, Sequence) else [value])
    if asked and len(upcoming) != 1:
        return None  # interrupts to share out among several tasks: let LangGraph do it
    channels = graph.stream_channels_asis
    keys = [channels] if isinstance(channels, str) else channels
    return ThreadView(
        values={k: values[k] for k in keys if k in values},
        next=tuple(upcoming),
        tasks=tuple(ViewTask(n, tuple(asked)) for n in upcoming),
        config=dict(saved.config),
    )


def thread_view(graph: Any, config: Mapping[str, Any]) -> ThreadView:
    """Return a thread's values, next nodes and pending interrupts (see the module).

    Args:
        graph: A compiled graph with a checkpointer (or one named in the config).
        config: The thread's config (`{"configurable": {"thread_id": ...}}`).
    """
    configurable = config.get("configurable") or {}
    saver = _saver(graph, config)
    if saver is None or configurable.get("checkpoint_ns"):
        return _from_state(graph.get_state(config))
    saved = saver.get_tuple(config)
    if saved is None:
        return ThreadView(values={}, next=(), tasks=(), config=dict(config))
    short = _short(graph, saved)
    if short is None:
        return _from_state(graph.get_state(config))
    if VERIFY:
        _verify(graph, saver, saved, short)
    return short


def _verify(graph: Any, saver: Any, saved: Any, view: ThreadView) -> None:
    """Compare `view` with LangGraph's snapshot of the same saved checkpoint tuple.

    The same tuple, not a second read: another process may move the thread in between.
    """
    state = graph._prepare_state_snapshot(saved.config, saved, saver=saver)
    asked = [getattr(i, "value", i) for t in state.tasks for i in t.interrupts]
    mine = [getattr(i, "value", i) for t in view.tasks for i in t.interrupts]
    assert dict(state.values or {}) == view.values, "thread_view: values differ"
    assert tuple(state.next) == view.next, f"thread_view: next {view.next} != {state.next}"
    assert asked == mine, "thread_view: interrupts differ"
