"""Swap an object's class for a named subclass with a few more attributes (compiled graphs)."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def with_subclass(obj: T, marker: str, attrs: dict[str, Any]) -> T:
    """Give `obj` a subclass of its class that adds `attrs`; return it.

    The subclass keeps the class's name, module and qualified name (reprs and pickling look
    the same) and carries `marker = True`, so applying it twice is a no-op.
    """
    base = type(obj)
    if getattr(base, marker, False):
        return obj
    names = {"__module__": base.__module__, "__qualname__": base.__qualname__}
    obj.__class__ = type(base.__name__, (base,), {marker: True, **attrs, **names})
    return obj
