"""Checkpoint writes in the calling thread: no new thread per run of the operator.

LangGraph's sync loop opens a `BackgroundExecutor` per run (the root graph's and each
nested one's): a fresh thread pool whose first `submit` starts a thread. The operator's runs
submit only the checkpoint writes, and under the durability it chooses ("exit" for pattern
work, "sync" at the gate and the executor: `sales_operator.durability`) the run waits for
each write before going on, so the thread buys nothing: each run pays a thread start and
two hand-offs between threads, which on a loaded machine cost a scheduler slice each.

`inline_writes()` marks the current context; while it is set, the executor LangGraph asks
for (`langgraph.pregel._executor.get_executor_for_config`, LangChain's function, which
`install()` wraps) runs each submitted call at once in the calling thread and returns its
finished future. The write is the same write, made earlier (never later) than on a thread,
so what is durable when is unchanged. Outside the mark (any other graph in the process, or
an operator run with an explicit `durability="async"`, which wants the overlap) LangGraph
gets its thread pool as before. When LangGraph's module no longer has the function this
wraps, `install()` does nothing and returns False (the runs are then as LangGraph makes
them: correct, a little slower).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_INLINE: ContextVar[bool] = ContextVar("sales_operator_inline_writes", default=False)


class InlineExecutor(Executor):
    """An executor that runs each call at once, in the caller's thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run `fn(*args, **kwargs)` now; return its finished future (result or exception)."""
        future: Future[T] = Future()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # as a pool thread does: the future carries it
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


_EXECUTOR = InlineExecutor()


@contextmanager
def inline_writes() -> Iterator[None]:
    """Mark the current context: LangGraph runs started in it make their writes inline."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def inline_iter(chunks: Iterator[T]) -> Iterator[T]:
    """Return `chunks` advanced under `inline_writes()` (a graph's `stream` runs lazily)."""
    while True:
        with inline_writes():
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


def install() -> bool:
    """Wrap LangGraph's executor factory so that marked runs write inline; idempotent.

    Returns:
        True when the wrapper is in place, False when LangGraph's module has no such factory.
    """
    try:
        from langgraph.pregel import _executor
    except ImportError:  # pragma: no cover - LangGraph reorganised
        return False
    original = getattr(_executor, "get_executor_for_config", None)
    if original is None:
        return False
    if getattr(original, "_sales_operator_inline", False):
        return True

    def get_executor_for_config(config: Any) -> AbstractContextManager[Executor]:
        if _INLINE.get():
            return _inline_context()
        return original(config)  # type: ignore[no-any-return]

    get_executor_for_config._sales_operator_inline = True  # type: ignore[attr-defined]
    setattr(_executor, "get_executor_for_config", get_executor_for_config)  # noqa: B010
    return True


@contextmanager
def _inline_context() -> Iterator[Executor]:
    yield _EXECUTOR
