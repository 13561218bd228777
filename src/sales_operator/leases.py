"""One writer per deal: a lease row per deal around every `send_event` and `resume_deal`.

The lease lives in the CRM (`SQLiteCRM`: the `deal_leases` table, taken in an IMMEDIATE
transaction; `InMemoryCRM`: a dict behind its lock). A second writer waits up to `wait_s`
(its event or decision is queued), then gets `DealBusyError` (retryable): it is never dropped.
A lease held by a process of this host that no longer runs (SIGKILL, crash), or past its
`ttl_s`, is taken over. On Postgres the lease is an advisory lock (`PostgresCRM`).

A lease can be lost while its holder runs: its Postgres session dropped, or it expired and
was taken over. `check_lease(deal_id)` asks the store (`lease_held`) whether the lease the
current `deal_lease` block took is still held, and raises `LeaseLostError` when it is not;
the executor calls it before each side effect, so a writer that lost its deal stops.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sales_operator.adapters.base import DealLeases
from sales_operator.errors import DealBusyError, LeaseLostError

DEFAULT_WAIT_S = 30.0
"""How long a second writer waits for the deal's lease before `DealBusyError`."""
DEFAULT_TTL_S = 900.0
"""How long a lease lasts when its holder cannot be checked (another host)."""

_DEPS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_HELD: ContextVar[tuple[tuple[Any, str, str], ...]] = ContextVar(
    "sales_operator_leases", default=()
)
"""The leases `deal_lease` holds in this context: `(leases, deal_id, holder)`."""


def attach_deps(graph: Any, deps: Any) -> None:
    """Remember which `Deps` a compiled graph was built with (for the runner's lease)."""
    try:
        _DEPS[graph] = deps
    except TypeError:  # not weak-referenceable: the runner then needs deps= explicitly
        pass


def deps_of(graph: Any) -> Any | None:
    """Return the `Deps` `build_operator()` built `graph` with, or None."""
    try:
        return _DEPS.get(graph)
    except TypeError:
        return None


def new_holder() -> str:
    """Return a lease holder name: `host:pid:thread:token`."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def deal_lease(
    leases: Any,
    deal_id: str,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    ttl_s: float = DEFAULT_TTL_S,
) -> Iterator[str]:
    """Hold the deal's lease for the block; wait for it up to `wait_s`.

    Args:
        leases: A `DealLeases` (the CRM); anything else runs the block without a lease.
        deal_id: The deal.
        wait_s: How long to wait for another holder (0: do not wait).
        ttl_s: Lease lifetime when the holder cannot be checked.

    Raises:
        DealBusyError: when another writer still holds the lease after `wait_s` (retryable).
    """
    if not isinstance(leases, DealLeases):
        yield ""
        return
    holder = new_holder()
    deadline = time.monotonic() + wait_s
    while True:
        other = leases.acquire_lease(deal_id, holder, ttl_s=ttl_s)
        if other is None:
            break
        if time.monotonic() >= deadline:
            raise DealBusyError(
                f"deal {deal_id!r} is busy: {other} holds its lease; nothing was recorded, "
                "send it again",
                deal_id=deal_id,
                holder=other,
            )
        time.sleep(0.02 + random.random() * 0.05)  # noqa: S311 - jitter, not security
    token = _HELD.set((*_HELD.get(), (leases, deal_id, holder)))
    try:
        yield holder
    finally:
        _HELD.reset(token)
        leases.release_lease(deal_id, holder)


def check_lease(deal_id: str) -> None:
    """Raise `LeaseLostError` when this context took the deal's lease and no longer holds it.

    Asks the store (its `lease_held(deal_id, holder)`: on Postgres, whether this session still
    holds the advisory lock). Does nothing outside a `deal_lease` block for the deal (plain
    `graph.invoke` runs without a lease) or with a store that cannot tell.

    Raises:
        LeaseLostError: the lease's session ended, or the lease expired and was taken over.
    """
    for leases, held_deal, holder in _HELD.get():
        if held_deal != deal_id:
            continue
        held = getattr(leases, "lease_held", None)
        if callable(held) and not held(deal_id, holder):
            raise LeaseLostError(
                f"deal {deal_id!r}: the lease of {holder} was lost (its database session "
                "ended, or it expired and another writer took it); nothing more was run. "
                f"Run `sales-operator resume {deal_id}` (recover_deal) to finish it",
                deal_id=deal_id,
                holder=holder,
            )
