"""Checkpoint writes in the calling thread: no new thread per run of the operator.

LangGraph's sync loop opens a `BackgroundExecutor` per run (the root graph's and each
nested one's): a fresh thread pool whose first `submit` starts a thread. The operator's runs
submit only the checkpoint writes, and under the durability it chooses ("exit" for pattern
work, "sync" at the gate and the executor: `sales_operator.durability`) the run waits for
each write before going on, so the thread buys nothing: each run pays a thread start and
two hand-offs between threads, which on a loaded machine cost a scheduler slice each.

`inline_writes()` marks the current context; while it is set, the executor LangGraph asks
for (`langgraph.pregel._executor.get_executor_for_config`, LangChain's function, which
`install()` wraps) runs each checkpoint write it is handed (a saver's method, or the loop's
`_checkpointer_put_after_previous`) at once in the calling thread and returns its finished
future. The write is the same write, made earlier (never later) than on a thread, so what
is durable when is unchanged. Anything else LangGraph submits (a stream's waiter, which
blocks until a node emits, parallel tasks, cache writes) goes to a thread pool as before,
started only when such a call comes. Outside the mark (any other graph in the process, or
an operator run with an explicit `durability="async"`, which wants the overlap) LangGraph
gets its thread pool as before. When LangGraph's module no longer has the function this
wraps, `install()` does nothing and returns False (the runs are then as LangGraph makes
them: correct, a little slower).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_INLINE: ContextVar[bool] = ContextVar("sales_operator_inline_writes", default=False)


_WRITES = frozenset({"_checkpointer_put_after_previous"})  # the loop's ordered checkpoint put


def is_checkpoint_write(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """Return whether `fn(*args)` (as LangGraph submits it) is a checkpoint write.

    LangGraph submits `Context.run` (or its `next_tick`) with the real function first.
    """
    from langgraph.checkpoint.base import BaseCheckpointSaver

    while args and (getattr(fn, "__name__", "") in ("run", "next_tick")) and callable(args[0]):
        fn, args = args[0], args[1:]
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, BaseCheckpointSaver):
        return True
    return getattr(fn, "__name__", "") in _WRITES and owner is not None


class InlineExecutor(Executor):
    """Run checkpoint writes at once in the caller's thread; anything else on a thread pool.

    The pool (LangChain's, as LangGraph would have made it) starts with the first call that
    is not a checkpoint write, and is shut down with `shutdown()`.
    """

    def __init__(self, config: Any = None) -> None:
        """Keep `config` for the pool that other calls may need."""
        self._config = config
        self._pool: AbstractContextManager[Executor] | None = None
        self._executor: Executor | None = None
        self._lock = threading.Lock()  # LangGraph may submit from a pool thread too

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run a checkpoint write now and return its finished future; queue anything else."""
        if not is_checkpoint_write(fn, args):
            with self._lock:
                if self._executor is None:
                    from langchain_core.runnables.config import get_executor_for_config

                    self._pool = get_executor_for_config(self._config)
                    self._executor = self._pool.__enter__()
                executor = self._executor
            return executor.submit(fn, *args, **kwargs)
        future: Future[T] = Future()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # as a pool thread does: the future carries it
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down, if one was started (waits for its calls, as LangGraph does)."""
        with self._lock:
            pool, self._pool, self._executor = self._pool, None, None
        if pool is not None:
            pool.__exit__(None, None, None)


@contextmanager
def inline_writes() -> Iterator[None]:
    """Mark the current context: LangGraph runs started in it make their writes inline."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def inline_iter(chunks: Iterator[T], after: Callable[[], object] | None = None) -> Iterator[T]:
    """Return `chunks` advanced under `inline_writes()` (a graph's `stream` runs lazily).

    However the iteration ends (exhausted, an error, or closed or dropped early), `chunks`
    is closed under the mark too, so a run stopped early makes its last checkpoint writes
    inline, and then `after()`, when given, is called (the checkpointer's flush).
    """
    try:
        while True:
            with inline_writes():
                try:
                    chunk = next(chunks)
                except StopIteration:
                    return
            yield chunk
    finally:
        try:
            close = getattr(chunks, "close", None)
            if close is not None:
                with inline_writes():
                    close()
        finally:
            if after is not None:
                after()


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
            return _inline_context(config)
        return original(config)  # type: ignore[no-any-return]

    get_executor_for_config._sales_operator_inline = True  # type: ignore[attr-defined]
    setattr(_executor, "get_executor_for_config", get_executor_for_config)  # noqa: B010
    return True


@contextmanager
def _inline_context(config: Any) -> Iterator[Executor]:
    executor = InlineExecutor(config)
    try:
        yield executor
    finally:
        executor.shutdown()
